//===- Gradients.h - Evaluation of the Grad<Op> ops -------------*- C++ -*-===//
//
// Internal to lib/Interpreter: the gradient ops of the autodiff pass
// (GradReLU ... GradSlice in Ops.def; GradFakeQuantization lives with
// FakeQuantization).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_INTERPRETER_GRADIENTS_H
#define QJIT_LIB_INTERPRETER_GRADIENTS_H

#include "Evaluate.h"

namespace qjit::interp {

llvm::Expected<Results>
evaluateGradient(const Operation &op, llvm::ArrayRef<const Tensor *> operands,
                 llvm::ArrayRef<TensorType> resultTypes);

} // namespace qjit::interp

#endif
