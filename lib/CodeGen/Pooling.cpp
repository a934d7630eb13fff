//===- Pooling.cpp - Lowering of MaxPool2D and AvgPool2D ------------------===//
//
// As lib/Interpreter/Pooling.cpp: window (y, x) covers input rows
// h0 = y*sh - ph .. h0 + kh - 1 and columns w0 = x*sw - pw .. w0 + kw - 1,
// of which only the cells inside the input count.
//
// One output row at a time, with a row of accumulators in the scratch
// buffer: for each input row iy of the window and each kernel column kx,
//   acc[x] = acc[x] op in[iy, x*sw - pw + kx]   for every x whose column is
// inside the input, a range [xBegin(kx), xEnd(kx)) computed up front. That
// inner loop runs along the output row and vectorizes (strided loads when
// sw > 1), no bounds test inside; padding cells are never visited. Each
// accumulator still sees its window in row-major order, so the sums are
// the interpreter's, bit for bit.
// MaxPool2D starts from the identity of maximum (-inf, the integer minimum),
// AvgPool2D from T(0) and divides by the interpreter's divisor at the end.
// Planes (image, channel) are split over the run's threads, each chunk with
// its accumulator row in its thread's scratch.
//
//===----------------------------------------------------------------------===//
#include "Conv2D.h"
#include "Kernel.h"
#include "LoopBuilder.h"
#include "Parallel.h"
#include "qjit/IR/OpParams.h"
#include "llvm/IR/Intrinsics.h"

using namespace llvm;

namespace qjit {
namespace {

class PoolEmitter {
public:
  explicit PoolEmitter(Kernel &k)
      : k(k), b(k.b), type(k.operands[0].type.elementType),
        elemTy(elementLLVMType(b.getContext(), type)),
        p(cantFail(getPool2DParams(k.op))),
        isMax(k.op.getKind() == OpKind::MaxPool2D) {
    ArrayRef<int64_t> in = k.operands[0].type.shape;
    ArrayRef<int64_t> out = k.results[0].type.shape;
    planes = in[0] * in[1];
    height = in[2], width = in[3];
    outHeight = out[2], outWidth = out[3];
  }

  void emit();

private:
  Value *identity() const;
  Value *combine(IRBuilderBase &b, Value *acc, Value *v) const;
  // The AvgPool2D divisor of window (oy, ox), as T.
  Value *divisor(IRBuilderBase &b, Value *h0, Value *hBegin, Value *hEnd,
                 Value *ox) const;
  Value *i64(int64_t v) const { return b.getInt64(v); }
  Value *mul(IRBuilderBase &b, Value *x, int64_t c) const {
    return b.CreateMul(x, b.getInt64(c), "", true, true);
  }
  Value *add(IRBuilderBase &b, Value *x, Value *y) const {
    return b.CreateAdd(x, y, "", true, true);
  }
  Value *smax(IRBuilderBase &b, Value *x, Value *y) const {
    return b.CreateBinaryIntrinsic(Intrinsic::smax, x, y);
  }
  Value *smin(IRBuilderBase &b, Value *x, Value *y) const {
    return b.CreateBinaryIntrinsic(Intrinsic::smin, x, y);
  }
  // Output row oy of `plane`, with the buffers of `chunk` and its
  // accumulator row `acc`.
  void emitRow(Kernel &chunk, Value *acc, Value *plane, Value *oy);

  Kernel &k;
  IRBuilder<> &b;
  DataType type;
  Type *elemTy;
  Pool2DParams p;
  bool isMax;
  int64_t planes, height, width, outHeight, outWidth;
};

Value *PoolEmitter::identity() const {
  if (!isMax)
    return Constant::getNullValue(elemTy);
  if (isFloatType(type))
    return ConstantFP::getInfinity(elemTy, /*Negative=*/true);
  unsigned bits = elemTy->getIntegerBitWidth();
  return ConstantInt::get(b.getContext(), isSignedType(type)
                                              ? APInt::getSignedMinValue(bits)
                                              : APInt::getMinValue(bits));
}

Value *PoolEmitter::combine(IRBuilderBase &b, Value *acc, Value *v) const {
  if (!isMax)
    return b.CreateFAdd(acc, v);
  return b.CreateBinaryIntrinsic(isFloatType(type)    ? Intrinsic::maximum
                                 : isSignedType(type) ? Intrinsic::smax
                                                      : Intrinsic::umax,
                                 acc, v);
}

Value *PoolEmitter::divisor(IRBuilderBase &b, Value *h0, Value *hBegin,
                            Value *hEnd, Value *ox) const {
  Value *w0 = b.CreateSub(mul(b, ox, p.strideW), i64(p.padW));
  Value *rows, *cols;
  if (p.countIncludePad) {
    rows = b.CreateSub(
        smin(b, add(b, h0, i64(p.kernelH)), i64(height + p.padH)), h0);
    cols = b.CreateSub(smin(b, add(b, w0, i64(p.kernelW)), i64(width + p.padW)),
                       w0);
  } else {
    rows = b.CreateSub(hEnd, hBegin);
    cols = b.CreateSub(smin(b, add(b, w0, i64(p.kernelW)), i64(width)),
                       smax(b, w0, i64(0)));
  }
  return b.CreateSIToFP(b.CreateMul(rows, cols), elemTy);
}

void PoolEmitter::emitRow(Kernel &chunk, Value *acc, Value *plane,
                          Value *oy) {
  IRBuilderBase &b = chunk.b;
  Value *in = chunk.operands[0].ptr;
  Value *h0 = b.CreateSub(mul(b, oy, p.strideH), i64(p.padH), "h0");
  Value *hBegin = smax(b, h0, i64(0));
  Value *hEnd = smin(b, add(b, h0, i64(p.kernelH)), i64(height));
  emitLoop(b, outWidth, [&](IRBuilderBase &b, Value *ox) {
    b.CreateStore(identity(), elementPtr(b, type, acc, ox));
  });
  Value *planeBase = mul(b, plane, height * width);
  emitLoop(
      b, hBegin, hEnd, i64(1),
      [&](IRBuilderBase &b, Value *iy) {
        Value *rowBase = add(b, planeBase, mul(b, iy, width));
        emitLoop(
            b, p.kernelW,
            [&](IRBuilderBase &b, Value *kx) {
              // Column ox*sw - pw + kx is inside [0, width) for ox in
              // [ceil((pw - kx) / sw), floor((width - 1 + pw - kx) / sw)].
              Value *low = b.CreateSub(i64(p.padW), kx);
              Value *xBegin =
                  b.CreateSDiv(add(b, smax(b, low, i64(0)), i64(p.strideW - 1)),
                               i64(p.strideW));
              Value *high = b.CreateSub(i64(width - 1 + p.padW), kx);
              Value *xEnd = b.CreateSelect(
                  b.CreateICmpSLT(high, i64(0)), i64(0),
                  smin(b, add(b, b.CreateSDiv(high, i64(p.strideW)), i64(1)),
                       i64(outWidth)));
              Value *shift = b.CreateSub(kx, i64(p.padW));
              emitLoop(
                  b, xBegin, xEnd, i64(1),
                  [&](IRBuilderBase &b, Value *ox) {
                    Value *column = add(b, mul(b, ox, p.strideW), shift);
                    Value *v = b.CreateLoad(
                        elemTy,
                        elementPtr(b, type, in, add(b, rowBase, column)));
                    Value *accPtr = elementPtr(b, type, acc, ox);
                    b.CreateStore(combine(b, b.CreateLoad(elemTy, accPtr), v),
                                  accPtr);
                  },
                  "ox");
            },
            "kx");
      },
      "iy");
  Value *outBase = mul(b, add(b, mul(b, plane, outHeight), oy), outWidth);
  emitLoop(b, outWidth, [&](IRBuilderBase &b, Value *ox) {
    Value *v = b.CreateLoad(elemTy, elementPtr(b, type, acc, ox));
    if (!isMax)
      v = b.CreateFDiv(v, divisor(b, h0, hBegin, hEnd, ox));
    b.CreateStore(
        v, elementPtr(b, type, chunk.results[0].ptr, add(b, outBase, ox)));
  });
}

void PoolEmitter::emit() {
  if (k.results[0].type.numElements() == 0)
    return;
  int64_t perPlane = std::max<int64_t>(
      outHeight * outWidth * p.kernelH * p.kernelW, 1);
  uint64_t accBytes = outWidth * dataTypeSize(type);
  emitParallelFor(
      k, planes, parallelGrain(perPlane), {},
      [&](Kernel &chunk, ArrayRef<Value *>, Value *begin, Value *end) {
        auto emitPlanes = [&](Value *acc) {
          emitLoop(
              chunk.b, begin, end, chunk.b.getInt64(1),
              [&](IRBuilderBase &b, Value *plane) {
                emitLoop(
                    b, outHeight,
                    [&](IRBuilderBase &, Value *oy) {
                      emitRow(chunk, acc, plane, oy);
                    },
                    "oy");
              },
              "plane");
        };
        if (&chunk == &k)
          emitPlanes(k.scratch);
        else
          emitWithThreadScratch(chunk.b, k.module, accBytes, emitPlanes);
      });
}

} // namespace

uint64_t poolScratchBytes(const Graph &graph, const Operation &op) {
  const TensorType &out = graph.getType(op.getResult());
  return out.shape[3] * dataTypeSize(out.elementType);
}

void emitPool2D(Kernel &k) { PoolEmitter(k).emit(); }

} // namespace qjit
