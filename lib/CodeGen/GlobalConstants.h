//===- GlobalConstants.h - Tables of constants in the module ---*- C++ -*-===//
//
// Internal to lib/CodeGen: per-channel parameters known at compile time
// (scales, their reciprocals, zero points) become private constant arrays
// that the kernels index by channel.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_CODEGEN_GLOBALCONSTANTS_H
#define QJIT_LIB_CODEGEN_GLOBALCONSTANTS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"

namespace qjit {

// A private, unnamed_addr, 64-byte aligned constant array of `elements`
// (each of type `elemTy`) named `name` in `module`.
llvm::GlobalVariable *
createConstantArray(llvm::Module &module, llvm::Type *elemTy,
                    llvm::ArrayRef<llvm::Constant *> elements,
                    const llvm::Twine &name);

} // namespace qjit

#endif
