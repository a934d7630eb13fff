//===- OnnxLinearOps.cpp - Reductions, normalization and products ---------===//
//
// Reductions, Softmax, BatchNormalization, Gemm and MatMul.
// Each translator emits the qjit ops that compute what the ONNX op defines
// (docs/onnx-import.md); the table at the end names them.
//
//===----------------------------------------------------------------------===//
#include "OnnxNode.h"
#include "Support/MakeError.h"
#include "llvm/Support/MathExtras.h"
#include <array>
#include <cmath>
#include <limits>

namespace qjit::onnx_import {

namespace {

using Results = llvm::SmallVectorImpl<ValueId>;

//===----------------------------------------------------------------------===//
// Reductions, softmax
//===----------------------------------------------------------------------===//

// ReduceX: axes as an attribute, or as an optional input from opset
// `axesInputSince` on (13 for ReduceSum, 18 for the others).
template <OpKind Kind, int64_t AxesInputSince>
llvm::Error reduce(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  std::optional<std::vector<int64_t>> axes;
  if (node.opset() >= AxesInputSince) {
    if (node.attr("axes"))
      return makeError("attribute 'axes' is an input from opset {} on",
                       AxesInputSince);
    if (node.hasInput(1)) {
      auto v = node.intsInput(1);
      if (!v)
        return v.takeError();
      axes = std::move(*v);
    }
  } else {
    auto v = node.optionalInts("axes");
    if (!v)
      return v.takeError();
    axes = std::move(*v);
  }
  auto keepDims = node.getInt("keepdims", 1);
  if (!keepDims)
    return keepDims.takeError();
  auto noop = node.getInt("noop_with_empty_axes", 0);
  if (!noop)
    return noop.takeError();
  if ((!axes || axes->empty()) && *noop) {
    results.push_back(*x);
    return llvm::Error::success();
  }
  AttrList attrs;
  int64_t rank = node.type(*x).rank();
  if (axes && !axes->empty()) {
    std::vector<int64_t> normalized;
    for (int64_t a : *axes) {
      auto n = onnxAxis(a, rank);
      if (!n)
        return n.takeError();
      if (llvm::is_contained(normalized, *n))
        return makeError("axis {} appears twice", *n);
      normalized.push_back(*n);
    }
    llvm::sort(normalized);
    attrs.push_back({"axes", normalized});
  }
  attrs.push_back({"keep_dims", *keepDims != 0});
  return pushResult(node.ctx.create(Kind, {*x}, std::move(attrs)), results);
}

// Softmax/LogSoftmax: one axis from opset 13 on; before, the input was
// flattened to 2-D at `axis` (default 1), the same only for the last axis.
template <OpKind Kind> llvm::Error softmax(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  int64_t rank = node.type(*x).rank();
  auto axisAttr = node.getInt("axis", node.opset() >= 13 ? -1 : 1);
  if (!axisAttr)
    return axisAttr.takeError();
  auto axis = onnxAxis(*axisAttr, rank);
  if (!axis)
    return axis.takeError();
  if (node.opset() < 13 && *axis != rank - 1)
    return makeError("before opset 13, axis {} flattens the input to 2-D; "
                     "only the last axis ({}) is supported",
                     *axis, rank - 1);
  return pushResult(node.ctx.create(Kind, {*x}, {{"axis", *axis}}), results);
}

//===----------------------------------------------------------------------===//
// BatchNormalization, Gemm, MatMul
//===----------------------------------------------------------------------===//

// y = x * a + b per channel, with a and b computed in float32 exactly as
// PyTorch's CPU inference does: invstd = 1 / sqrt(var + eps),
// a = gamma * invstd, b = beta - mean * a.
llvm::Error batchNormalization(OnnxNode &node, Results &results) {
  if (llvm::Error err =
          onlyFirstOutput(node, "a training-mode output (running statistics)"))
    return err;
  auto training = node.getInt("training_mode", 0);
  if (!training)
    return training.takeError();
  if (*training != 0)
    return makeError("training_mode={} is not supported (inference only)",
                     *training);
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  const TensorType &xt = node.type(*x);
  if (xt.rank() < 2)
    return makeError("the input must have rank >= 2, got {}", xt.toString());
  if (xt.elementType != DataType::Float32)
    return makeError("the input must be FLOAT, got {}",
                     dataTypeName(xt.elementType).str());
  int64_t channels = xt.shape[1];
  const char *names[4] = {"scale", "B", "input_mean", "input_var"};
  Tensor params[4];
  for (unsigned i = 0; i < 4; ++i) {
    auto t = node.constantInput(i + 1);
    if (!t)
      return t.takeError();
    if (t->elementType() != DataType::Float32 || t->getType().rank() != 1 ||
        t->numElements() != channels)
      return makeError("{} must be FLOAT [{}], got {}", names[i], channels,
                       t->getType().toString());
    params[i] = std::move(*t);
  }
  auto eps = node.getFloat("epsilon", 1e-5f);
  if (!eps)
    return eps.takeError();
  Shape shape(size_t(xt.rank() - 1), int64_t(1));
  shape[0] = channels;
  Tensor a(TensorType{DataType::Float32, shape});
  Tensor b(TensorType{DataType::Float32, shape});
  const float *gamma = params[0].as<float>(), *beta = params[1].as<float>(),
              *mean = params[2].as<float>(), *var = params[3].as<float>();
  for (int64_t c = 0; c < channels; ++c) {
    float invstd = 1.0f / std::sqrt(var[c] + *eps);
    float alpha = invstd * gamma[c];
    a.as<float>()[c] = alpha;
    b.as<float>()[c] = beta[c] - mean[c] * alpha;
  }
  auto ac = node.ctx.constant(a);
  if (!ac)
    return ac.takeError();
  auto scaled = node.ctx.create(OpKind::Multiply, {*x, *ac});
  if (!scaled)
    return scaled.takeError();
  auto bc = node.ctx.constant(b);
  if (!bc)
    return bc.takeError();
  return pushResult(node.ctx.create(OpKind::Add, {*scaled, *bc}), results);
}

llvm::Error gemm(OnnxNode &node, Results &results) {
  ImportContext &ctx = node.ctx;
  ValueId operands[2];
  const char *flags[2] = {"transA", "transB"};
  for (unsigned i = 0; i < 2; ++i) {
    auto v = node.input(i);
    if (!v)
      return v.takeError();
    if (node.type(*v).rank() != 2)
      return makeError("input {} must have rank 2, got {}", i,
                       node.type(*v).toString());
    auto trans = node.getInt(flags[i], 0);
    if (!trans)
      return trans.takeError();
    operands[i] = *v;
    if (*trans) {
      auto t = ctx.create(OpKind::Transpose, {*v},
                          {{"perm", std::vector<int64_t>{1, 0}}});
      if (!t)
        return t.takeError();
      operands[i] = *t;
    }
  }
  auto y = ctx.create(OpKind::MatMul, {operands[0], operands[1]});
  if (!y)
    return y.takeError();
  DataType type = node.type(*y).elementType;
  auto alpha = node.getFloat("alpha", 1.0f);
  if (!alpha)
    return alpha.takeError();
  if (*alpha != 1.0f) {
    auto a = ctx.scalar(type, *alpha);
    if (!a)
      return a.takeError();
    y = ctx.create(OpKind::Multiply, {*y, *a});
    if (!y)
      return y.takeError();
  }
  auto c = node.optionalInput(2);
  if (!c)
    return c.takeError();
  auto beta = node.getFloat("beta", 1.0f);
  if (!beta)
    return beta.takeError();
  if (*c && *beta != 0.0f) {
    ValueId term = **c;
    if (*beta != 1.0f) {
      auto b = ctx.scalar(type, *beta);
      if (!b)
        return b.takeError();
      auto scaled = ctx.create(OpKind::Multiply, {term, *b});
      if (!scaled)
        return scaled.takeError();
      term = *scaled;
    }
    Shape product = node.type(*y).shape;
    y = ctx.create(OpKind::Add, {*y, term});
    // C broadcasts to A * B's shape, never the other way.
    if (y && node.type(*y).shape != product)
      return makeError("C ({}) does not broadcast to the product's shape {}",
                       node.type(term).toString(), shapeToString(product));
  }
  return pushResult(std::move(y), results);
}

// MatMul with NumPy's 1-D rules: a 1-D operand gets a dimension of 1 added
// (before for a, after for b), removed again from the result.
llvm::Error matMul(OnnxNode &node, Results &results) {
  ImportContext &ctx = node.ctx;
  auto a = node.input(0);
  if (!a)
    return a.takeError();
  auto b = node.input(1);
  if (!b)
    return b.takeError();
  TensorType at = node.type(*a), bt = node.type(*b);
  if (at.rank() == 0 || bt.rank() == 0)
    return makeError("MatMul operands must have rank >= 1");
  ValueId lhs = *a, rhs = *b;
  if (at.rank() == 1) {
    auto r = ctx.reshape(lhs, {1, at.shape[0]});
    if (!r)
      return r.takeError();
    lhs = *r;
  }
  if (bt.rank() == 1) {
    auto r = ctx.reshape(rhs, {bt.shape[0], 1});
    if (!r)
      return r.takeError();
    rhs = *r;
  }
  auto y = ctx.create(OpKind::MatMul, {lhs, rhs});
  if (!y)
    return y.takeError();
  if (at.rank() == 1 || bt.rank() == 1) {
    Shape shape = node.type(*y).shape;
    if (bt.rank() == 1)
      shape.erase(shape.end() - 1);
    if (at.rank() == 1)
      shape.erase(shape.end() - (bt.rank() == 1 ? 1 : 2));
    y = ctx.reshape(*y, shape);
  }
  return pushResult(std::move(y), results);
}

} // namespace

const std::vector<OpTranslation> &linearTranslations() {
  static const std::vector<OpTranslation> table = {
      {"ReduceMean", 7, reduce<OpKind::ReduceMean, 18>,
       {"axes", "keepdims", "noop_with_empty_axes"}},
      {"ReduceSum", 7, reduce<OpKind::ReduceSum, 13>,
       {"axes", "keepdims", "noop_with_empty_axes"}},
      {"ReduceMax", 7, reduce<OpKind::ReduceMax, 18>,
       {"axes", "keepdims", "noop_with_empty_axes"}},
      {"ReduceMin", 7, reduce<OpKind::ReduceMin, 18>,
       {"axes", "keepdims", "noop_with_empty_axes"}},
      {"Softmax", 7, softmax<OpKind::Softmax>, {"axis"}},
      {"LogSoftmax", 7, softmax<OpKind::LogSoftmax>, {"axis"}},
      {"BatchNormalization",
       9,
       batchNormalization,
       {"epsilon", "momentum", "training_mode"}},
      {"Gemm", 7, gemm, {"alpha", "beta", "transA", "transB"}},
      {"MatMul", 7, matMul, {}},
  };
  return table;
}

} // namespace qjit::onnx_import
