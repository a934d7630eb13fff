//===- FakeQuantHand.h - Fake quantization written by hand ------*- C++ -*-===//
//
// The loops a C++ programmer writes for the benchmarked cases (the formulas
// of docs/fake-quantization.md), compiled with g++ -O3 -march=native: the
// reference each JIT case is timed against and checked bit for bit with.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_BENCH_FAKEQUANTHAND_H
#define QJIT_BENCH_FAKEQUANTHAND_H

#include <cstdint>

namespace qjit::bench {

// y = (clamp(roundeven(x * fl(1/s)) + zp, qmin, qmax) - zp) * s.
void fakeQuantizeByHand(const float *x, float *y, int64_t n, float scale,
                        float zeroPoint, float qmin, float qmax);

// The same per channel: x is [channels, inner], channel c with scale[c] and
// zeroPoint[c].
void fakeQuantizePerChannelByHand(const float *x, float *y, int64_t channels,
                                  int64_t inner, const float *scale,
                                  const float *zeroPoint, float qmin,
                                  float qmax);

// y = fakeQuantize(relu(x * a[c] + b[c])) for x [channels, inner] with a and
// b of shape [channels, 1]; multiply and add rounded separately.
void fakeQuantizeChainByHand(const float *x, const float *a, const float *b,
                             float *y, int64_t channels, int64_t inner,
                             float scale, float qmin, float qmax);

// The clipped backward from the forward's mask: dx = dy * float(mask).
void fakeQuantizeGradClippedByHand(const float *dy, const bool *mask, float *dx,
                                   int64_t n);

} // namespace qjit::bench

#endif
