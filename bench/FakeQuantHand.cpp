//===- FakeQuantHand.cpp - Fake quantization written by hand --------------===//
//
// Compiled with -O3 -march=native (see CMakeLists.txt). std::nearbyint
// rounds half to even in the default rounding mode and, unlike
// __builtin_roundevenf, g++ 12 vectorizes it (vroundps).
//
//===----------------------------------------------------------------------===//
#include "FakeQuantHand.h"
#include <cmath>

namespace qjit::bench {

void fakeQuantizeByHand(const float *__restrict x, float *__restrict y,
                        int64_t n, float scale, float zeroPoint, float qmin,
                        float qmax) {
  const float inv = 1.0f / scale;
  for (int64_t i = 0; i < n; ++i) {
    float qf = std::nearbyint(x[i] * inv) + zeroPoint;
    float q = qf > qmin ? qf : qmin;
    q = q < qmax ? q : qmax;
    y[i] = (q - zeroPoint) * scale;
  }
}

} // namespace qjit::bench
