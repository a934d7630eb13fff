//===- MatMulGemm.cpp - One row-major matrix product ----------------------===//
#include "MatMulGemm.h"
#include "Kernel.h"
#include "LoopBuilder.h"
#include "llvm/IR/Argument.h"
#include "llvm/IR/Module.h"
#include <limits>

using namespace llvm;

namespace qjit {
namespace {

// Sizes CBLAS's 32-bit int holds. oneDNN's sizes are 64-bit, but Float32
// keeps the same bound: larger products take the loops, as before.
bool fitsCblasInt(int64_t value) {
  return value <= std::numeric_limits<int32_t>::max();
}

bool usesBlas(const GemmArgs &g) {
  return isFloatType(g.type) && fitsCblasInt(g.m) && fitsCblasInt(g.k) &&
         fitsCblasInt(g.maxN) && fitsCblasInt(g.lda) && fitsCblasInt(g.ldb) &&
         fitsCblasInt(g.ldc);
}

// void qjit_sgemm(i64 M, i64 N, i64 K, ptr A, i64 lda, ptr B, i64 ldb,
//                 float beta, ptr C, i64 ldc): oneDNN's dnnl_sgemm, row-major,
// no transposition, alpha 1; qjit_dgemm the same with doubles on OpenBLAS's
// cblas_dgemm (lib/Runtime/Gemm.h).
FunctionCallee qjitGemm(llvm::Module &module, DataType type) {
  LLVMContext &ctx = module.getContext();
  Type *i64 = Type::getInt64Ty(ctx);
  Type *ptr = PointerType::getUnqual(ctx);
  Type *elt = elementLLVMType(ctx, type);
  auto *fnTy = FunctionType::get(
      Type::getVoidTy(ctx), {i64, i64, i64, ptr, i64, ptr, i64, elt, ptr, i64},
      false);
  return module.getOrInsertFunction(
      type == DataType::Float32 ? "qjit_sgemm" : "qjit_dgemm", fnTy);
}

void emitBlasCall(IRBuilderBase &b, llvm::Module &module, const GemmArgs &g) {
  Type *elt = elementLLVMType(b.getContext(), g.type);
  Constant *beta = ConstantFP::get(elt, g.accumulate ? 1.0 : 0.0);
  FunctionCallee callee = qjitGemm(module, g.type);
  Value *m = g.rows ? g.rows : b.getInt64(g.m);
  b.CreateCall(callee, {m, g.n, b.getInt64(g.k), g.a, b.getInt64(g.lda), g.b,
                        b.getInt64(g.ldb), beta, g.c, b.getInt64(g.ldc)});
  if (auto *fn = dyn_cast<Function>(callee.getCallee()))
    fn->addFnAttr(llvm::Attribute::NoUnwind);
}

// Terms of the sum over k that one pass over a row of C adds: fewer loads and
// stores of C per multiply-add.
constexpr int64_t kDepthUnroll = 4;

// for i: [C[i,:] = 0;] for kk (by kDepthUnroll):
//   C[i,:] += A[i,kk] * B[kk,:] + A[i,kk+1] * B[kk+1,:] + ...
// The inner loop walks rows of B and C contiguously, so it vectorizes.
// Integer sums wrap (no nsw/nuw), which makes their order irrelevant.
void emitLoops(IRBuilderBase &b, const GemmArgs &g) {
  bool isFloat = isFloatType(g.type);
  Type *elt = elementLLVMType(b.getContext(), g.type);
  Value *zero64 = b.getInt64(0), *one64 = b.getInt64(1);
  auto multiplyAdd = [&](IRBuilderBase &b, Value *acc, Value *x, Value *y) {
    return isFloat ? b.CreateFAdd(acc, b.CreateFMul(x, y))
                   : b.CreateAdd(acc, b.CreateMul(x, y));
  };
  emitLoop(
      b, zero64, g.rows ? g.rows : b.getInt64(g.m), one64,
      [&](IRBuilderBase &b, Value *i) {
        Value *cRow =
            elementPtr(b, g.type, g.c, b.CreateMul(i, b.getInt64(g.ldc)));
        Value *aRow =
            elementPtr(b, g.type, g.a, b.CreateMul(i, b.getInt64(g.lda)));
        if (!g.accumulate)
          emitLoop(
              b, zero64, g.n, one64,
              [&](IRBuilderBase &b, Value *j) {
                b.CreateStore(Constant::getNullValue(elt),
                              elementPtr(b, g.type, cRow, j));
              },
              "zero");
        // Adds the `terms` terms from k = kk on to the row.
        auto addTerms = [&](IRBuilderBase &b, Value *kk, int64_t terms) {
          SmallVector<Value *, kDepthUnroll> as, bRows;
          for (int64_t t = 0; t < terms; ++t) {
            Value *k = b.CreateAdd(kk, b.getInt64(t));
            as.push_back(b.CreateLoad(elt, elementPtr(b, g.type, aRow, k)));
            bRows.push_back(
                elementPtr(b, g.type, g.b, b.CreateMul(k, b.getInt64(g.ldb))));
          }
          emitLoop(
              b, zero64, g.n, one64,
              [&](IRBuilderBase &b, Value *j) {
                Value *cPtr = elementPtr(b, g.type, cRow, j);
                Value *sum = b.CreateLoad(elt, cPtr);
                for (int64_t t = 0; t < terms; ++t)
                  sum = multiplyAdd(
                      b, sum, as[t],
                      b.CreateLoad(elt, elementPtr(b, g.type, bRows[t], j)));
                b.CreateStore(sum, cPtr);
              },
              "j");
        };
        int64_t unrolled = g.k / kDepthUnroll * kDepthUnroll;
        emitLoop(
            b, zero64, b.getInt64(unrolled), b.getInt64(kDepthUnroll),
            [&](IRBuilderBase &b, Value *kk) { addTerms(b, kk, kDepthUnroll); },
            "k");
        if (int64_t rest = g.k - unrolled)
          addTerms(b, b.getInt64(unrolled), rest);
      },
      "i");
}

} // namespace

void emitGemm(IRBuilderBase &b, llvm::Module &module, const GemmArgs &g) {
  if (g.m == 0 || g.maxN == 0)
    return;
  if (g.k == 0) {
    // An empty sum: C = 0 (CBLAS would reject lda = 0).
    if (!g.accumulate)
      emitLoops(b, g);
    return;
  }
  if (usesBlas(g))
    emitBlasCall(b, module, g);
  else
    emitLoops(b, g);
}

void allowReadingResult(Value *ptr) {
  // Pointers into a buffer (a fused kernel's bands) carry no attributes;
  // their kernel drops `writeonly` from the buffer itself.
  if (auto *arg = dyn_cast<Argument>(ptr))
    arg->removeAttr(llvm::Attribute::WriteOnly);
}

} // namespace qjit
