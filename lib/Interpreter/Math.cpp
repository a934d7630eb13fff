//===- Math.cpp - Float-only functions and activations, and gradients -----===//
//
// The FloatOnly unary ops of Ops.def and the Grad ops of those that have
// one, element by element in the element type T (Float32 or Float64) with
// libm (expf, logf, sqrtf, tanhf, erff on Float32; exp, log, ... on
// Float64). PyTorch's formulas:
//   Sigmoid(x)     = T(1) / (T(1) + exp(-x))
//   LeakyReLU(x)   = x > 0 ? x : x * T(alpha)
//   GELU(x)        = x * T(0.5) * (T(1) + erf(x * T(M_SQRT1_2)))
//   GELU tanh(x)   = T(0.5) * x * (T(1) + tanh(T(kBeta) * (x + T(0.044715)
//                    * x * x * x))), kBeta = M_SQRT2 * M_2_SQRTPI * 0.5
//   HardSigmoid(x) = min(max(x + 3, 0), 6) / 6
//   HardSwish(x)   = x * min(max(x + 3, 0), 6) / 6
//     (max and min let NaN through, as PyTorch's vectorized kernels do)
// and their gradients (dx from dy and x):
//   GradLeakyReLU    x > 0 ? dy : dy * T(alpha)
//   GradGELU         none: dy * (cdf + x * pdf), cdf = T(0.5) * (T(1) +
//                    erf(x * T(M_SQRT1_2))), pdf = T(kBeta) * exp(x * x *
//                    T(-0.5)), kBeta = M_2_SQRTPI * M_SQRT1_2 * 0.5;
//                    tanh: PyTorch's GeluBackward, see geluTanhGradient
//   GradHardSigmoid  -3 < x < 3 ? dy * T(1.0f / 6) : 0 (NaN x -> 0)
//   GradHardSwish    x < -3 ? 0 : (x >= 3 ? dy : dy * (x / 3 + T(0.5)))
//                    (NaN x -> NaN, PyTorch's vectorized kernel)
// Products and sums are evaluated left to right exactly as written (the
// library is built with -ffp-contract=off, so nothing fuses into an FMA).
//
//===----------------------------------------------------------------------===//
#include "Evaluate.h"
#include "Support/MakeError.h"
#include "qjit/IR/OpParams.h"
#include <cmath>
#include <functional>

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

// min(max(x + 3, 0), 6), NaN staying NaN.
template <typename T> T relu6OfXPlus3(T x) {
  T r = x + T(3);
  r = r < T(0) ? T(0) : r;
  return r > T(6) ? T(6) : r;
}

template <typename T> T hardSigmoid(T x) { return relu6OfXPlus3(x) / T(6); }

template <typename T> T hardSwish(T x) { return x * relu6OfXPlus3(x) / T(6); }

template <typename T> T geluGradient(T dy, T x) {
  const T kAlpha = T(M_SQRT1_2);
  const T kBeta = T(M_2_SQRTPI * M_SQRT1_2 * 0.5);
  T cdf = T(0.5) * (T(1) + std::erf(x * kAlpha));
  T pdf = kBeta * std::exp(x * x * T(-0.5));
  return dy * (cdf + x * pdf);
}

template <typename T> T geluTanhGradient(T dy, T x) {
  const T kBeta = T(M_SQRT2 * M_2_SQRTPI * 0.5);
  const T kKappa = T(0.044715);
  T xSquare = x * x;
  T xCube = xSquare * x;
  T inner = kBeta * (x + kKappa * xCube);
  T tanhInner = std::tanh(inner);
  T left = T(0.5) * x;
  T right = T(1) + tanhInner;
  T leftDerivative = T(0.5) * right;
  T tanhDerivative = T(1) - tanhInner * tanhInner;
  T innerDerivative = kBeta * (T(1) + T(3) * kKappa * xSquare);
  T rightDerivative = left * tanhDerivative * innerDerivative;
  return dy * (leftDerivative + rightDerivative);
}

template <typename T> T hardSigmoidGradient(T dy, T x) {
  // PyTorch's one_sixth is the float 1/6, also for double.
  return x > T(-3) && x < T(3) ? dy * T(1.0f / 6.0f) : T(0);
}

template <typename T> T hardSwishGradient(T dy, T x) {
  if (x < T(-3))
    return T(0);
  return x >= T(3) ? dy : dy * (x / T(3) + T(0.5));
}

// The function computing one element of `op` on T, or an empty function if
// `op` is not one of this file's. (Interpreter.cpp sends only FloatOnly
// unary ops here, so an if-chain rather than a switch over every op.)
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
  if (kind == OpKind::HardSigmoid)
    return hardSigmoid<T>;
  if (kind == OpKind::HardSwish)
    return hardSwish<T>;
  return {};
}

// dx from (dy, x) for the Grad op `op` of a FloatOnly unary op, or an empty
// function.
template <typename T>
std::function<T(T, T)> mathGradientFunction(const Operation &op) {
  OpKind kind = op.getKind();
  if (kind == OpKind::GradLeakyReLU) {
    T alpha = static_cast<T>(getLeakyReLUAlpha(op));
    return [alpha](T dy, T x) { return x > T(0) ? dy : dy * alpha; };
  }
  if (kind == OpKind::GradGELU)
    return getGELUTanh(op) ? geluTanhGradient<T> : geluGradient<T>;
  if (kind == OpKind::GradHardSigmoid)
    return hardSigmoidGradient<T>;
  if (kind == OpKind::GradHardSwish)
    return hardSwishGradient<T>;
  return {};
}

// The forward op (x) or the Grad op (dy, x), element by element.
template <typename T>
llvm::Error apply(const Operation &op, llvm::ArrayRef<const Tensor *> in,
                  Tensor &result) {
  if (in.size() == 1) {
    std::function<T(T)> fn = mathFunction<T>(op);
    if (!fn)
      return makeError("'{}' is not a unary float function",
                       op.getName().str());
    mapElements<T>(result, fn, *in[0]);
    return llvm::Error::success();
  }
  std::function<T(T, T)> fn = mathGradientFunction<T>(op);
  if (!fn)
    return makeError("'{}' is not the gradient of a unary float function",
                     op.getName().str());
  mapElements<T>(result, fn, *in[0], *in[1]);
  return llvm::Error::success();
}

// Calls fn with a T of the element type (the op rules admit floats only).
template <typename Fn>
llvm::Error onFloatType(const Operation &op, DataType type, Fn &&fn) {
  return visitFloatType(
      type, [&](auto tag) { return fn(typename decltype(tag)::type()); },
      [&] { return notFloatInputError(op.getName(), type); });
}

} // namespace

llvm::Expected<Results> evaluateMath(const Operation &op,
                                     llvm::ArrayRef<const Tensor *> operands,
                                     llvm::ArrayRef<TensorType> resultTypes) {
  Tensor result(resultTypes[0]);
  DataType type = operands.back()->elementType(); // x's
  if (llvm::Error err = onFloatType(op, type, [&](auto t) {
        return apply<decltype(t)>(op, operands, result);
      }))
    return err;
  return singleResult(std::move(result));
}

} // namespace qjit::interp
