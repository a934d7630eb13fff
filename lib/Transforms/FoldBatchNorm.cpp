//===- FoldBatchNorm.cpp - Batch normalization into the convolution -------===//
//
// An ONNX BatchNormalization after a convolution is imported as a Multiply
// and an Add by per-channel constants; PyTorch's QAT ConvBn export divides by
// a third one first:
//
//   p  = Conv2D(x, W[, bias])
//   [p = Divide(p, Constant d)]
//   p  = Multiply(p, Constant a)     (either operand order)
//   y  = Add(p, Constant b)          (either operand order)
//
// d, a and b are Float32 Constants with one value per output channel or one
// in all: shapes [], [1], [C, 1, 1], [1, C, 1, 1] (any shape that broadcasts
// along the channel dimension of NCHW alone), every intermediate value must
// have its one use in the chain, and no step may change the result type.
// With m[c] = a[c] / d[c] (d = 1 when absent):
//
// * W a plain Float32 Constant (and the bias, if any, one too): the chain
//   folds into the weights, y = Conv2D(x, W', bias') with
//     W'[o, ...] = fl(W[o, ...] * m[o]),  bias'[o] = fl(bias[o] * m[o] + b[o])
//   computed in double and rounded once to float. The result differs from
//   the chain's by rounding only: each product of the sum rounds with W'
//   instead of after the sum.
//
// * W anything else (fake-quantized weights: FakeQuantization(Constant) or
//   Dequantize(Quantize(Constant)), or a computed value): W must stay on its
//   grid, so only the scalars fold: the Divide and Multiply become one
//   Multiply and the conv's own bias moves into the Add,
//     y = Add(Multiply(Conv2D(x, W), m'), c)
//   with m' = fl(a / d) and c = fl(bias * (a / d) + b), computed in double.
//   This reassociates ((p + bias) / d) * a + b into p * m' + c, which changes
//   the result by rounding only (relative to the size of the terms, not of y
//   when they cancel). It is done only when there is a Divide or a bias to
//   fold.
//
// The new constants are [1, C, 1, 1]. A chain that starts to match but
// cannot be folded (other uses, operands that are not constants, shapes
// that are not per channel, non-constant bias) is left alone with a remark.
// MatMul followed by a per-column Multiply/Add is not handled yet.
//
//===----------------------------------------------------------------------===//
#include "RewriteUtils.h"
#include "qjit/Transforms/Passes.h"
#include <fmt/format.h>
#include <map>
#include <variant>

namespace qjit {
namespace {

struct Chain {
  size_t conv = 0;
  std::optional<size_t> divide;
  size_t multiply = 0, add = 0;
  std::vector<double> d, a, b; // C values each (d all 1 when absent)
  std::optional<std::vector<double>> bias;
  std::optional<std::vector<double>> weights; // case 1: W is a Constant
  llvm::SmallVector<ValueId, 6> constants;    // to erase when dead
};

using MatchResult = std::variant<Chain, std::string>;

class FoldBatchNorm : public GraphPass {
public:
  llvm::StringRef getName() const override { return "fold-batch-norm"; }

  llvm::Error runOnGraph(Graph &graph) override {
    rewrite::UseMap uses(graph);
    std::vector<Chain> chains;
    const std::vector<Operation> &ops = graph.getOps();
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].getKind() != OpKind::Conv2D)
        continue;
      MatchResult m = match(graph, uses, i);
      if (auto *chain = std::get_if<Chain>(&m))
        chains.push_back(std::move(*chain));
      else if (!std::get<std::string>(m).empty())
        remark(ops[i].getLoc(),
               fmt::format("Conv2D t{} keeps its batch norm: {}",
                           ops[i].getResult(), std::get<std::string>(m)));
    }
    if (chains.empty())
      return llvm::Error::success();

    // Each chain rewrites ops in place and asks for constants before its
    // conv; the ops it no longer needs are erased at the end.
    std::map<size_t, std::vector<Operation>> before;
    llvm::DenseSet<ValueId> erased;
    llvm::DenseMap<ValueId, ValueId> replacement;
    std::vector<ValueId> candidates;
    for (const Chain &chain : chains) {
      auto err = chain.weights
                     ? foldIntoWeights(graph, chain, before[chain.conv],
                                       erased, replacement)
                     : foldScalars(graph, chain, before[chain.conv], erased);
      if (err)
        return err;
      candidates.insert(candidates.end(), chain.constants.begin(),
                        chain.constants.end());
    }
    std::vector<Operation> old = std::move(graph.getOps());
    std::vector<Operation> &ops2 = graph.getOps();
    ops2.clear();
    for (size_t i = 0; i < old.size(); ++i) {
      if (auto it = before.find(i); it != before.end())
        for (Operation &op : it->second)
          ops2.push_back(std::move(op));
      ops2.push_back(std::move(old[i]));
    }
    rewrite::replaceUses(graph, replacement);
    rewrite::eraseOps(graph, erased, candidates);
    return llvm::Error::success();
  }

private:
  // One value per output channel from a Float32 Constant that broadcasts
  // along the channel dimension of `result` only.
  std::optional<std::vector<double>>
  perChannel(const Graph &graph, const rewrite::UseMap &uses, ValueId v,
             const TensorType &result) const {
    const TensorType &type = graph.getType(v);
    if (type.elementType != DataType::Float32 || type.rank() > result.rank())
      return std::nullopt;
    int64_t channels = result.shape[1];
    int64_t offset = result.rank() - type.rank();
    bool perChannelShape = false;
    for (int64_t k = 0; k < type.rank(); ++k) {
      int64_t dim = type.shape[k];
      if (dim == 1)
        continue;
      if (k + offset != 1 || dim != channels)
        return std::nullopt;
      perChannelShape = true;
    }
    auto values = rewrite::floatConstant(graph, v, uses.defOf(graph, v));
    if (!values)
      return std::nullopt;
    if (!perChannelShape)
      return std::vector<double>(channels, values->front());
    return values;
  }

  // The other operand of a binary op using `value`, or nothing.
  static std::optional<ValueId> otherOperand(const Operation &op,
                                             ValueId value, bool commutes) {
    if (op.getOperand(0) == value && op.getOperand(1) != value)
      return op.getOperand(1);
    if (commutes && op.getOperand(1) == value && op.getOperand(0) != value)
      return op.getOperand(0);
    return std::nullopt;
  }

  MatchResult match(const Graph &graph, const rewrite::UseMap &uses,
                    size_t convIndex) const {
    const std::vector<Operation> &ops = graph.getOps();
    const Operation &conv = ops[convIndex];
    Chain chain;
    chain.conv = convIndex;
    const TensorType &type = graph.getType(conv.getResult());
    if (type.elementType != DataType::Float32 || type.rank() != 4)
      return std::string();
    int64_t channels = type.shape[1];

    // Follows `value` to its sole user if it has kind `kind`; a reason
    // otherwise ("" when the chain does not even start).
    ValueId value = conv.getResult();
    if (uses.numUses(value) > 1)
      for (size_t user : uses.usersOf(value))
        if (ops[user].getKind() == OpKind::Divide ||
            ops[user].getKind() == OpKind::Multiply)
          return fmt::format("t{} has other uses than its {}", value,
                             ops[user].getName().str());
    auto next = [&](OpKind kind, bool commutes, bool started,
                    std::vector<double> &out, size_t &index) -> std::string {
      auto user = uses.soleUser(value);
      if (!user || ops[*user].getKind() != kind) {
        if (!started)
          return "-";
        if (uses.numUses(value) > 1)
          return fmt::format("t{} has other uses", value);
        return fmt::format("t{} does not go to {}", value,
                           opName(kind).str());
      }
      const Operation &op = ops[*user];
      auto other = otherOperand(op, value, commutes);
      if (!other)
        return fmt::format("{} t{} does not take t{} as expected",
                           op.getName().str(), op.getResult(), value);
      if (graph.getType(op.getResult()) != type)
        return fmt::format("{} t{} changes the type to {}",
                           op.getName().str(), op.getResult(),
                           graph.getType(op.getResult()).toString());
      auto values = perChannel(graph, uses, *other, type);
      if (!values)
        return fmt::format("t{} is not a Float32 Constant with one value "
                           "per channel",
                           *other);
      out = std::move(*values);
      index = *user;
      chain.constants.push_back(*other);
      value = op.getResult();
      return "";
    };

    size_t index = 0;
    std::string why;
    if (auto user = uses.soleUser(value);
        user && ops[*user].getKind() == OpKind::Divide) {
      why = next(OpKind::Divide, false, true, chain.d, index);
      if (!why.empty())
        return why;
      chain.divide = index;
    } else {
      chain.d.assign(channels, 1.0);
    }
    why = next(OpKind::Multiply, true, chain.divide.has_value(), chain.a,
               chain.multiply);
    if (why == "-")
      return std::string(); // a conv without a batch norm
    if (!why.empty())
      return why;
    why = next(OpKind::Add, true, true, chain.b, chain.add);
    if (!why.empty())
      return why;

    if (conv.getNumOperands() == 3) {
      ValueId bias = conv.getOperand(2);
      chain.bias =
          rewrite::floatConstant(graph, bias, uses.defOf(graph, bias));
      if (!chain.bias || graph.getType(bias).elementType != DataType::Float32)
        return fmt::format("its bias t{} is not a Float32 Constant", bias);
      chain.constants.push_back(bias);
    }
    ValueId w = conv.getOperand(1);
    if (graph.getType(w).elementType == DataType::Float32) {
      chain.weights = rewrite::floatConstant(graph, w, uses.defOf(graph, w));
      if (chain.weights)
        chain.constants.push_back(w);
    }
    if (!chain.weights && !chain.divide && !chain.bias)
      return std::string(); // already conv -> Multiply -> Add
    return chain;
  }

  // Case 1: y = Conv2D(x, W', bias').
  llvm::Error foldIntoWeights(Graph &graph, const Chain &chain,
                              std::vector<Operation> &newConstants,
                              llvm::DenseSet<ValueId> &erased,
                              llvm::DenseMap<ValueId, ValueId> &replacement) {
    Operation &conv = graph.getOps()[chain.conv];
    const TensorType wType = graph.getType(conv.getOperand(1));
    int64_t channels = wType.shape[0];
    int64_t inner = wType.numElements() / std::max<int64_t>(channels, 1);
    auto w = Tensor::allocate(wType);
    if (!w)
      return w.takeError();
    auto bias = Tensor::allocate(TensorType{DataType::Float32, {channels}});
    if (!bias)
      return bias.takeError();
    for (int64_t o = 0; o < channels; ++o) {
      double m = chain.a[o] / chain.d[o];
      for (int64_t k = 0; k < inner; ++k) {
        int64_t i = o * inner + k;
        w->as<float>()[i] = static_cast<float>((*chain.weights)[i] * m);
      }
      double b0 = chain.bias ? (*chain.bias)[o] : 0.0;
      bias->as<float>()[o] = static_cast<float>(b0 * m + chain.b[o]);
    }
    auto wConst = rewrite::makeDataConstant(graph, *w, conv.getLoc());
    if (!wConst)
      return wConst.takeError();
    auto bConst = rewrite::makeDataConstant(graph, *bias, conv.getLoc());
    if (!bConst)
      return bConst.takeError();
    llvm::SmallVector<ValueId, 4> operands{conv.getOperand(0),
                                           wConst->getResult(),
                                           bConst->getResult()};
    conv = Operation(OpKind::Conv2D, operands, {conv.getResult()},
                     conv.getAttrs(), conv.getLoc());
    newConstants.push_back(std::move(*wConst));
    newConstants.push_back(std::move(*bConst));
    const std::vector<Operation> &ops = graph.getOps();
    replacement[ops[chain.add].getResult()] = conv.getResult();
    if (chain.divide)
      erased.insert(ops[*chain.divide].getResult());
    erased.insert(ops[chain.multiply].getResult());
    erased.insert(ops[chain.add].getResult());
    return llvm::Error::success();
  }

  // Case 2: y = Add(Multiply(Conv2D(x, W), m), c).
  llvm::Error foldScalars(Graph &graph, const Chain &chain,
                          std::vector<Operation> &newConstants,
                          llvm::DenseSet<ValueId> &erased) {
    std::vector<Operation> &ops = graph.getOps();
    Operation &conv = ops[chain.conv];
    int64_t channels = graph.getType(conv.getResult()).shape[1];
    TensorType vecType{DataType::Float32, {1, channels, 1, 1}};
    auto m = Tensor::allocate(vecType);
    if (!m)
      return m.takeError();
    auto c = Tensor::allocate(vecType);
    if (!c)
      return c.takeError();
    for (int64_t o = 0; o < channels; ++o) {
      double factor = chain.a[o] / chain.d[o];
      m->as<float>()[o] = static_cast<float>(factor);
      double b0 = chain.bias ? (*chain.bias)[o] : 0.0;
      c->as<float>()[o] = static_cast<float>(b0 * factor + chain.b[o]);
    }
    auto mConst = rewrite::makeDataConstant(graph, *m, conv.getLoc());
    if (!mConst)
      return mConst.takeError();
    auto cConst = rewrite::makeDataConstant(graph, *c, conv.getLoc());
    if (!cConst)
      return cConst.takeError();
    if (conv.getNumOperands() == 3)
      conv = Operation(OpKind::Conv2D, {conv.getOperand(0), conv.getOperand(1)},
                       {conv.getResult()}, conv.getAttrs(), conv.getLoc());
    Operation &mul = ops[chain.multiply];
    mul = Operation(OpKind::Multiply, {conv.getResult(), mConst->getResult()},
                    {mul.getResult()}, {}, mul.getLoc());
    Operation &add = ops[chain.add];
    add = Operation(OpKind::Add, {mul.getResult(), cConst->getResult()},
                    {add.getResult()}, {}, add.getLoc());
    if (chain.divide)
      erased.insert(ops[*chain.divide].getResult());
    newConstants.push_back(std::move(*mConst));
    newConstants.push_back(std::move(*cConst));
    return llvm::Error::success();
  }
};

} // namespace

std::unique_ptr<Pass> createFoldBatchNormPass() {
  return std::make_unique<FoldBatchNorm>();
}

} // namespace qjit
