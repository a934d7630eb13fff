//===- TransposeBytes.h - Transposes of byte matrices -----------*- C++ -*-===//
//
// The layout changes of 8-bit tensors: NCHW <-> NHWC for the integer
// convolutions (a batch of [C, H*W] <-> [H*W, C] transposes), through SSE2
// (baseline x86-64) 16x16 tiles.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_RUNTIME_TRANSPOSEBYTES_H
#define QJIT_LIB_RUNTIME_TRANSPOSEBYTES_H

#include <cstdint>

namespace qjit::runtime {

// dst[j * dstStride + i] = src[i * srcStride + j] ^ flip for i < rows,
// j < cols.
void transposeBytes(const uint8_t *src, int64_t srcStride, uint8_t *dst,
                    int64_t dstStride, int64_t rows, int64_t cols,
                    uint8_t flip);

} // namespace qjit::runtime

extern "C" {
// Transposes of JIT-compiled Transpose ops of 1-byte elements that swap two
// groups of axes after a batch prefix: dst[b][j][i] = src[b][i][j] for
// src [batches, rows, cols]. The work is qjit_transpose_byte_tasks strips
// of the longer side of each matrix, batch after batch; a call does tasks
// [task_begin, task_end).
int64_t qjit_transpose_byte_tasks(int64_t batches, int64_t rows, int64_t cols);
void qjit_transpose_bytes(const void *src, void *dst, int64_t rows,
                          int64_t cols, int64_t task_begin, int64_t task_end);
}

#endif
