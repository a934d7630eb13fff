//===- QGemmVnni.cpp - The vpdpbusd inner kernels --------------------------===//
//
// vpdpbusd adds, per 32-bit lane, the 4 products of x's u8 quad (broadcast
// to every lane) with one column's s8 quad: 64 multiply-adds per zmm
// instruction. A tile keeps its sums in registers: rows x blocks
// accumulators (AVX-512: 4 x 4 zmm; AVX-VNNI: 4 x 2 ymm for one block).
//
//===----------------------------------------------------------------------===//
#include "ByteTile.h"
#include "QGemmKernels.h"
#include <algorithm>
#include <cstring>
#include <immintrin.h>

#define QJIT_AVX512_VNNI                                                       \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define QJIT_AVX_VNNI __attribute__((target("avx2,avxvnni")))

namespace qjit::runtime {
namespace {

constexpr int64_t kBlockBytesPerQuad = kBlockColumns * 4;

int32_t load32(const uint8_t *p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// acc += the dot products of x's and w's byte quads, in place. GCC 12 does
// not tie the intrinsics' accumulator to their result and copies every
// accumulator each step; the asm operand "+v" keeps it in its register.
QJIT_AVX512_VNNI inline void dpbusd(__m512i &acc, __m512i x, __m512i w) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w));
}

QJIT_AVX_VNNI inline void dpbusd(__m256i &acc, __m256i x, __m256i w) {
  asm("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(x), "x"(w));
}

// Smaller tiles (the last rows or columns of a product): the intrinsics,
// which GCC 12 compiles with a register copy per step.
template <int Rows, int Blocks>
QJIT_AVX512_VNNI void dotAvx512(const DotTile &t) {
  __m512i acc[Rows][Blocks];
  for (int r = 0; r < Rows; ++r)
    for (int b = 0; b < Blocks; ++b)
      acc[r][b] = _mm512_setzero_si512();
  for (int64_t q = 0; q < t.kq; ++q) {
    __m512i ws[Blocks];
    for (int b = 0; b < Blocks; ++b)
      ws[b] = _mm512_load_si512(t.w + b * t.blockStride +
                                q * kBlockBytesPerQuad);
    for (int r = 0; r < Rows; ++r) {
      __m512i xs = _mm512_set1_epi32(load32(t.x + r * t.ldx + q * 4));
      for (int b = 0; b < Blocks; ++b)
        acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], xs, ws[b]);
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int b = 0; b < Blocks; ++b) {
      int32_t *sums = t.sums + r * kTileColumns + b * kBlockColumns;
      if (t.accumulate)
        acc[r][b] = _mm512_add_epi32(acc[r][b], _mm512_load_si512(sums));
      _mm512_store_si512(sums, acc[r][b]);
    }
}

// The full 4 x 4 tile, most of the work: 16 accumulators in named
// registers, 4 weight loads and 4 broadcasts per 16 vpdpbusd.
template <> QJIT_AVX512_VNNI void dotAvx512<4, 4>(const DotTile &t) {
#define QJIT_ROW(r)                                                            \
  __m512i c##r##0 = _mm512_setzero_si512(), c##r##1 = c##r##0,                 \
          c##r##2 = c##r##0, c##r##3 = c##r##0;
  QJIT_ROW(0) QJIT_ROW(1) QJIT_ROW(2) QJIT_ROW(3)
#undef QJIT_ROW
  const int8_t *w0 = t.w, *w1 = t.w + t.blockStride,
               *w2 = t.w + 2 * t.blockStride, *w3 = t.w + 3 * t.blockStride;
  const uint8_t *x = t.x;
  int64_t ldx = t.ldx;
  for (int64_t q = 0; q < t.kq; ++q) {
    int64_t at = q * kBlockBytesPerQuad;
    __m512i b0 = _mm512_load_si512(w0 + at), b1 = _mm512_load_si512(w1 + at),
            b2 = _mm512_load_si512(w2 + at), b3 = _mm512_load_si512(w3 + at);
#define QJIT_ROW(r)                                                            \
  {                                                                            \
    __m512i a = _mm512_set1_epi32(load32(x + r * ldx + q * 4));               \
    dpbusd(c##r##0, a, b0);                                                    \
    dpbusd(c##r##1, a, b1);                                                    \
    dpbusd(c##r##2, a, b2);                                                    \
    dpbusd(c##r##3, a, b3);                                                    \
  }
    QJIT_ROW(0) QJIT_ROW(1) QJIT_ROW(2) QJIT_ROW(3)
#undef QJIT_ROW
  }
  auto store = [&](int64_t offset, __m512i v) QJIT_AVX512_VNNI {
    int32_t *sums = t.sums + offset;
    if (t.accumulate)
      v = _mm512_add_epi32(v, _mm512_load_si512(sums));
    _mm512_store_si512(sums, v);
  };
#define QJIT_ROW(r)                                                            \
  store(r * kTileColumns, c##r##0);                                            \
  store(r * kTileColumns + 16, c##r##1);                                       \
  store(r * kTileColumns + 32, c##r##2);                                       \
  store(r * kTileColumns + 48, c##r##3);
  QJIT_ROW(0) QJIT_ROW(1) QJIT_ROW(2) QJIT_ROW(3)
#undef QJIT_ROW
}

using DotFn = void (*)(const DotTile &);

template <int Rows> constexpr DotFn avx512ForBlocks(int64_t blocks) {
  return blocks == 1   ? dotAvx512<Rows, 1>
         : blocks == 2 ? dotAvx512<Rows, 2>
         : blocks == 3 ? dotAvx512<Rows, 3>
                       : dotAvx512<Rows, 4>;
}

void dotAvx512Tile(const DotTile &t) {
  DotFn fn = t.rows == 1   ? avx512ForBlocks<1>(t.blocks)
             : t.rows == 2 ? avx512ForBlocks<2>(t.blocks)
             : t.rows == 3 ? avx512ForBlocks<3>(t.blocks)
                           : avx512ForBlocks<4>(t.blocks);
  fn(t);
}

// The epilogue's per-column constants of 16 columns and its bounds.
struct Requantizer {
  __m512i offsets, wZeroPoints;
  __m512 multipliers, lo, hi;
  __m512i zp;
  bool hasWZeroPoints;

  QJIT_AVX512_VNNI Requantizer(const TileEpilogue &e, int64_t j,
                               __mmask16 mask) {
    const qjit_qgemm *g = e.g;
    lo = _mm512_set1_ps(static_cast<float>(g->lo - g->y_zero_point));
    hi = _mm512_set1_ps(static_cast<float>(g->hi - g->y_zero_point));
    zp = _mm512_set1_epi32(static_cast<int>(g->y_zero_point));
    offsets = _mm512_maskz_loadu_epi32(mask, e.columnOffsets + j);
    wZeroPoints = _mm512_maskz_loadu_epi32(mask, e.wZeroPoints + j);
    multipliers = _mm512_maskz_loadu_ps(mask, e.multipliers + j);
    hasWZeroPoints = g->has_w_zero_points;
  }

  // One row's 16 sums times the multipliers, before the bounds.
  QJIT_AVX512_VNNI __m512 scaled(const int32_t *sums,
                                 const int32_t *rowSum) const {
    __m512i acc = _mm512_add_epi32(_mm512_load_si512(sums), offsets);
    if (hasWZeroPoints)
      acc = _mm512_sub_epi32(
          acc, _mm512_mullo_epi32(wZeroPoints, _mm512_set1_epi32(*rowSum)));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(acc), multipliers);
  }

  QJIT_AVX512_VNNI static __m512i rounded(__m512 v) {
    return _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT |
                                           _MM_FROUND_NO_EXC);
  }

  // The levels of one row's 16 sums.
  QJIT_AVX512_VNNI __m512i operator()(const int32_t *sums,
                                      const int32_t *rowSum) const {
    __m512 v = scaled(sums, rowSum);
    v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
    return _mm512_add_epi32(rounded(v), zp);
  }

  // The same levels without y_zp and the lower bound: roundeven(min(v, hi
  // - y_zp)). Rounding commutes with bounds that are integers, and a v
  // below the int32 range (or NaN, which min passes on) rounds to the int32
  // minimum: once saturated to int16, y_zp added and the lower bound
  // applied, each gives the level operator() does.
  QJIT_AVX512_VNNI __m512i unboundedBelow(const int32_t *sums,
                                          const int32_t *rowSum) const {
    return rounded(_mm512_min_ps(hi, scaled(sums, rowSum)));
  }
};

// The levels of a row's (up to) 64 columns as bytes in column order: packed
// by saturating packs (the levels are in the type's range already), whose
// lane order one dword permutation undoes.
struct RowLevels {
  Requantizer q0, q1, q2, q3;
  __m512i order;
  __m512i zp, lo; // int16 lanes
  bool unsignedLevels;

  static __mmask16 maskOf(const TileEpilogue &e, int64_t j) {
    int64_t count = std::clamp<int64_t>(e.columns - j, 0, 16);
    return static_cast<__mmask16>((1u << count) - 1);
  }
  QJIT_AVX512_VNNI explicit RowLevels(const TileEpilogue &e)
      : q0(e, 0, maskOf(e, 0)), q1(e, 16, maskOf(e, 16)),
        q2(e, 32, maskOf(e, 32)), q3(e, 48, maskOf(e, 48)),
        order(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7,
                                11, 15)),
        zp(_mm512_set1_epi16(static_cast<short>(e.g->y_zero_point))),
        lo(_mm512_set1_epi16(static_cast<short>(e.g->lo))),
        unsignedLevels(e.g->lo >= 0) {
    static_assert(kTileColumns == 64, "four 16-column vectors per row");
  }

  // Row r of the tile's sums.
  QJIT_AVX512_VNNI __m512i operator()(const TileEpilogue &e,
                                      const int32_t *sums, int64_t r) const {
    const int32_t *row = sums + r * kTileColumns;
    const int32_t *rowSum = e.rowSums ? e.rowSums + r : nullptr;
    // Two rows' worth of 16-bit lanes at a time: y_zp and the lower bound
    // on 32 values per instruction.
    auto levels16 = [&](__m512i a, __m512i b) QJIT_AVX512_VNNI {
      return _mm512_max_epi16(
          _mm512_adds_epi16(_mm512_packs_epi32(a, b), zp), lo);
    };
    __m512i ab = levels16(q0.unboundedBelow(row, rowSum),
                          q1.unboundedBelow(row + 16, rowSum));
    __m512i cd = levels16(q2.unboundedBelow(row + 32, rowSum),
                          q3.unboundedBelow(row + 48, rowSum));
    __m512i bytes = unsignedLevels ? _mm512_packus_epi16(ab, cd)
                                   : _mm512_packs_epi16(ab, cd);
    return _mm512_permutexvar_epi32(order, bytes);
  }
};

// Contiguous columns (more than 16): a row of levels at a time, one store.
QJIT_AVX512_VNNI void requantizeRowsAvx512(const TileEpilogue &e,
                                           const int32_t *sums,
                                           const OutputView &out) {
  RowLevels levels(e);
  __mmask64 store = e.columns >= 64 ? ~__mmask64(0)
                                    : (__mmask64(1) << e.columns) - 1;
  for (int64_t r = 0; r < e.rows; ++r)
    _mm512_mask_storeu_epi8(out.at(r, 0), store, levels(e, sums, r));
}

// Strided columns whose rows are consecutive bytes (a convolution's
// positions, NCHW): up to 16 rows of 64 columns as rows of levels, the four
// 16x16 tiles they make transposed at once, then each column's rows one
// store.
QJIT_AVX512_VNNI void requantizeColumnsAvx512(const TileEpilogue &e,
                                              const int32_t *sums,
                                              const OutputView &out) {
  RowLevels levels(e);
  __m512i rows[kMaxEpilogueRows];
  for (int64_t r = 0; r < kMaxEpilogueRows; ++r)
    rows[r] = r < e.rows ? levels(e, sums, r) : _mm512_setzero_si512();
  transposeByteTiles(rows, [](const __m512i &x, const __m512i &y, __m512i &lo,
                              __m512i &hi) QJIT_AVX512_VNNI {
    lo = _mm512_unpacklo_epi8(x, y);
    hi = _mm512_unpackhi_epi8(x, y);
  });
  auto mask = static_cast<__mmask16>((1u << e.rows) - 1);
  for (int64_t j = 0; j < e.columns; ++j) {
    __m512i tiles = rows[j % 16];
    __m128i column = j < 16   ? _mm512_castsi512_si128(tiles)
                     : j < 32 ? _mm512_extracti32x4_epi32(tiles, 1)
                     : j < 48 ? _mm512_extracti32x4_epi32(tiles, 2)
                              : _mm512_extracti32x4_epi32(tiles, 3);
    if (e.rows == kMaxEpilogueRows)
      _mm_storeu_si128(reinterpret_cast<__m128i *>(out.at(0, j)), column);
    else
      _mm_mask_storeu_epi8(out.at(0, j), mask, column);
  }
}

// Sixteen columns of up to kMaxEpilogueRows rows at a time; masked loads and
// stores cover the last columns. Float results are the levels dequantized as Dequantize computes
// them, fl(fl(float(q) - float(y_zp)) * y_scale).
QJIT_AVX512_VNNI void requantizeAvx512(const TileEpilogue &e,
                                       const int32_t *sums, const OutputView &out) {
  const qjit_qgemm *g = e.g;
  if (!g->y_float && out.columnStride == 1 && e.columns > 16)
    return requantizeRowsAvx512(e, sums, out);
  if (!g->y_float && out.rowStride == 1)
    return requantizeColumnsAvx512(e, sums, out);
  __m512 zp = _mm512_set1_ps(static_cast<float>(g->y_zero_point));
  __m512 scale = _mm512_set1_ps(static_cast<float>(g->y_scale));
  for (int64_t j = 0; j < e.columns; j += 16) {
    int64_t count = std::min<int64_t>(16, e.columns - j);
    __mmask16 mask = static_cast<__mmask16>((1u << count) - 1);
    Requantizer levels(e, j, mask);
    for (int64_t r = 0; r < e.rows; ++r) {
      __m512i q = levels(sums + r * kTileColumns + j,
                         e.rowSums ? e.rowSums + r : nullptr);
      if (g->y_float && out.columnStride == 1) {
        __m512 f =
            _mm512_mul_ps(_mm512_sub_ps(_mm512_cvtepi32_ps(q), zp), scale);
        _mm512_mask_storeu_ps(out.at(r, j), mask, f);
      } else if (out.columnStride == 1) {
        _mm512_mask_cvtepi32_storeu_epi8(out.at(r, j), mask, q);
      } else { // strided floats, or bytes strided both ways
        alignas(64) int32_t values[16];
        _mm512_store_si512(values, q);
        for (int64_t i = 0; i < count; ++i)
          storeLevel(g, out, r, j + i, values[i]);
      }
    }
  }
}

template <int Rows> QJIT_AVX_VNNI void dotAvxVnni(const DotTile &t) {
  __m256i acc[Rows][2];
  for (int r = 0; r < Rows; ++r)
    acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  for (int64_t q = 0; q < t.kq; ++q) {
    const int8_t *wq = t.w + q * kBlockBytesPerQuad;
    __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i *>(wq));
    __m256i w1 = _mm256_load_si256(reinterpret_cast<const __m256i *>(wq + 32));
    for (int r = 0; r < Rows; ++r) {
      __m256i xs = _mm256_set1_epi32(load32(t.x + r * t.ldx + q * 4));
      dpbusd(acc[r][0], xs, w0);
      dpbusd(acc[r][1], xs, w1);
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int h = 0; h < 2; ++h) {
      auto *sums =
          reinterpret_cast<__m256i *>(t.sums + r * kTileColumns + 8 * h);
      if (t.accumulate)
        acc[r][h] = _mm256_add_epi32(acc[r][h], _mm256_loadu_si256(sums));
      _mm256_storeu_si256(sums, acc[r][h]);
    }
}

// One block per tile (16 ymm registers hold no more).
void dotAvxVnniTile(const DotTile &t) {
  DotFn fn = t.rows == 1   ? dotAvxVnni<1>
             : t.rows == 2 ? dotAvxVnni<2>
             : t.rows == 3 ? dotAvxVnni<3>
                           : dotAvxVnni<4>;
  fn(t);
}

} // namespace

const IsaKernels &avxVnniKernels() {
  static const IsaKernels kernels{1, kTileRows, dotAvxVnniTile,
                                  requantizeAvx2Tile};
  return kernels;
}

const IsaKernels &avx512VnniKernels() {
  static const IsaKernels kernels{kMaxTileBlocks, kMaxEpilogueRows,
                                  dotAvx512Tile, requantizeAvx512,
                                  dotAvx512<kTileRows, kMaxTileBlocks>};
  return kernels;
}

} // namespace qjit::runtime
