//===- FakeQuantEmitter.cpp - Parameters and walks of fake quantization ---===//
#include "FakeQuantEmitter.h"
#include "GlobalConstants.h"
#include "LoopBuilder.h"
#include "Parallel.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Intrinsics.h"

using namespace llvm;

namespace qjit {
namespace {

uint64_t roundUp64(uint64_t bytes) { return (bytes + 63) / 64 * 64; }

// x's layout and how many scratch arrays the kernel needs.
struct ScratchLayout {
  int64_t channels = 1;
  unsigned arrays = 0;
  uint64_t arrayBytes = 0;
};

ScratchLayout scratchLayout(const Graph &graph, const Operation &op) {
  FakeQuantizationOp fq(op);
  const TensorType &x = graph.getType(fq.input());
  ScratchLayout layout;
  std::optional<int64_t> axis = fq.normalizedAxis(x.rank());
  if (axis) {
    layout.channels = x.shape[*axis];
    layout.arrays = 3; // scale, inverse, zero point
  }
  if (fq.isGradient() && fq.gradient() == GradientRule::LSQ)
    layout.arrays = 5; // and the sums of d scale and d zero point
  layout.arrayBytes = roundUp64(layout.channels * dataTypeSize(x.elementType));
  return layout;
}

} // namespace

uint64_t fakeQuantScratchBytes(const Graph &graph, const Operation &op) {
  ScratchLayout layout = scratchLayout(graph, op);
  return layout.arrays * layout.arrayBytes;
}

FakeQuantEmitter::FakeQuantEmitter(Kernel &k) : k(k), b(k.b), fq(k.op) {
  unsigned first = fq.isGradient() ? 1 : 0;
  inputOperand = first;
  const KernelBuffer &in = k.operands[first];
  type = in.type.elementType;
  elemTy = elementLLVMType(b.getContext(), type);
  x = in.ptr;
  if (fq.scaleOperand())
    scaleOperand = k.operands[first + 1];
  if (fq.zeroPointOperand())
    zeroPointOperand = k.operands[first + 2];
  qmin = elementConstant(double(fq.quantMin()));
  qmax = elementConstant(double(fq.quantMax()));
  channels = 1;
  outer = in.type.numElements();
  inner = 1;
  if (std::optional<int64_t> axis = fq.normalizedAxis(in.type.rank())) {
    perChannel = true;
    ArrayRef<int64_t> shape = in.type.shape;
    outer = numElements(shape.take_front(*axis));
    channels = shape[*axis];
    inner = numElements(shape.drop_front(*axis + 1));
  }
}

Constant *FakeQuantEmitter::elementConstant(double value) const {
  return ConstantFP::get(elemTy, value);
}

Value *FakeQuantEmitter::scratchArray(unsigned index) const {
  return scratchArray(b, k.scratch, index);
}

Value *FakeQuantEmitter::scratchArray(IRBuilderBase &b, Value *scratch,
                                      unsigned index) const {
  ScratchLayout layout = scratchLayout(k.graph, k.op);
  assert(index < layout.arrays && "scratch array out of range");
  return b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), scratch,
                                      index * layout.arrayBytes);
}

Value *FakeQuantEmitter::emitClamp(IRBuilderBase &b, Value *v, Value *lo,
                                   Value *hi) {
  Value *r = b.CreateSelect(b.CreateFCmpOGT(v, lo), v, lo);
  return b.CreateSelect(b.CreateFCmpOLT(r, hi), r, hi);
}

Value *FakeQuantEmitter::emitGridValue(IRBuilderBase &b, Value *xv,
                                       const QuantParams &p) {
  Value *scaled = b.CreateFMul(xv, p.inverse);
  Value *rounded = b.CreateUnaryIntrinsic(Intrinsic::roundeven, scaled);
  // Always added, even a zero point of 0: -0.0 becomes +0.0 as in PyTorch.
  return b.CreateFAdd(rounded, p.zeroPoint);
}

Value *FakeQuantEmitter::emitLevel(IRBuilderBase &b, Value *qf) {
  return emitClamp(b, qf, qmin, qmax);
}

Value *FakeQuantEmitter::emitDequantized(IRBuilderBase &b, Value *q,
                                         const QuantParams &p) {
  return b.CreateFMul(b.CreateFSub(q, p.zeroPoint), p.scale);
}

Value *FakeQuantEmitter::emitInRange(IRBuilderBase &b, Value *qf) {
  return b.CreateAnd(b.CreateFCmpOGE(qf, qmin), b.CreateFCmpOLE(qf, qmax));
}

Value *FakeQuantEmitter::emitMasked(IRBuilderBase &b, Value *dy,
                                    Value *inRange) {
  Value *factor =
      b.CreateSelect(inRange, elementConstant(1.0), elementConstant(0.0));
  return b.CreateFMul(dy, factor);
}

Value *FakeQuantEmitter::roundAndClampZeroPoint(Value *zp) {
  return emitClamp(b, b.CreateUnaryIntrinsic(Intrinsic::roundeven, zp), qmin,
                   qmax);
}

//===-- Parameters --------------------------------------------------------===//

void FakeQuantEmitter::emitParams() {
  if (fq.scaleFromData())
    emitObserverParams();
  else if (scaleOperand)
    emitOperandParams();
  else
    emitAttributeParams();
}

void FakeQuantEmitter::emitAttributeParams() {
  if (!perChannel) {
    params.scale = elementConstant(*fq.scale());
    params.inverse = b.CreateFDiv(elementConstant(1.0), params.scale);
    params.zeroPoint = elementConstant(double(fq.zeroPoint()));
    return;
  }
  // Constant arrays; the reciprocals are computed here with IEEE division
  // in the element type, exactly what fl(1 / s) at run time would give.
  const fltSemantics &sem = elemTy->getFltSemantics();
  SmallVector<Constant *> scales, inverses, zeroPoints;
  std::vector<double> values = fq.scales();
  for (int64_t c = 0; c < channels; ++c) {
    APFloat s(values[c]);
    bool lost;
    s.convert(sem, APFloat::rmNearestTiesToEven, &lost);
    APFloat inv(sem, 1);
    inv.divide(s, APFloat::rmNearestTiesToEven);
    scales.push_back(ConstantFP::get(elemTy, s));
    inverses.push_back(ConstantFP::get(elemTy, inv));
    zeroPoints.push_back(elementConstant(double(fq.zeroPoint(c))));
  }
  auto makeArray = [&](ArrayRef<Constant *> elements, const Twine &name) {
    return createConstantArray(k.module, elemTy, elements, name);
  };
  params.scale = makeArray(scales, "fq.scale");
  params.inverse = makeArray(inverses, "fq.inverse");
  params.zeroPoint = makeArray(zeroPoints, "fq.zero_point");
}

Value *FakeQuantEmitter::loadScale(Value *channel) {
  const KernelBuffer &buffer = *scaleOperand;
  DataType t = buffer.type.elementType;
  Value *index = buffer.type.shape.empty() ? b.getInt64(0) : channel;
  Value *s = b.CreateLoad(elementLLVMType(b.getContext(), t),
                          elementPtr(b, t, buffer.ptr, index), "scale");
  return b.CreateFPCast(s, elemTy);
}

Value *FakeQuantEmitter::loadZeroPoint(Value *channel) {
  if (!zeroPointOperand)
    return elementConstant(0.0);
  const KernelBuffer &buffer = *zeroPointOperand;
  DataType t = buffer.type.elementType;
  Value *index = buffer.type.shape.empty() ? b.getInt64(0) : channel;
  Value *zp = b.CreateLoad(elementLLVMType(b.getContext(), t),
                           elementPtr(b, t, buffer.ptr, index), "zero_point");
  if (!isFloatType(t)) {
    // Int32: used as is, except that LSQ's z = roundeven(clamp(zp)) holds
    // in both passes.
    Value *converted = b.CreateSIToFP(zp, elemTy);
    if (fq.gradient() == GradientRule::LSQ)
      return emitClamp(b, converted, qmin, qmax);
    return converted;
  }
  return roundAndClampZeroPoint(b.CreateFPCast(zp, elemTy));
}

void FakeQuantEmitter::emitOperandParams() {
  if (!perChannel) {
    params.scale = loadScale(b.getInt64(0));
    params.inverse = b.CreateFDiv(elementConstant(1.0), params.scale, "inv");
    params.zeroPoint = loadZeroPoint(b.getInt64(0));
    return;
  }
  params.scale = scratchArray(0);
  params.inverse = scratchArray(1);
  params.zeroPoint = scratchArray(2);
  emitLoop(
      b, channels,
      [&](IRBuilderBase &, Value *c) {
        Value *s = loadScale(c);
        b.CreateStore(s, elementPtr(b, type, params.scale, c));
        b.CreateStore(b.CreateFDiv(elementConstant(1.0), s, "inv"),
                      elementPtr(b, type, params.inverse, c));
        b.CreateStore(loadZeroPoint(c),
                      elementPtr(b, type, params.zeroPoint, c));
      },
      "c");
}

std::pair<Value *, Value *> FakeQuantEmitter::emitObserverFormula(Value *lo,
                                                                  Value *hi) {
  Constant *eps = elementConstant(double(kObserverEps));
  // qmax - qmin in the element type (folded to a constant).
  Value *levels = b.CreateFSub(qmax, qmin);
  // Neither operand of these maxima can be NaN (lo and hi are not), so
  // maxnum is the plain maximum the formulas mean.
  if (fq.symmetricGrid()) {
    Value *half = b.CreateFDiv(levels, elementConstant(2.0));
    Value *range =
        b.CreateBinaryIntrinsic(Intrinsic::maxnum, b.CreateFNeg(lo), hi);
    Value *s = b.CreateBinaryIntrinsic(
        Intrinsic::maxnum, eps, b.CreateFDiv(range, half), nullptr, "scale");
    return {s, elementConstant(0.0)};
  }
  Value *s = b.CreateBinaryIntrinsic(Intrinsic::maxnum, eps,
                                     b.CreateFDiv(b.CreateFSub(hi, lo), levels),
                                     nullptr, "scale");
  Value *shift =
      b.CreateUnaryIntrinsic(Intrinsic::roundeven, b.CreateFDiv(lo, s));
  Value *zp = emitClamp(b, b.CreateFSub(qmin, shift), qmin, qmax);
  return {s, zp};
}

namespace {

// *lo = minnum(*lo, v), *hi = maxnum(*hi, v): a NaN in v is skipped.
void emitRangeUpdate(IRBuilderBase &b, Value *lo, Value *hi, Value *v) {
  Type *ty = v->getType();
  b.CreateStore(
      b.CreateBinaryIntrinsic(Intrinsic::minnum, b.CreateLoad(ty, lo), v), lo);
  b.CreateStore(
      b.CreateBinaryIntrinsic(Intrinsic::maxnum, b.CreateLoad(ty, hi), v), hi);
}

} // namespace

void FakeQuantEmitter::emitZeroChannels(ArrayRef<Value *> arrays) {
  Constant *zero = elementConstant(0.0);
  emitLoop(
      b, channels,
      [&](IRBuilderBase &, Value *c) {
        for (Value *array : arrays)
          b.CreateStore(zero, elementPtr(b, type, array, c));
      },
      "c");
}

std::pair<Value *, Value *>
FakeQuantEmitter::emitRange(Value *base, int64_t count, Value *lo, Value *hi) {
  // minnum/maxnum skip NaN and their order does not matter (up to the sign
  // of a zero result, which the formulas never expose), but LoopVectorize
  // only vectorizes such reductions under nnan. So the vector form is
  // written out: 512-bit blocks folded lane-wise, then reduced, then the
  // tail element by element.
  unsigned lanes = 512 / elemTy->getPrimitiveSizeInBits();
  auto *vecTy = FixedVectorType::get(elemTy, lanes);
  int64_t blocks = count / lanes;
  if (blocks > 0) {
    AllocaInst *loSlot = createLocal(b, b.CreateVectorSplat(lanes, lo), "lo");
    AllocaInst *hiSlot = createLocal(b, b.CreateVectorSplat(lanes, hi), "hi");
    emitLoop(
        b, blocks,
        [&](IRBuilderBase &, Value *block) {
          Value *offset = b.CreateMul(block, b.getInt64(lanes), "", true, true);
          Value *v =
              b.CreateAlignedLoad(vecTy, elementPtr(b, type, base, offset),
                                  Align(dataTypeSize(type)));
          emitRangeUpdate(b, loSlot, hiSlot, v);
        },
        "block");
    // Without nnan these reductions are minnum/maxnum over the lanes.
    lo = b.CreateFPMinReduce(b.CreateLoad(vecTy, loSlot));
    hi = b.CreateFPMaxReduce(b.CreateLoad(vecTy, hiSlot));
  }
  AllocaInst *loSlot = createLocal(b, lo, "lo");
  AllocaInst *hiSlot = createLocal(b, hi, "hi");
  emitLoop(
      b, b.getInt64(blocks * lanes), b.getInt64(count), b.getInt64(1),
      [&](IRBuilderBase &, Value *i) {
        Value *v = b.CreateLoad(elemTy, elementPtr(b, type, base, i));
        emitRangeUpdate(b, loSlot, hiSlot, v);
      },
      "tail");
  return {b.CreateLoad(elemTy, loSlot), b.CreateLoad(elemTy, hiSlot)};
}

void FakeQuantEmitter::emitObserverParams() {
  // lo = min(min(x), 0), hi = max(max(x), 0): start both at 0 and fold with
  // minnum/maxnum, which skip NaN.
  Constant *zero = elementConstant(0.0);
  if (!perChannel) {
    auto [lo, hi] = emitRange(x, outer, zero, zero);
    auto [s, zp] = emitObserverFormula(lo, hi);
    params.scale = s;
    params.inverse = b.CreateFDiv(elementConstant(1.0), s, "inv");
    params.zeroPoint = zp;
    return;
  }

  // Per channel: the ranges go to the scale and zero point arrays first,
  // then become the parameters in place.
  Value *loArray = scratchArray(0), *hiArray = scratchArray(2);
  emitZeroChannels({loArray, hiArray});
  params = {loArray, scratchArray(1), hiArray};
  if (inner == 1) {
    // The channel is the contiguous dimension: lo[c] = minnum(lo[c], x)
    // is an elementwise loop over c, which LoopVectorize handles.
    forEachElement(
        [&](IRBuilderBase &, Value *index, Value *c, const QuantParams &) {
          Value *v = b.CreateLoad(elemTy, elementPtr(b, type, x, index));
          Value *loPtr = elementPtr(b, type, loArray, c);
          Value *hiPtr = elementPtr(b, type, hiArray, c);
          emitRangeUpdate(b, loPtr, hiPtr, v);
        });
  } else {
    // Each (outer, channel) row of `inner` contiguous elements is one
    // vectorized range reduction.
    emitLoop(
        b, outer,
        [&](IRBuilderBase &, Value *o) {
          emitLoop(
              b, channels,
              [&](IRBuilderBase &, Value *c) {
                Value *row = b.CreateAdd(
                    b.CreateMul(o, b.getInt64(channels), "", true, true), c, "",
                    true, true);
                Value *base = elementPtr(
                    b, type, x,
                    b.CreateMul(row, b.getInt64(inner), "", true, true));
                Value *loPtr = elementPtr(b, type, loArray, c);
                Value *hiPtr = elementPtr(b, type, hiArray, c);
                auto [lo, hi] =
                    emitRange(base, inner, b.CreateLoad(elemTy, loPtr),
                              b.CreateLoad(elemTy, hiPtr));
                b.CreateStore(lo, loPtr);
                b.CreateStore(hi, hiPtr);
              },
              "c");
        },
        "o");
  }
  emitLoop(
      b, channels,
      [&](IRBuilderBase &, Value *c) {
        Value *loPtr = elementPtr(b, type, loArray, c);
        Value *hiPtr = elementPtr(b, type, hiArray, c);
        auto [s, zp] = emitObserverFormula(b.CreateLoad(elemTy, loPtr),
                                           b.CreateLoad(elemTy, hiPtr));
        b.CreateStore(s, elementPtr(b, type, params.scale, c));
        b.CreateStore(b.CreateFDiv(elementConstant(1.0), s, "inv"),
                      elementPtr(b, type, params.inverse, c));
        b.CreateStore(zp, elementPtr(b, type, params.zeroPoint, c));
      },
      "c");
}

//===-- Walking x ---------------------------------------------------------===//

QuantParams FakeQuantEmitter::loadChannelParams(IRBuilderBase &b,
                                                const QuantParams &arrays,
                                                Value *channel) {
  return {b.CreateLoad(elemTy, elementPtr(b, type, arrays.scale, channel)),
          b.CreateLoad(elemTy, elementPtr(b, type, arrays.inverse, channel)),
          b.CreateLoad(elemTy, elementPtr(b, type, arrays.zeroPoint, channel))};
}

QuantParams FakeQuantEmitter::channelArrays(Kernel &chunk) {
  // Constant arrays (attributes) are globals, usable anywhere; the others
  // are scratch arrays 0, 1 and 2, addressed from the chunk's scratch
  // pointer (noalias, unlike a pointer passed as a captured value).
  if (&chunk == &k || isa<Constant>(params.scale))
    return params;
  BasicBlock &entry = chunk.b.GetInsertBlock()->getParent()->getEntryBlock();
  IRBuilder<> eb(&entry, entry.getFirstInsertionPt());
  return {scratchArray(eb, chunk.scratch, 0),
          scratchArray(eb, chunk.scratch, 1),
          scratchArray(eb, chunk.scratch, 2)};
}

void FakeQuantEmitter::forEachElement(ElementFn body) {
  if (!perChannel) {
    emitLoop(b, outer, [&](IRBuilderBase &b, Value *i) {
      body(b, i, b.getInt64(0), params);
    });
    return;
  }
  emitLoop(
      b, outer,
      [&](IRBuilderBase &, Value *o) {
        Value *rowBase = b.CreateMul(o, b.getInt64(channels), "", true, true);
        emitLoop(
            b, channels,
            [&](IRBuilderBase &, Value *c) {
              Value *row = b.CreateAdd(rowBase, c, "", true, true);
              if (inner == 1) {
                // The channel is the contiguous dimension: parameters are
                // loaded per element, as vectors once vectorized.
                body(b, row, c, loadChannelParams(b, params, c));
                return;
              }
              QuantParams p = loadChannelParams(b, params, c);
              Value *base = b.CreateMul(row, b.getInt64(inner), "", true, true);
              emitLoop(
                  b, inner,
                  [&](IRBuilderBase &, Value *i) {
                    body(b, b.CreateAdd(base, i, "", true, true), c, p);
                  },
                  "i");
            },
            "c");
      },
      "o");
}

void FakeQuantEmitter::forEachElementParallel(ChunkElementFn body) {
  // Per tensor the parameters are scalars of the prologue, captured.
  SmallVector<Value *, 3> captures;
  if (!perChannel)
    captures = {params.scale, params.inverse, params.zeroPoint};
  emitParallelChannelWalk(
      k, outer, channels, inner, captures,
      [&](Kernel &chunk, ArrayRef<Value *> captured, IRBuilderBase &b,
          Value *index, Value *channel) {
        QuantParams p =
            perChannel ? loadChannelParams(b, channelArrays(chunk), channel)
                       : QuantParams{captured[0], captured[1], captured[2]};
        body(b, chunk, index, channel, p);
      });
}

} // namespace qjit
