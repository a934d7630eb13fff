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
// at a time into the output row.
//
//===----------------------------------------------------------------------===//
#include "Conv2D.h"
#include "LoopBuilder.h"

using namespace llvm;

namespace qjit {
namespace {

constexpr int64_t kMaxUnrolledTaps = 49; // 7x7

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

void emitConv2DDirect(Kernel &k, const Conv2DPlan &plan) {
  DataType type = plan.type;
  Type *elt = elementLLVMType(k.b.getContext(), type);
  const Conv2DParams &p = plan.params;
  PaddedPlane padded = paddedPlane(plan);
  int64_t taps = plan.kernelH * plan.kernelW;
  int64_t eltBytes = dataTypeSize(type);
  Value *x = k.operands[0].ptr, *w = k.operands[1].ptr, *y = k.results[0].ptr;
  Value *bias = plan.hasBias ? k.operands[2].ptr : nullptr;

  if (padded.copied)
    k.b.CreateMemSet(k.scratch, k.b.getInt8(0), conv2DDirectScratchBytes(plan),
                     MaybeAlign(64));

  // for n, o: the plane of output channel o reads input channel o / (O/g).
  emitLoop(
      k.b, plan.batch * plan.outChannels,
      [&](IRBuilderBase &b, Value *plane) {
        Value *o = b.CreateURem(plane, b.getInt64(plan.outChannels));
        Value *n = b.CreateUDiv(plane, b.getInt64(plan.outChannels));
        Value *channel = b.CreateUDiv(o, b.getInt64(plan.groupOutChannels));
        Value *inPlane = elementPtr(
            b, type, x,
            b.CreateMul(
                b.CreateAdd(b.CreateMul(n, b.getInt64(plan.channels)), channel),
                b.getInt64(plan.height * plan.width)));
        Value *outPlane = elementPtr(
            b, type, y, b.CreateMul(plane, b.getInt64(plan.outH * plan.outW)));
        Value *weights =
            elementPtr(b, type, w, b.CreateMul(o, b.getInt64(taps)));
        Value *init = Constant::getNullValue(elt);
        if (bias)
          init = b.CreateLoad(elt, elementPtr(b, type, bias, o));

        Value *source = inPlane;
        if (padded.copied) {
          source = k.scratch;
          emitLoop(
              b, plan.height,
              [&](IRBuilderBase &b, Value *r) {
                Value *to = elementPtr(
                    b, type, source,
                    b.CreateAdd(b.CreateMul(b.CreateAdd(r, b.getInt64(p.padH)),
                                            b.getInt64(padded.cols)),
                                b.getInt64(p.padW)));
                Value *from = elementPtr(
                    b, type, inPlane, b.CreateMul(r, b.getInt64(plan.width)));
                b.CreateMemCpy(to, MaybeAlign(eltBytes), from,
                               MaybeAlign(eltBytes), plan.width * eltBytes);
              },
              "copy");
        }

        // The input element of output column ox for tap (ky, kx), given the
        // tap row's start.
        auto tapInput = [&](IRBuilderBase &b, Value *tapRow, Value *ox,
                            Value *kx) {
          Value *ix = b.CreateAdd(b.CreateMul(ox, b.getInt64(p.strideW)),
                                  b.CreateMul(kx, b.getInt64(p.dilationW)));
          return b.CreateLoad(elt, elementPtr(b, type, tapRow, ix));
        };
        auto tapRowOf = [&](IRBuilderBase &b, Value *oy, Value *ky) {
          Value *row = b.CreateAdd(b.CreateMul(oy, b.getInt64(p.strideH)),
                                   b.CreateMul(ky, b.getInt64(p.dilationH)));
          return elementPtr(b, type, source,
                            b.CreateMul(row, b.getInt64(padded.cols)));
        };

        if (taps <= kMaxUnrolledTaps) {
          SmallVector<Value *, 49> tapWeights;
          for (int64_t t = 0; t < taps; ++t)
            tapWeights.push_back(
                b.CreateLoad(elt, elementPtr(b, type, weights, b.getInt64(t))));
          emitLoop(
              b, plan.outH,
              [&](IRBuilderBase &b, Value *oy) {
                SmallVector<Value *, 7> tapRows;
                for (int64_t ky = 0; ky < plan.kernelH; ++ky)
                  tapRows.push_back(tapRowOf(b, oy, b.getInt64(ky)));
                Value *outRow = elementPtr(
                    b, type, outPlane, b.CreateMul(oy, b.getInt64(plan.outW)));
                emitLoop(
                    b, plan.outW,
                    [&](IRBuilderBase &b, Value *ox) {
                      Value *sum = init;
                      for (int64_t ky = 0; ky < plan.kernelH; ++ky)
                        for (int64_t kx = 0; kx < plan.kernelW; ++kx)
                          sum = b.CreateFAdd(
                              sum,
                              b.CreateFMul(tapWeights[ky * plan.kernelW + kx],
                                           tapInput(b, tapRows[ky], ox,
                                                    b.getInt64(kx))));
                      b.CreateStore(sum, elementPtr(b, type, outRow, ox));
                    },
                    "ox");
              },
              "oy");
          return;
        }

        emitLoop(
            b, plan.outH,
            [&](IRBuilderBase &b, Value *oy) {
              Value *outRow = elementPtr(
                  b, type, outPlane, b.CreateMul(oy, b.getInt64(plan.outW)));
              emitLoop(
                  b, plan.outW,
                  [&](IRBuilderBase &b, Value *ox) {
                    b.CreateStore(init, elementPtr(b, type, outRow, ox));
                  },
                  "init");
              emitLoop(
                  b, plan.kernelH,
                  [&](IRBuilderBase &b, Value *ky) {
                    Value *tapRow = tapRowOf(b, oy, ky);
                    emitLoop(
                        b, plan.kernelW,
                        [&](IRBuilderBase &b, Value *kx) {
                          Value *weight = b.CreateLoad(
                              elt,
                              elementPtr(
                                  b, type, weights,
                                  b.CreateAdd(
                                      b.CreateMul(ky, b.getInt64(plan.kernelW)),
                                      kx)));
                          emitLoop(
                              b, plan.outW,
                              [&](IRBuilderBase &b, Value *ox) {
                                Value *outPtr = elementPtr(b, type, outRow, ox);
                                Value *sum = b.CreateFAdd(
                                    b.CreateLoad(elt, outPtr),
                                    b.CreateFMul(weight,
                                                 tapInput(b, tapRow, ox, kx)));
                                b.CreateStore(sum, outPtr);
                              },
                              "ox");
                        },
                        "kx");
                  },
                  "ky");
            },
            "oy");
      },
      "plane");
}

} // namespace qjit
