//===- Gradients.cpp - Elementwise, extremum and slice gradients ----------===//
//
// The formulas of lib/Interpreter/Gradients.cpp, operation for operation, in
// the element type with no fast-math flags:
//   GradReLU       select(x <= 0, 0, dy)
//   GradAbs        dy * select(x > 0, 1, select(x < 0, -1, 0))
//   (the gradients of the float-only activations are in Math.cpp)
//   GradClamp      select(min <= x && x <= max, dy, 0)
//   GradMaximum/Minimum over dy's shape with a and b broadcast
//   GradReduceMax/Min: counts of x == y per reduced group (in scratch),
//                  then dx = (dy / count) * (x == y ? 1 : 0)
//   GradSlice      zeros, then a strided scatter of dy
//
//===----------------------------------------------------------------------===//
#include "Broadcast.h"
#include "Gradients.h"
#include "Elementwise.h"
#include "LoopBuilder.h"
#include "Math.h"
#include "qjit/IR/OpParams.h"
#include "llvm/IR/Intrinsics.h"
#include <cmath>

using namespace llvm;

namespace qjit {

namespace {

Value *constantLike(Value *x, double value) {
  return ConstantFP::get(x->getType(), value);
}


// dx from dy and x, one flat loop (same shapes).
void emitUnaryGradient(Kernel &k) {
  IRBuilderBase &b = k.b;
  DataType type = k.results[0].type.elementType;
  Type *elemTy = elementLLVMType(b.getContext(), type);
  emitLoop(b, k.results[0].type.numElements(), [&](IRBuilderBase &b, Value *i) {
    Value *dy = b.CreateLoad(elemTy, elementPtr(b, type, k.operands[0].ptr, i));
    Value *x = b.CreateLoad(elemTy, elementPtr(b, type, k.operands[1].ptr, i));
    b.CreateStore(emitUnaryGradientElement(b, k.op, type, dy, x),
                  elementPtr(b, type, k.results[0].ptr, i));
  });
}

// Loops over dy's shape with a and b broadcast; da and db like dy.
void emitMinMaxGradient(Kernel &k) {
  IRBuilderBase &b = k.b;
  bool isMax = k.op.getKind() == OpKind::GradMaximum;
  DataType type = k.results[0].type.elementType;
  Type *elemTy = elementLLVMType(b.getContext(), type);
  ArrayRef<int64_t> shape = k.operands[0].type.shape;
  LoopNest nest = collapseBroadcast(
      shape, {shape, k.operands[1].type.shape, k.operands[2].type.shape});
  // Buffers: dy, a, b; da and db share dy's offsets.
  emitStridedNest(
      b, nest.dims, nest.strides, {0, 0, 0},
      [&](IRBuilderBase &b, ArrayRef<Value *> at) {
        auto load = [&](unsigned i) {
          return b.CreateLoad(elemTy,
                              elementPtr(b, type, k.operands[i].ptr, at[i]));
        };
        auto [da, db] = emitMinMaxGradientElement(b, isMax, load(0), load(1),
                                                  load(2));
        b.CreateStore(da, elementPtr(b, type, k.results[0].ptr, at[0]));
        b.CreateStore(db,
                      elementPtr(b, type, k.results[1].ptr, at[0]));
      });
}

// The shape of a reduction's result with its reduced axes kept as 1.
Shape keptShape(const Operation &op, ArrayRef<int64_t> input) {
  Shape kept(input.begin(), input.end());
  for (int64_t axis : cantFail(getReduceAxes(op, input.size())))
    kept[axis] = 1;
  return kept;
}

void emitReduceExtremumGradient(Kernel &k) {
  IRBuilderBase &b = k.b;
  DataType type = k.results[0].type.elementType;
  Type *elemTy = elementLLVMType(b.getContext(), type);
  const KernelBuffer &dy = k.operands[0], &x = k.operands[1],
                     &y = k.operands[2], &dx = k.results[0];
  ArrayRef<int64_t> shape = x.type.shape;
  Shape kept = keptShape(k.op, shape);
  // Buffers: x (and dx), y, dy and the counts (the last three alike).
  LoopNest nest = collapseBroadcast(shape, {shape, kept});
  SmallVector<Shape, 4> strides{nest.strides[0], nest.strides[1],
                                nest.strides[1], nest.strides[1]};
  Value *counts = k.scratch;
  Value *zero = ConstantFP::get(elemTy, 0.0),
        *one = ConstantFP::get(elemTy, 1.0);
  emitLoop(b, y.type.numElements(), [&](IRBuilderBase &b, Value *i) {
    b.CreateStore(zero, elementPtr(b, type, counts, i));
  });
  auto equalAt = [&](IRBuilderBase &b, ArrayRef<Value *> at) {
    Value *xv = b.CreateLoad(elemTy, elementPtr(b, type, x.ptr, at[0]));
    Value *yv = b.CreateLoad(elemTy, elementPtr(b, type, y.ptr, at[1]));
    return b.CreateSelect(b.CreateFCmpOEQ(xv, yv), one, zero);
  };
  emitStridedNest(b, nest.dims, strides, {0, 0, 0, 0},
                  [&](IRBuilderBase &b, ArrayRef<Value *> at) {
                    Value *ptr = elementPtr(b, type, counts, at[3]);
                    Value *count = b.CreateLoad(elemTy, ptr);
                    b.CreateStore(b.CreateFAdd(count, equalAt(b, at)), ptr);
                  });
  emitStridedNest(
      b, nest.dims, strides, {0, 0, 0, 0},
      [&](IRBuilderBase &b, ArrayRef<Value *> at) {
        Value *g = b.CreateLoad(elemTy, elementPtr(b, type, dy.ptr, at[2]));
        Value *count = b.CreateLoad(elemTy, elementPtr(b, type, counts, at[3]));
        b.CreateStore(b.CreateFMul(b.CreateFDiv(g, count), equalAt(b, at)),
                      elementPtr(b, type, dx.ptr, at[0]));
      });
}

void emitSliceGradient(Kernel &k) {
  IRBuilderBase &b = k.b;
  const KernelBuffer &dy = k.operands[0], &dx = k.results[0];
  DataType type = dx.type.elementType;
  Type *elemTy = elementLLVMType(b.getContext(), type);
  SliceParams p = cantFail(getSliceParams(k.op, dx.type.shape));
  emitZeroFill(b, dx.ptr, dx.type.sizeInBytes());
  if (dy.type.numElements() == 0)
    return;
  Shape dxStrides = rowMajorStrides(dx.type.shape);
  Shape scatter;
  int64_t base = 0;
  for (size_t d = 0; d < dxStrides.size(); ++d) {
    scatter.push_back(p.steps[d] * dxStrides[d]);
    base += p.starts[d] * dxStrides[d];
  }
  emitStridedNest(b, dy.type.shape, {rowMajorStrides(dy.type.shape), scatter},
                  {0, base}, [&](IRBuilderBase &b, ArrayRef<Value *> at) {
                    Value *v = b.CreateLoad(elemTy,
                                            elementPtr(b, type, dy.ptr, at[0]));
                    b.CreateStore(v, elementPtr(b, type, dx.ptr, at[1]));
                  });
}

} // namespace

uint64_t gradientScratchBytes(const Graph &graph, const Operation &op) {
  if (op.getKind() != OpKind::GradReduceMax &&
      op.getKind() != OpKind::GradReduceMin)
    return 0;
  return graph.getType(op.getOperand(2)).sizeInBytes(); // the counts, like y
}

void emitGradient(Kernel &k) {
  OpKind kind = k.op.getKind();
  if (kind == OpKind::GradMaximum || kind == OpKind::GradMinimum)
    return emitMinMaxGradient(k);
  if (kind == OpKind::GradReduceMax || kind == OpKind::GradReduceMin)
    return emitReduceExtremumGradient(k);
  if (kind == OpKind::GradSlice)
    return emitSliceGradient(k);
  if (kind == OpKind::GradMaxPool2D || kind == OpKind::GradAvgPool2D)
    return emitPoolGradient(k);
  if (kind == OpKind::GradConv2DInput || kind == OpKind::GradConv2DWeight)
    return emitConvGradient(k);
  // The elementwise ones: GradReLU, GradAbs, GradClamp and those of Math.cpp.
  emitUnaryGradient(k);
}

Value *emitUnaryGradientElement(IRBuilderBase &b, const Operation &op,
                                DataType type, Value *dy, Value *x) {
  OpKind kind = op.getKind();
  // The gradients of float-only functions sit beside them in Math.cpp.
  if (std::optional<OpKind> forward = getOpInfo(kind).forward;
      forward && hasTrait(*forward, OpTrait::FloatOnly))
    return emitMathGradient(b, op, dy, x);
  Value *zero = constantLike(x, 0.0);
  if (kind == OpKind::GradReLU)
    return b.CreateSelect(b.CreateFCmpOLE(x, zero), zero, dy);
  if (kind == OpKind::GradAbs) {
    Value *sign =
        b.CreateSelect(b.CreateFCmpOGT(x, zero), constantLike(x, 1.0),
                       b.CreateSelect(b.CreateFCmpOLT(x, zero),
                                      constantLike(x, -1.0), zero));
    return b.CreateFMul(dy, sign);
  }
  assert(kind == OpKind::GradClamp && "not an elementwise gradient");
  ClampParams clamp = cantFail(getClampParams(op, type));
  Value *inside = b.getTrue();
  if (clamp.min)
    inside =
        b.CreateAnd(inside, b.CreateFCmpOGE(x, constantLike(x, *clamp.min)));
  if (clamp.max)
    inside =
        b.CreateAnd(inside, b.CreateFCmpOLE(x, constantLike(x, *clamp.max)));
  return b.CreateSelect(inside, dy, zero);
}

std::pair<Value *, Value *> emitMinMaxGradientElement(IRBuilderBase &b,
                                                      bool isMax, Value *dy,
                                                      Value *av, Value *bv) {
  Value *zero = constantLike(dy, 0.0);
  Value *shared = b.CreateSelect(b.CreateFCmpOEQ(av, bv),
                                 b.CreateFDiv(dy, constantLike(dy, 2.0)), dy);
  Value *aLost = isMax ? b.CreateFCmpOLT(av, bv) : b.CreateFCmpOGT(av, bv);
  Value *bLost = isMax ? b.CreateFCmpOGT(av, bv) : b.CreateFCmpOLT(av, bv);
  return {b.CreateSelect(aLost, zero, shared),
          b.CreateSelect(bLost, zero, shared)};
}

} // namespace qjit
