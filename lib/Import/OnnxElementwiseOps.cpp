//===- OnnxElementwiseOps.cpp - Arithmetic and quantization ops -----------===//
//
// Elementwise arithmetic and activations, Clip, QuantizeLinear and
// DequantizeLinear.
// Each translator emits the qjit ops that compute what the ONNX op defines
// (docs/onnx-import.md); the table at the end names them.
//
//===----------------------------------------------------------------------===//
#include "OnnxNode.h"
#include "qjit/IR/OpRules.h"
#include "Support/MakeError.h"
#include "llvm/Support/MathExtras.h"
#include <array>
#include <cmath>
#include <limits>

namespace qjit::onnx_import {

namespace {

using Results = llvm::SmallVectorImpl<ValueId>;

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
  return pushResult(node.ctx.create(Kind, {*a, *b}), results);
}

// Integer Div truncates toward zero; qjit's Divide is float-only, so it is
// computed at import time, where both operands must be known (the shape
// arithmetic of ShuffleNet's channel split).
llvm::Error integerDiv(OnnxNode &node, Results &results) {
  auto x = node.constantInput(0);
  if (!x) {
    llvm::consumeError(x.takeError());
    return makeError("integer Div is only supported on values known at "
                     "import time (qjit's Divide is float-only), but input 0 "
                     "('{}') is not",
                     node.proto.input(0));
  }
  auto y = node.constantInput(1);
  if (!y) {
    llvm::consumeError(y.takeError());
    return makeError("integer Div is only supported on values known at "
                     "import time (qjit's Divide is float-only), but input 1 "
                     "('{}') is not",
                     node.proto.input(1));
  }
  DataType type = x->elementType();
  if (y->elementType() != type)
    return makeError("operand types {} and {} differ",
                     dataTypeName(type).str(),
                     dataTypeName(y->elementType()).str());
  auto shape = broadcastShapes(x->shape(), y->shape());
  if (!shape)
    return shape.takeError();
  TensorType outType{type, *shape};
  MemoryLimits limits;
  limits.tensorBytes = kMaxImportTimeBytes;
  if (llvm::Error err = limits.checkTensor(outType, "the folded result"))
    return err;
  auto out = Tensor::allocate(outType);
  if (!out)
    return out.takeError();
  auto read = [&](const Tensor &t, int64_t i) -> int64_t {
    switch (t.elementType()) {
    case DataType::Int8: return t.as<int8_t>()[i];
    case DataType::UInt8: return t.as<uint8_t>()[i];
    case DataType::Int16: return t.as<int16_t>()[i];
    case DataType::Int32: return t.as<int32_t>()[i];
    default: return t.as<int64_t>()[i];
    }
  };
  // The flat index in `t` of output element `i` (broadcast dims read 0).
  auto sourceIndex = [&](const Tensor &t, int64_t i) {
    llvm::ArrayRef<int64_t> dims = t.shape();
    int64_t index = 0, stride = 1;
    for (int64_t d = int64_t(shape->size()) - 1, k = int64_t(dims.size()) - 1;
         k >= 0; --d, --k) {
      int64_t coord = i % (*shape)[d];
      i /= (*shape)[d];
      if (dims[k] != 1)
        index += coord * stride;
      stride *= dims[k];
    }
    return index;
  };
  for (int64_t i = 0; i < out->numElements(); ++i) {
    int64_t n = read(*x, sourceIndex(*x, i)), d = read(*y, sourceIndex(*y, i));
    if (d == 0)
      return makeError("integer division by zero");
    if (n == std::numeric_limits<int64_t>::min() && d == -1)
      return makeError("integer division overflows");
    int64_t q = n / d; // C++ truncates toward zero, as ONNX's Div
    switch (type) {
    case DataType::Int8: out->as<int8_t>()[i] = int8_t(q); break;
    case DataType::UInt8: out->as<uint8_t>()[i] = uint8_t(q); break;
    case DataType::Int16: out->as<int16_t>()[i] = int16_t(q); break;
    case DataType::Int32: out->as<int32_t>()[i] = int32_t(q); break;
    default: out->as<int64_t>()[i] = q; break;
    }
  }
  return pushResult(node.ctx.constant(*out), results);
}

llvm::Error div(OnnxNode &node, Results &results) {
  auto a = node.input(0);
  if (!a)
    return a.takeError();
  auto b = node.input(1);
  if (!b)
    return b.takeError();
  if (isIntegerType(node.type(*a).elementType))
    return integerDiv(node, results);
  return pushResult(node.ctx.create(OpKind::Divide, {*a, *b}), results);
}

template <OpKind Kind> llvm::Error unary(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  return pushResult(node.ctx.create(Kind, {*x}), results);
}

llvm::Error leakyRelu(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto alpha = node.getFloat("alpha", 0.01f);
  if (!alpha)
    return alpha.takeError();
  return pushResult(node.ctx.create(OpKind::LeakyReLU, {*x},
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
  return pushResult(hardSigmoid(node, *x, *alpha, *beta), results);
}

// x * HardSigmoid(alpha = 1/6, beta = 0.5)(x).
llvm::Error hardSwish(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto gate = hardSigmoid(node, *x, 1.0f / 6.0f, 0.5f);
  if (!gate)
    return gate.takeError();
  return pushResult(node.ctx.create(OpKind::Multiply, {*x, *gate}), results);
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
  return pushResult(node.ctx.create(OpKind::Clamp, {*x}, std::move(attrs)), results);
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
  return pushResult(node.ctx.create(OpKind::Quantize, {*x}, std::move(q->attrs)),
              results);
}

llvm::Error dequantizeLinear(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto q = quantAttrs(node, *x, node.type(*x).elementType);
  if (!q)
    return q.takeError();
  return pushResult(node.ctx.create(OpKind::Dequantize, {*x}, std::move(q->attrs)),
              results);
}

} // namespace

const std::vector<OpTranslation> &elementwiseTranslations() {
  static const std::vector<OpTranslation> table = {
      {"Add", 7, binary<OpKind::Add>, {}},
      {"Sub", 7, binary<OpKind::Subtract>, {}},
      {"Mul", 7, binary<OpKind::Multiply>, {}},
      {"Div", 7, div, {}},
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
  };
  return table;
}

} // namespace qjit::onnx_import
