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
#include "GradientLowering.h"
#include "LoopBuilder.h"
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
  const bool isMax = k.op.getKind() == OpKind::GradMaxPool2D;
  Pool2DParams p = cantFail(getPool2DParams(k.op));
  const KernelBuffer &dy = k.operands[0], &dx = k.results[0];
  DataType type = dx.type.elementType;
  Type *elemTy = elementLLVMType(b.getContext(), type);
  ArrayRef<int64_t> in = dx.type.shape, out = dy.type.shape;
  const int64_t height = in[2], width = in[3];
  const int64_t outHeight = out[2], outWidth = out[3];
  emitZeroFill(b, dx);
  emitLoop(b, in[0] * in[1], [&](IRBuilderBase &b, Value *plane) {
    Value *inBase = i64.mul(plane, height * width);
    Value *outBase = i64.mul(plane, outHeight * outWidth);
    emitLoop(b, outHeight, [&](IRBuilderBase &b, Value *oy) {
      Value *h0 = i64.sub(i64.mul(oy, p.strideH), i64.c(p.padH));
      Value *hBegin = i64.smax(h0, i64.c(0));
      Value *hEnd = i64.smin(i64.add(h0, i64.c(p.kernelH)), i64.c(height));
      emitLoop(b, outWidth, [&](IRBuilderBase &b, Value *ox) {
        Value *w0 = i64.sub(i64.mul(ox, p.strideW), i64.c(p.padW));
        Value *wBegin = i64.smax(w0, i64.c(0));
        Value *wEnd = i64.smin(i64.add(w0, i64.c(p.kernelW)), i64.c(width));
        Value *g = b.CreateLoad(
            elemTy, elementPtr(b, type, dy.ptr,
                               i64.add(outBase, i64.add(i64.mul(oy, outWidth),
                                                        ox))));
        auto cell = [&](Value *h, Value *w) {
          return i64.add(i64.mul(h, width), w);
        };
        auto forEachCell = [&](function_ref<void(IRBuilderBase &, Value *)> f) {
          emitLoop(b, hBegin, hEnd, i64.c(1), [&](IRBuilderBase &b, Value *h) {
            emitLoop(b, wBegin, wEnd, i64.c(1),
                     [&](IRBuilderBase &b, Value *w) { f(b, cell(h, w)); },
                     "w");
          }, "h");
        };
        if (isMax) {
          Value *x = k.operands[1].ptr;
          AllocaInst *best = createLocal(b, cell(hBegin, wBegin), "best");
          AllocaInst *max = createLocal(
              b, ConstantFP::getInfinity(elemTy, /*Negative=*/true), "max");
          forEachCell([&](IRBuilderBase &b, Value *c) {
            Value *v = b.CreateLoad(
                elemTy, elementPtr(b, type, x, i64.add(inBase, c)));
            Value *m = b.CreateLoad(elemTy, max);
            Value *update =
                b.CreateOr(b.CreateFCmpOGT(v, m), b.CreateFCmpUNO(v, v));
            b.CreateStore(b.CreateSelect(update, v, m), max);
            b.CreateStore(b.CreateSelect(update, c, b.CreateLoad(
                                                        b.getInt64Ty(), best)),
                          best);
          });
          addTo(b, type, dx.ptr,
                i64.add(inBase, b.CreateLoad(b.getInt64Ty(), best)), g);
          return;
        }
        Value *divisor =
            p.countIncludePad
                ? b.CreateMul(
                      i64.sub(i64.smin(i64.add(h0, i64.c(p.kernelH)),
                                       i64.c(height + p.padH)),
                              h0),
                      i64.sub(i64.smin(i64.add(w0, i64.c(p.kernelW)),
                                       i64.c(width + p.padW)),
                              w0))
                : b.CreateMul(i64.sub(hEnd, hBegin), i64.sub(wEnd, wBegin));
        Value *share = b.CreateFDiv(g, b.CreateSIToFP(divisor, elemTy));
        forEachCell([&](IRBuilderBase &b, Value *c) {
          addTo(b, type, dx.ptr, i64.add(inBase, c), share);
        });
      }, "ox");
    }, "oy");
  }, "plane");
}

void emitConvGradient(Kernel &k) {
  IRBuilderBase &b = k.b;
  Builder64 i64{b};
  const bool forInput = k.op.getKind() == OpKind::GradConv2DInput;
  Conv2DParams p = cantFail(getConv2DParams(k.op));
  const KernelBuffer &dy = k.operands[0], &other = k.operands[1],
                     &result = k.results[0];
  DataType type = result.type.elementType;
  Type *elemTy = elementLLVMType(b.getContext(), type);
  ArrayRef<int64_t> in = forInput ? result.type.shape : other.type.shape;
  ArrayRef<int64_t> w = forInput ? other.type.shape : result.type.shape;
  ArrayRef<int64_t> out = dy.type.shape;
  const int64_t batch = in[0], channels = in[1], height = in[2],
                width = in[3];
  const int64_t outChannels = w[0], groupChannels = w[1], kh = w[2],
                kw = w[3];
  const int64_t outHeight = out[2], outWidth = out[3];
  const int64_t outPerGroup = outChannels / p.groups;

  auto dyIndex = [&](Value *n, Value *o, Value *oy, Value *ox) {
    return i64.add(
        i64.mul(i64.add(i64.mul(i64.add(i64.mul(n, outChannels), o),
                                outHeight),
                        oy),
                outWidth),
        ox);
  };
  auto inIndex = [&](Value *n, Value *ic, Value *iy, Value *ix) {
    return i64.add(
        i64.mul(i64.add(i64.mul(i64.add(i64.mul(n, channels), ic), height),
                        iy),
                width),
        ix);
  };
  // The input cell of output (oy, ox) under kernel offset (ky, kx).
  auto row = [&](Value *oy, int64_t ky) {
    return i64.add(i64.mul(oy, p.strideH), i64.c(ky * p.dilationH - p.padH));
  };
  auto column = [&](Value *ox, int64_t kx) {
    return i64.add(i64.mul(ox, p.strideW), i64.c(kx * p.dilationW - p.padW));
  };
  auto load = [&](Value *base, Value *index) {
    return b.CreateLoad(elemTy, elementPtr(b, type, base, index));
  };

  // Calls body(o, ic, wIndex, ky, kx) for every (o, c, ky, kx), o in order.
  auto forEachTap = [&](IRBuilderBase &b, Value *o0, Value *group,
                        function_ref<void(Value *, Value *, Value *, int64_t,
                                          int64_t)>
                            body) {
    emitLoop(b, outPerGroup, [&](IRBuilderBase &b, Value *oi) {
      Value *o = i64.add(o0, oi);
      emitLoop(b, groupChannels, [&](IRBuilderBase &b, Value *c) {
        Value *ic = i64.add(i64.mul(group, groupChannels), c);
        for (int64_t ky = 0; ky < kh; ++ky)
          for (int64_t kx = 0; kx < kw; ++kx) {
            Value *wIndex = i64.add(
                i64.mul(i64.add(i64.mul(o, groupChannels), c), kh * kw),
                i64.c(ky * kw + kx));
            body(o, ic, wIndex, ky, kx);
          }
      }, "c");
    }, "o");
  };

  if (forInput) {
    emitZeroFill(b, result);
    emitLoop(b, batch, [&](IRBuilderBase &b, Value *n) {
      emitLoop(b, p.groups, [&](IRBuilderBase &b, Value *group) {
        Value *o0 = i64.mul(group, outPerGroup);
        forEachTap(b, o0, group, [&](Value *o, Value *ic, Value *wIndex,
                                     int64_t ky, int64_t kx) {
          auto [oyLo, oyHi] = validRange(outHeight, height, p.strideH, p.padH,
                                         ky * p.dilationH);
          auto [oxLo, oxHi] = validRange(outWidth, width, p.strideW, p.padW,
                                         kx * p.dilationW);
          if (oyLo == oyHi || oxLo == oxHi)
            return;
          Value *wv = load(other.ptr, wIndex);
          emitLoop(b, i64.c(oyLo), i64.c(oyHi), i64.c(1),
                   [&](IRBuilderBase &b, Value *oy) {
            emitLoop(b, i64.c(oxLo), i64.c(oxHi), i64.c(1),
                     [&](IRBuilderBase &b, Value *ox) {
              Value *g = load(dy.ptr, dyIndex(n, o, oy, ox));
              addTo(b, type, result.ptr,
                    inIndex(n, ic, row(oy, ky), column(ox, kx)),
                    b.CreateFMul(g, wv));
            }, "ox");
          }, "oy");
        });
      }, "g");
    }, "n");
    return;
  }

  emitLoop(b, p.groups, [&](IRBuilderBase &b, Value *group) {
    Value *o0 = i64.mul(group, outPerGroup);
    forEachTap(b, o0, group, [&](Value *o, Value *ic, Value *wIndex,
                                 int64_t ky, int64_t kx) {
      auto [oyLo, oyHi] =
          validRange(outHeight, height, p.strideH, p.padH, ky * p.dilationH);
      auto [oxLo, oxHi] =
          validRange(outWidth, width, p.strideW, p.padW, kx * p.dilationW);
      AllocaInst *sum = createLocal(b, ConstantFP::get(elemTy, 0.0), "sum");
      if (oyLo < oyHi && oxLo < oxHi)
        emitLoop(b, batch, [&](IRBuilderBase &b, Value *n) {
          emitLoop(b, i64.c(oyLo), i64.c(oyHi), i64.c(1),
                   [&](IRBuilderBase &b, Value *oy) {
            emitLoop(b, i64.c(oxLo), i64.c(oxHi), i64.c(1),
                     [&](IRBuilderBase &b, Value *ox) {
              Value *term = b.CreateFMul(
                  load(dy.ptr, dyIndex(n, o, oy, ox)),
                  load(other.ptr,
                       inIndex(n, ic, row(oy, ky), column(ox, kx))));
              b.CreateStore(
                  b.CreateFAdd(b.CreateLoad(elemTy, sum), term), sum);
            }, "ox");
          }, "oy");
        }, "n");
      b.CreateStore(b.CreateLoad(elemTy, sum),
                    elementPtr(b, type, result.ptr, wIndex));
    });
  }, "g");
}

} // namespace qjit
