//===- OpParams.h - Attributes of the ops, normalized ---*- C++ -*-===//
//
// One reading of the attributes of MatMul, Conv2D, pooling, reductions,
// softmax, shape ops and Quantize/Dequantize: defaults applied, negative axes
// made non-negative, derived sizes computed. The op rules (verifier, builder)
// call these and report their errors; the interpreter and code generator call
// them on verified ops, where they cannot fail (use llvm::cantFail).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_IR_OPPARAMS_H
#define QJIT_IR_OPPARAMS_H

#include "qjit/IR/Graph.h"
#include "llvm/Support/Error.h"
#include <optional>

namespace qjit {

// Normalizes `axis` for a rank; error if outside [-rank, rank).
llvm::Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank);

struct Conv2DParams {
  int64_t strideH = 1, strideW = 1;
  int64_t padH = 0, padW = 0;
  int64_t dilationH = 1, dilationW = 1;
  int64_t groups = 0;
  bool channelsLast = false; // QLinearConv2D's NHWC x and y
};
llvm::Expected<Conv2DParams> getConv2DParams(const Operation &op);

// Transpose permutations between NCHW and NHWC, and the shapes they give.
inline constexpr int64_t kNchwToNhwc[] = {0, 2, 3, 1};
inline constexpr int64_t kNhwcToNchw[] = {0, 3, 1, 2};
Shape permuteShape(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<int64_t> perm);

struct Pool2DParams {
  int64_t kernelH, kernelW;
  int64_t strideH, strideW; // default: the kernel size
  int64_t padH = 0, padW = 0;
  bool countIncludePad = false; // AvgPool2D's (its default is in Ops.def)
};
llvm::Expected<Pool2DParams> getPool2DParams(const Operation &op);

// Output size of a sliding window over `input` (PyTorch's floor formula);
// error if the (dilated) window is larger than the padded input.
llvm::Expected<int64_t> slidingOutputSize(int64_t input, int64_t kernel,
                                          int64_t stride, int64_t padding,
                                          int64_t dilation);

// Reduction axes: sorted, unique, non-negative; all axes when absent.
llvm::Expected<llvm::SmallVector<int64_t, 4>>
getReduceAxes(const Operation &op, int64_t rank);
bool getKeepDims(const Operation &op);

// Softmax/LogSoftmax (default -1) and Concat (default 0) axis, normalized.
llvm::Expected<int64_t> getOpAxis(const Operation &op, int64_t rank);

// Transpose: the permutation (default: reversed axes).
llvm::Expected<llvm::SmallVector<int64_t, 4>>
getTransposePerm(const Operation &op, int64_t rank);

// Reshape: the target shape with a -1 resolved.
llvm::Expected<Shape> getReshapeShape(const Operation &op,
                                      llvm::ArrayRef<int64_t> input);

// Slice: per dimension, the first index, the step and the result size
// (Python slicing: negative indices count from the end, bounds clamp).
struct SliceParams {
  Shape starts, steps, sizes;
};
llvm::Expected<SliceParams> getSliceParams(const Operation &op,
                                           llvm::ArrayRef<int64_t> input);

// Clamp bounds (either may be absent, not both).
struct ClampParams {
  std::optional<double> min, max;
};
llvm::Expected<ClampParams> getClampParams(const Operation &op,
                                           DataType type);

double getLeakyReLUAlpha(const Operation &op); // default 0.01
bool getGELUTanh(const Operation &op);         // approximate=tanh

// Quantize/Dequantize: per tensor (one scale) or per channel along `axis`.
struct QuantizeParams {
  std::vector<double> scales;
  std::vector<int64_t> zeroPoints;
  std::optional<int64_t> axis; // normalized
  DataType intType;            // Quantize's result / Dequantize's input
  int64_t qmin, qmax;          // the integer type's range
};
// `input` is the float input of Quantize or the integer input of Dequantize.
llvm::Expected<QuantizeParams> getQuantizeParams(const Operation &op,
                                                 const TensorType &input);

// QLinearMatMul/QLinearConv2D: the quantization of x, w and y, checked
// (scales finite and > 0, zero points inside their types, one w value or one
// per output column / channel) against operand types x and w.
struct QLinearParams {
  float xScale, yScale;
  int64_t xZeroPoint, yZeroPoint;
  std::vector<float> wScales;    // 1 or `columns` values
  std::vector<int64_t> wZeroPoints; // 1 or `columns` values
  bool relu = false;
  DataType resultType; // dtype: UInt8, Int8, or Float32 (levels dequantized)
  int64_t lo, hi;      // the result's range: dtype's, narrowed by quant_min
                       // and quant_max, lo raised to y_zp by relu
  int64_t columns;     // N or O

  float wScale(int64_t j) const { return wScales[wScales.size() == 1 ? 0 : j]; }
  int64_t wZeroPoint(int64_t j) const {
    return wZeroPoints[wZeroPoints.size() == 1 ? 0 : j];
  }
  // fl(fl(x_scale * w_scale[j]) / y_scale): the factor from the int32 sum
  // to y's steps.
  float multiplier(int64_t j) const { return xScale * wScale(j) / yScale; }
};
llvm::Expected<QLinearParams> getQLinearParams(const Operation &op,
                                               const TensorType &x,
                                               const TensorType &w);

} // namespace qjit

#endif
