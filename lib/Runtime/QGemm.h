//===- QGemm.h - Integer GEMM and convolution kernels -----------*- C++ -*-===//
//
// The run-time half of QLinearMatMul and QLinearConv2D: JIT-compiled
// kernels call these C functions (lib/JIT binds their addresses), and the
// code generator calls qjit_qgemm_pack at compile time for constant weights.
// No LLVM here: an AOT bundle links this library as it is.
//
// The arithmetic is docs/integer-execution.md's. Every path computes the
// exact int32 sum (wrapping) and requantizes with the same float operations,
// so every path writes the same bytes:
//
//   x' = x as UInt8 (Int8 x flipped by +128, x_zp' = x_zp + 128)
//   w' = w as Int8  (UInt8 w flipped by -128, w_zp' = w_zp - 128)
//   acc = sum x'w' + column_offset[j] - w_zp'[j] * rowsum(x')
//   column_offset[j] = bias[j] - x_zp' * colsum(w')[j] + K * x_zp' * w_zp'[j]
//
// sum x'w' is vpdpbusd's product (u8 x s8, 4 per 32-bit lane): w' is packed
// in blocks of 16 columns, each column's 4 consecutive k in one 32-bit lane:
//   packed[group][block][k / 4][column % 16][k % 4], K padded to 4 with 0.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_RUNTIME_QGEMM_H
#define QJIT_LIB_RUNTIME_QGEMM_H

#include <cstdint>

extern "C" {

// The instruction set a kernel uses; the code generator picks it from the
// target's features (so --mattr chooses it too).
enum qjit_isa : int64_t {
  QJIT_ISA_SCALAR = 0,     // x86-64 baseline
  QJIT_ISA_AVX2 = 1,       // vpmaddwd on widened bytes
  QJIT_ISA_AVX_VNNI = 2,   // 256-bit vpdpbusd
  QJIT_ISA_AVX512_VNNI = 3 // 512-bit vpdpbusd
};

// One integer product per group: [m, k] x [k, n] -> [m, n]. Every field is
// 64 bits wide so the code generator can emit it as an array of i64 and
// pointers. Per-column arrays hold groups * n values.
struct qjit_qgemm {
  int64_t m, n, k, groups;
  int64_t isa;                   // qjit_isa
  int64_t x_signed, w_signed;    // Int8 (1) or UInt8 (0)
  int64_t x_zero_point;          // x_zp' (flipped for Int8 x)
  int64_t y_zero_point, lo, hi;  // result: clamp(... + y_zp, lo, hi)
  int64_t has_w_zero_points;     // some w_zp' is not 0
  int64_t y_float;               // y is Float32: fl(float(level - y_zp) *
  double y_scale;                // y_scale), Dequantize fused (a float)
  const int32_t *w_zero_points;  // w_zp' per column
  const float *multipliers;      // fl(fl(x_scale * w_scale) / y_scale)
};

// QLinearConv2D's geometry (NCHW x and y, or NHWC with channels_last; OIHW
// w): the product of a group is
// [out_h * out_w, C/groups * kernel_h * kernel_w] x [.., O/groups].
struct qjit_qconv {
  int64_t images, channels, height, width;
  int64_t kernel_h, kernel_w, stride_h, stride_w;
  int64_t pad_h, pad_w, dilation_h, dilation_w;
  int64_t out_h, out_w;
  int64_t rows_per_task;    // output positions per task of qjit_qconv_tasks
  int64_t columns_per_task; // a group's output channels per task (all
                            // channels, depthwise); a multiple of 64 or all
  int64_t channels_last;    // x and y are NHWC
};

// Bytes qjit_qgemm_pack writes to `packed` and to `column_offsets`.
int64_t qjit_qgemm_packed_bytes(const struct qjit_qgemm *g);
int64_t qjit_qgemm_offset_bytes(const struct qjit_qgemm *g);

// Packs w and computes the column offsets from it and the optional Int32
// bias (groups * n values). w is Int8 or UInt8 as g->w_signed says; element
// (group, k, j) is at w[group * group_stride + s * k_stride + j * n_stride]
// with s = k for a matrix (taps = 1) and, for a convolution's taps = KH * KW,
// k ordered (tap, channel) and s = channel * taps + tap (OIHW order).
void qjit_qgemm_pack(const struct qjit_qgemm *g, const void *w,
                     int64_t k_stride, int64_t n_stride, int64_t group_stride,
                     int64_t taps, const int32_t *bias, int8_t *packed,
                     int32_t *column_offsets);

// Rows [row_begin, row_end) of y [m, n] = x [m, k] (row-major, one group).
void qjit_qgemm_rows(const struct qjit_qgemm *g, const int8_t *packed,
                     const int32_t *column_offsets, const void *x, void *y,
                     int64_t row_begin, int64_t row_end);

// A convolution's input as x' in NHWC order with its padding made explicit:
// images of (H + 2 pad_h) x (W + 2 pad_w) pixels of C bytes whose border
// holds x_zp', the image qjit_qconv_padded's geometry describes (no
// padding), so that each tap of a patch is one run of channels and no patch
// needs a copy for the border; in blocks of pixels of x
// (qjit_qconv_nhwc_blocks of them), [block_begin, block_end) per call.
// An NHWC UInt8 x is x' already: the code generator passes it as it is (the
// padding stays implicit).
int64_t qjit_qconv_nhwc_blocks(const struct qjit_qconv *c);
void qjit_qconv_padded(const struct qjit_qconv *c, struct qjit_qconv *padded);
void qjit_qconv_to_nhwc(const struct qjit_qgemm *g, const struct qjit_qconv *c,
                        const void *x, uint8_t *nhwc, int64_t block_begin,
                        int64_t block_end);

// Tasks [task_begin, task_end) of a convolution of qjit_qconv_to_nhwc's
// image; a task is rows_per_task output positions by columns_per_task
// output channels of one group of one image, or of every group when the
// convolution is depthwise (one input and one output channel per group,
// which has its own kernels).
// qjit_qconv_task_count says how many there are.
int64_t qjit_qconv_is_depthwise(const struct qjit_qgemm *g,
                                const struct qjit_qconv *c);
int64_t qjit_qconv_task_count(const struct qjit_qgemm *g,
                              const struct qjit_qconv *c);
// The part of y task `task` writes, viewed as the matrix [images * out_h *
// out_w, groups * n] (NHWC y): rows region[0] to region[1], columns
// region[2] to region[3]. A fused kernel runs its epilogue over it.
void qjit_qconv_task_region(const struct qjit_qgemm *g,
                            const struct qjit_qconv *c, int64_t task,
                            int64_t region[4]);
void qjit_qconv_tasks(const struct qjit_qgemm *g, const struct qjit_qconv *c,
                      const int8_t *packed, const int32_t *column_offsets,
                      const uint8_t *nhwc, void *y, int64_t task_begin,
                      int64_t task_end);

} // extern "C"

#endif
