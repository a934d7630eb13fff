//===- Conv2DDirect.cpp - Conv2D with one input channel per group ---------===//
//
// Depthwise convolutions (and any with C / groups == 1) have too little
// work per output for a matrix product to pay for its im2col copy. Each
// output row is set to the bias and the KH * KW taps are added in place;
// the tap ranges are clipped so the inner loop over x has no padding tests
// and vectorizes (contiguous loads for stride 1).
//
//===----------------------------------------------------------------------===//
#include "Conv2DLowering.h"
#include "LoopBuilder.h"
#include "llvm/IR/Function.h"

using namespace llvm;

namespace qjit {

void emitConv2DDirect(Kernel &k, const Conv2DPlan &plan) {
  DataType type = plan.type;
  Type *elt = elementLLVMType(k.b.getContext(), type);
  const Conv2DParams &p = plan.params;
  int64_t taps = plan.kernelH * plan.kernelW;
  Value *x = k.operands[0].ptr, *w = k.operands[1].ptr, *y = k.results[0].ptr;
  Value *bias = plan.hasBias ? k.operands[2].ptr : nullptr;
  Value *one = k.b.getInt64(1);

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

        emitLoop(
            b, plan.outH,
            [&](IRBuilderBase &b, Value *oy) {
              Value *row = elementPtr(b, type, outPlane,
                                      b.CreateMul(oy, b.getInt64(plan.outW)));
              emitLoop(
                  b, plan.outW,
                  [&](IRBuilderBase &b, Value *ox) {
                    b.CreateStore(init, elementPtr(b, type, row, ox));
                  },
                  "init");
              emitLoop(
                  b, plan.kernelH,
                  [&](IRBuilderBase &b, Value *ky) {
                    Value *iy = b.CreateAdd(
                        b.CreateMul(oy, b.getInt64(p.strideH)),
                        b.CreateSub(b.CreateMul(ky, b.getInt64(p.dilationH)),
                                    b.getInt64(p.padH)));
                    // Rows of padding add nothing.
                    Function *fn = b.GetInsertBlock()->getParent();
                    BasicBlock *inside =
                        BasicBlock::Create(b.getContext(), "inside", fn);
                    BasicBlock *next =
                        BasicBlock::Create(b.getContext(), "next", fn);
                    b.CreateCondBr(b.CreateICmpULT(iy, b.getInt64(plan.height)),
                                   inside, next);
                    b.SetInsertPoint(inside);
                    Value *inRow =
                        elementPtr(b, type, inPlane,
                                   b.CreateMul(iy, b.getInt64(plan.width)));
                    emitLoop(
                        b, plan.kernelW,
                        [&](IRBuilderBase &b, Value *kx) {
                          Value *tap = b.CreateAdd(
                              b.CreateMul(ky, b.getInt64(plan.kernelW)), kx);
                          Value *weight = b.CreateLoad(
                              elt, elementPtr(b, type, weights, tap));
                          TapRange range =
                              emitTapRange(b, kx, p.strideW, p.padW,
                                           p.dilationW, plan.width, plan.outW);
                          Value *shift = b.CreateSub(
                              b.CreateMul(kx, b.getInt64(p.dilationW)),
                              b.getInt64(p.padW));
                          emitLoop(
                              b, range.lo, range.hi, one,
                              [&](IRBuilderBase &b, Value *ox) {
                                Value *ix = b.CreateAdd(
                                    b.CreateMul(ox, b.getInt64(p.strideW)),
                                    shift);
                                Value *in = b.CreateLoad(
                                    elt, elementPtr(b, type, inRow, ix));
                                Value *outPtr = elementPtr(b, type, row, ox);
                                Value *sum =
                                    b.CreateFAdd(b.CreateLoad(elt, outPtr),
                                                 b.CreateFMul(weight, in));
                                b.CreateStore(sum, outPtr);
                              },
                              "x");
                        },
                        "kx");
                    b.CreateBr(next);
                    b.SetInsertPoint(next);
                  },
                  "ky");
            },
            "oy");
      },
      "plane");
}

} // namespace qjit
