//===- MatMul.cpp - Lowering of MatMul ------------------------------------===//
//
// C[b..., i, j] = sum_k A[b'..., i, k] * B[b''..., k, j], the batch
// dimensions broadcasting NumPy-style: one product per batch element (see
// MatMulGemm.h), the batch walked by the collapsed loop nest of Broadcast.h
// in units of whole matrices.
//
// Large products run on several threads (Parallel.h): one product (a
// single matrix, or a batch sharing B) in bands of rows or of columns,
// whichever gives more, each band one GEMM call (oneDNN or OpenBLAS, held
// to the calling thread: lib/JIT/BlasRuntime.cpp); a batch of products in
// chunks of whole matrices. The bands are fixed at compile time and computed
// the same way by every thread count, so results do not depend on it.
//
//===----------------------------------------------------------------------===//
#include "Broadcast.h"
#include "Kernel.h"
#include "LoopBuilder.h"
#include "MatMulGemm.h"
#include "Parallel.h"
#include <functional>

using namespace llvm;

namespace qjit {
namespace {

// The fewest rows (columns) of a band: each GEMM call packs the whole other
// operand, which must stay small next to the band's arithmetic.
constexpr int64_t kMinBand = 128;

// The band size along a dimension of `size` whose every unit costs
// `unitCost` multiply-adds.
int64_t bandSize(int64_t size, int64_t unitCost) {
  int64_t band = std::max(
      kMinBand, ceilDiv(kBandMultiplyAdds, std::max<int64_t>(unitCost, 1)));
  return std::min(band, size);
}

// One product C = A * B with g.m rows, split into bands of rows or columns
// run on several threads when large enough; else one call.
void emitBandedGemm(Kernel &k, GemmArgs g) {
  int64_t n = g.maxN;
  int64_t bandRows = bandSize(g.m, g.k * n);
  int64_t bandCols = bandSize(n, g.m * g.k);
  int64_t rowBands = ceilDiv(g.m, bandRows);
  int64_t colBands = ceilDiv(n, bandCols);
  if (std::max(rowBands, colBands) < 2) {
    emitGemm(k.b, k.module, g);
    return;
  }
  bool byRows = rowBands >= colBands;
  int64_t band = byRows ? bandRows : bandCols;
  int64_t size = byRows ? g.m : n;
  // g's A, B and C are the kernel's operands 0 and 1 and result 0, read in
  // the chunk from its own parameters.
  emitParallelFor(
      k, byRows ? rowBands : colBands, /*grain=*/1, {},
      [&](Kernel &chunk, ArrayRef<Value *>, Value *begin, Value *end) {
        emitLoop(
            chunk.b, begin, end, chunk.b.getInt64(1),
            [&](IRBuilderBase &b, Value *index) {
              Value *first =
                  b.CreateMul(index, b.getInt64(band), "", true, true);
              Value *count =
                  b.CreateBinaryIntrinsic(Intrinsic::smin, b.getInt64(band),
                                          b.CreateSub(b.getInt64(size), first));
              GemmArgs part = g;
              part.a = chunk.operands[0].ptr;
              part.b = chunk.operands[1].ptr;
              part.c = chunk.results[0].ptr;
              if (byRows) {
                part.m = band;
                part.rows = count;
                part.a = elementPtr(b, g.type, part.a,
                                    b.CreateMul(first, b.getInt64(g.lda)));
                part.c = elementPtr(b, g.type, part.c,
                                    b.CreateMul(first, b.getInt64(g.ldc)));
              } else {
                part.n = count;
                part.maxN = band;
                part.b = elementPtr(b, g.type, part.b, first);
                part.c = elementPtr(b, g.type, part.c, first);
              }
              emitGemm(b, k.module, part);
            },
            "band");
      });
}

} // namespace

void emitMatMul(Kernel &k) {
  const TensorType &aType = k.operands[0].type;
  const TensorType &bType = k.operands[1].type;
  const TensorType &cType = k.results[0].type;
  if (cType.numElements() == 0)
    return;
  allowReadingResult(k.results[0].ptr);

  DataType type = cType.elementType;
  int64_t m = aType.shape[aType.rank() - 2];
  int64_t depth = aType.shape.back();
  int64_t n = bType.shape.back();
  ArrayRef<int64_t> batchA = ArrayRef(aType.shape).drop_back(2);
  ArrayRef<int64_t> batchB = ArrayRef(bType.shape).drop_back(2);
  ArrayRef<int64_t> batchC = ArrayRef(cType.shape).drop_back(2);
  LoopNest nest = collapseBroadcast(batchC, {batchA, batchB, batchC});
  const int64_t matrixSize[3] = {m * depth, depth * n, m * n};

  GemmArgs g;
  g.type = type;
  g.m = m;
  g.k = depth;
  g.n = k.b.getInt64(n);
  g.maxN = n;
  g.lda = depth;
  g.ldb = n;
  g.ldc = n;

  // One B for every batch element, A and C walking theirs contiguously (a
  // dense layer over a batch): one product with m * batch rows.
  bool sharedB = nest.dims.size() == 1 && nest.strides[1][0] == 0 &&
                 (nest.dims[0] == 1 ||
                  (nest.strides[0][0] == 1 && nest.strides[2][0] == 1));
  if (sharedB) {
    g.m = m * nest.dims[0];
    g.a = k.operands[0].ptr;
    g.b = k.operands[1].ptr;
    g.c = k.results[0].ptr;
    emitBandedGemm(k, g);
    return;
  }

  // Nested loops over the batch, the outermost split over threads in whole
  // iterations; `offsets` are in elements per buffer.
  std::function<void(Kernel &, IRBuilderBase &, size_t, ArrayRef<Value *>,
                     Value *, Value *)>
      level = [&](Kernel &chunk, IRBuilderBase &b, size_t d,
                  ArrayRef<Value *> offsets, Value *begin, Value *end) {
        if (d == nest.dims.size()) {
          GemmArgs one = g;
          one.a = elementPtr(b, type, chunk.operands[0].ptr, offsets[0]);
          one.b = elementPtr(b, type, chunk.operands[1].ptr, offsets[1]);
          one.c = elementPtr(b, type, chunk.results[0].ptr, offsets[2]);
          emitGemm(b, k.module, one);
          return;
        }
        emitLoop(
            b, begin, end, b.getInt64(1),
            [&](IRBuilderBase &b, Value *iv) {
              SmallVector<Value *, 3> inner;
              for (size_t t = 0; t < 3; ++t)
                inner.push_back(b.CreateAdd(
                    offsets[t], b.CreateMul(iv, b.getInt64(nest.strides[t][d] *
                                                           matrixSize[t]))));
              Value *innerEnd = d + 1 < nest.dims.size()
                                    ? b.getInt64(nest.dims[d + 1])
                                    : nullptr;
              level(chunk, b, d + 1, inner, b.getInt64(0), innerEnd);
            },
            "batch" + Twine(d));
      };
  int64_t perIteration = m * depth * n;
  for (int64_t d : ArrayRef<int64_t>(nest.dims).drop_front())
    perIteration *= d;
  emitParallelFor(
      k, nest.dims[0],
      ceilDiv(kBandMultiplyAdds, std::max<int64_t>(perIteration, 1)), {},
      [&](Kernel &chunk, ArrayRef<Value *>, Value *begin, Value *end) {
        Value *zero = chunk.b.getInt64(0);
        level(chunk, chunk.b, 0, {zero, zero, zero}, begin, end);
      });
}

} // namespace qjit
