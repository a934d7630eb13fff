//===- BenchSupport.h - What the benchmark programs share -------*- C++ -*-===//
//
// One Jit session per program, compiling and running that aborts with a
// message on any error (a benchmark that cannot run must not report a
// number), passes run by name through the public pass registry, inputs and
// the checks each program makes before it measures.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_BENCH_BENCHSUPPORT_H
#define QJIT_BENCH_BENCHSUPPORT_H

#include "qjit/IR/Graph.h"
#include "qjit/JIT/Jit.h"
#include <benchmark/benchmark.h>
#include <cstdint>
#include <fmt/format.h>
#include <memory>
#include <string>

namespace qjit::bench {

// Prints "<program>: message" and aborts.
[[noreturn]] void fail(const std::string &message);
// Aborts with the error's message when `result` holds one.
template <typename T> T orFail(llvm::Expected<T> result) {
  if (!result)
    fail(llvm::toString(result.takeError()));
  return std::move(*result);
}
void orFail(llvm::Error err);

// The program's Jit session (host CPU, -O2, the default pipeline), created
// on first use.
Jit &sharedJit();
// Compiles through sharedJit(): cached after the first call per graph.
std::shared_ptr<const CompiledGraph> compile(const Graph &graph);
// A session like sharedJit() that lowers graphs as given
// (JitOptions::defaultPasses false), and compiling through it.
Jit &sharedJitAsGiven();
std::shared_ptr<const CompiledGraph> compileAsGiven(const Graph &graph);
// Runs on caller-owned buffers with kernels on up to `threads` threads.
void run(const CompiledGraph &compiled, llvm::ArrayRef<TensorRef> inputs,
         llvm::ArrayRef<TensorRef> outputs, unsigned threads);
// The thread counts every JIT case is measured with: 1 and all cores (the
// hardware's count; just 1 on a one-core machine).
llvm::SmallVector<unsigned, 2> threadCounts();
// Registers one run per thread count, as argument "threads" (state.range(0)).
void eachThreadCount(benchmark::internal::Benchmark *b);
// `graph` after the comma-separated passes of `pipeline`, looked up in the
// pass registry: a pass that is not registered is an error, so a benchmark
// never silently measures the untransformed graph.
Graph runPasses(const Graph &graph, llvm::StringRef pipeline);
// How many ops of `kind` `graph` holds (outside fused bodies).
size_t countOps(const Graph &graph, OpKind kind);

// Deterministic uniform floats in [lo, hi).
void fillUniform(float *data, int64_t n, float lo, float hi, unsigned seed);
// Values for a fake quantization of step `scale`: uniform in [-8, 8), every
// seventh one a tie (a half step between grid points), some off the grid.
void fillFakeQuantInput(float *data, int64_t n, double scale);
// Aborts unless the n floats at `actual` and `expected` are equal bit for
// bit, naming the first that differs.
void expectBitIdentical(const float *actual, const float *expected, int64_t n,
                        const std::string &what);

// Runs `body` once per iteration of `state`, each run followed by a memory
// clobber so that its stores count.
template <typename Body> void measure(benchmark::State &state, Body &&body) {
  for (auto _ : state) {
    body();
    benchmark::ClobberMemory();
  }
}

// Bytes/s from the bytes one iteration reads plus writes.
void setBytes(benchmark::State &state, int64_t bytesPerIteration);

// The main() of every program: parses the flags, runs `check` (which aborts
// when results are wrong), then the benchmarks.
int benchmarkMain(int argc, char **argv, void (*check)());

} // namespace qjit::bench

#endif
