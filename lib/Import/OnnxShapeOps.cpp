//===- OnnxShapeOps.cpp - Shape ops and values from ONNX ------------------===//
//
// Reshapes, slices, joins and values. Shapes are static, so what ONNX
// computes from shapes (Shape, Gather on constants) is known at import time.
//
//===----------------------------------------------------------------------===//
#include "OnnxNode.h"
#include "OnnxTensor.h"
#include "Support/MakeError.h"
#include "llvm/Support/MathExtras.h"
#include <cstring>

namespace qjit::onnx_import {

namespace {

using Results = llvm::SmallVectorImpl<ValueId>;

// The most single-index slices a negative-step Slice becomes (Concat's
// operand limit).
constexpr int64_t kMaxReversed = 4096;

llvm::Error push(llvm::Expected<ValueId> v, Results &results) {
  if (!v)
    return v.takeError();
  results.push_back(*v);
  return llvm::Error::success();
}

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
  if (node.hasInput(2)) {
    auto training = node.scalarInput(2);
    if (!training)
      return training.takeError();
    if (*training != 0)
      return makeError("training_mode is true; only inference is supported");
  }
  return identity(node, results);
}

int64_t product(llvm::ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d; // within a checked shape: no overflow
  return p;
}

llvm::Error flatten(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  Shape shape = node.type(*x).shape;
  int64_t rank = shape.size();
  auto axisAttr = node.getInt("axis", 1);
  if (!axisAttr)
    return axisAttr.takeError();
  int64_t axis = *axisAttr < 0 ? *axisAttr + rank : *axisAttr;
  if (axis < 0 || axis > rank)
    return makeError("axis {} is out of range for rank {}", *axisAttr, rank);
  return push(node.ctx.reshape(*x, {product(llvm::ArrayRef(shape).take_front(axis)),
                                    product(llvm::ArrayRef(shape).drop_front(axis))}),
              results);
}

llvm::Error reshape(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto requested = node.intsInput(1);
  if (!requested)
    return requested.takeError();
  auto allowZero = node.getInt("allowzero", 0);
  if (!allowZero)
    return allowZero.takeError();
  Shape in = node.type(*x).shape;
  Shape shape;
  std::optional<size_t> inferred;
  int64_t known = 1;
  for (size_t i = 0; i < requested->size(); ++i) {
    int64_t d = (*requested)[i];
    if (d == -1) {
      if (inferred)
        return makeError("the shape has more than one -1");
      inferred = i;
      shape.push_back(1);
      continue;
    }
    if (d < -1)
      return makeError("the shape has a negative dimension {}", d);
    if (d == 0 && !*allowZero) {
      if (i >= in.size())
        return makeError("dimension {} is 0 (copy the input's), but the input "
                         "has rank {}",
                         i, in.size());
      d = in[i];
    }
    shape.push_back(d);
    if (d != 0 && llvm::MulOverflow(known, d, known))
      return makeError("the shape {} is too large", shapeToString(shape));
  }
  bool hasZero = llvm::is_contained(shape, 0);
  int64_t total = product(in);
  if (inferred) {
    if (hasZero || known == 0 || total % known != 0)
      return makeError("cannot infer the -1 of shape [{}] for {} elements",
                       fmt::join(*requested, ", "), total);
    shape[*inferred] = total / known;
  } else if ((hasZero ? 0 : known) != total) {
    return makeError("shape {} does not hold the input's {} elements ({})",
                     shapeToString(shape), total, shapeToString(in));
  }
  return push(node.ctx.reshape(*x, shape), results);
}

llvm::Error transpose(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto perm = node.optionalInts("perm");
  if (!perm)
    return perm.takeError();
  AttrList attrs;
  if (*perm)
    attrs.push_back({"perm", **perm});
  return push(node.ctx.create(OpKind::Transpose, {*x}, std::move(attrs)),
              results);
}

llvm::Error concat(OnnxNode &node, Results &results) {
  llvm::SmallVector<ValueId, 4> operands;
  for (int i = 0; i < node.proto.input_size(); ++i) {
    auto v = node.input(i);
    if (!v)
      return v.takeError();
    operands.push_back(*v);
  }
  if (operands.empty())
    return makeError("needs at least one input");
  auto axisAttr = node.optionalInt("axis");
  if (!axisAttr)
    return axisAttr.takeError();
  if (!*axisAttr)
    return makeError("attribute 'axis' is required");
  auto axis = onnxAxis(**axisAttr, node.type(operands[0]).rank());
  if (!axis)
    return axis.takeError();
  return push(node.ctx.create(OpKind::Concat, operands, {{"axis", *axis}}),
              results);
}

// A qjit Slice of `x` along `axis` alone: [begin, end) by `step` (> 0).
llvm::Expected<ValueId> sliceAxis(ImportContext &ctx, ValueId x, int64_t axis,
                                  int64_t begin, int64_t end, int64_t step) {
  Shape shape = ctx.type(x).shape;
  std::vector<int64_t> starts(shape.size(), 0), ends(shape.begin(), shape.end()),
      steps(shape.size(), 1);
  starts[axis] = begin;
  ends[axis] = end;
  steps[axis] = step;
  return ctx.create(OpKind::Slice, {x},
                    {{"starts", starts}, {"ends", ends}, {"steps", steps}});
}

llvm::Error split(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  Shape shape = node.type(*x).shape;
  auto axisAttr = node.getInt("axis", 0);
  if (!axisAttr)
    return axisAttr.takeError();
  auto axis = onnxAxis(*axisAttr, shape.size());
  if (!axis)
    return axis.takeError();
  int64_t dim = shape[*axis];
  int64_t outputs = node.numOutputs();
  std::vector<int64_t> sizes;
  if (node.opset() < 13) {
    auto attr = node.optionalInts("split");
    if (!attr)
      return attr.takeError();
    if (*attr)
      sizes = **attr;
  } else {
    if (node.attr("split"))
      return makeError("attribute 'split' is an input from opset 13 on");
    if (node.hasInput(1)) {
      auto v = node.intsInput(1);
      if (!v)
        return v.takeError();
      sizes = std::move(*v);
    }
  }
  auto numOutputs = node.optionalInt("num_outputs");
  if (!numOutputs)
    return numOutputs.takeError();
  if (*numOutputs && (node.opset() < 18 || !sizes.empty()))
    return makeError("attribute 'num_outputs' needs opset 18 and no 'split'");
  if (sizes.empty()) {
    if (outputs < 1)
      return makeError("needs at least one output");
    if (*numOutputs && **numOutputs != outputs)
      return makeError("num_outputs is {} but the node has {} outputs",
                       **numOutputs, outputs);
    // Equal parts; from opset 18 the last may be smaller.
    int64_t part = dim / outputs + (dim % outputs != 0);
    if (dim % outputs != 0 && !*numOutputs)
      return makeError("dimension {} of size {} does not split into {} equal "
                       "parts",
                       *axis, dim, outputs);
    for (int64_t i = 0, left = dim; i < outputs; ++i) {
      sizes.push_back(std::min(part, left));
      left -= sizes.back();
    }
  }
  if (static_cast<int64_t>(sizes.size()) != outputs)
    return makeError("{} split sizes for {} outputs", sizes.size(), outputs);
  int64_t begin = 0;
  for (int64_t size : sizes) {
    if (size < 0 || size > dim - begin)
      return makeError("split sizes [{}] do not add up to dimension {} of "
                       "size {}",
                       fmt::join(sizes, ", "), *axis, dim);
    auto part = sliceAxis(node.ctx, *x, *axis, begin, begin + size, 1);
    if (!part)
      return part.takeError();
    results.push_back(*part);
    begin += size;
  }
  if (begin != dim)
    return makeError("split sizes [{}] do not add up to dimension {} of size "
                     "{}",
                     fmt::join(sizes, ", "), *axis, dim);
  return llvm::Error::success();
}

// ONNX Slice: per listed axis, start/end clamped as the spec says, any
// nonzero step. Positive steps become one qjit Slice; an axis with a
// negative step becomes a Concat of its elements in order.
llvm::Error slice(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  Shape shape = node.type(*x).shape;
  int64_t rank = shape.size();
  std::vector<int64_t> starts, ends, axes, steps;
  if (node.opset() < 10) {
    auto s = node.optionalInts("starts");
    if (!s)
      return s.takeError();
    auto e = node.optionalInts("ends");
    if (!e)
      return e.takeError();
    auto a = node.optionalInts("axes");
    if (!a)
      return a.takeError();
    if (!*s || !*e)
      return makeError("attributes 'starts' and 'ends' are required");
    starts = **s;
    ends = **e;
    if (*a)
      axes = **a;
  } else {
    for (const char *name : {"starts", "ends", "axes"})
      if (node.attr(name))
        return makeError("attribute '{}' is an input from opset 10 on", name);
    auto s = node.intsInput(1);
    if (!s)
      return s.takeError();
    auto e = node.intsInput(2);
    if (!e)
      return e.takeError();
    starts = std::move(*s);
    ends = std::move(*e);
    if (node.hasInput(3)) {
      auto a = node.intsInput(3);
      if (!a)
        return a.takeError();
      axes = std::move(*a);
    }
    if (node.hasInput(4)) {
      auto st = node.intsInput(4);
      if (!st)
        return st.takeError();
      steps = std::move(*st);
    }
  }
  size_t n = starts.size();
  if (axes.empty())
    for (size_t i = 0; i < n; ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(n, 1);
  if (ends.size() != n || axes.size() != n || steps.size() != n)
    return makeError("starts, ends, axes and steps have {}, {}, {} and {} "
                     "values",
                     n, ends.size(), axes.size(), steps.size());
  std::vector<int64_t> begin(rank, 0), end(shape.begin(), shape.end()),
      step(rank, 1);
  std::vector<bool> listed(rank, false);
  for (size_t i = 0; i < n; ++i) {
    auto axis = onnxAxis(axes[i], rank);
    if (!axis)
      return axis.takeError();
    if (listed[*axis])
      return makeError("axis {} appears twice", *axis);
    listed[*axis] = true;
    int64_t dim = shape[*axis], s = steps[i];
    if (s == 0)
      return makeError("steps must not be 0");
    int64_t b = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (s > 0) {
      b = std::clamp<int64_t>(b, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
    } else {
      b = std::clamp<int64_t>(b, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
    }
    begin[*axis] = b;
    end[*axis] = e;
    step[*axis] = s;
  }
  // The positive steps (and the untouched axes) in one Slice.
  std::vector<int64_t> pb(rank), pe(rank), ps(rank);
  for (int64_t d = 0; d < rank; ++d) {
    bool forward = step[d] > 0;
    pb[d] = forward ? begin[d] : 0;
    pe[d] = forward ? std::max(begin[d], end[d]) : shape[d];
    ps[d] = forward ? step[d] : 1;
  }
  auto y = node.ctx.create(OpKind::Slice, {*x},
                           {{"starts", pb}, {"ends", pe}, {"steps", ps}});
  if (!y)
    return y.takeError();
  for (int64_t d = 0; d < rank; ++d) {
    if (step[d] > 0)
      continue;
    // begin, begin + step, ... while > end.
    uint64_t stride = uint64_t(0) - uint64_t(step[d]);
    int64_t count =
        begin[d] > end[d]
            ? int64_t((uint64_t(begin[d] - end[d]) - 1) / stride + 1)
            : 0;
    if (count == 0) {
      y = sliceAxis(node.ctx, *y, d, 0, 0, 1);
      if (!y)
        return y.takeError();
      continue;
    }
    if (count > kMaxReversed)
      return makeError("a negative step selecting {} elements of axis {} is "
                       "not supported (at most {})",
                       count, d, kMaxReversed);
    llvm::SmallVector<ValueId, 16> parts;
    for (int64_t k = 0; k < count; ++k) {
      int64_t index = begin[d] - int64_t(uint64_t(k) * stride);
      auto part = sliceAxis(node.ctx, *y, d, index, index + 1, 1);
      if (!part)
        return part.takeError();
      parts.push_back(*part);
    }
    y = parts.size() == 1
            ? llvm::Expected<ValueId>(parts[0])
            : node.ctx.create(OpKind::Concat, parts, {{"axis", d}});
    if (!y)
      return y.takeError();
  }
  return push(std::move(y), results);
}

// Squeeze/Unsqueeze axes: an attribute before opset 13, an input after.
llvm::Expected<std::optional<std::vector<int64_t>>> axesOf(OnnxNode &node) {
  if (node.opset() < 13)
    return node.optionalInts("axes");
  if (node.attr("axes"))
    return makeError("attribute 'axes' is an input from opset 13 on");
  if (!node.hasInput(1))
    return std::optional<std::vector<int64_t>>();
  auto v = node.intsInput(1);
  if (!v)
    return v.takeError();
  return std::optional<std::vector<int64_t>>(std::move(*v));
}

llvm::Error squeeze(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  Shape shape = node.type(*x).shape;
  auto axes = axesOf(node);
  if (!axes)
    return axes.takeError();
  std::vector<bool> drop(shape.size(), false);
  if (!*axes) {
    for (size_t d = 0; d < shape.size(); ++d)
      drop[d] = shape[d] == 1;
  } else {
    for (int64_t a : **axes) {
      auto axis = onnxAxis(a, shape.size());
      if (!axis)
        return axis.takeError();
      if (shape[*axis] != 1)
        return makeError("cannot squeeze axis {} of size {}", *axis,
                         shape[*axis]);
      drop[*axis] = true;
    }
  }
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d)
    if (!drop[d])
      out.push_back(shape[d]);
  return push(node.ctx.reshape(*x, out), results);
}

llvm::Error unsqueeze(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  Shape shape = node.type(*x).shape;
  auto axes = axesOf(node);
  if (!axes)
    return axes.takeError();
  if (!*axes)
    return makeError("needs axes");
  int64_t rank = shape.size() + (*axes)->size();
  std::vector<bool> added(rank, false);
  for (int64_t a : **axes) {
    auto axis = onnxAxis(a, rank);
    if (!axis)
      return axis.takeError();
    if (added[*axis])
      return makeError("axis {} appears twice", *axis);
    added[*axis] = true;
  }
  Shape out;
  for (int64_t d = 0, next = 0; d < rank; ++d)
    out.push_back(added[d] ? 1 : shape[next++]);
  return push(node.ctx.reshape(*x, out), results);
}

// Gather of constant data at constant indices, folded to a constant.
llvm::Error gather(OnnxNode &node, Results &results) {
  auto data = node.constantInput(0);
  if (!data)
    return data.takeError();
  auto indicesTensor = node.constantInput(1);
  if (!indicesTensor)
    return indicesTensor.takeError();
  auto indices = node.intsInput(1);
  if (!indices) {
    llvm::consumeError(indices.takeError());
    return makeError("indices must be INT64 or INT32");
  }
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
  auto out = Tensor::allocate(TensorType{data->elementType(), *checked});
  if (!out)
    return out.takeError();
  size_t elem = dataTypeSize(data->elementType());
  int64_t outer = product(shape.take_front(*axis));
  int64_t inner = product(shape.drop_front(*axis + 1));
  const char *src = static_cast<const char *>(data->data());
  char *dst = static_cast<char *>(out->data());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t index : *indices) {
      int64_t i = index < 0 ? index + dim : index;
      if (i < 0 || i >= dim)
        return makeError("index {} is out of range for axis {} of size {}",
                         index, *axis, dim);
      std::memcpy(dst, src + (o * dim + i) * inner * elem, inner * elem);
      dst += inner * elem;
    }
  return push(node.ctx.constant(*out), results);
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
  return push(node.ctx.constant(t), results);
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
  return push(node.ctx.constant(*value), results);
}

} // namespace

const std::vector<OpTranslation> &shapeTranslations() {
  static const std::vector<OpTranslation> table = {
      {"Identity", 7, identity, {}},
      {"Dropout", 7, dropout, {"ratio", "seed"}},
      {"Flatten", 7, flatten, {"axis"}},
      {"Reshape", 7, reshape, {"allowzero"}},
      {"Transpose", 7, transpose, {"perm"}},
      {"Concat", 7, concat, {"axis"}},
      {"Split", 7, split, {"axis", "split", "num_outputs"}},
      {"Slice", 7, slice, {"starts", "ends", "axes"}},
      {"Squeeze", 7, squeeze, {"axes"}},
      {"Unsqueeze", 7, unsqueeze, {"axes"}},
      {"Gather", 7, gather, {"axis"}},
      {"Shape", 7, shapeOp, {"start", "end"}},
      {"Constant",
       7,
       constantOp,
       {"value", "value_float", "value_floats", "value_int", "value_ints",
        "sparse_value", "value_string", "value_strings"}},
  };
  return table;
}

} // namespace qjit::onnx_import
