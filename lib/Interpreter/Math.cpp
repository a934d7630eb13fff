//===- Math.cpp - Transcendental functions and activations ----------------===//
//
// Exp, Log, Sqrt, Sigmoid, Tanh, LeakyReLU and GELU on Float32 / Float64,
// element by element in the element type T with libm (expf, logf, sqrtf,
// tanhf, erff on Float32; exp, log, ... on Float64):
//   Sigmoid(x)   = T(1) / (T(1) + exp(-x))
//   LeakyReLU(x) = x > 0 ? x : x * T(alpha)
//   GELU(x)      = x * T(0.5) * (T(1) + erf(x * T(M_SQRT1_2)))
//   GELU tanh(x) = T(0.5) * x * (T(1) + tanh(T(kBeta) * (x + T(0.044715) * x
//                  * x * x))), kBeta = M_SQRT2 * M_2_SQRTPI * 0.5
// Products and sums are evaluated left to right exactly as written (the
// library is built with -ffp-contract=off, so nothing fuses into an FMA).
//
//===----------------------------------------------------------------------===//
#include "Evaluate.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Support/Error.h"
#include <cmath>
#include <functional>
#include "Support/MakeError.h"

namespace qjit::interp {

namespace {

template <typename T> T sigmoid(T x) { return T(1) / (T(1) + std::exp(-x)); }

template <typename T> T geluExact(T x) {
  return x * T(0.5) * (T(1) + std::erf(x * T(M_SQRT1_2)));
}

template <typename T> T geluTanh(T x) {
  // sqrt(2 / pi), computed in double as PyTorch's kBeta.
  constexpr double kBeta = M_SQRT2 * M_2_SQRTPI * 0.5;
  return T(0.5) * x *
         (T(1) + std::tanh(T(kBeta) * (x + T(0.044715) * x * x * x)));
}

// The function computing one element of `op` on T, or an empty function if
// `op` is not one of this file's. (Interpreter.cpp's exhaustive switch sends
// only these ops here, so an if-chain rather than a switch listing every
// other op.)
template <typename T> std::function<T(T)> mathFunction(const Operation &op) {
  OpKind kind = op.getKind();
  if (kind == OpKind::Exp)
    return [](T x) -> T { return std::exp(x); };
  if (kind == OpKind::Log)
    return [](T x) -> T { return std::log(x); };
  if (kind == OpKind::Sqrt)
    return [](T x) -> T { return std::sqrt(x); };
  if (kind == OpKind::Sigmoid)
    return sigmoid<T>;
  if (kind == OpKind::Tanh)
    return [](T x) -> T { return std::tanh(x); };
  if (kind == OpKind::LeakyReLU) {
    T alpha = static_cast<T>(getLeakyReLUAlpha(op));
    return [alpha](T x) { return x > T(0) ? x : x * alpha; };
  }
  if (kind == OpKind::GELU)
    return getGELUTanh(op) ? geluTanh<T> : geluExact<T>;
  return {};
}

template <typename T>
llvm::Error apply(const Operation &op, const Tensor &x, Tensor &result) {
  std::function<T(T)> fn = mathFunction<T>(op);
  if (!fn)
    return makeError("'{}' is not a unary float function", op.getName().str());
  const T *in = x.as<T>();
  T *out = result.as<T>();
  for (int64_t i = 0, e = result.numElements(); i < e; ++i)
    out[i] = fn(in[i]);
  return llvm::Error::success();
}

// Dispatches on the element type (the op rules admit floats only).
llvm::Error compute(const Operation &op, const Tensor &x, Tensor &result) {
  return visitFloatType(
      x.elementType(),
      [&](auto tag) {
        return apply<typename decltype(tag)::type>(op, x, result);
      },
      [&] { return notFloatInputError(op.getName(), x.elementType()); });
}

} // namespace

llvm::Expected<Results> evaluateMath(const Operation &op,
                                     llvm::ArrayRef<const Tensor *> operands,
                                     llvm::ArrayRef<TensorType> resultTypes) {
  Tensor result(resultTypes[0]);
  if (llvm::Error err = compute(op, *operands[0], result))
    return err;
  return singleResult(std::move(result));
}

} // namespace qjit::interp
