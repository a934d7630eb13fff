//===- Builder.h - Building graphs with shape inference ---------*- C++ -*-===//
#ifndef QJIT_IR_BUILDER_H
#define QJIT_IR_BUILDER_H

#include "qjit/IR/DenseData.h"
#include "qjit/IR/Graph.h"
#include "llvm/Support/Error.h"

namespace qjit {

// Appends ops to a graph, inferring result types and shapes and rejecting
// bad operands or attributes with an llvm::Error (the graph is then left
// unchanged).
//
//   Graph g("dense_fq");
//   Builder b(g);
//   ValueId x = b.addInput(DataType::Float32, {4, 8});
//   auto y = b.create(OpKind::FakeQuantization, {x},
//                     {{"num_bits", 8}, {"scale", 0.05}});
//   if (!y) return y.takeError();
//   b.setOutputs({*y});
class Builder {
public:
  explicit Builder(Graph &graph) : graph(graph) {}
  Graph &getGraph() { return graph; }

  ValueId addInput(DataType type, llvm::ArrayRef<int64_t> shape);
  ValueId addInput(TensorType type);

  // An op with one result.
  llvm::Expected<ValueId> create(OpKind kind, llvm::ArrayRef<ValueId> operands,
                                 AttrList attrs = {});
  // An op with any number of results.
  llvm::Expected<llvm::SmallVector<ValueId, 1>>
  createMulti(OpKind kind, llvm::ArrayRef<ValueId> operands,
              AttrList attrs = {});
  // A Constant of `type`; `values` holds numElements() numbers or one (splat).
  llvm::Expected<ValueId> constant(TensorType type, Attribute values);
  // A data constant of `type` holding `data` (shared, not copied), which must
  // have type.sizeInBytes() bytes.
  llvm::Expected<ValueId> constant(TensorType type,
                                   std::shared_ptr<const DenseData> data);
  // A data constant holding a copy of `tensor`.
  llvm::Expected<ValueId> constant(const Tensor &tensor);
  // A data constant read from a .npy file of at most `maxBytes` of data
  // (its dtype and shape give the type).
  llvm::Expected<ValueId>
  constantFromNpy(llvm::StringRef path,
                  uint64_t maxBytes = MemoryLimits().tensorBytes);

  void setOutputs(llvm::ArrayRef<ValueId> outputs) {
    graph.setOutputs(outputs);
  }

private:
  llvm::Expected<llvm::SmallVector<ValueId, 1>>
  build(OpKind kind, llvm::ArrayRef<ValueId> operands, AttrList attrs,
        llvm::ArrayRef<TensorType> declared);
  Graph &graph;
};

} // namespace qjit

#endif
