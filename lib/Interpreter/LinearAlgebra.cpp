//===- LinearAlgebra.cpp - MatMul, Transpose and Conv2D -------------------===//
//
// MatMul: C[b, i, j] = sum_k A[b', i, k] * B[b'', k, j], the batch
// dimensions broadcast as NumPy does; integers wrap.
// Conv2D (NCHW input, OIHW weight, optional bias [O]):
//   out[n, o, y, x] = bias[o] + sum_{c in group(o), ky, kx}
//       in[n, c, y*sh - ph + ky*dh, x*sw - pw + kx*dw]
//       * w[o, c - g*C/groups, ky, kx]
// where a padding cell of `in` reads 0 (and is multiplied like any other).
// Sums start at T(0) and run in row-major order of their indices (k; then
// c, ky, kx), in the element type.
// Transpose: out.shape[d] = in.shape[perm[d]], element for element.
//
//===----------------------------------------------------------------------===//
#include "Evaluate.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Support/Error.h"
#include <cstring>
#include "Support/MakeError.h"

namespace qjit::interp {

namespace {

template <typename T>
void matMul(const Tensor &a, const Tensor &b, Tensor &result) {
  llvm::ArrayRef<int64_t> as = a.shape(), bs = b.shape(), cs = result.shape();
  const int64_t m = as[as.size() - 2], k = as[as.size() - 1];
  const int64_t n = bs[bs.size() - 1];
  llvm::ArrayRef<int64_t> batch = cs.drop_back(2);
  llvm::ArrayRef<int64_t> aBatch = as.drop_back(2), bBatch = bs.drop_back(2);
  const T *aData = a.as<T>(), *bData = b.as<T>();
  T *out = result.as<T>();
  for (int64_t bi = 0, be = numElements(batch); bi < be; ++bi) {
    const T *aMat = aData + broadcastSourceIndex(bi, batch, aBatch) * m * k;
    const T *bMat = bData + broadcastSourceIndex(bi, batch, bBatch) * k * n;
    T *cMat = out + bi * m * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T acc = T(0);
        for (int64_t kk = 0; kk < k; ++kk)
          acc = wrapAdd(acc, wrapMultiply(aMat[i * k + kk], bMat[kk * n + j]));
        cMat[i * n + j] = acc;
      }
  }
}

template <typename T>
void conv2D(const Conv2DParams &p, const Tensor &input, const Tensor &weight,
            const Tensor *bias, Tensor &result) {
  llvm::ArrayRef<int64_t> is = input.shape(), ws = weight.shape();
  llvm::ArrayRef<int64_t> os = result.shape();
  const int64_t batch = is[0], channels = is[1], height = is[2], width = is[3];
  const int64_t outChannels = ws[0], groupChannels = ws[1], kh = ws[2],
                kw = ws[3];
  const int64_t outHeight = os[2], outWidth = os[3];
  const int64_t outPerGroup = outChannels / p.groups;
  const T *in = input.as<T>(), *w = weight.as<T>();
  const T *b = bias ? bias->as<T>() : nullptr;
  T *out = result.as<T>();
  // in[n, c, h, x], zero outside the input (the padding).
  auto at = [&](int64_t n, int64_t c, int64_t h, int64_t x) {
    if (h < 0 || h >= height || x < 0 || x >= width)
      return T(0);
    return in[((n * channels + c) * height + h) * width + x];
  };
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t o = 0; o < outChannels; ++o) {
      const int64_t g = o / outPerGroup;
      for (int64_t y = 0; y < outHeight; ++y)
        for (int64_t x = 0; x < outWidth; ++x) {
          T acc = T(0);
          for (int64_t ci = 0; ci < groupChannels; ++ci)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                T v = at(n, g * groupChannels + ci,
                         y * p.strideH - p.padH + ky * p.dilationH,
                         x * p.strideW - p.padW + kx * p.dilationW);
                acc += v * w[((o * groupChannels + ci) * kh + ky) * kw + kx];
              }
          out[((n * outChannels + o) * outHeight + y) * outWidth + x] =
              b ? b[o] + acc : acc;
        }
    }
}

} // namespace

llvm::Expected<Results> evaluateMatMul(const Operation &op,
                                       llvm::ArrayRef<const Tensor *> operands,
                                       llvm::ArrayRef<TensorType> resultTypes) {
  Tensor result(resultTypes[0]);
  llvm::Error err =
      visitNumericType(op, result.elementType(), [&](auto tag) -> llvm::Error {
        matMul<typename decltype(tag)::type>(*operands[0], *operands[1],
                                             result);
        return llvm::Error::success();
      });
  if (err)
    return err;
  return singleResult(std::move(result));
}

llvm::Expected<Results>
evaluateTranspose(const Operation &op, llvm::ArrayRef<const Tensor *> operands,
                  llvm::ArrayRef<TensorType> resultTypes) {
  const Tensor &x = *operands[0];
  llvm::ArrayRef<int64_t> inShape = x.shape();
  const int64_t rank = static_cast<int64_t>(inShape.size());
  llvm::SmallVector<int64_t, 4> perm =
      llvm::cantFail(getTransposePerm(op, rank));
  Tensor result(resultTypes[0]);
  llvm::ArrayRef<int64_t> outShape = result.shape();
  // Row-major strides of the input.
  llvm::SmallVector<int64_t, 4> inStride(rank, 1);
  for (int64_t d = rank - 1; d > 0; --d)
    inStride[d - 1] = inStride[d] * inShape[d];
  // Output coordinate d walks input dimension perm[d]. Elements are copied
  // as bytes, so every element type (Bool included) is handled alike.
  const size_t size = dataTypeSize(x.elementType());
  const char *in = static_cast<const char *>(x.data());
  char *out = static_cast<char *>(result.data());
  for (int64_t i = 0, e = result.numElements(); i < e; ++i) {
    int64_t rest = i, source = 0;
    for (int64_t d = rank - 1; d >= 0; --d) {
      source += (rest % outShape[d]) * inStride[perm[d]];
      rest /= outShape[d];
    }
    std::memcpy(out + i * size, in + source * size, size);
  }
  return singleResult(std::move(result));
}

llvm::Expected<Results> evaluateConv2D(const Operation &op,
                                       llvm::ArrayRef<const Tensor *> operands,
                                       llvm::ArrayRef<TensorType> resultTypes) {
  Conv2DParams p = llvm::cantFail(getConv2DParams(op));
  const Tensor *bias = operands.size() > 2 ? operands[2] : nullptr;
  Tensor result(resultTypes[0]);
  return visitFloatType(
      result.elementType(),
      [&](auto tag) -> llvm::Expected<Results> {
        using T = typename decltype(tag)::type;
        conv2D<T>(p, *operands[0], *operands[1], bias, result);
        return singleResult(std::move(result));
      },
      [&] { return notFloatInputError("Conv2D", result.elementType()); });
}

} // namespace qjit::interp
