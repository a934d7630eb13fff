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
//===----------------------------------------------------------------------===//
#include "RewriteUtils.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Transforms/Passes.h"

namespace qjit {
namespace {

bool isQLinear(const Operation &op) {
  return op.getKind() == OpKind::QLinearMatMul ||
         op.getKind() == OpKind::QLinearConv2D;
}

class FoldDequantize : public GraphPass {
public:
  llvm::StringRef getName() const override { return "fold-dequantize"; }

  llvm::Error runOnGraph(Graph &graph) override {
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
