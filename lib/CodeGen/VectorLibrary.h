//===- VectorLibrary.h - Vector math for LoopVectorize ----------*- C++ -*-===//
#ifndef QJIT_LIB_CODEGEN_VECTORLIBRARY_H
#define QJIT_LIB_CODEGEN_VECTORLIBRARY_H

#include "qjit/CodeGen/CodeGen.h"

namespace llvm {
class TargetLibraryInfoImpl;
class TargetMachine;
} // namespace llvm

namespace qjit {

// Tells LoopVectorize (through the TargetLibraryInfo) which vector variants
// of exp, log, pow, tanh and erf libmvec provides for `tm`.
void addVectorLibrary(llvm::TargetLibraryInfoImpl &tlii,
                      const llvm::TargetMachine &tm);

} // namespace qjit

#endif
