//===- QGemmPortable.cpp - The scalar and AVX2 inner kernels --------------===//
//
// The scalar kernels are the definition every other path must match; the
// AVX2 ones (for hosts without VNNI) multiply bytes widened to 16 bits with
// vpmaddwd, which cannot saturate (vpmaddubsw could: 255 * 127 * 2 > 32767).
//
//===----------------------------------------------------------------------===//
#include "QGemmKernels.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <immintrin.h>

namespace qjit::runtime {
namespace {

uint32_t load32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void dotScalar(const DotTile &t) {
  for (int64_t b = 0; b < t.blocks; ++b) {
    const int8_t *block = t.w + b * t.blockStride;
    for (int64_t r = 0; r < t.rows; ++r)
      for (int64_t c = 0; c < kBlockColumns; ++c) {
        int32_t &sum = t.sums[r * kTileColumns + b * kBlockColumns + c];
        // int32 arithmetic that wraps
        uint32_t acc = t.accumulate ? static_cast<uint32_t>(sum) : 0;
        for (int64_t q = 0; q < t.kq; ++q)
          for (int64_t i = 0; i < 4; ++i)
            acc += static_cast<uint32_t>(
                int32_t(t.x[r * t.ldx + q * 4 + i]) *
                int32_t(block[(q * kBlockColumns + c) * 4 + i]));
        sum = static_cast<int32_t>(acc);
      }
  }
}

// Column c's 4 products of one k quad, as two int32 halves: vpmaddwd of 4
// columns' widened weights with x's 4 bytes widened and repeated.
__attribute__((target("avx2"))) void dotAvx2(const DotTile &t) {
  for (int64_t b = 0; b < t.blocks; ++b) {
    const int8_t *block = t.w + b * t.blockStride;
    for (int64_t r = 0; r < t.rows; ++r) {
      __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(),
                        _mm256_setzero_si256(), _mm256_setzero_si256()};
      for (int64_t q = 0; q < t.kq; ++q) {
        __m256i xs = _mm256_cvtepu8_epi16(
            _mm_set1_epi32(static_cast<int>(load32(t.x + r * t.ldx + q * 4))));
        const int8_t *wq = block + q * kBlockColumns * 4;
        for (int i = 0; i < 4; ++i) {
          __m256i ws = _mm256_cvtepi8_epi16(_mm_loadu_si128(
              reinterpret_cast<const __m128i *>(wq + 16 * i)));
          acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(ws, xs));
        }
      }
      // hadd pairs the halves within 128-bit lanes: [c0 c1 c4 c5 | c2 c3
      // c6 c7]; the permute restores column order.
      for (int i = 0; i < 4; i += 2) {
        __m256i sum = _mm256_permute4x64_epi64(
            _mm256_hadd_epi32(acc[i], acc[i + 1]), 0xD8);
        auto *sums = reinterpret_cast<__m256i *>(
            t.sums + r * kTileColumns + b * kBlockColumns + i * 4);
        if (t.accumulate)
          sum = _mm256_add_epi32(sum, _mm256_loadu_si256(sums));
        _mm256_storeu_si256(sums, sum);
      }
    }
  }
}

} // namespace

void requantizeScalar(const TileEpilogue &e, const int32_t *sums,
                      const OutputView &out) {
  const qjit_qgemm *g = e.g;
  float lo = static_cast<float>(g->lo - g->y_zero_point);
  float hi = static_cast<float>(g->hi - g->y_zero_point);
  for (int64_t r = 0; r < e.rows; ++r)
    for (int64_t j = 0; j < e.columns; ++j) {
      uint32_t acc = static_cast<uint32_t>(sums[r * kTileColumns + j]) +
                     static_cast<uint32_t>(e.columnOffsets[j]);
      if (g->has_w_zero_points)
        acc -= static_cast<uint32_t>(e.wZeroPoints[j]) *
               static_cast<uint32_t>(e.rowSums[r]);
      float v = static_cast<float>(static_cast<int32_t>(acc)) *
                e.multipliers[j];
      // Clamping before rounding is the same as after: the bounds are
      // integers.
      v = std::min(std::max(v, lo), hi);
      int32_t q = static_cast<int32_t>(std::nearbyint(v)) +
                  static_cast<int32_t>(g->y_zero_point);
      storeLevel(g, out, r, j, q);
    }
}

namespace {

// Eight columns at a time; the last few columns of a tile go through the
// scalar epilogue.
__attribute__((target("avx2"))) void
requantizeAvx2(const TileEpilogue &e, const int32_t *sums, const OutputView &out) {
  const qjit_qgemm *g = e.g;
  __m256 lo = _mm256_set1_ps(static_cast<float>(g->lo - g->y_zero_point));
  __m256 hi = _mm256_set1_ps(static_cast<float>(g->hi - g->y_zero_point));
  __m256i zp = _mm256_set1_epi32(static_cast<int>(g->y_zero_point));
  __m256i lowBytes = _mm256_setr_epi8(
      0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, //
      0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  int64_t vectorColumns = e.columns / 8 * 8;
  for (int64_t r = 0; r < e.rows; ++r) {
    for (int64_t j = 0; j < vectorColumns; j += 8) {
      __m256i acc = _mm256_add_epi32(
          _mm256_loadu_si256(
              reinterpret_cast<const __m256i *>(sums + r * kTileColumns + j)),
          _mm256_loadu_si256(
              reinterpret_cast<const __m256i *>(e.columnOffsets + j)));
      if (g->has_w_zero_points)
        acc = _mm256_sub_epi32(
            acc, _mm256_mullo_epi32(_mm256_loadu_si256(
                                        reinterpret_cast<const __m256i *>(
                                            e.wZeroPoints + j)),
                                    _mm256_set1_epi32(e.rowSums[r])));
      __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(acc),
                               _mm256_loadu_ps(e.multipliers + j));
      v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
      __m256i q = _mm256_add_epi32(
          _mm256_cvtps_epi32(_mm256_round_ps(
              v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)),
          zp);
      uint8_t *dst = out.at(r, j);
      if (g->y_float) {
        alignas(32) int32_t values[8];
        _mm256_store_si256(reinterpret_cast<__m256i *>(values), q);
        for (int i = 0; i < 8; ++i)
          storeLevel(g, out, r, j + i, values[i]);
      } else if (out.columnStride == 1) {
        __m256i bytes = _mm256_shuffle_epi8(q, lowBytes);
        uint32_t halves[2] = {
            static_cast<uint32_t>(_mm256_extract_epi32(bytes, 0)),
            static_cast<uint32_t>(_mm256_extract_epi32(bytes, 4))};
        std::memcpy(dst, halves, 8);
      } else {
        alignas(32) int32_t values[8];
        _mm256_store_si256(reinterpret_cast<__m256i *>(values), q);
        for (int i = 0; i < 8; ++i)
          dst[i * out.columnStride] = static_cast<uint8_t>(values[i]);
      }
    }
  }
  if (vectorColumns < e.columns) {
    TileEpilogue rest = e;
    rest.columnOffsets += vectorColumns;
    rest.wZeroPoints += vectorColumns;
    rest.multipliers += vectorColumns;
    rest.columns -= vectorColumns;
    requantizeScalar(rest, sums + vectorColumns, out.shifted(0, vectorColumns));
  }
}

} // namespace

// Shared with the AVX-VNNI kernels.
void requantizeAvx2Tile(const TileEpilogue &e, const int32_t *sums,
                        const OutputView &out) {
  requantizeAvx2(e, sums, out);
}

const IsaKernels &scalarKernels() {
  static const IsaKernels kernels{1, kTileRows, dotScalar, requantizeScalar};
  return kernels;
}

const IsaKernels &avx2Kernels() {
  static const IsaKernels kernels{1, kTileRows, dotAvx2, requantizeAvx2};
  return kernels;
}

} // namespace qjit::runtime
