//===- OnnxShapeOps.cpp - Shape ops from ONNX -----------------------------===//
//
// Flatten, Reshape, Transpose, Concat, Split, Slice, Squeeze and Unsqueeze:
// Reshapes, Slices and Concats with static shapes. The table at the end
// names the translators.
//
//===----------------------------------------------------------------------===//
#include "OnnxNode.h"
#include "Support/MakeError.h"
#include "llvm/Support/MathExtras.h"

namespace qjit::onnx_import {

namespace {

using Results = llvm::SmallVectorImpl<ValueId>;

// The most single-index slices a negative-step Slice becomes (Concat's
// operand limit).
constexpr int64_t kMaxReversed = 4096;

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
  return pushResult(node.ctx.reshape(*x, {product(llvm::ArrayRef(shape).take_front(axis)),
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
  return pushResult(node.ctx.reshape(*x, shape), results);
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
  return pushResult(node.ctx.create(OpKind::Transpose, {*x}, std::move(attrs)),
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
  return pushResult(node.ctx.create(OpKind::Concat, operands, {{"axis", *axis}}),
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
  bool reversed = false, whole = true;
  for (int64_t d = 0; d < rank; ++d) {
    reversed |= step[d] < 0;
    whole &= pb[d] == 0 && pe[d] == shape[d] && ps[d] == 1;
  }
  // The forward Slice, unless it would only copy what the reversal reads.
  llvm::Expected<ValueId> y =
      reversed && whole
          ? llvm::Expected<ValueId>(*x)
          : node.ctx.create(OpKind::Slice, {*x},
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
  return pushResult(std::move(y), results);
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
  return pushResult(node.ctx.reshape(*x, out), results);
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
  return pushResult(node.ctx.reshape(*x, out), results);
}

} // namespace

const std::vector<OpTranslation> &shapeTranslations() {
  static const std::vector<OpTranslation> table = {
      {"Flatten", 7, flatten, {"axis"}},
      {"Reshape", 7, reshape, {"allowzero"}},
      {"Transpose", 7, transpose, {"perm"}},
      {"Concat", 7, concat, {"axis"}},
      {"Split", 7, split, {"axis", "split", "num_outputs"}},
      {"Slice", 7, slice, {"starts", "ends", "axes"}},
      {"Squeeze", 7, squeeze, {"axes"}},
      {"Unsqueeze", 7, unsqueeze, {"axes"}},
  };
  return table;
}

} // namespace qjit::onnx_import
