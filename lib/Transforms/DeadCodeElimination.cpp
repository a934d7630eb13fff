//===- DeadCodeElimination.cpp - Remove ops that reach no output ----------===//
//
// Ops have no side effects, so an op is dead when none of its results reaches
// a graph output. One backward walk over the straight-line op list finds the
// live values: an op is live if any result is, and then so are its operands.
//
//===----------------------------------------------------------------------===//
#include "qjit/Transforms/Passes.h"
#include "llvm/ADT/DenseSet.h"

namespace qjit {

namespace {

class DeadCodeElimination : public GraphPass {
public:
  llvm::StringRef getName() const override { return "dce"; }

  llvm::Error runOnGraph(Graph &graph) override {
    llvm::DenseSet<ValueId> live(graph.getOutputs().begin(),
                                 graph.getOutputs().end());
    auto isLive = [&](const Operation &op) {
      return llvm::any_of(op.getResults(),
                          [&](ValueId id) { return live.contains(id); });
    };
    const std::vector<Operation> &ops = graph.getOps();
    for (auto it = ops.rbegin(); it != ops.rend(); ++it)
      if (isLive(*it))
        live.insert(it->getOperands().begin(), it->getOperands().end());
    graph.eraseOpsIf([&](const Operation &op) { return !isLive(op); });
    return llvm::Error::success();
  }
};

} // namespace

std::unique_ptr<Pass> createDeadCodeEliminationPass() {
  return std::make_unique<DeadCodeElimination>();
}

} // namespace qjit
