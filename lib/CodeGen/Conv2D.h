//===- Conv2D.h - How a Conv2D is lowered ---------------*- C++ -*-===//
//
// Conv2D (NCHW input, OIHW weight, optional bias [O]) takes one of three
// routes, chosen from its static shapes:
//   Direct     one input channel per group (depthwise): loops over the
//              output plane summing the KH * KW taps of a (zero-bordered
//              copy of the) input plane;
//   Pointwise  1x1, stride 1, no padding: the input already is the
//              [C/groups, H*W] matrix, one product per (image, group);
//   Im2Col     everything else: the patches of a band of output rows are
//              copied into the kernel's scratch as a [C/groups * KH * KW,
//              rows * OW] matrix and multiplied by the group's weights, one
//              product per (image, group, band); bands are sized to stay in
//              the L2 cache.
// A bias costs no extra pass: it is written into the output first and the
// products accumulate onto it (beta = 1); the direct loops start from it.
// Padding cells are zeros multiplied by their weights on every route.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_CODEGEN_CONV2D_H
#define QJIT_LIB_CODEGEN_CONV2D_H

#include "Kernel.h"
#include "qjit/IR/OpParams.h"

namespace qjit {

struct Conv2DPlan {
  enum Method { Direct, Pointwise, Im2Col } method;
  DataType type;
  int64_t batch, channels, height, width;            // input N, C, H, W
  int64_t outChannels, kernelH, kernelW, outH, outW; // O, KH, KW, OH, OW
  int64_t groupChannels, groupOutChannels;           // C / groups, O / groups
  Conv2DParams params;
  bool hasBias;
  int64_t bandRows = 0; // Im2Col: output rows per band
  uint64_t scratchBytes = 0;

  // Rows of the im2col matrix: C / groups * KH * KW.
  int64_t patchSize() const { return groupChannels * kernelH * kernelW; }
};

Conv2DPlan planConv2D(const Graph &graph, const Operation &op);
uint64_t conv2DScratchBytes(const Graph &graph, const Operation &op);

// The output positions [lo, hi) along one axis whose input coordinate
// pos * stride - pad + tap * dilation lies inside [0, inSize), for a tap
// index known at run time (i64).
struct TapRange {
  llvm::Value *lo, *hi;
};
TapRange emitTapRange(llvm::IRBuilderBase &b, llvm::Value *tap, int64_t stride,
                      int64_t pad, int64_t dilation, int64_t inSize,
                      int64_t outSize);

// A task of a convolution split over (image, group, band) with `bands`
// bands per image and group: its indices, and the group's first output
// channel.
struct ConvTask {
  llvm::Value *image, *group, *band, *firstOut;
};
// Runs body over the batch * groups * bands tasks on the run's threads
// (Parallel.h): `chunk` is the kernel as the task's chunk sees it.
using ConvTaskBody = llvm::function_ref<void(
    Kernel &chunk, llvm::IRBuilderBase &b, const ConvTask &task)>;
void emitConvTasks(Kernel &k, const Conv2DPlan &plan, int64_t bands,
                   ConvTaskBody body);

// Emits body(buffer) on the calling thread's scratch of `bytes` bytes
// (lib/Runtime/ThreadScratch.h), for a chunk of a parallel loop. When it
// cannot be allocated the run fails (RunFailure.h) and the body is skipped.
void emitWithThreadScratch(llvm::IRBuilderBase &b, llvm::Module &module,
                           uint64_t bytes,
                           llvm::function_ref<void(llvm::Value *buffer)> body);

uint64_t conv2DDirectScratchBytes(const Conv2DPlan &plan);
void emitConv2DDirect(Kernel &k, const Conv2DPlan &plan);
void emitConv2DIm2Col(Kernel &k, const Conv2DPlan &plan);

// Fills `rows` rows of `cols` elements (row stride `ld`) of `out` with
// bias[firstChannel + row].
void emitBiasFill(llvm::IRBuilderBase &b, DataType type, llvm::Value *bias,
                  llvm::Value *firstChannel, int64_t rows, llvm::Value *cols,
                  llvm::Value *out, int64_t ld);

} // namespace qjit

#endif
