//===- FoldConstants.h - Options of the fold-constants pass -----*- C++ -*-===//
#ifndef QJIT_TRANSFORMS_FOLDCONSTANTS_H
#define QJIT_TRANSFORMS_FOLDCONSTANTS_H

#include "qjit/Transforms/Pass.h"
#include <cstdint>
#include <memory>

namespace qjit {

// What fold-constants may evaluate at compile time. An op over the limits
// stays (with a remark) and is computed at run time.
struct FoldConstantsOptions {
  // The folded op's results together (the bytes the new Constants hold).
  uint64_t maxResultBytes = uint64_t(64) << 20;
  // Its operands together (what the interpreter copies to evaluate it).
  uint64_t maxOperandBytes = uint64_t(256) << 20;
  // Its estimated work: multiply-adds of MatMul and convolutions, elements
  // touched by other ops. A 400x400x400 MatMul (just under 2^26) folds in
  // about 0.1 s on the development VM.
  uint64_t maxWork = uint64_t(1) << 26;
  // A Broadcast is folded only up to this many result bytes: it is the
  // canonical form of a large splat, which as a Constant would hold (and the
  // JIT would write into the module, for `values`) every byte.
  uint64_t maxBroadcastBytes = uint64_t(64) << 10;
  // Quantization ops too (fold-quantized-constants): after
  // convert-to-integers, the fake-quantized weights of layers left in float
  // become Constants instead of being computed on every run.
  bool foldQuantization = false;
};

// createFoldConstantsPass() (Passes.h) uses the default options.
std::unique_ptr<Pass> createFoldConstantsPass(FoldConstantsOptions options);

} // namespace qjit

#endif
