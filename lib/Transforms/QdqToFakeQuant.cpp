//===- QdqToFakeQuant.cpp - Quantize/Dequantize pairs to FakeQuantization -===//
//
// ONNX exports of QAT models (QuantizeLinear -> DequantizeLinear, imported
// as Quantize -> Dequantize) spell a fake quantization as a round trip
// through integers:
//
//   q  = Quantize(x, scale=s, zero_point=zp[, axis=a], dtype=T)
//   [q = Clamp(q, min=lo, max=hi)]   PyTorch's reduce_range (fbgemm): 0..127
//   y  = Dequantize(q, scale=s, zero_point=zp[, axis=a])
//
// becomes, when the integer values have no other use (several Dequantize
// ops of one Quantize, all with its parameters, each become one; cse merges
// them),
//
//   y  = FakeQuantization(x, quant_min=qmin, quant_max=qmax, scale=s,
//                         zero_point=zp[, axis=a])
//
// with [qmin, qmax] = T's range intersected with [lo, hi]. Quantize and
// Dequantize must agree on the scales (as Float32, the precision both
// compute in), the zero points and the axis.
//
// Numerics. FakeQuantization computes PyTorch's formula,
// (clamp(roundeven(x * fl(1/s)) + zp, qmin, qmax) - zp) * s: it multiplies by
// the rounded reciprocal of the scale, where ONNX's QuantizeLinear divides
// (x / s); the two differ on some inputs (s = fl(0.3), x = 74.25: 248 steps
// against 247). The pass produces PyTorch's arithmetic on purpose: the
// reference for a QAT export is PyTorch's own output. qjit's Quantize already
// multiplies by fl(1/s) too (lib/Interpreter/Quantize.cpp), so on qjit the
// rewrite is exact: the FakeQuantization gives the same bits as the pair, NaN
// (to qmin) and infinities included. docs/inference-passes.md says more.
//
// A pair that nearly matches (different parameters, integer values used
// elsewhere, an empty or zero-point-excluding Clamp range) is left alone with
// a remark.
//
//===----------------------------------------------------------------------===//
#include "RewriteUtils.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Transforms/Passes.h"
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <variant>

namespace qjit {
namespace {

// FakeQuantization's grid bounds must lie within +-2^24 (floats hold every
// integer there).
constexpr int64_t kMaxGrid = int64_t(1) << 24;

struct Match {
  size_t quantize, dequantize;
  std::optional<size_t> clamp;
  QuantizeParams params;
  int64_t qmin, qmax;
};

bool sameScales(const QuantizeParams &a, const QuantizeParams &b) {
  return llvm::equal(a.scales, b.scales, [](double x, double y) {
    return static_cast<float>(x) == static_cast<float>(y);
  });
}

class QdqToFakeQuant : public GraphPass {
public:
  llvm::StringRef getName() const override { return "qdq-to-fake-quant"; }

  llvm::Error runOnGraph(Graph &graph) override {
    rewrite::UseMap uses(graph);
    std::vector<Match> matches;
    const std::vector<Operation> &ops = graph.getOps();
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].getKind() != OpKind::Dequantize)
        continue;
      auto m = match(graph, uses, i);
      if (auto *found = std::get_if<Match>(&m))
        matches.push_back(std::move(*found));
      else if (!std::get<std::string>(m).empty())
        remark(ops[i].getLoc(),
               fmt::format("Dequantize t{} stays: {}", ops[i].getResult(),
                           std::get<std::string>(m)));
    }
    if (matches.empty())
      return llvm::Error::success();

    llvm::DenseSet<ValueId> erased;
    for (const Match &m : matches) {
      Operation &dq = graph.getOps()[m.dequantize];
      const Operation &q = graph.getOps()[m.quantize];
      AttrList attrs{{"quant_min", Attribute(m.qmin)},
                     {"quant_max", Attribute(m.qmax)}};
      if (m.params.axis) {
        attrs.push_back({"scale", Attribute(m.params.scales)});
        attrs.push_back({"zero_point", Attribute(m.params.zeroPoints)});
        attrs.push_back({"axis", Attribute(*m.params.axis)});
      } else {
        attrs.push_back({"scale", Attribute(m.params.scales.front())});
        attrs.push_back({"zero_point", Attribute(m.params.zeroPoints.front())});
      }
      Operation fq(OpKind::FakeQuantization, {q.getOperand(0)},
                   {dq.getResult()}, std::move(attrs), dq.getLoc());
      erased.insert(q.getResult());
      if (m.clamp)
        erased.insert(graph.getOps()[*m.clamp].getResult());
      dq = std::move(fq);
    }
    rewrite::eraseOps(graph, erased);
    return llvm::Error::success();
  }

private:
  // Why Dequantize `dq` does not undo a Quantize with parameters `qp` ("" if
  // it does).
  static std::string differences(const Graph &graph, const QuantizeParams &qp,
                                 const Operation &dq) {
    auto dp = getQuantizeParams(dq, graph.getType(dq.getOperand(0)));
    if (!dp) {
      llvm::consumeError(dp.takeError());
      return "its parameters do not verify";
    }
    if (qp.axis != dp->axis)
      return "Quantize and Dequantize quantize along different axes";
    if (!sameScales(qp, *dp))
      return "Quantize and Dequantize have different scales";
    if (qp.zeroPoints != dp->zeroPoints)
      return "Quantize and Dequantize have different zero points";
    return "";
  }

  // The pair ending at the Dequantize ops[i]; an empty reason means nothing
  // resembling a pair (no remark).
  std::variant<Match, std::string> match(const Graph &graph,
                                         const rewrite::UseMap &uses,
                                         size_t i) const {
    const std::vector<Operation> &ops = graph.getOps();
    const Operation &dq = ops[i];
    Match m;
    m.dequantize = i;
    ValueId integers = dq.getOperand(0);
    auto def = uses.definerOf(integers);
    if (!def)
      return std::string();
    if (ops[*def].getKind() == OpKind::Clamp) {
      m.clamp = *def;
      def = uses.definerOf(ops[*def].getOperand(0));
      if (!def || ops[*def].getKind() != OpKind::Quantize)
        return std::string();
    } else if (ops[*def].getKind() != OpKind::Quantize) {
      return std::string();
    }
    m.quantize = *def;
    const Operation &q = ops[m.quantize];

    // The integers must exist only for Dequantize ops (one, or several
    // with the same parameters: each becomes a FakeQuantization, and cse
    // merges them).
    if (m.clamp && !uses.soleUser(q.getResult()))
      return fmt::format("the Quantize's result t{} has other uses",
                         q.getResult());
    auto qp = getQuantizeParams(q, graph.getType(q.getOperand(0)));
    if (!qp) {
      llvm::consumeError(qp.takeError());
      return std::string("its parameters do not verify");
    }
    if (std::string why = differences(graph, *qp, dq); !why.empty())
      return why;
    llvm::ArrayRef<size_t> users = uses.usersOf(integers);
    if (uses.numUses(integers) != users.size() ||
        llvm::any_of(users, [&](size_t u) {
          return ops[u].getKind() != OpKind::Dequantize;
        }))
      return fmt::format("its integers t{} have other uses", integers);
    for (size_t u : users)
      if (u != i && !differences(graph, *qp, ops[u]).empty())
        return fmt::format("its integers t{} also go to Dequantize t{}, "
                           "which differs",
                           integers, ops[u].getResult());

    m.qmin = qp->qmin;
    m.qmax = qp->qmax;
    if (m.clamp) {
      auto cp = getClampParams(ops[*m.clamp], qp->intType);
      if (!cp) {
        llvm::consumeError(cp.takeError());
        return std::string("its Clamp does not verify");
      }
      if (cp->min)
        m.qmin = std::max(m.qmin, static_cast<int64_t>(*cp->min));
      if (cp->max)
        m.qmax = std::min(m.qmax, static_cast<int64_t>(*cp->max));
    }
    if (m.qmin >= m.qmax)
      return fmt::format("the grid [{}, {}] has fewer than two levels",
                         m.qmin, m.qmax);
    if (m.qmin < -kMaxGrid || m.qmax > kMaxGrid)
      return fmt::format("the grid [{}, {}] is wider than FakeQuantization's "
                         "[-2^24, 2^24]",
                         m.qmin, m.qmax);
    for (int64_t zp : qp->zeroPoints)
      if (zp < m.qmin || zp > m.qmax)
        return fmt::format("zero point {} lies outside the grid [{}, {}]", zp,
                           m.qmin, m.qmax);
    m.params = std::move(*qp);
    return m;
  }
};

} // namespace

std::unique_ptr<Pass> createQdqToFakeQuantPass() {
  return std::make_unique<QdqToFakeQuant>();
}

} // namespace qjit
