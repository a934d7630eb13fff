//===- Softmax.cpp - Lowering of Softmax and LogSoftmax -------------------===//
//
// As lib/Interpreter/Softmax.cpp, per line x_0 .. x_{n-1} along the axis:
//   m = maximum_k x_k (NaN propagates), s = sum_k exp(x_k - m) from T(0),
//   Softmax: exp(x_k - m) / s;  LogSoftmax: (x_k - m) - log(s).
// The input is [outer, n, inner]:
// - inner == 1 (the axis is the last dimension): each line is contiguous;
//   the maximum and the sum are vectorized reductions in registers (the
//   sum's adds carry `reassoc`, so its order may change), exp and log are
//   libmvec calls once vectorized. Softmax computes exp twice rather than
//   reading back its write-only result.
// - inner > 1: m and s are rows of `inner` accumulators in the scratch
//   buffer, updated line after line by elementwise loops over the contiguous
//   inner dimension, in exactly the interpreter's order.
//
//===----------------------------------------------------------------------===//
#include "Kernel.h"
#include "LoopBuilder.h"
#include "Math.h"
#include "qjit/IR/OpParams.h"
#include "llvm/IR/Intrinsics.h"

using namespace llvm;

namespace qjit {
namespace {

struct SoftmaxShape {
  int64_t outer, n, inner;
};

SoftmaxShape softmaxShape(const Operation &op, const TensorType &input) {
  int64_t axis = cantFail(getOpAxis(op, input.rank()));
  ArrayRef<int64_t> shape = input.shape;
  return {numElements(shape.take_front(axis)), shape[axis],
          numElements(shape.drop_front(axis + 1))};
}

class SoftmaxEmitter {
public:
  explicit SoftmaxEmitter(Kernel &k)
      : k(k), b(k.b), type(k.operands[0].type.elementType),
        elemTy(elementLLVMType(b.getContext(), type)),
        shape(softmaxShape(k.op, k.operands[0].type)),
        isLog(k.op.getKind() == OpKind::LogSoftmax) {}

  void emit();

private:
  Value *add(IRBuilderBase &b, Value *acc, Value *v, bool reassociate) const {
    Value *sum = b.CreateFAdd(acc, v);
    if (reassociate) {
      FastMathFlags flags;
      flags.setAllowReassoc();
      cast<Instruction>(sum)->setFastMathFlags(flags);
    }
    return sum;
  }
  Value *at(IRBuilderBase &b, Value *base, Value *index) const {
    return elementPtr(b, type, base, index);
  }
  Value *index(IRBuilderBase &b, Value *base, Value *i, int64_t stride) const {
    return b.CreateAdd(base, b.CreateMul(i, b.getInt64(stride), "", true, true),
                       "", true, true);
  }
  void emitContiguous();
  void emitStrided();

  Kernel &k;
  IRBuilder<> &b;
  DataType type;
  Type *elemTy;
  SoftmaxShape shape;
  bool isLog;
};

void SoftmaxEmitter::emitContiguous() {
  Value *x = k.operands[0].ptr, *out = k.results[0].ptr;
  int64_t n = shape.n;
  emitLoop(
      b, shape.outer,
      [&](IRBuilderBase &, Value *o) {
        Value *base = b.CreateMul(o, b.getInt64(n), "", true, true);
        AllocaInst *maxSlot =
            createLocal(b, ConstantFP::getInfinity(elemTy, true), "max");
        emitLoop(
            b, n,
            [&](IRBuilderBase &b, Value *i) {
              Value *v = b.CreateLoad(elemTy, at(b, x, index(b, base, i, 1)));
              b.CreateStore(
                  b.CreateBinaryIntrinsic(Intrinsic::maximum,
                                          b.CreateLoad(elemTy, maxSlot), v),
                  maxSlot);
            },
            "m");
        Value *m = b.CreateLoad(elemTy, maxSlot, "m");
        AllocaInst *sumSlot =
            createLocal(b, Constant::getNullValue(elemTy), "sum");
        emitLoop(
            b, n,
            [&](IRBuilderBase &b, Value *i) {
              Value *v = b.CreateLoad(elemTy, at(b, x, index(b, base, i, 1)));
              Value *e = emitExp(b, b.CreateFSub(v, m));
              b.CreateStore(add(b, b.CreateLoad(elemTy, sumSlot), e, true),
                            sumSlot);
            },
            "s");
        Value *s = b.CreateLoad(elemTy, sumSlot, "s");
        Value *logS = isLog ? emitLog(b, s) : nullptr;
        emitLoop(
            b, n,
            [&](IRBuilderBase &b, Value *i) {
              Value *j = index(b, base, i, 1);
              Value *shifted =
                  b.CreateFSub(b.CreateLoad(elemTy, at(b, x, j)), m);
              Value *y = isLog ? b.CreateFSub(shifted, logS)
                               : b.CreateFDiv(emitExp(b, shifted), s);
              b.CreateStore(y, at(b, out, j));
            },
            "k");
      },
      "o");
}

void SoftmaxEmitter::emitStrided() {
  Value *x = k.operands[0].ptr, *out = k.results[0].ptr;
  int64_t n = shape.n, inner = shape.inner;
  uint64_t rowBytes = alignTo(inner * dataTypeSize(type), 64);
  Value *maxRow = k.scratch;
  Value *sumRow =
      b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), k.scratch, rowBytes, "sums");
  // for k in [0, n): for j in [0, inner): body(offset of x[o, k, j], j)
  auto forEachLine =
      [&](Value *base, const Twine &name,
          function_ref<void(IRBuilderBase &, Value *, Value *)> body) {
        emitLoop(
            b, n,
            [&](IRBuilderBase &, Value *kk) {
              Value *line = index(b, base, kk, inner);
              emitLoop(
                  b, inner,
                  [&](IRBuilderBase &b, Value *j) {
                    body(b, index(b, line, j, 1), j);
                  },
                  name + ".j");
            },
            name);
      };
  emitLoop(
      b, shape.outer,
      [&](IRBuilderBase &, Value *o) {
        Value *base = b.CreateMul(o, b.getInt64(n * inner), "", true, true);
        emitLoop(b, inner, [&](IRBuilderBase &b, Value *j) {
          b.CreateStore(ConstantFP::getInfinity(elemTy, true),
                        at(b, maxRow, j));
          b.CreateStore(Constant::getNullValue(elemTy), at(b, sumRow, j));
        });
        forEachLine(base, "m", [&](IRBuilderBase &b, Value *i, Value *j) {
          Value *mPtr = at(b, maxRow, j);
          b.CreateStore(b.CreateBinaryIntrinsic(
                            Intrinsic::maximum, b.CreateLoad(elemTy, mPtr),
                            b.CreateLoad(elemTy, at(b, x, i))),
                        mPtr);
        });
        forEachLine(base, "s", [&](IRBuilderBase &b, Value *i, Value *j) {
          Value *m = b.CreateLoad(elemTy, at(b, maxRow, j));
          Value *e =
              emitExp(b, b.CreateFSub(b.CreateLoad(elemTy, at(b, x, i)), m));
          Value *sPtr = at(b, sumRow, j);
          b.CreateStore(add(b, b.CreateLoad(elemTy, sPtr), e, false), sPtr);
        });
        if (isLog)
          emitLoop(b, inner, [&](IRBuilderBase &b, Value *j) {
            Value *sPtr = at(b, sumRow, j);
            b.CreateStore(emitLog(b, b.CreateLoad(elemTy, sPtr)), sPtr);
          });
        forEachLine(base, "k", [&](IRBuilderBase &b, Value *i, Value *j) {
          Value *m = b.CreateLoad(elemTy, at(b, maxRow, j));
          Value *s = b.CreateLoad(elemTy, at(b, sumRow, j));
          Value *shifted = b.CreateFSub(b.CreateLoad(elemTy, at(b, x, i)), m);
          Value *y = isLog ? b.CreateFSub(shifted, s)
                           : b.CreateFDiv(emitExp(b, shifted), s);
          b.CreateStore(y, at(b, out, i));
        });
      },
      "o");
}

void SoftmaxEmitter::emit() {
  if (shape.outer * shape.n * shape.inner == 0)
    return;
  if (shape.inner == 1)
    emitContiguous();
  else
    emitStrided();
}

} // namespace

uint64_t softmaxScratchBytes(const Graph &graph, const Operation &op) {
  const TensorType &input = graph.getType(op.getOperand(0));
  SoftmaxShape shape = softmaxShape(op, input);
  if (shape.inner == 1)
    return 0;
  return 2 * alignTo(shape.inner * dataTypeSize(input.elementType), 64);
}

void emitSoftmax(Kernel &k) { SoftmaxEmitter(k).emit(); }

} // namespace qjit
