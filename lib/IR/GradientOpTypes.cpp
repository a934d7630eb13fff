//===- GradientOpTypes.cpp - Result types of the Grad<Op> ops -------------===//
#include "GradientOpTypes.h"
#include "qjit/IR/OpRules.h"
#include "qjit/Support/Error.h"
#include "Support/MakeError.h"

namespace qjit {

namespace {

using TypeList = llvm::SmallVector<TensorType, 1>;

// What a gradient op differentiates and the attribute only the gradient op
// has (the shape of the value the gradient is for), if any: Ops.def's
// QJIT_GRAD_OP line.
struct ForwardInfo {
  OpKind kind;
  llvm::StringRef shapeAttr;
};

std::optional<ForwardInfo> forwardInfo(OpKind grad) {
  const OpInfo &info = getOpInfo(grad);
  if (!info.forward)
    return std::nullopt;
  return ForwardInfo{*info.forward, info.shapeAttr};
}

// The forward op's result type for `operands`, checked by its own rules.
llvm::Expected<TensorType> forwardResult(const Operation &grad,
                                         const ForwardInfo &info,
                                         llvm::ArrayRef<TensorType> operands) {
  AttrList attrs;
  for (const NamedAttribute &attr : grad.getAttrs())
    if (attr.name != info.shapeAttr)
      attrs.push_back(attr);
  Operation forward(info.kind, {}, {}, std::move(attrs));
  auto types = inferResultTypes(forward, operands, {});
  if (!types)
    return makeError("as the gradient of {}: {}", opName(info.kind).str(),
                     llvm::toString(types.takeError()));
  return types->front();
}

// The shape attribute `name` (required, dimensions >= 0).
llvm::Expected<Shape> shapeAttr(const Operation &op, llvm::StringRef name) {
  const Attribute *a = op.getAttr(name);
  if (!a)
    return makeError("needs the attribute {}", name.str());
  Shape shape(a->getIntList().begin(), a->getIntList().end());
  for (int64_t d : shape)
    if (d < 0)
      return makeError("{} {} has a negative dimension", name.str(),
                       a->toString());
  return shape;
}

llvm::Error expectType(const TensorType &got, const TensorType &want,
                       llvm::StringRef what) {
  if (got != want)
    return makeError("{} must be {} (the forward result), got {}", what.str(),
                     want.toString(), got.toString());
  return llvm::Error::success();
}

} // namespace

llvm::Expected<TypeList>
inferGradientResultTypes(const Operation &op, llvm::ArrayRef<TensorType> in) {
  const TensorType &dy = in[0];
  if (!isFloatType(dy.elementType))
    return makeError("gradient dy must be Float32 or Float64, got {}",
                     dataTypeName(dy.elementType).str());
  std::optional<ForwardInfo> found = forwardInfo(op.getKind());
  if (!found)
    return makeError("has no gradient rules"); // a caller's mistake
  const ForwardInfo &info = *found;
  // The forward operands: given ones, or the one the shape attribute
  // describes.
  llvm::SmallVector<TensorType, 3> operands(in.begin() + 1, in.end());
  TensorType described;
  if (!info.shapeAttr.empty()) {
    auto shape = shapeAttr(op, info.shapeAttr);
    if (!shape)
      return shape.takeError();
    described = TensorType{dy.elementType, std::move(*shape)};
  }
  // GradConv2DInput(dy, weight): the input comes first; GradConv2DWeight
  // (dy, input), GradAvgPool2D(dy) and GradSlice(dy): it comes last.
  if (op.getKind() == OpKind::GradConv2DInput)
    operands.insert(operands.begin(), described);
  else if (!info.shapeAttr.empty())
    operands.push_back(described);
  // GradReduceMax/Min also take the forward result y.
  bool takesResult = op.getKind() == OpKind::GradReduceMax ||
                     op.getKind() == OpKind::GradReduceMin;
  llvm::ArrayRef<TensorType> forwardOperands(operands);
  if (takesResult)
    forwardOperands = forwardOperands.drop_back();
  for (const TensorType &t : forwardOperands)
    if (t.elementType != dy.elementType)
      return makeError("operand type {} differs from the gradient's {}",
                       dataTypeName(t.elementType).str(),
                       dataTypeName(dy.elementType).str());
  auto result = forwardResult(op, info, forwardOperands);
  if (!result)
    return result.takeError();
  if (takesResult)
    if (auto err = expectType(operands.back(), *result, "y"))
      return err;
  if (auto err = expectType(dy, *result, "gradient dy"))
    return err;

  // GradMaximum/Minimum: da and db before the sums over broadcast
  // dimensions, both shaped like dy.
  if (op.getKind() == OpKind::GradMaximum ||
      op.getKind() == OpKind::GradMinimum)
    return TypeList{dy, dy};
  if (op.getKind() == OpKind::GradConv2DWeight)
    return TypeList{described};
  return TypeList{forwardOperands.front()};
}

} // namespace qjit
