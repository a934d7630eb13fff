//===- Softmax.cpp - Softmax and LogSoftmax -------------------------------===//
//
// Along one axis, for each line x_0 .. x_{n-1} of the input, in T:
//   m = max_i x_i (the Maximum op's maximum: NaN propagates)
//   e_i = exp(x_i - m), s = e_0 + e_1 + ... (from T(0), in order)
//   Softmax: e_i / s;   LogSoftmax: (x_i - m) - log(s)
// Subtracting the maximum keeps exp from overflowing on large inputs.
//
//===----------------------------------------------------------------------===//
#include "Evaluate.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Support/Error.h"
#include <cmath>
#include "Support/MakeError.h"

namespace qjit::interp {

namespace {

template <typename T>
void softmax(bool isLog, int64_t axis, const Tensor &x, Tensor &result) {
  llvm::ArrayRef<int64_t> shape = x.shape();
  const int64_t outer = numElements(shape.take_front(axis));
  const int64_t n = shape[axis];
  const int64_t inner = numElements(shape.drop_front(axis + 1));
  const T *in = x.as<T>();
  T *out = result.as<T>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      // Element k of this line is at base + k * inner.
      const int64_t base = o * n * inner + i;
      if (n == 0)
        continue;
      T m = in[base];
      for (int64_t k = 1; k < n; ++k)
        m = maximumOf(m, in[base + k * inner]);
      T s = T(0);
      for (int64_t k = 0; k < n; ++k)
        s += std::exp(in[base + k * inner] - m);
      for (int64_t k = 0; k < n; ++k) {
        T shifted = in[base + k * inner] - m;
        out[base + k * inner] =
            isLog ? shifted - std::log(s) : std::exp(shifted) / s;
      }
    }
}

} // namespace

llvm::Expected<Results>
evaluateSoftmax(const Operation &op, llvm::ArrayRef<const Tensor *> operands,
                llvm::ArrayRef<TensorType> resultTypes) {
  const Tensor &x = *operands[0];
  const bool isLog = op.getKind() == OpKind::LogSoftmax;
  int64_t axis = llvm::cantFail(getOpAxis(op, x.shape().size()));
  Tensor result(resultTypes[0]);
  return visitFloatType(
      x.elementType(),
      [&](auto tag) -> llvm::Expected<Results> {
        softmax<typename decltype(tag)::type>(isLog, axis, x, result);
        return singleResult(std::move(result));
      },
      [&] { return notFloatInputError(op.getName(), x.elementType()); });
}

} // namespace qjit::interp
