//===- GemmLoops.h - Plain-loop references of GemmBench ---------*- C++ -*-===//
#ifndef QJIT_BENCH_GEMMLOOPS_H
#define QJIT_BENCH_GEMMLOOPS_H

#include <cstdint>

namespace qjit::bench {

// c[m, n] = a[m, k] * b[k, n], row-major: the i-k-j triple loop (its inner
// loop vectorizes), compiled with g++ -O3 -march=native.
void matMulLoops(const float *a, const float *b, float *c, int64_t m, int64_t n,
                 int64_t k);

// A 3x3, stride 1, padding 1 convolution of one [channels, size, size]
// image with `groups` groups and a bias, straight from the definition.
void conv2DLoops(const float *x, const float *w, const float *bias, float *y,
                 int64_t channels, int64_t outChannels, int64_t size,
                 int64_t groups);

} // namespace qjit::bench

#endif
