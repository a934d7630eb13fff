//===- FakeQuantHand.cpp - Fake quantization written by hand --------------===//
//
// Compiled with -O3 -march=native -ffp-contract=off (see CMakeLists.txt;
// without the last flag g++ would fuse the chain's multiply and add into an
// FMA, which rounds once where the graph rounds twice). std::nearbyint
// rounds half to even in the default rounding mode and, unlike
// __builtin_roundevenf, g++ 12 vectorizes it (vroundps).
//
//===----------------------------------------------------------------------===//
#include "FakeQuantHand.h"
#include <cmath>

namespace qjit::bench {

namespace {
inline float fakeQuantizeOne(float x, float inv, float scale, float zeroPoint,
                             float qmin, float qmax) {
  float qf = std::nearbyint(x * inv) + zeroPoint;
  float q = qf > qmin ? qf : qmin;
  q = q < qmax ? q : qmax;
  return (q - zeroPoint) * scale;
}
} // namespace

void fakeQuantizeByHand(const float *__restrict x, float *__restrict y,
                        int64_t n, float scale, float zeroPoint, float qmin,
                        float qmax) {
  const float inv = 1.0f / scale;
  for (int64_t i = 0; i < n; ++i)
    y[i] = fakeQuantizeOne(x[i], inv, scale, zeroPoint, qmin, qmax);
}

void fakeQuantizePerChannelByHand(const float *__restrict x,
                                  float *__restrict y, int64_t channels,
                                  int64_t inner, const float *scale,
                                  const float *zeroPoint, float qmin,
                                  float qmax) {
  for (int64_t c = 0; c < channels; ++c) {
    const float s = scale[c], zp = zeroPoint[c], inv = 1.0f / s;
    const float *xs = x + c * inner;
    float *ys = y + c * inner;
    for (int64_t i = 0; i < inner; ++i)
      ys[i] = fakeQuantizeOne(xs[i], inv, s, zp, qmin, qmax);
  }
}

void fakeQuantizeChainByHand(const float *__restrict x, const float *a,
                             const float *b, float *__restrict y,
                             int64_t channels, int64_t inner, float scale,
                             float qmin, float qmax) {
  const float inv = 1.0f / scale;
  for (int64_t c = 0; c < channels; ++c) {
    const float ac = a[c], bc = b[c];
    const float *xs = x + c * inner;
    float *ys = y + c * inner;
    for (int64_t i = 0; i < inner; ++i) {
      float v = xs[i] * ac + bc;
      v = v <= 0.0f ? 0.0f : v;
      ys[i] = fakeQuantizeOne(v, inv, scale, 0.0f, qmin, qmax);
    }
  }
}

void fakeQuantizeGradClippedByHand(const float *__restrict dy,
                                   const bool *__restrict mask,
                                   float *__restrict dx, int64_t n) {
  // The mask's bytes (0 or 1) as unsigned chars: g++ 12 vectorizes the
  // conversion from those, not from bool.
  const auto *bytes = reinterpret_cast<const unsigned char *>(mask);
  for (int64_t i = 0; i < n; ++i)
    dx[i] = dy[i] * float(bytes[i]);
}

} // namespace qjit::bench
