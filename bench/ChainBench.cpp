//===- ChainBench.cpp - A fused Multiply-Add-ReLU-FakeQuantization chain --===//
//
// y = FakeQuantization(ReLU(x * a + b)) with x [64, 262144] (16M floats)
// and a per-channel scale and bias a, b [64, 1] broadcast along the rows,
// as a quantization-aware model computes a folded batch norm, an
// activation and its fake quantization (scale 0.05, 8-bit symmetric):
//   BM_ChainFused/threads    the graph after the fuse-elementwise pass (one
//                            loop over x), 1 thread and every core
//   BM_ChainUnfused/threads  the same graph lowered as given (no default
//                            pipeline): four kernels, three intermediate
//                            tensors
//   BM_ChainHand             the loop by hand, g++ -O3 -march=native
// The fused graph is checked to hold one FusedElementwise op and nothing
// else, and its outputs (each thread count) and the unfused graph's to be
// bit-identical to the hand loop's. Bytes/s counts x read and y written.
//
//===----------------------------------------------------------------------===//
#include "BenchSupport.h"
#include "FakeQuantHand.h"
#include "qjit/IR/Builder.h"
#include <cstring>
#include <fmt/format.h>

using namespace qjit;
using namespace qjit::bench;

namespace {

constexpr int64_t kChannels = 64, kInner = 262144;
constexpr int64_t kSize = kChannels * kInner;
constexpr double kScale = 0.05;

struct Buffers {
  Buffers()
      : x(TensorType{DataType::Float32, {kChannels, kInner}}),
        a(TensorType{DataType::Float32, {kChannels, 1}}), b(a.getType()),
        y(x.getType()) {
    fillFakeQuantInput(x.as<float>(), kSize, kScale);
    fillUniform(a.as<float>(), kChannels, 0.5f, 1.5f, 7);
    fillUniform(b.as<float>(), kChannels, -1.0f, 1.0f, 8);
  }
  llvm::SmallVector<TensorRef, 3> inputs() {
    return {x.ref(), a.ref(), b.ref()};
  }
  Tensor x, a, b, y;
};

Buffers &buffers() {
  static Buffers buf;
  return buf;
}

Graph chainGraph() {
  Graph graph("chain");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {kChannels, kInner});
  ValueId scale = b.addInput(DataType::Float32, {kChannels, 1});
  ValueId bias = b.addInput(DataType::Float32, {kChannels, 1});
  ValueId product = orFail(b.create(OpKind::Multiply, {x, scale}));
  ValueId sum = orFail(b.create(OpKind::Add, {product, bias}));
  ValueId relu = orFail(b.create(OpKind::ReLU, {sum}));
  ValueId y = orFail(
      b.create(OpKind::FakeQuantization, {relu},
               {{"num_bits", 8}, {"symmetric", true}, {"scale", kScale}}));
  b.setOutputs({y});
  return graph;
}

// The chain through fuse-elementwise; aborts unless the whole chain became
// one fused op.
Graph fusedGraph() {
  Graph fused = runPasses(chainGraph(), "fuse-elementwise");
  if (fused.getOps().size() != 1 ||
      countOps(fused, OpKind::FusedElementwise) != 1)
    fail("fuse-elementwise did not turn the chain into one FusedElementwise "
         "op");
  return fused;
}

std::shared_ptr<const CompiledGraph> compiledFused() {
  static std::shared_ptr<const CompiledGraph> compiled = compile(fusedGraph());
  return compiled;
}

std::shared_ptr<const CompiledGraph> compiledUnfused() {
  static std::shared_ptr<const CompiledGraph> compiled =
      compileAsGiven(chainGraph());
  return compiled;
}

void runHand(Buffers &buf, float *out) {
  fakeQuantizeChainByHand(buf.x.as<float>(), buf.a.as<float>(),
                          buf.b.as<float>(), out, kChannels, kInner,
                          float(kScale), -128.0f, 127.0f);
}

void checkBitIdentical() {
  Buffers &buf = buffers();
  std::vector<float> hand(kSize);
  runHand(buf, hand.data());
  auto check = [&](const CompiledGraph &compiled, unsigned threads,
                   const char *what) {
    std::memset(buf.y.data(), 0xff, buf.y.sizeInBytes());
    run(compiled, buf.inputs(), {buf.y.ref()}, threads);
    expectBitIdentical(
        buf.y.as<float>(), hand.data(), kSize,
        fmt::format("{} chain ({} threads) vs hand loop", what, threads));
  };
  for (unsigned threads : threadCounts()) {
    check(*compiledFused(), threads, "fused");
    check(*compiledUnfused(), threads, "unfused");
  }
  std::fprintf(stderr, "ChainBench: fused and unfused JIT and hand loop agree "
                       "bit for bit\n");
}

int64_t bytes() { return kSize * 2 * int64_t(sizeof(float)); }

void runJit(benchmark::State &state, const CompiledGraph &compiled) {
  Buffers &buf = buffers();
  unsigned threads = unsigned(state.range(0));
  measure(state, [&] { run(compiled, buf.inputs(), {buf.y.ref()}, threads); });
  setBytes(state, bytes());
}

void BM_ChainFused(benchmark::State &state) { runJit(state, *compiledFused()); }

void BM_ChainUnfused(benchmark::State &state) {
  runJit(state, *compiledUnfused());
}

void BM_ChainHand(benchmark::State &state) {
  Buffers &buf = buffers();
  measure(state, [&] { runHand(buf, buf.y.as<float>()); });
  setBytes(state, bytes());
}

BENCHMARK(BM_ChainFused)->Apply(eachThreadCount)->UseRealTime();
BENCHMARK(BM_ChainUnfused)->Apply(eachThreadCount)->UseRealTime();
BENCHMARK(BM_ChainHand)->UseRealTime();

} // namespace

int main(int argc, char **argv) {
  return benchmarkMain(argc, argv, checkBitIdentical);
}
