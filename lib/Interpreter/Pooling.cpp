//===- Pooling.cpp - MaxPool2D and AvgPool2D ------------------------------===//
//
// Over the last two dimensions of NCHW, window (y, x) covers rows
// h0 = y*sh - ph .. h0 + kh - 1 and columns w0 = x*sw - pw .. w0 + kw - 1;
// only the cells inside the input are read (the op rules keep at least one in
// every window).
// MaxPool2D: the maximum of the real cells as the Maximum op computes it
// (floats: NaN propagates, the first NaN met wins; -0.0 < +0.0).
// AvgPool2D: the sum of the real cells (row-major, from T(0)) / divisor,
// where divisor = (min(h0 + kh, H + ph) - h0) * (min(w0 + kw, W + pw) - w0)
// with count_include_pad (PyTorch's formula) and the number of real cells
// without.
//
//===----------------------------------------------------------------------===//
#include "Evaluate.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Support/Error.h"
#include <algorithm>
#include "Support/MakeError.h"

namespace qjit::interp {

namespace {

template <typename T>
void pool2D(bool isMax, const Pool2DParams &p, const Tensor &input,
            Tensor &result) {
  llvm::ArrayRef<int64_t> is = input.shape(), os = result.shape();
  const int64_t planes = is[0] * is[1], height = is[2], width = is[3];
  const int64_t outHeight = os[2], outWidth = os[3];
  const T *in = input.as<T>();
  T *out = result.as<T>();
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T *src = in + plane * height * width;
    T *dst = out + plane * outHeight * outWidth;
    for (int64_t y = 0; y < outHeight; ++y)
      for (int64_t x = 0; x < outWidth; ++x) {
        const int64_t h0 = y * p.strideH - p.padH, w0 = x * p.strideW - p.padW;
        const int64_t hBegin = std::max<int64_t>(h0, 0),
                      hEnd = std::min(h0 + p.kernelH, height);
        const int64_t wBegin = std::max<int64_t>(w0, 0),
                      wEnd = std::min(w0 + p.kernelW, width);
        T value{};
        if (isMax) {
          value = src[hBegin * width + wBegin];
          for (int64_t h = hBegin; h < hEnd; ++h)
            for (int64_t w = wBegin; w < wEnd; ++w)
              value = maximumOf(value, src[h * width + w]);
        } else if constexpr (std::is_floating_point_v<T>) {
          T sum = T(0);
          for (int64_t h = hBegin; h < hEnd; ++h)
            for (int64_t w = wBegin; w < wEnd; ++w)
              sum += src[h * width + w];
          int64_t divisor =
              p.countIncludePad
                  ? (std::min(h0 + p.kernelH, height + p.padH) - h0) *
                        (std::min(w0 + p.kernelW, width + p.padW) - w0)
                  : (hEnd - hBegin) * (wEnd - wBegin);
          value = sum / static_cast<T>(divisor);
        }
        dst[y * outWidth + x] = value;
      }
  }
}

} // namespace

llvm::Expected<Results> evaluatePool2D(const Operation &op,
                                       llvm::ArrayRef<const Tensor *> operands,
                                       llvm::ArrayRef<TensorType> resultTypes) {
  const bool isMax = op.getKind() == OpKind::MaxPool2D;
  Pool2DParams p = llvm::cantFail(getPool2DParams(op));
  Tensor result(resultTypes[0]);
  llvm::Error err =
      visitNumericType(op, result.elementType(), [&](auto tag) -> llvm::Error {
        using T = typename decltype(tag)::type;
        if (!isMax && !std::is_floating_point_v<T>)
          return makeError("'AvgPool2D' input must be Float32 or Float64");
        pool2D<T>(isMax, p, *operands[0], result);
        return llvm::Error::success();
      });
  if (err)
    return err;
  return singleResult(std::move(result));
}

} // namespace qjit::interp
