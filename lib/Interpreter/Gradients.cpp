//===- Gradients.cpp - The Grad<Op> ops, element by element ---------------===//
//
// PyTorch's backward formulas, in the element type T (Float32 or Float64),
// evaluated left to right as written (-ffp-contract=off):
//   GradReLU       x <= 0 ? 0 : dy                       (threshold_backward)
//   GradAbs        dy * sign(x), sign(0) = sign(NaN) = 0 (abs: grad * sgn)
//   GradClamp      min <= x <= max ? dy : 0 (a select: +0.0, NaN x -> 0)
//   GradMaximum    da = a == b ? dy / 2 : (a < b ? 0 : dy), db mirrored
//   GradMinimum    da = a == b ? dy / 2 : (a > b ? 0 : dy), db mirrored
//                  (NaN: both get dy, as PyTorch's masked_fill)
//   GradReduceMax  dx = (dy / T(count)) * T(x == y), count = the number of
//   GradReduceMin  x == y in the reduced group (ties share; NaN y -> NaN)
//   GradMaxPool2D  dy goes to the window's first maximum (PyTorch's scan:
//                  val > max || isnan(val) updates, from -inf and the
//                  window's first real cell); windows accumulate in order
//   GradAvgPool2D  dy / T(divisor) added to each real cell of the window
//   GradSlice      dx = 0, dx[start + i * step] = dy[i]
//   GradConv2DInput / GradConv2DWeight: the transposed sums of Conv2D.
//
//===----------------------------------------------------------------------===//
#include "Gradients.h"
#include "qjit/IR/OpParams.h"
#include "qjit/Support/Error.h"
#include <cassert>
#include <cmath>
#include <limits>
#include <vector>
#include "Support/MakeError.h"

namespace qjit::interp {

namespace {

template <typename T> T signOf(T x) {
  return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
}

// dx from dy and x, element by element (same shapes).
template <typename T>
Tensor unaryGradient(const Operation &op, const Tensor &dyT, const Tensor &xT,
                     const TensorType &type) {
  Tensor dxT(type);
  const T *dy = dyT.as<T>(), *x = xT.as<T>();
  T *dx = dxT.as<T>();
  const int64_t n = dxT.numElements();
  const OpKind kind = op.getKind();
  if (kind == OpKind::GradReLU) {
    for (int64_t i = 0; i < n; ++i)
      dx[i] = x[i] <= T(0) ? T(0) : dy[i];
  } else if (kind == OpKind::GradAbs) {
    for (int64_t i = 0; i < n; ++i)
      dx[i] = dy[i] * signOf(x[i]);
  } else {
    assert(kind == OpKind::GradClamp);
    ClampParams p = llvm::cantFail(getClampParams(op, type.elementType));
    for (int64_t i = 0; i < n; ++i) {
      bool inside =
          (!p.min || x[i] >= T(*p.min)) && (!p.max || x[i] <= T(*p.max));
      dx[i] = inside ? dy[i] : T(0);
    }
  }
  return dxT;
}

template <typename T>
Results minMaxGradient(bool isMax, const Tensor &dyT, const Tensor &aT,
                       const Tensor &bT) {
  Tensor daT(dyT.getType()), dbT(dyT.getType());
  const T *dy = dyT.as<T>(), *a = aT.as<T>(), *b = bT.as<T>();
  T *da = daT.as<T>(), *db = dbT.as<T>();
  for (int64_t i = 0, n = dyT.numElements(); i < n; ++i) {
    T av = a[broadcastSourceIndex(i, dyT.shape(), aT.shape())];
    T bv = b[broadcastSourceIndex(i, dyT.shape(), bT.shape())];
    T shared = av == bv ? dy[i] / T(2) : dy[i];
    // The operand that lost: a < b for Maximum's a, a > b for Minimum's.
    bool aLost = isMax ? av < bv : av > bv;
    bool bLost = isMax ? av > bv : av < bv;
    da[i] = aLost ? T(0) : shared;
    db[i] = bLost ? T(0) : shared;
  }
  Results results;
  results.push_back(std::move(daT));
  results.push_back(std::move(dbT));
  return results;
}

template <typename T>
Tensor reduceExtremumGradient(const Operation &op, const Tensor &dyT,
                              const Tensor &xT, const Tensor &yT) {
  auto axes = llvm::cantFail(getReduceAxes(op, xT.getType().rank()));
  std::vector<int64_t> target = reducedIndices(xT.shape(), axes);
  const T *dy = dyT.as<T>(), *x = xT.as<T>(), *y = yT.as<T>();
  std::vector<T> count(yT.numElements(), T(0));
  const int64_t n = xT.numElements();
  for (int64_t i = 0; i < n; ++i)
    if (x[i] == y[target[i]])
      count[target[i]] += T(1);
  Tensor dxT(xT.getType());
  T *dx = dxT.as<T>();
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = target[i];
    dx[i] = (dy[o] / count[o]) * (x[i] == y[o] ? T(1) : T(0));
  }
  return dxT;
}

// A pooling window over the real cells of one plane.
struct Window {
  int64_t h0, w0, hBegin, hEnd, wBegin, wEnd;
};

Window poolWindow(const Pool2DParams &p, int64_t y, int64_t x, int64_t height,
                  int64_t width) {
  Window w;
  w.h0 = y * p.strideH - p.padH;
  w.w0 = x * p.strideW - p.padW;
  w.hBegin = std::max<int64_t>(w.h0, 0);
  w.hEnd = std::min(w.h0 + p.kernelH, height);
  w.wBegin = std::max<int64_t>(w.w0, 0);
  w.wEnd = std::min(w.w0 + p.kernelW, width);
  return w;
}

template <typename T>
Tensor poolGradient(const Operation &op, const Tensor &dyT, const Tensor *xT,
                    const TensorType &inputType) {
  const bool isMax = op.getKind() == OpKind::GradMaxPool2D;
  Pool2DParams p = llvm::cantFail(getPool2DParams(op));
  llvm::ArrayRef<int64_t> is = inputType.shape, os = dyT.shape();
  const int64_t planes = is[0] * is[1], height = is[2], width = is[3];
  const int64_t outHeight = os[2], outWidth = os[3];
  Tensor dxT(inputType);
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T *dy = dyT.as<T>() + plane * outHeight * outWidth;
    T *dx = dxT.as<T>() + plane * height * width;
    const T *x = isMax ? xT->as<T>() + plane * height * width : nullptr;
    for (int64_t oy = 0; oy < outHeight; ++oy)
      for (int64_t ox = 0; ox < outWidth; ++ox) {
        Window w = poolWindow(p, oy, ox, height, width);
        T g = dy[oy * outWidth + ox];
        if (isMax) {
          int64_t best = w.hBegin * width + w.wBegin;
          T max = -std::numeric_limits<T>::infinity();
          for (int64_t h = w.hBegin; h < w.hEnd; ++h)
            for (int64_t c = w.wBegin; c < w.wEnd; ++c) {
              T v = x[h * width + c];
              if (v > max || std::isnan(v)) {
                max = v;
                best = h * width + c;
              }
            }
          dx[best] += g;
          continue;
        }
        int64_t divisor =
            p.countIncludePad
                ? (std::min(w.h0 + p.kernelH, height + p.padH) - w.h0) *
                      (std::min(w.w0 + p.kernelW, width + p.padW) - w.w0)
                : (w.hEnd - w.hBegin) * (w.wEnd - w.wBegin);
        T share = g / static_cast<T>(divisor);
        for (int64_t h = w.hBegin; h < w.hEnd; ++h)
          for (int64_t c = w.wBegin; c < w.wEnd; ++c)
            dx[h * width + c] += share;
      }
  }
  return dxT;
}

template <typename T>
Tensor sliceGradient(const Operation &op, const Tensor &dyT,
                     const TensorType &inputType) {
  SliceParams p = llvm::cantFail(getSliceParams(op, inputType.shape));
  Tensor dxT(inputType); // zeros
  Shape strides = rowMajorStrides(inputType.shape);
  const T *dy = dyT.as<T>();
  T *dx = dxT.as<T>();
  for (int64_t i = 0, n = dyT.numElements(); i < n; ++i)
    dx[sliceSourceIndex(p, strides, i)] = dy[i];
  return dxT;
}

// Conv2D's index arithmetic, shared by its two gradients: calls
// f(dyIndex, inputIndex, weightIndex) for every product of the forward sum
// whose input cell is real (not padding).
template <typename F>
void forEachConvTerm(const Conv2DParams &p, llvm::ArrayRef<int64_t> in,
                     llvm::ArrayRef<int64_t> w, llvm::ArrayRef<int64_t> out,
                     F f) {
  const int64_t batch = in[0], channels = in[1], height = in[2], width = in[3];
  const int64_t outChannels = w[0], groupChannels = w[1], kh = w[2], kw = w[3];
  const int64_t outHeight = out[2], outWidth = out[3];
  const int64_t outPerGroup = outChannels / p.groups;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t o = 0; o < outChannels; ++o) {
      int64_t group = o / outPerGroup;
      for (int64_t c = 0; c < groupChannels; ++c) {
        int64_t ic = group * groupChannels + c;
        for (int64_t ky = 0; ky < kh; ++ky)
          for (int64_t kx = 0; kx < kw; ++kx) {
            int64_t wIndex = ((o * groupChannels + c) * kh + ky) * kw + kx;
            for (int64_t oy = 0; oy < outHeight; ++oy) {
              int64_t iy = oy * p.strideH - p.padH + ky * p.dilationH;
              if (iy < 0 || iy >= height)
                continue;
              for (int64_t ox = 0; ox < outWidth; ++ox) {
                int64_t ix = ox * p.strideW - p.padW + kx * p.dilationW;
                if (ix < 0 || ix >= width)
                  continue;
                f(((n * outChannels + o) * outHeight + oy) * outWidth + ox,
                  ((n * channels + ic) * height + iy) * width + ix, wIndex);
              }
            }
          }
      }
    }
}

template <typename T>
Tensor convGradient(const Operation &op, const Tensor &dyT, const Tensor &other,
                    const TensorType &resultType) {
  Conv2DParams p = llvm::cantFail(getConv2DParams(op));
  const bool forInput = op.getKind() == OpKind::GradConv2DInput;
  Tensor result(resultType); // zeros
  const T *dy = dyT.as<T>(), *o = other.as<T>();
  T *r = result.as<T>();
  llvm::ArrayRef<int64_t> inShape = forInput ? resultType.shape : other.shape();
  llvm::ArrayRef<int64_t> wShape = forInput ? other.shape() : resultType.shape;
  forEachConvTerm(p, inShape, wShape, dyT.shape(),
                  [&](int64_t d, int64_t i, int64_t w) {
                    if (forInput)
                      r[i] += dy[d] * o[w];
                    else
                      r[w] += dy[d] * o[i];
                  });
  return result;
}

template <typename T>
llvm::Expected<Results> evaluate(const Operation &op,
                                 llvm::ArrayRef<const Tensor *> in,
                                 llvm::ArrayRef<TensorType> resultTypes) {
  const Tensor &dy = *in[0];
  // Only Grad<Op> kinds get here (those of float-only activations are in
  // Math.cpp, beside their forward formulas).
  const OpKind kind = op.getKind();
  auto is = [&](std::initializer_list<OpKind> kinds) {
    return llvm::is_contained(kinds, kind);
  };
  if (is({OpKind::GradReLU, OpKind::GradAbs, OpKind::GradClamp}))
    return singleResult(unaryGradient<T>(op, dy, *in[1], resultTypes[0]));
  if (is({OpKind::GradMaximum, OpKind::GradMinimum}))
    return minMaxGradient<T>(kind == OpKind::GradMaximum, dy, *in[1], *in[2]);
  if (is({OpKind::GradReduceMax, OpKind::GradReduceMin}))
    return singleResult(reduceExtremumGradient<T>(op, dy, *in[1], *in[2]));
  if (kind == OpKind::GradMaxPool2D)
    return singleResult(poolGradient<T>(op, dy, in[1], resultTypes[0]));
  if (kind == OpKind::GradAvgPool2D)
    return singleResult(poolGradient<T>(op, dy, nullptr, resultTypes[0]));
  if (kind == OpKind::GradSlice)
    return singleResult(sliceGradient<T>(op, dy, resultTypes[0]));
  if (is({OpKind::GradConv2DInput, OpKind::GradConv2DWeight}))
    return singleResult(convGradient<T>(op, dy, *in[1], resultTypes[0]));
  return makeError("'{}' is not evaluated here", op.getName().str());
}

} // namespace

llvm::Expected<Results>
evaluateGradient(const Operation &op, llvm::ArrayRef<const Tensor *> operands,
                 llvm::ArrayRef<TensorType> resultTypes) {
  return visitFloatType(
      operands[0]->elementType(),
      [&](auto tag) {
        return evaluate<typename decltype(tag)::type>(op, operands,
                                                      resultTypes);
      },
      [] { return makeError("gradient must be Float32 or Float64"); });
}

} // namespace qjit::interp
