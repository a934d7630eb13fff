//===- ByteTile.h - 16x16 byte tiles transposed in registers ----*- C++ -*-===//
#ifndef QJIT_LIB_RUNTIME_BYTETILE_H
#define QJIT_LIB_RUNTIME_BYTETILE_H

#include <algorithm>
#include <emmintrin.h>

namespace qjit::runtime {

// Transposes the 16x16 bytes whose row i is a[i], in place: four rounds of
// byte interleaving pair row i with row i + 8. V is a 128-bit vector, or a
// wider one whose 128-bit lanes hold separate tiles (row i of tile L in lane
// L of a[i]); interleave(x, y, lo, hi) sets lo and hi to the low and the
// high halves of x's and y's bytes interleaved, within each lane. Always
// inlined, so that a caller compiled for wider vectors runs it with its own
// target; the vectors go by reference, whose ABI no target changes.
template <typename V, typename Interleave>
__attribute__((always_inline)) inline void
transposeByteTiles(V (&a)[16], Interleave interleave) {
  V b[16];
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 8; ++i)
      interleave(a[i], a[i + 8], b[2 * i], b[2 * i + 1]);
    std::copy(b, b + 16, a);
  }
}

// One tile in SSE2 registers (baseline x86-64).
inline void transposeByteTile(__m128i (&a)[16]) {
  transposeByteTiles(a, [](const __m128i &x, const __m128i &y, __m128i &lo,
                           __m128i &hi) {
    lo = _mm_unpacklo_epi8(x, y);
    hi = _mm_unpackhi_epi8(x, y);
  });
}

} // namespace qjit::runtime

#endif
