//===- Autodiff.h - Reverse-mode automatic differentiation ------*- C++ -*-===//
//
// For a graph @f (with inputs) the autodiff pass adds @f_grad:
//
//   inputs   f's inputs in order, then one gradient per f output (dy_j, of
//            the output's type)
//   outputs  the gradients of f's inputs, in order (d sum_j <dy_j, out_j> /
//            d input_i, each of the input's type)
//
// Forward values are recomputed, not kept: @f_grad starts with a copy of
// f's ops (same value ids, so t5 in @f_grad is t5 in @f), then the backward
// ops in reverse order of f's; cse then merges repeated ops and dce removes
// the forward ops the backward does not read. @f and @f_grad are independent
// graphs: running the backward needs only f's inputs and the output gradients,
// and costs one forward pass of the values the gradient rules read.
//
// The rules are PyTorch's (derivatives.yaml). Where primitives read well the
// backward is built from them: broadcasting sums the gradient back to the
// operand's shape (ReduceSum over the broadcast axes with keep_dims, then
// Reshape); Multiply, Divide, Exp, Log, Sqrt, Square, Sigmoid, Tanh, Power,
// MatMul (with Transpose), Transpose, Reshape, Broadcast, Concat (Slice),
// ReduceSum/Mean (Reshape + Broadcast), Softmax and LogSoftmax use
// primitives; ReLU, Abs, LeakyReLU, GELU, Clamp, Maximum, Minimum, Conv2D,
// MaxPool2D, AvgPool2D, ReduceMax/Min and Slice have Grad<Op> ops (Ops.def).
// A value used several times accumulates its gradients with Add.
//
// FakeQuantization follows its `gradient` attribute
// (docs/fake-quantization.md):
//   ste      dx = dy; scale and zero point operands are constants
//   clipped  the copied forward op also yields its mask (a second, Bool
//            result computed in the same pass over x) and dx =
//            GradFakeQuantization(dy, mask, gradient=clipped): the backward
//            never reads x again; scale and zero point operands are constants
//   lsq      dx, d scale, d zero point = GradFakeQuantization(dy, x, scale,
//            zero_point, ...), one pass over dy and x.
//
// Only Float32 and Float64 values carry gradients. A value is differentiated
// when it depends on a float input of @f and an output depends on it; an op
// on such a path without a gradient rule (Quantize, Dequantize of a
// quantized value, the Grad<Op> ops) is an error at the op's location:
// "'Quantize' op (t5) has no gradient". Gradients stop silently where
// nothing needs them: inputs no output depends on, and integer inputs (a
// Dequantize of an integer input, ...), get zeros.
//
// Power's rule is PyTorch's without its masks: d a = dy * b * a^(b-1) and
// d b = dy * y * log(a), so a = 0 gives NaN where PyTorch gives 0.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_TRANSFORMS_AUTODIFF_H
#define QJIT_TRANSFORMS_AUTODIFF_H

#include "qjit/IR/Graph.h"
#include "llvm/Support/Error.h"
#include <string>

namespace qjit {

// "f_grad" for "f".
std::string gradientGraphName(llvm::StringRef graphName);

// Builds the gradient graph of the verified graph `f` (not added to any
// module); it is verified before it is returned. Error if `f` has no inputs
// or is not differentiable.
llvm::Expected<Graph> buildGradientGraph(const Graph &f);

// Adds the gradient graph of @graphName to `module` and returns it. Errors:
// no such graph, @<graphName>_grad exists already, or `f` is not
// differentiable.
llvm::Expected<Graph &> addGradientGraph(Module &module,
                                         llvm::StringRef graphName);

} // namespace qjit

#endif
