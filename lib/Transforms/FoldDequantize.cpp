//===- FoldDequantize.cpp - Dequantize into the QLinear op before it ------===//
//
//   q = QLinearMatMul | QLinearConv2D(..., y_scale=s, y_zero_point=zp,
//                                      dtype=UInt8 | Int8)
//   y = Dequantize(q, scale=s, zero_point=zp)
//
// becomes, when y is q's only use,
//
//   y = QLinearMatMul | QLinearConv2D(..., dtype=Float32,
//                                      quant_min=lo, quant_max=hi)
//
// whose epilogue writes the dequantized levels itself (the same float
// operations as Dequantize): one pass over y less, and no byte tensor in
// between. [lo, hi] is the levels' grid: the op's quant_min/quant_max, or
// its dtype's range. Run it after channels-last (which moves Transposes
// across Dequantize ops).
//
// Before that, two rules keep max pooling on the levels, where the convert
// pass leaves it in float between a layer and the next:
//
//   MaxPool2D(Dequantize(q))  ->  Dequantize(MaxPool2D(q))
//
// exactly: with scales > 0, Dequantize never decreases (and never makes
// -0.0), so the largest of a window's dequantized levels is the largest
// level dequantized; padding smaller than the window leaves no window
// without a cell of the input. Then
//
//   Quantize(Dequantize(q))   ->  q
//
// when both have the same scales, zero points and axis, q's type is the
// Quantize's dtype, and every level of that 8-bit type comes back through
// Dequantize then Quantize (checked level by level with their formulas).
//
//===----------------------------------------------------------------------===//
#include "RewriteUtils.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Interpreter/FakeQuantReference.h"
#include "qjit/Transforms/Passes.h"
#include <cmath>

namespace qjit {
namespace {

bool isQLinear(const Operation &op) {
  return op.getKind() == OpKind::QLinearMatMul ||
         op.getKind() == OpKind::QLinearConv2D;
}

// A Dequantize's parameters, if `op` is one.
std::optional<QuantizeParams> dequantizeParams(const Graph &graph,
                                               const Operation *op) {
  if (!op || op->getKind() != OpKind::Dequantize)
    return std::nullopt;
  auto p = getQuantizeParams(*op, graph.getType(op->getOperand(0)));
  if (!p) {
    llvm::consumeError(p.takeError());
    return std::nullopt;
  }
  return *p;
}

// Every level of an 8-bit type comes back through Dequantize then Quantize
// with the scales and zero points of p (Quantize.cpp's formulas).
bool levelsRoundTrip(const QuantizeParams &p) {
  if (p.qmax - p.qmin > 255)
    return false;
  for (size_t c = 0; c < p.scales.size(); ++c) {
    auto s = static_cast<float>(p.scales[c]);
    auto zp = static_cast<float>(p.zeroPoints[c]);
    for (int64_t q = p.qmin; q <= p.qmax; ++q) {
      float x = (static_cast<float>(q) - zp) * s;
      float level = unclampedLevel(x, s, zp);
      if (!(level == static_cast<float>(q)))
        return false;
    }
  }
  return true;
}

// The Dequantize a MaxPool2D can move below, if any.
const Operation *dequantizeBeforePool(const Graph &graph,
                                      const rewrite::UseMap &uses,
                                      const Operation &op) {
  if (op.getKind() != OpKind::MaxPool2D)
    return nullptr;
  const Operation *def = uses.defOf(graph, op.getOperand(0));
  std::optional<QuantizeParams> dp = dequantizeParams(graph, def);
  auto pool = getPool2DParams(op);
  if (!pool) {
    llvm::consumeError(pool.takeError());
    return nullptr;
  }
  // An axis, if any, must not be one pooled over (NCHW: N or C).
  if (!dp || (dp->axis && *dp->axis >= 2) || pool->padH >= pool->kernelH ||
      pool->padW >= pool->kernelW)
    return nullptr;
  return def;
}

// MaxPool2D(Dequantize(q)) -> Dequantize(MaxPool2D(q)); the Dequantize ops
// left without a use go.
void sinkDequantizeBelowMaxPool(Graph &graph) {
  rewrite::UseMap uses(graph);
  std::vector<Operation> &ops = graph.getOps();
  // By MaxPool2D index: its replacement ops.
  llvm::DenseMap<size_t, std::pair<Operation, Operation>> replacements;
  llvm::DenseSet<ValueId> moved; // results of the Dequantize ops pooled
  for (size_t i = 0; i < ops.size(); ++i) {
    const Operation &op = ops[i];
    const Operation *dequantize = dequantizeBeforePool(graph, uses, op);
    if (!dequantize)
      continue;
    ValueId q = dequantize->getOperand(0);
    TensorType pooledType = graph.getType(op.getResult());
    pooledType.elementType = graph.getType(q).elementType;
    ValueId pooled = graph.newValue(pooledType);
    moved.insert(dequantize->getResult());
    replacements.try_emplace(
        i, Operation(OpKind::MaxPool2D, {q}, {pooled}, op.getAttrs(),
                     op.getLoc()),
        Operation(OpKind::Dequantize, {pooled}, {op.getResult()},
                  dequantize->getAttrs(), dequantize->getLoc()));
  }
  if (replacements.empty())
    return;
  std::vector<Operation> rewritten;
  for (size_t i = 0; i < ops.size(); ++i) {
    auto it = replacements.find(i);
    if (it == replacements.end()) {
      rewritten.push_back(std::move(ops[i]));
      continue;
    }
    rewritten.push_back(std::move(it->second.first));
    rewritten.push_back(std::move(it->second.second));
  }
  ops = std::move(rewritten);
  rewrite::UseMap after(graph);
  llvm::DenseSet<ValueId> unused;
  for (ValueId v : moved)
    if (after.numUses(v) == 0)
      unused.insert(v);
  rewrite::eraseOps(graph, unused);
}

// Quantize(Dequantize(q)) -> q where the levels come back unchanged.
void foldQuantizeOfDequantize(Graph &graph) {
  rewrite::UseMap uses(graph);
  llvm::DenseMap<ValueId, ValueId> replacement;
  llvm::DenseSet<ValueId> folded;
  for (const Operation &op : graph.getOps()) {
    if (op.getKind() != OpKind::Quantize)
      continue;
    const Operation *def = uses.defOf(graph, op.getOperand(0));
    std::optional<QuantizeParams> dp = dequantizeParams(graph, def);
    auto qp = getQuantizeParams(op, graph.getType(op.getOperand(0)));
    if (!qp) {
      llvm::consumeError(qp.takeError());
      continue;
    }
    if (!dp || dp->intType != qp->intType || dp->axis != qp->axis ||
        dp->zeroPoints != qp->zeroPoints ||
        !llvm::equal(dp->scales, qp->scales, [](double a, double b) {
          return static_cast<float>(a) == static_cast<float>(b);
        }) ||
        !levelsRoundTrip(*dp))
      continue;
    replacement[op.getResult()] = def->getOperand(0);
    folded.insert(op.getResult());
  }
  rewrite::replaceUses(graph, replacement);
  rewrite::eraseOps(graph, folded);
}

class FoldDequantize : public GraphPass {
public:
  llvm::StringRef getName() const override { return "fold-dequantize"; }

  llvm::Error runOnGraph(Graph &graph) override {
    sinkDequantizeBelowMaxPool(graph);
    foldQuantizeOfDequantize(graph);
    rewrite::UseMap uses(graph);
    std::vector<Operation> &ops = graph.getOps();
    // The rewritten op takes the Dequantize's place (after its operands);
    // the QLinear op it replaces goes.
    llvm::DenseSet<ValueId> replaced; // the QLinear ops' results
    for (Operation &dequantize : ops) {
      std::optional<size_t> producer = foldableInto(graph, uses, dequantize);
      if (!producer)
        continue;
      const Operation &op = ops[*producer];
      QLinearParams p = llvm::cantFail(
          getQLinearParams(op, graph.getType(op.getOperand(0)),
                           graph.getType(op.getOperand(1))));
      auto [lo, hi] = integerRange(p.resultType);
      if (const Attribute *qmin = op.getAttr("quant_min"))
        lo = qmin->getInt();
      if (const Attribute *qmax = op.getAttr("quant_max"))
        hi = qmax->getInt();
      Operation rewritten(op.getKind(),
                          llvm::SmallVector<ValueId, 4>(op.getOperands()),
                          {dequantize.getResult()}, op.getAttrs(),
                          op.getLoc());
      rewritten.setAttr("dtype", Attribute(EnumValue{"Float32"}));
      rewritten.setAttr("quant_min", Attribute(lo));
      rewritten.setAttr("quant_max", Attribute(hi));
      replaced.insert(op.getResult());
      dequantize = std::move(rewritten);
    }
    rewrite::eraseOps(graph, replaced);
    return llvm::Error::success();
  }

private:
  // The index of the QLinear op `dequantize` can fold into, if any.
  static std::optional<size_t> foldableInto(const Graph &graph,
                                            const rewrite::UseMap &uses,
                                            const Operation &dequantize) {
    if (dequantize.getKind() != OpKind::Dequantize)
      return std::nullopt;
    ValueId q = dequantize.getOperand(0);
    std::optional<size_t> producer = uses.definerOf(q);
    if (!producer || !uses.soleUser(q))
      return std::nullopt;
    const Operation &op = graph.getOps()[*producer];
    if (!isQLinear(op))
      return std::nullopt;
    auto qp = getQLinearParams(op, graph.getType(op.getOperand(0)),
                               graph.getType(op.getOperand(1)));
    auto dp = getQuantizeParams(dequantize, graph.getType(q));
    if (!qp || !dp) {
      llvm::consumeError(qp.takeError());
      llvm::consumeError(dp.takeError());
      return std::nullopt;
    }
    // Dequantize computes in float with float(scale).
    bool same = !dp->axis && dp->scales.size() == 1 &&
                static_cast<float>(dp->scales[0]) == qp->yScale &&
                dp->zeroPoints[0] == qp->yZeroPoint &&
                qp->resultType != DataType::Float32;
    return same ? producer : std::nullopt;
  }
};

} // namespace

std::unique_ptr<Pass> createFoldDequantizePass() {
  return std::make_unique<FoldDequantize>();
}

} // namespace qjit
