//===- Fusion.h - What a FusedElementwise op may hold -----------*- C++ -*-===//
//
// A FusedElementwise op evaluates its body once per element of its result
// shape (the iteration shape), in one loop with no intermediate buffers:
//
//   t9, t10 = FusedElementwise(t0, t1, t2) : Float32 [64, 32], Bool [64, 32] {
//     t3 = Multiply(t0, t1) : Float32 [64, 32]
//     t4 = ReLU(t3) : Float32 [64, 32]
//     t9, t10 = FakeQuantization(t4, t2, num_bits=8) : Float32 [64, 32], ...
//     return t9, t10
//   }
//
// The body's inputs are the op's operands (same ids, same types), each
// broadcast to the iteration shape (NumPy rules) when an op reads it as
// elements. Every body op is fusable (isFusableElementwise) and every value
// it defines has the iteration shape; a FakeQuantization's scale and zero
// point operands are body inputs, read as per-tensor parameters.
//
// The first op may instead be an anchor (isFusionAnchor), a dense layer's
// MatMul, a Conv2D, or a QLinearMatMul or QLinearConv2D whose result is
// Float32 (Dequantize folded in), whose operands are body inputs read whole:
// the kernel computes its result in bands (rows of the product, images of
// the convolution, positions of an NHWC QLinearConv2D) and runs the
// elementwise ops over each band while it is in cache (the epilogue: bias,
// activation, fake quantization, a residual Add).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_IR_FUSION_H
#define QJIT_IR_FUSION_H

#include "qjit/IR/Graph.h"
#include "llvm/Support/Error.h"

namespace qjit {

// Whether `op` of `graph` computes each result element from the elements at
// the same (broadcast) position of its operands, with per-tensor parameters:
// elementwise unary and binary ops; FakeQuantization per tensor with its
// scale from an attribute or operands (not the observer, which reduces);
// GradFakeQuantization per tensor under ste or clipped (not lsq, which
// sums); the elementwise Grad<Op>s (ReLU, Abs, LeakyReLU, GELU, Clamp,
// Maximum, Minimum).
bool isFusableElementwise(const Graph &graph, const Operation &op);

// Whether `op` may be the first op of a body: a floating-point Conv2D, a
// floating-point MatMul whose right operand is a matrix (a dense layer,
// [..., m, k] x [k, n]), or a QLinear op whose result is Float32.
bool isFusionAnchor(const Graph &graph, const Operation &op);

// Whether ops of `kind` can be anchors (isFusionAnchor says which ones are).
bool isAnchorKind(OpKind kind);

// The operand positions of `op` that are not read as elements: a fake
// quantization's scale and zero point, an anchor's operands.
llvm::SmallVector<unsigned, 2> parameterOperands(const Operation &op);

// Checks a FusedElementwise op's body against its operand types (the rules
// above; the body's own ops are verified as a graph by the Verifier) and
// returns the result types: the body's output types.
llvm::Expected<llvm::SmallVector<TensorType, 1>>
inferFusedElementwise(const Operation &op,
                      llvm::ArrayRef<TensorType> operandTypes);

} // namespace qjit

#endif
