//===- GradientOpTypes.h - Result types of the Grad<Op> ops -----*- C++ -*-===//
//
// Internal to lib/IR. The gradient ops the autodiff pass emits (Ops.def,
// category Gradient, but GradFakeQuantization, which FakeQuantizationOp
// checks) are checked by rebuilding the forward op they differentiate and
// running its rules: the attributes and operand shapes mean exactly what
// they mean on the forward op, and its errors are the forward op's.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_IR_GRADIENTOPTYPES_H
#define QJIT_LIB_IR_GRADIENTOPTYPES_H

#include "qjit/IR/Graph.h"
#include "llvm/Support/Error.h"

namespace qjit {

// `op` is a Grad<Op> other than GradFakeQuantization whose operand count is
// already checked.
llvm::Expected<llvm::SmallVector<TensorType, 1>>
inferGradientResultTypes(const Operation &op,
                         llvm::ArrayRef<TensorType> operandTypes);

} // namespace qjit

#endif
