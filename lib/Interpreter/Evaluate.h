//===- Evaluate.h - Per-op evaluators of the interpreter --------*- C++ -*-===//
//
// Internal to lib/Interpreter. Interpreter.cpp walks the graph and checks
// operand and result types with the op rules; these functions then compute
// one op's results from its operand tensors, element by element.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_INTERPRETER_EVALUATE_H
#define QJIT_LIB_INTERPRETER_EVALUATE_H

#include "qjit/IR/Graph.h"
#include "qjit/IR/Tensor.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/ErrorHandling.h"
#include <type_traits>

namespace qjit::interp {

using Results = llvm::SmallVector<Tensor, 1>;

// Each takes the op, its operand tensors (in operand order) and its result
// types, already checked against the op rules (lib/IR/OpRules.cpp).
llvm::Expected<Results> evaluateBinary(const Operation &op,
                                       llvm::ArrayRef<const Tensor *> operands,
                                       llvm::ArrayRef<TensorType> resultTypes);
llvm::Expected<Results> evaluateUnary(const Operation &op,
                                      llvm::ArrayRef<const Tensor *> operands,
                                      llvm::ArrayRef<TensorType> resultTypes);
llvm::Expected<Results>
evaluateConstant(const Operation &op, llvm::ArrayRef<TensorType> resultTypes);
// FakeQuantization and GradFakeQuantization.
llvm::Expected<Results>
evaluateFakeQuantization(const Operation &op,
                         llvm::ArrayRef<const Tensor *> operands,
                         llvm::ArrayRef<TensorType> resultTypes);

// Calls f(std::type_identity<CType>{}) with the C++ element type of `type`.
template <typename F> decltype(auto) visitDataType(DataType type, F &&f) {
  switch (type) {
#define QJIT_VISIT_DTYPE(Name, CType, Descr)                                   \
  case DataType::Name:                                                         \
    return f(std::type_identity<CType>{});
    QJIT_DTYPES(QJIT_VISIT_DTYPE)
#undef QJIT_VISIT_DTYPE
  }
  llvm_unreachable("unknown data type");
}

// Element `index` of `t` (any numeric type) converted to T.
template <typename T> T readAs(const Tensor &t, int64_t index) {
  return visitDataType(t.elementType(), [&](auto tag) -> T {
    using C = typename decltype(tag)::type;
    return static_cast<T>(t.as<C>()[index]);
  });
}

} // namespace qjit::interp

#endif
