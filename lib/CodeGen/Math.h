//===- Math.h - Float-only functions and activations, one element -*- C++ -*-===//
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

// One element of the FloatOnly unary op `op` of `x`, a float or double
// (scalar or vector).
llvm::Value *emitMathElement(llvm::IRBuilderBase &b, const Operation &op,
                             llvm::Value *x);
// dx of the Grad op `op` of a FloatOnly unary op (GradLeakyReLU, ...).
llvm::Value *emitMathGradient(llvm::IRBuilderBase &b, const Operation &op,
                              llvm::Value *dy, llvm::Value *x);

// Whether the element formula of `kind` calls exp, log, pow, tanh or erf.
// Vectorized, those are libmvec's, whose results may differ from libm's in
// the last bit, so the loops of such ops must not split at places that
// depend on a buffer's address (streaming stores' alignment peel).
bool callsMathLibrary(OpKind kind);

// Of `x`, a float or double.
llvm::Value *emitExp(llvm::IRBuilderBase &b, llvm::Value *x);
llvm::Value *emitLog(llvm::IRBuilderBase &b, llvm::Value *x);
llvm::Value *emitTanh(llvm::IRBuilderBase &b, llvm::Value *x);

// A call of the C library's one-argument function `name` ("tanhf", "erf",
// ...), declared without side effects (like clang's -fno-math-errno), which
// is what lets LoopVectorize replace it with a vector variant.
llvm::Value *emitLibmCall(llvm::IRBuilderBase &b, llvm::StringRef name,
                          llvm::Value *x);

} // namespace qjit

#endif
