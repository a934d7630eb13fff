//===- Elementwise.cpp - Binary and unary elementwise ops, Constant -------===//
//
// Semantics (fixed, the JIT agrees bit for bit):
// - arithmetic in the element type (a float stays a float);
// - integer Add/Subtract/Multiply/Negate/Abs/Square wrap around (two's
//   complement); Divide and Power are float-only (Power = pow, powf on
//   Float32);
// - float Maximum/Minimum are IEEE-754 2019 maximum/minimum: NaN propagates
//   and -0.0 < +0.0; integer ones are plain max/min;
// - ReLU(x) = x <= 0 ? 0 : x (NaN stays NaN, -0.0 becomes +0.0);
// - Square(x) = x * x; Clamp compares with the bounds converted to T;
// - binary ops broadcast as NumPy does.
//
//===----------------------------------------------------------------------===//
#include "Evaluate.h"
#include "qjit/IR/DenseData.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Support/Error.h"
#include <cmath>
#include <cstring>
#include <functional>
#include <optional>
#include "Support/MakeError.h"

namespace qjit::interp {

namespace {

template <typename T> T subtract(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return a - b;
  else
    return static_cast<T>(WrapType<T>(a) - WrapType<T>(b));
}

template <typename T> T negate(T a) {
  if constexpr (std::is_floating_point_v<T>)
    return -a;
  else
    return static_cast<T>(WrapType<T>(0) - WrapType<T>(a));
}

template <typename T> T absolute(T a) {
  if constexpr (std::is_floating_point_v<T>)
    return std::fabs(a);
  else if constexpr (std::is_signed_v<T>)
    return a < 0 ? negate(a) : a; // abs(INT_MIN) wraps to INT_MIN
  else
    return a;
}

template <typename T> T relu(T a) { return a <= T(0) ? T(0) : a; }

// The function computing one element of the binary op `kind` on T, or
// nullptr if `kind` is not a binary op defined on T. (Interpreter.cpp's
// exhaustive switch sends only binary ops here, so an if-chain rather than a
// switch listing every other op.)
template <typename T> T (*binaryFunction(OpKind kind))(T, T) {
  if (kind == OpKind::Add)
    return wrapAdd<T>;
  if (kind == OpKind::Subtract)
    return subtract<T>;
  if (kind == OpKind::Multiply)
    return wrapMultiply<T>;
  if (kind == OpKind::Maximum)
    return maximumOf<T>;
  if (kind == OpKind::Minimum)
    return minimumOf<T>;
  // Divide and Power are float-only (the op rules reject integers).
  if constexpr (std::is_floating_point_v<T>) {
    if (kind == OpKind::Divide)
      return [](T a, T b) { return a / b; };
    if (kind == OpKind::Power)
      return [](T a, T b) -> T { return std::pow(a, b); }; // powf for float
  }
  return nullptr;
}

// The function computing one element of the unary op `op` on T (attributes
// read here), or an empty function if `op` is not one of this file's.
template <typename T> std::function<T(T)> unaryFunction(const Operation &op) {
  OpKind kind = op.getKind();
  if (kind == OpKind::Negate)
    return negate<T>;
  if (kind == OpKind::Abs)
    return absolute<T>;
  if (kind == OpKind::ReLU)
    return relu<T>;
  if (kind == OpKind::Square)
    return [](T x) { return wrapMultiply(x, x); };
  if (kind == OpKind::Clamp) {
    // r = x < min ? min : x; r = r > max ? max : r, the bounds converted to
    // T (the op rules keep integer bounds in T's range). An absent bound is
    // skipped; NaN compares false and stays NaN.
    ClampParams p = llvm::cantFail(getClampParams(op, *dataTypeOf<T>()));
    std::optional<T> lo, hi;
    if (p.min)
      lo = static_cast<T>(*p.min);
    if (p.max)
      hi = static_cast<T>(*p.max);
    return [lo, hi](T x) {
      T r = lo && x < *lo ? *lo : x;
      return hi && r > *hi ? *hi : r;
    };
  }
  return {};
}

} // namespace

int64_t broadcastSourceIndex(int64_t linear, llvm::ArrayRef<int64_t> out,
                             llvm::ArrayRef<int64_t> in) {
  // Shapes are aligned at their last dimension; a dimension of size 1 (or a
  // missing leading one) always reads coordinate 0.
  size_t lead = out.size() - in.size();
  int64_t index = 0, stride = 1;
  for (size_t d = out.size(); d-- > 0;) {
    int64_t coord = linear % out[d];
    linear /= out[d];
    if (d < lead)
      continue;
    int64_t dim = in[d - lead];
    if (dim != 1)
      index += coord * stride;
    stride *= dim;
  }
  return index;
}

llvm::Expected<Results> evaluateBinary(const Operation &op,
                                       llvm::ArrayRef<const Tensor *> operands,
                                       llvm::ArrayRef<TensorType> resultTypes) {
  const Tensor &a = *operands[0], &b = *operands[1];
  Tensor result(resultTypes[0]);
  llvm::Error err =
      visitDataType(result.elementType(), [&](auto tag) -> llvm::Error {
        using T = typename decltype(tag)::type;
        if constexpr (std::is_same_v<T, bool>) {
          return makeError("'{}' is not defined on Bool", op.getName().str());
        } else {
          T (*fn)(T, T) = binaryFunction<T>(op.getKind());
          if (!fn)
            return makeError("'{}' is not defined on {}", op.getName().str(),
                             dataTypeName(result.elementType()).str());
          const T *lhs = a.as<T>(), *rhs = b.as<T>();
          T *out = result.as<T>();
          llvm::ArrayRef<int64_t> shape = result.shape();
          for (int64_t i = 0, e = result.numElements(); i < e; ++i)
            out[i] = fn(lhs[broadcastSourceIndex(i, shape, a.shape())],
                        rhs[broadcastSourceIndex(i, shape, b.shape())]);
          return llvm::Error::success();
        }
      });
  if (err)
    return err;
  return singleResult(std::move(result));
}

llvm::Expected<Results> evaluateUnary(const Operation &op,
                                      llvm::ArrayRef<const Tensor *> operands,
                                      llvm::ArrayRef<TensorType> resultTypes) {
  const Tensor &x = *operands[0];
  Tensor result(resultTypes[0]);
  llvm::Error err =
      visitDataType(result.elementType(), [&](auto tag) -> llvm::Error {
        using T = typename decltype(tag)::type;
        if constexpr (std::is_same_v<T, bool>) {
          return makeError("'{}' is not defined on Bool", op.getName().str());
        } else {
          std::function<T(T)> fn = unaryFunction<T>(op);
          if (!fn)
            return makeError("'{}' is not a unary op", op.getName().str());
          mapElements<T>(result, fn, x);
          return llvm::Error::success();
        }
      });
  if (err)
    return err;
  return singleResult(std::move(result));
}

llvm::Expected<Results>
evaluateConstant(const Operation &op, llvm::ArrayRef<TensorType> resultTypes) {
  Tensor result(resultTypes[0]);
  if (const Attribute *data = op.getAttr("data")) {
    // The bytes as they are (the verifier checked their size).
    const std::shared_ptr<const DenseData> &bytes = data->getData();
    if (!bytes || bytes->size() != result.sizeInBytes())
      return makeError("'Constant' has no data of {} bytes",
                       result.sizeInBytes());
    if (bytes->size())
      std::memcpy(result.data(), bytes->data(), bytes->size());
    return singleResult(std::move(result));
  }
  const Attribute *values = op.getAttr("values");
  if (!values)
    return makeError("'Constant' needs a 'values' attribute");
  int64_t count = values->isIntList()     ? values->getIntList().size()
                  : values->isFloatList() ? values->getFloatList().size()
                                          : 1;
  if (count != 1 && count != result.numElements())
    return makeError("'Constant' has {} values for {} elements", count,
                     result.numElements());
  // Value `i` of the attribute; one value is a splat. Integers convert to
  // the element type directly (modulo 2^N for a narrower integer type,
  // correctly rounded for a float type, != 0 for Bool); floats only occur in
  // float constants (the op rules reject them elsewhere).
  llvm::Error err =
      visitDataType(result.elementType(), [&](auto tag) -> llvm::Error {
        using T = typename decltype(tag)::type;
        T *out = result.as<T>();
        for (int64_t i = 0, e = result.numElements(); i < e; ++i) {
          int64_t k = count == 1 ? 0 : i;
          if (values->isInt() || values->isIntList()) {
            int64_t v =
                values->isInt() ? values->getInt() : values->getIntList()[k];
            out[i] = static_cast<T>(v);
          } else if constexpr (std::is_floating_point_v<T>) {
            out[i] =
                static_cast<T>(values->isFloat() ? values->getFloat()
                                                 : values->getFloatList()[k]);
          } else {
            return makeError("{} constant needs integer values",
                             dataTypeName(result.elementType()).str());
          }
        }
        return llvm::Error::success();
      });
  if (err)
    return err;
  return singleResult(std::move(result));
}

} // namespace qjit::interp
