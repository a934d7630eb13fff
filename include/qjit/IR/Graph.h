//===- Graph.h - Values, operations, graphs and modules ---------*- C++ -*-===//
//
// A Graph is a straight-line list of operations in SSA form over tensor
// values. Values are named by small integer ids (printed t0, t1, ...); every
// value has a static TensorType. A Module is a list of graphs (one .qir file).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_IR_GRAPH_H
#define QJIT_IR_GRAPH_H

#include "qjit/IR/Attribute.h"
#include "qjit/IR/OpKind.h"
#include "qjit/IR/TensorType.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/SMLoc.h"
#include <memory>
#include <string>
#include <deque>
#include <vector>

namespace qjit {

using ValueId = uint32_t;
class Graph;

class Operation {
public:
  Operation(OpKind kind, llvm::SmallVector<ValueId, 4> operands,
            llvm::SmallVector<ValueId, 1> results, AttrList attrs = {},
            llvm::SMLoc loc = {})
      : kind(kind), operands(std::move(operands)), results(std::move(results)),
        attrs(std::move(attrs)), loc(loc) {}

  OpKind getKind() const { return kind; }
  llvm::StringRef getName() const { return opName(kind); }
  llvm::ArrayRef<ValueId> getOperands() const { return operands; }
  ValueId getOperand(unsigned i) const { return operands[i]; }
  unsigned getNumOperands() const { return operands.size(); }
  llvm::ArrayRef<ValueId> getResults() const { return results; }
  ValueId getResult(unsigned i = 0) const { return results[i]; }
  unsigned getNumResults() const { return results.size(); }
  const AttrList &getAttrs() const { return attrs; }
  // Where the op was written (invalid when built through the API).
  llvm::SMLoc getLoc() const { return loc; }

  const Attribute *getAttr(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return getAttr(name); }
  // The attribute, or the default Ops.def gives it when absent; nullptr if
  // neither (absence then means what the op's rules say).
  const Attribute *getAttrOrDefault(llvm::StringRef name) const;
  // Sets or replaces an attribute, keeping the declared order.
  void setAttr(llvm::StringRef name, Attribute value);

  void setOperand(unsigned i, ValueId v) { operands[i] = v; }
  void setLoc(llvm::SMLoc l) { loc = l; }

  // The body of a FusedElementwise op (nullptr for every other op): a graph
  // whose inputs are the op's operands, with the same ids and types, and
  // whose outputs are its results. Shared, so copies of an op are cheap; a
  // pass that changes a body installs a new one.
  const Graph *getBody() const { return body.get(); }
  void setBody(std::shared_ptr<const Graph> graph) { body = std::move(graph); }

private:
  OpKind kind;
  llvm::SmallVector<ValueId, 4> operands;
  llvm::SmallVector<ValueId, 1> results;
  AttrList attrs;
  llvm::SMLoc loc;
  std::shared_ptr<const Graph> body;
};

class Graph {
public:
  explicit Graph(std::string name) : name(std::move(name)) {}

  llvm::StringRef getName() const { return name; }
  void setName(std::string n) { name = std::move(n); }
  llvm::SMLoc getLoc() const { return loc; }
  void setLoc(llvm::SMLoc l) { loc = l; }

  // Values. Ids are unique in a graph; newValue picks the next free one.
  ValueId newValue(TensorType type);
  // Declares a value with a chosen id; false if the id is taken.
  bool defineValue(ValueId id, TensorType type);
  bool hasValue(ValueId id) const { return types.count(id); }
  const TensorType &getType(ValueId id) const;
  void setType(ValueId id, TensorType type) { types[id] = std::move(type); }
  ValueId nextFreeId() const { return nextId; }

  llvm::ArrayRef<ValueId> getInputs() const { return inputs; }
  void addInput(ValueId id) { inputs.push_back(id); }
  llvm::ArrayRef<ValueId> getOutputs() const { return outputs; }
  void setOutputs(llvm::ArrayRef<ValueId> outs) {
    outputs.assign(outs.begin(), outs.end());
  }
  llvm::SMLoc getReturnLoc() const { return returnLoc; }
  void setReturnLoc(llvm::SMLoc l) { returnLoc = l; }

  std::vector<Operation> &getOps() { return ops; }
  const std::vector<Operation> &getOps() const { return ops; }
  Operation &addOp(Operation op) {
    ops.push_back(std::move(op));
    return ops.back();
  }
  // Removes the ops for which `pred` holds, keeping the order of the rest,
  // and forgets the types of their results (passes such as dce and cse).
  void eraseOpsIf(llvm::function_ref<bool(const Operation &)> pred);

  // The op defining `id`, or nullptr for graph inputs and unknown ids.
  const Operation *getDefiningOp(ValueId id) const;

  // "t2 = Add(t0, t1) : Float32 [3, 4]".
  std::string opToString(const Operation &op) const;
  std::string toString() const;

private:
  std::string name;
  llvm::SMLoc loc;
  llvm::SMLoc returnLoc;
  llvm::SmallVector<ValueId, 4> inputs;
  llvm::SmallVector<ValueId, 4> outputs;
  std::vector<Operation> ops;
  llvm::DenseMap<ValueId, TensorType> types;
  ValueId nextId = 0;
};

class Module {
public:
  std::deque<Graph> &getGraphs() { return graphs; }
  const std::deque<Graph> &getGraphs() const { return graphs; }
  Graph &addGraph(Graph g) {
    graphs.push_back(std::move(g));
    return graphs.back();
  }
  Graph *findGraph(llvm::StringRef name);
  const Graph *findGraph(llvm::StringRef name) const;
  std::string toString() const;

private:
  std::deque<Graph> graphs; // stable references as graphs are added
};

} // namespace qjit

#endif
