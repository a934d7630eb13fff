//===- BenchSupport.cpp - What the benchmark programs share ---------------===//
#include "BenchSupport.h"
#include "qjit/Transforms/PassRegistry.h"
#include "llvm/Support/Path.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <fmt/format.h>

namespace qjit::bench {

namespace {
std::string &programName() {
  static std::string name = "bench";
  return name;
}
} // namespace

void fail(const std::string &message) {
  std::fprintf(stderr, "%s: %s\n", programName().c_str(), message.c_str());
  std::abort();
}

void orFail(llvm::Error err) {
  if (err)
    fail(llvm::toString(std::move(err)));
}

Jit &sharedJit() {
  static std::unique_ptr<Jit> session = orFail(Jit::create());
  return *session;
}

std::shared_ptr<const CompiledGraph> compile(const Graph &graph) {
  return orFail(sharedJit().compile(graph));
}

Jit &sharedJitAsGiven() {
  JitOptions options;
  options.defaultPasses = false;
  static std::unique_ptr<Jit> session = orFail(Jit::create(options));
  return *session;
}

std::shared_ptr<const CompiledGraph> compileAsGiven(const Graph &graph) {
  return orFail(sharedJitAsGiven().compile(graph));
}

void run(const CompiledGraph &compiled, llvm::ArrayRef<TensorRef> inputs,
         llvm::ArrayRef<TensorRef> outputs, unsigned threads) {
  RunOptions options;
  options.threads = threads;
  orFail(compiled.run(inputs, outputs, options));
}

llvm::SmallVector<unsigned, 2> threadCounts() {
  unsigned all = std::thread::hardware_concurrency();
  if (all <= 1)
    return {1};
  return {1, all};
}

void eachThreadCount(benchmark::internal::Benchmark *b) {
  b->ArgNames({"threads"});
  for (unsigned threads : threadCounts())
    b->Args({threads});
}

Graph runPasses(const Graph &graph, llvm::StringRef pipeline) {
  PassPipeline passes = orFail(parsePassPipeline(pipeline));
  Module module;
  module.addGraph(graph);
  orFail(passes.run(module));
  return module.getGraphs().front();
}

size_t countOps(const Graph &graph, OpKind kind) {
  size_t count = 0;
  for (const Operation &op : graph.getOps())
    count += op.getKind() == kind;
  return count;
}

void fillUniform(float *data, int64_t n, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < n; ++i)
    data[i] = dist(rng);
}

void fillFakeQuantInput(float *data, int64_t n, double scale) {
  fillUniform(data, n, -8.0f, 8.0f, 42);
  for (int64_t i = 0; i < n; i += 7)
    data[i] = (float(int(i % 300) - 150) + 0.5f) * float(scale);
}

void expectBitIdentical(const float *actual, const float *expected, int64_t n,
                        const std::string &what) {
  if (std::memcmp(actual, expected, n * sizeof(float)) == 0)
    return;
  int64_t i = 0;
  while (std::memcmp(&actual[i], &expected[i], sizeof(float)) == 0)
    ++i;
  fail(fmt::format("{}: element {} of {} is {} instead of {}", what, i, n,
                   actual[i], expected[i]));
}

void setBytes(benchmark::State &state, int64_t bytesPerIteration) {
  state.SetBytesProcessed(int64_t(state.iterations()) * bytesPerIteration);
}

int benchmarkMain(int argc, char **argv, void (*check)()) {
  if (argc > 0)
    programName() = llvm::sys::path::filename(argv[0]).str();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  if (check)
    check();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

} // namespace qjit::bench
