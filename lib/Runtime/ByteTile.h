//===- ByteTile.h - A 16x16 byte tile transposed in registers ---*- C++ -*-===//
#ifndef QJIT_LIB_RUNTIME_BYTETILE_H
#define QJIT_LIB_RUNTIME_BYTETILE_H

#include <algorithm>
#include <emmintrin.h>

namespace qjit::runtime {

// Transposes the 16x16 bytes whose row i is a[i], in place (SSE2, baseline
// x86-64): four rounds of byte interleaving pair row i with row i + 8.
inline void transposeByteTile(__m128i (&a)[16]) {
  __m128i b[16];
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 8; ++i) {
      b[2 * i] = _mm_unpacklo_epi8(a[i], a[i + 8]);
      b[2 * i + 1] = _mm_unpackhi_epi8(a[i], a[i + 8]);
    }
    std::copy(b, b + 16, a);
  }
}

} // namespace qjit::runtime

#endif
