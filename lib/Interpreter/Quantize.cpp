//===- Quantize.cpp - Quantize and Dequantize -----------------------------===//
//
// Quantize (Float32 -> Int8/UInt8/Int32), per element of channel c (one
// channel per tensor, or the index along `axis`):
//   qf = roundeven(x * fl(1 / float(s[c]))) + float(zp[c])
//   q  = NaN ? qmin : clamp(fptosi.sat.i64(qf), qmin, qmax)
// (+-inf saturate to the int64 limits, then to the type's range).
// Dequantize (Int8/UInt8/Int32 -> Float32):
//   y = (float(q) - float(zp[c])) * float(s[c])
//
//===----------------------------------------------------------------------===//
#include "Evaluate.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Interpreter/FakeQuantReference.h"
#include "qjit/Support/Error.h"
#include <algorithm>
#include <cmath>
#include <limits>
#include "Support/MakeError.h"

namespace qjit::interp {

namespace {

// Scale and zero point of every element's channel, as floats.
struct ChannelParams {
  std::vector<float> scales, zeroPoints;
  int64_t channels = 1, inner = 1;

  ChannelParams(const QuantizeParams &p, llvm::ArrayRef<int64_t> shape) {
    for (double s : p.scales)
      scales.push_back(static_cast<float>(s));
    for (int64_t zp : p.zeroPoints)
      zeroPoints.push_back(static_cast<float>(zp));
    if (p.axis) {
      channels = shape[*p.axis];
      inner = numElements(shape.drop_front(*p.axis + 1));
    }
  }
  int64_t channelOf(int64_t i) const { return (i / inner) % channels; }
};

// llvm.fptosi.sat.i64 of a non-NaN float: values beyond the int64 range
// (the infinities included) saturate. 2^63 is a float; -2^63 is in range.
int64_t toInt64Saturated(float v) {
  if (v >= 0x1p63f)
    return std::numeric_limits<int64_t>::max();
  if (v < -0x1p63f)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

template <typename Q>
void quantize(const QuantizeParams &p, const Tensor &x, Tensor &result) {
  ChannelParams params(p, x.shape());
  const float *in = x.as<float>();
  Q *out = result.as<Q>();
  for (int64_t i = 0, e = x.numElements(); i < e; ++i) {
    int64_t c = params.channelOf(i);
    float qf = unclampedLevel(in[i], params.scales[c], params.zeroPoints[c]);
    int64_t q = std::isnan(qf)
                    ? p.qmin
                    : std::clamp(toInt64Saturated(qf), p.qmin, p.qmax);
    out[i] = static_cast<Q>(q);
  }
}

template <typename Q>
void dequantize(const QuantizeParams &p, const Tensor &q, Tensor &result) {
  ChannelParams params(p, q.shape());
  const Q *in = q.as<Q>();
  float *out = result.as<float>();
  for (int64_t i = 0, e = q.numElements(); i < e; ++i) {
    int64_t c = params.channelOf(i);
    out[i] =
        (static_cast<float>(in[i]) - params.zeroPoints[c]) * params.scales[c];
  }
}

// Calls f(std::type_identity<Q>{}) for Int8, UInt8 or Int32.
template <typename F> llvm::Error visitQuantizedType(DataType type, F &&f) {
  return visitDataTypeAmong<int8_t, uint8_t, int32_t>(
      type,
      [&](auto tag) -> llvm::Error {
        f(tag);
        return llvm::Error::success();
      },
      [&] {
        return makeError(
            "the quantized type must be Int8, UInt8 or Int32, got {}",
            dataTypeName(type).str());
      });
}

} // namespace

llvm::Expected<Results>
evaluateQuantize(const Operation &op, llvm::ArrayRef<const Tensor *> operands,
                 llvm::ArrayRef<TensorType> resultTypes) {
  const Tensor &x = *operands[0];
  if (x.elementType() != DataType::Float32)
    return makeError("'Quantize' input must be Float32, got {}",
                     dataTypeName(x.elementType()).str());
  QuantizeParams p = llvm::cantFail(getQuantizeParams(op, x.getType()));
  Tensor result(resultTypes[0]);
  if (llvm::Error err = visitQuantizedType(p.intType, [&](auto tag) {
        quantize<typename decltype(tag)::type>(p, x, result);
      }))
    return err;
  return singleResult(std::move(result));
}

llvm::Expected<Results>
evaluateDequantize(const Operation &op, llvm::ArrayRef<const Tensor *> operands,
                   llvm::ArrayRef<TensorType> resultTypes) {
  const Tensor &q = *operands[0];
  Tensor result(resultTypes[0]);
  if (llvm::Error err = visitQuantizedType(q.elementType(), [&](auto tag) {
        using Q = typename decltype(tag)::type;
        QuantizeParams p = llvm::cantFail(getQuantizeParams(op, q.getType()));
        dequantize<Q>(p, q, result);
      }))
    return err;
  return singleResult(std::move(result));
}

} // namespace qjit::interp
