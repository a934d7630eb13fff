//===- Autodiff.cpp - The autodiff pass: @f -> @f_grad --------------------===//
//
// 1. Activity: a value is varied when it depends on a float input of f, and
//    useful when a float output depends on it. An op with a varied and useful
//    result is differentiated, for its varied operands; checking those ops
//    in program order reports the first one without a rule.
// 2. @f_grad gets f's inputs (same ids), the output gradients dy_j (fresh
//    ids) and a copy of f's ops (same ids; a clipped FakeQuantization that
//    is differentiated also yields its mask).
// 3. The output gradients seed the sweep over f's ops in reverse order; each
//    differentiated op's rule (BackwardRules.cpp) adds its operands'
//    gradients. Input i's accumulated gradient is output i (zeros if none).
// 4. cse merges repeated backward ops and dce drops the forward copies the
//    backward does not read; the result is verified.
//
//===----------------------------------------------------------------------===//
#include "qjit/Transforms/Autodiff.h"
#include "GradientEmitter.h"
#include "qjit/IR/FakeQuantizationOp.h"
#include "qjit/IR/Verifier.h"
#include "qjit/Support/Error.h"
#include "qjit/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "Support/MakeError.h"

namespace qjit {

std::string gradientGraphName(llvm::StringRef graphName) {
  return (graphName + "_grad").str();
}

namespace {

struct Activity {
  llvm::DenseSet<ValueId> varied, useful;

  bool active(ValueId v) const {
    return varied.contains(v) && useful.contains(v);
  }
  // The op is differentiated: one of its results is varied and useful.
  bool active(const Operation &op) const {
    return llvm::any_of(op.getResults(), [&](ValueId v) { return active(v); });
  }
};

Activity analyzeActivity(const Graph &f) {
  Activity a;
  for (ValueId in : f.getInputs())
    if (isFloatType(f.getType(in).elementType))
      a.varied.insert(in);
  for (const Operation &op : f.getOps())
    if (llvm::any_of(op.getOperands(),
                     [&](ValueId v) { return a.varied.contains(v); }))
      a.varied.insert(op.getResults().begin(), op.getResults().end());
  // Only float outputs have gradients to flow back.
  for (ValueId out : f.getOutputs())
    if (isFloatType(f.getType(out).elementType))
      a.useful.insert(out);
  const std::vector<Operation> &ops = f.getOps();
  for (auto it = ops.rbegin(); it != ops.rend(); ++it)
    if (llvm::any_of(it->getResults(),
                     [&](ValueId v) { return a.useful.contains(v); }))
      a.useful.insert(it->getOperands().begin(), it->getOperands().end());
  return a;
}

std::string resultNames(const Operation &op) {
  std::string names;
  llvm::ListSeparator sep(", ");
  for (ValueId v : op.getResults())
    names += (llvm::Twine(sep) + "t" + llvm::Twine(v)).str();
  return names;
}

// The first differentiated op (in program order) the gradient cannot flow
// through.
llvm::Error checkDifferentiable(const Graph &f, const Activity &a) {
  for (const Operation &op : f.getOps()) {
    if (!a.active(op))
      continue;
    if (!hasGradientRule(op))
      return makeLocatedError(
          op.getLoc(), "'{}' op ({}) has no gradient{}", op.getName().str(),
          resultNames(op),
          op.getKind() == OpKind::FusedElementwise
              ? ": run autodiff before fuse-elementwise"
              : "");
    for (ValueId v : op.getOperands()) {
      DataType type = f.getType(v).elementType;
      if (a.varied.contains(v) && !isFloatType(type))
        return makeLocatedError(
            op.getLoc(),
            "'{}' op ({}) has no gradient: its operand t{} is {}, and only "
            "Float32 and Float64 values have gradients",
            op.getName().str(), resultNames(op), v, dataTypeName(type).str());
    }
  }
  return llvm::Error::success();
}

// Clipped FakeQuantization ops that are differentiated compute their mask
// in the forward pass.
bool keepsMask(const Operation &op, const Activity &a) {
  return op.getKind() == OpKind::FakeQuantization && op.getNumResults() == 1 &&
         a.active(op.getResult()) && a.varied.contains(op.getOperand(0)) &&
         FakeQuantizationOp(op).gradient() == GradientRule::Clipped;
}

// cse merges what the rules built twice (x * x gives dy * x for each
// operand), then dce drops the forward copies nothing reads.
llvm::Error cleanUp(Graph &graph) {
  Module scratch;
  scratch.addGraph(std::move(graph));
  for (auto create : {createCommonSubexpressionEliminationPass,
                      createDeadCodeEliminationPass})
    if (llvm::Error err = create()->runOnModule(scratch))
      return err;
  graph = std::move(scratch.getGraphs().front());
  return llvm::Error::success();
}

} // namespace

llvm::Expected<Graph> buildGradientGraph(const Graph &f) {
  if (f.getInputs().empty())
    return makeLocatedError(f.getLoc(),
                            "graph @{} has no inputs to differentiate",
                            f.getName().str());
  Activity activity = analyzeActivity(f);
  if (llvm::Error err = checkDifferentiable(f, activity))
    return err;

  Graph g(gradientGraphName(f.getName()));
  g.setLoc(f.getLoc());
  g.setReturnLoc(f.getReturnLoc());
  for (ValueId in : f.getInputs()) {
    g.defineValue(in, f.getType(in));
    g.addInput(in);
  }
  llvm::SmallVector<ValueId, 4> outputGrads;
  ValueId next = f.nextFreeId();
  for (ValueId out : f.getOutputs()) {
    ValueId dy = next++;
    g.defineValue(dy, f.getType(out));
    g.addInput(dy);
    outputGrads.push_back(dy);
  }
  for (const Operation &op : f.getOps())
    for (ValueId v : op.getResults())
      g.defineValue(v, f.getType(v));

  // Only varied float values need gradients.
  llvm::DenseSet<ValueId> needed;
  for (ValueId v : activity.varied)
    if (isFloatType(f.getType(v).elementType))
      needed.insert(v);
  GradientEmitter e(g, std::move(needed));

  // The forward copy.
  for (const Operation &op : f.getOps()) {
    Operation &copy = g.addOp(op);
    if (!keepsMask(op, activity))
      continue;
    TensorType maskType{DataType::Bool, f.getType(op.getResult()).shape};
    ValueId mask = g.newValue(std::move(maskType));
    copy =
        Operation(op.getKind(), llvm::SmallVector<ValueId, 4>(op.getOperands()),
                  {op.getResult(), mask}, op.getAttrs(), op.getLoc());
    e.setMask(op.getResult(), mask);
  }

  // The backward sweep.
  for (size_t j = 0; j < outputGrads.size(); ++j)
    if (e.needs(f.getOutputs()[j]))
      e.accumulate(f.getOutputs()[j], outputGrads[j]);
  const std::vector<Operation> &ops = f.getOps();
  for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
    if (!activity.active(*it))
      continue;
    // A useful result may get no gradient when what uses it passes none
    // (a scale operand of a ste FakeQuantization).
    std::optional<ValueId> dy = e.gradientOf(it->getResult(0));
    if (!dy)
      continue;
    e.setLoc(it->getLoc());
    emitGradientRule(e, *it, *dy);
  }

  e.setLoc(f.getReturnLoc());
  llvm::SmallVector<ValueId, 4> inputGrads;
  for (ValueId in : f.getInputs()) {
    std::optional<ValueId> grad = e.gradientOf(in);
    inputGrads.push_back(grad ? *grad : e.zeros(f.getType(in)));
  }
  if (llvm::Error err = e.takeError())
    return err;
  g.setOutputs(inputGrads);

  if (llvm::Error err = cleanUp(g))
    return err;
  if (llvm::Error err = verifyGraph(g))
    return attachLocation(std::move(err), f.getLoc(),
                          "internal error: the gradient graph is invalid: ");
  return g;
}

llvm::Expected<Graph &> addGradientGraph(Module &module,
                                         llvm::StringRef graphName) {
  const Graph *f = module.findGraph(graphName);
  if (!f)
    return makeError("no graph @{} to differentiate", graphName.str());
  std::string name = gradientGraphName(graphName);
  if (const Graph *existing = module.findGraph(name))
    return makeLocatedError(existing->getLoc(),
                            "graph @{} exists already; autodiff would add it "
                            "as the gradient of @{}",
                            name, graphName.str());
  auto g = buildGradientGraph(*f);
  if (!g)
    return g.takeError();
  return module.addGraph(std::move(*g));
}

namespace {

class AutodiffPass : public Pass {
public:
  llvm::StringRef getName() const override { return "autodiff"; }

  llvm::Error runOnModule(Module &module) override {
    // The graphs present before the pass (not the gradients it adds); a
    // graph without inputs has no gradient.
    std::vector<std::string> names;
    for (const Graph &graph : module.getGraphs())
      if (!graph.getInputs().empty())
        names.push_back(graph.getName().str());
    for (const std::string &name : names)
      if (auto g = addGradientGraph(module, name); !g)
        return g.takeError();
    return llvm::Error::success();
  }
};

} // namespace

std::unique_ptr<Pass> createAutodiffPass() {
  return std::make_unique<AutodiffPass>();
}

} // namespace qjit
