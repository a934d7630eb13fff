//===- TargetSelection.h - The CPU a Jit compiles for -----------*- C++ -*-===//
#ifndef QJIT_LIB_JIT_TARGETSELECTION_H
#define QJIT_LIB_JIT_TARGETSELECTION_H

#include "qjit/JIT/Jit.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Target/TargetMachine.h"

namespace qjit {

// The host's triple with the CPU and features of `options`: the host's own
// when the CPU is empty (plus any listed features), else that CPU's defaults
// and the listed features. Unknown CPU or feature names are errors.
llvm::Expected<llvm::orc::JITTargetMachineBuilder>
selectTarget(const JitOptions &options);

// Whether code generated for a target with `feature` may contain its
// instructions (vector, arithmetic and bit-manipulation extensions; not
// system features such as pku, nor tuning flags).
bool changesGeneratedCode(llvm::StringRef feature);

// Names a feature `tm` uses that the host CPU lacks (code for `tm` would
// fault here), or returns an empty string.
std::string featureMissingOnHost(const llvm::TargetMachine &tm);

} // namespace qjit

#endif
