//===- FoldBatchNorm.cpp - Batch normalization into the product -----------===//
//
// An ONNX BatchNormalization after a convolution is imported as a Multiply
// and an Add by per-channel constants; PyTorch's QAT ConvBn export divides by
// a third one first; a Gemm (MatMul and a bias Add) followed by a
// BatchNormalization1d gives the same chain per output column:
//
//   p  = Conv2D(x, W[, bias]) | MatMul(x, W)
//   [p = Add(p, Constant c0)]        a bias, only when a Divide or Multiply
//                                    follows
//   [p = Divide(p, Constant d)]
//   p  = Multiply(p, Constant a)     (either operand order)
//   y  = Add(p, Constant b)          (either operand order)
//
// The constants are Float32 with one value per output channel (Conv2D: NCHW's
// C) or column (MatMul: the last dimension), or one in all: any shape that
// broadcasts along that dimension alone ([], [1], [C, 1, 1], [1, C, 1, 1] for
// Conv2D; [], [N], [1, N] for MatMul). Every intermediate value must have its
// one use in the chain, and no step may change the result type. With
// m[c] = a[c] / d[c] (d = 1 when absent) and bias = the conv's bias + c0:
//
// * W a plain Float32 Constant (a matrix [K, N] for MatMul): the scaling
//   folds into the weights, W'[o] = fl(W[o] * m[o]) along the output
//   channel / column, bias' = fl(bias * m + b), computed in double and
//   rounded once to float: y = Conv2D(x, W', bias'), or
//   y = Add(MatMul(x, W'), bias'). The result differs from the chain's by
//   rounding only: each product of the sum rounds with W' instead of the
//   sum being scaled.
//
// * W anything else (fake-quantized weights: FakeQuantization(Constant) or
//   Dequantize(Quantize(Constant)), or a computed value): W must stay on its
//   grid, so only the per-channel factors fold: the Divide and Multiply
//   become one Multiply and the bias moves into the last Add,
//     y = Add(Multiply(Conv2D(x, W) | MatMul(x, W), m'), c)
//   with m' = fl(a / d) and c = fl(bias * (a / d) + b), computed in double.
//   This reassociates ((p + bias) / d) * a + b into p * m' + c, which changes
//   the result by rounding only (relative to the size of the terms, not of y
//   when they cancel). It is done only when there is a Divide or a bias to
//   fold.
//
// The new constants are [1, C, 1, 1] (Conv2D) or [N] (MatMul). A chain that
// starts to match but cannot be folded (other uses, operands that are not
// constants, shapes that are not per channel, a bias that is not a Constant,
// a d of zero, constants that are not finite or an a / d beyond float) is
// left alone with a remark.
//
//===----------------------------------------------------------------------===//
#include "RewriteUtils.h"
#include "qjit/Transforms/Passes.h"
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <variant>

namespace qjit {
namespace {

struct Chain {
  size_t product = 0;
  bool isConv = true;
  std::optional<size_t> leadAdd, divide;
  size_t multiply = 0, add = 0;
  int64_t channels = 0;
  std::vector<double> d, a, b; // C values each (d all 1 when absent)
  std::vector<double> bias;    // the conv's bias + c0 (zeros when absent)
  bool hasBias = false;
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
      if (ops[i].getKind() != OpKind::Conv2D &&
          ops[i].getKind() != OpKind::MatMul)
        continue;
      MatchResult m = match(graph, uses, i);
      if (auto *chain = std::get_if<Chain>(&m))
        chains.push_back(std::move(*chain));
      else if (!std::get<std::string>(m).empty())
        remark(ops[i].getLoc(),
               fmt::format("{} t{} keeps its batch norm: {}",
                           ops[i].getName().str(), ops[i].getResult(),
                           std::get<std::string>(m)));
    }
    if (chains.empty())
      return llvm::Error::success();

    // Each chain rewrites ops in place and asks for constants before its
    // product; the ops it no longer needs are erased at the end.
    std::map<size_t, std::vector<Operation>> before;
    llvm::DenseSet<ValueId> erased;
    llvm::DenseMap<ValueId, ValueId> replacement;
    std::vector<ValueId> candidates;
    for (const Chain &chain : chains) {
      if (auto err = fold(graph, chain, before[chain.product], erased,
                          replacement))
        return err;
      candidates.insert(candidates.end(), chain.constants.begin(),
                        chain.constants.end());
    }
    std::vector<Operation> old = std::move(graph.getOps());
    std::vector<Operation> &rebuilt = graph.getOps();
    rebuilt.clear();
    for (size_t i = 0; i < old.size(); ++i) {
      if (auto it = before.find(i); it != before.end())
        for (Operation &op : it->second)
          rebuilt.push_back(std::move(op));
      rebuilt.push_back(std::move(old[i]));
    }
    rewrite::replaceUses(graph, replacement);
    rewrite::eraseOps(graph, erased, candidates);
    return llvm::Error::success();
  }

private:
  // One value per channel from a Float32 Constant that broadcasts along
  // dimension `channelDim` of `result` only.
  static std::optional<std::vector<double>>
  perChannel(const Graph &graph, const rewrite::UseMap &uses, ValueId v,
             const TensorType &result, int64_t channelDim) {
    const TensorType &type = graph.getType(v);
    if (type.elementType != DataType::Float32 || type.rank() > result.rank())
      return std::nullopt;
    int64_t channels = result.shape[channelDim];
    int64_t offset = result.rank() - type.rank();
    bool perChannelShape = false;
    for (int64_t k = 0; k < type.rank(); ++k) {
      int64_t dim = type.shape[k];
      if (dim == 1)
        continue;
      if (k + offset != channelDim || dim != channels)
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

  static bool isScaling(const Operation &op) {
    return op.getKind() == OpKind::Divide || op.getKind() == OpKind::Multiply;
  }

  MatchResult match(const Graph &graph, const rewrite::UseMap &uses,
                    size_t productIndex) const {
    const std::vector<Operation> &ops = graph.getOps();
    const Operation &product = ops[productIndex];
    Chain chain;
    chain.product = productIndex;
    chain.isConv = product.getKind() == OpKind::Conv2D;
    const TensorType &type = graph.getType(product.getResult());
    if (type.elementType != DataType::Float32 ||
        (chain.isConv ? type.rank() != 4 : type.rank() < 1))
      return std::string();
    int64_t channelDim = chain.isConv ? 1 : type.rank() - 1;
    chain.channels = type.shape[channelDim];
    chain.bias.assign(chain.channels, 0.0);

    ValueId value = product.getResult();
    if (uses.numUses(value) > 1)
      for (size_t user : uses.usersOf(value))
        if (isScaling(ops[user]))
          return fmt::format("t{} has other uses than its {}", value,
                             ops[user].getName().str());

    // Follows `value` to its sole user, which must have kind `kind` and take
    // a per-channel constant; a reason otherwise.
    auto next = [&](OpKind kind, bool commutes, std::vector<double> &out,
                    size_t &index) -> std::string {
      auto user = uses.soleUser(value);
      if (!user || ops[*user].getKind() != kind) {
        if (uses.numUses(value) > 1)
          return fmt::format("t{} has other uses", value);
        return fmt::format("t{} does not go to {}", value, opName(kind).str());
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
      auto values = perChannel(graph, uses, *other, type, channelDim);
      if (!values)
        return fmt::format("t{} is not a Float32 Constant with one value "
                           "per {}",
                           *other, chain.isConv ? "channel" : "column");
      out = std::move(*values);
      index = *user;
      chain.constants.push_back(*other);
      value = op.getResult();
      return "";
    };
    auto soleUserKind = [&](ValueId v) -> std::optional<OpKind> {
      auto user = uses.soleUser(v);
      if (!user)
        return std::nullopt;
      return ops[*user].getKind();
    };

    // Where the chain starts: a bias Add counts only when a scaling follows.
    auto first = soleUserKind(value);
    if (!first)
      return std::string();
    if (*first == OpKind::Add) {
      const Operation &add = ops[*uses.soleUser(value)];
      auto then = soleUserKind(add.getResult());
      if (!then || (*then != OpKind::Divide && *then != OpKind::Multiply))
        return std::string(); // a bias, no batch norm after it
      std::vector<double> c0;
      size_t index = 0;
      if (std::string why = next(OpKind::Add, true, c0, index); !why.empty())
        return why;
      chain.leadAdd = index;
      for (int64_t c = 0; c < chain.channels; ++c)
        chain.bias[c] += c0[c];
      chain.hasBias = true;
    } else if (*first != OpKind::Divide && *first != OpKind::Multiply) {
      return std::string();
    }
    if (soleUserKind(value) == OpKind::Divide) {
      size_t index = 0;
      if (std::string why = next(OpKind::Divide, false, chain.d, index);
          !why.empty())
        return why;
      chain.divide = index;
    } else {
      chain.d.assign(chain.channels, 1.0);
    }
    if (std::string why = next(OpKind::Multiply, true, chain.a,
                               chain.multiply);
        !why.empty())
      return why;
    if (std::string why = next(OpKind::Add, true, chain.b, chain.add);
        !why.empty())
      return why;

    if (chain.isConv && product.getNumOperands() == 3) {
      ValueId bias = product.getOperand(2);
      auto values =
          rewrite::floatConstant(graph, bias, uses.defOf(graph, bias));
      if (!values || graph.getType(bias).elementType != DataType::Float32)
        return fmt::format("its bias t{} is not a Float32 Constant", bias);
      for (int64_t c = 0; c < chain.channels; ++c)
        chain.bias[c] += (*values)[c];
      chain.hasBias = true;
      chain.constants.push_back(bias);
    }
    ValueId w = product.getOperand(1);
    const TensorType &wType = graph.getType(w);
    if (wType.elementType == DataType::Float32 &&
        (chain.isConv || (wType.rank() == 2 &&
                          wType.shape[1] == chain.channels))) {
      chain.weights = rewrite::floatConstant(graph, w, uses.defOf(graph, w));
      if (chain.weights)
        chain.constants.push_back(w);
    }
    if (!chain.weights && !chain.divide && !chain.hasBias)
      return std::string(); // already product -> Multiply -> Add
    // Zeros, infinities or NaN would make the folded constants' NaN and
    // infinity pattern differ from the chain's.
    for (int64_t c = 0; c < chain.channels; ++c) {
      double m = chain.a[c] / chain.d[c];
      if (chain.d[c] == 0 || !std::isfinite(m) ||
          !std::isfinite(static_cast<float>(m)) ||
          !std::isfinite(chain.b[c]) || !std::isfinite(chain.bias[c]))
        return fmt::format("its constants are zero or not finite at {} {}",
                           chain.isConv ? "channel" : "column", c);
    }
    return chain;
  }

  llvm::Error fold(Graph &graph, const Chain &chain,
                   std::vector<Operation> &newConstants,
                   llvm::DenseSet<ValueId> &erased,
                   llvm::DenseMap<ValueId, ValueId> &replacement) const {
    std::vector<Operation> &ops = graph.getOps();
    int64_t channels = chain.channels;
    TensorType vecType{DataType::Float32, chain.isConv
                                              ? Shape{1, channels, 1, 1}
                                              : Shape{channels}};
    // m (exact, in double) and the new bias c = bias * m + b, in float.
    std::vector<double> m(channels);
    auto c = Tensor::allocate(vecType);
    if (!c)
      return c.takeError();
    for (int64_t o = 0; o < channels; ++o) {
      m[o] = chain.a[o] / chain.d[o];
      c->as<float>()[o] = static_cast<float>(chain.bias[o] * m[o] + chain.b[o]);
    }
    llvm::SMLoc loc = ops[chain.product].getLoc();
    for (std::optional<size_t> index : {chain.leadAdd, chain.divide})
      if (index)
        erased.insert(ops[*index].getResult());

    Operation &product = ops[chain.product];
    ValueId p = product.getResult();
    Operation &add = ops[chain.add];
    if (chain.weights) {
      // Case 1: the weights scaled along their output axis.
      const TensorType wType = graph.getType(product.getOperand(1));
      auto w = Tensor::allocate(wType);
      if (!w)
        return w.takeError();
      int64_t inner =
          chain.isConv ? wType.numElements() / std::max<int64_t>(channels, 1)
                       : 1;
      for (int64_t i = 0; i < wType.numElements(); ++i) {
        int64_t o = chain.isConv ? i / inner : i % channels;
        w->as<float>()[i] = static_cast<float>((*chain.weights)[i] * m[o]);
      }
      auto wConst = rewrite::makeDataConstant(graph, *w, loc);
      if (!wConst)
        return wConst.takeError();
      erased.insert(ops[chain.multiply].getResult());
      if (chain.isConv) {
        // Conv2D(x, W', c) with c as [C].
        TensorType biasType{DataType::Float32, {channels}};
        auto bias = Tensor::allocate(biasType);
        if (!bias)
          return bias.takeError();
        std::memcpy(bias->data(), c->data(), bias->sizeInBytes());
        auto bConst = rewrite::makeDataConstant(graph, *bias, loc);
        if (!bConst)
          return bConst.takeError();
        product = Operation(OpKind::Conv2D,
                            {product.getOperand(0), wConst->getResult(),
                             bConst->getResult()},
                            {p}, product.getAttrs(), loc);
        replacement[add.getResult()] = p;
        erased.insert(add.getResult());
        newConstants.push_back(std::move(*wConst));
        newConstants.push_back(std::move(*bConst));
        return llvm::Error::success();
      }
      // Add(MatMul(x, W'), c).
      auto cConst = rewrite::makeDataConstant(graph, *c, loc);
      if (!cConst)
        return cConst.takeError();
      product = Operation(OpKind::MatMul,
                          {product.getOperand(0), wConst->getResult()}, {p},
                          product.getAttrs(), loc);
      add = Operation(OpKind::Add, {p, cConst->getResult()},
                      {add.getResult()}, {}, add.getLoc());
      newConstants.push_back(std::move(*wConst));
      newConstants.push_back(std::move(*cConst));
      return llvm::Error::success();
    }

    // Case 2: Add(Multiply(product without bias, m'), c).
    auto mTensor = Tensor::allocate(vecType);
    if (!mTensor)
      return mTensor.takeError();
    for (int64_t o = 0; o < channels; ++o)
      mTensor->as<float>()[o] = static_cast<float>(m[o]);
    auto mConst = rewrite::makeDataConstant(graph, *mTensor, loc);
    if (!mConst)
      return mConst.takeError();
    auto cConst = rewrite::makeDataConstant(graph, *c, loc);
    if (!cConst)
      return cConst.takeError();
    if (chain.isConv && product.getNumOperands() == 3)
      product = Operation(OpKind::Conv2D,
                          {product.getOperand(0), product.getOperand(1)}, {p},
                          product.getAttrs(), loc);
    Operation &mul = ops[chain.multiply];
    mul = Operation(OpKind::Multiply, {p, mConst->getResult()},
                    {mul.getResult()}, {}, mul.getLoc());
    add = Operation(OpKind::Add, {mul.getResult(), cConst->getResult()},
                    {add.getResult()}, {}, add.getLoc());
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
