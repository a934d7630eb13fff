//===- ElementwiseLoop.h - The loops of elementwise kernels -----*- C++ -*-===//
//
// The loop nest of a broadcasting elementwise computation (Broadcast.h's
// LoopNest) over input buffers and output buffers of the iteration shape:
// the innermost loop loads each input (once, outside it, where the input is
// broadcast along it), hands the values to the body and stores what the
// body returns to the outputs. Shared by the one-op elementwise kernels and
// FusedElementwise.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_CODEGEN_ELEMENTWISELOOP_H
#define QJIT_LIB_CODEGEN_ELEMENTWISELOOP_H

#include "Broadcast.h"
#include "Kernel.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace qjit {

// One element: `inputs` are the inputs' values; the body appends one value
// per output to `outputs`.
using ElementBody = llvm::function_ref<void(
    llvm::IRBuilderBase &, llvm::ArrayRef<llvm::Value *> inputs,
    llvm::SmallVectorImpl<llvm::Value *> &outputs)>;

// Emits `nest` over `buffers` (the first `numInputs` read, the others
// written; their strides are the nest's, in that order), the outermost loop
// over [begin, end) (i64 values) and the others over their whole range.
// With `streaming`, the outputs are written with streaming stores (as
// emitStreamingLoop, Parallel.h, does): each innermost loop runs with
// ordinary stores up to output 0's first 64-byte boundary, then from there
// with stores that become non-temporal once vectorized; an sfence follows
// the nest.
void emitElementwiseLoop(llvm::IRBuilderBase &b, const LoopNest &nest,
                         llvm::ArrayRef<KernelBuffer> buffers,
                         size_t numInputs, llvm::Value *begin,
                         llvm::Value *end, ElementBody body,
                         bool streaming = false);

// Whether an elementwise loop computing `ops` into outputs of
// `outputBytes` (the largest) should stream its stores: the outputs exceed
// kStreamingStoreBytes, and no op calls the math library (whose vector and
// scalar results may differ: the alignment peel must not decide which
// elements are computed by which).
bool streamsOutputs(uint64_t outputBytes, llvm::ArrayRef<OpKind> ops);

} // namespace qjit

#endif
