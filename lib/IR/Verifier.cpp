//===- Verifier.cpp - Graph and op rules ----------------------------------===//
#include "qjit/IR/Verifier.h"
#include "qjit/IR/OpRules.h"
#include "qjit/Support/Error.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringSet.h"
#include "Support/MakeError.h"

namespace qjit {

namespace {

class GraphVerifier {
public:
  // `owner` is the FusedElementwise op whose body `graph` is, if it is one.
  explicit GraphVerifier(const Graph &graph, const Operation *owner = nullptr)
      : graph(graph), owner(owner) {}

  llvm::Error run() {
    for (ValueId id : graph.getInputs()) {
      const char *what = owner ? "body input" : "graph input";
      define(id, graph.getLoc(), [&] { return std::string(what); });
      // Result types are checked by the op rules; inputs have no op.
      if (graph.hasValue(id))
        if (auto err = graph.getType(id).check())
          report(graph.getLoc(), "{} t{}: {}", what, id,
                 llvm::toString(std::move(err)));
    }
    for (const Operation &op : graph.getOps())
      verifyOp(op);
    if (graph.getOutputs().empty() && !owner)
      report(graph.getReturnLoc().isValid() ? graph.getReturnLoc()
                                            : graph.getLoc(),
             "graph @{} returns no value", graph.getName().str());
    for (ValueId id : graph.getOutputs())
      if (!defined.contains(id))
        report(graph.getReturnLoc(), "returned value t{} is not defined", id);
    return std::move(errors);
  }

private:
  template <typename... Args>
  void report(llvm::SMLoc loc, fmt::format_string<Args...> format,
              Args &&...args) {
    errors = llvm::joinErrors(
        std::move(errors),
        makeLocatedError(loc, format, std::forward<Args>(args)...));
  }

  // Prefix of messages about `op`. Ops built through the API have no
  // location, so their messages quote the op instead.
  std::string where(const Operation &op) const {
    if (op.getLoc().isValid())
      return fmt::format("'{}' op ", op.getName().str());
    return fmt::format("'{}' op (in @{}: {}) ", op.getName().str(),
                       graph.getName().str(), graph.opToString(op));
  }

  // `what` names the definition; only called for a report (printing an op
  // for every result took 3% of a model's compile).
  void define(ValueId id, llvm::SMLoc loc,
              llvm::function_ref<std::string()> what) {
    if (!defined.insert(id).second)
      report(loc, "{} redefines t{}", what(), id);
    else if (!graph.hasValue(id))
      report(loc, "{} t{} has no type", what(), id);
  }

  void verifyOp(const Operation &op) {
    // A body's own ops first, so that the op's checks see a sound body.
    if (const Graph *body = op.getBody())
      errors = llvm::joinErrors(std::move(errors),
                                GraphVerifier(*body, &op).run());
    bool operandsOk = true;
    llvm::SmallVector<TensorType, 4> operandTypes;
    for (ValueId id : op.getOperands()) {
      if (!defined.contains(id)) {
        report(op.getLoc(), "{}uses t{} before it is defined", where(op), id);
        operandsOk = false;
        continue;
      }
      operandTypes.push_back(graph.getType(id));
    }
    llvm::SmallVector<TensorType, 1> declared;
    for (ValueId id : op.getResults())
      if (graph.hasValue(id))
        declared.push_back(graph.getType(id));
    if (operandsOk) {
      auto inferred = inferResultTypes(op, operandTypes, declared);
      if (!inferred) {
        report(op.getLoc(), "{}{}", where(op),
               llvm::toString(inferred.takeError()));
      } else if (inferred->size() != op.getNumResults()) {
        report(op.getLoc(), "{}has {} results, expected {}", where(op),
               op.getNumResults(), inferred->size());
      } else {
        for (size_t i = 0; i < inferred->size(); ++i) {
          ValueId id = op.getResult(i);
          if (graph.hasValue(id) && graph.getType(id) != (*inferred)[i])
            report(op.getLoc(),
                   "{}result t{} is annotated {} but the op produces {}",
                   where(op), id, graph.getType(id).toString(),
                   (*inferred)[i].toString());
        }
      }
    }
    for (ValueId id : op.getResults())
      define(id, op.getLoc(), [&] { return where(op) + "result"; });
  }

  const Graph &graph;
  const Operation *owner;
  llvm::DenseSet<ValueId> defined;
  llvm::Error errors = llvm::Error::success();
};

} // namespace

llvm::Error verifyGraph(const Graph &graph) {
  return GraphVerifier(graph).run();
}

llvm::Error verifyModule(const Module &module) {
  llvm::Error errors = llvm::Error::success();
  llvm::StringSet<> names;
  for (const Graph &g : module.getGraphs()) {
    if (!names.insert(g.getName()).second)
      errors = llvm::joinErrors(
          std::move(errors),
          makeLocatedError(g.getLoc(), "graph @{} is defined twice",
                           g.getName().str()));
    errors = llvm::joinErrors(std::move(errors), verifyGraph(g));
  }
  return errors;
}

} // namespace qjit
