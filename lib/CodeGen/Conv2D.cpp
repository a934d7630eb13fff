//===- Conv2D.cpp - Lowering of Conv2D: planning and 1x1 convolutions -----===//
#include "Conv2D.h"
#include "LoopBuilder.h"
#include "MatMulGemm.h"
#include "Parallel.h"
#include <algorithm>

using namespace llvm;

namespace qjit {
namespace {

// Bytes of one im2col band: about one L2 cache, so the band written by
// im2col is still cached when the product packs it. Tuned on Zen 4 (512 KiB
// L2 per core) with GemmBench's 64 -> 64 channel 56x56 layer: 256 KiB and
// 1 MiB bands were 5-15% slower, one band for the whole image about 5%.
constexpr uint64_t kBandBytes = 512 * 1024;

// A 1x1 convolution's column bands are whole vectors of pixels.
constexpr int64_t kBandColumnStep = 16;

// Bands per image and group, at least, where the output has room for them:
// a batch-1 layer of a few tasks leaves a thread idle for a whole task
// (three tasks of a MobileNetV2 layer on two threads run as two and one).
constexpr int64_t kMinBands = 4;

} // namespace

Conv2DPlan planConv2D(const Graph &graph, const Operation &op) {
  const TensorType &x = graph.getType(op.getOperand(0));
  const TensorType &w = graph.getType(op.getOperand(1));
  const TensorType &y = graph.getType(op.getResult());
  Conv2DPlan plan;
  plan.type = x.elementType;
  plan.batch = x.shape[0];
  plan.channels = x.shape[1];
  plan.height = x.shape[2];
  plan.width = x.shape[3];
  plan.outChannels = w.shape[0];
  plan.kernelH = w.shape[2];
  plan.kernelW = w.shape[3];
  plan.outH = y.shape[2];
  plan.outW = y.shape[3];
  plan.params = cantFail(getConv2DParams(op));
  plan.groupChannels = plan.channels / plan.params.groups;
  plan.groupOutChannels = plan.outChannels / plan.params.groups;
  plan.hasBias = op.getNumOperands() == 3;

  const Conv2DParams &p = plan.params;
  if (plan.groupChannels == 1) {
    plan.method = Conv2DPlan::Direct;
    plan.scratchBytes = conv2DDirectScratchBytes(plan);
  } else if (plan.kernelH == 1 && plan.kernelW == 1 && p.strideH == 1 &&
             p.strideW == 1 && p.padH == 0 && p.padW == 0) {
    plan.method = Conv2DPlan::Pointwise;
  } else {
    plan.method = Conv2DPlan::Im2Col;
    uint64_t rowBytes =
        uint64_t(plan.patchSize()) * plan.outW * dataTypeSize(plan.type);
    plan.bandRows = std::clamp<int64_t>(
        rowBytes ? int64_t(kBandBytes / rowBytes) : plan.outH, 1, plan.outH);
    plan.scratchBytes = rowBytes * plan.bandRows;
  }
  return plan;
}

uint64_t conv2DScratchBytes(const Graph &graph, const Operation &op) {
  return planConv2D(graph, op).scratchBytes;
}

TapRange emitTapRange(IRBuilderBase &b, Value *tap, int64_t stride, int64_t pad,
                      int64_t dilation, int64_t inSize, int64_t outSize) {
  // pos * stride + shift must lie in [0, inSize), shift = tap * dilation - pad.
  Value *shift =
      b.CreateSub(b.CreateMul(tap, b.getInt64(dilation)), b.getInt64(pad));
  Value *zero = b.getInt64(0), *out = b.getInt64(outSize);
  // lo = ceil(-shift / stride) when -shift > 0, else 0.
  Value *below = b.CreateNeg(shift);
  Value *lo =
      b.CreateSelect(b.CreateICmpSGT(below, zero),
                     b.CreateSDiv(b.CreateAdd(below, b.getInt64(stride - 1)),
                                  b.getInt64(stride)),
                     zero);
  lo = b.CreateBinaryIntrinsic(Intrinsic::smin, lo, out);
  // hi = floor((inSize - 1 - shift) / stride) + 1 when that numerator is
  // not negative, else 0.
  Value *last = b.CreateSub(b.getInt64(inSize - 1), shift);
  Value *hi = b.CreateSelect(
      b.CreateICmpSGE(last, zero),
      b.CreateAdd(b.CreateSDiv(last, b.getInt64(stride)), b.getInt64(1)), zero);
  hi = b.CreateBinaryIntrinsic(Intrinsic::smin, hi, out);
  hi = b.CreateBinaryIntrinsic(Intrinsic::smax, hi, lo);
  return {lo, hi};
}

void emitBiasFill(IRBuilderBase &b, DataType type, Value *bias,
                  Value *firstChannel, int64_t rows, Value *cols, Value *out,
                  int64_t ld) {
  Type *elt = elementLLVMType(b.getContext(), type);
  emitLoop(
      b, rows,
      [&](IRBuilderBase &b, Value *r) {
        Value *value = b.CreateLoad(
            elt, elementPtr(b, type, bias, b.CreateAdd(firstChannel, r)));
        Value *row = elementPtr(b, type, out, b.CreateMul(r, b.getInt64(ld)));
        emitLoop(
            b, b.getInt64(0), cols, b.getInt64(1),
            [&](IRBuilderBase &b, Value *j) {
              b.CreateStore(value, elementPtr(b, type, row, j));
            },
            "col");
      },
      "row");
}

void emitConvTasks(Kernel &k, const Conv2DPlan &plan, int64_t bands,
                   ConvTaskBody body) {
  int64_t groups = plan.params.groups;
  emitParallelFor(
      k, plan.batch * groups * bands, /*grain=*/1, {},
      [&](Kernel &chunk, ArrayRef<Value *>, Value *begin, Value *end) {
        emitLoop(
            chunk.b, begin, end, chunk.b.getInt64(1),
            [&](IRBuilderBase &b, Value *task) {
              ConvTask t;
              t.band = b.CreateURem(task, b.getInt64(bands));
              Value *rest = b.CreateUDiv(task, b.getInt64(bands));
              t.group = b.CreateURem(rest, b.getInt64(groups));
              t.image = b.CreateUDiv(rest, b.getInt64(groups));
              t.firstOut =
                  b.CreateMul(t.group, b.getInt64(plan.groupOutChannels));
              body(chunk, b, t);
            },
            "task");
      });
}

void emitConv2D(Kernel &k) {
  Conv2DPlan plan = planConv2D(k.graph, k.op);
  // Every route reads back the output it accumulates into.
  allowReadingResult(k.results[0].ptr);
  switch (plan.method) {
  case Conv2DPlan::Direct:
    emitConv2DDirect(k, plan);
    return;
  case Conv2DPlan::Im2Col:
    emitConv2DIm2Col(k, plan);
    return;
  case Conv2DPlan::Pointwise:
    break;
  }

  // out[n, group] = w[group] ([O/g, C/g]) * x[n, group] ([C/g, H*W]), in
  // tasks of one (image, group) on the run's threads, each about
  // kBandMultiplyAdds: bands of columns (pixels), or, when an image has
  // fewer pixels than output channels (late layers), bands of rows (output
  // channels) of equal size.
  DataType type = plan.type;
  int64_t pixels = plan.height * plan.width;
  int64_t og = plan.groupOutChannels, cg = plan.groupChannels;
  int64_t rowBands = 1;
  if (og > pixels)
    for (int64_t b : {kMinBands, kMinBands / 2, int64_t(2)})
      if (og % b == 0 && og / b >= kBandColumnStep) {
        rowBands = b;
        break;
      }
  int64_t byWork = ceilDiv(kBandMultiplyAdds, std::max<int64_t>(og * cg, 1));
  int64_t bandCols =
      rowBands > 1 ? pixels
                   : std::min<int64_t>(
                         pixels, alignTo(std::min(byWork,
                                                  ceilDiv(pixels, kMinBands)),
                                         kBandColumnStep));
  int64_t bandRows = og / rowBands;
  int64_t bands = rowBands > 1 ? rowBands : ceilDiv(pixels, bandCols);
  emitConvTasks(
      k, plan, bands, [&](Kernel &chunk, IRBuilderBase &b, const ConvTask &t) {
        auto [n, g, band, groupOut] = t;
        Value *x = chunk.operands[0].ptr, *w = chunk.operands[1].ptr;
        Value *y = chunk.results[0].ptr;
        // The band's first pixel and output channel.
        Value *first = rowBands > 1 ? b.getInt64(0)
                                    : b.CreateMul(band, b.getInt64(bandCols));
        Value *firstOut =
            rowBands > 1
                ? b.CreateAdd(groupOut, b.CreateMul(band, b.getInt64(bandRows)))
                : groupOut;
        Value *cols = b.CreateBinaryIntrinsic(
            Intrinsic::smin, b.getInt64(bandCols),
            b.CreateSub(b.getInt64(pixels), first));
        Value *outImage =
            b.CreateAdd(b.CreateMul(n, b.getInt64(plan.outChannels)), firstOut);
        Value *inImage = b.CreateAdd(b.CreateMul(n, b.getInt64(plan.channels)),
                                     b.CreateMul(g, b.getInt64(cg)));
        GemmArgs gemm;
        gemm.type = type;
        gemm.m = bandRows;
        gemm.k = cg;
        gemm.n = cols;
        gemm.maxN = bandCols;
        gemm.a = elementPtr(b, type, w, b.CreateMul(firstOut, b.getInt64(cg)));
        gemm.b = elementPtr(
            b, type, x,
            b.CreateAdd(b.CreateMul(inImage, b.getInt64(pixels)), first));
        gemm.c = elementPtr(
            b, type, y,
            b.CreateAdd(b.CreateMul(outImage, b.getInt64(pixels)), first));
        gemm.lda = cg;
        gemm.ldb = gemm.ldc = pixels;
        gemm.accumulate = plan.hasBias;
        if (plan.hasBias)
          emitBiasFill(b, type, chunk.operands[2].ptr, firstOut, bandRows,
                       gemm.n, gemm.c, pixels);
        emitGemm(b, k.module, gemm);
      });
}

} // namespace qjit
