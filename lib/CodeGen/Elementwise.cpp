//===- Elementwise.cpp - Lowering of elementwise unary and binary ops -----===//
//
// Arithmetic follows the interpreter's rules exactly: element-type
// arithmetic with no fast-math flags, integer ops wrapping, IEEE-754 2019
// maximum/minimum on floats. The float-only functions (Exp, Sigmoid, GELU,
// ...) are in Math.cpp.
//
//===----------------------------------------------------------------------===//
#include "Broadcast.h"
#include "Elementwise.h"
#include "ElementwiseLoop.h"
#include "Kernel.h"
#include "LoopBuilder.h"
#include "Math.h"
#include "Parallel.h"
#include "qjit/IR/OpParams.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/Support/ErrorHandling.h"

using namespace llvm;

namespace qjit {
namespace {

// The family's own ops, tested one by one: Kernel.cpp's exhaustive switch
// already names an op missing from every family.
Value *emitBinary(IRBuilderBase &b, OpKind kind, DataType type, Value *x,
                  Value *y) {
  bool isFloat = isFloatType(type);
  bool isSigned = isSignedType(type);
  if (kind == OpKind::Add)
    return isFloat ? b.CreateFAdd(x, y) : b.CreateAdd(x, y);
  if (kind == OpKind::Subtract)
    return isFloat ? b.CreateFSub(x, y) : b.CreateSub(x, y);
  if (kind == OpKind::Multiply)
    return isFloat ? b.CreateFMul(x, y) : b.CreateMul(x, y);
  if (kind == OpKind::Divide) {
    assert(isFloat && "the verifier rejects integer Divide");
    return b.CreateFDiv(x, y);
  }
  if (kind == OpKind::Maximum)
    return b.CreateBinaryIntrinsic(isFloat    ? Intrinsic::maximum
                                   : isSigned ? Intrinsic::smax
                                              : Intrinsic::umax,
                                   x, y);
  if (kind == OpKind::Minimum)
    return b.CreateBinaryIntrinsic(isFloat    ? Intrinsic::minimum
                                   : isSigned ? Intrinsic::smin
                                              : Intrinsic::umin,
                                   x, y);
  if (kind == OpKind::Power) {
    assert(isFloat && "the verifier rejects integer Power");
    return b.CreateBinaryIntrinsic(Intrinsic::pow, x, y);
  }
  llvm_unreachable("not an elementwise binary op");
}

// Clamp: r = x < lo ? lo : x; r = r > hi ? hi : r, with the bounds in the
// element type (NaN compares false and stays NaN).
Value *emitClamp(IRBuilderBase &b, const Operation &op, DataType type,
                 Value *x) {
  ClampParams p = cantFail(getClampParams(op, type));
  bool isFloat = isFloatType(type), isSigned = isSignedType(type);
  auto bound = [&](double v) -> Value * {
    return isFloat ? ConstantFP::get(x->getType(), v)
                   : ConstantInt::get(x->getType(), int64_t(v), isSigned);
  };
  // r = r < lo ? lo : r, then r = r > hi ? hi : r.
  auto clampTo = [&](Value *r, double v, bool isMax) -> Value * {
    using P = CmpInst::Predicate;
    P pred = isFloat    ? (isMax ? P::FCMP_OGT : P::FCMP_OLT)
             : isSigned ? (isMax ? P::ICMP_SGT : P::ICMP_SLT)
                        : (isMax ? P::ICMP_UGT : P::ICMP_ULT);
    Value *limit = bound(v);
    return b.CreateSelect(b.CreateCmp(pred, r, limit), limit, r);
  };
  Value *r = x;
  if (p.min)
    r = clampTo(r, *p.min, /*isMax=*/false);
  if (p.max)
    r = clampTo(r, *p.max, /*isMax=*/true);
  return r;
}

Value *emitUnary(IRBuilderBase &b, const Operation &op, DataType type,
                 Value *x) {
  OpKind kind = op.getKind();
  if (hasTrait(kind, OpTrait::FloatOnly)) // the verifier rejects integers
    return emitMathElement(b, op, x);
  bool isFloat = isFloatType(type);
  Constant *zero = Constant::getNullValue(x->getType());
  if (kind == OpKind::Negate)
    return isFloat ? b.CreateFNeg(x) : b.CreateSub(zero, x);
  if (kind == OpKind::Abs) {
    if (isFloat)
      return b.CreateUnaryIntrinsic(Intrinsic::fabs, x);
    if (!isSignedType(type))
      return x;
    // INT_MIN stays INT_MIN (wraps), so not poison: is_int_min_poison=false.
    return b.CreateBinaryIntrinsic(Intrinsic::abs, x, b.getFalse());
  }
  if (kind == OpKind::ReLU) {
    // (x <= 0) ? 0 : x; an ordered compare lets NaN through and maps -0 to 0.
    Value *notPositive = isFloat              ? b.CreateFCmpOLE(x, zero)
                         : isSignedType(type) ? b.CreateICmpSLE(x, zero)
                                              : b.CreateICmpEQ(x, zero);
    return b.CreateSelect(notPositive, zero, x);
  }
  if (kind == OpKind::Square)
    return isFloat ? b.CreateFMul(x, x) : b.CreateMul(x, x);
  if (kind == OpKind::Clamp)
    return emitClamp(b, op, type, x);
  assert(!hasTrait(kind, OpTrait::FloatOnly) && "handled first");
  llvm_unreachable("not an elementwise unary op");
}

using ElementFn =
    function_ref<Value *(IRBuilderBase &, ArrayRef<Value *> inputs)>;

// The outermost loop of the nest is split over threads when the result is
// large: a flat loop in chunks of whole vector blocks, an outer loop in
// whole iterations.
void emitElementwise(Kernel &k, ElementFn body) {
  SmallVector<ArrayRef<int64_t>, 3> shapes;
  for (const KernelBuffer &buffer : k.operands)
    shapes.push_back(buffer.type.shape);
  shapes.push_back(k.results[0].type.shape);
  LoopNest nest = collapseBroadcast(k.results[0].type.shape, shapes);
  int64_t perIteration = numElements(ArrayRef<int64_t>(nest.dims).drop_front());
  bool flat = nest.dims.size() == 1;
  bool streaming =
      streamsOutputs(k.results[0].type.sizeInBytes(), {k.op.getKind()});
  emitParallelFor(
      k, nest.dims[0], parallelGrain(perIteration), {},
      [&](Kernel &chunk, ArrayRef<Value *>, Value *begin, Value *end) {
        SmallVector<KernelBuffer, 3> buffers(chunk.operands.begin(),
                                             chunk.operands.end());
        buffers.push_back(chunk.results[0]);
        emitElementwiseLoop(
            chunk.b, nest, buffers, chunk.operands.size(), begin, end,
            [&](IRBuilderBase &b, ArrayRef<Value *> inputs,
                SmallVectorImpl<Value *> &outputs) {
              outputs.push_back(body(b, inputs));
            },
            streaming);
      },
      flat ? kParallelAlignElements : 1);
}

} // namespace

void emitElementwiseBinary(Kernel &k) {
  OpKind kind = k.op.getKind();
  DataType type = k.results[0].type.elementType;
  emitElementwise(k, [&](IRBuilderBase &b, ArrayRef<Value *> in) {
    return emitBinary(b, kind, type, in[0], in[1]);
  });
}

Value *emitBinaryElement(IRBuilderBase &b, OpKind kind, DataType type,
                         Value *x, Value *y) {
  return emitBinary(b, kind, type, x, y);
}

Value *emitUnaryElement(IRBuilderBase &b, const Operation &op, DataType type,
                        Value *x) {
  return emitUnary(b, op, type, x);
}

void emitElementwiseUnary(Kernel &k) {
  DataType type = k.results[0].type.elementType;
  emitElementwise(k, [&](IRBuilderBase &b, ArrayRef<Value *> in) {
    return emitUnary(b, k.op, type, in[0]);
  });
}

} // namespace qjit
