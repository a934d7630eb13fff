//===- Conv2DIm2Col.cpp - Conv2D as im2col bands and matrix products ------===//
//
// For each image, group and band of output rows [y0, y0 + rows):
//   col[(c * KH + ky) * KW + kx, (oy - y0) * OW + ox]
//       = x[n, g * C/g + c, oy * sh - ph + ky * dh, ox * sw - pw + kx * dw]
//         (0 in the padding)
//   out[n, g * O/g : (g + 1) * O/g, y0 : y0 + rows, :] (+)= w[group] * col
// The output band is a [O/g, rows * OW] matrix with row stride OH * OW, so
// the product writes it in place.
//
//===----------------------------------------------------------------------===//
#include "Conv2D.h"
#include "LoopBuilder.h"
#include "MatMulGemm.h"
#include "Parallel.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/MDBuilder.h"

using namespace llvm;

namespace qjit {
namespace {

// Stores 0 into [begin, end) of `row`.
void emitZeros(IRBuilderBase &b, DataType type, Value *row, Value *begin,
               Value *end) {
  Constant *zero =
      Constant::getNullValue(elementLLVMType(b.getContext(), type));
  emitLoop(
      b, begin, end, b.getInt64(1),
      [&](IRBuilderBase &b, Value *i) {
        b.CreateStore(zero, elementPtr(b, type, row, i));
      },
      "pad");
}

// Fills the band's im2col matrix `col` (row stride `ld`) from the input
// channels of one (image, group) starting at `inChannels`.
void emitIm2Col(IRBuilderBase &b, const Conv2DPlan &plan, Value *inChannels,
                Value *y0, Value *rows, Value *col, int64_t ld) {
  DataType type = plan.type;
  Type *elt = elementLLVMType(b.getContext(), type);
  const Conv2DParams &p = plan.params;
  Value *zero = b.getInt64(0), *one = b.getInt64(1);
  Value *outW = b.getInt64(plan.outW);
  emitLoop(
      b, plan.groupChannels,
      [&](IRBuilderBase &b, Value *c) {
        Value *plane =
            elementPtr(b, type, inChannels,
                       b.CreateMul(c, b.getInt64(plan.height * plan.width)));
        emitLoop(
            b, plan.kernelH,
            [&](IRBuilderBase &b, Value *ky) {
              emitLoop(
                  b, plan.kernelW,
                  [&](IRBuilderBase &b, Value *kx) {
                    Value *patchRow = b.CreateAdd(
                        b.CreateMul(
                            b.CreateAdd(
                                b.CreateMul(c, b.getInt64(plan.kernelH)), ky),
                            b.getInt64(plan.kernelW)),
                        kx);
                    Value *colRow = elementPtr(
                        b, type, col, b.CreateMul(patchRow, b.getInt64(ld)));
                    TapRange range =
                        emitTapRange(b, kx, p.strideW, p.padW, p.dilationW,
                                     plan.width, plan.outW);
                    Value *shiftX =
                        b.CreateSub(b.CreateMul(kx, b.getInt64(p.dilationW)),
                                    b.getInt64(p.padW));
                    Value *shiftY =
                        b.CreateSub(b.CreateMul(ky, b.getInt64(p.dilationH)),
                                    b.getInt64(p.padH));
                    emitLoop(
                        b, zero, rows, one,
                        [&](IRBuilderBase &b, Value *r) {
                          Value *dst =
                              elementPtr(b, type, colRow, b.CreateMul(r, outW));
                          Value *iy =
                              b.CreateAdd(b.CreateMul(b.CreateAdd(y0, r),
                                                      b.getInt64(p.strideH)),
                                          shiftY);
                          Function *fn = b.GetInsertBlock()->getParent();
                          LLVMContext &ctx = b.getContext();
                          BasicBlock *inside =
                              BasicBlock::Create(ctx, "inside", fn);
                          BasicBlock *padding =
                              BasicBlock::Create(ctx, "padding", fn);
                          BasicBlock *next =
                              BasicBlock::Create(ctx, "next", fn);
                          b.CreateCondBr(
                              b.CreateICmpULT(iy, b.getInt64(plan.height)),
                              inside, padding);

                          b.SetInsertPoint(padding);
                          emitZeros(b, type, dst, zero, outW);
                          b.CreateBr(next);

                          b.SetInsertPoint(inside);
                          Value *src = elementPtr(
                              b, type, plane,
                              b.CreateMul(iy, b.getInt64(plan.width)));
                          emitZeros(b, type, dst, zero, range.lo);
                          emitLoop(
                              b, range.lo, range.hi, one,
                              [&](IRBuilderBase &b, Value *ox) {
                                Value *ix = b.CreateAdd(
                                    b.CreateMul(ox, b.getInt64(p.strideW)),
                                    shiftX);
                                b.CreateStore(
                                    b.CreateLoad(elt,
                                                 elementPtr(b, type, src, ix)),
                                    elementPtr(b, type, dst, ox));
                              },
                              "copy");
                          emitZeros(b, type, dst, range.hi, outW);
                          b.CreateBr(next);
                          b.SetInsertPoint(next);
                        },
                        "r");
                  },
                  "kx");
            },
            "ky");
      },
      "c");
}

} // namespace

void emitWithThreadScratch(IRBuilderBase &b, llvm::Module &module,
                           uint64_t bytes,
                           function_ref<void(Value *buffer)> body) {
  FunctionCallee fn = module.getOrInsertFunction(
      "qjit_thread_scratch",
      FunctionType::get(b.getPtrTy(), {b.getInt64Ty()}, false));
  if (auto *f = dyn_cast<Function>(fn.getCallee()))
    f->addFnAttr(llvm::Attribute::NoUnwind);
  Value *buffer = b.CreateCall(fn, {b.getInt64(bytes)});
  Function *parent = b.GetInsertBlock()->getParent();
  LLVMContext &ctx = b.getContext();
  BasicBlock *work = BasicBlock::Create(ctx, "scratch.ok", parent);
  BasicBlock *done = BasicBlock::Create(ctx, "scratch.done", parent);
  b.CreateCondBr(b.CreateIsNull(buffer), done, work,
                 MDBuilder(ctx).createUnlikelyBranchWeights());
  b.SetInsertPoint(work);
  body(buffer);
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

void emitConv2DIm2Col(Kernel &k, const Conv2DPlan &plan) {
  DataType type = plan.type;
  int64_t og = plan.groupOutChannels, cg = plan.groupChannels;
  int64_t outPixels = plan.outH * plan.outW;
  int64_t ld = plan.bandRows * plan.outW;
  int64_t bands = ceilDiv(plan.outH, plan.bandRows);
  // Tasks of one band of one (image, group), on the run's threads; each
  // chunk fills its own thread's band buffer (inline, the kernel's scratch).
  emitConvTasks(
      k, plan, bands, [&](Kernel &chunk, IRBuilderBase &b, const ConvTask &t) {
        auto [n, g, band, firstOut] = t;
        auto emitBand = [&](Value *col) {
          Value *x = chunk.operands[0].ptr, *w = chunk.operands[1].ptr;
          Value *y = chunk.results[0].ptr;
          Value *inChannels = elementPtr(
              b, type, x,
              b.CreateMul(b.CreateAdd(b.CreateMul(n, b.getInt64(plan.channels)),
                                      b.CreateMul(g, b.getInt64(cg))),
                          b.getInt64(plan.height * plan.width)));
          Value *outChannels = b.CreateAdd(
              b.CreateMul(n, b.getInt64(plan.outChannels)), firstOut);
          Value *weights = elementPtr(
              b, type, w, b.CreateMul(firstOut, b.getInt64(plan.patchSize())));
          Value *y0 = b.CreateMul(band, b.getInt64(plan.bandRows));
          Value *rows = b.CreateBinaryIntrinsic(
              Intrinsic::smin, b.getInt64(plan.bandRows),
              b.CreateSub(b.getInt64(plan.outH), y0));
          Value *cols = b.CreateMul(rows, b.getInt64(plan.outW));
          emitIm2Col(b, plan, inChannels, y0, rows, col, ld);

          GemmArgs gemm;
          gemm.type = type;
          gemm.m = og;
          gemm.k = plan.patchSize();
          gemm.n = cols;
          gemm.maxN = ld;
          gemm.a = weights;
          gemm.b = col;
          gemm.c = elementPtr(
              b, type, y,
              b.CreateAdd(b.CreateMul(outChannels, b.getInt64(outPixels)),
                          b.CreateMul(y0, b.getInt64(plan.outW))));
          gemm.lda = plan.patchSize();
          gemm.ldb = ld;
          gemm.ldc = outPixels;
          gemm.accumulate = plan.hasBias;
          if (plan.hasBias)
            emitBiasFill(b, type, chunk.operands[2].ptr, firstOut, og, cols,
                         gemm.c, outPixels);
          emitGemm(b, k.module, gemm);
        };
        if (&chunk == &k)
          emitBand(k.scratch);
        else
          emitWithThreadScratch(b, k.module, plan.scratchBytes, emitBand);
      });
}

} // namespace qjit
