//===- FakeQuantReference.h - Fake quantization per element ----*- C++ -*-===//
//
// The scalar formulas of docs/fake-quantization.md as plain functions, in the
// element type T (float or double). The interpreter is built from them, and
// tests of the JIT can use them to derive expectations (e.g. the observer's
// scale and zero point of some data).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_INTERPRETER_FAKEQUANTREFERENCE_H
#define QJIT_INTERPRETER_FAKEQUANTREFERENCE_H

#include "qjit/IR/FakeQuantizationOp.h"
#include "llvm/ADT/ArrayRef.h"
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace qjit {

template <typename T>
concept ReferenceFloat = std::is_same_v<T, float> || std::is_same_v<T, double>;

// Round half to even, independent of the floating-point rounding mode
// (llvm.roundeven). std::round rounds halves away from zero; on an exact
// half, 2 * round(x / 2) picks the even neighbour instead. x - trunc(x) and
// x / 2 are exact, so there is no double rounding. Keeps the sign of zero
// (-0.5 -> -0.0), NaN and infinities.
template <ReferenceFloat T> T roundEven(T x) {
  T r = std::round(x);
  if (std::fabs(x - std::trunc(x)) == T(0.5))
    r = T(2) * std::round(x / T(2));
  return r;
}

// clamp(v, lo, hi) as select(v > lo, v, lo) then select(r < hi, r, hi)
// (docs/fake-quantization.md, "Forward"): NaN -> lo, +inf -> hi, -inf -> lo.
template <ReferenceFloat T> T clampToGrid(T v, T lo, T hi) {
  T r = v > lo ? v : lo;
  return r < hi ? r : hi;
}

// The grid position before clamping: qf = roundeven(x * fl(1 / s)) + zp.
// The multiplication by the rounded reciprocal (not x / s) is PyTorch's; the
// add is always done, so -0.0 becomes +0.0 even for zp = 0.
template <ReferenceFloat T> T unclampedLevel(T x, T scale, T zeroPoint) {
  T inv = T(1) / scale;
  return roundEven(x * inv) + zeroPoint;
}

// y = (clamp(qf, qmin, qmax) - zp) * s.
template <ReferenceFloat T>
T fakeQuantize(T x, T scale, T zeroPoint, T qmin, T qmax) {
  T q = clampToGrid(unclampedLevel(x, scale, zeroPoint), qmin, qmax);
  return (q - zeroPoint) * scale;
}

// mask = qmin <= qf && qf <= qmax (false for NaN and +-inf): where the
// clipped and LSQ gradients let dy through.
template <ReferenceFloat T>
bool inQuantGrid(T x, T scale, T zeroPoint, T qmin, T qmax) {
  T qf = unclampedLevel(x, scale, zeroPoint);
  return qmin <= qf && qf <= qmax;
}

// A zero point given as a floating-point tensor: rounded half to even, then
// clamped to the grid (for integral grid bounds this equals LSQ's
// roundeven(clamp(zp, qmin, qmax))).
template <ReferenceFloat T> T zeroPointFromFloat(T zp, T qmin, T qmax) {
  return clampToGrid(roundEven(zp), qmin, qmax);
}

// The mask as the factor of `dx = dy * mask` (docs/fake-quantization.md,
// "Backward"): a multiplication, so off the grid a negative dy gives -0.0 and a
// NaN or infinite dy gives NaN, as PyTorch's dY * mask does.
template <ReferenceFloat T> T maskValue(bool inGrid) {
  return inGrid ? T(1) : T(0);
}

template <ReferenceFloat T> struct QuantParams {
  T scale;
  T zeroPoint;
};

// The MinMax observer of docs/fake-quantization.md ("The MinMax observer")
// over `values` (one tensor, or one channel's elements), in T:
//   lo = min(min(x), 0), hi = max(max(x), 0), NaN ignored
//   symmetric: s = max(eps, max(-lo, hi) / ((qmax - qmin) / 2)), zp = 0
//   affine:    s = max(eps, (hi - lo) / (qmax - qmin)),
//              zp = clamp(qmin - roundeven(lo / s), qmin, qmax)
// `symmetric` is FakeQuantizationOp::symmetricGrid().
template <ReferenceFloat T>
QuantParams<T> observeMinMax(llvm::ArrayRef<T> values, int64_t qmin,
                             int64_t qmax, bool symmetric) {
  T lo = 0, hi = 0;
  for (T v : values) {
    // Comparisons with NaN are false, so NaN elements are skipped.
    if (v < lo)
      lo = v;
    if (v > hi)
      hi = v;
  }
  const T eps = T(kObserverEps);
  const T tqmin = T(qmin), tqmax = T(qmax);
  auto maxWithEps = [&](T s) { return s > eps ? s : eps; };
  if (symmetric) {
    T absMax = -lo > hi ? -lo : hi;
    return {maxWithEps(absMax / ((tqmax - tqmin) / T(2))), T(0)};
  }
  T s = maxWithEps((hi - lo) / (tqmax - tqmin));
  T zp = clampToGrid(tqmin - roundEven(lo / s), tqmin, tqmax);
  return {s, zp};
}

// One element of GradFakeQuantization with gradient=lsq
// (docs/fake-quantization.md, "Backward"), g = grad_factor, z the zero point
// already clamped and rounded:
//   in the grid:  dx = dy, ds = dy * (y - x) / s * g,  dz = 0
//   below / above: dx = 0, ds = dy * (q - z) * g,     dz = -dy * s * g
// where q is the clamped level (qmin below, qmax above). A NaN qf is outside
// the grid and clamps to qmin, as in the forward pass, so it takes the
// "below" row.
template <ReferenceFloat T> struct LsqTerms {
  T dx;
  T dscale;
  T dzeroPoint;
};
template <ReferenceFloat T>
LsqTerms<T> lsqGradient(T dy, T x, T scale, T zeroPoint, T qmin, T qmax,
                        T gradFactor) {
  T qf = unclampedLevel(x, scale, zeroPoint);
  T q = clampToGrid(qf, qmin, qmax);
  T y = (q - zeroPoint) * scale;
  if (qmin <= qf && qf <= qmax)
    return {dy * maskValue<T>(true), dy * (y - x) / scale * gradFactor, T(0)};
  return {dy * maskValue<T>(false), dy * (q - zeroPoint) * gradFactor,
          -dy * scale * gradFactor};
}

} // namespace qjit

#endif
