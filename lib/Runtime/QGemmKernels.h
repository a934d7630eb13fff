//===- QGemmKernels.h - The per-ISA inner kernels of QGemm ------*- C++ -*-===//
//
// Internal to lib/Runtime. The drivers in QGemm.cpp fill panels of x' rows
// (K padded to a multiple of 4) and call, per tile of at most kTileRows rows
// and one group of column blocks, an ISA's `dot` (the exact int32 sums) and
// `requantize` (the epilogue writing bytes).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_RUNTIME_QGEMMKERNELS_H
#define QJIT_LIB_RUNTIME_QGEMMKERNELS_H

#include "QGemm.h"
#include <cstdint>

namespace qjit::runtime {

constexpr int64_t kBlockColumns = 16;  // columns per packed block
constexpr int64_t kTileRows = 4;       // rows per tile
constexpr int64_t kMaxTileBlocks = 4;  // blocks per tile, at most
constexpr int64_t kTileColumns = kBlockColumns * kMaxTileBlocks;

// Where a tile's results go: element (r, j) of the tile at
// base + (r * rowStride + j * columnStride) * elementBytes: bytes (levels)
// or floats (levels dequantized, qjit_qgemm's y_float).
struct OutputView {
  uint8_t *base;
  int64_t rowStride, columnStride;
  int64_t elementBytes = 1;

  uint8_t *at(int64_t r, int64_t j) const {
    return base + (r * rowStride + j * columnStride) * elementBytes;
  }
  // The view of the tile whose element (0, 0) is this one's (r, j).
  OutputView shifted(int64_t r, int64_t j) const {
    return {at(r, j), rowStride, columnStride, elementBytes};
  }
};

// The view of y [.., rows, columns] at element `offset`, strides in
// elements: bytes, or floats when g->y_float.
inline OutputView outputView(const qjit_qgemm *g, void *y, int64_t offset,
                             int64_t rowStride, int64_t columnStride) {
  int64_t bytes = g->y_float ? 4 : 1;
  return {static_cast<uint8_t *>(y) + offset * bytes, rowStride, columnStride,
          bytes};
}

// Stores level q (y_zp included) of element (r, j): the byte, or the float
// fl(float(q - y_zp) * y_scale), as Dequantize computes it.
inline void storeLevel(const qjit_qgemm *g, const OutputView &out, int64_t r,
                       int64_t j, int32_t q) {
  uint8_t *dst = out.at(r, j);
  if (!g->y_float) {
    *dst = static_cast<uint8_t>(q);
    return;
  }
  float f = (static_cast<float>(q) - static_cast<float>(g->y_zero_point)) *
            static_cast<float>(g->y_scale);
  __builtin_memcpy(dst, &f, sizeof f);
}

// One tile's epilogue inputs: columns [column, column + columns) of group
// `group`, rows with their rowsums.
struct TileEpilogue {
  const qjit_qgemm *g;
  const int32_t *columnOffsets; // of the tile's first column
  const int32_t *wZeroPoints;   // of the tile's first column
  const float *multipliers;     // of the tile's first column
  const int32_t *rowSums;       // of the tile's first row
  int64_t rows, columns;
};

// One tile's sums over kq k quads: sums[r * kTileColumns + j] = (or +=,
// when accumulating a later slice of K) the sum over those k of
// x[r * ldx + k] * w'(k, j), for r < rows, j < blocks * 16. Column block b's
// quads start at w + b * blockStride, 64 bytes each.
struct DotTile {
  const uint8_t *x;
  int64_t ldx, rows, kq;
  const int8_t *w;
  int64_t blockStride, blocks;
  int32_t *sums; // 64-byte aligned
  bool accumulate;
};

// Rows an epilogue may take at once, at most: the sums of a panel's rows
// are kept when the output's columns are strided (NCHW), so that the
// epilogue writes each column's 16 rows with one store.
constexpr int64_t kMaxEpilogueRows = 16;

struct IsaKernels {
  int64_t tileBlocks; // column blocks per tile (<= kMaxTileBlocks)
  int64_t epilogueRows; // rows `requantize` takes at once (kTileRows or
                        // kMaxEpilogueRows)
  void (*dot)(const DotTile &tile);
  void (*requantize)(const TileEpilogue &e, const int32_t *sums,
                     const OutputView &out);
  // `dot` for a full tile (kTileRows rows, tileBlocks blocks) without its
  // dispatch on the tile's shape, when the ISA has one.
  void (*fullDot)(const DotTile &tile) = nullptr;
};

const IsaKernels &scalarKernels();
const IsaKernels &avx2Kernels();
const IsaKernels &avxVnniKernels();
const IsaKernels &avx512VnniKernels();

// The portable epilogue: one element at a time (the definition).
void requantizeScalar(const TileEpilogue &e, const int32_t *sums,
                      const OutputView &out);
// Eight columns at a time with AVX2 (the AVX2 and AVX-VNNI paths).
void requantizeAvx2Tile(const TileEpilogue &e, const int32_t *sums,
                        const OutputView &out);

// Depthwise convolution (QDepthwise.cpp): one input and one output channel
// per group, at most kMaxDepthwiseTaps taps.
constexpr int64_t kMaxDepthwiseTaps = 64;
bool isDepthwise(const qjit_qgemm *g, int64_t taps);
// The bytes packDepthwise writes (both of its layouts).
int64_t depthwisePackedBytes(const qjit_qgemm *g);
// w'[tap][channel] from w (element (group, tap) at w[group * group_stride +
// tap * k_stride]); groups * taps bytes.
void packDepthwise(const qjit_qgemm *g, const uint8_t *w, int64_t kStride,
                   int64_t groupStride, int8_t *packed);
// Output positions [first, first + count) of one NHWC image, channels
// [channel_begin, channel_end); `image_y` views the image's output at its
// first element (strides unused).
void depthwiseTask(const qjit_qgemm *g, const qjit_qconv *c,
                   const IsaKernels &isa, const int8_t *packed,
                   const int32_t *columnOffsets, const uint8_t *image,
                   OutputView imageY, int64_t first, int64_t count,
                   int64_t channelBegin, int64_t channelEnd);

} // namespace qjit::runtime

#endif
