//===- Math.h - Transcendental functions, one element ---*- C++ -*-===//
//
// The element formulas of the float-only unary ops, in the element type and
// in the interpreter's order of operations (no fast-math flags). exp, log
// and pow are the llvm.exp/log/pow intrinsics, tanh and erf calls of the C
// library; LoopVectorize maps all of them to glibc's libmvec (see
// VectorLibrary.cpp), so their loops vectorize. Scalar code calls libm, as
// the interpreter does.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_CODEGEN_MATH_H
#define QJIT_LIB_CODEGEN_MATH_H

#include "qjit/IR/Graph.h"
#include "llvm/IR/IRBuilder.h"

namespace qjit {

// Of `x`, a float or double.
llvm::Value *emitExp(llvm::IRBuilderBase &b, llvm::Value *x);
llvm::Value *emitLog(llvm::IRBuilderBase &b, llvm::Value *x);
llvm::Value *emitTanh(llvm::IRBuilderBase &b, llvm::Value *x);
llvm::Value *emitSigmoid(llvm::IRBuilderBase &b, llvm::Value *x);
// With the op's attributes (alpha; approximate).
llvm::Value *emitLeakyReLU(llvm::IRBuilderBase &b, const Operation &op,
                           llvm::Value *x);
llvm::Value *emitGELU(llvm::IRBuilderBase &b, const Operation &op,
                      llvm::Value *x);

// A call of the C library's one-argument function `name` ("tanhf", "erf",
// ...), declared without side effects (like clang's -fno-math-errno), which
// is what lets LoopVectorize replace it with a vector variant.
llvm::Value *emitLibmCall(llvm::IRBuilderBase &b, llvm::StringRef name,
                          llvm::Value *x);

} // namespace qjit

#endif
