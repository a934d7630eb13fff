//===- FakeQuantEmitter.h - Shared pieces of fake quantization -*- C++ -*-===//
//
// FakeQuantization and GradFakeQuantization share their parameters (scale,
// its reciprocal and the zero point, from attributes, operands or the MinMax
// observer) and their element formula (docs/fake-quantization.md). This emitter
// computes the parameters in the kernel's prologue and walks x in row-major
// order: per tensor as one flat loop, per channel as [outer, channel, inner]
// with the channel's parameters hoisted out of the contiguous inner loop (or,
// when the axis is the last one, loaded as vectors alongside x).
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_CODEGEN_FAKEQUANTEMITTER_H
#define QJIT_LIB_CODEGEN_FAKEQUANTEMITTER_H

#include "Kernel.h"
#include "qjit/IR/FakeQuantizationOp.h"

namespace qjit {

uint64_t fakeQuantScratchBytes(const Graph &graph, const Operation &op);

// One element's parameters, in the element type.
struct QuantParams {
  llvm::Value *scale;
  llvm::Value *inverse; // fl(1 / scale)
  llvm::Value *zeroPoint;
};

class FakeQuantEmitter {
public:
  explicit FakeQuantEmitter(Kernel &k);

  // The body of a walk: `index` is the element's i64 offset in x, `channel`
  // its i64 channel (0 per tensor).
  using ElementFn =
      llvm::function_ref<void(llvm::IRBuilderBase &, llvm::Value *index,
                              llvm::Value *channel, const QuantParams &)>;

  // The body of a walk split over threads: `chunk` is the kernel the loop
  // is emitted in (a chunk's when split: read and write its buffers, not
  // the original kernel's); `b` emits into it.
  using ChunkElementFn = llvm::function_ref<void(
      llvm::IRBuilderBase &b, Kernel &chunk, llvm::Value *index,
      llvm::Value *channel, const QuantParams &)>;

  // Computes the parameters (the prologue of the kernel). Call once first.
  void emitParams();
  // Visits every element of x in row-major order, on one thread.
  void forEachElement(ElementFn body);
  // Visits every element of x in chunks of rows split over threads when x
  // is large (Parallel.h); `body` must write only element `index` of the
  // results.
  void forEachElementParallel(ChunkElementFn body);

  // roundeven(x * inv) + zp: the unclamped grid value.
  llvm::Value *emitGridValue(llvm::IRBuilderBase &b, llvm::Value *x,
                             const QuantParams &p);
  // clamp(qf, qmin, qmax): the grid level.
  llvm::Value *emitLevel(llvm::IRBuilderBase &b, llvm::Value *qf);
  // (q - zp) * s: the fake-quantized value of level q.
  llvm::Value *emitDequantized(llvm::IRBuilderBase &b, llvm::Value *q,
                               const QuantParams &p);
  // qmin <= qf && qf <= qmax (false for NaN).
  llvm::Value *emitInRange(llvm::IRBuilderBase &b, llvm::Value *qf);
  // dy * (inRange ? 1 : 0), the gradient through the mask.
  llvm::Value *emitMasked(llvm::IRBuilderBase &b, llvm::Value *dy,
                          llvm::Value *inRange);
  // select(v > lo, v, lo) then select(r < hi, r, hi): NaN becomes lo.
  llvm::Value *emitClamp(llvm::IRBuilderBase &b, llvm::Value *v,
                         llvm::Value *lo, llvm::Value *hi);

  // A constant of the element type.
  llvm::Constant *elementConstant(double value) const;
  llvm::Type *getElementType() const { return elemTy; }
  llvm::Value *input() const { return x; }
  // x as seen from `chunk`.
  llvm::Value *input(const Kernel &chunk) const {
    return chunk.operands[inputOperand].ptr;
  }
  // The element of x at `index`, as seen from `chunk`.
  llvm::Value *loadInput(llvm::IRBuilderBase &b, const Kernel &chunk,
                         llvm::Value *index) const {
    return b.CreateLoad(elemTy,
                        b.CreateInBoundsGEP(elemTy, input(chunk), index));
  }
  // The parameters emitParams computed (per tensor: the scalars).
  const QuantParams &getParams() const { return params; }
  const FakeQuantizationOp &getOp() const { return fq; }
  llvm::Constant *getQuantMin() const { return qmin; }
  llvm::Constant *getQuantMax() const { return qmax; }
  int64_t numChannels() const { return channels; }
  // Stores 0 into the `channels` elements of each of `arrays`, channel by
  // channel.
  void emitZeroChannels(llvm::ArrayRef<llvm::Value *> arrays);
  // Scratch arrays past the three parameter arrays (per channel only),
  // `channels` elements each, for the gradient's sums.
  llvm::Value *scratchArray(unsigned index) const;
  // Scratch array `index` of the scratch buffer `scratch`, emitted by `b`.
  llvm::Value *scratchArray(llvm::IRBuilderBase &b, llvm::Value *scratch,
                            unsigned index) const;

private:
  void emitAttributeParams();
  void emitOperandParams();
  void emitObserverParams();
  // Folds the `count` contiguous elements at `base` into the running
  // minimum `lo` and maximum `hi` (NaN skipped); returns the new pair.
  std::pair<llvm::Value *, llvm::Value *>
  emitRange(llvm::Value *base, int64_t count, llvm::Value *lo, llvm::Value *hi);
  // Scale and zero point from the data range [lo, hi] (lo <= 0 <= hi).
  std::pair<llvm::Value *, llvm::Value *> emitObserverFormula(llvm::Value *lo,
                                                              llvm::Value *hi);
  // An operand parameter converted to the element type.
  llvm::Value *loadScale(llvm::Value *channel);
  llvm::Value *loadZeroPoint(llvm::Value *channel);
  // Channel `channel`'s parameters from the arrays `arrays`.
  QuantParams loadChannelParams(llvm::IRBuilderBase &b,
                                const QuantParams &arrays,
                                llvm::Value *channel);
  // The per-channel parameter arrays as seen from `chunk`.
  QuantParams channelArrays(Kernel &chunk);
  llvm::Value *roundAndClampZeroPoint(llvm::Value *zp);

  Kernel &k;
  llvm::IRBuilder<> &b;
  FakeQuantizationOp fq;
  DataType type;
  llvm::Type *elemTy;
  unsigned inputOperand; // x's operand number
  llvm::Value *x;
  std::optional<KernelBuffer> scaleOperand, zeroPointOperand;
  llvm::Constant *qmin, *qmax;
  // Per channel: x viewed as [outer, channels, inner].
  bool perChannel = false;
  int64_t outer = 1, channels = 1, inner = 1;
  // Per tensor: the scalars; per channel: arrays of `channels` elements.
  QuantParams params{};
};

} // namespace qjit

#endif
