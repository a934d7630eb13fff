//===- GemmLoops.cpp - Plain-loop references of GemmBench -----------------===//
#include "GemmLoops.h"

namespace qjit::bench {

void matMulLoops(const float *a, const float *b, float *c, int64_t m, int64_t n,
                 int64_t k) {
  for (int64_t i = 0; i < m; ++i) {
    float *row = c + i * n;
    for (int64_t j = 0; j < n; ++j)
      row[j] = 0.0f;
    for (int64_t p = 0; p < k; ++p) {
      float aip = a[i * k + p];
      const float *bRow = b + p * n;
      for (int64_t j = 0; j < n; ++j)
        row[j] += aip * bRow[j];
    }
  }
}

void conv2DLoops(const float *x, const float *w, const float *bias, float *y,
                 int64_t channels, int64_t outChannels, int64_t size,
                 int64_t groups) {
  int64_t groupChannels = channels / groups;
  int64_t groupOut = outChannels / groups;
  for (int64_t o = 0; o < outChannels; ++o) {
    int64_t g = o / groupOut;
    for (int64_t oy = 0; oy < size; ++oy)
      for (int64_t ox = 0; ox < size; ++ox) {
        double sum = bias[o];
        for (int64_t c = 0; c < groupChannels; ++c)
          for (int64_t ky = 0; ky < 3; ++ky)
            for (int64_t kx = 0; kx < 3; ++kx) {
              int64_t iy = oy - 1 + ky, ix = ox - 1 + kx;
              if (iy < 0 || iy >= size || ix < 0 || ix >= size)
                continue;
              sum +=
                  double(x[((g * groupChannels + c) * size + iy) * size + ix]) *
                  double(w[((o * groupChannels + c) * 3 + ky) * 3 + kx]);
            }
        y[(o * size + oy) * size + ox] = float(sum);
      }
  }
}

} // namespace qjit::bench
