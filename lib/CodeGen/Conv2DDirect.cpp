//===- Conv2DDirect.cpp - Conv2D with one input channel per group ---------===//
//
// Depthwise convolutions (and any with C / groups == 1) have too little
// work per output for a matrix product to pay for its im2col copy. Each
// output plane reads one input plane, copied first into a zero-bordered
// plane in the scratch when there is padding (the borders are zeroed once
// per call: every plane leaves them untouched). Padding cells are then
// real zeros multiplied like any other value, as the definition has it
// (an infinite weight over padding gives NaN), and no loop tests bounds.
// Up to kMaxUnrolledTaps taps are unrolled into one vectorized loop over x
// that keeps each output's sum in a register; larger kernels add one tap
// at a time into the output row. Planes are split over the run's threads;
// each chunk pads into its own thread's scratch (the kernel's scratch when
// the convolution is too small to split).
//
//===----------------------------------------------------------------------===//
#include "Conv2D.h"
#include "LoopBuilder.h"
#include "Parallel.h"

using namespace llvm;

namespace qjit {
namespace {

constexpr int64_t kMaxUnrolledTaps = 49; // 7x7

// Multiply-adds per chunk of planes on the run's threads: tens of
// microseconds each, well above a chunk's scheduling cost, and small enough
// that a depthwise layer (32 to 960 planes of 7x7 to 112x112) splits.
constexpr int64_t kChunkMultiplyAdds = int64_t(1) << 18;

struct PaddedPlane {
  int64_t rows, cols; // the plane the taps read, padding included
  bool copied;        // in the scratch (there is padding)
};

PaddedPlane paddedPlane(const Conv2DPlan &plan) {
  const Conv2DParams &p = plan.params;
  bool padded = p.padH != 0 || p.padW != 0;
  return {plan.height + 2 * p.padH, plan.width + 2 * p.padW, padded};
}

} // namespace

uint64_t conv2DDirectScratchBytes(const Conv2DPlan &plan) {
  PaddedPlane padded = paddedPlane(plan);
  if (!padded.copied)
    return 0;
  return uint64_t(padded.rows * padded.cols) * dataTypeSize(plan.type);
}

namespace {

// What the taps of one output plane read and write.
struct PlaneRefs {
  Value *source;   // the input plane (its zero-bordered copy when padded)
  Value *outPlane; // the output plane
  Value *weights;  // the KH * KW weights of the plane's output channel
  Value *init;     // where each output's sum starts: the bias or zero
};

class DirectConvEmitter {
public:
  DirectConvEmitter(Kernel &k, const Conv2DPlan &plan)
      : k(k), plan(plan), p(plan.params), type(plan.type),
        elt(elementLLVMType(k.b.getContext(), type)), padded(paddedPlane(plan)),
        taps(plan.kernelH * plan.kernelW) {}

  void emit();

private:
  PlaneRefs emitPlaneRefs(IRBuilderBase &b, Value *plane);
  void emitPaddedCopy(IRBuilderBase &b, Value *inPlane);
  Value *tapInput(IRBuilderBase &b, Value *tapRow, Value *ox, Value *kx);
  Value *tapRowOf(IRBuilderBase &b, Value *source, Value *oy, Value *ky);
  void emitUnrolledTaps(IRBuilderBase &b, const PlaneRefs &refs);
  void emitTapByTap(IRBuilderBase &b, const PlaneRefs &refs);

  Kernel &k;
  // The chunk being emitted (k itself when not split) and its padded plane.
  Kernel *chunk = nullptr;
  Value *planeScratch = nullptr;
  const Conv2DPlan &plan;
  const Conv2DParams &p;
  DataType type;
  Type *elt;
  PaddedPlane padded;
  int64_t taps;
};

void DirectConvEmitter::emit() {
  int64_t planes = plan.batch * plan.outChannels;
  int64_t perPlane = std::max<int64_t>(plan.outH * plan.outW * taps, 1);
  uint64_t scratchBytes = conv2DDirectScratchBytes(plan);
  emitParallelFor(
      k, planes, std::max<int64_t>(1, ceilDiv(kChunkMultiplyAdds, perPlane)), {},
      [&](Kernel &c, ArrayRef<Value *>, Value *begin, Value *end) {
        chunk = &c;
        auto emitPlanes = [&](Value *scratch) {
          planeScratch = scratch;
          // Borders zeroed once per chunk: every plane leaves them untouched.
          if (padded.copied)
            c.b.CreateMemSet(scratch, c.b.getInt8(0), scratchBytes,
                             MaybeAlign(64));
          emitLoop(
              c.b, begin, end, c.b.getInt64(1),
              [&](IRBuilderBase &b, Value *plane) {
                PlaneRefs refs = emitPlaneRefs(b, plane);
                if (taps <= kMaxUnrolledTaps)
                  emitUnrolledTaps(b, refs);
                else
                  emitTapByTap(b, refs);
              },
              "plane");
        };
        if (!padded.copied)
          emitPlanes(nullptr);
        else if (&c == &k)
          emitPlanes(k.scratch);
        else
          emitWithThreadScratch(c.b, k.module, scratchBytes, emitPlanes);
      });
}

// for n, o: the plane of output channel o reads input channel o / (O/g).
PlaneRefs DirectConvEmitter::emitPlaneRefs(IRBuilderBase &b, Value *plane) {
  Value *x = chunk->operands[0].ptr, *w = chunk->operands[1].ptr;
  Value *y = chunk->results[0].ptr;
  Value *bias = plan.hasBias ? chunk->operands[2].ptr : nullptr;
  Value *o = b.CreateURem(plane, b.getInt64(plan.outChannels));
  Value *n = b.CreateUDiv(plane, b.getInt64(plan.outChannels));
  Value *channel = b.CreateUDiv(o, b.getInt64(plan.groupOutChannels));
  Value *inPlane = elementPtr(
      b, type, x,
      b.CreateMul(
          b.CreateAdd(b.CreateMul(n, b.getInt64(plan.channels)), channel),
          b.getInt64(plan.height * plan.width)));
  PlaneRefs refs;
  refs.outPlane = elementPtr(
      b, type, y, b.CreateMul(plane, b.getInt64(plan.outH * plan.outW)));
  refs.weights = elementPtr(b, type, w, b.CreateMul(o, b.getInt64(taps)));
  refs.init = Constant::getNullValue(elt);
  if (bias)
    refs.init = b.CreateLoad(elt, elementPtr(b, type, bias, o));

  refs.source = inPlane;
  if (padded.copied) {
    refs.source = planeScratch;
    emitPaddedCopy(b, inPlane);
  }
  return refs;
}

// Copies the input plane row by row inside the zeroed border of the scratch.
void DirectConvEmitter::emitPaddedCopy(IRBuilderBase &b, Value *inPlane) {
  int64_t eltBytes = dataTypeSize(type);
  emitLoop(
      b, plan.height,
      [&](IRBuilderBase &b, Value *r) {
        Value *to = elementPtr(
            b, type, planeScratch,
            b.CreateAdd(b.CreateMul(b.CreateAdd(r, b.getInt64(p.padH)),
                                    b.getInt64(padded.cols)),
                        b.getInt64(p.padW)));
        Value *from = elementPtr(b, type, inPlane,
                                 b.CreateMul(r, b.getInt64(plan.width)));
        b.CreateMemCpy(to, MaybeAlign(eltBytes), from, MaybeAlign(eltBytes),
                       plan.width * eltBytes);
      },
      "copy");
}

// The input element of output column ox for tap (ky, kx), given the tap
// row's start.
Value *DirectConvEmitter::tapInput(IRBuilderBase &b, Value *tapRow, Value *ox,
                                   Value *kx) {
  Value *ix = b.CreateAdd(b.CreateMul(ox, b.getInt64(p.strideW)),
                          b.CreateMul(kx, b.getInt64(p.dilationW)));
  return b.CreateLoad(elt, elementPtr(b, type, tapRow, ix));
}

// The start of the input row that tap row ky reads for output row oy.
Value *DirectConvEmitter::tapRowOf(IRBuilderBase &b, Value *source, Value *oy,
                                   Value *ky) {
  Value *row = b.CreateAdd(b.CreateMul(oy, b.getInt64(p.strideH)),
                           b.CreateMul(ky, b.getInt64(p.dilationH)));
  return elementPtr(b, type, source, b.CreateMul(row, b.getInt64(padded.cols)));
}

// Up to kMaxUnrolledTaps taps: the weights in registers, every tap unrolled
// into one loop over x that keeps each output's sum in a register.
void DirectConvEmitter::emitUnrolledTaps(IRBuilderBase &b,
                                         const PlaneRefs &refs) {
  SmallVector<Value *, 49> tapWeights;
  for (int64_t t = 0; t < taps; ++t)
    tapWeights.push_back(
        b.CreateLoad(elt, elementPtr(b, type, refs.weights, b.getInt64(t))));
  LoopStack loops(b);
  Value *oy = loops.open(0, plan.outH, "oy");
  SmallVector<Value *, 7> tapRows;
  for (int64_t ky = 0; ky < plan.kernelH; ++ky)
    tapRows.push_back(tapRowOf(b, refs.source, oy, b.getInt64(ky)));
  Value *outRow = elementPtr(b, type, refs.outPlane,
                             b.CreateMul(oy, b.getInt64(plan.outW)));
  Value *ox = loops.open(0, plan.outW, "ox");
  Value *sum = refs.init;
  for (int64_t ky = 0; ky < plan.kernelH; ++ky)
    for (int64_t kx = 0; kx < plan.kernelW; ++kx)
      sum = b.CreateFAdd(
          sum, b.CreateFMul(tapWeights[ky * plan.kernelW + kx],
                            tapInput(b, tapRows[ky], ox, b.getInt64(kx))));
  b.CreateStore(sum, elementPtr(b, type, outRow, ox));
  loops.close(); // ox
  loops.close(); // oy
}

// Larger kernels: each output row starts from init and adds one tap at a
// time.
void DirectConvEmitter::emitTapByTap(IRBuilderBase &b, const PlaneRefs &refs) {
  LoopStack loops(b);
  Value *oy = loops.open(0, plan.outH, "oy");
  Value *outRow = elementPtr(b, type, refs.outPlane,
                             b.CreateMul(oy, b.getInt64(plan.outW)));
  emitLoop(
      b, plan.outW,
      [&](IRBuilderBase &b, Value *ox) {
        b.CreateStore(refs.init, elementPtr(b, type, outRow, ox));
      },
      "init");
  Value *ky = loops.open(0, plan.kernelH, "ky");
  Value *tapRow = tapRowOf(b, refs.source, oy, ky);
  Value *kx = loops.open(0, plan.kernelW, "kx");
  Value *weight = b.CreateLoad(
      elt,
      elementPtr(b, type, refs.weights,
                 b.CreateAdd(b.CreateMul(ky, b.getInt64(plan.kernelW)), kx)));
  Value *ox = loops.open(0, plan.outW, "ox");
  Value *outPtr = elementPtr(b, type, outRow, ox);
  Value *sum = b.CreateFAdd(b.CreateLoad(elt, outPtr),
                            b.CreateFMul(weight, tapInput(b, tapRow, ox, kx)));
  b.CreateStore(sum, outPtr);
  loops.close(); // ox
  loops.close(); // kx
  loops.close(); // ky
  loops.close(); // oy
}

} // namespace

void emitConv2DDirect(Kernel &k, const Conv2DPlan &plan) {
  DirectConvEmitter(k, plan).emit();
}

} // namespace qjit
