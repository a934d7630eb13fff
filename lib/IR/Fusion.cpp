//===- Fusion.cpp - The rules of FusedElementwise bodies ------------------===//
#include "qjit/IR/Fusion.h"
#include "qjit/IR/FakeQuantizationOp.h"
#include "qjit/Support/Error.h"
#include "Support/MakeError.h"

namespace qjit {

namespace {

bool isMaskFormGradient(const Graph &graph, const Operation &op) {
  return op.getKind() == OpKind::GradFakeQuantization &&
         op.getNumOperands() == 2 && graph.hasValue(op.getOperand(1)) &&
         graph.getType(op.getOperand(1)).elementType == DataType::Bool;
}

} // namespace

bool isAnchorKind(OpKind kind) {
  return kind == OpKind::MatMul || kind == OpKind::Conv2D ||
         kind == OpKind::QLinearMatMul || kind == OpKind::QLinearConv2D;
}

bool isFusableElementwise(const Graph &graph, const Operation &op) {
  OpKind kind = op.getKind();
  if (hasTrait(kind, OpTrait::Elementwise))
    return true;
  if (kind != OpKind::FakeQuantization && kind != OpKind::GradFakeQuantization)
    return false;
  // Fake quantization is elementwise only with per-tensor parameters known
  // before the loop: not per channel, not the observer (which reduces), not
  // lsq's gradient (which sums).
  if (isMaskFormGradient(graph, op))
    return true;
  FakeQuantizationOp fq(op);
  return !fq.axis() && !fq.scaleFromData() &&
         !(fq.isGradient() && fq.gradient() == GradientRule::LSQ);
}

bool isFusionAnchor(const Graph &graph, const Operation &op) {
  if (op.getKind() == OpKind::QLinearMatMul ||
      op.getKind() == OpKind::QLinearConv2D)
    return graph.hasValue(op.getResult()) &&
           graph.getType(op.getResult()).elementType == DataType::Float32;
  if (op.getKind() == OpKind::Conv2D)
    return graph.hasValue(op.getResult()) &&
           isFloatType(graph.getType(op.getResult()).elementType);
  if (op.getKind() != OpKind::MatMul || op.getNumOperands() != 2 ||
      !graph.hasValue(op.getOperand(1)) || !graph.hasValue(op.getResult()))
    return false;
  return graph.getType(op.getOperand(1)).rank() == 2 &&
         isFloatType(graph.getType(op.getResult()).elementType);
}

llvm::SmallVector<unsigned, 2> parameterOperands(const Operation &op) {
  llvm::SmallVector<unsigned, 2> positions;
  if (isAnchorKind(op.getKind())) {
    llvm::SmallVector<unsigned, 2> all;
    for (unsigned i = 0; i < op.getNumOperands(); ++i)
      all.push_back(i);
    return all;
  }
  if (!FakeQuantizationOp::classof(op))
    return positions;
  FakeQuantizationOp fq(op);
  unsigned first = fq.isGradient() ? 2 : 1;
  for (unsigned i = first; i < op.getNumOperands(); ++i)
    positions.push_back(i);
  return positions;
}

llvm::Expected<llvm::SmallVector<TensorType, 1>>
inferFusedElementwise(const Operation &op,
                      llvm::ArrayRef<TensorType> operandTypes) {
  const Graph *body = op.getBody();
  if (!body)
    return makeError("has no body");
  llvm::ArrayRef<ValueId> inputs = body->getInputs();
  if (inputs.size() != operandTypes.size())
    return makeError("body has {} input{} but the op has {} operand{}",
                     inputs.size(), inputs.size() == 1 ? "" : "s",
                     operandTypes.size(), operandTypes.size() == 1 ? "" : "s");
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] != op.getOperand(i))
      return makeError("body input t{} must be operand t{}", inputs[i],
                       op.getOperand(i));
    if (!body->hasValue(inputs[i]) ||
        body->getType(inputs[i]) != operandTypes[i])
      return makeError("body input t{} must have the operand's type {}",
                       inputs[i], operandTypes[i].toString());
  }
  llvm::ArrayRef<ValueId> outputs = body->getOutputs();
  if (outputs.empty())
    return makeError("body returns no value");

  llvm::SmallVector<TensorType, 1> results;
  for (ValueId v : outputs) {
    if (llvm::is_contained(inputs, v))
      return makeError("body returns its input t{}: only computed values "
                       "can be results",
                       v);
    if (!body->hasValue(v))
      return makeError("body returns t{}, which it does not define", v);
    results.push_back(body->getType(v));
  }
  const Shape &shape = results.front().shape;
  for (const Operation &inner : body->getOps()) {
    std::string name = inner.getName().str();
    if (inner.getKind() == OpKind::FusedElementwise)
      return makeError("bodies do not nest (a '{}' in the body)", name);
    bool first = &inner == &body->getOps().front();
    if (!isFusableElementwise(*body, inner) &&
        !(first && isFusionAnchor(*body, inner)))
      return makeError("'{}' cannot be fused: only elementwise ops with "
                       "per-tensor parameters can, after a dense layer's "
                       "MatMul, a Conv2D or a QLinear op of Float32 result "
                       "as the first op",
                       name);
    for (ValueId r : inner.getResults())
      if (body->hasValue(r) && body->getType(r).shape != shape)
        return makeError("body value t{} has shape {}, not the iteration "
                         "shape {}",
                         r, shapeToString(body->getType(r).shape),
                         shapeToString(shape));
    for (unsigned i : parameterOperands(inner))
      if (!llvm::is_contained(inputs, inner.getOperand(i)))
        return makeError("'{}' in the body reads its parameter t{} from the "
                         "body; parameters must be body inputs",
                         name, inner.getOperand(i));
  }
  return results;
}

} // namespace qjit
