//===- OnnxImport.cpp - An ONNX model as a qjit graph ---------------------===//
//
// The graph level: inputs (static shapes), initializers, the nodes in a
// topological order (checked: every input defined, no cycle), one
// translator per node from the tables of OnnxOps.cpp and OnnxShapeOps.cpp,
// the outputs in order, and the verifier over the result.
//
//===----------------------------------------------------------------------===//
#include "qjit/Import/Onnx.h"
#include "OnnxModel.h"
#include "OnnxNode.h"
#include "OnnxTensor.h"
#include "qjit/IR/Verifier.h"
#include "Support/MakeError.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include <functional>
#include <queue>

namespace qjit {

using namespace onnx_import;

namespace {

// The graph's name as a qjit identifier: [A-Za-z_][A-Za-z0-9_]*.
std::string graphName(const std::string &name) {
  std::string out;
  for (char c : name)
    out += llvm::isAlnum(c) || c == '_' ? c : '_';
  if (out.empty())
    return "main";
  if (llvm::isDigit(out[0]))
    out = "_" + out;
  return out;
}

// "node 'conv1' (Conv)"; a node without a name is named by its first output.
std::string nodeLabel(const ::onnx::NodeProto &node, size_t index) {
  if (!node.name().empty())
    return fmt::format("node '{}' ({})", node.name(), node.op_type());
  if (node.output_size() > 0 && !node.output(0).empty())
    return fmt::format("node with output '{}' ({})", node.output(0),
                       node.op_type());
  return fmt::format("node #{} ({})", index, node.op_type());
}

const OpTranslation *findTranslation(llvm::StringRef opType) {
  for (const auto *table : {&computeTranslations(), &shapeTranslations()})
    for (const OpTranslation &t : *table)
      if (t.opType == opType)
        return &t;
  return nullptr;
}

llvm::Error addGraphInput(ImportContext &ctx, Builder &builder,
                          const ::onnx::ValueInfoProto &info) {
  std::string what = fmt::format("graph input '{}'", info.name());
  if (!info.type().has_tensor_type())
    return makeError("{} is not a tensor", what);
  const ::onnx::TypeProto::Tensor &tensor = info.type().tensor_type();
  auto type = convertDataType(tensor.elem_type(), what);
  if (!type)
    return type.takeError();
  if (!tensor.has_shape())
    return makeError("{} has no shape; qjit needs static shapes", what);
  std::vector<int64_t> dims;
  for (int i = 0; i < tensor.shape().dim_size(); ++i) {
    const auto &dim = tensor.shape().dim(i);
    if (!dim.has_dim_value())
      return makeError("{} has a symbolic dimension {} ('{}'); qjit needs "
                       "static shapes (export the model with fixed input "
                       "sizes, batch included)",
                       what, i, dim.dim_param());
    dims.push_back(dim.dim_value());
  }
  auto shape = convertDims(dims, *type, what);
  if (!shape)
    return shape.takeError();
  ctx.addGraphInput(info.name(), builder.addInput(*type, *shape));
  return llvm::Error::success();
}

// The nodes in a topological order: the file's order where it is one.
llvm::Expected<std::vector<size_t>> sortNodes(const ::onnx::GraphProto &g,
                                              ImportContext &ctx) {
  size_t n = g.node_size();
  llvm::StringMap<size_t> producer;
  for (size_t i = 0; i < n; ++i) {
    const ::onnx::NodeProto &node = g.node(i);
    for (const std::string &out : node.output()) {
      if (out.empty())
        continue;
      if (ctx.isDefined(out))
        return makeError("{}: output '{}' has the name of a graph input or "
                         "initializer",
                         nodeLabel(node, i), out);
      if (!producer.try_emplace(out, i).second)
        return makeError("{}: output '{}' is also an output of {}",
                         nodeLabel(node, i), out,
                         nodeLabel(g.node(producer[out]), producer[out]));
    }
  }
  std::vector<std::vector<size_t>> users(n);
  std::vector<size_t> pending(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const ::onnx::NodeProto &node = g.node(i);
    for (const std::string &in : node.input()) {
      if (in.empty() || ctx.isDefined(in))
        continue;
      auto it = producer.find(in);
      if (it == producer.end())
        return makeError("{}: input '{}' is not a graph input, an initializer "
                         "or the output of any node",
                         nodeLabel(node, i), in);
      users[it->second].push_back(i);
      ++pending[i];
    }
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0)
      ready.push(i);
  std::vector<size_t> order;
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (size_t u : users[i])
      if (--pending[u] == 0)
        ready.push(u);
  }
  if (order.size() != n)
    for (size_t i = 0; i < n; ++i)
      if (pending[i] != 0)
        return makeError("{}: its inputs depend on its own outputs (the graph "
                         "has a cycle)",
                         nodeLabel(g.node(i), i));
  return order;
}

llvm::Error translateNode(ImportContext &ctx, const ::onnx::NodeProto &node) {
  if (!isDefaultDomain(node.domain()))
    return makeError("domain '{}' is not supported (only the default ONNX "
                     "domain is)",
                     node.domain());
  const OpTranslation *t = findTranslation(node.op_type());
  if (!t)
    return makeError("op type '{}' is not supported", node.op_type());
  if (ctx.getOpset() < t->minOpset)
    return makeError("needs opset {} or newer for this op; the model "
                     "imports opset {}",
                     t->minOpset, ctx.getOpset());
  for (const ::onnx::AttributeProto &a : node.attribute()) {
    if (!a.ref_attr_name().empty())
      return makeError("attribute '{}' refers to a function attribute, which "
                       "is not supported",
                       a.name());
    if (!llvm::is_contained(t->attributes, a.name()))
      return makeError("attribute '{}' is not supported", a.name());
  }
  OnnxNode onnxNode(ctx, node);
  llvm::SmallVector<ValueId, 2> results;
  if (llvm::Error err = t->translate(onnxNode, results))
    return err;
  for (int i = 0; i < node.output_size(); ++i) {
    if (node.output(i).empty())
      continue;
    if (size_t(i) >= results.size())
      return makeError("output {} ('{}') is not supported", i, node.output(i));
    ctx.define(node.output(i), results[i]);
  }
  return llvm::Error::success();
}

// Drops the Constant ops nothing reads: initializers and Constant nodes
// that only gave the importer a value (a scale, a shape, a bound).
void removeUnusedConstants(Graph &graph) {
  llvm::DenseSet<ValueId> used(graph.getOutputs().begin(),
                               graph.getOutputs().end());
  for (const Operation &op : graph.getOps())
    used.insert(op.getOperands().begin(), op.getOperands().end());
  graph.eraseOpsIf([&](const Operation &op) {
    return op.getKind() == OpKind::Constant && !used.count(op.getResult());
  });
}

llvm::Expected<Module> importModel(const ::onnx::ModelProto &model) {
  auto opset = defaultOpset(model);
  if (!opset)
    return opset.takeError();
  const ::onnx::GraphProto &g = model.graph();
  Module module;
  Graph &graph = module.addGraph(Graph(graphName(g.name())));
  Builder builder(graph);
  ImportContext ctx(graph, *opset);
  llvm::StringSet<> names;
  for (const ::onnx::TensorProto &init : g.initializer()) {
    if (init.name().empty())
      return makeError("an initializer has no name");
    if (!names.insert(init.name()).second)
      return makeError("initializer '{}' is defined twice", init.name());
    ctx.addInitializer(init);
  }
  if (g.sparse_initializer_size() > 0)
    return makeError("sparse initializer '{}' is not supported",
                     g.sparse_initializer(0).values().name());
  for (const ::onnx::ValueInfoProto &info : g.input()) {
    if (ctx.isInitializer(info.name()))
      continue; // an initializer listed as an input (IR version < 4)
    if (ctx.isDefined(info.name()))
      return makeError("graph input '{}' is listed twice", info.name());
    if (llvm::Error err = addGraphInput(ctx, builder, info))
      return err;
  }
  auto order = sortNodes(g, ctx);
  if (!order)
    return order.takeError();
  for (size_t i : *order)
    if (llvm::Error err = translateNode(ctx, g.node(i)))
      return makeError("{}: {}", nodeLabel(g.node(i), i),
                       llvm::toString(std::move(err)));
  if (g.output_size() == 0)
    return makeError("the graph has no outputs");
  std::vector<ValueId> outputs;
  for (const ::onnx::ValueInfoProto &info : g.output()) {
    auto v = ctx.lookup(info.name());
    if (!v)
      return makeError("graph output '{}' is not defined",
                       info.name());
    outputs.push_back(*v);
  }
  builder.setOutputs(outputs);
  removeUnusedConstants(graph);
  if (llvm::Error err = verifyModule(module))
    return makeError("the imported graph does not verify: {}",
                     llvm::toString(std::move(err)));
  return module;
}

} // namespace

llvm::Expected<Module> importOnnxBuffer(llvm::StringRef bytes,
                                        llvm::StringRef name,
                                        const OnnxImportOptions &options) {
  auto result = [&]() -> llvm::Expected<Module> {
    if (bytes.size() > options.maxFileBytes)
      return makeError("the model has {} bytes, more than the limit of {}",
                       bytes.size(), options.maxFileBytes);
    auto model = parseModel(bytes);
    if (!model)
      return model.takeError();
    return importModel(**model);
  }();
  if (!result)
    return makeError("{}: {}", name.str(),
                     llvm::toString(result.takeError()));
  return result;
}

llvm::Expected<Module> importOnnx(llvm::StringRef path,
                                  const OnnxImportOptions &options) {
  auto buffer = readModelFile(path, options.maxFileBytes);
  if (!buffer)
    return makeError("{}: {}", path.str(), llvm::toString(buffer.takeError()));
  return importOnnxBuffer((*buffer)->getBuffer(), path, options);
}

} // namespace qjit
