//===- OpParams.cpp - Attributes of the ops, normalized -----------===//
#include "qjit/IR/OpParams.h"
#include "qjit/Support/Error.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"
#include <cmath>
#include "Support/MakeError.h"

namespace qjit {

llvm::Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return makeError("axis {} is out of range for rank {}", axis, rank);
  return axis < 0 ? axis + rank : axis;
}

namespace {

// An IntOrList attribute for the two spatial dimensions: `3` or `[3, 3]`
// (or its Ops.def default).
llvm::Expected<std::pair<int64_t, int64_t>> getPair(const Operation &op,
                                                    llvm::StringRef name) {
  const Attribute *a = op.getAttrOrDefault(name);
  if (!a)
    return makeError("needs a {} attribute", name.str());
  if (a->isInt())
    return std::pair{a->getInt(), a->getInt()};
  llvm::ArrayRef<int64_t> list = a->getIntList();
  if (list.size() != 2)
    return makeError("{} must be one integer or a list of 2, got {}",
                     name.str(), a->toString());
  return std::pair{list[0], list[1]};
}

llvm::Error checkPositive(llvm::StringRef name,
                          std::pair<int64_t, int64_t> v) {
  if (v.first <= 0 || v.second <= 0)
    return makeError("{} must be positive, got [{}, {}]", name.str(), v.first,
                     v.second);
  return llvm::Error::success();
}

} // namespace

llvm::Expected<Conv2DParams> getConv2DParams(const Operation &op) {
  auto stride = getPair(op, "stride");
  if (!stride)
    return stride.takeError();
  auto padding = getPair(op, "padding");
  if (!padding)
    return padding.takeError();
  auto dilation = getPair(op, "dilation");
  if (!dilation)
    return dilation.takeError();
  if (auto err = checkPositive("stride", *stride))
    return err;
  if (auto err = checkPositive("dilation", *dilation))
    return err;
  if (padding->first < 0 || padding->second < 0)
    return makeError("padding must not be negative, got [{}, {}]",
                     padding->first, padding->second);
  Conv2DParams p;
  std::tie(p.strideH, p.strideW) = *stride;
  std::tie(p.padH, p.padW) = *padding;
  std::tie(p.dilationH, p.dilationW) = *dilation;
  p.groups = op.getAttrOrDefault("groups")->getInt();
  if (p.groups <= 0)
    return makeError("groups must be positive, got {}", p.groups);
  if (const Attribute *channelsLast = op.getAttrOrDefault("channels_last"))
    p.channelsLast = channelsLast->getBool();
  return p;
}

Shape permuteShape(llvm::ArrayRef<int64_t> shape,
                   llvm::ArrayRef<int64_t> perm) {
  Shape out;
  for (int64_t p : perm)
    out.push_back(shape[p]);
  return out;
}

llvm::Expected<Pool2DParams> getPool2DParams(const Operation &op) {
  if (!op.hasAttr("kernel_size"))
    return makeError("needs a kernel_size attribute");
  auto kernel = getPair(op, "kernel_size");
  if (!kernel)
    return kernel.takeError();
  if (auto err = checkPositive("kernel_size", *kernel))
    return err;
  auto stride = op.hasAttr("stride") ? getPair(op, "stride") : *kernel;
  if (!stride)
    return stride.takeError();
  if (auto err = checkPositive("stride", *stride))
    return err;
  auto padding = getPair(op, "padding");
  if (!padding)
    return padding.takeError();
  Pool2DParams p;
  std::tie(p.kernelH, p.kernelW) = *kernel;
  std::tie(p.strideH, p.strideW) = *stride;
  std::tie(p.padH, p.padW) = *padding;
  // PyTorch's rule: padding at most half the kernel, so every window holds
  // at least one real element.
  if (p.padH < 0 || p.padW < 0 || p.padH > p.kernelH / 2 ||
      p.padW > p.kernelW / 2)
    return makeError("padding [{}, {}] must be between 0 and half the "
                     "kernel_size [{}, {}]",
                     p.padH, p.padW, p.kernelH, p.kernelW);
  if (const Attribute *c = op.getAttrOrDefault("count_include_pad"))
    p.countIncludePad = c->getBool();
  return p;
}

llvm::Expected<int64_t> slidingOutputSize(int64_t input, int64_t kernel,
                                          int64_t stride, int64_t padding,
                                          int64_t dilation) {
  // Attributes may be anything up to 2^63: every step is checked.
  int64_t window, padded;
  if (llvm::MulOverflow(dilation, kernel - 1, window) ||
      llvm::AddOverflow(window, int64_t(1), window) ||
      llvm::MulOverflow(padding, int64_t(2), padded) ||
      llvm::AddOverflow(padded, input, padded))
    return makeError("kernel extent or padded size overflows (kernel {}, "
                     "dilation {}, padding {})",
                     kernel, dilation, padding);
  if (window > padded)
    return makeError("kernel extent {} is larger than the padded input {}",
                     window, padded);
  return (padded - window) / stride + 1;
}

llvm::Expected<llvm::SmallVector<int64_t, 4>>
getReduceAxes(const Operation &op, int64_t rank) {
  llvm::SmallVector<int64_t, 4> axes;
  const Attribute *a = op.getAttr("axes");
  if (!a) {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
    return axes;
  }
  if (a->getIntList().empty())
    return makeError("axes must not be empty (omit it to reduce all axes)");
  for (int64_t axis : a->getIntList()) {
    auto n = normalizeAxis(axis, rank);
    if (!n)
      return n.takeError();
    if (llvm::is_contained(axes, *n))
      return makeError("axis {} appears twice in axes", axis);
    axes.push_back(*n);
  }
  llvm::sort(axes);
  return axes;
}

bool getKeepDims(const Operation &op) {
  return op.getAttrOrDefault("keep_dims")->getBool();
}

llvm::Expected<int64_t> getOpAxis(const Operation &op, int64_t rank) {
  return normalizeAxis(op.getAttrOrDefault("axis")->getInt(), rank);
}

llvm::Expected<llvm::SmallVector<int64_t, 4>>
getTransposePerm(const Operation &op, int64_t rank) {
  llvm::SmallVector<int64_t, 4> perm;
  const Attribute *a = op.getAttr("perm");
  if (!a) {
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
    return perm;
  }
  llvm::ArrayRef<int64_t> given = a->getIntList();
  if (static_cast<int64_t>(given.size()) != rank)
    return makeError("perm has {} entries for an input of rank {}",
                     given.size(), rank);
  llvm::SmallVector<bool, 4> seen(rank, false);
  for (int64_t p : given) {
    if (p < 0 || p >= rank || seen[p])
      return makeError("perm {} is not a permutation of [0, {})",
                       a->toString(), rank);
    seen[p] = true;
    perm.push_back(p);
  }
  return perm;
}

llvm::Expected<Shape> getReshapeShape(const Operation &op,
                                      llvm::ArrayRef<int64_t> input) {
  const Attribute *a = op.getAttr("shape");
  if (!a)
    return makeError("needs a shape attribute");
  Shape shape(a->getIntList().begin(), a->getIntList().end());
  int64_t known = 1;
  int64_t inferred = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (inferred >= 0)
        return makeError("shape {} has more than one -1", a->toString());
      inferred = static_cast<int64_t>(i);
    } else if (shape[i] < 0) {
      return makeError("shape {} has a negative dimension", a->toString());
    } else if (llvm::MulOverflow(known, shape[i], known)) {
      return makeError("shape {} has too many elements", a->toString());
    }
  }
  int64_t count = numElements(input);
  if (inferred >= 0) {
    if (known == 0 || count % known != 0)
      return makeError("cannot infer the -1 in {} for {} elements",
                       a->toString(), count);
    shape[inferred] = count / known;
  } else if (known != count) {
    return makeError("cannot reshape {} ({} elements) to {} ({} elements)",
                     shapeToString(input), count, a->toString(), known);
  }
  return shape;
}

llvm::Expected<SliceParams> getSliceParams(const Operation &op,
                                           llvm::ArrayRef<int64_t> input) {
  int64_t rank = static_cast<int64_t>(input.size());
  auto list = [&](llvm::StringRef name,
                  int64_t fill) -> llvm::Expected<Shape> {
    const Attribute *a = op.getAttr(name);
    if (!a)
      return Shape(rank, fill);
    if (static_cast<int64_t>(a->getIntList().size()) != rank)
      return makeError("{} has {} entries for an input of rank {}", name.str(),
                       a->getIntList().size(), rank);
    return Shape(a->getIntList().begin(), a->getIntList().end());
  };
  auto starts = list("starts", 0);
  if (!starts)
    return starts.takeError();
  auto ends = list("ends", std::numeric_limits<int64_t>::max());
  if (!ends)
    return ends.takeError();
  auto steps = list("steps", 1);
  if (!steps)
    return steps.takeError();
  SliceParams p;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = input[d], step = (*steps)[d];
    if (step <= 0)
      return makeError("steps must be positive, got {} for dimension {}", step,
                       d);
    auto clampIndex = [&](int64_t i) {
      if (i < 0)
        i = std::max<int64_t>(i + dim, 0);
      return std::min(i, dim);
    };
    int64_t begin = clampIndex((*starts)[d]);
    int64_t end = clampIndex((*ends)[d]);
    p.starts.push_back(begin);
    p.steps.push_back(step);
    // ceil((end - begin) / step), without overflow for a huge step.
    p.sizes.push_back(end > begin ? (end - begin - 1) / step + 1 : 0);
  }
  return p;
}

llvm::Expected<ClampParams> getClampParams(const Operation &op,
                                           DataType type) {
  ClampParams p;
  if (const Attribute *a = op.getAttr("min"))
    p.min = a->getFloat();
  if (const Attribute *a = op.getAttr("max"))
    p.max = a->getFloat();
  if (!p.min && !p.max)
    return makeError("needs min, max or both");
  for (std::optional<double> bound : {p.min, p.max}) {
    if (!bound)
      continue;
    if (std::isnan(*bound))
      return makeError("bounds must not be NaN");
    if (!isFloatType(type) && *bound != std::trunc(*bound))
      return makeError("bounds of an integer tensor must be integers, got {}",
                       *bound);
    // An integer bound must be a value of the type: the bound is converted
    // to it (by the interpreter and in the generated code) before comparing.
    if (isIntegerType(type)) {
      int bits = 8 * static_cast<int>(dataTypeSize(type));
      double lo = isSignedType(type) ? -std::ldexp(1.0, bits - 1) : 0.0;
      double end = std::ldexp(1.0, isSignedType(type) ? bits - 1 : bits);
      if (*bound < lo || *bound >= end)
        return makeError("bound {} is outside the range of {}", *bound,
                         dataTypeName(type).str());
    }
  }
  if (p.min && p.max && *p.min > *p.max)
    return makeError("min ({}) must not exceed max ({})", *p.min, *p.max);
  return p;
}

double getLeakyReLUAlpha(const Operation &op) {
  return op.getAttrOrDefault("alpha")->getFloat();
}

bool getGELUTanh(const Operation &op) {
  return op.getAttrOrDefault("approximate")->getEnum() == "tanh";
}

llvm::Expected<QuantizeParams> getQuantizeParams(const Operation &op,
                                                 const TensorType &input) {
  QuantizeParams p;
  if (op.getKind() == OpKind::Quantize) {
    const Attribute *d = op.getAttr("dtype");
    if (!d)
      return makeError("needs a dtype attribute (Int8, UInt8 or Int32)");
    llvm::StringRef name = d->getEnum();
    if (name == "Int8")
      p.intType = DataType::Int8;
    else if (name == "UInt8")
      p.intType = DataType::UInt8;
    else if (name == "Int32")
      p.intType = DataType::Int32;
    else
      return makeError("dtype must be Int8, UInt8 or Int32, got {}",
                       name.str());
  } else {
    p.intType = input.elementType;
  }
  std::tie(p.qmin, p.qmax) = integerRange(p.intType);
  if (const Attribute *a = op.getAttr("axis")) {
    auto axis = normalizeAxis(a->getInt(), input.rank());
    if (!axis)
      return axis.takeError();
    p.axis = *axis;
  }
  int64_t channels = p.axis ? input.shape[*p.axis] : 1;
  const Attribute *s = op.getAttr("scale");
  if (!s)
    return makeError("needs a scale attribute");
  if (s->isList() != p.axis.has_value())
    return p.axis ? makeError("per-axis scale must be a list of {} values",
                              channels)
                  : makeError("a list of scales needs an axis");
  p.scales = s->getNumbers();
  for (double v : p.scales)
    if (!std::isfinite(float(v)) || !(float(v) > 0))
      return makeError("scale must be finite and > 0, got {}", v);
  if (const Attribute *z = op.getAttr("zero_point")) {
    if (z->isList() != p.axis.has_value())
      return p.axis
                 ? makeError("per-axis zero_point must be a list of {} values",
                             channels)
                 : makeError("a list of zero points needs an axis");
    if (z->isInt())
      p.zeroPoints = {z->getInt()};
    else
      p.zeroPoints.assign(z->getIntList().begin(), z->getIntList().end());
  } else {
    p.zeroPoints.assign(p.scales.size(), 0);
  }
  if (p.axis && (static_cast<int64_t>(p.scales.size()) != channels ||
                 static_cast<int64_t>(p.zeroPoints.size()) != channels))
    return makeError("scale and zero_point need {} values (dimension {}), got "
                     "{} and {}",
                     channels, *p.axis, p.scales.size(), p.zeroPoints.size());
  for (int64_t zp : p.zeroPoints)
    if (zp < p.qmin || zp > p.qmax)
      return makeError("zero_point {} is outside the range [{}, {}] of {}", zp,
                       p.qmin, p.qmax, dataTypeName(p.intType).str());
  return p;
}

namespace {

llvm::Expected<int64_t> checkedZeroPoint(llvm::StringRef name, int64_t zp,
                                         DataType type) {
  auto [lo, hi] = integerRange(type);
  if (zp < lo || zp > hi)
    return makeError("{} {} is outside the range [{}, {}] of {}", name.str(),
                     zp, lo, hi, dataTypeName(type).str());
  return zp;
}

llvm::Expected<float> checkedScale(llvm::StringRef name, double value) {
  float s = static_cast<float>(value);
  if (!std::isfinite(s) || !(s > 0))
    return makeError("{} must be finite and > 0, got {}", name.str(), value);
  return s;
}

llvm::Error checkChannelCount(llvm::StringRef name, size_t count,
                              int64_t columns) {
  if (count != 1 && static_cast<int64_t>(count) != columns)
    return makeError("{} needs 1 value or {} (one per output column or "
                     "channel), got {}",
                     name.str(), columns, count);
  return llvm::Error::success();
}

} // namespace

llvm::Expected<QLinearParams> getQLinearParams(const Operation &op,
                                               const TensorType &x,
                                               const TensorType &w) {
  QLinearParams p;
  bool isMatMul = op.getKind() == OpKind::QLinearMatMul;
  p.columns = isMatMul ? w.shape.back() : w.shape.front();
  llvm::StringRef dtype = op.getAttrOrDefault("dtype")->getEnum();
  if (dtype == "UInt8")
    p.resultType = DataType::UInt8;
  else if (dtype == "Int8")
    p.resultType = DataType::Int8;
  else if (dtype == "Float32")
    p.resultType = DataType::Float32;
  else
    return makeError("dtype must be UInt8, Int8 or Float32, got {}",
                     dtype.str());
  const Attribute *qmin = op.getAttr("quant_min"), *qmax = op.getAttr("quant_max");
  bool dequantized = p.resultType == DataType::Float32;
  if (dequantized && (!qmin || !qmax))
    return makeError("dtype Float32 (the levels dequantized) needs "
                     "quant_min and quant_max, the levels' grid");

  for (const char *name : {"x_scale", "y_scale", "w_scale"})
    if (!op.hasAttr(name))
      return makeError("needs a {} attribute", name);
  auto xScale = checkedScale("x_scale", op.getAttr("x_scale")->getFloat());
  if (!xScale)
    return xScale.takeError();
  auto yScale = checkedScale("y_scale", op.getAttr("y_scale")->getFloat());
  if (!yScale)
    return yScale.takeError();
  p.xScale = *xScale, p.yScale = *yScale;
  for (double s : op.getAttr("w_scale")->getNumbers()) {
    auto ws = checkedScale("w_scale", s);
    if (!ws)
      return ws.takeError();
    p.wScales.push_back(*ws);
  }

  auto xZp = checkedZeroPoint(
      "x_zero_point", op.getAttrOrDefault("x_zero_point")->getInt(),
      x.elementType);
  if (!xZp)
    return xZp.takeError();
  // Float32 levels lie on an 8-bit grid too: UInt8's or Int8's.
  DataType levelType = p.resultType;
  if (dequantized)
    levelType = qmin->getInt() < 0 ? DataType::Int8 : DataType::UInt8;
  auto yZp = checkedZeroPoint(
      "y_zero_point", op.getAttrOrDefault("y_zero_point")->getInt(),
      levelType);
  if (!yZp)
    return yZp.takeError();
  p.xZeroPoint = *xZp, p.yZeroPoint = *yZp;
  const Attribute *wZp = op.getAttrOrDefault("w_zero_point");
  llvm::SmallVector<int64_t, 1> wZps =
      wZp->isInt() ? llvm::SmallVector<int64_t, 1>{wZp->getInt()}
                   : llvm::SmallVector<int64_t, 1>(wZp->getIntList());
  for (int64_t zp : wZps) {
    auto checked = checkedZeroPoint("w_zero_point", zp, w.elementType);
    if (!checked)
      return checked.takeError();
    p.wZeroPoints.push_back(*checked);
  }
  if (auto err = checkChannelCount("w_scale", p.wScales.size(), p.columns))
    return err;
  if (auto err =
          checkChannelCount("w_zero_point", p.wZeroPoints.size(), p.columns))
    return err;
  for (int64_t j = 0; j < p.columns; ++j) {
    float m = p.multiplier(j);
    if (!std::isfinite(m))
      return makeError("the requantization factor x_scale * w_scale / "
                       "y_scale of output {} is not a finite float ({} * {} / "
                       "{})",
                       j, p.xScale, p.wScale(j), p.yScale);
    if (p.wScales.size() == 1)
      break;
  }

  std::tie(p.lo, p.hi) = integerRange(levelType);
  // A narrower grid (PyTorch's reduce_range, a folded ReLU6).
  for (const Attribute *bound : {qmin, qmax})
    if (bound && (bound->getInt() < p.lo || bound->getInt() > p.hi))
      return makeError("{} {} is outside the range of {} [{}, {}]",
                       bound == qmin ? "quant_min" : "quant_max",
                       bound->getInt(), dataTypeName(levelType), p.lo, p.hi);
  if (qmin)
    p.lo = qmin->getInt();
  if (qmax)
    p.hi = qmax->getInt();
  if (p.lo > p.hi)
    return makeError("quant_min {} is above quant_max {}", p.lo, p.hi);
  p.relu = op.getAttrOrDefault("relu")->getBool();
  if (p.relu)
    p.lo = std::min(std::max(p.lo, p.yZeroPoint), p.hi);
  return p;
}

} // namespace qjit
