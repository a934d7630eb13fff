//===- GradFakeQuantization.cpp - Lowering of the backward pass -----------===//
//
// GradFakeQuantization(dy, x[, scale[, zero_point]]):
//   ste      dx = dy
//   clipped  dx = dy * mask, mask = (qmin <= qf <= qmax) as 1.0 or 0.0: a
//            multiplication as PyTorch's dY * mask (-0.0 and NaN off the
//            grid for negative and non-finite dy), not a select
//   lsq      dx as clipped, plus d scale and d zero point summed in
//            row-major order (per channel: over all axes but the axis), as
//            docs/fake-quantization.md tabulates them.
// GradFakeQuantization(dy, mask) is the clipped rule from the mask the
// forward op yielded: dx = dy * mask, one pass over dy and the mask.
// Large tensors are split over threads (Parallel.h), but for lsq, whose
// sums stay serial so that their order (and so their rounding) is fixed.
//
//===----------------------------------------------------------------------===//
#include "FakeQuantEmitter.h"
#include "LoopBuilder.h"
#include "Parallel.h"
#include "llvm/IR/Intrinsics.h"

using namespace llvm;

namespace qjit {
namespace {

// dx = dy: a copy, in chunks of bytes when large.
void emitStraightThrough(Kernel &k) {
  const KernelBuffer &dy = k.operands[0];
  DataType type = dy.type.elementType;
  emitParallelFor(
      k, dy.type.numElements(), kParallelGrainElements, {},
      [&](Kernel &chunk, ArrayRef<Value *>, Value *begin, Value *end) {
        IRBuilderBase &b = chunk.b;
        Value *size = b.getInt64(dataTypeSize(type));
        b.CreateMemCpy(
            elementPtr(b, type, chunk.results[0].ptr, begin), MaybeAlign(),
            elementPtr(b, type, chunk.operands[0].ptr, begin), MaybeAlign(),
            b.CreateMul(b.CreateSub(end, begin), size, "", true, true));
      });
}

void emitClipped(Kernel &k) {
  FakeQuantEmitter emitter(k);
  emitter.emitParams();
  DataType type = k.results[0].type.elementType;
  Type *elemTy = emitter.getElementType();
  emitter.forEachElementParallel([&](IRBuilderBase &b, Kernel &chunk,
                                     Value *index, Value *,
                                     const QuantParams &p) {
    Value *xv = emitter.loadInput(b, chunk, index);
    Value *dy =
        b.CreateLoad(elemTy, elementPtr(b, type, chunk.operands[0].ptr, index));
    Value *inRange = emitter.emitInRange(b, emitter.emitGridValue(b, xv, p));
    b.CreateStore(b.CreateFMul(dy, b.CreateUIToFP(inRange, elemTy)),
                  elementPtr(b, type, chunk.results[0].ptr, index));
  });
}

// Converts a sum in the element type to the gradient's type.
Value *convertSum(IRBuilderBase &b, Value *sum, DataType to) {
  Type *toTy = elementLLVMType(b.getContext(), to);
  if (isFloatType(to))
    return b.CreateFPCast(sum, toTy);
  // An Int32 zero point's gradient: saturating, NaN -> 0.
  return b.CreateIntrinsic(Intrinsic::fptosi_sat, {toTy, sum->getType()},
                           {sum});
}

void emitLearnedStepSize(Kernel &k) {
  FakeQuantEmitter emitter(k);
  emitter.emitParams();
  IRBuilderBase &b = k.b;
  DataType type = k.results[0].type.elementType;
  Type *elemTy = emitter.getElementType();
  Value *dyPtr = k.operands[0].ptr, *dxPtr = k.results[0].ptr;
  const KernelBuffer &dScale = k.results[1], &dZeroPoint = k.results[2];
  bool scalePerChannel = !dScale.type.shape.empty();
  bool zeroPointPerChannel = !dZeroPoint.type.shape.empty();
  Constant *zero = emitter.elementConstant(0.0);
  Constant *g = emitter.elementConstant(emitter.getOp().gradFactor());

  Value *scaleSums = emitter.scratchArray(3);
  Value *zeroPointSums = emitter.scratchArray(4);
  emitter.emitZeroChannels({scaleSums, zeroPointSums});

  // sum = sum + v, but a NaN sum stays as it is: which NaN a sum of two NaNs
  // is depends on the order of the fadd's operands, which LLVM may commute;
  // keeping the first NaN makes the result the same at every -O level.
  // (Which NaN is not part of the contract: the interpreter's may differ.)
  auto accumulate = [&](Value *sums, bool perChannel, Value *channel,
                        Value *v) {
    Value *ptr =
        elementPtr(b, type, sums, perChannel ? channel : b.getInt64(0));
    Value *sum = b.CreateLoad(elemTy, ptr);
    b.CreateStore(
        b.CreateSelect(b.CreateFCmpUNO(sum, sum), sum, b.CreateFAdd(sum, v)),
        ptr);
  };

  emitter.forEachElement([&](IRBuilderBase &, Value *index, Value *channel,
                             const QuantParams &p) {
    Value *xv =
        b.CreateLoad(elemTy, elementPtr(b, type, emitter.input(), index));
    Value *dy = b.CreateLoad(elemTy, elementPtr(b, type, dyPtr, index));
    Value *qf = emitter.emitGridValue(b, xv, p);
    Value *q = emitter.emitLevel(b, qf);
    Value *y = emitter.emitDequantized(b, q, p);
    Value *inRange = emitter.emitInRange(b, qf);

    b.CreateStore(b.CreateFMul(dy, b.CreateUIToFP(inRange, elemTy)),
                  elementPtr(b, type, dxPtr, index));
    // In range: dy * (y - x) / s * g; outside: dy * (q - z) * g, where a
    // NaN qf has q = qmin like values below the grid.
    Value *dsInside = b.CreateFMul(
        b.CreateFDiv(b.CreateFMul(dy, b.CreateFSub(y, xv)), p.scale), g);
    Value *dsOutside =
        b.CreateFMul(b.CreateFMul(dy, b.CreateFSub(q, p.zeroPoint)), g);
    Value *dzOutside = b.CreateFMul(b.CreateFMul(b.CreateFNeg(dy), p.scale), g);
    accumulate(scaleSums, scalePerChannel, channel,
               b.CreateSelect(inRange, dsInside, dsOutside));
    accumulate(zeroPointSums, zeroPointPerChannel, channel,
               b.CreateSelect(inRange, zero, dzOutside));
  });

  auto store = [&](const KernelBuffer &out, Value *sums) {
    DataType to = out.type.elementType;
    emitLoop(
        b, out.type.numElements(),
        [&](IRBuilderBase &, Value *c) {
          Value *sum = b.CreateLoad(elemTy, elementPtr(b, type, sums, c));
          b.CreateStore(convertSum(b, sum, to), elementPtr(b, to, out.ptr, c));
        },
        "c");
  };
  store(dScale, scaleSums);
  store(dZeroPoint, zeroPointSums);
}

// GradFakeQuantization(dy, mask): dx = dy * mask from the forward's mask,
// without x.
void emitFromMask(Kernel &k) {
  DataType type = k.results[0].type.elementType;
  Type *elemTy = elementLLVMType(k.b.getContext(), type);
  emitParallelChannelWalk(
      k, k.results[0].type.numElements(), 1, 1, {},
      [&](Kernel &chunk, ArrayRef<Value *>, IRBuilderBase &b, Value *i,
          Value *) {
        Value *dy =
            b.CreateLoad(elemTy, elementPtr(b, type, chunk.operands[0].ptr, i));
        Value *mask =
            b.CreateLoad(b.getInt8Ty(), elementPtr(b, DataType::Bool,
                                                   chunk.operands[1].ptr, i));
        Value *factor =
            b.CreateUIToFP(b.CreateICmpNE(mask, b.getInt8(0)), elemTy);
        b.CreateStore(b.CreateFMul(dy, factor),
                      elementPtr(b, type, chunk.results[0].ptr, i));
      });
}

} // namespace

void emitGradFakeQuantization(Kernel &k) {
  if (k.operands[1].type.elementType == DataType::Bool)
    return emitFromMask(k);
  switch (FakeQuantizationOp(k.op).gradient()) {
  case GradientRule::STE:
    emitStraightThrough(k);
    return;
  case GradientRule::Clipped:
    emitClipped(k);
    return;
  case GradientRule::LSQ:
    emitLearnedStepSize(k);
    return;
  }
}

} // namespace qjit
