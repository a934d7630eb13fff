//===- OpRules.cpp - Operand rules and result type inference per op -------===//
#include "qjit/IR/OpRules.h"
#include "qjit/IR/FakeQuantizationOp.h"
#include "qjit/Support/Error.h"

namespace qjit {

llvm::Expected<Shape> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                      llvm::ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return makeError("shapes {} and {} cannot be broadcast together",
                       shapeToString(a), shapeToString(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {

using TypeList = llvm::SmallVector<TensorType, 1>;

llvm::Error checkAttributes(const Operation &op) {
  for (const NamedAttribute &attr : op.getAttrs()) {
    const AttrSpec *spec = findAttrSpec(op.getKind(), attr.name);
    if (!spec)
      return makeError("unknown attribute '{}'", attr.name);
    // Coercion changes only the alternative (Int -> Float, ...); comparing
    // alternatives rather than values keeps NaN attributes valid.
    Attribute value = attr.value;
    if (!coerceAttribute(spec->kind, value) ||
        value.storage().index() != attr.value.storage().index())
      return makeError("attribute '{}' must be {}, got {}", attr.name,
                       attrKindDescription(spec->kind).str(),
                       attr.value.toString());
  }
  return llvm::Error::success();
}

llvm::Expected<TypeList> inferBinary(const Operation &op,
                                     llvm::ArrayRef<TensorType> in) {
  if (in[0].elementType != in[1].elementType)
    return makeError("operand types {} and {} differ",
                     dataTypeName(in[0].elementType).str(),
                     dataTypeName(in[1].elementType).str());
  DataType type = in[0].elementType;
  if (type == DataType::Bool)
    return makeError("operands must be numeric, got Bool");
  if (op.getKind() == OpKind::Divide && !isFloatType(type))
    return makeError("operands must be Float32 or Float64, got {}",
                     dataTypeName(type).str());
  auto shape = broadcastShapes(in[0].shape, in[1].shape);
  if (!shape)
    return shape.takeError();
  return TypeList{TensorType{type, std::move(*shape)}};
}

llvm::Expected<TypeList> inferUnary(const Operation &op,
                                    llvm::ArrayRef<TensorType> in) {
  if (in[0].elementType == DataType::Bool)
    return makeError("operand must be numeric, got Bool");
  return TypeList{in[0]};
}

llvm::Expected<TypeList> inferConstant(const Operation &op,
                                       llvm::ArrayRef<TensorType> declared) {
  if (declared.size() != 1)
    return makeError("needs its result type");
  const Attribute *values = op.getAttr("values");
  if (!values)
    return makeError("needs a 'values' attribute");
  const TensorType &type = declared[0];
  for (int64_t d : type.shape)
    if (d < 0)
      return makeError("shape {} has a negative dimension",
                       shapeToString(type.shape));
  size_t count = values->isList() ? values->getNumbers().size() : 1;
  if (count != 1 && static_cast<int64_t>(count) != type.numElements())
    return makeError("has {} values for {} elements of {}", count,
                     type.numElements(), shapeToString(type.shape));
  if (!isFloatType(type.elementType) && (values->isFloat() || values->isFloatList()))
    return makeError("{} constant needs integer values",
                     dataTypeName(type.elementType).str());
  return TypeList{type};
}

llvm::Expected<TypeList> inferFakeQuantization(const Operation &op,
                                               llvm::ArrayRef<TensorType> in) {
  FakeQuantizationOp fq(op);
  if (auto err = fq.validate(in))
    return err;
  const TensorType &x = in[fq.isGradient() ? 1 : 0];
  TypeList results{x};
  if (fq.isGradient() && fq.gradient() == GradientRule::LSQ) {
    results.push_back(in[2]); // d scale, shaped like the scale operand
    results.push_back(in[3]); // d zero_point
  }
  return results;
}

} // namespace

llvm::Expected<TypeList> inferResultTypes(const Operation &op,
                                          llvm::ArrayRef<TensorType> in,
                                          llvm::ArrayRef<TensorType> declared) {
  const OpInfo &info = getOpInfo(op.getKind());
  if (in.size() < info.minOperands || in.size() > info.maxOperands) {
    if (info.minOperands == info.maxOperands)
      return makeError("expects {} operand{}, got {}", info.minOperands,
                       info.minOperands == 1 ? "" : "s", in.size());
    return makeError("expects {} to {} operands, got {}", info.minOperands,
                     info.maxOperands, in.size());
  }
  for (const TensorType &t : in)
    for (int64_t d : t.shape)
      if (d < 0)
        return makeError("operand shape {} has a negative dimension",
                         shapeToString(t.shape));
  if (auto err = checkAttributes(op))
    return err;

  switch (op.getKind()) {
  case OpKind::Add:
  case OpKind::Subtract:
  case OpKind::Multiply:
  case OpKind::Divide:
  case OpKind::Maximum:
  case OpKind::Minimum:
    return inferBinary(op, in);
  case OpKind::Negate:
  case OpKind::Abs:
  case OpKind::ReLU:
    return inferUnary(op, in);
  case OpKind::Constant:
    return inferConstant(op, declared);
  case OpKind::FakeQuantization:
  case OpKind::GradFakeQuantization:
    return inferFakeQuantization(op, in);
  }
  return makeError("unhandled op");
}

} // namespace qjit
