//===- CommonSubexpressionElimination.cpp - Merge identical ops -----------===//
//
// Ops are pure, so two ops with the same kind, operands (after earlier
// merges), attributes and result types compute the same values. The later op
// is erased and its uses (operands and graph outputs) are rewritten to the
// earlier op's results. Attributes are compared bit for bit: a Constant of
// -0.0 is not merged with one of 0.0, and an int literal is not a float one;
// data constants are equal when their bytes are (hashed by their xxh3).
//
//===----------------------------------------------------------------------===//
#include "qjit/IR/DenseData.h"
#include "qjit/Transforms/Passes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/Hashing.h"
#include <bit>
#include <unordered_map>

namespace qjit {

namespace {

uint64_t bitsOf(double d) { return std::bit_cast<uint64_t>(d); }

bool bitwiseEqual(const Attribute &a, const Attribute &b) {
  if (a.storage().index() != b.storage().index())
    return false;
  if (a.isFloat())
    return bitsOf(a.getFloat()) == bitsOf(b.getFloat());
  if (a.isFloatList())
    return llvm::equal(
        a.getFloatList(), b.getFloatList(),
        [](double x, double y) { return bitsOf(x) == bitsOf(y); });
  return a == b; // ints, bools, enums, int lists and data compare exactly
}

llvm::hash_code hashAttribute(const Attribute &a) {
  llvm::hash_code h = llvm::hash_value(a.storage().index());
  if (a.isFloat())
    return llvm::hash_combine(h, bitsOf(a.getFloat()));
  if (a.isFloatList()) {
    for (double d : a.getFloatList())
      h = llvm::hash_combine(h, bitsOf(d));
    return h;
  }
  if (a.isData())
    return llvm::hash_combine(h, a.getData() ? a.getData()->contentHash() : 0);
  // Other kinds: their canonical text is exact.
  return llvm::hash_combine(h, a.toString());
}

class CommonSubexpressionElimination : public GraphPass {
public:
  llvm::StringRef getName() const override { return "cse"; }

  llvm::Error runOnGraph(Graph &graph) override {
    std::vector<Operation> &ops = graph.getOps();
    llvm::DenseMap<ValueId, ValueId> replacement;
    llvm::DenseSet<const Operation *> erased;
    // Hash -> the kept ops with that hash.
    std::unordered_map<size_t, llvm::SmallVector<const Operation *, 1>> kept;
    for (Operation &op : ops) {
      for (unsigned i = 0; i < op.getNumOperands(); ++i)
        if (auto it = replacement.find(op.getOperand(i));
            it != replacement.end())
          op.setOperand(i, it->second);
      auto &bucket = kept[hashOp(graph, op)];
      auto same = llvm::find_if(bucket, [&](const Operation *other) {
        return equivalent(graph, op, *other);
      });
      if (same == bucket.end()) {
        bucket.push_back(&op);
        continue;
      }
      for (unsigned i = 0; i < op.getNumResults(); ++i)
        replacement[op.getResult(i)] = (*same)->getResult(i);
      erased.insert(&op);
    }
    if (erased.empty())
      return llvm::Error::success();
    llvm::SmallVector<ValueId, 4> outputs(graph.getOutputs());
    for (ValueId &id : outputs)
      if (auto it = replacement.find(id); it != replacement.end())
        id = it->second;
    graph.setOutputs(outputs);
    // Erased ops are recognised by their first result: the pointers above
    // do not survive the erasure moving ops around.
    llvm::DenseSet<ValueId> erasedResults;
    for (const Operation *op : erased)
      erasedResults.insert(op->getResult(0));
    graph.eraseOpsIf([&](const Operation &op) {
      return erasedResults.contains(op.getResult(0));
    });
    return llvm::Error::success();
  }

private:
  static size_t hashOp(const Graph &graph, const Operation &op) {
    llvm::hash_code h =
        llvm::hash_combine(static_cast<unsigned>(op.getKind()),
                           llvm::hash_combine_range(op.getOperands().begin(),
                                                    op.getOperands().end()),
                           op.getNumResults(), op.getAttrs().size());
    // A sum, so the order of the attributes does not matter.
    size_t attrs = 0;
    for (const NamedAttribute &attr : op.getAttrs())
      attrs += llvm::hash_combine(attr.name, hashAttribute(attr.value));
    return llvm::hash_combine(h, attrs);
  }

  static bool equivalent(const Graph &graph, const Operation &a,
                         const Operation &b) {
    if (a.getKind() != b.getKind() || a.getOperands() != b.getOperands() ||
        a.getNumResults() != b.getNumResults() ||
        a.getAttrs().size() != b.getAttrs().size())
      return false;
    // Attributes may be in any order (ops built by hand); names are unique.
    for (const NamedAttribute &attr : a.getAttrs()) {
      const Attribute *other = b.getAttr(attr.name);
      if (!other || !bitwiseEqual(attr.value, *other))
        return false;
    }
    for (unsigned i = 0; i < a.getNumResults(); ++i)
      if (graph.getType(a.getResult(i)) != graph.getType(b.getResult(i)))
        return false;
    // Bodies (FusedElementwise) must read the same, value names included:
    // conservative, and never wrong.
    if (a.getBody() || b.getBody())
      return a.getBody() && b.getBody() &&
             a.getBody()->toString() == b.getBody()->toString();
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> createCommonSubexpressionEliminationPass() {
  return std::make_unique<CommonSubexpressionElimination>();
}

} // namespace qjit
