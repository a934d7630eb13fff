//===- ShapeOps.cpp - Lowering of ops that only move elements -------------===//
//
// Transpose, Broadcast, Concat and Slice are strided copies: a loop nest over
// the destination's elements reading the source at an offset and strides of
// its own (0 where broadcast, the step where sliced, permuted for Transpose).
// The nest is simplified first (size-1 loops dropped, neighbours walked as
// one where both sides allow), so most copies become one or two loops whose
// inner one is contiguous and vectorizes. Elements are copied as integers of
// their width: the bytes move unchanged (NaN payloads, Bool).
// Reshape is a copy of the bytes (GraphLowering makes most Reshapes views
// that need no kernel at all).
//
//===----------------------------------------------------------------------===//
#include "Kernel.h"
#include "LoopBuilder.h"
#include "Parallel.h"
#include "Runtime/TransposeBytes.h"
#include "qjit/IR/OpParams.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"
#include <optional>

using namespace llvm;

namespace qjit {
namespace {

// dst[dstOffset + sum_d i_d * dstStrides[d]] =
//     src[srcOffset + sum_d i_d * srcStrides[d]] for i in dims.
struct CopyNest {
  Shape dims, srcStrides, dstStrides;
  int64_t srcOffset = 0, dstOffset = 0;
};

CopyNest simplify(const CopyNest &nest) {
  CopyNest out;
  out.srcOffset = nest.srcOffset;
  out.dstOffset = nest.dstOffset;
  for (size_t d = 0; d < nest.dims.size(); ++d) {
    int64_t n = nest.dims[d];
    if (n == 1)
      continue;
    if (!out.dims.empty() && out.srcStrides.back() == nest.srcStrides[d] * n &&
        out.dstStrides.back() == nest.dstStrides[d] * n) {
      out.dims.back() *= n;
      out.srcStrides.back() = nest.srcStrides[d];
      out.dstStrides.back() = nest.dstStrides[d];
      continue;
    }
    out.dims.push_back(n);
    out.srcStrides.push_back(nest.srcStrides[d]);
    out.dstStrides.push_back(nest.dstStrides[d]);
  }
  return out;
}

Value *offsetAt(IRBuilderBase &b, Value *base, Value *iv, int64_t stride) {
  if (stride == 0)
    return base;
  return b.CreateAdd(base, b.CreateMul(iv, b.getInt64(stride), "", true, true),
                     "", true, true);
}

// The element copy at the given offsets.
void emitCopyElement(IRBuilderBase &b, Type *elemTy, Value *src, Value *dst,
                     Value *srcOffset, Value *dstOffset) {
  Value *v = b.CreateLoad(elemTy, b.CreateInBoundsGEP(elemTy, src, srcOffset));
  b.CreateStore(v, b.CreateInBoundsGEP(elemTy, dst, dstOffset));
}

// Loop `level` of `nest` and the ones inside it. `tiled` (if any) is the
// level read contiguously when the innermost one is not: those two are
// walked in square tiles of `tile` x `tile` elements, so that a transpose
// reads and writes whole cache lines instead of one element per line. The
// tiles go along the source's rows (4096^2 floats: 6x faster than untiled,
// 2x faster than tiles going down its columns, on Zen 3).
void emitCopyLevel(IRBuilderBase &b, const CopyNest &nest, size_t level,
                   std::optional<size_t> tiled, int64_t tile, Type *elemTy,
                   Value *src, Value *dst, Value *srcOffset, Value *dstOffset) {
  size_t innermost = nest.dims.size() - 1;
  if (level == nest.dims.size()) {
    emitCopyElement(b, elemTy, src, dst, srcOffset, dstOffset);
    return;
  }
  if (tiled && level == *tiled) {
    emitCopyLevel(b, nest, level + 1, tiled, tile, elemTy, src, dst, srcOffset,
                  dstOffset);
    return;
  }
  if (tiled && level == innermost) {
    size_t t = *tiled;
    auto tileLoops = [&](int64_t count, const Twine &name,
                         function_ref<void(Value *, Value *)> body) {
      emitLoop(
          b, b.getInt64(0), b.getInt64(count), b.getInt64(tile),
          [&](IRBuilderBase &b, Value *begin) {
            Value *end = b.CreateBinaryIntrinsic(
                Intrinsic::smin, b.CreateAdd(begin, b.getInt64(tile)),
                b.getInt64(count));
            body(begin, end);
          },
          name);
    };
    tileLoops(nest.dims[level], "tile.i", [&](Value *iBegin, Value *iEnd) {
      tileLoops(nest.dims[t], "tile.t", [&](Value *tBegin, Value *tEnd) {
        emitLoop(
            b, tBegin, tEnd, b.getInt64(1),
            [&](IRBuilderBase &b, Value *it) {
              Value *srcRow = offsetAt(b, srcOffset, it, nest.srcStrides[t]);
              Value *dstRow = offsetAt(b, dstOffset, it, nest.dstStrides[t]);
              emitLoop(
                  b, iBegin, iEnd, b.getInt64(1),
                  [&](IRBuilderBase &b, Value *ii) {
                    emitCopyElement(
                        b, elemTy, src, dst,
                        offsetAt(b, srcRow, ii, nest.srcStrides[level]),
                        offsetAt(b, dstRow, ii, nest.dstStrides[level]));
                  },
                  "i");
            },
            "t");
      });
    });
    return;
  }
  emitLoop(
      b, nest.dims[level],
      [&](IRBuilderBase &b, Value *iv) {
        emitCopyLevel(b, nest, level + 1, tiled, tile, elemTy, src, dst,
                      offsetAt(b, srcOffset, iv, nest.srcStrides[level]),
                      offsetAt(b, dstOffset, iv, nest.dstStrides[level]));
      },
      "d" + Twine(level));
}

void emitCopy(IRBuilderBase &b, DataType type, Value *src, Value *dst,
              const CopyNest &given) {
  for (int64_t n : given.dims)
    if (n == 0)
      return;
  CopyNest nest = simplify(given);
  Type *elemTy = b.getIntNTy(8 * dataTypeSize(type));
  // A transpose: the innermost loop writes contiguously but reads with a
  // stride, and an outer loop reads contiguously. Tiles of one cache line
  // by one cache line (larger ones measured slower).
  std::optional<size_t> tiled;
  int64_t tile = std::max<int64_t>(64 / dataTypeSize(type), 16);
  if (nest.dims.size() >= 2 && nest.srcStrides.back() > 1 &&
      nest.dstStrides.back() == 1 && nest.dims.back() > tile)
    for (size_t level = 0; level + 1 < nest.dims.size(); ++level)
      if (nest.srcStrides[level] == 1 && nest.dims[level] > tile)
        tiled = level;
  emitCopyLevel(b, nest, 0, tiled, tile, elemTy, src, dst,
                b.getInt64(nest.srcOffset), b.getInt64(nest.dstOffset));
}

// A copy over every element of `dstShape`, written densely.
CopyNest denseDestination(ArrayRef<int64_t> dstShape) {
  CopyNest nest;
  nest.dims.assign(dstShape.begin(), dstShape.end());
  nest.dstStrides = rowMajorStrides(dstShape);
  return nest;
}

// A Transpose that keeps `batch` leading axes and then swaps two groups of
// axes, [b..., i..., j...] -> [b..., j..., i...]: a batch of matrix
// transposes [rows, cols] -> [cols, rows] (NCHW <-> NHWC, for one).
struct MatrixTranspose {
  int64_t batches = 1, rows = 1, cols = 1;
};

std::optional<MatrixTranspose> asMatrixTranspose(ArrayRef<int64_t> shape,
                                                 ArrayRef<int64_t> perm) {
  int64_t rank = perm.size(), batch = 0;
  while (batch < rank && perm[batch] == batch)
    ++batch;
  if (batch == rank)
    return std::nullopt;
  // perm[batch..] = [split, ..., rank - 1, batch, ..., split - 1]
  int64_t split = perm[batch];
  for (int64_t d = batch; d < rank; ++d) {
    int64_t expected = d - batch < rank - split ? split + (d - batch)
                                                : batch + (d - batch) -
                                                      (rank - split);
    if (perm[d] != expected)
      return std::nullopt;
  }
  MatrixTranspose t;
  for (int64_t d = 0; d < rank; ++d)
    (d < batch ? t.batches : d < split ? t.rows : t.cols) *= shape[d];
  return t;
}

} // namespace

void emitTranspose(Kernel &k) {
  const KernelBuffer &in = k.operands[0], &out = k.results[0];
  SmallVector<int64_t, 4> perm =
      cantFail(getTransposePerm(k.op, in.type.rank()));
  // Bytes (quantized activations changing layout) go through the runtime's
  // tiled transposes; a strided loop would move one byte per iteration.
  auto matrix = asMatrixTranspose(in.type.shape, perm);
  if (dataTypeSize(in.type.elementType) == 1 && matrix &&
      matrix->rows > 1 && matrix->cols > 1) {
    Type *i64 = k.b.getInt64Ty(), *ptr = k.b.getPtrTy();
    FunctionCallee transpose = k.module.getOrInsertFunction(
        "qjit_transpose_bytes",
        FunctionType::get(k.b.getVoidTy(), {ptr, ptr, i64, i64, i64, i64},
                          false));
    if (auto *fn = dyn_cast<Function>(transpose.getCallee()))
      fn->addFnAttr(llvm::Attribute::NoUnwind);
    // Strips of the longer side, split over the run's threads.
    int64_t tasks = qjit_transpose_byte_tasks(matrix->batches, matrix->rows,
                                              matrix->cols);
    int64_t perTask = matrix->rows * matrix->cols * matrix->batches / tasks;
    emitParallelFor(k, tasks, parallelGrain(std::max<int64_t>(perTask, 1)), {},
                    [&](Kernel &chunk, ArrayRef<Value *>, Value *begin,
                        Value *end) {
                      chunk.b.CreateCall(
                          transpose, {chunk.operands[0].ptr,
                                      chunk.results[0].ptr,
                                      chunk.b.getInt64(matrix->rows),
                                      chunk.b.getInt64(matrix->cols), begin,
                                      end});
                    });
    return;
  }
  Shape inStrides = rowMajorStrides(in.type.shape);
  CopyNest nest = denseDestination(out.type.shape);
  for (int64_t p : perm)
    nest.srcStrides.push_back(inStrides[p]);
  emitCopy(k.b, in.type.elementType, in.ptr, out.ptr, nest);
}

void emitBroadcast(Kernel &k) {
  const KernelBuffer &in = k.operands[0], &out = k.results[0];
  ArrayRef<int64_t> inShape = in.type.shape, outShape = out.type.shape;
  Shape inStrides = rowMajorStrides(inShape);
  CopyNest nest = denseDestination(outShape);
  size_t lead = outShape.size() - inShape.size();
  for (size_t d = 0; d < outShape.size(); ++d) {
    bool broadcast = d < lead || inShape[d - lead] == 1;
    nest.srcStrides.push_back(broadcast ? 0 : inStrides[d - lead]);
  }
  emitCopy(k.b, in.type.elementType, in.ptr, out.ptr, nest);
}

void emitSlice(Kernel &k) {
  const KernelBuffer &in = k.operands[0], &out = k.results[0];
  SliceParams p = cantFail(getSliceParams(k.op, in.type.shape));
  Shape inStrides = rowMajorStrides(in.type.shape);
  CopyNest nest = denseDestination(out.type.shape);
  for (size_t d = 0; d < inStrides.size(); ++d) {
    nest.srcStrides.push_back(inStrides[d] * p.steps[d]);
    nest.srcOffset += p.starts[d] * inStrides[d];
  }
  emitCopy(k.b, in.type.elementType, in.ptr, out.ptr, nest);
}

namespace {

// A function copying one Concat operand of `type` into the result at `dst`
// (already offset), made once per module for each operand type and result
// stride pattern. Many operands share one (Concat of N equal tensors: one
// function, N calls), and each copy loop is optimized in its own small
// function: a kernel with a loop nest per operand made LLVM's pipeline
// quadratic in the operand count (1024 operands: 16 s at -O2).
Function *concatCopyFunction(llvm::Module &module, const TensorType &type,
                             const CopyNest &nest) {
  std::string name = "qjit.concat.copy." + dataTypeName(type.elementType).str();
  for (int64_t d : nest.dims)
    name += "." + std::to_string(d);
  name += ".to";
  for (int64_t s : nest.dstStrides)
    name += "." + std::to_string(s);
  if (Function *existing = module.getFunction(name))
    return existing;
  LLVMContext &ctx = module.getContext();
  Type *ptrTy = PointerType::getUnqual(ctx);
  auto *fn = Function::Create(
      FunctionType::get(Type::getVoidTy(ctx), {ptrTy, ptrTy}, false),
      GlobalValue::PrivateLinkage, name, module);
  fn->addFnAttr(llvm::Attribute::NoInline);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  for (unsigned i : {0u, 1u})
    fn->addParamAttr(i, llvm::Attribute::NoAlias);
  fn->addParamAttr(0, llvm::Attribute::ReadOnly);
  fn->addParamAttr(1, llvm::Attribute::WriteOnly);
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", fn));
  emitCopy(b, type.elementType, fn->getArg(0), fn->getArg(1), nest);
  b.CreateRetVoid();
  return fn;
}

} // namespace

void emitConcat(Kernel &k) {
  // A Concat of many operands is a list of loads and calls with nothing to
  // optimize (its copy loops are functions of their own): optnone selects
  // its instructions with FastISel, whose time is linear in their number.
  if (k.bufferTable)
    k.b.GetInsertBlock()->getParent()->addFnAttr(
        llvm::Attribute::OptimizeNone);
  const KernelBuffer &out = k.results[0];
  int64_t axis = cantFail(getOpAxis(k.op, out.type.rank()));
  Shape outStrides = rowMajorStrides(out.type.shape);
  llvm::Module &module = *k.b.GetInsertBlock()->getModule();
  Type *outElement = elementLLVMType(k.b.getContext(), out.type.elementType);
  size_t count = k.operands.size();
  int64_t position = 0; // along the axis
  for (size_t first = 0, run; first < count; first += run) {
    const TensorType &type = k.operands[first].type;
    // Operands read from a buffer table are copied by one loop per run of
    // equal types (a Concat of N equal tensors: one loop of N calls), so the
    // kernel's size does not grow with their number.
    run = 1;
    while (k.bufferTable && first + run < count &&
           k.operands[first + run].type == type)
      ++run;
    int64_t extent = type.shape[axis];
    if (type.numElements() != 0) {
      CopyNest nest;
      nest.dims = type.shape;
      nest.srcStrides = rowMajorStrides(type.shape);
      nest.dstStrides = outStrides;
      Function *copy = concatCopyFunction(module, type, nest);
      auto copyAt = [&](IRBuilderBase &b, Value *src, Value *along) {
        Value *dst = b.CreateInBoundsGEP(
            outElement, out.ptr, b.CreateMul(along, b.getInt64(outStrides[axis])));
        b.CreateCall(copy, {src, dst});
      };
      if (run == 1) {
        copyAt(k.b, k.operands[first].ptr, k.b.getInt64(position));
      } else {
        Type *ptrTy = PointerType::getUnqual(k.b.getContext());
        emitLoop(k.b, int64_t(run), [&](IRBuilderBase &b, Value *i) {
          Value *slot = b.CreateAdd(i, b.getInt64(first));
          Value *src =
              b.CreateLoad(ptrTy, b.CreateInBoundsGEP(ptrTy, k.bufferTable, slot));
          copyAt(b, src,
                 b.CreateAdd(b.getInt64(position),
                             b.CreateMul(i, b.getInt64(extent))));
        });
      }
    }
    position += int64_t(run) * extent;
  }
}

void emitReshape(Kernel &k) {
  const KernelBuffer &in = k.operands[0], &out = k.results[0];
  if (uint64_t bytes = in.type.sizeInBytes())
    k.b.CreateMemCpy(out.ptr, MaybeAlign(dataTypeSize(out.type.elementType)),
                     in.ptr, MaybeAlign(dataTypeSize(in.type.elementType)),
                     bytes);
}

} // namespace qjit
