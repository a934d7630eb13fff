//===- RewriteUtils.h - Small helpers shared by the rewriting passes ------===//
//
// Who uses a value, reading the elements of a float Constant, making data
// constants and redirecting uses: what fold-constants, qdq-to-fake-quant and
// fold-batch-norm share. Private to lib/Transforms.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_TRANSFORMS_REWRITEUTILS_H
#define QJIT_LIB_TRANSFORMS_REWRITEUTILS_H

#include "qjit/IR/DenseData.h"
#include "qjit/IR/Graph.h"
#include "qjit/IR/Tensor.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include <cstring>
#include <optional>
#include <vector>

namespace qjit::rewrite {

// The users of every value of a graph: op indices (an op using a value twice
// is listed twice) and how often it is a graph output. Indices refer to the
// op list as it was when the map was made.
class UseMap {
public:
  explicit UseMap(const Graph &graph) {
    const std::vector<Operation> &ops = graph.getOps();
    for (size_t i = 0; i < ops.size(); ++i) {
      for (ValueId v : ops[i].getResults())
        definer[v] = i;
      for (ValueId v : ops[i].getOperands())
        users[v].push_back(i);
    }
    for (ValueId v : graph.getOutputs())
      ++outputs[v];
  }

  // Uses by ops plus uses as a graph output.
  unsigned numUses(ValueId v) const {
    auto it = users.find(v);
    return (it == users.end() ? 0 : it->second.size()) + outputs.lookup(v);
  }
  // The indices of the ops using `v`.
  llvm::ArrayRef<size_t> usersOf(ValueId v) const {
    auto it = users.find(v);
    if (it == users.end())
      return {};
    return it->second;
  }
  // The index of the one op using `v` once, if that is v's only use.
  std::optional<size_t> soleUser(ValueId v) const {
    if (numUses(v) != 1 || outputs.lookup(v))
      return std::nullopt;
    return users.find(v)->second.front();
  }
  // The index of the op defining `v` (none for graph inputs).
  std::optional<size_t> definerOf(ValueId v) const {
    auto it = definer.find(v);
    if (it == definer.end())
      return std::nullopt;
    return it->second;
  }
  // The op defining `v` in `graph` (the graph the map was made from, its op
  // list unchanged since), or nullptr.
  const Operation *defOf(const Graph &graph, ValueId v) const {
    auto i = definerOf(v);
    return i ? &graph.getOps()[*i] : nullptr;
  }
  bool isConstant(const Graph &graph, ValueId v) const {
    const Operation *def = defOf(graph, v);
    return def && def->getKind() == OpKind::Constant;
  }

private:
  llvm::DenseMap<ValueId, size_t> definer;
  llvm::DenseMap<ValueId, llvm::SmallVector<size_t, 2>> users;
  llvm::DenseMap<ValueId, unsigned> outputs;
};

// The elements of a Float32 or Float64 Constant as doubles, or nothing;
// `def` is v's defining op (nullptr for an input).
inline std::optional<std::vector<double>>
floatConstant(const Graph &graph, ValueId v, const Operation *def) {
  const TensorType &type = graph.getType(v);
  if (!def || def->getKind() != OpKind::Constant ||
      (type.elementType != DataType::Float32 &&
       type.elementType != DataType::Float64))
    return std::nullopt;
  std::vector<double> values(type.numElements());
  if (const Attribute *data = def->getAttr("data")) {
    const char *bytes = data->getData()->data();
    for (size_t i = 0; i < values.size(); ++i) {
      if (type.elementType == DataType::Float32) {
        float f;
        std::memcpy(&f, bytes + i * sizeof(float), sizeof(float));
        values[i] = f;
      } else {
        std::memcpy(&values[i], bytes + i * sizeof(double), sizeof(double));
      }
    }
    return values;
  }
  // `values` numbers are rounded to the element type, as the interpreter
  // does.
  std::vector<double> numbers = def->getAttr("values")->getNumbers();
  for (size_t i = 0; i < values.size(); ++i) {
    double d = numbers[numbers.size() == 1 ? 0 : i];
    values[i] = type.elementType == DataType::Float32
                    ? double(static_cast<float>(d))
                    : d;
  }
  return values;
}

// A data Constant defining a new value of `tensor`'s type, to be placed in
// the op list by the caller.
inline llvm::Expected<Operation> makeDataConstant(Graph &graph,
                                                  const Tensor &tensor,
                                                  llvm::SMLoc loc) {
  auto data = DenseData::fromTensor(tensor);
  if (!data)
    return data.takeError();
  ValueId id = graph.newValue(tensor.getType());
  return Operation(OpKind::Constant, {}, {id},
                   {{"data", Attribute(std::move(*data))}}, loc);
}

// Rewrites every use of a key of `replacement` (op operands and graph
// outputs) to its value.
inline void replaceUses(Graph &graph,
                        const llvm::DenseMap<ValueId, ValueId> &replacement) {
  if (replacement.empty())
    return;
  auto mapped = [&](ValueId v) {
    auto it = replacement.find(v);
    return it == replacement.end() ? v : it->second;
  };
  for (Operation &op : graph.getOps())
    for (unsigned i = 0; i < op.getNumOperands(); ++i)
      op.setOperand(i, mapped(op.getOperand(i)));
  llvm::SmallVector<ValueId, 4> outputs;
  for (ValueId v : graph.getOutputs())
    outputs.push_back(mapped(v));
  graph.setOutputs(outputs);
}

// Erases the ops whose first result is in `results`, then the Constants that
// no longer have any use (only those in `candidates`: constants the rewrite
// stopped using, so unrelated dead code stays for dce to judge).
inline void eraseOps(Graph &graph, const llvm::DenseSet<ValueId> &results,
                     llvm::ArrayRef<ValueId> candidates = {}) {
  graph.eraseOpsIf([&](const Operation &op) {
    return op.getNumResults() && results.contains(op.getResult(0));
  });
  if (candidates.empty())
    return;
  UseMap uses(graph);
  llvm::DenseSet<ValueId> dead;
  for (ValueId v : candidates)
    if (uses.isConstant(graph, v) && uses.numUses(v) == 0)
      dead.insert(v);
  graph.eraseOpsIf([&](const Operation &op) {
    return op.getKind() == OpKind::Constant && dead.contains(op.getResult());
  });
}

} // namespace qjit::rewrite

#endif
