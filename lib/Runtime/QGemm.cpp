//===- QGemm.cpp - Packing, panels and the drivers of the integer GEMM ----===//
#include "QGemm.h"
#include "QGemmKernels.h"
#include "RunFailure.h"
#include "TransposeBytes.h"
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

using namespace qjit::runtime;

namespace {

int64_t paddedDepth(const qjit_qgemm *g) { return (g->k + 3) / 4 * 4; }
int64_t blockCount(const qjit_qgemm *g) {
  return (g->n + kBlockColumns - 1) / kBlockColumns;
}
// Bytes of one packed block and of one group's packed weights.
int64_t blockBytes(const qjit_qgemm *g) {
  return paddedDepth(g) * kBlockColumns;
}
int64_t groupBytes(const qjit_qgemm *g) {
  return blockCount(g) * blockBytes(g);
}

int32_t wrap(int64_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(v));
}

const IsaKernels &kernelsFor(int64_t isa) {
  switch (isa) {
  case QJIT_ISA_AVX512_VNNI:
    return avx512VnniKernels();
  case QJIT_ISA_AVX_VNNI:
    return avxVnniKernels();
  case QJIT_ISA_AVX2:
    return avx2Kernels();
  default:
    return scalarKernels();
  }
}

// Rows of x' (K padded with zeros to a multiple of 4) and their sums: one
// per thread, reused across calls.
struct Panel {
  uint8_t *rows = nullptr;
  int32_t *rowSums = nullptr;
  int32_t *sums = nullptr; // kTileColumns per row, for sliced K
  int64_t capacity = 0;    // bytes of `rows`
  int64_t rowCapacity = 0;

  // False when the buffers cannot be allocated: the run fails
  // (RunFailure.h) and the caller does nothing.
  bool reserve(int64_t count, int64_t depth) {
    // At least one cache line, so that an empty depth still has a buffer.
    int64_t bytes = std::max<int64_t>(count * depth, 64);
    if (qjit::scratchAllocationsFailForTesting())
      release();
    if (bytes > capacity) {
      std::free(rows);
      capacity = bytes;
      rows = static_cast<uint8_t *>(
          std::aligned_alloc(64, (capacity + 63) / 64 * 64));
    }
    if (count > rowCapacity) {
      std::free(rowSums);
      std::free(sums);
      rowCapacity = std::max<int64_t>(count, 1);
      rowSums =
          static_cast<int32_t *>(std::malloc(rowCapacity * sizeof(int32_t)));
      sums = static_cast<int32_t *>(
          std::aligned_alloc(64, rowCapacity * kTileColumns * sizeof(int32_t)));
    }
    if (rows && rowSums && sums && !qjit::scratchAllocationsFailForTesting())
      return true;
    release();
    char what[96];
    std::snprintf(what, sizeof what,
                  "cannot allocate the %lld-byte panel of an integer GEMM",
                  static_cast<long long>(bytes));
    qjit_run_failed(what);
    return false;
  }
  void release() {
    std::free(rows);
    std::free(rowSums);
    std::free(sums);
    rows = nullptr;
    rowSums = sums = nullptr;
    capacity = rowCapacity = 0;
  }
  ~Panel() { release(); }
};

thread_local Panel panel;

// Pixels per block of qjit_qconv_to_nhwc.
constexpr int64_t kNhwcPixels = 64;

// Rows per panel: about 64 KB of x', a multiple of the tile height.
constexpr int64_t kMaxPanelRows = 256;
int64_t panelRows(int64_t depth) {
  int64_t rows = (int64_t(64) << 10) / std::max<int64_t>(depth, 1);
  return std::clamp<int64_t>(rows / kTileRows * kTileRows, kTileRows,
                             kMaxPanelRows);
}

// Quads of k per slice when K is long: a slice of a 4-block column group's
// weights (32 KB) stays in the L1 cache while every tile of the panel uses
// it; the tiles' sums wait in the panel's buffer between slices.
constexpr int64_t kSliceQuads = 128;

// Where a tile's x' rows are: the tile of rows [r, r + 4) in slice
// `slice` (quads [slice * sliceQuads, ...)) starts at `x`, a row every `ldx`
// bytes.
struct TileRows {
  const uint8_t *x;
  int64_t ldx;
};

// The rows of a filled panel (or of x itself).
struct PanelRows {
  const uint8_t *x;
  int64_t ldx, sliceQuads;
  TileRows operator()(int64_t r, int64_t slice) const {
    return {x + r * ldx + slice * sliceQuads * 4, ldx};
  }
};

// Columns [begin, end) of a group.
struct ColumnRange {
  int64_t begin, end;
};

// Multiplies `rows` rows of x' by one group's packed weights, columns
// `range`, writing `out` (its first row and the group's first column). K
// runs in slices of sliceQuads quads when it is longer; rowsOf says where
// each tile's rows of a slice are.
template <typename RowSource>
void multiplyTiles(const qjit_qgemm *g, const IsaKernels &isa, int64_t group,
                   ColumnRange range, const RowSource &rowsOf,
                   int64_t sliceQuads, const int32_t *rowSums, int64_t rows,
                   const int8_t *packed, const int32_t *columnOffsets,
                   OutputView out) {
  alignas(64) int32_t tileSums[kTileRows * kTileColumns];
  int64_t kq = paddedDepth(g) / 4;
  bool sliced = kq > sliceQuads;
  // The epilogue takes up to isa.epilogueRows rows at once (its per-column
  // constants loaded once for them; NCHW bytes: a column's rows one store),
  // as soon as their last slice of K is summed. Their sums wait in the
  // panel's buffer then, and when K is sliced.
  int64_t epilogueRows = isa.epilogueRows;
  bool buffered = sliced || epilogueRows > kTileRows;
  int64_t stepColumns = isa.tileBlocks * kBlockColumns;
  const int8_t *groupPacked = packed + group * groupBytes(g);
  int64_t firstColumn = group * g->n;
  for (int64_t j = range.begin; j < range.end; j += stepColumns) {
    int64_t columns = std::min(stepColumns, range.end - j);
    int64_t blocks = (columns + kBlockColumns - 1) / kBlockColumns;
    const int8_t *w = groupPacked + j / kBlockColumns * blockBytes(g);
    auto sumsOf = [&](int64_t r) {
      return buffered ? panel.sums + r * kTileColumns : tileSums;
    };
    auto requantize = [&](int64_t r, int64_t tileRows) {
      TileEpilogue e{g,
                     columnOffsets + firstColumn + j,
                     g->w_zero_points + firstColumn + j,
                     g->multipliers + firstColumn + j,
                     rowSums ? rowSums + r : nullptr,
                     tileRows,
                     columns};
      OutputView tile = out.shifted(r, j);
      isa.requantize(e, sumsOf(r), tile);
    };
    // One slice at least: K = 0 still writes its (empty) sums.
    int64_t slices = sliced ? (kq + sliceQuads - 1) / sliceQuads : 1;
    for (int64_t slice = 0; slice < slices; ++slice) {
      int64_t q = slice * sliceQuads;
      int64_t quads = sliced ? std::min(sliceQuads, kq - q) : kq;
      for (int64_t r = 0; r < rows; r += kTileRows) {
        int64_t tileRows = std::min(kTileRows, rows - r);
        TileRows x = rowsOf(r, slice);
        bool full = tileRows == kTileRows && blocks == isa.tileBlocks;
        auto dot = full && isa.fullDot ? isa.fullDot : isa.dot;
        dot({x.x, x.ldx, tileRows, quads, w + q * kBlockColumns * 4,
             blockBytes(g), blocks, sumsOf(r), q > 0});
        int64_t done = r + tileRows; // tiles start at multiples of 4
        if (slice + 1 == slices && (done == rows || done % epilogueRows == 0)) {
          int64_t first = (done - 1) / epilogueRows * epilogueRows;
          requantize(first, done - first);
        }
      }
    }
  }
}

// Copies rows [first, first + count) of x [m, k] into the panel as x'.
void fillMatrixPanel(const qjit_qgemm *g, const uint8_t *x, int64_t first,
                     int64_t count) {
  int64_t depth = paddedDepth(g);
  uint8_t flip = g->x_signed ? 0x80 : 0;
  for (int64_t r = 0; r < count; ++r) {
    const uint8_t *src = x + (first + r) * g->k;
    uint8_t *dst = panel.rows + r * depth;
    uint32_t sum = 0;
    for (int64_t k = 0; k < g->k; ++k) {
      dst[k] = src[k] ^ flip;
      sum += dst[k];
    }
    std::memset(dst + g->k, 0, depth - g->k);
    panel.rowSums[r] = static_cast<int32_t>(sum);
  }
}

// The patches of output positions [first, first + count) of one image and
// group (but the tiles skipTiles marks, if given), as x' rows: k runs over (kh,
// kw, channel), the channels of a tap contiguous in the NHWC image; taps in the
// padding read x_zp'.
void fillPatchPanel(const qjit_qgemm *g, const qjit_qconv *c,
                    const uint8_t *image, int64_t group, int64_t first,
                    int64_t count, const int64_t *skipTiles) {
  int64_t depth = paddedDepth(g);
  int64_t groupChannels = c->channels / g->groups;
  const uint8_t *channels = image + group * groupChannels;
  int pad = static_cast<int>(g->x_zero_point);
  bool contiguousTaps = g->groups == 1 && c->dilation_w == 1;
  for (int64_t r = 0; r < count; ++r) {
    if (skipTiles && skipTiles[r / kTileRows] >= 0)
      continue; // read from the image itself (ImageRows)
    int64_t position = first + r;
    int64_t oh = position / c->out_w, ow = position % c->out_w;
    uint8_t *dst = panel.rows + r * depth;
    for (int64_t kh = 0; kh < c->kernel_h; ++kh) {
      int64_t ih = oh * c->stride_h - c->pad_h + kh * c->dilation_h;
      bool rowInside = ih >= 0 && ih < c->height;
      // With one group and no dilation along w, a row of taps inside the
      // image is one run of the NHWC image (few channels: many short taps).
      int64_t iw0 = ow * c->stride_w - c->pad_w;
      if (rowInside && contiguousTaps && iw0 >= 0 &&
          iw0 + c->kernel_w <= c->width) {
        std::memcpy(dst, channels + (ih * c->width + iw0) * c->channels,
                    c->kernel_w * groupChannels);
        dst += c->kernel_w * groupChannels;
        continue;
      }
      for (int64_t kw = 0; kw < c->kernel_w; ++kw) {
        int64_t iw = ow * c->stride_w - c->pad_w + kw * c->dilation_w;
        if (rowInside && iw >= 0 && iw < c->width)
          std::memcpy(dst, channels + (ih * c->width + iw) * c->channels,
                      groupChannels);
        else
          std::memset(dst, pad, groupChannels);
        dst += groupChannels;
      }
    }
    std::memset(dst, 0, depth - g->k);
    if (g->has_w_zero_points) {
      uint32_t sum = 0;
      for (int64_t k = 0; k < g->k; ++k)
        sum += panel.rows[r * depth + k];
      panel.rowSums[r] = static_cast<int32_t>(sum);
    }
  }
}

// Convolution tiles whose four positions lie on one output row with every
// tap inside the image need no patch copies: for a tap, the tile's x' rows
// are channel runs of the NHWC image, stride_w pixels apart. K then runs in
// slices of one tap (the panel's k order is (tap, channel)), or of a row of
// taps when their channel runs make one run (one group, no dilation along w)
// short enough for a slice: fewer, longer calls of the dot kernel. The other
// tiles read the panel. Without weight zero points (no row sums), with
// whole quads per tap and taps long enough to be worth a slice.
constexpr int64_t kMaxDirectTaps = 64;
constexpr int64_t kMinDirectChannels = 32;

bool readsImageDirectly(const qjit_qgemm *g, const qjit_qconv *c) {
  int64_t groupChannels = c->channels / g->groups;
  int64_t taps = c->kernel_h * c->kernel_w;
  return !g->has_w_zero_points && groupChannels % 4 == 0 &&
         taps <= kMaxDirectTaps &&
         (taps == 1 || groupChannels >= kMinDirectChannels);
}

struct ImageRows {
  const uint8_t *image; // at the group's first channel
  int64_t pixelStep;    // bytes between a tile's rows
  int64_t taps, tapQuads;
  int64_t tapsPerSlice; // 1, or a row's kernel_w
  int64_t tileStart[kMaxPanelRows / kTileRows]; // tap 0's byte offset, or -1
  int64_t tapOffset[kMaxDirectTaps];            // bytes from tap 0
  const uint8_t *panelRows;
  int64_t depth;

  // Slices of tapsPerSlice taps; a 1x1 kernel's one tap in kSliceQuads
  // slices.
  int64_t sliceQuads() const {
    return taps == 1 ? kSliceQuads : tapsPerSlice * tapQuads;
  }

  TileRows operator()(int64_t r, int64_t slice) const {
    int64_t start = tileStart[r / kTileRows];
    int64_t k = slice * sliceQuads() * 4;
    if (start < 0)
      return {panelRows + r * depth + k, depth};
    return {image + start + (taps == 1 ? k : tapOffset[slice * tapsPerSlice]),
            pixelStep};
  }
};

ImageRows imageRows(const qjit_qgemm *g, const qjit_qconv *c,
                    const uint8_t *image, int64_t group, int64_t first,
                    int64_t count, int64_t depth) {
  int64_t groupChannels = c->channels / g->groups;
  ImageRows s;
  s.image = image + group * groupChannels;
  s.pixelStep = c->stride_w * c->channels;
  s.taps = c->kernel_h * c->kernel_w;
  s.tapQuads = groupChannels / 4;
  bool rowIsOneRun = g->groups == 1 && c->dilation_w == 1;
  s.tapsPerSlice =
      rowIsOneRun && c->kernel_w * s.tapQuads <= kSliceQuads ? c->kernel_w : 1;
  s.panelRows = panel.rows;
  s.depth = depth;
  for (int64_t kh = 0; kh < c->kernel_h; ++kh)
    for (int64_t kw = 0; kw < c->kernel_w; ++kw)
      s.tapOffset[kh * c->kernel_w + kw] =
          (kh * c->dilation_h * c->width + kw * c->dilation_w) * c->channels;
  int64_t spanH = (c->kernel_h - 1) * c->dilation_h;
  int64_t spanW = (c->kernel_w - 1) * c->dilation_w;
  for (int64_t r = 0; r < count; r += kTileRows) {
    int64_t rows = std::min(kTileRows, count - r);
    int64_t p = first + r, oh = p / c->out_w, ow = p % c->out_w;
    int64_t ih = oh * c->stride_h - c->pad_h, iw = ow * c->stride_w - c->pad_w;
    int64_t iwLast = iw + (rows - 1) * c->stride_w + spanW;
    bool inside = ow + rows <= c->out_w && ih >= 0 && ih + spanH < c->height &&
                  iw >= 0 && iwLast < c->width;
    s.tileStart[r / kTileRows] =
        inside ? (ih * c->width + iw) * c->channels : -1;
  }
  return s;
}

} // namespace

extern "C" {

int64_t qjit_qgemm_packed_bytes(const qjit_qgemm *g) {
  int64_t bytes = g->groups * groupBytes(g);
  // A depthwise convolution's weights (one column per group, K its taps;
  // the taps are not known here, so some other grouped products get room
  // they do not use).
  if (g->groups > 1 && g->n == 1 && g->k <= kMaxDepthwiseTaps)
    bytes = std::max(bytes, depthwisePackedBytes(g));
  return bytes;
}

int64_t qjit_qgemm_offset_bytes(const qjit_qgemm *g) {
  return g->groups * g->n * int64_t(sizeof(int32_t));
}

void qjit_qgemm_pack(const qjit_qgemm *g, const void *w, int64_t kStride,
                     int64_t nStride, int64_t groupStride, int64_t taps,
                     const int32_t *bias, int8_t *packed,
                     int32_t *columnOffsets) {
  const uint8_t *bytes = static_cast<const uint8_t *>(w);
  uint8_t flip = g->w_signed ? 0 : 0x80; // UInt8 w: w' = w - 128
  std::memset(packed, 0, qjit_qgemm_packed_bytes(g));
  std::unique_ptr<int64_t[]> colSums(new (std::nothrow) int64_t[g->n]);
  if (!colSums) {
    qjit_run_failed("cannot allocate the column sums of integer weights");
    return;
  }
  if (isDepthwise(g, taps))
    packDepthwise(g, bytes, kStride, groupStride, packed);
  for (int64_t group = 0; group < g->groups; ++group) {
    int8_t *groupPacked = packed + group * groupBytes(g);
    std::fill(colSums.get(), colSums.get() + g->n, 0);
    // k outer: row-major weights (MatMul's [K, N]) are read in order.
    int64_t channels = g->k / taps;
    for (int64_t k = 0; k < g->k; ++k) {
      int64_t source = k % channels * taps + k / channels;
      const uint8_t *row = bytes + group * groupStride + source * kStride;
      int8_t *quad = groupPacked + k / 4 * kBlockColumns * 4 + k % 4;
      for (int64_t j = 0; j < g->n; ++j) {
        auto v = static_cast<int8_t>(row[j * nStride] ^ flip);
        if (!isDepthwise(g, taps)) // else packed already, differently
          quad[j / kBlockColumns * blockBytes(g) + j % kBlockColumns * 4] = v;
        colSums[j] += v;
      }
    }
    for (int64_t j = 0; j < g->n; ++j) {
      int64_t c = group * g->n + j;
      int64_t offset = (bias ? bias[c] : 0) - g->x_zero_point * colSums[j] +
                       g->k * g->x_zero_point * g->w_zero_points[c];
      columnOffsets[c] = wrap(offset);
    }
  }
}

void qjit_qgemm_rows(const qjit_qgemm *g, const int8_t *packed,
                     const int32_t *columnOffsets, const void *x, void *y,
                     int64_t rowBegin, int64_t rowEnd) {
  const IsaKernels &isa = kernelsFor(g->isa);
  int64_t depth = paddedDepth(g), step = panelRows(depth);
  if (!panel.reserve(step, depth))
    return;
  const auto *in = static_cast<const uint8_t *>(x);
  // UInt8 rows whose length is a multiple of 4 are x' as they are.
  bool direct = !g->x_signed && g->k % 4 == 0 && !g->has_w_zero_points;
  for (int64_t r = rowBegin; r < rowEnd; r += step) {
    int64_t rows = std::min(step, rowEnd - r);
    OutputView view = outputView(g, y, r * g->n, g->n, 1);
    if (direct) {
      multiplyTiles(g, isa, 0, {0, g->n},
                    PanelRows{in + r * g->k, g->k, kSliceQuads}, kSliceQuads,
                    nullptr, rows, packed, columnOffsets, view);
      continue;
    }
    fillMatrixPanel(g, in, r, rows);
    multiplyTiles(g, isa, 0, {0, g->n},
                  PanelRows{panel.rows, depth, kSliceQuads}, kSliceQuads,
                  panel.rowSums, rows, packed, columnOffsets, view);
  }
}

int64_t qjit_qconv_nhwc_blocks(const qjit_qconv *c) {
  int64_t plane = c->height * c->width;
  return c->images * ((plane + kNhwcPixels - 1) / kNhwcPixels);
}

void qjit_qconv_padded(const qjit_qconv *c, qjit_qconv *padded) {
  *padded = *c;
  padded->height = c->height + 2 * c->pad_h;
  padded->width = c->width + 2 * c->pad_w;
  padded->pad_h = padded->pad_w = 0;
}

void qjit_qconv_to_nhwc(const qjit_qgemm *g, const qjit_qconv *c, const void *x,
                        uint8_t *nhwc, int64_t blockBegin, int64_t blockEnd) {
  const auto *in = static_cast<const uint8_t *>(x);
  uint8_t flip = g->x_signed ? 0x80 : 0;
  auto pad = static_cast<uint8_t>(g->x_zero_point);
  int64_t channels = c->channels, plane = c->height * c->width;
  qjit_qconv p;
  qjit_qconv_padded(c, &p);
  int64_t rowBytes = p.width * channels; // of the padded image
  int64_t blocksPerImage = (plane + kNhwcPixels - 1) / kNhwcPixels;
  // A block of pixels keeps both the rows read (one per channel) and the
  // pixels written in the L1 cache.
  for (int64_t block = blockBegin; block < blockEnd; ++block) {
    int64_t image = block / blocksPerImage;
    int64_t first = block % blocksPerImage * kNhwcPixels;
    int64_t end = std::min(first + kNhwcPixels, plane);
    uint8_t *out = nhwc + image * p.height * rowBytes;
    // The border: the top rows with the image's first pixel, the bottom rows
    // with its last, the left and right ends of a row with its first pixel.
    if (first == 0)
      std::memset(out, pad, c->pad_h * rowBytes);
    if (end == plane)
      std::memset(out + (c->pad_h + c->height) * rowBytes, pad,
                  c->pad_h * rowBytes);
    // Runs of pixels within one row.
    for (int64_t pixel = first; pixel < end;) {
      int64_t h = pixel / c->width, w = pixel % c->width;
      int64_t run = std::min(c->width - w, end - pixel);
      uint8_t *row = out + (h + c->pad_h) * rowBytes;
      if (w == 0) {
        std::memset(row, pad, c->pad_w * channels);
        std::memset(row + (c->pad_w + c->width) * channels, pad,
                    c->pad_w * channels);
      }
      uint8_t *dst = row + (w + c->pad_w) * channels;
      if (c->channels_last) { // NHWC Int8 x: flipped, in the same layout
        const uint8_t *src = in + (image * plane + pixel) * channels;
        for (int64_t i = 0; i < run * channels; ++i)
          dst[i] = src[i] ^ flip;
      } else {
        const uint8_t *src = in + image * channels * plane + pixel;
        transposeBytes(src, plane, dst, channels, channels, run, flip);
      }
      pixel += run;
    }
  }
}

int64_t qjit_qconv_is_depthwise(const qjit_qgemm *g, const qjit_qconv *c) {
  return isDepthwise(g, c->kernel_h * c->kernel_w);
}

// Tasks: bands of rows_per_task positions, by parts of columns_per_task
// columns (a group's output channels, or a depthwise convolution's
// channels), of each group (or of all, depthwise) of each image.
struct TaskGrid {
  int64_t bands, parts, groups;

  TaskGrid(const qjit_qgemm *g, const qjit_qconv *c) {
    bool depthwise = qjit_qconv_is_depthwise(g, c);
    int64_t positions = c->out_h * c->out_w;
    int64_t width = depthwise ? c->channels : g->n;
    bands = (positions + c->rows_per_task - 1) / c->rows_per_task;
    parts = (width + c->columns_per_task - 1) / c->columns_per_task;
    groups = depthwise ? 1 : g->groups;
  }
  int64_t count(const qjit_qconv *c) const {
    return c->images * groups * bands * parts;
  }

  // Where task `task` is: its image, group, band of rows and part of the
  // columns.
  struct Task {
    int64_t image, group, band, part;
  };
  Task operator()(int64_t task) const {
    int64_t rest = task / parts;
    return {rest / bands / groups, rest / bands % groups, rest % bands,
            task % parts};
  }
};

int64_t qjit_qconv_task_count(const qjit_qgemm *g, const qjit_qconv *c) {
  return TaskGrid(g, c).count(c);
}

void qjit_qconv_task_region(const qjit_qgemm *g, const qjit_qconv *c,
                            int64_t task, int64_t region[4]) {
  TaskGrid grid(g, c);
  auto [image, group, band, part] = grid(task);
  int64_t positions = c->out_h * c->out_w;
  int64_t width = qjit_qconv_is_depthwise(g, c) ? c->channels : g->n;
  int64_t first = band * c->rows_per_task;
  region[0] = image * positions + first;
  region[1] = image * positions + std::min(positions, first + c->rows_per_task);
  region[2] = group * g->n + part * c->columns_per_task;
  region[3] = group * g->n + std::min((part + 1) * c->columns_per_task, width);
}

void qjit_qconv_tasks(const qjit_qgemm *g, const qjit_qconv *c,
                      const int8_t *packed, const int32_t *columnOffsets,
                      const uint8_t *nhwc, void *y, int64_t taskBegin,
                      int64_t taskEnd) {
  const IsaKernels &isa = kernelsFor(g->isa);
  int64_t depth = paddedDepth(g), step = panelRows(depth);
  if (!panel.reserve(step, depth))
    return;
  int64_t positions = c->out_h * c->out_w;
  int64_t outChannels = g->groups * g->n;
  TaskGrid grid(g, c);
  bool depthwise = qjit_qconv_is_depthwise(g, c);
  for (int64_t task = taskBegin; task < taskEnd; ++task) {
    auto [image, group, band, part] = grid(task);
    int64_t first = band * c->rows_per_task;
    int64_t end = std::min(positions, first + c->rows_per_task);
    ColumnRange columns{part * c->columns_per_task,
                        std::min((part + 1) * c->columns_per_task,
                                 depthwise ? c->channels : g->n)};
    const uint8_t *in = nhwc + image * c->channels * c->height * c->width;
    int64_t out = image * outChannels * positions; // y's first element
    if (depthwise) {
      depthwiseTask(g, c, isa, packed, columnOffsets, in,
                    outputView(g, y, out, 0, 0), first, end - first,
                    columns.begin, columns.end);
      continue;
    }
    // Rows are positions, columns the group's output channels: NCHW
    // y[image][group * n + j][position] or NHWC y[image][position][...].
    for (int64_t p = first; p < end; p += step) {
      int64_t rows = std::min(step, end - p);
      OutputView view =
          c->channels_last
              ? outputView(g, y, out + p * outChannels + group * g->n,
                           outChannels, 1)
              : outputView(g, y, out + (group * g->n) * positions + p, 1,
                           positions);
      if (!readsImageDirectly(g, c)) {
        fillPatchPanel(g, c, in, group, p, rows, nullptr);
        multiplyTiles(g, isa, group, columns,
                      PanelRows{panel.rows, depth, kSliceQuads}, kSliceQuads,
                      panel.rowSums, rows, packed, columnOffsets, view);
        continue;
      }
      ImageRows source = imageRows(g, c, in, group, p, rows, depth);
      fillPatchPanel(g, c, in, group, p, rows, source.tileStart);
      multiplyTiles(g, isa, group, columns, source, source.sliceQuads(),
                    nullptr, rows, packed, columnOffsets, view);
    }
  }
}

} // extern "C"
