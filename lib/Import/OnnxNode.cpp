//===- OnnxNode.cpp - Values, constants and attributes of ONNX nodes ------===//
#include "OnnxNode.h"
#include "OnnxTensor.h"
#include "qjit/Interpreter/Interpreter.h"
#include "Support/MakeError.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include <algorithm>

namespace qjit::onnx_import {

using ::onnx::AttributeProto;

llvm::Expected<int64_t> onnxAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return makeError("axis {} is out of range for rank {}", axis, rank);
  return axis < 0 ? axis + rank : axis;
}

llvm::Error onlyFirstOutput(const OnnxNode &node, llvm::StringRef what) {
  for (unsigned i = 1; i < node.numOutputs(); ++i)
    if (node.wantsOutput(i))
      return makeError("output {} ('{}', {}) is not supported", i,
                       node.proto.output(i), what.str());
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// ImportContext
//===----------------------------------------------------------------------===//

void ImportContext::addInitializer(const ::onnx::TensorProto &proto) {
  initializers[proto.name()] = &proto;
}

void ImportContext::addGraphInput(llvm::StringRef name, ValueId v) {
  values[name] = v;
  inputNames[v] = name.str();
}

llvm::Expected<ValueId> ImportContext::lookup(llvm::StringRef name) {
  if (auto it = values.find(name); it != values.end())
    return it->second;
  auto init = initializers.find(name);
  if (init == initializers.end())
    return makeError("value '{}' is not defined", name.str());
  auto tensor = convertTensorData(
      *init->second, fmt::format("initializer '{}'", name.str()));
  if (!tensor)
    return tensor.takeError();
  auto v = builder.constant(std::move(tensor->type), std::move(tensor->data));
  if (!v)
    return v.takeError();
  values[name] = *v;
  return *v;
}

llvm::Expected<ValueId> ImportContext::create(OpKind kind,
                                              llvm::ArrayRef<ValueId> operands,
                                              AttrList attrs) {
  return builder.create(kind, operands, std::move(attrs));
}

llvm::Expected<ValueId> ImportContext::constant(const Tensor &tensor) {
  return builder.constant(tensor);
}

llvm::Expected<ValueId> ImportContext::constant(TensorType type,
                                                Attribute value) {
  return builder.constant(std::move(type), std::move(value));
}

llvm::Expected<ValueId> ImportContext::scalar(DataType type, double value) {
  return builder.constant(TensorType{type, {}}, Attribute(value));
}

llvm::Expected<ValueId> ImportContext::reshape(ValueId v,
                                               llvm::ArrayRef<int64_t> shape) {
  return create(OpKind::Reshape, {v},
                {{"shape", std::vector<int64_t>(shape.begin(), shape.end())}});
}

llvm::Expected<Tensor> ImportContext::evaluate(ValueId v,
                                               llvm::StringRef what) {
  if (auto it = evaluated.find(v); it != evaluated.end())
    return it->second;
  const std::vector<Operation> &ops = graph.getOps();
  for (; indexedOps < ops.size(); ++indexedOps)
    for (ValueId r : ops[indexedOps].getResults())
      producers[r] = indexedOps;
  // The ops v depends on; none may read a graph input.
  llvm::SmallVector<size_t, 16> needed;
  llvm::DenseSet<ValueId> seen{v};
  llvm::SmallVector<ValueId, 16> work{v};
  while (!work.empty()) {
    ValueId cur = work.pop_back_val();
    auto it = producers.find(cur);
    if (it == producers.end()) {
      auto name = inputNames.find(cur);
      return makeError("{} must be known when the model is imported, but it "
                       "depends on graph input '{}'",
                       what.str(),
                       name == inputNames.end() ? "?" : name->second);
    }
    needed.push_back(it->second);
    for (ValueId operand : ops[it->second].getOperands())
      if (seen.insert(operand).second)
        work.push_back(operand);
  }
  llvm::sort(needed);
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  Graph sub("import_time_value");
  for (size_t index : needed) {
    for (ValueId r : ops[index].getResults())
      sub.defineValue(r, graph.getType(r));
    sub.addOp(ops[index]);
  }
  sub.setOutputs({v});
  // Import-time values are shapes, scales and bounds: small. The limits keep
  // a malicious chain (a broadcast of two long vectors) from taking gigabytes.
  MemoryLimits limits;
  limits.tensorBytes = kMaxImportTimeBytes;
  limits.runBytes = 4 * kMaxImportTimeBytes;
  auto results = interpret(sub, {}, limits);
  if (!results)
    return makeError("evaluating {} at import time: {}", what.str(),
                     llvm::toString(results.takeError()));
  Tensor value = std::move(results->front());
  evaluated[v] = value;
  return value;
}

//===----------------------------------------------------------------------===//
// OnnxNode
//===----------------------------------------------------------------------===//

llvm::Expected<ValueId> OnnxNode::input(unsigned i) {
  if (!hasInput(i))
    return makeError("input {} is missing", i);
  read.resize(std::max<size_t>(read.size(), i + 1));
  read[i] = true;
  return ctx.lookup(proto.input(i));
}

llvm::Expected<std::optional<ValueId>> OnnxNode::optionalInput(unsigned i) {
  if (!hasInput(i))
    return std::optional<ValueId>();
  auto v = input(i);
  if (!v)
    return v.takeError();
  return std::optional<ValueId>(*v);
}

llvm::Expected<Tensor> OnnxNode::constantInput(unsigned i) {
  auto v = input(i);
  if (!v)
    return v.takeError();
  return ctx.evaluate(*v, fmt::format("input {} ('{}')", i, proto.input(i)));
}

llvm::Expected<std::vector<int64_t>> OnnxNode::intsInput(unsigned i) {
  auto t = constantInput(i);
  if (!t)
    return t.takeError();
  if (t->getType().rank() > 1)
    return makeError("input {} ('{}') must have rank 0 or 1, got {}", i,
                     proto.input(i), t->getType().toString());
  if (t->elementType() == DataType::Int64) {
    auto vals = t->values<int64_t>();
    return std::vector<int64_t>(vals.begin(), vals.end());
  }
  if (t->elementType() == DataType::Int32) {
    auto vals = t->values<int32_t>();
    return std::vector<int64_t>(vals.begin(), vals.end());
  }
  return makeError("input {} ('{}') must be INT64 or INT32, got {}", i,
                   proto.input(i), dataTypeName(t->elementType()).str());
}

llvm::Expected<double> OnnxNode::scalarInput(unsigned i) {
  auto t = constantInput(i);
  if (!t)
    return t.takeError();
  if (t->getType().rank() > 1 || t->numElements() != 1)
    return makeError("input {} ('{}') must be a scalar, got {}", i,
                     proto.input(i), t->getType().toString());
  switch (t->elementType()) {
#define QJIT_SCALAR_CASE(Name, CType, Descr)                                   \
  case DataType::Name:                                                         \
    return static_cast<double>(t->as<CType>()[0]);
    QJIT_DTYPES(QJIT_SCALAR_CASE)
#undef QJIT_SCALAR_CASE
  }
  return makeError("input {} has an unknown type", i);
}

const AttributeProto *OnnxNode::attr(llvm::StringRef name) const {
  for (const AttributeProto &a : proto.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

namespace {
llvm::Error wrongType(const AttributeProto &a, llvm::StringRef expected) {
  return makeError("attribute '{}' must be {}, got type {}", a.name(),
                   expected.str(),
                   AttributeProto::AttributeType_Name(a.type()));
}
} // namespace

llvm::Expected<std::optional<int64_t>>
OnnxNode::optionalInt(llvm::StringRef name) {
  const AttributeProto *a = attr(name);
  if (!a)
    return std::optional<int64_t>();
  if (a->type() != AttributeProto::INT)
    return wrongType(*a, "an integer (INT)");
  return std::optional<int64_t>(a->i());
}

llvm::Expected<int64_t> OnnxNode::getInt(llvm::StringRef name,
                                         int64_t otherwise) {
  auto v = optionalInt(name);
  if (!v)
    return v.takeError();
  return v->value_or(otherwise);
}

llvm::Expected<std::optional<float>>
OnnxNode::optionalFloat(llvm::StringRef name) {
  const AttributeProto *a = attr(name);
  if (!a)
    return std::optional<float>();
  if (a->type() != AttributeProto::FLOAT)
    return wrongType(*a, "a number (FLOAT)");
  return std::optional<float>(a->f());
}

llvm::Expected<float> OnnxNode::getFloat(llvm::StringRef name,
                                         float otherwise) {
  auto v = optionalFloat(name);
  if (!v)
    return v.takeError();
  return v->value_or(otherwise);
}

llvm::Expected<std::optional<std::vector<int64_t>>>
OnnxNode::optionalInts(llvm::StringRef name) {
  const AttributeProto *a = attr(name);
  if (!a)
    return std::optional<std::vector<int64_t>>();
  if (a->type() != AttributeProto::INTS)
    return wrongType(*a, "a list of integers (INTS)");
  return std::optional<std::vector<int64_t>>(
      std::vector<int64_t>(a->ints().begin(), a->ints().end()));
}

llvm::Expected<std::string> OnnxNode::getString(llvm::StringRef name,
                                                llvm::StringRef otherwise) {
  const AttributeProto *a = attr(name);
  if (!a)
    return otherwise.str();
  if (a->type() != AttributeProto::STRING)
    return wrongType(*a, "a string (STRING)");
  return a->s();
}

} // namespace qjit::onnx_import
