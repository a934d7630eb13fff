//===- OnnxOps.cpp - Arithmetic, quantization and NN ops from ONNX --------===//
//
// One translator per ONNX op type and the table naming them. Each emits the
// qjit ops that compute what the ONNX op defines (docs/onnx-import.md).
//
//===----------------------------------------------------------------------===//
#include "OnnxNode.h"
#include "Support/MakeError.h"
#include "llvm/Support/MathExtras.h"
#include <cmath>

namespace qjit::onnx_import {

namespace {

using Results = llvm::SmallVectorImpl<ValueId>;

// Appends the result of `v` (an op just created) to `results`.
llvm::Error push(llvm::Expected<ValueId> v, Results &results) {
  if (!v)
    return v.takeError();
  results.push_back(*v);
  return llvm::Error::success();
}

llvm::Error onlyFirstOutput(OnnxNode &node, llvm::StringRef what) {
  for (unsigned i = 1; i < node.numOutputs(); ++i)
    if (node.wantsOutput(i))
      return makeError("output {} ('{}', {}) is not supported", i,
                       node.proto.output(i), what.str());
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <OpKind Kind> llvm::Error binary(OnnxNode &node, Results &results) {
  auto a = node.input(0);
  if (!a)
    return a.takeError();
  auto b = node.input(1);
  if (!b)
    return b.takeError();
  return push(node.ctx.create(Kind, {*a, *b}), results);
}

template <OpKind Kind> llvm::Error unary(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  return push(node.ctx.create(Kind, {*x}), results);
}

llvm::Error leakyRelu(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto alpha = node.getFloat("alpha", 0.01f);
  if (!alpha)
    return alpha.takeError();
  return push(node.ctx.create(OpKind::LeakyReLU, {*x},
                              {{"alpha", double(*alpha)}}),
              results);
}

// max(0, min(1, alpha * x + beta)) as Multiply, Add and Clamp.
llvm::Expected<ValueId> hardSigmoid(OnnxNode &node, ValueId x, float alpha,
                                    float beta) {
  DataType type = node.type(x).elementType;
  auto a = node.ctx.scalar(type, alpha);
  if (!a)
    return a.takeError();
  auto ax = node.ctx.create(OpKind::Multiply, {x, *a});
  if (!ax)
    return ax.takeError();
  auto b = node.ctx.scalar(type, beta);
  if (!b)
    return b.takeError();
  auto sum = node.ctx.create(OpKind::Add, {*ax, *b});
  if (!sum)
    return sum.takeError();
  return node.ctx.create(OpKind::Clamp, {*sum},
                         {{"min", 0.0}, {"max", 1.0}});
}

llvm::Error hardSigmoidOp(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto alpha = node.getFloat("alpha", 0.2f);
  if (!alpha)
    return alpha.takeError();
  auto beta = node.getFloat("beta", 0.5f);
  if (!beta)
    return beta.takeError();
  return push(hardSigmoid(node, *x, *alpha, *beta), results);
}

// x * HardSigmoid(alpha = 1/6, beta = 0.5)(x).
llvm::Error hardSwish(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto gate = hardSigmoid(node, *x, 1.0f / 6.0f, 0.5f);
  if (!gate)
    return gate.takeError();
  return push(node.ctx.create(OpKind::Multiply, {*x, *gate}), results);
}

// Clip: bounds as attributes before opset 11, as optional constant inputs
// from then on; no bound at all is the identity.
llvm::Error clip(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  std::optional<double> bounds[2];
  if (node.opset() < 11) {
    const char *names[2] = {"min", "max"};
    for (int i = 0; i < 2; ++i) {
      auto f = node.optionalFloat(names[i]);
      if (!f)
        return f.takeError();
      if (*f)
        bounds[i] = double(**f);
    }
  } else {
    for (unsigned i = 0; i < 2; ++i) {
      if (!node.hasInput(i + 1))
        continue;
      auto v = node.scalarInput(i + 1);
      if (!v)
        return v.takeError();
      bounds[i] = *v;
    }
  }
  if (!bounds[0] && !bounds[1]) {
    results.push_back(*x);
    return llvm::Error::success();
  }
  AttrList attrs;
  if (bounds[0])
    attrs.push_back({"min", *bounds[0]});
  if (bounds[1])
    attrs.push_back({"max", *bounds[1]});
  return push(node.ctx.create(OpKind::Clamp, {*x}, std::move(attrs)), results);
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

// The scale and zero point of QuantizeLinear / DequantizeLinear as the
// attributes of Quantize / Dequantize (and the integer type).
struct QuantAttrs {
  AttrList attrs;
  DataType intType;
};

llvm::Expected<QuantAttrs> quantAttrs(OnnxNode &node, ValueId x,
                                      std::optional<DataType> intType) {
  auto scale = node.constantInput(1);
  if (!scale)
    return scale.takeError();
  if (scale->elementType() != DataType::Float32)
    return makeError("the scale must be FLOAT, got {}",
                     dataTypeName(scale->elementType()).str());
  if (scale->getType().rank() > 1)
    return makeError("the scale must have rank 0 or 1, got {}",
                     scale->getType().toString());
  auto axisAttr = node.getInt("axis", 1);
  if (!axisAttr)
    return axisAttr.takeError();
  int64_t count = scale->numElements();
  // One value (rank 0, or rank 1 with one element: PyTorch exports [1]) is
  // per tensor.
  bool perAxis = scale->getType().rank() == 1 && count != 1;
  std::optional<int64_t> axis;
  if (perAxis) {
    if (node.opset() < 13)
      return makeError("per-axis scales need opset 13 or newer");
    auto a = onnxAxis(*axisAttr, node.type(x).rank());
    if (!a)
      return a.takeError();
    axis = *a;
    if (node.type(x).shape[*axis] != count)
      return makeError("{} scales for axis {} of size {}", count, *axis,
                       node.type(x).shape[*axis]);
  }
  std::vector<int64_t> zeroPoints(count, 0);
  DataType type = intType.value_or(DataType::UInt8);
  if (node.hasInput(2)) {
    auto zp = node.constantInput(2);
    if (!zp)
      return zp.takeError();
    if (zp->numElements() != count || zp->getType().rank() > 1)
      return makeError("the zero point ({}) must have the scale's shape ({})",
                       zp->getType().toString(), scale->getType().toString());
    type = zp->elementType();
    if (intType && type != *intType)
      return makeError("the zero point is {} but the input is {}",
                       dataTypeName(type).str(), dataTypeName(*intType).str());
    for (int64_t i = 0; i < count; ++i) {
      switch (type) {
      case DataType::UInt8:
        zeroPoints[i] = zp->as<uint8_t>()[i];
        break;
      case DataType::Int8:
        zeroPoints[i] = zp->as<int8_t>()[i];
        break;
      case DataType::Int32:
        zeroPoints[i] = zp->as<int32_t>()[i];
        break;
      default:
        return makeError("the zero point must be UINT8, INT8 or INT32, got {}",
                         dataTypeName(type).str());
      }
    }
  }
  QuantAttrs q;
  q.intType = type;
  auto scales = scale->values<float>();
  if (axis) {
    q.attrs.push_back(
        {"scale", std::vector<double>(scales.begin(), scales.end())});
    q.attrs.push_back({"zero_point", zeroPoints});
    q.attrs.push_back({"axis", *axis});
  } else {
    q.attrs.push_back({"scale", double(scales[0])});
    q.attrs.push_back({"zero_point", zeroPoints[0]});
  }
  return q;
}

llvm::Error quantizeLinear(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto q = quantAttrs(node, *x, std::nullopt);
  if (!q)
    return q.takeError();
  if (q->intType == DataType::Int32)
    return makeError("an INT32 zero point is not supported by QuantizeLinear");
  q->attrs.push_back(
      {"dtype", Attribute::enumValue(dataTypeName(q->intType))});
  return push(node.ctx.create(OpKind::Quantize, {*x}, std::move(q->attrs)),
              results);
}

llvm::Error dequantizeLinear(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto q = quantAttrs(node, *x, node.type(*x).elementType);
  if (!q)
    return q.takeError();
  return push(node.ctx.create(OpKind::Dequantize, {*x}, std::move(q->attrs)),
              results);
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

// Stride, symmetric padding and dilation of a 2-D window op over NCHW `x`
// from kernel_shape/strides/pads/dilations/auto_pad.
struct Window2D {
  int64_t kernel[2], stride[2] = {1, 1}, pad[2] = {0, 0},
                     dilation[2] = {1, 1};
};

llvm::Expected<Window2D> window2D(OnnxNode &node, const TensorType &x,
                                  std::optional<std::array<int64_t, 2>> kernel) {
  if (x.rank() != 4)
    return makeError("only 2-D windows (NCHW input of rank 4) are supported, "
                     "got input {}",
                     x.toString());
  Window2D w;
  auto kernelShape = node.optionalInts("kernel_shape");
  if (!kernelShape)
    return kernelShape.takeError();
  if (*kernelShape && (*kernelShape)->size() != 2)
    return makeError("kernel_shape must have 2 values, got {}",
                     (*kernelShape)->size());
  if (kernel) {
    if (*kernelShape && ((**kernelShape)[0] != (*kernel)[0] ||
                         (**kernelShape)[1] != (*kernel)[1]))
      return makeError("kernel_shape [{}, {}] differs from the weight's "
                       "[{}, {}]",
                       (**kernelShape)[0], (**kernelShape)[1], (*kernel)[0],
                       (*kernel)[1]);
    w.kernel[0] = (*kernel)[0];
    w.kernel[1] = (*kernel)[1];
  } else {
    if (!*kernelShape)
      return makeError("kernel_shape is required");
    w.kernel[0] = (**kernelShape)[0];
    w.kernel[1] = (**kernelShape)[1];
  }
  auto readPair = [&](llvm::StringRef name, int64_t *out) -> llvm::Error {
    auto v = node.optionalInts(name);
    if (!v)
      return v.takeError();
    if (!*v)
      return llvm::Error::success();
    if ((*v)->size() != 2)
      return makeError("{} must have 2 values, got {}", name.str(),
                       (*v)->size());
    for (int i = 0; i < 2; ++i) {
      if ((**v)[i] < 1)
        return makeError("{} must be positive, got {}", name.str(), (**v)[i]);
      out[i] = (**v)[i];
    }
    return llvm::Error::success();
  };
  if (llvm::Error err = readPair("strides", w.stride))
    return err;
  if (llvm::Error err = readPair("dilations", w.dilation))
    return err;
  for (int i = 0; i < 2; ++i)
    if (w.kernel[i] < 1)
      return makeError("kernel sizes must be positive, got {}", w.kernel[i]);

  auto autoPad = node.getString("auto_pad", "NOTSET");
  if (!autoPad)
    return autoPad.takeError();
  auto padsAttr = node.optionalInts("pads");
  if (!padsAttr)
    return padsAttr.takeError();
  int64_t begin[2] = {0, 0}, end[2] = {0, 0};
  if (*autoPad == "NOTSET") {
    if (*padsAttr) {
      if ((*padsAttr)->size() != 4)
        return makeError("pads must have 4 values, got {}",
                         (*padsAttr)->size());
      for (int i = 0; i < 2; ++i) {
        begin[i] = (**padsAttr)[i];
        end[i] = (**padsAttr)[i + 2];
      }
    }
  } else if (*autoPad == "SAME_UPPER" || *autoPad == "SAME_LOWER") {
    for (int i = 0; i < 2; ++i) {
      int64_t in = x.shape[2 + i], s = w.stride[i];
      int64_t out = in / s + (in % s != 0);
      // total = max(0, (out - 1) * s + (k - 1) * d + 1 - in), checked.
      int64_t span, extent, total;
      if (llvm::MulOverflow(w.kernel[i] - 1, w.dilation[i], span) ||
          llvm::MulOverflow(out - 1, s, extent) ||
          llvm::AddOverflow(extent, span, total))
        return makeError("the window is too large");
      total = std::max<int64_t>(0, total + 1 - in);
      begin[i] = *autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end[i] = total - begin[i];
    }
  } else if (*autoPad != "VALID") {
    return makeError("auto_pad '{}' is not supported (NOTSET, VALID, "
                     "SAME_UPPER or SAME_LOWER)",
                     *autoPad);
  }
  for (int i = 0; i < 2; ++i) {
    if (begin[i] < 0 || end[i] < 0)
      return makeError("pads must not be negative, got [{}, {}, {}, {}]",
                       begin[0], begin[1], end[0], end[1]);
    if (begin[i] != end[i])
      return makeError("asymmetric pads [{}, {}, {}, {}] are not supported "
                       "(qjit pads both sides of a dimension equally)",
                       begin[0], begin[1], end[0], end[1]);
    w.pad[i] = begin[i];
  }
  return w;
}

std::vector<int64_t> pair(const int64_t *v) { return {v[0], v[1]}; }

llvm::Error conv(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto weight = node.input(1);
  if (!weight)
    return weight.takeError();
  auto bias = node.optionalInput(2);
  if (!bias)
    return bias.takeError();
  const TensorType &wt = node.type(*weight);
  if (wt.rank() != 4)
    return makeError("only 2-D convolutions are supported (the weight must "
                     "have rank 4), got weight {}",
                     wt.toString());
  auto w = window2D(node, node.type(*x),
                    std::array<int64_t, 2>{wt.shape[2], wt.shape[3]});
  if (!w)
    return w.takeError();
  auto group = node.getInt("group", 1);
  if (!group)
    return group.takeError();
  llvm::SmallVector<ValueId, 3> operands{*x, *weight};
  if (*bias)
    operands.push_back(**bias);
  return push(node.ctx.create(OpKind::Conv2D, operands,
                              {{"stride", pair(w->stride)},
                               {"padding", pair(w->pad)},
                               {"dilation", pair(w->dilation)},
                               {"groups", *group}}),
              results);
}

llvm::Error checkPoolOptions(OnnxNode &node, const Window2D &w) {
  auto ceilMode = node.getInt("ceil_mode", 0);
  if (!ceilMode)
    return ceilMode.takeError();
  if (*ceilMode != 0)
    return makeError("ceil_mode={} is not supported (only 0)", *ceilMode);
  if (w.dilation[0] != 1 || w.dilation[1] != 1)
    return makeError("dilations [{}, {}] are not supported (only 1)",
                     w.dilation[0], w.dilation[1]);
  return llvm::Error::success();
}

llvm::Error maxPool(OnnxNode &node, Results &results) {
  if (llvm::Error err = onlyFirstOutput(node, "the indices"))
    return err;
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto w = window2D(node, node.type(*x), std::nullopt);
  if (!w)
    return w.takeError();
  if (llvm::Error err = checkPoolOptions(node, *w))
    return err;
  return push(node.ctx.create(OpKind::MaxPool2D, {*x},
                              {{"kernel_size", pair(w->kernel)},
                               {"stride", pair(w->stride)},
                               {"padding", pair(w->pad)}}),
              results);
}

llvm::Error averagePool(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto w = window2D(node, node.type(*x), std::nullopt);
  if (!w)
    return w.takeError();
  if (llvm::Error err = checkPoolOptions(node, *w))
    return err;
  auto countIncludePad = node.getInt("count_include_pad", 0);
  if (!countIncludePad)
    return countIncludePad.takeError();
  return push(node.ctx.create(OpKind::AvgPool2D, {*x},
                              {{"kernel_size", pair(w->kernel)},
                               {"stride", pair(w->stride)},
                               {"padding", pair(w->pad)},
                               {"count_include_pad", *countIncludePad != 0}}),
              results);
}

template <OpKind Kind>
llvm::Error globalPool(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  int64_t rank = node.type(*x).rank();
  if (rank < 3)
    return makeError("the input must have rank >= 3, got {}",
                     node.type(*x).toString());
  std::vector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  return push(node.ctx.create(Kind, {*x}, {{"axes", axes}, {"keep_dims", true}}),
              results);
}

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
  return push(node.ctx.create(Kind, {*x}, std::move(attrs)), results);
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
  return push(node.ctx.create(Kind, {*x}, {{"axis", *axis}}), results);
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
  return push(node.ctx.create(OpKind::Add, {*scaled, *bc}), results);
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
    y = ctx.create(OpKind::Add, {*y, term});
  }
  return push(std::move(y), results);
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
  return push(std::move(y), results);
}

} // namespace

const std::vector<OpTranslation> &computeTranslations() {
  static const std::vector<OpTranslation> table = {
      {"Add", 7, binary<OpKind::Add>, {}},
      {"Sub", 7, binary<OpKind::Subtract>, {}},
      {"Mul", 7, binary<OpKind::Multiply>, {}},
      {"Div", 7, binary<OpKind::Divide>, {}},
      {"Pow", 7, binary<OpKind::Power>, {}},
      {"Relu", 7, unary<OpKind::ReLU>, {}},
      {"Sigmoid", 7, unary<OpKind::Sigmoid>, {}},
      {"Tanh", 7, unary<OpKind::Tanh>, {}},
      {"Exp", 7, unary<OpKind::Exp>, {}},
      {"Log", 7, unary<OpKind::Log>, {}},
      {"Sqrt", 7, unary<OpKind::Sqrt>, {}},
      {"Abs", 7, unary<OpKind::Abs>, {}},
      {"Neg", 7, unary<OpKind::Negate>, {}},
      {"LeakyRelu", 7, leakyRelu, {"alpha"}},
      {"HardSigmoid", 7, hardSigmoidOp, {"alpha", "beta"}},
      {"HardSwish", 14, hardSwish, {}},
      {"Clip", 7, clip, {"min", "max"}},
      {"QuantizeLinear", 10, quantizeLinear, {"axis"}},
      {"DequantizeLinear", 10, dequantizeLinear, {"axis"}},
      {"Conv",
       7,
       conv,
       {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}},
      {"MaxPool",
       7,
       maxPool,
       {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
        "storage_order", "strides"}},
      {"AveragePool",
       7,
       averagePool,
       {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads",
        "strides"}},
      {"GlobalAveragePool", 7, globalPool<OpKind::ReduceMean>, {}},
      {"GlobalMaxPool", 7, globalPool<OpKind::ReduceMax>, {}},
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
