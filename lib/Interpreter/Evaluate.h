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
#include "qjit/IR/OpParams.h"
#include "qjit/IR/Tensor.h"
#include "Support/MakeError.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/ErrorHandling.h"
#include <cmath>
#include <type_traits>
#include <vector>

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

// The FloatOnly unary ops (Exp, Log, ...) and the Grad ops of those that
// have one (GradLeakyReLU, GradGELU, ...), in Math.cpp.
llvm::Expected<Results> evaluateMath(const Operation &op,
                                     llvm::ArrayRef<const Tensor *> operands,
                                     llvm::ArrayRef<TensorType> resultTypes);
// Quantize and Dequantize.
llvm::Expected<Results>
evaluateQuantize(const Operation &op, llvm::ArrayRef<const Tensor *> operands,
                 llvm::ArrayRef<TensorType> resultTypes);
llvm::Expected<Results>
evaluateDequantize(const Operation &op, llvm::ArrayRef<const Tensor *> operands,
                   llvm::ArrayRef<TensorType> resultTypes);
// MatMul, Transpose and Conv2D.
llvm::Expected<Results> evaluateMatMul(const Operation &op,
                                       llvm::ArrayRef<const Tensor *> operands,
                                       llvm::ArrayRef<TensorType> resultTypes);
llvm::Expected<Results>
evaluateTranspose(const Operation &op, llvm::ArrayRef<const Tensor *> operands,
                  llvm::ArrayRef<TensorType> resultTypes);
llvm::Expected<Results> evaluateConv2D(const Operation &op,
                                       llvm::ArrayRef<const Tensor *> operands,
                                       llvm::ArrayRef<TensorType> resultTypes);
// QLinearMatMul and QLinearConv2D.
llvm::Expected<Results>
evaluateQLinear(const Operation &op, llvm::ArrayRef<const Tensor *> operands,
                llvm::ArrayRef<TensorType> resultTypes);
// MaxPool2D and AvgPool2D.
llvm::Expected<Results> evaluatePool2D(const Operation &op,
                                       llvm::ArrayRef<const Tensor *> operands,
                                       llvm::ArrayRef<TensorType> resultTypes);
// ReduceSum, ReduceMean, ReduceMax and ReduceMin.
llvm::Expected<Results> evaluateReduce(const Operation &op,
                                       llvm::ArrayRef<const Tensor *> operands,
                                       llvm::ArrayRef<TensorType> resultTypes);
// Softmax and LogSoftmax.
llvm::Expected<Results> evaluateSoftmax(const Operation &op,
                                        llvm::ArrayRef<const Tensor *> operands,
                                        llvm::ArrayRef<TensorType> resultTypes);
// Reshape, Broadcast, Concat and Slice (any element type, Bool included).
llvm::Expected<Results> evaluateShapeOp(const Operation &op,
                                        llvm::ArrayRef<const Tensor *> operands,
                                        llvm::ArrayRef<TensorType> resultTypes);

// The row-major index, in an operand of shape `in`, of the element NumPy
// broadcasting pairs with element `linear` of a result of shape `out`.
int64_t broadcastSourceIndex(int64_t linear, llvm::ArrayRef<int64_t> out,
                             llvm::ArrayRef<int64_t> in);

// The index in the reduced value (reduced axes dropped) of each element of
// a tensor of `shape`: the reductions and their gradients.
std::vector<int64_t> reducedIndices(llvm::ArrayRef<int64_t> shape,
                                    llvm::ArrayRef<int64_t> axes);

// The row-major index, in a tensor of row-major `strides`, of element
// `linear` of its slice `p`: Slice and its gradient.
int64_t sliceSourceIndex(const SliceParams &p, llvm::ArrayRef<int64_t> strides,
                         int64_t linear);

// IEEE-754 2019 maximum / minimum on floats (NaN propagates, -0.0 < +0.0),
// plain max / min on integers: Maximum, Minimum and the max/min reductions
// and pooling.
template <typename T> T maximumOf(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a != a) // NaN (std::isnan does not take integers)
      return a;
    if (b != b)
      return b;
    if (a == b) // equal, or +0.0 and -0.0: +0.0 is the larger
      return std::signbit(a) ? b : a;
  }
  return a > b ? a : b;
}

template <typename T> T minimumOf(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a != a)
      return a;
    if (b != b)
      return b;
    if (a == b) // equal, or +0.0 and -0.0: -0.0 is the smaller
      return std::signbit(a) ? a : b;
  }
  return a < b ? a : b;
}

// Integer arithmetic that wraps: done in an unsigned type at least as wide
// as `unsigned` (uint16 * uint16 would otherwise promote to a signed int and
// overflow) and converted back, which C++20 defines as modulo 2^N. Floats
// use the plain operators.
template <typename T>
using WrapType = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned,
                                    std::make_unsigned_t<T>>;

template <typename T> T wrapAdd(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return a + b;
  else
    return static_cast<T>(WrapType<T>(a) + WrapType<T>(b));
}

template <typename T> T wrapMultiply(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return a * b;
  else
    return static_cast<T>(WrapType<T>(a) * WrapType<T>(b));
}

// Wraps a computed tensor as the single result of an op.
inline Results singleResult(Tensor t) {
  Results results;
  results.push_back(std::move(t));
  return results;
}

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

// visitDataType for the numeric element types, f returning an llvm::Error:
// Bool, on which `op` computes nothing, gives "'<op>' is not defined on Bool".
template <typename F>
llvm::Error visitNumericType(const Operation &op, DataType type, F &&f) {
  return visitDataType(type, [&](auto tag) -> llvm::Error {
    if constexpr (std::is_same_v<typename decltype(tag)::type, bool>)
      return makeError("'{}' is not defined on Bool", op.getName().str());
    else
      return f(tag);
  });
}

// Calls f(std::type_identity<C>{}) when the C++ element type C of `type` is
// one of First, Rest...; returns otherwise() for any other type, so that each
// op keeps its own error message. f and otherwise return the same type.
template <typename First, typename... Rest, typename F, typename G>
decltype(auto) visitDataTypeAmong(DataType type, F &&f, G &&otherwise) {
  using R = decltype(f(std::type_identity<First>{}));
  return visitDataType(type, [&](auto tag) -> R {
    using C = typename decltype(tag)::type;
    if constexpr (std::is_same_v<C, First> || (std::is_same_v<C, Rest> || ...))
      return f(tag);
    else
      return otherwise();
  });
}

// visitDataTypeAmong for the float element types, Float32 and Float64.
template <typename F, typename G>
decltype(auto) visitFloatType(DataType type, F &&f, G &&otherwise) {
  return visitDataTypeAmong<float, double>(type, std::forward<F>(f),
                                           std::forward<G>(otherwise));
}

// The error of an op whose input `type` is neither Float32 nor Float64.
inline llvm::Error notFloatInputError(llvm::StringRef opName, DataType type) {
  return makeError("'{}' input must be Float32 or Float64, got {}",
                   opName.str(), dataTypeName(type).str());
}

// result[i] = fn(inputs[i]...) over same-shaped tensors of element type T.
template <typename T, typename Fn, typename... Inputs>
void mapElements(Tensor &result, Fn &&fn, const Inputs &...inputs) {
  T *out = result.as<T>();
  for (int64_t i = 0, e = result.numElements(); i < e; ++i)
    out[i] = fn(inputs.template as<T>()[i]...);
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
