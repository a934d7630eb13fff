//===- QLinear.cpp - QLinearMatMul and QLinearConv2D -----------------------===//
//
// The oracle of integer execution (docs/integer-execution.md), written as
// the definition reads: per output element, the sum over its inputs of
// (x - x_zp) * (w - w_zp[j]) plus bias[j], wrapped to int32, then
//   y = clamp(roundeven(fl(float(acc) * m[j])) + y_zp, lo, hi)
// with m[j] = fl(fl(x_scale * w_scale[j]) / y_scale).
//
//===----------------------------------------------------------------------===//
#include "Evaluate.h"
#include <algorithm>
#include <cmath>

namespace qjit::interp {
namespace {

// The elements of an integer tensor, widened.
std::vector<int64_t> integersOf(const Tensor &t) {
  std::vector<int64_t> values(t.numElements());
  if (t.elementType() == DataType::UInt8)
    std::copy_n(t.as<uint8_t>(), values.size(), values.begin());
  else if (t.elementType() == DataType::Int8)
    std::copy_n(t.as<int8_t>(), values.size(), values.begin());
  else
    std::copy_n(t.as<int32_t>(), values.size(), values.begin());
  return values;
}

// Sums are exact in int64 (K < 2^30 terms of magnitude < 2^16); the op's
// int32 accumulator wraps, which is the same value modulo 2^32.
int32_t wrapToInt32(int64_t sum) {
  return static_cast<int32_t>(static_cast<uint32_t>(sum));
}

int64_t requantize(const QLinearParams &p, int64_t sum, int64_t column) {
  float scaled = static_cast<float>(wrapToInt32(sum)) * p.multiplier(column);
  double level = std::nearbyint(scaled) + static_cast<double>(p.yZeroPoint);
  return static_cast<int64_t>(
      std::clamp(level, double(p.lo), double(p.hi)));
}

// The level, or with a Float32 result the level dequantized (as
// Dequantize computes it).
void store(const QLinearParams &p, Tensor &result, int64_t index,
           int64_t level) {
  if (result.elementType() == DataType::UInt8)
    result.as<uint8_t>()[index] = static_cast<uint8_t>(level);
  else if (result.elementType() == DataType::Int8)
    result.as<int8_t>()[index] = static_cast<int8_t>(level);
  else
    result.as<float>()[index] =
        (static_cast<float>(level) - static_cast<float>(p.yZeroPoint)) *
        p.yScale;
}

// x [..., M, K] times w [K, N].
void qlinearMatMul(const QLinearParams &p, const Tensor &xt, const Tensor &wt,
                   const std::vector<int64_t> &bias, Tensor &result) {
  std::vector<int64_t> x = integersOf(xt), w = integersOf(wt);
  int64_t depth = wt.shape()[0], n = wt.shape()[1];
  int64_t rows = xt.numElements() / std::max<int64_t>(depth, 1);
  if (depth == 0)
    rows = result.numElements() / n;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t sum = bias.empty() ? 0 : bias[j];
      for (int64_t k = 0; k < depth; ++k)
        sum += (x[i * depth + k] - p.xZeroPoint) *
               (w[k * n + j] - p.wZeroPoint(j));
      store(p, result, i * n + j, requantize(p, sum, j));
    }
}

// NCHW x and y (NHWC with channels_last), OIHW w; padding holds x_zp,
// which adds nothing to the sum.
void qlinearConv2D(const QLinearParams &p, const Conv2DParams &c,
                   const Tensor &xt, const Tensor &wt,
                   const std::vector<int64_t> &bias, Tensor &result) {
  std::vector<int64_t> x = integersOf(xt), w = integersOf(wt);
  Shape xs(xt.shape()), ys(result.shape());
  llvm::ArrayRef<int64_t> ws = wt.shape();
  if (c.channelsLast) {
    xs = permuteShape(xs, kNhwcToNchw);
    ys = permuteShape(ys, kNhwcToNchw);
  }
  // The offset of element (n, channel, h, w) of an NCHW shape s in the
  // op's layout.
  auto at = [&](llvm::ArrayRef<int64_t> s, int64_t n, int64_t ch, int64_t h,
                int64_t wi) {
    return c.channelsLast ? ((n * s[2] + h) * s[3] + wi) * s[1] + ch
                          : ((n * s[1] + ch) * s[2] + h) * s[3] + wi;
  };
  int64_t groupIn = ws[1], groupOut = ys[1] / c.groups;
  for (int64_t n = 0; n < ys[0]; ++n)
    for (int64_t o = 0; o < ys[1]; ++o)
      for (int64_t oh = 0; oh < ys[2]; ++oh)
        for (int64_t ow = 0; ow < ys[3]; ++ow) {
          int64_t sum = bias.empty() ? 0 : bias[o];
          int64_t firstChannel = o / groupOut * groupIn;
          for (int64_t ci = 0; ci < groupIn; ++ci)
            for (int64_t kh = 0; kh < ws[2]; ++kh)
              for (int64_t kw = 0; kw < ws[3]; ++kw) {
                int64_t ih = oh * c.strideH - c.padH + kh * c.dilationH;
                int64_t iw = ow * c.strideW - c.padW + kw * c.dilationW;
                if (ih < 0 || ih >= xs[2] || iw < 0 || iw >= xs[3])
                  continue;
                int64_t xv = x[at(xs, n, firstChannel + ci, ih, iw)];
                int64_t wv = w[((o * groupIn + ci) * ws[2] + kh) * ws[3] + kw];
                sum += (xv - p.xZeroPoint) * (wv - p.wZeroPoint(o));
              }
          store(p, result, at(ys, n, o, oh, ow), requantize(p, sum, o));
        }
}

} // namespace

llvm::Expected<Results>
evaluateQLinear(const Operation &op, llvm::ArrayRef<const Tensor *> operands,
                llvm::ArrayRef<TensorType> resultTypes) {
  const Tensor &x = *operands[0], &w = *operands[1];
  QLinearParams p = llvm::cantFail(getQLinearParams(op, x.getType(), w.getType()));
  std::vector<int64_t> bias;
  if (operands.size() > 2)
    bias = integersOf(*operands[2]);
  auto result = Tensor::allocate(resultTypes[0]);
  if (!result)
    return result.takeError();
  if (op.getKind() == OpKind::QLinearMatMul)
    qlinearMatMul(p, x, w, bias, *result);
  else
    qlinearConv2D(p, llvm::cantFail(getConv2DParams(op)), x, w, bias, *result);
  Results results;
  results.push_back(std::move(*result));
  return results;
}

} // namespace qjit::interp
