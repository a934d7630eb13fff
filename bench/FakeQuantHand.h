//===- FakeQuantHand.h - Fake quantization written by hand ------*- C++ -*-===//
#ifndef QJIT_BENCH_FAKEQUANTHAND_H
#define QJIT_BENCH_FAKEQUANTHAND_H

#include <cstdint>

namespace qjit::bench {

// y = (clamp(roundeven(x * fl(1/s)) + zp, qmin, qmax) - zp) * s, the loop a
// C++ programmer writes (FAKE_QUANT.md), compiled with -O3 -march=native.
void fakeQuantizeByHand(const float *x, float *y, int64_t n, float scale,
                        float zeroPoint, float qmin, float qmax);

} // namespace qjit::bench

#endif
