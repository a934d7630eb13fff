//===- OnnxConvPoolOps.cpp - Convolution and pooling ops ------------------===//
//
// Conv, MaxPool, AveragePool and the global poolings: 2-D windows over NCHW,
// their pads (auto_pad, asymmetric, ceil_mode) made qjit's.
// Each translator emits the qjit ops that compute what the ONNX op defines
// (docs/onnx-import.md); the table at the end names them.
//
//===----------------------------------------------------------------------===//
#include "OnnxNode.h"
#include "Support/MakeError.h"
#include "llvm/Support/MathExtras.h"
#include <array>
#include <cmath>
#include <limits>

namespace qjit::onnx_import {

namespace {

using Results = llvm::SmallVectorImpl<ValueId>;

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

// Kernel, stride, padding and dilation of a 2-D window op over NCHW `x`
// from kernel_shape/strides/pads/dilations/auto_pad. `pad` is what qjit's
// op pads on both sides of H and W; `extraBegin`/`extraEnd` what asymmetric
// pads add on one side, which padInput makes explicit.
struct Window2D {
  int64_t kernel[2], stride[2] = {1, 1}, pad[2] = {0, 0},
                     dilation[2] = {1, 1};
  int64_t extraBegin[2] = {0, 0}, extraEnd[2] = {0, 0};
  int64_t pads[4] = {0, 0, 0, 0}; // ONNX's [h_begin, w_begin, h_end, w_end]

  bool asymmetric() const {
    return extraBegin[0] || extraBegin[1] || extraEnd[0] || extraEnd[1];
  }
};

llvm::Expected<Window2D> window2D(OnnxNode &node, const TensorType &x,
                                  std::optional<std::array<int64_t, 2>> kernel) {
  if (x.rank() != 4)
    return makeError("only 2-D windows (NCHW input of rank 4) are supported, "
                     "got input {}",
                     x.toString());
  Window2D w;
  auto kernelShape = node.optionalInts("kernel_shape");
  if (!kernelShape)
    return kernelShape.takeError();
  if (*kernelShape && (*kernelShape)->size() != 2)
    return makeError("kernel_shape must have 2 values, got {}",
                     (*kernelShape)->size());
  if (kernel) {
    if (*kernelShape && ((**kernelShape)[0] != (*kernel)[0] ||
                         (**kernelShape)[1] != (*kernel)[1]))
      return makeError("kernel_shape [{}, {}] differs from the weight's "
                       "[{}, {}]",
                       (**kernelShape)[0], (**kernelShape)[1], (*kernel)[0],
                       (*kernel)[1]);
    w.kernel[0] = (*kernel)[0];
    w.kernel[1] = (*kernel)[1];
  } else {
    if (!*kernelShape)
      return makeError("kernel_shape is required");
    w.kernel[0] = (**kernelShape)[0];
    w.kernel[1] = (**kernelShape)[1];
  }
  auto readPair = [&](llvm::StringRef name, int64_t *out) -> llvm::Error {
    auto v = node.optionalInts(name);
    if (!v)
      return v.takeError();
    if (!*v)
      return llvm::Error::success();
    if ((*v)->size() != 2)
      return makeError("{} must have 2 values, got {}", name.str(),
                       (*v)->size());
    for (int i = 0; i < 2; ++i) {
      if ((**v)[i] < 1)
        return makeError("{} must be positive, got {}", name.str(), (**v)[i]);
      out[i] = (**v)[i];
    }
    return llvm::Error::success();
  };
  if (llvm::Error err = readPair("strides", w.stride))
    return err;
  if (llvm::Error err = readPair("dilations", w.dilation))
    return err;
  for (int i = 0; i < 2; ++i)
    if (w.kernel[i] < 1)
      return makeError("kernel sizes must be positive, got {}", w.kernel[i]);

  auto autoPad = node.getString("auto_pad", "NOTSET");
  if (!autoPad)
    return autoPad.takeError();
  auto padsAttr = node.optionalInts("pads");
  if (!padsAttr)
    return padsAttr.takeError();
  int64_t begin[2] = {0, 0}, end[2] = {0, 0};
  if (*autoPad == "NOTSET") {
    if (*padsAttr) {
      if ((*padsAttr)->size() != 4)
        return makeError("pads must have 4 values, got {}",
                         (*padsAttr)->size());
      for (int i = 0; i < 2; ++i) {
        begin[i] = (**padsAttr)[i];
        end[i] = (**padsAttr)[i + 2];
      }
    }
  } else if (*autoPad == "SAME_UPPER" || *autoPad == "SAME_LOWER") {
    for (int i = 0; i < 2; ++i) {
      int64_t in = x.shape[2 + i], s = w.stride[i];
      int64_t out = in / s + (in % s != 0);
      // total = max(0, (out - 1) * s + (k - 1) * d + 1 - in), checked.
      int64_t span, extent, total;
      if (llvm::MulOverflow(w.kernel[i] - 1, w.dilation[i], span) ||
          llvm::MulOverflow(out - 1, s, extent) ||
          llvm::AddOverflow(extent, span, total))
        return makeError("the window is too large");
      total = std::max<int64_t>(0, total + 1 - in);
      begin[i] = *autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end[i] = total - begin[i];
    }
  } else if (*autoPad != "VALID") {
    return makeError("auto_pad '{}' is not supported (NOTSET, VALID, "
                     "SAME_UPPER or SAME_LOWER)",
                     *autoPad);
  }
  for (int i = 0; i < 2; ++i) {
    if (begin[i] < 0 || end[i] < 0)
      return makeError("pads must not be negative, got [{}, {}, {}, {}]",
                       begin[0], begin[1], end[0], end[1]);
    w.pad[i] = std::min(begin[i], end[i]);
    w.extraBegin[i] = begin[i] - w.pad[i];
    w.extraEnd[i] = end[i] - w.pad[i];
    w.pads[i] = begin[i];
    w.pads[i + 2] = end[i];
  }
  return w;
}

// x with the asymmetric part of w's pads made explicit: a Concat of `fill`
// constants before and after along H and W.
llvm::Expected<ValueId> padInput(OnnxNode &node, ValueId x, const Window2D &w,
                                 double fill) {
  for (int i = 0; i < 2; ++i) {
    int64_t axis = 2 + i;
    llvm::SmallVector<ValueId, 3> parts;
    for (int64_t extra : {w.extraBegin[i], int64_t(-1), w.extraEnd[i]}) {
      if (extra == -1) {
        parts.push_back(x);
        continue;
      }
      if (extra == 0)
        continue;
      TensorType t = node.type(x);
      t.shape[axis] = extra;
      if (llvm::Error err = t.check())
        return err;
      auto c = node.ctx.constant(t, Attribute(fill));
      if (!c)
        return c.takeError();
      parts.push_back(*c);
    }
    if (parts.size() > 1) {
      auto joined = node.ctx.create(OpKind::Concat, parts, {{"axis", axis}});
      if (!joined)
        return joined.takeError();
      x = *joined;
    }
  }
  return x;
}

std::vector<int64_t> pair(const int64_t *v) { return {v[0], v[1]}; }

llvm::Error conv(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto weight = node.input(1);
  if (!weight)
    return weight.takeError();
  auto bias = node.optionalInput(2);
  if (!bias)
    return bias.takeError();
  const TensorType &wt = node.type(*weight);
  if (wt.rank() != 4)
    return makeError("only 2-D convolutions are supported (the weight must "
                     "have rank 4), got weight {}",
                     wt.toString());
  auto w = window2D(node, node.type(*x),
                    std::array<int64_t, 2>{wt.shape[2], wt.shape[3]});
  if (!w)
    return w.takeError();
  auto group = node.getInt("group", 1);
  if (!group)
    return group.takeError();
  // Asymmetric pads: the extra zeros made explicit.
  auto padded = padInput(node, *x, *w, 0.0);
  if (!padded)
    return padded.takeError();
  llvm::SmallVector<ValueId, 3> operands{*padded, *weight};
  if (*bias)
    operands.push_back(**bias);
  return pushResult(node.ctx.create(OpKind::Conv2D, operands,
                              {{"stride", pair(w->stride)},
                               {"padding", pair(w->pad)},
                               {"dilation", pair(w->dilation)},
                               {"groups", *group}}),
              results);
}

// Checks dilations (1 only) and reads ceil_mode: with 1, the padding the
// last, partial window of each dimension reads past the end (the output
// size rounded up, as PyTorch and ONNX Runtime do: a window must start
// inside the input or its leading pad). 0 for each dimension without one.
llvm::Expected<std::array<int64_t, 2>>
checkPoolOptions(OnnxNode &node, const TensorType &x, const Window2D &w) {
  if (w.dilation[0] != 1 || w.dilation[1] != 1)
    return makeError("dilations [{}, {}] are not supported (only 1)",
                     w.dilation[0], w.dilation[1]);
  auto ceilMode = node.getInt("ceil_mode", 0);
  if (!ceilMode)
    return ceilMode.takeError();
  if (*ceilMode != 0 && *ceilMode != 1)
    return makeError("ceil_mode must be 0 or 1, got {}", *ceilMode);
  std::array<int64_t, 2> beyond = {0, 0};
  for (int i = 0; ceilMode && *ceilMode == 1 && i < 2; ++i) {
    int64_t in = x.shape[2 + i], begin = w.pads[i], padded, span;
    if (llvm::AddOverflow(in, w.pads[i], padded) ||
        llvm::AddOverflow(padded, w.pads[i + 2], padded))
      return makeError("the pads are too large");
    span = padded - w.kernel[i];
    if (span < 0)
      continue; // the builder reports a window larger than the input
    int64_t out = span / w.stride[i] + (span % w.stride[i] != 0) + 1;
    if ((out - 1) * w.stride[i] >= in + begin)
      --out;
    beyond[i] = std::max<int64_t>(0, (out - 1) * w.stride[i] + w.kernel[i] -
                                         padded);
  }
  return beyond;
}

llvm::Error maxPool(OnnxNode &node, Results &results) {
  if (llvm::Error err = onlyFirstOutput(node, "the indices"))
    return err;
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto w = window2D(node, node.type(*x), std::nullopt);
  if (!w)
    return w.takeError();
  auto beyond = checkPoolOptions(node, node.type(*x), *w);
  if (!beyond)
    return beyond.takeError();
  // Asymmetric pads and ceil_mode's partial windows: -inf never wins a
  // maximum (no window is padding alone: each pad is smaller than the
  // kernel, and a ceil_mode window starts inside the input or its pad).
  for (int i = 0; i < 2; ++i)
    if (w->pads[i] >= w->kernel[i] || w->pads[i + 2] >= w->kernel[i])
      return makeError("pads [{}, {}, {}, {}] must be smaller than the "
                       "kernel [{}, {}]",
                       w->pads[0], w->pads[1], w->pads[2], w->pads[3],
                       w->kernel[0], w->kernel[1]);
  w->extraEnd[0] += (*beyond)[0];
  w->extraEnd[1] += (*beyond)[1];
  auto padded =
      padInput(node, *x, *w, -std::numeric_limits<double>::infinity());
  if (!padded)
    return padded.takeError();
  return pushResult(node.ctx.create(OpKind::MaxPool2D, {*padded},
                              {{"kernel_size", pair(w->kernel)},
                               {"stride", pair(w->stride)},
                               {"padding", pair(w->pad)}}),
              results);
}

llvm::Error averagePool(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  auto w = window2D(node, node.type(*x), std::nullopt);
  if (!w)
    return w.takeError();
  auto beyond = checkPoolOptions(node, node.type(*x), *w);
  if (!beyond)
    return beyond.takeError();
  // A partial last window divides by what it covers, which explicit pads
  // cannot express.
  if ((*beyond)[0] || (*beyond)[1])
    return makeError("ceil_mode=1 with a partial last window is not "
                     "supported");
  auto countIncludePad = node.getInt("count_include_pad", 0);
  if (!countIncludePad)
    return countIncludePad.takeError();
  // Asymmetric pads: explicit zeros, which count_include_pad=1 counts as
  // padding would be; with 0 they would be counted wrongly.
  if (w->asymmetric() && !*countIncludePad)
    return makeError("asymmetric pads [{}, {}, {}, {}] need "
                     "count_include_pad=1",
                     w->pads[0], w->pads[1], w->pads[2], w->pads[3]);
  auto padded = padInput(node, *x, *w, 0.0);
  if (!padded)
    return padded.takeError();
  return pushResult(node.ctx.create(OpKind::AvgPool2D, {*padded},
                              {{"kernel_size", pair(w->kernel)},
                               {"stride", pair(w->stride)},
                               {"padding", pair(w->pad)},
                               {"count_include_pad", *countIncludePad != 0}}),
              results);
}

template <OpKind Kind>
llvm::Error globalPool(OnnxNode &node, Results &results) {
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  int64_t rank = node.type(*x).rank();
  if (rank < 3)
    return makeError("the input must have rank >= 3, got {}",
                     node.type(*x).toString());
  std::vector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  return pushResult(node.ctx.create(Kind, {*x}, {{"axes", axes}, {"keep_dims", true}}),
              results);
}

} // namespace

const std::vector<OpTranslation> &convPoolTranslations() {
  static const std::vector<OpTranslation> table = {
      {"Conv",
       7,
       conv,
       {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}},
      {"MaxPool",
       7,
       maxPool,
       {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
        "storage_order", "strides"}},
      {"AveragePool",
       7,
       averagePool,
       {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads",
        "strides"}},
      {"GlobalAveragePool", 7, globalPool<OpKind::ReduceMean>, {}},
      {"GlobalMaxPool", 7, globalPool<OpKind::ReduceMax>, {}},
  };
  return table;
}

} // namespace qjit::onnx_import
