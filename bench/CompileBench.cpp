//===- CompileBench.cpp - Compile latency of the JIT ----------------------===//
//
// A 4-op graph (Multiply, Add, ReLU, FakeQuantization on [4096] floats)
// compiled at -O2 on a Jit session that already exists:
//   BM_CompileCold      every iteration compiles a graph the cache has not
//                       seen (the fake quantization's scale changes), from
//                       the graph to a callable function: verification,
//                       hashing, the default pipeline (which fuses the four
//                       ops into one loop), lowering, LLVM's -O2 pipeline,
//                       machine code and linking in the ORC session
//   BM_CompileColdAsGiven the same lowered as given (no default pipeline):
//                       four kernels
//   BM_CompileChain/n/default
//                       a chain of n elementwise ops (Add, Multiply and
//                       Maximum in turn, on [1024 + k] floats, k new each
//                       time), as given (default = 0) or through the default
//                       pipeline (1): compile time must grow linearly in n
//   BM_CompileConcat/n  a Concat of n inputs of Float32 [2, 3 + k] (k new
//                       each time) along axis 0: compile time must grow
//                       linearly in n (4096 operands took minutes once)
//   BM_CompileCacheHit  compiling an identical graph again: verification,
//                       the structural hash and the cache lookup
// Building the graphs is not timed. Before measuring, one compiled graph is
// run and checked against the formula, and the fused graph is checked to
// hold one FusedElementwise op.
//
//===----------------------------------------------------------------------===//
#include "BenchSupport.h"
#include "qjit/IR/Builder.h"
#include "qjit/IR/Tensor.h"
#include <cmath>

using namespace qjit;
using namespace qjit::bench;

namespace {

constexpr int64_t kSize = 4096;

// fq(relu(x * a + b)) with the fake quantization's step `scale`.
Graph fourOpGraph(double scale) {
  Graph graph("four_ops");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {kSize});
  ValueId a = b.addInput(DataType::Float32, {kSize});
  ValueId c = b.addInput(DataType::Float32, {kSize});
  ValueId product = orFail(b.create(OpKind::Multiply, {x, a}));
  ValueId sum = orFail(b.create(OpKind::Add, {product, c}));
  ValueId relu = orFail(b.create(OpKind::ReLU, {sum}));
  ValueId y = orFail(b.create(OpKind::FakeQuantization, {relu},
                              {{"num_bits", 8}, {"scale", scale}}));
  b.setOutputs({y});
  return graph;
}

// A scale no earlier iteration used: the graph misses the cache.
double freshScale() {
  static int64_t counter = 0;
  return 0.05 + double(++counter) * 0x1p-30;
}

void checkResults() {
  if (countOps(runPasses(fourOpGraph(0.05), "fuse-elementwise"),
               OpKind::FusedElementwise) != 1)
    fail("fuse-elementwise did not make the four ops one FusedElementwise");
  Tensor x(TensorType{DataType::Float32, {kSize}}), a(x.getType()),
      c(x.getType()), y(x.getType());
  fillUniform(x.as<float>(), kSize, -4.0f, 4.0f, 1);
  fillUniform(a.as<float>(), kSize, 0.5f, 1.5f, 2);
  fillUniform(c.as<float>(), kSize, -1.0f, 1.0f, 3);
  run(*compile(fourOpGraph(0.05)), {x.ref(), a.ref(), c.ref()}, {y.ref()}, 1);
  const float inv = 1.0f / 0.05f;
  for (int64_t i = 0; i < kSize; ++i) {
    float v = x.as<float>()[i] * a.as<float>()[i] + c.as<float>()[i];
    v = v <= 0 ? 0 : v;
    float q = std::fmin(std::fmax(std::nearbyint(v * inv), -128.0f), 127.0f);
    if (y.as<float>()[i] != q * 0.05f)
      fail("the compiled four-op graph computes a wrong value");
  }
}

// Compiles on `jit`, per iteration, a four-op graph the cache has not seen;
// fails if the compile hit the cache.
void measureColdCompiles(benchmark::State &state, Jit &jit) {
  for (auto _ : state) {
    state.PauseTiming();
    Graph graph = fourOpGraph(freshScale());
    size_t before = jit.cacheSize();
    state.ResumeTiming();
    benchmark::DoNotOptimize(orFail(jit.compile(graph)));
    state.PauseTiming();
    if (jit.cacheSize() != before + 1)
      fail("a cold compile hit the cache");
    state.ResumeTiming();
  }
}

void BM_CompileCold(benchmark::State &state) {
  measureColdCompiles(state, sharedJit());
}

void BM_CompileColdAsGiven(benchmark::State &state) {
  measureColdCompiles(state, sharedJitAsGiven());
}

// x op1 y op2 y ... opn y, the ops Add, Multiply, Maximum in turn.
Graph chainGraph(int64_t n, int64_t size) {
  Graph graph("chain");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {size});
  ValueId y = b.addInput(DataType::Float32, {size});
  const OpKind kinds[] = {OpKind::Add, OpKind::Multiply, OpKind::Maximum};
  for (int64_t i = 0; i < n; ++i)
    x = orFail(b.create(kinds[i % 3], {x, y}));
  b.setOutputs({x});
  return graph;
}

void BM_CompileChain(benchmark::State &state) {
  int64_t n = state.range(0);
  Jit &jit = state.range(1) ? sharedJit() : sharedJitAsGiven();
  static int64_t fresh = 0; // a size no compile has seen: a cache miss
  for (auto _ : state) {
    state.PauseTiming();
    Graph graph = chainGraph(n, 1024 + ++fresh);
    state.ResumeTiming();
    benchmark::DoNotOptimize(orFail(jit.compile(graph)));
  }
  state.counters["time_per_op"] = benchmark::Counter(
      double(n), benchmark::Counter::kIsIterationInvariantRate |
                     benchmark::Counter::kInvert);
}

Graph concatGraph(int64_t n, int64_t columns) {
  Graph graph("concat");
  Builder b(graph);
  std::vector<ValueId> inputs;
  for (int64_t i = 0; i < n; ++i)
    inputs.push_back(b.addInput(DataType::Float32, {2, columns}));
  b.setOutputs({orFail(b.create(OpKind::Concat, inputs))});
  return graph;
}

void BM_CompileConcat(benchmark::State &state) {
  int64_t n = state.range(0);
  static int64_t fresh = 0; // a shape no compile has seen: a cache miss
  for (auto _ : state) {
    state.PauseTiming();
    Graph graph = concatGraph(n, 3 + ++fresh);
    state.ResumeTiming();
    benchmark::DoNotOptimize(orFail(sharedJit().compile(graph)));
  }
}

void BM_CompileCacheHit(benchmark::State &state) {
  Graph graph = fourOpGraph(0.05);
  compile(graph);
  size_t before = sharedJit().cacheSize();
  for (auto _ : state)
    benchmark::DoNotOptimize(compile(graph));
  if (sharedJit().cacheSize() != before)
    fail("compiling an identical graph missed the cache");
}

BENCHMARK(BM_CompileCold)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CompileColdAsGiven)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CompileChain)
    ->ArgsProduct({{10, 100, 1000, 3000}, {0, 1}})
    ->ArgNames({"n", "default"})
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CompileConcat)
    ->Arg(64)
    ->Arg(1024)
    ->Arg(4096)
    ->ArgName("n")
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CompileCacheHit)->Unit(benchmark::kMicrosecond);

} // namespace

int main(int argc, char **argv) {
  return benchmarkMain(argc, argv, checkResults);
}
