//===- Builder.cpp --------------------------------------------------------===//
#include "qjit/IR/Builder.h"
#include "qjit/IR/OpRules.h"
#include "qjit/Support/Error.h"
#include "Support/MakeError.h"

namespace qjit {

ValueId Builder::addInput(DataType type, llvm::ArrayRef<int64_t> shape) {
  return addInput(TensorType{type, Shape(shape.begin(), shape.end())});
}

ValueId Builder::addInput(TensorType type) {
  ValueId id = graph.newValue(std::move(type));
  graph.addInput(id);
  return id;
}

llvm::Expected<llvm::SmallVector<ValueId, 1>>
Builder::build(OpKind kind, llvm::ArrayRef<ValueId> operands, AttrList attrs,
               llvm::ArrayRef<TensorType> declared) {
  llvm::SmallVector<TensorType, 4> operandTypes;
  for (ValueId id : operands) {
    if (!graph.hasValue(id))
      return makeError("'{}': operand t{} is not a value of graph @{}",
                       opName(kind).str(), id, graph.getName().str());
    operandTypes.push_back(graph.getType(id));
  }
  // Attributes go through the same kind checks as parsed ones.
  Operation op(kind, llvm::SmallVector<ValueId, 4>(operands), {});
  for (NamedAttribute &attr : attrs) {
    if (const AttrSpec *spec = findAttrSpec(kind, attr.name))
      coerceAttribute(spec->kind, attr.value); // e.g. scale=1 -> 1.0
    op.setAttr(attr.name, std::move(attr.value));
  }
  auto types = inferResultTypes(op, operandTypes, declared);
  if (!types)
    return makeError("'{}': {}", opName(kind).str(),
                     llvm::toString(types.takeError()));
  llvm::SmallVector<ValueId, 1> results;
  for (TensorType &t : *types)
    results.push_back(graph.newValue(std::move(t)));
  graph.addOp(Operation(kind, llvm::SmallVector<ValueId, 4>(operands), results,
                        op.getAttrs()));
  return results;
}

llvm::Expected<ValueId> Builder::create(OpKind kind,
                                        llvm::ArrayRef<ValueId> operands,
                                        AttrList attrs) {
  auto results = createMulti(kind, operands, std::move(attrs));
  if (!results)
    return results.takeError();
  if (results->size() != 1)
    return makeError("'{}' has {} results; use createMulti",
                     opName(kind).str(), results->size());
  return results->front();
}

llvm::Expected<llvm::SmallVector<ValueId, 1>>
Builder::createMulti(OpKind kind, llvm::ArrayRef<ValueId> operands,
                     AttrList attrs) {
  return build(kind, operands, std::move(attrs), {});
}

llvm::Expected<ValueId> Builder::constant(TensorType type, Attribute values) {
  auto results = build(OpKind::Constant, {}, {{"values", std::move(values)}},
                       {std::move(type)});
  if (!results)
    return results.takeError();
  return results->front();
}

llvm::Expected<ValueId>
Builder::constant(TensorType type, std::shared_ptr<const DenseData> data) {
  if (!data)
    return makeError("'Constant': the data is null");
  auto results = build(OpKind::Constant, {}, {{"data", std::move(data)}},
                       {std::move(type)});
  if (!results)
    return results.takeError();
  return results->front();
}

llvm::Expected<ValueId> Builder::constant(const Tensor &tensor) {
  auto data = DenseData::fromTensor(tensor);
  if (!data)
    return data.takeError();
  return constant(tensor.getType(), std::move(*data));
}

llvm::Expected<ValueId> Builder::constantFromNpy(llvm::StringRef path,
                                                 uint64_t maxBytes) {
  auto npy = readNpyData(path, maxBytes);
  if (!npy)
    return npy.takeError();
  return constant(std::move(npy->type), std::move(npy->data));
}

} // namespace qjit
