//===- FakeQuantizationOp.cpp - Fake quantization attributes and rules ---===//
#include "qjit/IR/FakeQuantizationOp.h"
#include "qjit/Support/Error.h"
#include <cassert>
#include <cmath>
#include "Support/MakeError.h"

namespace qjit {

llvm::StringRef gradientRuleName(GradientRule rule) {
  switch (rule) {
  case GradientRule::STE:
    return "ste";
  case GradientRule::Clipped:
    return "clipped";
  case GradientRule::LSQ:
    return "lsq";
  }
  return "?";
}

FakeQuantizationOp::FakeQuantizationOp(const Operation &op) : op(op) {
  assert(classof(op) && "not a fake quantization op");
}

bool FakeQuantizationOp::classof(const Operation &op) {
  return op.getKind() == OpKind::FakeQuantization ||
         op.getKind() == OpKind::GradFakeQuantization;
}

bool FakeQuantizationOp::isGradient() const {
  return op.getKind() == OpKind::GradFakeQuantization;
}

std::optional<ValueId> FakeQuantizationOp::scaleOperand() const {
  unsigned i = firstOperand() + 1;
  if (i < op.getNumOperands())
    return op.getOperand(i);
  return std::nullopt;
}

std::optional<ValueId> FakeQuantizationOp::zeroPointOperand() const {
  unsigned i = firstOperand() + 2;
  if (i < op.getNumOperands())
    return op.getOperand(i);
  return std::nullopt;
}

std::optional<ValueId> FakeQuantizationOp::gradOutput() const {
  if (isGradient())
    return op.getOperand(0);
  return std::nullopt;
}

int64_t FakeQuantizationOp::numBits() const {
  return op.getAttrOrDefault("num_bits")->getInt();
}

bool FakeQuantizationOp::symmetric() const {
  return op.getAttrOrDefault("symmetric")->getBool();
}

bool FakeQuantizationOp::narrowRange() const {
  return op.getAttrOrDefault("narrow_range")->getBool();
}

bool FakeQuantizationOp::symmetricGrid() const {
  return symmetric() && (op.hasAttr("symmetric") || !op.hasAttr("quant_min"));
}

int64_t FakeQuantizationOp::quantMin() const {
  if (const Attribute *a = op.getAttr("quant_min"))
    return a->getInt();
  int64_t bits = std::clamp<int64_t>(numBits(), 1, 62);
  int64_t base = symmetric() ? -(int64_t(1) << (bits - 1)) : 0;
  return base + (narrowRange() ? 1 : 0);
}

int64_t FakeQuantizationOp::quantMax() const {
  if (const Attribute *a = op.getAttr("quant_max"))
    return a->getInt();
  int64_t bits = std::clamp<int64_t>(numBits(), 1, 62);
  return symmetric() ? (int64_t(1) << (bits - 1)) - 1
                     : (int64_t(1) << bits) - 1;
}

std::optional<double> FakeQuantizationOp::scale() const {
  const Attribute *a = op.getAttr("scale");
  if (a && a->isFloat())
    return a->getFloat();
  return std::nullopt;
}

std::vector<double> FakeQuantizationOp::scales() const {
  const Attribute *a = op.getAttr("scale");
  return a ? a->getNumbers() : std::vector<double>{};
}

int64_t FakeQuantizationOp::zeroPoint() const { return zeroPoint(0); }

int64_t FakeQuantizationOp::zeroPoint(int64_t channel) const {
  const Attribute *a = op.getAttrOrDefault("zero_point");
  if (a->isInt())
    return a->getInt();
  llvm::ArrayRef<int64_t> list = a->getIntList();
  return channel < static_cast<int64_t>(list.size()) ? list[channel] : 0;
}

std::optional<int64_t> FakeQuantizationOp::axis() const {
  if (const Attribute *a = op.getAttr("axis"))
    return a->getInt();
  return std::nullopt;
}

std::optional<int64_t> FakeQuantizationOp::normalizedAxis(int64_t rank) const {
  std::optional<int64_t> a = axis();
  if (a && *a < 0)
    return *a + rank;
  return a;
}

GradientRule FakeQuantizationOp::gradient() const {
  const Attribute *a = op.getAttrOrDefault("gradient");
  if (a->getEnum() == "clipped")
    return GradientRule::Clipped;
  if (a->getEnum() == "lsq")
    return GradientRule::LSQ;
  return GradientRule::STE;
}

double FakeQuantizationOp::gradFactor() const {
  return op.getAttrOrDefault("grad_factor")->getFloat();
}

bool FakeQuantizationOp::scaleFromData() const {
  return !hasScaleAttr() && !scaleOperand();
}

llvm::Error FakeQuantizationOp::validateMaskForm(
    llvm::ArrayRef<TensorType> operandTypes) const {
  if (operandTypes.size() != 2)
    return makeError("with a mask operand, expects (dy, mask), got {} operands",
                     operandTypes.size());
  const TensorType &dy = operandTypes[0], &mask = operandTypes[1];
  if (!isFloatType(dy.elementType))
    return makeError("gradient must be Float32 or Float64, got {}",
                     dataTypeName(dy.elementType).str());
  if (mask.shape != dy.shape)
    return makeError("mask {} must have the gradient's shape {}",
                     mask.toString(), shapeToString(dy.shape));
  // The grid is in the mask already: only the rule is an attribute.
  for (const NamedAttribute &attr : op.getAttrs())
    if (attr.name != "gradient")
      return makeError("with a mask operand, takes no attribute but "
                       "gradient=clipped, got {}",
                       attr.name);
  const Attribute *g = op.getAttr("gradient");
  if (!g || g->getEnum() != "clipped")
    return makeError("a mask operand needs gradient=clipped");
  return llvm::Error::success();
}

namespace {

// The channels of a per-channel op (axis made non-negative), or one channel.
struct ChannelAxis {
  std::optional<int64_t> axis;
  int64_t channels = 1;
};

// num_bits, quant_min and quant_max.
llvm::Error validateGrid(const FakeQuantizationOp &fq) {
  const Operation &op = fq.getOperation();
  if (const Attribute *a = op.getAttr("num_bits");
      a && (a->getInt() < 2 || a->getInt() > 16))
    return makeError("num_bits must be in [2, 16], got {}", a->getInt());
  bool hasMin = op.hasAttr("quant_min"), hasMax = op.hasAttr("quant_max");
  if (hasMin != hasMax)
    return makeError("quant_min and quant_max must be given together");
  int64_t qmin = fq.quantMin(), qmax = fq.quantMax();
  if (hasMin && !(qmin < qmax))
    return makeError("quant_min ({}) must be less than quant_max ({})", qmin,
                     qmax);
  // Grid values are exact in float32 and differences fit in int64.
  constexpr int64_t kGridLimit = int64_t(1) << 24;
  if (hasMin && (qmin < -kGridLimit || qmax > kGridLimit))
    return makeError("quant_min and quant_max must lie in [-2^24, 2^24]");
  return llvm::Error::success();
}

llvm::Expected<ChannelAxis> channelAxis(const FakeQuantizationOp &fq,
                                        const TensorType &x) {
  int64_t rank = x.rank();
  ChannelAxis result;
  result.axis = fq.normalizedAxis(rank);
  if (result.axis) {
    if (*result.axis < 0 || *result.axis >= rank)
      return makeError("axis {} is out of range for an input of rank {}",
                       *fq.axis(), rank);
    result.channels = x.shape[*result.axis];
  }
  return result;
}

llvm::Error validateScaleAttr(const FakeQuantizationOp &fq,
                              const ChannelAxis &ca) {
  const Attribute *s = fq.getOperation().getAttr("scale");
  if (!s)
    return llvm::Error::success();
  if (fq.scaleOperand())
    return makeError("scale is given both as an attribute and an operand");
  if (ca.axis && !s->isList())
    return makeError("per-channel (axis={}) scale must be a list of {} "
                     "values",
                     *fq.axis(), ca.channels);
  if (!ca.axis && s->isList())
    return makeError("a list of scales needs an axis");
  std::vector<double> values = s->getNumbers();
  if (ca.axis && static_cast<int64_t>(values.size()) != ca.channels)
    return makeError("scale has {} values but dimension {} has {} channels",
                     values.size(), *ca.axis, ca.channels);
  for (double v : values)
    if (!std::isfinite(v) || !(v > 0) || !std::isfinite(float(v)) ||
        !(float(v) > 0))
      return makeError("scale must be finite and > 0, got {}", v);
  return llvm::Error::success();
}

llvm::Error validateZeroPointAttr(const FakeQuantizationOp &fq,
                                  const ChannelAxis &ca) {
  const Operation &op = fq.getOperation();
  const Attribute *z = op.getAttr("zero_point");
  if (!z)
    return llvm::Error::success();
  if (fq.zeroPointOperand())
    return makeError("zero_point is given both as an attribute and an operand");
  if (!op.hasAttr("scale"))
    return makeError("zero_point needs a scale attribute (without one, the "
                     "observer computes both)");
  if (ca.axis && !z->isList())
    return makeError("per-channel (axis={}) zero_point must be a list of {} "
                     "values",
                     *fq.axis(), ca.channels);
  if (!ca.axis && z->isList())
    return makeError("a list of zero points needs an axis");
  // IntOrList: integers, compared and printed as integers.
  std::vector<int64_t> values =
      z->isInt() ? std::vector<int64_t>{z->getInt()}
                 : std::vector<int64_t>(z->getIntList().begin(),
                                        z->getIntList().end());
  if (ca.axis && static_cast<int64_t>(values.size()) != ca.channels)
    return makeError(
        "zero_point has {} values but dimension {} has {} channels",
        values.size(), *ca.axis, ca.channels);
  int64_t qmin = fq.quantMin(), qmax = fq.quantMax();
  for (int64_t v : values) {
    // An explicit grid overrides the default symmetric=true.
    if (fq.symmetricGrid() && v != 0)
      return makeError("zero_point must be 0 when symmetric=true, got {}", v);
    if (v < qmin || v > qmax)
      return makeError("zero_point {} is outside the grid [{}, {}]", v, qmin,
                       qmax);
  }
  return llvm::Error::success();
}

// A scale or zero point operand `t` (named `what`) of an input of element
// type `inputType`: Float32, the input's type or (allowInt) Int32, of shape
// [] or, per channel, [channels].
llvm::Error validateParamOperand(const TensorType &t, llvm::StringRef what,
                                 bool allowInt, DataType inputType,
                                 const ChannelAxis &ca) {
  bool typeOk = t.elementType == DataType::Float32 ||
                t.elementType == inputType ||
                (allowInt && t.elementType == DataType::Int32);
  if (!typeOk)
    return makeError("{} operand must be Float32{}, got {}", what.str(),
                     allowInt ? " or Int32" : "",
                     dataTypeName(t.elementType).str());
  bool shapeOk = t.shape.empty() ||
                 (ca.axis && t.rank() == 1 && t.shape[0] == ca.channels);
  if (!shapeOk)
    return makeError("{} operand must have shape []{}, got {}", what.str(),
                     ca.axis ? " or [" + std::to_string(ca.channels) + "]" : "",
                     shapeToString(t.shape));
  return llvm::Error::success();
}

// The gradient and grad_factor attributes.
llvm::Error validateGradientRule(const FakeQuantizationOp &fq) {
  const Operation &op = fq.getOperation();
  if (const Attribute *g = op.getAttr("gradient")) {
    llvm::StringRef name = g->getEnum();
    if (name != "ste" && name != "clipped" && name != "lsq")
      return makeError("gradient must be ste, clipped or lsq, got {}",
                       name.str());
    if (name == "lsq" && !(fq.scaleOperand() && fq.zeroPointOperand()))
      return makeError(
          "gradient=lsq needs scale and zero_point as tensor operands");
  }
  if (const Attribute *f = op.getAttr("grad_factor");
      f && !std::isfinite(f->getFloat()))
    return makeError("grad_factor must be finite");
  return llvm::Error::success();
}

} // namespace

llvm::Error
FakeQuantizationOp::validate(llvm::ArrayRef<TensorType> operandTypes) const {
  if (isGradient() && isMaskForm(operandTypes))
    return validateMaskForm(operandTypes);
  unsigned first = firstOperand();
  const TensorType &x = operandTypes[first];
  if (!isFloatType(x.elementType))
    return makeError("input must be Float32 or Float64, got {}",
                     dataTypeName(x.elementType).str());
  if (isGradient() && operandTypes[0] != x)
    return makeError("gradient {} must have the input's type {}",
                     operandTypes[0].toString(), x.toString());

  if (llvm::Error err = validateGrid(*this))
    return err;
  llvm::Expected<ChannelAxis> ca = channelAxis(*this, x);
  if (!ca)
    return ca.takeError();
  if (llvm::Error err = validateScaleAttr(*this, *ca))
    return err;
  if (llvm::Error err = validateZeroPointAttr(*this, *ca))
    return err;
  if (scaleOperand())
    if (llvm::Error err = validateParamOperand(operandTypes[first + 1], "scale",
                                               false, x.elementType, *ca))
      return err;
  if (zeroPointOperand())
    if (llvm::Error err = validateParamOperand(
            operandTypes[first + 2], "zero_point", true, x.elementType, *ca))
      return err;
  return validateGradientRule(*this);
}

} // namespace qjit
