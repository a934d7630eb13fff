//===- QDepthwise.cpp - Depthwise integer convolution ---------------------===//
//
// A convolution with one input and one output channel per group (MobileNet's
// depthwise layers) is a GEMM of N = 1 per group: through the panels it
// would copy one byte per tap and multiply 16-column blocks holding one
// column. Here its taps run over the NHWC image's channel runs instead, a
// tile of kTileRows positions by up to kTileColumns channels at a time, and
// the tile goes through the ISA's epilogue like a GEMM tile (the channels
// are its columns). Sums are exact in 32 bits (wrapping), so every path
// writes the same bytes.
//
// The packed weights of a depthwise convolution are w'[tap][channel], then
// the same weights interleaved for vpdpbusd (depthwiseVnniLayout); both
// qjit_qgemm_pack writes.
//
//===----------------------------------------------------------------------===//
#include "QGemmKernels.h"
#include <algorithm>
#include <immintrin.h>

namespace qjit::runtime {
namespace {

// Sums of one tile: sums[r * kTileColumns + j] for positions `rows` (the
// image offsets of each tap, or -1 in the padding) and channels [0, columns).
struct DepthwiseTile {
  const uint8_t *image;   // the NHWC image at the tile's first channel
  int64_t channels;       // the image's channel count (its pixel stride)
  const int8_t *w;        // w'[tap][channel] at the tile's first channel
  const int8_t *vnniW;    // the interleaved weights of the tile's block
  int64_t vnniTapStride;  // bytes from one group of 4 taps to the next
  const int64_t *offsets; // [r * taps + tap]: pixel index or -1
  int64_t rows, taps, columns;
  uint8_t pad;            // x_zp'
  int32_t *sums, *xSums;  // kTileColumns per row; xSums: of x', when asked
};

// The loops are plain so that each ISA's compilation vectorizes them over
// the channels; uint32_t arithmetic wraps as the reference does.
template <bool XSums>
__attribute__((always_inline)) inline void
depthwiseSums(const DepthwiseTile &t) {
  for (int64_t r = 0; r < t.rows; ++r) {
    uint32_t acc[kTileColumns] = {}, xs[kTileColumns] = {};
    for (int64_t tap = 0; tap < t.taps; ++tap) {
      const int8_t *w = t.w + tap * t.channels;
      int64_t pixel = t.offsets[r * t.taps + tap];
      if (pixel < 0) {
        for (int64_t j = 0; j < t.columns; ++j) {
          acc[j] += uint32_t(t.pad) * uint32_t(int32_t(w[j]));
          if constexpr (XSums)
            xs[j] += t.pad;
        }
        continue;
      }
      const uint8_t *x = t.image + pixel * t.channels;
      for (int64_t j = 0; j < t.columns; ++j) {
        acc[j] += uint32_t(x[j]) * uint32_t(int32_t(w[j]));
        if constexpr (XSums)
          xs[j] += x[j];
      }
    }
    for (int64_t j = 0; j < t.columns; ++j) {
      t.sums[r * kTileColumns + j] = static_cast<int32_t>(acc[j]);
      if constexpr (XSums)
        t.xSums[r * kTileColumns + j] = static_cast<int32_t>(xs[j]);
    }
  }
}

using SumsFn = void (*)(const DepthwiseTile &);

template <bool XSums> void depthwiseScalar(const DepthwiseTile &t) {
  depthwiseSums<XSums>(t);
}
template <bool XSums>
__attribute__((target("avx2"))) void depthwiseAvx2(const DepthwiseTile &t) {
  depthwiseSums<XSums>(t);
}
// Sixteen channels of all kTileRows rows at a time in named registers (GCC
// keeps arrays of accumulators in memory); rows past t.rows repeat real
// ones and are not stored.
template <bool XSums>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void
depthwiseAvx512(const DepthwiseTile &t) {
  static_assert(kTileRows == 4, "four named accumulators");
  const __m512i pad = _mm512_set1_epi32(t.pad);
  for (int64_t j = 0; j < t.columns; j += 16) {
    int64_t valid = t.columns - j;
    __mmask16 mask = valid >= 16 ? 0xFFFF : (1u << valid) - 1;
    __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0,
            acc3 = acc0, xs0 = acc0, xs1 = acc0, xs2 = acc0, xs3 = acc0;
    for (int64_t tap = 0; tap < t.taps; ++tap) {
      __m512i w = _mm512_cvtepi8_epi32(
          _mm_maskz_loadu_epi8(mask, t.w + tap * t.channels + j));
      // (A lambda would not inherit this function's target.)
#define QJIT_DEPTHWISE_ROW(r, acc, xs)                                         \
  {                                                                            \
    int64_t pixel = t.offsets[(r < t.rows ? r : 0) * t.taps + tap];            \
    __m512i x = pixel < 0 ? pad                                                \
                          : _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(         \
                                mask, t.image + pixel * t.channels + j));      \
    acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(x, w));                     \
    if constexpr (XSums)                                                       \
      xs = _mm512_add_epi32(xs, x);                                            \
  }
      QJIT_DEPTHWISE_ROW(0, acc0, xs0)
      QJIT_DEPTHWISE_ROW(1, acc1, xs1)
      QJIT_DEPTHWISE_ROW(2, acc2, xs2)
      QJIT_DEPTHWISE_ROW(3, acc3, xs3)
#undef QJIT_DEPTHWISE_ROW
    }
    __m512i accs[] = {acc0, acc1, acc2, acc3}, xss[] = {xs0, xs1, xs2, xs3};
    for (int64_t r = 0; r < t.rows; ++r) {
      _mm512_storeu_si512(t.sums + r * kTileColumns + j, accs[r]);
      if constexpr (XSums)
        _mm512_storeu_si512(t.xSums + r * kTileColumns + j, xss[r]);
    }
  }
}

// The layout of the weights vpdpbusd reads: for each group of 4 taps (the
// last padded with zeros) and block of 64 channels, 4 registers of 64
// bytes; lane L (16 bytes) of register q holds channels 16L + 4q to
// 16L + 4q + 3, each as its 4 taps' bytes. Two rounds of unpacks within
// 128-bit lanes put x's bytes of 4 taps in the same order.
struct VnniLayout {
  int64_t tapGroups, blocks;
  explicit VnniLayout(const qjit_qgemm *g)
      : tapGroups((g->k + 3) / 4), blocks((g->groups + 63) / 64) {}
  int64_t tapStride() const { return blocks * 256; }
  int64_t bytes() const { return tapGroups * tapStride(); }
  int64_t offset(int64_t tap, int64_t channel) const {
    int64_t c = channel % 64;
    return tap / 4 * tapStride() + channel / 64 * 256 + (c % 16 / 4) * 64 +
           c / 16 * 16 + c % 4 * 4 + tap % 4;
  }
};

int64_t vnniLayoutStart(const qjit_qgemm *g) {
  return (g->k * g->groups + 63) / 64 * 64;
}

#define QJIT_DEPTHWISE_VNNI                                                    \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

QJIT_DEPTHWISE_VNNI inline void dpbusd(__m512i &acc, __m512i x, __m512i w) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w));
}

// The bytes of row r's tap (64 channels): the image's, the padding's, or
// zeros past the last tap.
QJIT_DEPTHWISE_VNNI inline __m512i tapBytes(const DepthwiseTile &t, int64_t r,
                                            int64_t tap, __mmask64 mask,
                                            __m512i pad) {
  if (tap >= t.taps)
    return _mm512_setzero_si512();
  int64_t pixel = t.offsets[(r < t.rows ? r : 0) * t.taps + tap];
  return pixel < 0 ? pad
                   : _mm512_maskz_loadu_epi8(mask, t.image + pixel * t.channels);
}

// Sums of 64 channels of 4 rows, 4 taps per vpdpbusd (without the sums of
// x: weight zero points take depthwiseAvx512). The accumulators are named
// (GCC keeps arrays of them in memory); rows past t.rows repeat row 0 and
// are not stored.
QJIT_DEPTHWISE_VNNI void depthwiseVnni(const DepthwiseTile &t) {
  static_assert(kTileRows == 4 && kTileColumns == 64, "the tile's shape");
  __mmask64 mask = t.columns >= 64 ? ~__mmask64(0)
                                   : (__mmask64(1) << t.columns) - 1;
  const __m512i pad = _mm512_set1_epi8(static_cast<char>(t.pad));
  const __m512i zero = _mm512_setzero_si512();
  __m512i a00 = zero, a01 = zero, a02 = zero, a03 = zero, a10 = zero,
          a11 = zero, a12 = zero, a13 = zero, a20 = zero, a21 = zero,
          a22 = zero, a23 = zero, a30 = zero, a31 = zero, a32 = zero,
          a33 = zero;
  for (int64_t tap0 = 0; tap0 < t.taps; tap0 += 4) {
    const int8_t *wg = t.vnniW + tap0 / 4 * t.vnniTapStride;
    __m512i w0 = _mm512_load_si512(wg), w1 = _mm512_load_si512(wg + 64),
            w2 = _mm512_load_si512(wg + 128), w3 = _mm512_load_si512(wg + 192);
#define QJIT_TAP(r, i) tapBytes(t, r, tap0 + i, mask, pad)
#define QJIT_ROW(r, acc0, acc1, acc2, acc3)                                    \
  {                                                                            \
    __m512i x0 = QJIT_TAP(r, 0), x1 = QJIT_TAP(r, 1), x2 = QJIT_TAP(r, 2),     \
            x3 = QJIT_TAP(r, 3);                                               \
    __m512i lo01 = _mm512_unpacklo_epi8(x0, x1);                               \
    __m512i hi01 = _mm512_unpackhi_epi8(x0, x1);                               \
    __m512i lo23 = _mm512_unpacklo_epi8(x2, x3);                               \
    __m512i hi23 = _mm512_unpackhi_epi8(x2, x3);                               \
    dpbusd(acc0, _mm512_unpacklo_epi16(lo01, lo23), w0);                       \
    dpbusd(acc1, _mm512_unpackhi_epi16(lo01, lo23), w1);                       \
    dpbusd(acc2, _mm512_unpacklo_epi16(hi01, hi23), w2);                       \
    dpbusd(acc3, _mm512_unpackhi_epi16(hi01, hi23), w3);                       \
  }
    QJIT_ROW(0, a00, a01, a02, a03)
    QJIT_ROW(1, a10, a11, a12, a13)
    QJIT_ROW(2, a20, a21, a22, a23)
    QJIT_ROW(3, a30, a31, a32, a33)
#undef QJIT_ROW
#undef QJIT_TAP
  }
  // Back to channel order: a 4x4 transpose of 128-bit lanes per row.
  __m512i accs[4][4] = {{a00, a01, a02, a03},
                        {a10, a11, a12, a13},
                        {a20, a21, a22, a23},
                        {a30, a31, a32, a33}};
  for (int64_t r = 0; r < t.rows; ++r) {
    __m512i *q = accs[r];
    __m512i t0 = _mm512_shuffle_i32x4(q[0], q[1], 0x44);
    __m512i t1 = _mm512_shuffle_i32x4(q[0], q[1], 0xEE);
    __m512i t2 = _mm512_shuffle_i32x4(q[2], q[3], 0x44);
    __m512i t3 = _mm512_shuffle_i32x4(q[2], q[3], 0xEE);
    int32_t *row = t.sums + r * kTileColumns;
    _mm512_store_si512(row, _mm512_shuffle_i32x4(t0, t2, 0x88));
    _mm512_store_si512(row + 16, _mm512_shuffle_i32x4(t0, t2, 0xDD));
    _mm512_store_si512(row + 32, _mm512_shuffle_i32x4(t1, t3, 0x88));
    _mm512_store_si512(row + 48, _mm512_shuffle_i32x4(t1, t3, 0xDD));
  }
}

template <bool XSums> SumsFn sumsFor(int64_t isa) {
  switch (isa) {
  case QJIT_ISA_AVX512_VNNI:
    if constexpr (!XSums)
      return depthwiseVnni;
    return depthwiseAvx512<XSums>;
  case QJIT_ISA_SCALAR:
    return depthwiseScalar<XSums>;
  default: // AVX2, AVX-VNNI
    return depthwiseAvx2<XSums>;
  }
}

} // namespace

int64_t depthwisePackedBytes(const qjit_qgemm *g) {
  return vnniLayoutStart(g) + VnniLayout(g).bytes();
}

bool isDepthwise(const qjit_qgemm *g, int64_t taps) {
  return g->groups > 1 && g->n == 1 && g->k == taps &&
         taps <= kMaxDepthwiseTaps;
}

void packDepthwise(const qjit_qgemm *g, const uint8_t *w, int64_t kStride,
                   int64_t groupStride, int8_t *packed) {
  uint8_t flip = g->w_signed ? 0 : 0x80; // UInt8 w: w' = w - 128
  VnniLayout vnni(g);
  int8_t *interleaved = packed + vnniLayoutStart(g);
  for (int64_t tap = 0; tap < g->k; ++tap)
    for (int64_t c = 0; c < g->groups; ++c) {
      auto v = static_cast<int8_t>(w[c * groupStride + tap * kStride] ^ flip);
      packed[tap * g->groups + c] = v;
      interleaved[vnni.offset(tap, c)] = v;
    }
}

void depthwiseTask(const qjit_qgemm *g, const qjit_qconv *c,
                   const IsaKernels &isa, const int8_t *packed,
                   const int32_t *columnOffsets, const uint8_t *image,
                   OutputView imageY, int64_t first, int64_t count,
                   int64_t channelBegin, int64_t channelEnd) {
  SumsFn sums = g->has_w_zero_points ? sumsFor<true>(g->isa)
                                     : sumsFor<false>(g->isa);
  int64_t taps = g->k, positions = c->out_h * c->out_w;
  VnniLayout vnni(g);
  // The epilogue takes isa.epilogueRows rows at once (its per-channel
  // constants loaded once for them): the sums of that many rows, a tile of
  // kTileRows at a time.
  int64_t groupRows = isa.epilogueRows;
  alignas(64) int32_t tileSums[kMaxEpilogueRows * kTileColumns];
  alignas(64) int32_t tileXSums[kMaxEpilogueRows * kTileColumns];
  int64_t offsets[kMaxEpilogueRows * kMaxDepthwiseTaps];
  // The epilogue subtracts w_zp' times the sum of x' per (row, channel)
  // here, so it sees a description without weight zero points.
  qjit_qgemm plain = *g;
  plain.has_w_zero_points = 0;
  // Pixel offsets of the taps from a patch's corner, and the corner's
  // reach: a patch inside the image takes these plus its corner.
  int64_t tapOffset[kMaxDepthwiseTaps];
  for (int64_t kh = 0; kh < c->kernel_h; ++kh)
    for (int64_t kw = 0; kw < c->kernel_w; ++kw)
      tapOffset[kh * c->kernel_w + kw] =
          kh * c->dilation_h * c->width + kw * c->dilation_w;
  int64_t spanH = (c->kernel_h - 1) * c->dilation_h;
  int64_t spanW = (c->kernel_w - 1) * c->dilation_w;
  for (int64_t p = first; p < first + count; p += groupRows) {
    int64_t rows = std::min(groupRows, first + count - p);
    for (int64_t r = 0; r < rows; ++r) {
      int64_t oh = (p + r) / c->out_w, ow = (p + r) % c->out_w;
      int64_t ih0 = oh * c->stride_h - c->pad_h;
      int64_t iw0 = ow * c->stride_w - c->pad_w;
      if (ih0 >= 0 && ih0 + spanH < c->height && iw0 >= 0 &&
          iw0 + spanW < c->width) {
        for (int64_t tap = 0; tap < taps; ++tap)
          offsets[r * taps + tap] = ih0 * c->width + iw0 + tapOffset[tap];
        continue;
      }
      for (int64_t kh = 0; kh < c->kernel_h; ++kh) {
        int64_t ih = oh * c->stride_h - c->pad_h + kh * c->dilation_h;
        for (int64_t kw = 0; kw < c->kernel_w; ++kw) {
          int64_t iw = ow * c->stride_w - c->pad_w + kw * c->dilation_w;
          bool inside = ih >= 0 && ih < c->height && iw >= 0 && iw < c->width;
          offsets[r * taps + kh * c->kernel_w + kw] =
              inside ? ih * c->width + iw : -1;
        }
      }
    }
    for (int64_t ch = channelBegin; ch < channelEnd; ch += kTileColumns) {
      int64_t columns = std::min(kTileColumns, channelEnd - ch);
      for (int64_t r = 0; r < rows; r += kTileRows)
        sums({image + ch, c->channels, packed + ch,
              packed + vnniLayoutStart(g) + ch / 64 * 256, vnni.tapStride(),
              offsets + r * taps, std::min(kTileRows, rows - r), taps,
              columns, static_cast<uint8_t>(g->x_zero_point),
              tileSums + r * kTileColumns, tileXSums + r * kTileColumns});
      if (g->has_w_zero_points)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t j = 0; j < columns; ++j)
            tileSums[r * kTileColumns + j] = static_cast<int32_t>(
                uint32_t(tileSums[r * kTileColumns + j]) -
                uint32_t(g->w_zero_points[ch + j]) *
                    uint32_t(tileXSums[r * kTileColumns + j]));
      TileEpilogue e{&plain,           columnOffsets + ch,
                     g->w_zero_points + ch, g->multipliers + ch,
                     nullptr,          rows,
                     columns};
      // Rows are positions, columns channels.
      OutputView view = imageY;
      if (c->channels_last)
        view.rowStride = c->channels, view.columnStride = 1;
      else
        view.rowStride = 1, view.columnStride = positions;
      isa.requantize(e, tileSums, view.shifted(p, ch));
    }
  }
}

} // namespace qjit::runtime
