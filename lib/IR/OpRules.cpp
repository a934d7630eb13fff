//===- OpRules.cpp - Operand rules and result type inference per op -------===//
#include "qjit/IR/OpRules.h"
#include "GradientOpTypes.h"
#include "qjit/IR/DenseData.h"
#include "qjit/IR/FakeQuantizationOp.h"
#include "qjit/IR/Fusion.h"
#include "qjit/IR/OpParams.h"
#include "qjit/IR/OpVisitor.h"
#include "qjit/Support/Error.h"
#include <cmath>
#include "Support/MakeError.h"

namespace qjit {

llvm::Expected<Shape> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                      llvm::ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return makeError("shapes {} and {} cannot be broadcast together",
                       shapeToString(a), shapeToString(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {

using TypeList = llvm::SmallVector<TensorType, 1>;

llvm::Error checkAttributes(const Operation &op) {
  for (const NamedAttribute &attr : op.getAttrs()) {
    const AttrSpec *spec = findAttrSpec(op.getKind(), attr.name);
    if (!spec)
      return makeError("unknown attribute '{}'", attr.name);
    // Coercion changes only the alternative (Int -> Float, ...); comparing
    // alternatives rather than values keeps NaN attributes valid.
    Attribute value = attr.value;
    if (!coerceAttribute(spec->kind, value) ||
        value.storage().index() != attr.value.storage().index())
      return makeError("attribute '{}' must be {}, got {}", attr.name,
                       attrKindDescription(spec->kind).str(),
                       attr.value.toString());
  }
  return llvm::Error::success();
}

llvm::Expected<TypeList> inferBinary(const Operation &op,
                                     llvm::ArrayRef<TensorType> in) {
  if (in[0].elementType != in[1].elementType)
    return makeError("operand types {} and {} differ",
                     dataTypeName(in[0].elementType).str(),
                     dataTypeName(in[1].elementType).str());
  DataType type = in[0].elementType;
  if (type == DataType::Bool)
    return makeError("operands must be numeric, got Bool");
  if (hasTrait(op.getKind(), OpTrait::FloatOnly) && !isFloatType(type))
    return makeError("operands must be Float32 or Float64, got {}",
                     dataTypeName(type).str());
  auto shape = broadcastShapes(in[0].shape, in[1].shape);
  if (!shape)
    return shape.takeError();
  return TypeList{TensorType{type, std::move(*shape)}};
}

llvm::Expected<TypeList> inferUnary(const Operation &op,
                                    llvm::ArrayRef<TensorType> in) {
  DataType type = in[0].elementType;
  if (type == DataType::Bool)
    return makeError("operand must be numeric, got Bool");
  if (hasTrait(op.getKind(), OpTrait::FloatOnly) && !isFloatType(type))
    return makeError("operand must be Float32 or Float64, got {}",
                     dataTypeName(type).str());
  if (op.getKind() == OpKind::Clamp)
    if (auto p = getClampParams(op, type); !p)
      return p.takeError();
  if (const Attribute *a = op.getAttr("approximate");
      a && a->getEnum() != "none" && a->getEnum() != "tanh")
    return makeError("approximate must be none or tanh, got {}",
                     a->getEnum().str());
  if (const Attribute *a = op.getAttr("alpha"); a && !std::isfinite(a->getFloat()))
    return makeError("alpha must be finite");
  return TypeList{in[0]};
}

llvm::Error requireFloat(const TensorType &t, llvm::StringRef what) {
  if (!isFloatType(t.elementType))
    return makeError("{} must be Float32 or Float64, got {}", what.str(),
                     dataTypeName(t.elementType).str());
  return llvm::Error::success();
}

llvm::Error requireRank(const TensorType &t, int64_t rank,
                        llvm::StringRef what) {
  if (t.rank() != rank)
    return makeError("{} must have rank {}, got {}", what.str(), rank,
                     shapeToString(t.shape));
  return llvm::Error::success();
}

llvm::Expected<TypeList> inferMatMul(llvm::ArrayRef<TensorType> in) {
  const TensorType &a = in[0], &b = in[1];
  if (a.elementType != b.elementType)
    return makeError("operand types {} and {} differ",
                     dataTypeName(a.elementType).str(),
                     dataTypeName(b.elementType).str());
  if (a.elementType == DataType::Bool)
    return makeError("operands must be numeric, got Bool");
  if (a.rank() < 2 || b.rank() < 2)
    return makeError("operands must have rank >= 2, got {} and {} (reshape a "
                     "vector to [1, K] or [K, 1])",
                     shapeToString(a.shape), shapeToString(b.shape));
  int64_t m = a.shape[a.rank() - 2], k = a.shape[a.rank() - 1];
  int64_t k2 = b.shape[b.rank() - 2], n = b.shape[b.rank() - 1];
  if (k != k2)
    return makeError("inner dimensions differ: {} x {} (K = {} vs {})",
                     shapeToString(a.shape), shapeToString(b.shape), k, k2);
  auto batch = broadcastShapes(llvm::ArrayRef(a.shape).drop_back(2),
                               llvm::ArrayRef(b.shape).drop_back(2));
  if (!batch)
    return makeError("batch dimensions: {}", llvm::toString(batch.takeError()));
  Shape out = std::move(*batch);
  out.push_back(m);
  out.push_back(n);
  return TypeList{TensorType{a.elementType, std::move(out)}};
}

llvm::Expected<TypeList> inferTranspose(const Operation &op,
                                        llvm::ArrayRef<TensorType> in) {
  auto perm = getTransposePerm(op, in[0].rank());
  if (!perm)
    return perm.takeError();
  Shape out;
  for (int64_t p : *perm)
    out.push_back(in[0].shape[p]);
  return TypeList{TensorType{in[0].elementType, std::move(out)}};
}

// Conv2D's result shape from the NCHW input shape x and OIHW weight shape w.
llvm::Expected<Shape> conv2DShapeNchw(const Conv2DParams &p,
                                      llvm::ArrayRef<int64_t> x,
                                      llvm::ArrayRef<int64_t> w) {
  int64_t channels = x[1], outChannels = w[0];
  if (channels % p.groups != 0 || outChannels % p.groups != 0)
    return makeError("groups {} must divide input channels {} and output "
                     "channels {}",
                     p.groups, channels, outChannels);
  if (w[1] * p.groups != channels)
    return makeError("weight has {} input channels per group, but the input "
                     "has {} channels in {} group{}",
                     w[1], channels, p.groups, p.groups == 1 ? "" : "s");
  auto h = slidingOutputSize(x[2], w[2], p.strideH, p.padH,
                             p.dilationH);
  if (!h)
    return makeError("height: {}", llvm::toString(h.takeError()));
  auto wd = slidingOutputSize(x[3], w[3], p.strideW, p.padW,
                              p.dilationW);
  if (!wd)
    return makeError("width: {}", llvm::toString(wd.takeError()));
  if (x[0] == 0 || outChannels == 0 || *h <= 0 || *wd <= 0)
    return makeError("the output {} would be empty",
                     shapeToString({x[0], outChannels, *h, *wd}));
  return Shape{x[0], outChannels, *h, *wd};
}

// The result shape of Conv2D and QLinearConv2D: NCHW x (NHWC with
// channels_last), OIHW w.
llvm::Expected<Shape> conv2DResultShape(const Operation &op,
                                        const TensorType &x,
                                        const TensorType &w) {
  auto p = getConv2DParams(op);
  if (!p)
    return p.takeError();
  if (auto err = requireRank(
          x, 4, p->channelsLast ? "input (N, H, W, C)" : "input (N, C, H, W)"))
    return err;
  if (auto err = requireRank(w, 4, "weight (O, C/groups, KH, KW)"))
    return err;
  Shape nchw = p->channelsLast ? permuteShape(x.shape, kNhwcToNchw) : x.shape;
  auto shape = conv2DShapeNchw(*p, nchw, w.shape);
  if (!shape || !p->channelsLast)
    return shape;
  return permuteShape(*shape, kNchwToNhwc);
}

llvm::Error requireBias(llvm::ArrayRef<TensorType> in, DataType type,
                        int64_t channels) {
  if (in.size() == 3 &&
      (in[2].elementType != type || in[2].shape != Shape{channels}))
    return makeError("bias must be {} [{}], got {}", dataTypeName(type).str(),
                     channels, in[2].toString());
  return llvm::Error::success();
}

llvm::Expected<TypeList> inferConv2D(const Operation &op,
                                     llvm::ArrayRef<TensorType> in) {
  const TensorType &x = in[0], &w = in[1];
  if (auto err = requireFloat(x, "input"))
    return err;
  if (w.elementType != x.elementType)
    return makeError("weight type {} differs from input type {}",
                     dataTypeName(w.elementType).str(),
                     dataTypeName(x.elementType).str());
  auto shape = conv2DResultShape(op, x, w);
  if (!shape)
    return shape.takeError();
  if (auto err = requireBias(in, x.elementType, (*shape)[1]))
    return err;
  return TypeList{TensorType{x.elementType, std::move(*shape)}};
}

// QLinearMatMul and QLinearConv2D.
llvm::Expected<TypeList> inferQLinear(const Operation &op,
                                      llvm::ArrayRef<TensorType> in) {
  const TensorType &x = in[0], &w = in[1];
  auto isByte = [](DataType t) {
    return t == DataType::UInt8 || t == DataType::Int8;
  };
  if (!isByte(x.elementType))
    return makeError("input must be UInt8 or Int8, got {}",
                     dataTypeName(x.elementType).str());
  if (!isByte(w.elementType))
    return makeError("weight must be Int8 or UInt8, got {}",
                     dataTypeName(w.elementType).str());
  Shape shape;
  if (op.getKind() == OpKind::QLinearMatMul) {
    if (x.rank() < 2 || w.rank() != 2)
      return makeError("input must have rank >= 2 and weight rank 2 ([K, N]), "
                       "got {} and {}",
                       shapeToString(x.shape), shapeToString(w.shape));
    if (x.shape.back() != w.shape[0])
      return makeError("inner dimensions differ: {} x {} (K = {} vs {})",
                       shapeToString(x.shape), shapeToString(w.shape),
                       x.shape.back(), w.shape[0]);
    shape = x.shape;
    shape.back() = w.shape[1];
  } else {
    auto conv = conv2DResultShape(op, x, w);
    if (!conv)
      return conv.takeError();
    shape = std::move(*conv);
  }
  auto p = getQLinearParams(op, x, w);
  if (!p)
    return p.takeError();
  if (auto err = requireBias(in, DataType::Int32, p->columns))
    return err;
  return TypeList{TensorType{p->resultType, std::move(shape)}};
}

llvm::Expected<TypeList> inferPool2D(const Operation &op,
                                     llvm::ArrayRef<TensorType> in) {
  const TensorType &x = in[0];
  if (auto err = requireRank(x, 4, "input (N, C, H, W)"))
    return err;
  // With H or W = 0 a window could hold padding only (kernel = 2 * padding).
  if (x.shape[2] == 0 || x.shape[3] == 0)
    return makeError("input height and width must be positive, got {}",
                     shapeToString(x.shape));
  if (op.getKind() == OpKind::AvgPool2D) {
    if (auto err = requireFloat(x, "input"))
      return err;
  } else if (x.elementType == DataType::Bool) {
    return makeError("input must be numeric, got Bool");
  }
  if (op.getKind() == OpKind::MaxPool2D && op.hasAttr("count_include_pad"))
    return makeError("count_include_pad applies to AvgPool2D only");
  auto p = getPool2DParams(op);
  if (!p)
    return p.takeError();
  auto h = slidingOutputSize(x.shape[2], p->kernelH, p->strideH, p->padH, 1);
  if (!h)
    return makeError("height: {}", llvm::toString(h.takeError()));
  auto w = slidingOutputSize(x.shape[3], p->kernelW, p->strideW, p->padW, 1);
  if (!w)
    return makeError("width: {}", llvm::toString(w.takeError()));
  return TypeList{
      TensorType{x.elementType, {x.shape[0], x.shape[1], *h, *w}}};
}

llvm::Expected<TypeList> inferReduce(const Operation &op,
                                     llvm::ArrayRef<TensorType> in) {
  const TensorType &x = in[0];
  if (x.elementType == DataType::Bool)
    return makeError("input must be numeric, got Bool");
  if (op.getKind() == OpKind::ReduceMean)
    if (auto err = requireFloat(x, "input"))
      return err;
  auto axes = getReduceAxes(op, x.rank());
  if (!axes)
    return axes.takeError();
  bool keep = getKeepDims(op);
  Shape out;
  for (int64_t d = 0; d < x.rank(); ++d) {
    bool reduced = llvm::is_contained(*axes, d);
    if (reduced && x.shape[d] == 0 &&
        (op.getKind() == OpKind::ReduceMax || op.getKind() == OpKind::ReduceMin))
      return makeError("cannot take the {} of an empty dimension {}",
                       op.getKind() == OpKind::ReduceMax ? "max" : "min", d);
    if (!reduced)
      out.push_back(x.shape[d]);
    else if (keep)
      out.push_back(1);
  }
  return TypeList{TensorType{x.elementType, std::move(out)}};
}

llvm::Expected<TypeList> inferSoftmax(const Operation &op,
                                      llvm::ArrayRef<TensorType> in) {
  if (auto err = requireFloat(in[0], "input"))
    return err;
  if (in[0].rank() == 0)
    return makeError("input must have rank >= 1");
  if (auto axis = getOpAxis(op, in[0].rank()); !axis)
    return axis.takeError();
  return TypeList{in[0]};
}

llvm::Expected<TypeList> inferReshape(const Operation &op,
                                      llvm::ArrayRef<TensorType> in) {
  auto shape = getReshapeShape(op, in[0].shape);
  if (!shape)
    return shape.takeError();
  return TypeList{TensorType{in[0].elementType, std::move(*shape)}};
}

llvm::Expected<TypeList> inferBroadcast(const Operation &op,
                                        llvm::ArrayRef<TensorType> in) {
  const Attribute *a = op.getAttr("shape");
  if (!a)
    return makeError("needs a shape attribute");
  Shape target(a->getIntList().begin(), a->getIntList().end());
  if (auto err = checkShape(target, dataTypeSize(in[0].elementType)))
    return err;
  auto shape = broadcastShapes(in[0].shape, target);
  if (!shape || *shape != target) {
    if (!shape)
      llvm::consumeError(shape.takeError());
    return makeError("cannot broadcast {} to {}", shapeToString(in[0].shape),
                     a->toString());
  }
  return TypeList{TensorType{in[0].elementType, std::move(target)}};
}

llvm::Expected<TypeList> inferConcat(const Operation &op,
                                     llvm::ArrayRef<TensorType> in) {
  const TensorType &first = in[0];
  if (first.rank() == 0)
    return makeError("operands must have rank >= 1");
  auto axis = getOpAxis(op, first.rank());
  if (!axis)
    return axis.takeError();
  Shape out = first.shape;
  for (size_t i = 1; i < in.size(); ++i) {
    const TensorType &t = in[i];
    if (t.elementType != first.elementType)
      return makeError("operand {} is {} but operand 0 is {}", i,
                       dataTypeName(t.elementType).str(),
                       dataTypeName(first.elementType).str());
    bool agree = t.rank() == first.rank();
    for (int64_t d = 0; agree && d < first.rank(); ++d)
      agree = d == *axis || t.shape[d] == first.shape[d];
    if (!agree)
      return makeError("operand {} has shape {}, which differs from {} off "
                       "axis {}",
                       i, shapeToString(t.shape), shapeToString(first.shape),
                       *axis);
    out[*axis] += t.shape[*axis];
  }
  return TypeList{TensorType{first.elementType, std::move(out)}};
}

llvm::Expected<TypeList> inferSlice(const Operation &op,
                                    llvm::ArrayRef<TensorType> in) {
  auto p = getSliceParams(op, in[0].shape);
  if (!p)
    return p.takeError();
  return TypeList{TensorType{in[0].elementType, std::move(p->sizes)}};
}

llvm::Expected<TypeList> inferQuantize(const Operation &op,
                                       llvm::ArrayRef<TensorType> in) {
  const TensorType &x = in[0];
  if (op.getKind() == OpKind::Quantize) {
    if (x.elementType != DataType::Float32)
      return makeError("input must be Float32, got {}",
                       dataTypeName(x.elementType).str());
  } else if (x.elementType != DataType::Int8 &&
             x.elementType != DataType::UInt8 &&
             x.elementType != DataType::Int32) {
    return makeError("input must be Int8, UInt8 or Int32, got {}",
                     dataTypeName(x.elementType).str());
  }
  auto p = getQuantizeParams(op, x);
  if (!p)
    return p.takeError();
  DataType result =
      op.getKind() == OpKind::Quantize ? p->intType : DataType::Float32;
  return TypeList{TensorType{result, x.shape}};
}

// The bytes of a data constant must be its type's, and a Bool's 0 or 1.
llvm::Error checkConstantData(const Attribute &attr, const TensorType &type) {
  const std::shared_ptr<const DenseData> &data = attr.getData();
  if (!data)
    return makeError("has no data");
  if (data->size() != type.sizeInBytes())
    return makeError("has {} bytes of data, but {} needs {}", data->size(),
                     type.toString(), type.sizeInBytes());
  if (type.elementType == DataType::Bool)
    for (uint64_t i = 0; i < data->size(); ++i)
      if (static_cast<unsigned char>(data->data()[i]) > 1)
        return makeError("Bool data must be bytes 0 or 1, byte {} is {}", i,
                         static_cast<unsigned char>(data->data()[i]));
  return llvm::Error::success();
}

llvm::Expected<TypeList> inferConstant(const Operation &op,
                                       llvm::ArrayRef<TensorType> declared) {
  if (declared.size() != 1)
    return makeError("needs its result type");
  const Attribute *values = op.getAttr("values");
  const Attribute *data = op.getAttr("data");
  if (values && data)
    return makeError("has both 'values' and 'data'");
  if (!values && !data)
    return makeError("needs a 'values' or a 'data' attribute");
  const TensorType &type = declared[0];
  if (auto err = type.check())
    return err;
  if (data) {
    if (auto err = checkConstantData(*data, type))
      return err;
    return TypeList{type};
  }
  size_t count = values->isList() ? values->getNumbers().size() : 1;
  if (count != 1 && static_cast<int64_t>(count) != type.numElements())
    return makeError("has {} values for {} elements of {}", count,
                     type.numElements(), shapeToString(type.shape));
  if (!isFloatType(type.elementType) && (values->isFloat() || values->isFloatList()))
    return makeError("{} constant needs integer values",
                     dataTypeName(type.elementType).str());
  return TypeList{type};
}

llvm::Expected<TypeList>
inferFakeQuantization(const Operation &op, llvm::ArrayRef<TensorType> in,
                      llvm::ArrayRef<TensorType> declared) {
  FakeQuantizationOp fq(op);
  if (auto err = fq.validate(in))
    return err;
  if (fq.isGradient() && FakeQuantizationOp::isMaskForm(in))
    return TypeList{in[0]}; // GradFakeQuantization(dy, mask) -> dx
  const TensorType &x = in[fq.isGradient() ? 1 : 0];
  TypeList results{x};
  // The forward op also yields its mask when two results are declared.
  if (!fq.isGradient() && declared.size() == 2)
    results.push_back(TensorType{DataType::Bool, x.shape});
  if (fq.isGradient() && fq.gradient() == GradientRule::LSQ) {
    results.push_back(in[2]); // d scale, shaped like the scale operand
    results.push_back(in[3]); // d zero_point
  }
  return results;
}

// The result types of one op, by kind (operand counts and attributes are
// checked before).
class TypeInference
    : public OpVisitor<TypeInference, llvm::Expected<TypeList>> {
public:
  TypeInference(llvm::ArrayRef<TensorType> in,
                llvm::ArrayRef<TensorType> declared)
      : in(in), declared(declared) {}

  llvm::Expected<TypeList> visitElementwiseBinary(const Operation &op) {
    return inferBinary(op, in);
  }
  llvm::Expected<TypeList> visitElementwiseUnary(const Operation &op) {
    return inferUnary(op, in);
  }
  llvm::Expected<TypeList> visitMatMul(const Operation &) {
    return inferMatMul(in);
  }
  llvm::Expected<TypeList> visitTranspose(const Operation &op) {
    return inferTranspose(op, in);
  }
  llvm::Expected<TypeList> visitConv2D(const Operation &op) {
    return inferConv2D(op, in);
  }
  llvm::Expected<TypeList> visitQuantizedLinearAlgebra(const Operation &op) {
    return inferQLinear(op, in);
  }
  llvm::Expected<TypeList> visitPooling(const Operation &op) {
    return inferPool2D(op, in);
  }
  llvm::Expected<TypeList> visitReduction(const Operation &op) {
    return inferReduce(op, in);
  }
  llvm::Expected<TypeList> visitNormalization(const Operation &op) {
    return inferSoftmax(op, in);
  }
  llvm::Expected<TypeList> visitReshape(const Operation &op) {
    return inferReshape(op, in);
  }
  llvm::Expected<TypeList> visitBroadcast(const Operation &op) {
    return inferBroadcast(op, in);
  }
  llvm::Expected<TypeList> visitConcat(const Operation &op) {
    return inferConcat(op, in);
  }
  llvm::Expected<TypeList> visitSlice(const Operation &op) {
    return inferSlice(op, in);
  }
  llvm::Expected<TypeList> visitQuantize(const Operation &op) {
    return inferQuantize(op, in);
  }
  llvm::Expected<TypeList> visitDequantize(const Operation &op) {
    return inferQuantize(op, in);
  }
  llvm::Expected<TypeList> visitConstant(const Operation &op) {
    return inferConstant(op, declared);
  }
  llvm::Expected<TypeList> visitFakeQuantization(const Operation &op) {
    return inferFakeQuantization(op, in, declared);
  }
  llvm::Expected<TypeList> visitGradFakeQuantization(const Operation &op) {
    return inferFakeQuantization(op, in, declared);
  }
  llvm::Expected<TypeList> visitGradient(const Operation &op) {
    return inferGradientResultTypes(op, in);
  }
  llvm::Expected<TypeList> visitFusion(const Operation &op) {
    return inferFusedElementwise(op, in);
  }

private:
  llvm::ArrayRef<TensorType> in, declared;
};

} // namespace

llvm::Expected<TypeList> inferResultTypes(const Operation &op,
                                          llvm::ArrayRef<TensorType> in,
                                          llvm::ArrayRef<TensorType> declared) {
  const OpInfo &info = getOpInfo(op.getKind());
  if (in.size() < info.minOperands || in.size() > info.maxOperands) {
    if (info.minOperands == info.maxOperands)
      return makeError("expects {} operand{}, got {}", info.minOperands,
                       info.minOperands == 1 ? "" : "s", in.size());
    return makeError("expects {} to {} operands, got {}", info.minOperands,
                     info.maxOperands, in.size());
  }
  for (const TensorType &t : in)
    if (auto err = t.check())
      return makeError("operand {}", llvm::toString(std::move(err)));
  if (auto err = checkAttributes(op))
    return err;

  auto results = TypeInference(in, declared).visit(op);
  if (!results)
    return results.takeError();
  // Results the op would make too large (Broadcast, Concat, Reshape, ...).
  for (const TensorType &t : *results)
    if (auto err = t.check())
      return makeError("result {}", llvm::toString(std::move(err)));
  return results;
}

} // namespace qjit
