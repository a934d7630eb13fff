//===- Quantize.cpp - Lowering of Quantize and Dequantize -----------------===//
//
// As lib/Interpreter/Quantize.cpp, with c the element's channel:
//   Quantize:   qf = roundeven(x * fl(1 / float(s[c]))) + float(zp[c]);
//               q = NaN ? qmin : clamp(fptosi.sat.i64(qf), qmin, qmax)
//   Dequantize: y = (float(q) - float(zp[c])) * float(s[c])
// The saturation is done in float before an exact conversion: qf is an
// integer (or NaN or infinite), and qmin, qmax are floats for Int8/UInt8, so
// select(qf > qmin, qf, qmin) then select(r < qmax, r, qmax) is the same
// integer, NaN included. For Int32, qmax = 2^31 - 1 is no float: every qf
// >= 2^31 gives qmax, every smaller one converts exactly.
// Per channel, x is walked as [outer, channels, inner]: the channel's
// parameters (constant arrays) are invariant in the contiguous inner loop,
// or, when the axis is the last dimension, loaded as vectors alongside x.
// Large tensors are split over threads in whole rows (Parallel.h).
//
//===----------------------------------------------------------------------===//
#include "GlobalConstants.h"
#include "Kernel.h"
#include "Parallel.h"
#include "qjit/IR/OpParams.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Intrinsics.h"
#include <array>

using namespace llvm;

namespace qjit {
namespace {

struct ChannelParams {
  Value *scale, *inverse, *zeroPoint; // floats
};

class QuantizeEmitter {
public:
  explicit QuantizeEmitter(Kernel &k)
      : k(k), b(k.b), floatTy(b.getFloatTy()),
        params(cantFail(getQuantizeParams(k.op, k.operands[0].type))) {
    ArrayRef<int64_t> shape = k.operands[0].type.shape;
    outer = numElements(shape);
    if (params.axis) {
      outer = numElements(shape.take_front(*params.axis));
      channels = shape[*params.axis];
      inner = numElements(shape.drop_front(*params.axis + 1));
    }
    buildParams();
  }

  void emitQuantize();
  void emitDequantize();

private:
  // One element: `chunk` is the kernel the loop is emitted in (a chunk's
  // when split over threads), `b` emits into it.
  using ElementFn = function_ref<void(IRBuilderBase &b, Kernel &chunk,
                                      Value *index, const ChannelParams &)>;
  void buildParams();
  ChannelParams channelParams(IRBuilderBase &b, Value *channel);
  void forEachElement(ElementFn body);

  Kernel &k;
  IRBuilder<> &b;
  Type *floatTy;
  QuantizeParams params;
  int64_t outer = 1, channels = 1, inner = 1;
  // Per tensor: float constants; per channel: constant arrays of floats.
  ChannelParams values{};
};

void QuantizeEmitter::buildParams() {
  // s and fl(1 / s) in float, computed as the run time would (IEEE float
  // division), zero points converted to float.
  auto channel = [&](size_t c) -> std::array<Constant *, 3> {
    APFloat s(params.scales[c]);
    bool lost;
    s.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    APFloat inv(APFloat::IEEEsingle(), 1);
    inv.divide(s, APFloat::rmNearestTiesToEven);
    return {ConstantFP::get(floatTy, s), ConstantFP::get(floatTy, inv),
            ConstantFP::get(floatTy, static_cast<float>(params.zeroPoints[c]))};
  };
  if (!params.axis) {
    auto [s, inv, zp] = channel(0);
    values = {s, inv, zp};
    return;
  }
  SmallVector<Constant *> arrays[3];
  for (size_t c = 0; c < params.scales.size(); ++c)
    for (auto [array, value] : zip(arrays, channel(c)))
      array.push_back(value);
  auto makeArray = [&](ArrayRef<Constant *> elements, const Twine &name) {
    return createConstantArray(k.module, floatTy, elements, name);
  };
  values = {makeArray(arrays[0], "q.scale"), makeArray(arrays[1], "q.inverse"),
            makeArray(arrays[2], "q.zero_point")};
}

ChannelParams QuantizeEmitter::channelParams(IRBuilderBase &b, Value *channel) {
  if (!params.axis)
    return values;
  auto load = [&](Value *array) {
    return b.CreateLoad(floatTy, b.CreateInBoundsGEP(floatTy, array, channel));
  };
  return {load(values.scale), load(values.inverse), load(values.zeroPoint)};
}

// The parameters are constants, usable in any chunk.
void QuantizeEmitter::forEachElement(ElementFn body) {
  emitParallelChannelWalk(k, outer, channels, inner, {},
                          [&](Kernel &chunk, ArrayRef<Value *>,
                              IRBuilderBase &b, Value *index, Value *channel) {
                            body(b, chunk, index, channelParams(b, channel));
                          });
}

void QuantizeEmitter::emitQuantize() {
  const KernelBuffer &x = k.operands[0];
  DataType intType = params.intType;
  Type *intTy = elementLLVMType(b.getContext(), intType);
  bool isInt32 = intType == DataType::Int32;
  Constant *qmin = ConstantFP::get(floatTy, double(params.qmin));
  // For Int32 the upper clamp is the test against 2^31 below.
  Constant *qmax = ConstantFP::get(floatTy, isInt32 ? 0x1p31 : params.qmax);
  forEachElement([&](IRBuilderBase &b, Kernel &chunk, Value *index,
                     const ChannelParams &p) {
    Value *v = b.CreateLoad(floatTy, elementPtr(b, x.type.elementType,
                                                chunk.operands[0].ptr, index));
    Value *scaled = b.CreateFMul(v, p.inverse);
    Value *qf = b.CreateFAdd(
        b.CreateUnaryIntrinsic(Intrinsic::roundeven, scaled), p.zeroPoint);
    // NaN fails the ordered compare and becomes qmin.
    Value *r = b.CreateSelect(b.CreateFCmpOGT(qf, qmin), qf, qmin);
    Value *q;
    if (isInt32) {
      Value *tooLarge = b.CreateFCmpOGE(r, qmax);
      Value *inRange = b.CreateSelect(tooLarge, ConstantFP::get(floatTy, 0), r);
      q = b.CreateSelect(tooLarge, b.getInt32(INT32_MAX),
                         b.CreateFPToSI(inRange, b.getInt32Ty()));
    } else {
      r = b.CreateSelect(b.CreateFCmpOLT(r, qmax), r, qmax);
      q = b.CreateTrunc(b.CreateFPToSI(r, b.getInt32Ty()), intTy);
    }
    b.CreateStore(q, elementPtr(b, intType, chunk.results[0].ptr, index));
  });
}

void QuantizeEmitter::emitDequantize() {
  DataType intType = k.operands[0].type.elementType;
  Type *intTy = elementLLVMType(b.getContext(), intType);
  forEachElement([&](IRBuilderBase &b, Kernel &chunk, Value *index,
                     const ChannelParams &p) {
    Value *v = b.CreateLoad(
        intTy, elementPtr(b, intType, chunk.operands[0].ptr, index));
    Value *f = isSignedType(intType) ? b.CreateSIToFP(v, floatTy)
                                     : b.CreateUIToFP(v, floatTy);
    Value *y = b.CreateFMul(b.CreateFSub(f, p.zeroPoint), p.scale);
    b.CreateStore(
        y, elementPtr(b, DataType::Float32, chunk.results[0].ptr, index));
  });
}

} // namespace

void emitQuantize(Kernel &k) { QuantizeEmitter(k).emitQuantize(); }

void emitDequantize(Kernel &k) { QuantizeEmitter(k).emitDequantize(); }

} // namespace qjit
