//===- Parallel.h - Loops split over threads --------------------*- C++ -*-===//
//
// A kernel runs a large loop as chunks on several threads by outlining the
// loop's body into
//
//   internal void <kernel>.chunk(ptr noalias operand..., ptr noalias
//                                result..., ptr scratch, captures...,
//                                i64 begin, i64 end)
//
// (the kernel's pointer attributes copied, so its loops vectorize without
// run-time alias checks) and a trampoline void(ptr ctx, i64, i64) that loads
// the pointers and captured scalars from `ctx` and calls it (the inliner
// merges the two; the noalias parameters become scoped alias metadata). The
// kernel stores the context on its stack and calls the runtime's
//
//   void qjit_parallel_for(void (*)(ptr, i64, i64), ptr ctx, i64 count,
//                          i64 grain)
//
// which runs the chunks on the run's threads (lib/Runtime/ParallelFor.h), or
// the whole range in one call on one thread. Loops too short to split are
// emitted inline, with no call. Whatever the thread count, every element is
// computed by the same instructions, so results do not depend on it as long
// as chunks write disjoint elements.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_CODEGEN_PARALLEL_H
#define QJIT_LIB_CODEGEN_PARALLEL_H

#include "Kernel.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace qjit {

// Multiply-adds worth a chunk of a product (a band of MatMul's rows or
// columns, a task of a QLinear op): about 0.1 ms on one core, far more than
// handing it to another thread costs.
constexpr int64_t kBandMultiplyAdds = int64_t(1) << 22;

// ceil(a / b) for a >= 0 and b > 0.
inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Elements (of a streaming loop) worth one chunk: loops of fewer than twice
// this stay inline. FakeQuantBench, 2 cores: 64K floats (two chunks) run
// 1.3x faster on two threads, 16M 1.6x to 1.8x; below, waking a thread
// costs about what the split saves.
constexpr int64_t kParallelGrainElements = 32 * 1024;

// Chunk boundaries of streaming loops fall on multiples of this many
// elements, so each chunk's vectorized loop splits into the same main part
// and remainder as the whole range (vector and scalar libm calls may differ
// in the last bit).
constexpr int64_t kParallelAlignElements = 256;

// Emits a chunk of the loop: `chunk` is the kernel as seen from inside the
// chunk (its buffers are the chunk function's parameters, its builder in
// the chunk function), `captured` the captured values there, and [begin,
// end) the i64 range of iterations to emit.
using ParallelBody = llvm::function_ref<void(
    Kernel &chunk, llvm::ArrayRef<llvm::Value *> captured, llvm::Value *begin,
    llvm::Value *end)>;

// Runs `body` over [0, count) in chunks of at least `grain` iterations via
// qjit_parallel_for; when count < 2 * grain, emits the body inline over
// [0, count) (no call, no overhead: `chunk` is `k` and `captured` is
// `captures`). `captures` are values of the kernel (computed in its
// prologue, e.g. a scale read from an operand) the body needs; constants
// are passed as they are. Every chunk boundary but 0 and count is a
// multiple of `align` iterations. Leaves k.b after the loop.
void emitParallelFor(Kernel &k, int64_t count, int64_t grain,
                     llvm::ArrayRef<llvm::Value *> captures, ParallelBody body,
                     int64_t align = 1);

// The chunk grain, in iterations, of a loop whose iterations each touch
// `elementsPerIteration` elements: kParallelGrainElements elements.
int64_t parallelGrain(int64_t elementsPerIteration);

// Outputs at least this large are written with streaming (non-temporal)
// stores by the per-tensor walks: they do not stay in the caches anyway, and
// streaming stores skip reading each line before writing it, a third of the
// memory traffic of a loop that reads one tensor and writes one.
constexpr uint64_t kStreamingStoreBytes = 32u << 20;

// The access group that tags the stores of streaming loops (named metadata
// `qjit.streaming` of the module), which markStreamingStores makes
// non-temporal.
llvm::MDNode *streamingAccessGroup(llvm::Module &module);

// The body of a streaming loop: element `i` of the buffers of `view`.
using StreamingBody = llvm::function_ref<void(
    Kernel &view, llvm::IRBuilderBase &b, llvm::Value *i)>;

// for (i = begin; i < end; ++i) body(i) over `chunk`'s buffers, writing
// result 0 with streaming stores: up to its first 64-byte boundary with
// ordinary stores, then through a view of the buffers that starts there
// (with the alignment known), the stores into result 0 tagged so that
// markStreamingStores makes them non-temporal once vectorized; then an
// sfence, unless `fence` is false (a caller that emits several streaming
// loops fences once after the last). Buffers with as many elements as
// result 0 are walked by `i`.
void emitStreamingLoop(Kernel &chunk, llvm::Value *begin, llvm::Value *end,
                       StreamingBody body, bool fence = true);
// The sfence that orders streaming stores before whoever reads the buffer
// next (another thread after the join, or the next kernel); nothing on
// targets other than x86.
void emitStreamingFence(llvm::IRBuilderBase &b);

// Run after the optimization pipeline: the aligned vector stores of
// streaming loops become non-temporal.
void markStreamingStores(llvm::Module &module);

// The body of a channel walk: `index` is the element's i64 offset, `channel`
// its i64 channel (0 when channels == 1).
using ChannelWalkBody = llvm::function_ref<void(
    Kernel &chunk, llvm::ArrayRef<llvm::Value *> captured,
    llvm::IRBuilderBase &b, llvm::Value *index, llvm::Value *channel)>;

// Visits every element of a tensor viewed as [outer, channels, inner]
// (row-major; per tensor: [n, 1, 1]) in chunks of whole rows split over
// threads when large: per tensor one flat loop; with the channel
// contiguous (inner == 1) rows of `channels` elements; otherwise rows of
// `inner` elements of one channel each. Results of kStreamingStoreBytes and
// more are written with streaming stores (in the per-tensor loop, and in
// rows of `inner` elements when they are long).
void emitParallelChannelWalk(Kernel &k, int64_t outer, int64_t channels,
                             int64_t inner,
                             llvm::ArrayRef<llvm::Value *> captures,
                             ChannelWalkBody body);

} // namespace qjit

#endif
