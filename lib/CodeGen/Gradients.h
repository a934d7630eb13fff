//===- Gradients.h - Lowering of the Grad<Op> ops --------*- C++ -*-===//
//
// The gradient ops of the autodiff pass (GradReLU ... GradSlice in Ops.def),
// with the interpreter's formulas and, wherever the interpreter sums, its
// order of summation (lib/Interpreter/Gradients.cpp):
//   Gradients.cpp         elementwise gradients, GradMaximum/Minimum,
//                         GradReduceMax/Min, GradSlice
//   GradientsSpatial.cpp  GradMaxPool2D, GradAvgPool2D, GradConv2DInput,
//                         GradConv2DWeight
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_CODEGEN_GRADIENTS_H
#define QJIT_LIB_CODEGEN_GRADIENTS_H

#include "Kernel.h"
#include "LoopBuilder.h"

namespace qjit {

// Every Grad<Op> but GradFakeQuantization.
void emitGradient(Kernel &k);
uint64_t gradientScratchBytes(const Graph &graph, const Operation &op);

// In GradientsSpatial.cpp.
void emitPoolGradient(Kernel &k);
void emitConvGradient(Kernel &k);

} // namespace qjit

#endif
