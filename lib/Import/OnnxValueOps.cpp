//===- OnnxValueOps.cpp - Values and aliases from ONNX --------------------===//
//
// Constant, ConstantOfShape, Shape, Gather and Cast (known at import time:
// shapes are static), Identity and Dropout (aliases). The table at the end
// names the translators.
//
//===----------------------------------------------------------------------===//
#include "OnnxNode.h"
#include "OnnxTensor.h"
#include "Support/MakeError.h"
#include <cmath>
#include <cstring>

namespace qjit::onnx_import {

namespace {

using Results = llvm::SmallVectorImpl<ValueId>;

llvm::Error identity(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  results.push_back(*x);
  return llvm::Error::success();
}

// Dropout in inference: the identity (its mask output is not supported).
llvm::Error dropout(OnnxNode &node, Results &results) {
  if (node.wantsOutput(1))
    return makeError("output 1 ('{}', the mask) is not supported",
                     node.proto.output(1));
  if (auto ratio = node.optionalInput(1); !ratio) // no effect in inference
    return ratio.takeError();
  if (node.hasInput(2)) {
    auto training = node.scalarInput(2);
    if (!training)
      return training.takeError();
    if (*training != 0)
      return makeError("training_mode is true; only inference is supported");
  }
  return identity(node, results);
}

// Gather of constant data at constant indices, folded to a constant.
llvm::Error gather(OnnxNode &node, Results &results) {
  auto data = node.constantInput(0);
  if (!data)
    return data.takeError();
  auto indicesTensor = node.constantInput(1);
  if (!indicesTensor)
    return indicesTensor.takeError();
  std::vector<int64_t> indices;
  if (indicesTensor->elementType() == DataType::Int64)
    llvm::append_range(indices, indicesTensor->values<int64_t>());
  else if (indicesTensor->elementType() == DataType::Int32)
    llvm::append_range(indices, indicesTensor->values<int32_t>());
  else
    return makeError("indices must be INT64 or INT32, got {}",
                     dataTypeName(indicesTensor->elementType()).str());
  llvm::ArrayRef<int64_t> shape = data->shape();
  auto axisAttr = node.getInt("axis", 0);
  if (!axisAttr)
    return axisAttr.takeError();
  auto axis = onnxAxis(*axisAttr, shape.size());
  if (!axis)
    return axis.takeError();
  int64_t dim = shape[*axis];
  Shape outShape(shape.begin(), shape.begin() + *axis);
  llvm::append_range(outShape, indicesTensor->shape());
  outShape.append(shape.begin() + *axis + 1, shape.end());
  auto checked = convertDims(outShape, data->elementType(), "the result");
  if (!checked)
    return checked.takeError();
  TensorType outType{data->elementType(), *checked};
  MemoryLimits limits;
  limits.tensorBytes = kMaxImportTimeBytes;
  if (llvm::Error err = limits.checkTensor(outType, "the folded result"))
    return err;
  auto out = Tensor::allocate(outType);
  if (!out)
    return out.takeError();
  size_t elem = dataTypeSize(data->elementType());
  int64_t outer = product(shape.take_front(*axis));
  int64_t inner = product(shape.drop_front(*axis + 1));
  const char *src = static_cast<const char *>(data->data());
  char *dst = static_cast<char *>(out->data());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t index : indices) {
      int64_t i = index < 0 ? index + dim : index;
      if (i < 0 || i >= dim)
        return makeError("index {} is out of range for axis {} of size {}",
                         index, *axis, dim);
      std::memcpy(dst, src + (o * dim + i) * inner * elem, inner * elem);
      dst += inner * elem;
    }
  return pushResult(node.ctx.constant(*out), results);
}

// Shape: the input's (static) shape as an INT64 constant; start/end from
// opset 15.
llvm::Error shapeOp(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  Shape shape = node.type(*x).shape;
  int64_t rank = shape.size();
  auto start = node.getInt("start", 0);
  if (!start)
    return start.takeError();
  auto end = node.getInt("end", rank);
  if (!end)
    return end.takeError();
  auto clampAxis = [&](int64_t a) {
    return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank);
  };
  int64_t b = clampAxis(*start), e = std::max(b, clampAxis(*end));
  std::vector<int64_t> dims(shape.begin() + b, shape.begin() + e);
  Tensor t(llvm::ArrayRef<int64_t>{int64_t(dims.size())},
           llvm::ArrayRef<int64_t>(dims));
  return pushResult(node.ctx.constant(t), results);
}

// ConstantOfShape: a splat Constant of the (known) shape; `value` (one
// element, default FLOAT 0) gives the type.
llvm::Error constantOfShape(OnnxNode &node, Results &results) {
  auto dims = node.intsInput(0);
  if (!dims)
    return dims.takeError();
  DataType type = DataType::Float32;
  Attribute value(0.0);
  if (const ::onnx::AttributeProto *a = node.attr("value")) {
    if (a->type() != ::onnx::AttributeProto::TENSOR)
      return makeError("attribute 'value' must be a TENSOR");
    auto t = convertTensor(a->t(), "attribute 'value'");
    if (!t)
      return t.takeError();
    if (t->numElements() != 1)
      return makeError("attribute 'value' must have one element, got {}",
                       t->getType().toString());
    type = t->elementType();
    switch (type) {
    case DataType::Float32:
      value = Attribute(double(t->as<float>()[0]));
      break;
    case DataType::Float64:
      value = Attribute(t->as<double>()[0]);
      break;
    case DataType::Int8:
      value = Attribute(int64_t(t->as<int8_t>()[0]));
      break;
    case DataType::UInt8:
      value = Attribute(int64_t(t->as<uint8_t>()[0]));
      break;
    case DataType::Int16:
      value = Attribute(int64_t(t->as<int16_t>()[0]));
      break;
    case DataType::Int32:
      value = Attribute(int64_t(t->as<int32_t>()[0]));
      break;
    case DataType::Int64:
      value = Attribute(t->as<int64_t>()[0]);
      break;
    case DataType::Bool:
      value = Attribute(int64_t(t->as<bool>()[0]));
      break;
    }
  }
  auto shape = convertDims(*dims, type, "the result");
  if (!shape)
    return shape.takeError();
  return pushResult(node.ctx.constant(TensorType{type, *shape}, value), results);
}

// Cast: the identity to the same type; otherwise computed at import time
// (qjit has no conversion op), so the input must be known then.
llvm::Error cast(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto to = node.optionalInt("to");
  if (!to)
    return to.takeError();
  if (!*to)
    return makeError("attribute 'to' is required");
  auto target = convertDataType(int32_t(**to), "the target type");
  if (!target)
    return target.takeError();
  DataType source = node.type(*x).elementType;
  if (source == *target) {
    results.push_back(*x);
    return llvm::Error::success();
  }
  auto value = node.constantInput(0);
  if (!value) {
    llvm::consumeError(value.takeError());
    return makeError("a Cast from {} to {} is only supported on values known "
                     "at import time (qjit has no conversion op)",
                     dataTypeName(source).str(), dataTypeName(*target).str());
  }
  TensorType outType{*target, value->getType().shape};
  MemoryLimits limits;
  limits.tensorBytes = kMaxImportTimeBytes;
  if (llvm::Error err = limits.checkTensor(outType, "the folded result"))
    return err;
  auto out = Tensor::allocate(outType);
  if (!out)
    return out.takeError();
  for (int64_t i = 0; i < value->numElements(); ++i) {
    // Each element as a double (floats) or an int64 (integers, Bool).
    double f = 0;
    int64_t n = 0;
    bool isFloat = isFloatType(source);
    switch (source) {
    case DataType::Float32: f = value->as<float>()[i]; break;
    case DataType::Float64: f = value->as<double>()[i]; break;
    case DataType::Int8: n = value->as<int8_t>()[i]; break;
    case DataType::UInt8: n = value->as<uint8_t>()[i]; break;
    case DataType::Int16: n = value->as<int16_t>()[i]; break;
    case DataType::Int32: n = value->as<int32_t>()[i]; break;
    case DataType::Int64: n = value->as<int64_t>()[i]; break;
    case DataType::Bool: n = value->as<bool>()[i]; break;
    }
    if (isFloat && isIntegerType(*target)) {
      // Truncation toward zero; NaN and values outside int64 are errors.
      if (!(std::abs(f) < 9.2e18))
        return makeError("element {} ({}) cannot be converted to {}", i, f,
                         dataTypeName(*target).str());
      n = static_cast<int64_t>(std::trunc(f));
    }
    switch (*target) {
    case DataType::Float32:
      out->as<float>()[i] = isFloat ? float(f) : float(n);
      break;
    case DataType::Float64:
      out->as<double>()[i] = isFloat ? f : double(n);
      break;
    case DataType::Bool:
      out->as<bool>()[i] = isFloat ? f != 0 : n != 0;
      break;
    // Integers wrap, as NumPy's astype.
    case DataType::Int8: out->as<int8_t>()[i] = int8_t(n); break;
    case DataType::UInt8: out->as<uint8_t>()[i] = uint8_t(n); break;
    case DataType::Int16: out->as<int16_t>()[i] = int16_t(n); break;
    case DataType::Int32: out->as<int32_t>()[i] = int32_t(n); break;
    case DataType::Int64: out->as<int64_t>()[i] = n; break;
    }
  }
  return pushResult(node.ctx.constant(*out), results);
}

llvm::Error constantOp(OnnxNode &node, Results &results) {
  if (node.proto.attribute_size() != 1)
    return makeError("needs exactly one attribute, got {}",
                     node.proto.attribute_size());
  const ::onnx::AttributeProto &a = node.proto.attribute(0);
  using AP = ::onnx::AttributeProto;
  auto expect = [&](AP::AttributeType type) -> llvm::Error {
    if (a.type() != type)
      return makeError("attribute '{}' must have type {}, got {}", a.name(),
                       AP::AttributeType_Name(type),
                       AP::AttributeType_Name(a.type()));
    return llvm::Error::success();
  };
  std::optional<Tensor> value;
  if (a.name() == "value") {
    if (llvm::Error err = expect(AP::TENSOR))
      return err;
    auto t = convertTensor(a.t(), "its value");
    if (!t)
      return t.takeError();
    value = std::move(*t);
  } else if (a.name() == "value_float") {
    if (llvm::Error err = expect(AP::FLOAT))
      return err;
    float f = a.f();
    value = Tensor(llvm::ArrayRef<int64_t>{}, llvm::ArrayRef<float>(f));
  } else if (a.name() == "value_floats") {
    if (llvm::Error err = expect(AP::FLOATS))
      return err;
    std::vector<float> v(a.floats().begin(), a.floats().end());
    value = Tensor(llvm::ArrayRef<int64_t>{int64_t(v.size())},
                   llvm::ArrayRef<float>(v));
  } else if (a.name() == "value_int") {
    if (llvm::Error err = expect(AP::INT))
      return err;
    int64_t i = a.i();
    value = Tensor(llvm::ArrayRef<int64_t>{}, llvm::ArrayRef<int64_t>(i));
  } else if (a.name() == "value_ints") {
    if (llvm::Error err = expect(AP::INTS))
      return err;
    std::vector<int64_t> v(a.ints().begin(), a.ints().end());
    value = Tensor(llvm::ArrayRef<int64_t>{int64_t(v.size())},
                   llvm::ArrayRef<int64_t>(v));
  } else {
    return makeError("attribute '{}' is not supported", a.name());
  }
  return pushResult(node.ctx.constant(*value), results);
}

} // namespace

const std::vector<OpTranslation> &valueTranslations() {
  static const std::vector<OpTranslation> table = {
      {"Identity", 7, identity, {}},
      {"Dropout", 7, dropout, {"ratio", "seed"}},
      {"Gather", 7, gather, {"axis"}},
      {"Shape", 7, shapeOp, {"start", "end"}},
      {"Cast", 7, cast, {"to"}},
      {"ConstantOfShape", 9, constantOfShape, {"value"}},
      {"Constant",
       7,
       constantOp,
       {"value", "value_float", "value_floats", "value_int", "value_ints",
        "sparse_value", "value_string", "value_strings"}},
  };
  return table;
}

} // namespace qjit::onnx_import
