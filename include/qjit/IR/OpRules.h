//===- OpRules.h - Operand rules and result type inference ------*- C++ -*-===//
#ifndef QJIT_IR_OPRULES_H
#define QJIT_IR_OPRULES_H

#include "qjit/IR/Graph.h"
#include "llvm/Support/Error.h"

namespace qjit {

// Checks `op`'s operand count, operand types and attributes (names, kinds
// and values) and returns its result types. Ops whose result type cannot be
// inferred from operands (Constant) take it from `declared`. Errors are plain
// messages; callers attach the op's location.
llvm::Expected<llvm::SmallVector<TensorType, 1>>
inferResultTypes(const Operation &op, llvm::ArrayRef<TensorType> operandTypes,
                 llvm::ArrayRef<TensorType> declared);

// NumPy broadcasting of two shapes; an error names both shapes.
llvm::Expected<Shape> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                      llvm::ArrayRef<int64_t> b);

} // namespace qjit

#endif
