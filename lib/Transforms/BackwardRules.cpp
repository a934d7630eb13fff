//===- BackwardRules.cpp - The backward of every differentiable op --------===//
//
// One rule per op kind, PyTorch's formulas (tools/autograd/derivatives.yaml),
// written with primitives where they read well and with the Grad<Op> ops
// elsewhere. `dy` is the gradient of the op's result; x, a, b, w are the
// op's operands and y its result, all values of the gradient graph (forward
// copies keep their ids).
//
//===----------------------------------------------------------------------===//
#include "GradientEmitter.h"
#include "qjit/IR/FakeQuantizationOp.h"
#include "qjit/IR/OpParams.h"
#include "qjit/IR/OpVisitor.h"
#include "llvm/Support/ErrorHandling.h"
#include <cassert>
#include <numeric>

namespace qjit {

namespace {

std::vector<int64_t> toVector(llvm::ArrayRef<int64_t> values) {
  return std::vector<int64_t>(values.begin(), values.end());
}

// The op's attributes plus one more (a gradient op's shape attribute).
AttrList withAttr(const Operation &op, llvm::StringRef name, Attribute value) {
  AttrList attrs = op.getAttrs();
  attrs.push_back({name.str(), std::move(value)});
  return attrs;
}

// The backward rule of one op, chosen by OpVisitor: each visit method
// accumulates the gradients of the op's operands.
class RuleContext : public OpVisitor<RuleContext> {
public:
  RuleContext(GradientEmitter &e, const Operation &op, ValueId dy)
      : e(e), op(op), dy(dy) {}

  ValueId operand(unsigned i) const { return op.getOperand(i); }
  ValueId result() const { return op.getResult(0); }
  const TensorType &typeOf(ValueId v) const { return e.type(v); }
  // A copy: creating ops moves the graph's types (a reference held across
  // make() would dangle).
  Shape shapeOf(ValueId v) const { return e.type(v).shape; }
  DataType elementType() const { return e.type(dy).elementType; }
  bool needs(unsigned i) const { return e.needs(operand(i)); }
  // Accumulates `grad` into operand i after summing it to i's shape.
  void give(unsigned i, ValueId grad) {
    e.accumulate(operand(i), e.unbroadcast(grad, shapeOf(operand(i))));
  }
  ValueId make(OpKind kind, llvm::ArrayRef<ValueId> operands,
               AttrList attrs = {}) {
    return e.create(kind, operands, std::move(attrs));
  }
  ValueId scalar(double value) { return e.scalar(elementType(), value); }

  void visitElementwiseBinary(const Operation &);
  void visitElementwiseUnary(const Operation &);
  void visitNegate(const Operation &);
  void visitExp(const Operation &);
  void visitLog(const Operation &);
  void visitSqrt(const Operation &);
  void visitSquare(const Operation &);
  void visitSigmoid(const Operation &);
  void visitTanh(const Operation &);
  void visitMatMul(const Operation &);
  void visitTranspose(const Operation &);
  void visitConv2D(const Operation &);
  void visitMaxPool2D(const Operation &);
  void visitAvgPool2D(const Operation &);
  void visitReduction(const Operation &);
  void visitNormalization(const Operation &);
  void visitReshape(const Operation &);
  void visitBroadcast(const Operation &) { give(0, dy); }
  void visitConcat(const Operation &);
  void visitSlice(const Operation &);
  void visitConstant(const Operation &) {} // no operands
  void visitFakeQuantization(const Operation &);
  // Not Differentiable (the pass checks the trait first).
  void visitQuantize(const Operation &op) { notDifferentiable(op); }
  void visitDequantize(const Operation &op) { notDifferentiable(op); }
  void visitQuantizedLinearAlgebra(const Operation &op) {
    notDifferentiable(op);
  }
  void visitGradient(const Operation &op) { notDifferentiable(op); }
  void visitFusion(const Operation &op) { notDifferentiable(op); }

private:
  [[noreturn]] static void notDifferentiable(const Operation &) {
    llvm_unreachable("the pass checks the Differentiable trait first");
  }
  ValueId x() const { return operand(0); }

  GradientEmitter &e;
  const Operation &op;
  ValueId dy;
};

void RuleContext::visitElementwiseBinary(const Operation &) {
  ValueId a = operand(0), b = operand(1);
  OpKind kind = op.getKind();
  if (kind == OpKind::Add || kind == OpKind::Subtract) {
    if (needs(0))
      give(0, dy);
    if (needs(1) && kind == OpKind::Add)
      give(1, dy);
    else if (needs(1)) // -sum(dy): the negation after the sum is cheaper
      e.accumulate(b, make(OpKind::Negate, {e.unbroadcast(dy, shapeOf(b))}));
  } else if (kind == OpKind::Multiply) {
    if (needs(0))
      give(0, make(OpKind::Multiply, {dy, b}));
    if (needs(1))
      give(1, make(OpKind::Multiply, {dy, a}));
  } else if (kind == OpKind::Divide) {
    // d a = dy / b; d b = -(dy * (y / b)), y = a / b (PyTorch's
    // div_tensor_other_backward).
    if (needs(0))
      give(0, make(OpKind::Divide, {dy, b}));
    if (needs(1))
      give(1, make(OpKind::Negate,
                   {make(OpKind::Multiply,
                         {dy, make(OpKind::Divide, {result(), b})})}));
  } else if (kind == OpKind::Maximum || kind == OpKind::Minimum) {
    OpKind grad =
        kind == OpKind::Maximum ? OpKind::GradMaximum : OpKind::GradMinimum;
    auto both = e.createMulti(grad, {dy, a, b}, 2);
    if (needs(0))
      give(0, both[0]);
    if (needs(1))
      give(1, both[1]);
  } else {
    assert(kind == OpKind::Power && "not an elementwise binary op");
    // d a = dy * (b * a^(b - 1)); d b = dy * (y * log(a)).
    if (needs(0)) {
      ValueId lower = make(OpKind::Subtract, {b, scalar(1.0)});
      ValueId slope =
          make(OpKind::Multiply, {b, make(OpKind::Power, {a, lower})});
      give(0, make(OpKind::Multiply, {dy, slope}));
    }
    if (needs(1)) {
      ValueId slope =
          make(OpKind::Multiply, {result(), make(OpKind::Log, {a})});
      give(1, make(OpKind::Multiply, {dy, slope}));
    }
  }
}

void RuleContext::visitMatMul(const Operation &) {
  // C = A B over the last two axes: d A = dC B^T, d B = A^T dC, each summed
  // over the batch axes its operand was broadcast along.
  ValueId a = operand(0), b = operand(1);
  auto transposed = [&](ValueId v) {
    int64_t rank = typeOf(v).rank();
    std::vector<int64_t> perm(rank);
    std::iota(perm.begin(), perm.end(), 0);
    std::swap(perm[rank - 1], perm[rank - 2]);
    return make(OpKind::Transpose, {v}, {{"perm", std::move(perm)}});
  };
  if (needs(0))
    give(0, make(OpKind::MatMul, {dy, transposed(b)}));
  if (needs(1))
    give(1, make(OpKind::MatMul, {transposed(a), dy}));
}

void RuleContext::visitConv2D(const Operation &) {
  ValueId x = operand(0), w = operand(1);
  if (needs(0))
    e.accumulate(x, make(OpKind::GradConv2DInput, {dy, w},
                         withAttr(op, "input_shape", toVector(shapeOf(x)))));
  if (needs(1))
    e.accumulate(w, make(OpKind::GradConv2DWeight, {dy, x},
                         withAttr(op, "weight_shape", toVector(shapeOf(w)))));
  if (op.getNumOperands() == 3 && needs(2))
    e.accumulate(operand(2), make(OpKind::ReduceSum, {dy},
                                  {{"axes", std::vector<int64_t>{0, 2, 3}}}));
}

void RuleContext::visitReduction(const Operation &) {
  ValueId x = operand(0);
  if (op.getKind() == OpKind::ReduceMax || op.getKind() == OpKind::ReduceMin) {
    OpKind grad = op.getKind() == OpKind::ReduceMax ? OpKind::GradReduceMax
                                                    : OpKind::GradReduceMin;
    e.accumulate(x, make(grad, {dy, x, result()}, op.getAttrs()));
    return;
  }
  // ReduceSum/Mean: dy spread back over the reduced axes (Mean: divided by
  // the count first, which gives the same values as dividing after).
  const Shape shape = shapeOf(x);
  auto axes = llvm::cantFail(getReduceAxes(op, shape.size()));
  ValueId g = dy;
  if (op.getKind() == OpKind::ReduceMean) {
    int64_t count = 1;
    for (int64_t axis : axes)
      count *= shape[axis];
    g = make(OpKind::Divide, {g, scalar(double(count))});
  }
  std::vector<int64_t> kept = toVector(shape);
  for (int64_t axis : axes)
    kept[axis] = 1;
  // Broadcasting puts back reduced leading axes by itself; axes reduced
  // after a kept one need a Reshape to the keep_dims shape first.
  llvm::ArrayRef<int64_t> suffix(kept);
  while (!suffix.empty() && suffix.front() == 1)
    suffix = suffix.drop_front();
  const Shape current = shapeOf(g);
  if (llvm::ArrayRef<int64_t>(current) != llvm::ArrayRef<int64_t>(kept) &&
      llvm::ArrayRef<int64_t>(current) != suffix)
    g = make(OpKind::Reshape, {g}, {{"shape", kept}});
  if (shapeOf(g) != shape)
    g = make(OpKind::Broadcast, {g}, {{"shape", toVector(shape)}});
  e.accumulate(x, g);
}

void RuleContext::visitNormalization(const Operation &) {
  ValueId y = result();
  int64_t axis = llvm::cantFail(getOpAxis(op, typeOf(y).rank()));
  AttrList sumAttrs = {{"axes", std::vector<int64_t>{axis}},
                       {"keep_dims", true}};
  if (op.getKind() == OpKind::Softmax) {
    // dx = y * (dy - sum(dy * y)) (PyTorch's _softmax_backward_data).
    ValueId sum =
        make(OpKind::ReduceSum, {make(OpKind::Multiply, {dy, y})}, sumAttrs);
    e.accumulate(operand(0), make(OpKind::Multiply,
                                  {y, make(OpKind::Subtract, {dy, sum})}));
    return;
  }
  // LogSoftmax: dx = dy - exp(y) * sum(dy).
  ValueId sum = make(OpKind::ReduceSum, {dy}, sumAttrs);
  e.accumulate(operand(0), make(OpKind::Subtract,
                                {dy, make(OpKind::Multiply,
                                          {make(OpKind::Exp, {y}), sum})}));
}

void RuleContext::visitConcat(const Operation &) {
  const Shape out = shapeOf(result());
  int64_t axis = llvm::cantFail(getOpAxis(op, out.size()));
  int64_t offset = 0;
  for (unsigned i = 0; i < op.getNumOperands(); ++i) {
    int64_t size = shapeOf(operand(i))[axis];
    if (needs(i)) {
      std::vector<int64_t> starts(out.size(), 0), ends = toVector(out);
      starts[axis] = offset;
      ends[axis] = offset + size;
      e.accumulate(operand(i), make(OpKind::Slice, {dy},
                                    {{"starts", std::move(starts)},
                                     {"ends", std::move(ends)}}));
    }
    offset += size;
  }
}

void RuleContext::visitFakeQuantization(const Operation &) {
  FakeQuantizationOp fq(op);
  switch (fq.gradient()) {
  case GradientRule::STE:
    if (needs(0))
      e.accumulate(operand(0), dy);
    return;
  case GradientRule::Clipped:
    if (!needs(0))
      return;
    if (std::optional<ValueId> mask = e.maskOf(result())) {
      e.accumulate(operand(0),
                   make(OpKind::GradFakeQuantization, {dy, *mask},
                        {{"gradient", Attribute::enumValue("clipped")}}));
      return;
    }
    break;
  case GradientRule::LSQ:
    break;
  }
  // The rule from x itself: GradFakeQuantization(dy, x[, scale[, zp]]) with
  // the forward's attributes (lsq: dx, d scale, d zero point).
  llvm::SmallVector<ValueId, 4> operands{dy};
  operands.append(op.getOperands().begin(), op.getOperands().end());
  unsigned numResults = fq.gradient() == GradientRule::LSQ ? 3 : 1;
  auto grads = e.createMulti(OpKind::GradFakeQuantization, operands, numResults,
                             op.getAttrs());
  for (unsigned i = 0; i < numResults; ++i)
    if (needs(i) && isFloatType(typeOf(operand(i)).elementType))
      e.accumulate(operand(i), grads[i]);
}

// A unary op with a Grad op: dx = Grad<Op>(dy, x) with the op's attributes.
void RuleContext::visitElementwiseUnary(const Operation &) {
  std::optional<OpKind> grad = unaryGradientOp(op.getKind());
  assert(grad && "a unary op without a Grad op needs a rule of its own");
  e.accumulate(x(), make(*grad, {dy, x()}, op.getAttrs()));
}

void RuleContext::visitNegate(const Operation &) {
  e.accumulate(x(), make(OpKind::Negate, {dy}));
}

void RuleContext::visitExp(const Operation &) { // dy * y
  e.accumulate(x(), make(OpKind::Multiply, {dy, result()}));
}

void RuleContext::visitLog(const Operation &) { // dy / x
  e.accumulate(x(), make(OpKind::Divide, {dy, x()}));
}

void RuleContext::visitSqrt(const Operation &) { // dy / (2 * y)
  e.accumulate(x(), make(OpKind::Divide, {dy, make(OpKind::Multiply,
                                                   {scalar(2.0), result()})}));
}

void RuleContext::visitSquare(const Operation &) { // dy * (2 * x)
  e.accumulate(x(), make(OpKind::Multiply,
                         {dy, make(OpKind::Multiply, {scalar(2.0), x()})}));
}

void RuleContext::visitSigmoid(const Operation &) { // dy * ((1 - y) * y)
  ValueId y = result();
  ValueId slope =
      make(OpKind::Multiply, {make(OpKind::Subtract, {scalar(1.0), y}), y});
  e.accumulate(x(), make(OpKind::Multiply, {dy, slope}));
}

void RuleContext::visitTanh(const Operation &) { // dy * (1 - y * y)
  ValueId slope =
      make(OpKind::Subtract, {scalar(1.0), make(OpKind::Square, {result()})});
  e.accumulate(x(), make(OpKind::Multiply, {dy, slope}));
}

void RuleContext::visitTranspose(const Operation &) {
  auto perm = llvm::cantFail(getTransposePerm(op, typeOf(x()).rank()));
  std::vector<int64_t> inverse(perm.size());
  for (size_t d = 0; d < perm.size(); ++d)
    inverse[perm[d]] = static_cast<int64_t>(d);
  e.accumulate(x(),
               make(OpKind::Transpose, {dy}, {{"perm", std::move(inverse)}}));
}

void RuleContext::visitMaxPool2D(const Operation &) {
  e.accumulate(x(), make(OpKind::GradMaxPool2D, {dy, x()}, op.getAttrs()));
}

void RuleContext::visitAvgPool2D(const Operation &) {
  e.accumulate(x(), make(OpKind::GradAvgPool2D, {dy},
                         withAttr(op, "input_shape", toVector(shapeOf(x())))));
}

void RuleContext::visitReshape(const Operation &) {
  e.accumulate(x(),
               make(OpKind::Reshape, {dy}, {{"shape", toVector(shapeOf(x()))}}));
}

void RuleContext::visitSlice(const Operation &) {
  e.accumulate(x(), make(OpKind::GradSlice, {dy},
                         withAttr(op, "input_shape", toVector(shapeOf(x())))));
}

} // namespace

bool hasGradientRule(const Operation &op) {
  return hasTrait(op.getKind(), OpTrait::Differentiable);
}

void emitGradientRule(GradientEmitter &e, const Operation &op, ValueId dy) {
  RuleContext(e, op, dy).visit(op);
}

} // namespace qjit
