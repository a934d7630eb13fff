//===- FakeQuantization.cpp - FakeQuantization and its gradient -----------===//
//
// docs/fake-quantization.md, element by element in the element type T (Float32
// or Float64). Per channel (an `axis` attribute), element i belongs to channel
// (i / inner) % channels, where inner is the product of the dimensions after
// the axis; per tensor there is one channel.
//
//===----------------------------------------------------------------------===//
#include "Evaluate.h"
#include "qjit/IR/FakeQuantizationOp.h"
#include "qjit/Interpreter/FakeQuantReference.h"
#include "qjit/Support/Error.h"
#include <algorithm>
#include <cmath>
#include <limits>
#include "Support/MakeError.h"

namespace qjit::interp {

namespace {

struct ChannelLayout {
  int64_t channels = 1;
  int64_t inner = 1;
  int64_t channelOf(int64_t i) const { return (i / inner) % channels; }
  // Calls fn(c, begin, end) for each run [begin, end) of elements of channel
  // c, in element order (elements i of a run all have channelOf(i) == c): the
  // element loops then see one channel's parameters at a time.
  // Per tensor, the one run is the whole tensor.
  template <typename Fn> void forEachRun(int64_t n, Fn fn) const {
    int64_t run = channels == 1 ? n : inner;
    for (int64_t begin = 0, c = 0; begin < n; begin += run) {
      fn(c, begin, std::min(begin + run, n));
      c = c + 1 == channels ? 0 : c + 1;
    }
  }
};

ChannelLayout channelLayout(const FakeQuantizationOp &fq,
                            llvm::ArrayRef<int64_t> shape) {
  ChannelLayout layout;
  if (std::optional<int64_t> axis = fq.normalizedAxis(shape.size())) {
    layout.channels = shape[*axis];
    layout.inner = numElements(shape.drop_front(*axis + 1));
  }
  return layout;
}

// Index of channel c's value in a scale or zero point operand: shape []
// holds one value for every channel, shape [channels] one per channel.
int64_t paramIndex(const Tensor &param, int64_t channel) {
  return param.shape().empty() ? 0 : channel;
}

// Stores an accumulated LSQ gradient into a tensor of the scale's or zero
// point's type. An Int32 zero point gets its gradient converted as
// llvm.fptosi.sat does: truncated toward zero, saturated to the int32 range,
// NaN -> 0.
template <ReferenceFloat T>
void storeGradient(Tensor &out, int64_t index, T value) {
  switch (out.elementType()) {
  case DataType::Float32:
    out.as<float>()[index] = static_cast<float>(value);
    return;
  case DataType::Float64:
    out.as<double>()[index] = static_cast<double>(value);
    return;
  case DataType::Int32: {
    constexpr int32_t lo = std::numeric_limits<int32_t>::min();
    constexpr int32_t hi = std::numeric_limits<int32_t>::max();
    int32_t v = 0;
    if (std::isnan(value))
      v = 0;
    else if (value <= T(lo))
      v = lo;
    else if (value >= T(hi)) // 2^31 as a float
      v = hi;
    else
      v = static_cast<int32_t>(value); // truncates toward zero
    out.as<int32_t>()[index] = v;
    return;
  }
  case DataType::Int8:
  case DataType::UInt8:
  case DataType::Int16:
  case DataType::Int64:
  case DataType::Bool:
    break;
  }
  llvm_unreachable("the op rules admit Float32, Float64 or Int32 here");
}

// One evaluation of FakeQuantization or GradFakeQuantization (x, dy, scale
// and zero point operands) in the element type T of x.
template <ReferenceFloat T> class Evaluation {
public:
  Evaluation(const FakeQuantizationOp &fq,
             llvm::ArrayRef<const Tensor *> operands)
      : fq(fq), x(*operands[fq.isGradient() ? 1 : 0]),
        dy(fq.isGradient() ? operands[0] : nullptr),
        scaleT(optionalOperand(operands, 1)),
        zeroPointT(optionalOperand(operands, 2)),
        layout(channelLayout(fq, x.shape())), qmin(T(fq.quantMin())),
        qmax(T(fq.quantMax())), xs(x.as<T>()), n(x.numElements()),
        params(layout.channels) {}

  llvm::Expected<Results> run(llvm::ArrayRef<TensorType> resultTypes) {
    if (llvm::Error err = computeParams())
      return err;
    if (!fq.isGradient())
      return forward(resultTypes);
    return backward(resultTypes);
  }

private:
  // The scale or zero point operand (`offset` after x), if given.
  const Tensor *optionalOperand(llvm::ArrayRef<const Tensor *> operands,
                                unsigned offset) const {
    const unsigned first = fq.isGradient() ? 1 : 0;
    return operands.size() > first + offset ? operands[first + offset]
                                            : nullptr;
  }

  // Scale and zero point of every channel, converted to T.
  llvm::Error computeParams() {
    if (fq.scaleFromData()) {
      observeParams();
      return llvm::Error::success();
    }
    if (fq.hasScaleAttr()) {
      paramsFromAttributes();
      return llvm::Error::success();
    }
    return paramsFromOperands();
  }

  // No scale attribute or operand: the MinMax observer over each channel's
  // elements ("The MinMax observer").
  void observeParams() {
    std::vector<std::vector<T>> byChannel(layout.channels);
    for (int64_t i = 0; i < n; ++i)
      byChannel[layout.channelOf(i)].push_back(xs[i]);
    for (int64_t c = 0; c < layout.channels; ++c)
      params[c] = observeMinMax<T>(byChannel[c], fq.quantMin(), fq.quantMax(),
                                   fq.symmetricGrid());
  }

  // Attributes: a scale (list per channel) and an integer zero point.
  void paramsFromAttributes() {
    std::vector<double> scales = fq.scales();
    for (int64_t c = 0; c < layout.channels; ++c)
      params[c] = {T(scales[scales.size() == 1 ? 0 : c]), T(fq.zeroPoint(c))};
  }

  // Tensor operands.
  llvm::Error paramsFromOperands() {
    for (int64_t c = 0; c < layout.channels; ++c) {
      T s = readAs<T>(*scaleT, paramIndex(*scaleT, c));
      T zp = 0;
      if (zeroPointT) {
        llvm::Expected<T> operandZp = zeroPointOperand(c);
        if (!operandZp)
          return operandZp.takeError();
        zp = *operandZp;
      }
      params[c] = {s, zp};
    }
    return llvm::Error::success();
  }

  // Channel c's zero point operand. A float zero point is rounded half to
  // even and clamped to the grid in its own type; an Int32 one is used as
  // is, except for lsq, whose z = roundeven(clamp(zp, qmin, qmax)) holds in
  // both passes.
  llvm::Expected<T> zeroPointOperand(int64_t c) const {
    int64_t k = paramIndex(*zeroPointT, c);
    return visitDataTypeAmong<float, double, int32_t>(
        zeroPointT->elementType(),
        [&](auto tag) -> llvm::Expected<T> {
          using Z = typename decltype(tag)::type;
          Z zp = zeroPointT->as<Z>()[k];
          if constexpr (std::is_same_v<Z, int32_t>)
            return fq.gradient() == GradientRule::LSQ
                       ? clampToGrid(T(zp), qmin, qmax)
                       : T(zp);
          else
            return T(zeroPointFromFloat<Z>(zp, Z(qmin), Z(qmax)));
        },
        [&] {
          return makeError("zero_point operand must be Float32, Float64 or "
                           "Int32, got {}",
                           dataTypeName(zeroPointT->elementType()).str());
        });
  }

  // Forward: y = (clamp(roundeven(x * fl(1/s)) + zp) - zp) * s.
  Results forward(llvm::ArrayRef<TensorType> resultTypes) const {
    Results results;
    Tensor y(resultTypes[0]);
    T *ys = y.as<T>();
    layout.forEachRun(n, [&](int64_t c, int64_t begin, int64_t end) {
      const QuantParams<T> p = params[c];
      for (int64_t i = begin; i < end; ++i)
        ys[i] = fakeQuantize(xs[i], p.scale, p.zeroPoint, qmin, qmax);
    });
    results.push_back(std::move(y));
    if (resultTypes.size() == 2) {
      // The mask result: qmin <= qf <= qmax.
      Tensor mask(resultTypes[1]);
      bool *ms = mask.as<bool>();
      layout.forEachRun(n, [&](int64_t c, int64_t begin, int64_t end) {
        const QuantParams<T> p = params[c];
        for (int64_t i = begin; i < end; ++i)
          ms[i] = inQuantGrid(xs[i], p.scale, p.zeroPoint, qmin, qmax);
      });
      results.push_back(std::move(mask));
    }
    return results;
  }

  Results backward(llvm::ArrayRef<TensorType> resultTypes) const {
    const T *dys = dy->as<T>();
    Tensor dx(resultTypes[0]);
    T *dxs = dx.as<T>();
    switch (fq.gradient()) {
    case GradientRule::STE:
      // The straight-through estimator: dx = dy.
      for (int64_t i = 0; i < n; ++i)
        dxs[i] = dys[i];
      return singleResult(std::move(dx));
    case GradientRule::Clipped:
      // dx = dy * mask, a multiplication as in PyTorch (dY * mask): off the
      // grid a negative dy gives -0.0 and a NaN or infinite dy gives NaN.
      for (int64_t i = 0; i < n; ++i) {
        const QuantParams<T> &p = params[layout.channelOf(i)];
        dxs[i] = dys[i] * maskValue<T>(inQuantGrid(xs[i], p.scale, p.zeroPoint,
                                                   qmin, qmax));
      }
      return singleResult(std::move(dx));
    case GradientRule::LSQ:
      break;
    }
    return lsqBackward(std::move(dx), resultTypes);
  }

  // LSQ: dx per element; d scale and d zero_point summed in element order,
  // per entry of the scale / zero point operand (all elements for shape [],
  // the channel's elements for shape [channels]).
  Results lsqBackward(Tensor dx, llvm::ArrayRef<TensorType> resultTypes) const {
    const T *dys = dy->as<T>();
    T *dxs = dx.as<T>();
    const T g = T(fq.gradFactor());
    llvm::SmallVector<T, 4> dscale(scaleT->numElements(), T(0));
    llvm::SmallVector<T, 4> dzero(zeroPointT->numElements(), T(0));
    for (int64_t i = 0; i < n; ++i) {
      int64_t c = layout.channelOf(i);
      const QuantParams<T> &p = params[c];
      LsqTerms<T> t =
          lsqGradient(dys[i], xs[i], p.scale, p.zeroPoint, qmin, qmax, g);
      dxs[i] = t.dx;
      dscale[paramIndex(*scaleT, c)] += t.dscale;
      dzero[paramIndex(*zeroPointT, c)] += t.dzeroPoint;
    }
    Tensor ds(resultTypes[1]), dz(resultTypes[2]);
    for (size_t k = 0; k < dscale.size(); ++k)
      storeGradient(ds, k, dscale[k]);
    for (size_t k = 0; k < dzero.size(); ++k)
      storeGradient(dz, k, dzero[k]);
    Results results;
    results.push_back(std::move(dx));
    results.push_back(std::move(ds));
    results.push_back(std::move(dz));
    return results;
  }

  const FakeQuantizationOp &fq;
  const Tensor &x;
  const Tensor *dy;
  const Tensor *scaleT;
  const Tensor *zeroPointT;
  const ChannelLayout layout;
  const T qmin, qmax;
  const T *xs;
  const int64_t n;
  llvm::SmallVector<QuantParams<T>, 4> params;
};

// GradFakeQuantization(dy, mask): dx = dy * mask, as the clipped rule.
template <ReferenceFloat T>
Results maskGradient(const Tensor &dy, const Tensor &mask,
                     const TensorType &type) {
  Tensor dx(type);
  const T *dys = dy.as<T>();
  const bool *ms = mask.as<bool>();
  T *dxs = dx.as<T>();
  for (int64_t i = 0, n = dx.numElements(); i < n; ++i)
    dxs[i] = dys[i] * maskValue<T>(ms[i]);
  return singleResult(std::move(dx));
}

} // namespace

llvm::Expected<Results>
evaluateFakeQuantization(const Operation &op,
                         llvm::ArrayRef<const Tensor *> operands,
                         llvm::ArrayRef<TensorType> resultTypes) {
  FakeQuantizationOp fq(op);
  if (fq.isGradient() && operands[1]->elementType() == DataType::Bool) {
    if (operands[0]->elementType() == DataType::Float64)
      return maskGradient<double>(*operands[0], *operands[1], resultTypes[0]);
    return maskGradient<float>(*operands[0], *operands[1], resultTypes[0]);
  }
  const Tensor &x = *operands[fq.isGradient() ? 1 : 0];
  return visitFloatType(
      x.elementType(),
      [&](auto tag) {
        using T = typename decltype(tag)::type;
        return Evaluation<T>(fq, operands).run(resultTypes);
      },
      [&] { return notFloatInputError(op.getName(), x.elementType()); });
}

} // namespace qjit::interp
