//===- GradientsSpatial.cpp - Pooling and convolution gradients -----------===//
//
// GradMaxPool2D / GradAvgPool2D: dx = 0, then window after window (planes,
// rows, columns) dy is added to the window's first maximum (PyTorch's scan:
// val > max || isnan(val), from -inf and the first real cell) or, divided
// by the AvgPool2D divisor, to each real cell: the interpreter's additions
// in its order.
//
// GradConv2DInput: dx = 0, then for n, o, c, ky, kx, oy, ox: dx[n, ic, iy,
// ix] += dy[n, o, oy, ox] * w[o, c, ky, kx]. GradConv2DWeight: for o, c,
// ky, kx a sum over n, oy, ox from +0.0. Both are the interpreter's sums in
// its order. The kernel offsets ky and kx are unrolled, so the ranges of oy
// and ox whose input cell is real are constants and the inner loops have no
// bounds test.
//
//===----------------------------------------------------------------------===//
#include "Gradients.h"
#include "LoopBuilder.h" // createLocal
#include "qjit/IR/OpParams.h"
#include "llvm/IR/Intrinsics.h"
#include <limits>

using namespace llvm;

namespace qjit {
namespace {

int64_t floorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

// The output positions o in [0, outSize) whose input cell
// o * stride - pad + offset lies in [0, inSize).
std::pair<int64_t, int64_t> validRange(int64_t outSize, int64_t inSize,
                                       int64_t stride, int64_t pad,
                                       int64_t offset) {
  int64_t lo = std::max<int64_t>(0, ceilDiv(pad - offset, stride));
  int64_t hi =
      std::min(outSize, floorDiv(inSize - 1 + pad - offset, stride) + 1);
  return {lo, std::max(lo, hi)};
}

// i64 index arithmetic. Sums may be negative (a window's first row before
// padding is cut off): nsw only.
struct Builder64 {
  IRBuilderBase &b;
  Value *c(int64_t v) { return b.getInt64(v); }
  Value *add(Value *x, Value *y) { return b.CreateAdd(x, y, "", false, true); }
  Value *sub(Value *x, Value *y) { return b.CreateSub(x, y, "", false, true); }
  Value *mul(Value *x, int64_t y) {
    return b.CreateMul(x, c(y), "", true, true);
  }
  Value *smax(Value *x, Value *y) {
    return b.CreateBinaryIntrinsic(Intrinsic::smax, x, y);
  }
  Value *smin(Value *x, Value *y) {
    return b.CreateBinaryIntrinsic(Intrinsic::smin, x, y);
  }
};

void addTo(IRBuilderBase &b, DataType type, Value *base, Value *index,
           Value *v) {
  Value *ptr = elementPtr(b, type, base, index);
  Value *old = b.CreateLoad(v->getType(), ptr);
  b.CreateStore(b.CreateFAdd(old, v), ptr);
}

} // namespace

void emitPoolGradient(Kernel &k) {
  IRBuilderBase &b = k.b;
  Builder64 i64{b};
  LoopStack loops(b);
  const bool isMax = k.op.getKind() == OpKind::GradMaxPool2D;
  Pool2DParams p = cantFail(getPool2DParams(k.op));
  const KernelBuffer &dy = k.operands[0], &dx = k.results[0];
  DataType type = dx.type.elementType;
  Type *elemTy = elementLLVMType(b.getContext(), type);
  ArrayRef<int64_t> in = dx.type.shape, out = dy.type.shape;
  const int64_t height = in[2], width = in[3];
  const int64_t outHeight = out[2], outWidth = out[3];

  emitZeroFill(b, dx.ptr, dx.type.sizeInBytes());
  Value *plane = loops.open(0, in[0] * in[1], "plane");
  Value *inBase = i64.mul(plane, height * width);
  Value *oy = loops.open(0, outHeight, "oy");
  Value *h0 = i64.sub(i64.mul(oy, p.strideH), i64.c(p.padH));
  Value *hBegin = i64.smax(h0, i64.c(0));
  Value *hEnd = i64.smin(i64.add(h0, i64.c(p.kernelH)), i64.c(height));
  Value *ox = loops.open(0, outWidth, "ox");
  Value *w0 = i64.sub(i64.mul(ox, p.strideW), i64.c(p.padW));
  Value *wBegin = i64.smax(w0, i64.c(0));
  Value *wEnd = i64.smin(i64.add(w0, i64.c(p.kernelW)), i64.c(width));
  Value *outIndex = i64.add(i64.mul(plane, outHeight * outWidth),
                            i64.add(i64.mul(oy, outWidth), ox));
  Value *g = b.CreateLoad(elemTy, elementPtr(b, type, dy.ptr, outIndex));
  // The window's real cells, row-major: index h * width + w in the plane.
  auto cellOf = [&](Value *h, Value *w) {
    return i64.add(i64.mul(h, width), w);
  };

  if (isMax) {
    Value *x = k.operands[1].ptr;
    AllocaInst *best = createLocal(b, cellOf(hBegin, wBegin), "best");
    AllocaInst *max = createLocal(
        b, ConstantFP::getInfinity(elemTy, /*Negative=*/true), "max");
    Value *h = loops.open(hBegin, hEnd, "h");
    Value *w = loops.open(wBegin, wEnd, "w");
    Value *cell = cellOf(h, w);
    Value *v =
        b.CreateLoad(elemTy, elementPtr(b, type, x, i64.add(inBase, cell)));
    Value *m = b.CreateLoad(elemTy, max);
    Value *update = b.CreateOr(b.CreateFCmpOGT(v, m), b.CreateFCmpUNO(v, v));
    b.CreateStore(b.CreateSelect(update, v, m), max);
    b.CreateStore(
        b.CreateSelect(update, cell, b.CreateLoad(b.getInt64Ty(), best)), best);
    loops.close();
    loops.close();
    addTo(b, type, dx.ptr, i64.add(inBase, b.CreateLoad(b.getInt64Ty(), best)),
          g);
  } else {
    auto extent = [&](Value *begin, int64_t kernel, int64_t limit) {
      return i64.sub(i64.smin(i64.add(begin, i64.c(kernel)), i64.c(limit)),
                     begin);
    };
    Value *divisor =
        p.countIncludePad
            ? b.CreateMul(extent(h0, p.kernelH, height + p.padH),
                          extent(w0, p.kernelW, width + p.padW))
            : b.CreateMul(i64.sub(hEnd, hBegin), i64.sub(wEnd, wBegin));
    Value *share = b.CreateFDiv(g, b.CreateSIToFP(divisor, elemTy));
    Value *h = loops.open(hBegin, hEnd, "h");
    Value *w = loops.open(wBegin, wEnd, "w");
    addTo(b, type, dx.ptr, i64.add(inBase, cellOf(h, w)), share);
    loops.close();
    loops.close();
  }
  loops.close(); // ox
  loops.close(); // oy
  loops.close(); // plane
}

namespace {

// Conv2D's shapes and index arithmetic, shared by its two gradients.
class ConvGradientEmitter {
public:
  explicit ConvGradientEmitter(Kernel &k)
      : b(k.b), i64{k.b}, loops(k.b),
        forInput(k.op.getKind() == OpKind::GradConv2DInput),
        p(cantFail(getConv2DParams(k.op))), dy(k.operands[0]),
        other(k.operands[1]), result(k.results[0]),
        type(result.type.elementType),
        elemTy(elementLLVMType(b.getContext(), type)) {
    ArrayRef<int64_t> in = forInput ? result.type.shape : other.type.shape;
    ArrayRef<int64_t> w = forInput ? other.type.shape : result.type.shape;
    batch = in[0], channels = in[1], height = in[2], width = in[3];
    outChannels = w[0], groupChannels = w[1], kh = w[2], kw = w[3];
    outHeight = dy.type.shape[2], outWidth = dy.type.shape[3];
    outPerGroup = outChannels / p.groups;
  }

  void emit() { forInput ? emitInput() : emitWeight(); }

private:
  // dx = 0; for n, o, c, ky, kx, oy, ox: dx[n, ic, iy, ix] += dy * w.
  void emitInput() {
    emitZeroFill(b, result.ptr, result.type.sizeInBytes());
    Value *n = loops.open(0, batch, "n");
    forEachTap([&](Value *o, Value *ic, Value *wIndex, int64_t ky, int64_t kx) {
      Range oyRange = rows(ky), oxRange = columns(kx);
      if (oyRange.empty() || oxRange.empty())
        return;
      Value *wv = load(other.ptr, wIndex);
      Value *oy = loops.open(oyRange.lo, oyRange.hi, "oy");
      Value *ox = loops.open(oxRange.lo, oxRange.hi, "ox");
      Value *g = load(dy.ptr, dyIndex(n, o, oy, ox));
      addTo(b, type, result.ptr, inIndex(n, ic, row(oy, ky), column(ox, kx)),
            b.CreateFMul(g, wv));
      loops.close();
      loops.close();
    });
    loops.close();
  }

  // dw[o, c, ky, kx] = sum over n, oy, ox of dy * x, from +0.0.
  void emitWeight() {
    forEachTap([&](Value *o, Value *ic, Value *wIndex, int64_t ky, int64_t kx) {
      Range oyRange = rows(ky), oxRange = columns(kx);
      AllocaInst *sum = createLocal(b, ConstantFP::get(elemTy, 0.0), "sum");
      if (!oyRange.empty() && !oxRange.empty()) {
        Value *n = loops.open(0, batch, "n");
        Value *oy = loops.open(oyRange.lo, oyRange.hi, "oy");
        Value *ox = loops.open(oxRange.lo, oxRange.hi, "ox");
        Value *term = b.CreateFMul(
            load(dy.ptr, dyIndex(n, o, oy, ox)),
            load(other.ptr, inIndex(n, ic, row(oy, ky), column(ox, kx))));
        b.CreateStore(b.CreateFAdd(b.CreateLoad(elemTy, sum), term), sum);
        loops.close();
        loops.close();
        loops.close();
      }
      b.CreateStore(b.CreateLoad(elemTy, sum),
                    elementPtr(b, type, result.ptr, wIndex));
    });
  }

  using TapFn = function_ref<void(Value *o, Value *ic, Value *wIndex,
                                  int64_t ky, int64_t kx)>;
  // Calls f for every output channel o (in order), input channel c of its
  // group and kernel offset (ky, kx); ky and kx are unrolled.
  void forEachTap(TapFn f) {
    Value *group = loops.open(0, p.groups, "g");
    Value *oi = loops.open(0, outPerGroup, "o");
    Value *o = i64.add(i64.mul(group, outPerGroup), oi);
    Value *c = loops.open(0, groupChannels, "c");
    Value *ic = i64.add(i64.mul(group, groupChannels), c);
    for (int64_t ky = 0; ky < kh; ++ky)
      for (int64_t kx = 0; kx < kw; ++kx) {
        Value *wIndex =
            i64.add(i64.mul(i64.add(i64.mul(o, groupChannels), c), kh * kw),
                    i64.c(ky * kw + kx));
        f(o, ic, wIndex, ky, kx);
      }
    loops.close();
    loops.close();
    loops.close();
  }

  struct Range {
    int64_t lo, hi;
    bool empty() const { return lo >= hi; }
  };
  // The output rows / columns whose input cell under kernel offset ky / kx
  // is real.
  Range rows(int64_t ky) const {
    auto [lo, hi] =
        validRange(outHeight, height, p.strideH, p.padH, ky * p.dilationH);
    return {lo, hi};
  }
  Range columns(int64_t kx) const {
    auto [lo, hi] =
        validRange(outWidth, width, p.strideW, p.padW, kx * p.dilationW);
    return {lo, hi};
  }
  Value *row(Value *oy, int64_t ky) {
    return i64.add(i64.mul(oy, p.strideH), i64.c(ky * p.dilationH - p.padH));
  }
  Value *column(Value *ox, int64_t kx) {
    return i64.add(i64.mul(ox, p.strideW), i64.c(kx * p.dilationW - p.padW));
  }
  // Row-major NCHW indices.
  Value *index4(Value *a, int64_t d1, Value *b1, int64_t d2, Value *c2,
                int64_t d3, Value *x3) {
    return i64.add(
        i64.mul(i64.add(i64.mul(i64.add(i64.mul(a, d1), b1), d2), c2), d3), x3);
  }
  Value *dyIndex(Value *n, Value *o, Value *oy, Value *ox) {
    return index4(n, outChannels, o, outHeight, oy, outWidth, ox);
  }
  Value *inIndex(Value *n, Value *ic, Value *iy, Value *ix) {
    return index4(n, channels, ic, height, iy, width, ix);
  }
  Value *load(Value *base, Value *index) {
    return b.CreateLoad(elemTy, elementPtr(b, type, base, index));
  }

  IRBuilderBase &b;
  Builder64 i64;
  LoopStack loops;
  const bool forInput;
  Conv2DParams p;
  const KernelBuffer &dy, &other, &result;
  DataType type;
  Type *elemTy;
  int64_t batch, channels, height, width;
  int64_t outChannels, groupChannels, kh, kw, outHeight, outWidth, outPerGroup;
};

} // namespace

void emitConvGradient(Kernel &k) { ConvGradientEmitter(k).emit(); }

} // namespace qjit
