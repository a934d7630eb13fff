//===- OnnxNode.h - What an ONNX op translator works with -------*- C++ -*-===//
//
// Internal to the ONNX importer. An ImportContext holds the graph being
// built, the map from ONNX value names to qjit values, and the evaluation of
// values needed at import time (a Reshape's shape, QDQ scales): constants,
// or values computed from constants only, which the interpreter evaluates.
// An OnnxNode gives a translator the node's inputs and attributes, checked.
// A translator appends the ops computing the node and returns its results
// (the node's outputs, in order); the importer names its errors
// "node 'NAME' (OpType): ...".
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_IMPORT_ONNXNODE_H
#define QJIT_LIB_IMPORT_ONNXNODE_H

#include "qjit/IR/Builder.h"
#include "qjit/IR/Tensor.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include <onnx/onnx_pb.h>
#include <optional>
#include <vector>

namespace qjit::onnx_import {

class ImportContext {
public:
  ImportContext(Graph &graph, int64_t opset) : graph(graph), builder(graph),
                                               opset(opset) {}

  Graph &getGraph() { return graph; }
  int64_t getOpset() const { return opset; }
  TensorType type(ValueId v) const { return graph.getType(v); }

  // Values by ONNX name. Initializers become Constant ops on first use.
  void addInitializer(const ::onnx::TensorProto &proto);
  bool isInitializer(llvm::StringRef name) const {
    return initializers.count(name);
  }
  void addGraphInput(llvm::StringRef name, ValueId v);
  llvm::Expected<ValueId> lookup(llvm::StringRef name);
  bool isDefined(llvm::StringRef name) const {
    return values.count(name) || initializers.count(name);
  }
  void define(llvm::StringRef name, ValueId v) { values[name] = v; }

  // Appending ops.
  llvm::Expected<ValueId> create(OpKind kind, llvm::ArrayRef<ValueId> operands,
                                 AttrList attrs = {});
  llvm::Expected<ValueId> constant(const Tensor &tensor);
  // A scalar ([]) Constant with `values` = value.
  llvm::Expected<ValueId> scalar(DataType type, double value);
  llvm::Expected<ValueId> reshape(ValueId v, llvm::ArrayRef<int64_t> shape);

  // The value of `v`, which must be computed from constants only (`what`
  // names it in the error otherwise).
  llvm::Expected<Tensor> evaluate(ValueId v, llvm::StringRef what);

private:
  Graph &graph;
  Builder builder;
  int64_t opset;
  llvm::StringMap<ValueId> values;
  llvm::StringMap<const ::onnx::TensorProto *> initializers;
  llvm::DenseMap<ValueId, std::string> inputNames; // graph inputs
  llvm::DenseMap<ValueId, size_t> producers;       // op index per result
  size_t indexedOps = 0;
  llvm::DenseMap<ValueId, Tensor> evaluated;
};

class OnnxNode {
public:
  OnnxNode(ImportContext &ctx, const ::onnx::NodeProto &proto)
      : ctx(ctx), proto(proto) {}

  ImportContext &ctx;
  const ::onnx::NodeProto &proto;

  int64_t opset() const { return ctx.getOpset(); }
  // A copy: creating ops may move the graph's types.
  TensorType type(ValueId v) const { return ctx.type(v); }

  // Inputs. An empty name is an absent optional input.
  bool hasInput(unsigned i) const {
    return i < unsigned(proto.input_size()) && !proto.input(i).empty();
  }
  llvm::Expected<ValueId> input(unsigned i);
  llvm::Expected<std::optional<ValueId>> optionalInput(unsigned i);
  // Input i's value at import time (it must be computable from constants).
  llvm::Expected<Tensor> constantInput(unsigned i);
  // Input i as integers: an Int64 or Int32 tensor of rank <= 1.
  llvm::Expected<std::vector<int64_t>> intsInput(unsigned i);
  // Input i as one number (rank 0 or one element), as a double.
  llvm::Expected<double> scalarInput(unsigned i);
  // Outputs the node asks for (non-empty names).
  bool wantsOutput(unsigned i) const {
    return i < unsigned(proto.output_size()) && !proto.output(i).empty();
  }
  unsigned numOutputs() const { return proto.output_size(); }

  // Attributes, checked to be of the expected type.
  const ::onnx::AttributeProto *attr(llvm::StringRef name) const;
  llvm::Expected<std::optional<int64_t>> optionalInt(llvm::StringRef name);
  llvm::Expected<int64_t> getInt(llvm::StringRef name, int64_t otherwise);
  llvm::Expected<float> getFloat(llvm::StringRef name, float otherwise);
  llvm::Expected<std::optional<float>> optionalFloat(llvm::StringRef name);
  llvm::Expected<std::optional<std::vector<int64_t>>>
  optionalInts(llvm::StringRef name);
  llvm::Expected<std::string> getString(llvm::StringRef name,
                                        llvm::StringRef otherwise);
};

using Translator = llvm::Error (*)(OnnxNode &node,
                                   llvm::SmallVectorImpl<ValueId> &results);

// One ONNX op the importer translates: from opset `minOpset` on (up to the
// importer's newest), with the attributes it reads (any other is an error).
struct OpTranslation {
  llvm::StringRef opType;
  int64_t minOpset;
  Translator translate;
  std::vector<llvm::StringRef> attributes;
};

// The tables of OnnxOps.cpp (arithmetic, quantization, NN ops) and
// OnnxShapeOps.cpp (shapes, values).
const std::vector<OpTranslation> &computeTranslations();
const std::vector<OpTranslation> &shapeTranslations();

// Normalizes an ONNX axis for `rank` (negative counts from the end).
llvm::Expected<int64_t> onnxAxis(int64_t axis, int64_t rank);

} // namespace qjit::onnx_import

#endif
