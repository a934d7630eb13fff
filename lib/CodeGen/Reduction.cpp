//===- Reduction.cpp - Lowering of ReduceSum/Mean/Max/Min -----------------===//
//
// The input's dimensions are grouped into runs of reduced and kept ones
// (size-1 dimensions dropped), and the input is walked in row-major order as
// the interpreter does. Two shapes of loops:
// - only the innermost run is reduced ([kept, reduced] or [reduced]): each
//   result is one accumulator in a register over a contiguous range, stored
//   once. Integer adds and float maximum/minimum reorder exactly, float
//   sums carry `reassoc` (the one place where the order may change), so the
//   range vectorizes.
// - otherwise: accumulators in the scratch buffer, one per result, updated
//   in row-major order (a kept innermost run is an elementwise loop that
//   vectorizes, in exactly the interpreter's order), then written out.
// Sums start from T(0); maximum/minimum from the identity (-inf/+inf, the
// integer limits), which gives the interpreter's first-element start.
// Mean divides the sum by T(count) at the end.
//
//===----------------------------------------------------------------------===//
#include "Kernel.h"
#include "LoopBuilder.h"
#include "qjit/IR/OpParams.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/IR/Intrinsics.h"

using namespace llvm;

namespace qjit {
namespace {

struct Run {
  int64_t size;
  bool reduced;
};

struct ReductionPlan {
  SmallVector<Run, 4> runs;
  int64_t count = 1;        // elements reduced into each result
  bool inRegisters = false; // only the innermost run is reduced
};

ReductionPlan planReduction(const Operation &op, const TensorType &input) {
  SmallVector<int64_t, 4> axes = cantFail(getReduceAxes(op, input.rank()));
  ReductionPlan plan;
  for (int64_t d = 0; d < input.rank(); ++d) {
    int64_t n = input.shape[d];
    bool reduced = is_contained(axes, d);
    if (reduced)
      plan.count *= n;
    if (n == 1)
      continue;
    if (!plan.runs.empty() && plan.runs.back().reduced == reduced)
      plan.runs.back().size *= n;
    else
      plan.runs.push_back({n, reduced});
  }
  size_t reducedRuns =
      count_if(plan.runs, [](const Run &r) { return r.reduced; });
  plan.inRegisters =
      reducedRuns == 0 || (reducedRuns == 1 && plan.runs.back().reduced);
  return plan;
}

class ReductionEmitter {
public:
  explicit ReductionEmitter(Kernel &k)
      : k(k), b(k.b), type(k.operands[0].type.elementType),
        elemTy(elementLLVMType(b.getContext(), type)),
        plan(planReduction(k.op, k.operands[0].type)) {}

  void emit();

private:
  Value *identity() const;
  // acc op v, the reduction's step.
  Value *combine(IRBuilderBase &b, Value *acc, Value *v) const;
  // The result of an accumulator (Mean: acc / T(count)).
  Value *finish(IRBuilderBase &b, Value *acc) const;
  Value *load(IRBuilderBase &b, Value *base, Value *index) const {
    return b.CreateLoad(elemTy, elementPtr(b, type, base, index));
  }
  // acc := combine over the contiguous `n` elements at in[offset].
  Value *emitRange(Value *acc, Value *offset, int64_t n);
  void emitInRegisters();
  void emitInScratch();
  void emitScratchLevel(size_t level, Value *inOffset, Value *outOffset);

  Kernel &k;
  IRBuilder<> &b;
  DataType type;
  Type *elemTy;
  ReductionPlan plan;
};

Value *ReductionEmitter::identity() const {
  OpKind kind = k.op.getKind();
  if (kind == OpKind::ReduceSum || kind == OpKind::ReduceMean)
    return Constant::getNullValue(elemTy);
  bool isMax = kind == OpKind::ReduceMax;
  if (isFloatType(type))
    return ConstantFP::getInfinity(elemTy, /*Negative=*/isMax);
  unsigned bits = elemTy->getIntegerBitWidth();
  if (isSignedType(type))
    return ConstantInt::get(b.getContext(),
                            isMax ? APInt::getSignedMinValue(bits)
                                  : APInt::getSignedMaxValue(bits));
  return ConstantInt::get(b.getContext(), isMax ? APInt::getMinValue(bits)
                                                : APInt::getMaxValue(bits));
}

Value *ReductionEmitter::combine(IRBuilderBase &b, Value *acc, Value *v) const {
  bool isFloat = isFloatType(type), isSigned = isSignedType(type);
  OpKind kind = k.op.getKind();
  if (kind == OpKind::ReduceSum || kind == OpKind::ReduceMean)
    return isFloat ? b.CreateFAdd(acc, v) : b.CreateAdd(acc, v);
  if (kind == OpKind::ReduceMax)
    return b.CreateBinaryIntrinsic(isFloat    ? Intrinsic::maximum
                                   : isSigned ? Intrinsic::smax
                                              : Intrinsic::umax,
                                   acc, v);
  assert(kind == OpKind::ReduceMin && "not a reduction");
  return b.CreateBinaryIntrinsic(isFloat    ? Intrinsic::minimum
                                 : isSigned ? Intrinsic::smin
                                            : Intrinsic::umin,
                                 acc, v);
}

Value *ReductionEmitter::finish(IRBuilderBase &b, Value *acc) const {
  if (k.op.getKind() != OpKind::ReduceMean)
    return acc;
  return b.CreateFDiv(acc, ConstantFP::get(elemTy, double(plan.count)));
}

Value *ReductionEmitter::emitRange(Value *acc, Value *offset, int64_t n) {
  bool reassociate =
      isFloatType(type) && (k.op.getKind() == OpKind::ReduceSum ||
                            k.op.getKind() == OpKind::ReduceMean);
  AllocaInst *slot = createLocal(b, acc, "acc");
  emitLoop(
      b, n,
      [&](IRBuilderBase &b, Value *i) {
        Value *v =
            load(b, k.operands[0].ptr, b.CreateAdd(offset, i, "", true, true));
        Value *next = combine(b, b.CreateLoad(elemTy, slot), v);
        if (reassociate) {
          // A sum whose order may change: LoopVectorize splits it into
          // partial sums.
          FastMathFlags flags;
          flags.setAllowReassoc();
          cast<Instruction>(next)->setFastMathFlags(flags);
        }
        b.CreateStore(next, slot);
      },
      "r");
  return b.CreateLoad(elemTy, slot);
}

void ReductionEmitter::emitInRegisters() {
  const KernelBuffer &out = k.results[0];
  int64_t results = out.type.numElements();
  bool reduces = !plan.runs.empty() && plan.runs.back().reduced;
  int64_t n = reduces ? plan.runs.back().size : 1;
  if (n == 1) {
    // Nothing to combine (reduced dimensions of size 1): the result is
    // identity op x, elementwise.
    emitLoop(b, results, [&](IRBuilderBase &b, Value *o) {
      Value *v = load(b, k.operands[0].ptr, o);
      b.CreateStore(finish(b, combine(b, identity(), v)),
                    elementPtr(b, type, out.ptr, o));
    });
    return;
  }
  emitLoop(
      b, results,
      [&](IRBuilderBase &, Value *o) {
        Value *offset = b.CreateMul(o, b.getInt64(n), "", true, true);
        Value *acc = emitRange(identity(), offset, n);
        b.CreateStore(finish(b, acc), elementPtr(b, type, out.ptr, o));
      },
      "o");
}

void ReductionEmitter::emitScratchLevel(size_t level, Value *inOffset,
                                        Value *outOffset) {
  // Strides of the runs from `level` inwards, in the input and the result.
  int64_t inStride = 1, outStride = 1;
  for (size_t r = level + 1; r < plan.runs.size(); ++r) {
    inStride *= plan.runs[r].size;
    if (!plan.runs[r].reduced)
      outStride *= plan.runs[r].size;
  }
  const Run &run = plan.runs[level];
  Value *acc = k.scratch;
  bool innermost = level + 1 == plan.runs.size();
  if (innermost && run.reduced) {
    Value *accPtr = elementPtr(b, type, acc, outOffset);
    b.CreateStore(emitRange(b.CreateLoad(elemTy, accPtr), inOffset, run.size),
                  accPtr);
    return;
  }
  emitLoop(
      b, run.size,
      [&](IRBuilderBase &b, Value *i) {
        Value *in = b.CreateAdd(
            inOffset, b.CreateMul(i, b.getInt64(inStride), "", true, true), "",
            true, true);
        Value *out = run.reduced
                         ? outOffset
                         : b.CreateAdd(outOffset,
                                       b.CreateMul(i, b.getInt64(outStride), "",
                                                   true, true),
                                       "", true, true);
        if (!innermost) {
          emitScratchLevel(level + 1, in, out);
          return;
        }
        // A kept innermost run: acc[j] = acc[j] op in[j], elementwise.
        Value *accPtr = elementPtr(b, type, acc, out);
        b.CreateStore(combine(b, b.CreateLoad(elemTy, accPtr),
                              load(b, k.operands[0].ptr, in)),
                      accPtr);
      },
      "d" + Twine(level));
}

void ReductionEmitter::emitInScratch() {
  const KernelBuffer &out = k.results[0];
  int64_t results = out.type.numElements();
  Value *acc = k.scratch;
  emitLoop(b, results, [&](IRBuilderBase &b, Value *o) {
    b.CreateStore(identity(), elementPtr(b, type, acc, o));
  });
  emitScratchLevel(0, b.getInt64(0), b.getInt64(0));
  emitLoop(b, results, [&](IRBuilderBase &b, Value *o) {
    Value *v = b.CreateLoad(elemTy, elementPtr(b, type, acc, o));
    b.CreateStore(finish(b, v), elementPtr(b, type, out.ptr, o));
  });
}

void ReductionEmitter::emit() {
  if (k.results[0].type.numElements() == 0)
    return;
  if (plan.inRegisters)
    emitInRegisters();
  else
    emitInScratch();
}

} // namespace

uint64_t reductionScratchBytes(const Graph &graph, const Operation &op) {
  const TensorType &input = graph.getType(op.getOperand(0));
  if (planReduction(op, input).inRegisters)
    return 0;
  return graph.getType(op.getResult()).sizeInBytes();
}

void emitReduction(Kernel &k) { ReductionEmitter(k).emit(); }

} // namespace qjit
