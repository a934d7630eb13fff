//===- TransposeBytes.cpp - Transposes of byte matrices -------------------===//
#include "TransposeBytes.h"
#include "ByteTile.h"
#include <algorithm>
#include <emmintrin.h>

namespace qjit::runtime {
namespace {

// One 16x16 tile.
void transpose16x16(const uint8_t *src, int64_t srcStride, uint8_t *dst,
                    int64_t dstStride, uint8_t flip) {
  __m128i a[16];
  for (int i = 0; i < 16; ++i)
    a[i] = _mm_loadu_si128(
        reinterpret_cast<const __m128i *>(src + i * srcStride));
  transposeByteTile(a);
  __m128i flips = _mm_set1_epi8(static_cast<char>(flip));
  for (int j = 0; j < 16; ++j)
    _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + j * dstStride),
                     _mm_xor_si128(a[j], flips));
}

// 16 rows by 8 columns (a row of pixels whose length is 8 past a multiple
// of 16, such as 56): the tile's right half is zero, its first 8 columns
// are the 8 rows written.
void transpose16x8(const uint8_t *src, int64_t srcStride, uint8_t *dst,
                   int64_t dstStride, uint8_t flip) {
  __m128i a[16];
  for (int i = 0; i < 16; ++i)
    a[i] = _mm_loadl_epi64(
        reinterpret_cast<const __m128i *>(src + i * srcStride));
  transposeByteTile(a);
  __m128i flips = _mm_set1_epi8(static_cast<char>(flip));
  for (int j = 0; j < 8; ++j)
    _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + j * dstStride),
                     _mm_xor_si128(a[j], flips));
}

// Columns per stripe: a stripe's rows read and the rows written stay in the
// L1 cache.
constexpr int64_t kStripeColumns = 64;

} // namespace

void transposeBytes(const uint8_t *src, int64_t srcStride, uint8_t *dst,
                    int64_t dstStride, int64_t rows, int64_t cols,
                    uint8_t flip) {
  int64_t fullRows = rows / 16 * 16;
  for (int64_t j0 = 0; j0 < cols; j0 += kStripeColumns) {
    int64_t j1 = std::min(cols, j0 + kStripeColumns);
    int64_t fullEnd = j0 + (j1 - j0) / 16 * 16;
    for (int64_t i = 0; i < fullRows; i += 16)
      for (int64_t j = j0; j < fullEnd; j += 16)
        transpose16x16(src + i * srcStride + j, srcStride,
                       dst + j * dstStride + i, dstStride, flip);
    if (j1 - fullEnd >= 8) {
      for (int64_t i = 0; i < fullRows; i += 16)
        transpose16x8(src + i * srcStride + fullEnd, srcStride,
                      dst + fullEnd * dstStride + i, dstStride, flip);
      fullEnd += 8;
    }
    // The edges, byte by byte: rows past the last whole tile in every
    // column, columns past the last whole tile in the tiled rows.
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = i < fullRows ? fullEnd : j0; j < j1; ++j)
        dst[j * dstStride + i] = src[i * srcStride + j] ^ flip;
  }
}

} // namespace qjit::runtime

namespace {

// Rows or columns per task of qjit_transpose_bytes: tasks are strips of the
// longer side, whole tiles wide.
constexpr int64_t kTaskStrip = 256;

struct Strips {
  bool alongRows; // strips of rows (rows >= cols), else of columns
  int64_t perMatrix;
  Strips(int64_t rows, int64_t cols)
      : alongRows(rows >= cols),
        perMatrix((std::max(rows, cols) + kTaskStrip - 1) / kTaskStrip) {}
};

} // namespace

extern "C" int64_t qjit_transpose_byte_tasks(int64_t batches, int64_t rows,
                                             int64_t cols) {
  return batches * Strips(rows, cols).perMatrix;
}

extern "C" void qjit_transpose_bytes(const void *src, void *dst,
                                     int64_t rows, int64_t cols,
                                     int64_t taskBegin, int64_t taskEnd) {
  const auto *in = static_cast<const uint8_t *>(src);
  auto *out = static_cast<uint8_t *>(dst);
  Strips strips(rows, cols);
  for (int64_t task = taskBegin; task < taskEnd; ++task) {
    int64_t b = task / strips.perMatrix;
    int64_t first = task % strips.perMatrix * kTaskStrip;
    const uint8_t *from = in + b * rows * cols;
    uint8_t *to = out + b * rows * cols;
    if (strips.alongRows) // src rows [first, ..) -> dst columns
      qjit::runtime::transposeBytes(from + first * cols, cols, to + first,
                                    rows, std::min(kTaskStrip, rows - first),
                                    cols, 0);
    else // src columns [first, ..) -> dst rows
      qjit::runtime::transposeBytes(from + first, cols, to + first * rows,
                                    rows, rows,
                                    std::min(kTaskStrip, cols - first), 0);
  }
}
