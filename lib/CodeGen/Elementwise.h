//===- Elementwise.h - One element of an elementwise op -----*- C++ -*-===//
//
// The formulas of the elementwise ops on one element (scalar or vector
// values of the element type), shared by the ops' own kernels and by
// FusedElementwise, so a fused chain computes exactly what the unfused ops
// compute.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_CODEGEN_ELEMENTWISE_H
#define QJIT_LIB_CODEGEN_ELEMENTWISE_H

#include "Kernel.h"
#include <utility>

namespace qjit {

// Add ... Power (Elementwise.cpp).
llvm::Value *emitBinaryElement(llvm::IRBuilderBase &b, OpKind kind,
                               DataType type, llvm::Value *x, llvm::Value *y);
// Negate ... Clamp (Elementwise.cpp).
llvm::Value *emitUnaryElement(llvm::IRBuilderBase &b, const Operation &op,
                              DataType type, llvm::Value *x);
// dx of GradReLU, GradAbs, GradLeakyReLU, GradGELU and GradClamp
// (Gradients.cpp).
llvm::Value *emitUnaryGradientElement(llvm::IRBuilderBase &b,
                                      const Operation &op, DataType type,
                                      llvm::Value *dy, llvm::Value *x);
// (da, db) of GradMaximum (isMax) or GradMinimum (Gradients.cpp).
std::pair<llvm::Value *, llvm::Value *>
emitMinMaxGradientElement(llvm::IRBuilderBase &b, bool isMax, llvm::Value *dy,
                          llvm::Value *a, llvm::Value *bv);

} // namespace qjit

#endif
