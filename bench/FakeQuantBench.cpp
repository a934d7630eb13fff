//===- FakeQuantBench.cpp - JIT fake quantization vs g++ and memcpy -------===//
//
// FakeQuantization forward (scale 0.05, 8-bit symmetric) on 64K and 16M
// floats:
//   BM_Jit     the JIT's compiled graph, run on preallocated buffers
//   BM_Hand    the same formula as a plain loop, g++ -O3 -march=native
//   BM_Memcpy  memcpy of the same bytes: the bound of a read-once,
//              write-once pass
// Before measuring, the JIT's and the hand loop's outputs are checked to be
// bit-identical (the program aborts otherwise). Bytes/s counts the bytes
// read plus written.
//
//===----------------------------------------------------------------------===//
#include "FakeQuantHand.h"
#include "qjit/IR/Builder.h"
#include "qjit/JIT/Jit.h"
#include <benchmark/benchmark.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>

using namespace qjit;

namespace {

constexpr double kScale = 0.05;
constexpr float kQmin = -128, kQmax = 127;
constexpr int64_t kSizes[] = {int64_t(1) << 16, int64_t(1) << 24};

[[noreturn]] void fail(const std::string &message) {
  std::fprintf(stderr, "FakeQuantBench: %s\n", message.c_str());
  std::abort();
}

// The inputs of one size: random values around the grid, with ties and
// out-of-range values, in 64-byte aligned buffers.
struct Buffers {
  explicit Buffers(int64_t n)
      : x(TensorType{DataType::Float32, {n}}), y(x.getType()) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-8.0f, 8.0f);
    float *xs = x.as<float>();
    for (int64_t i = 0; i < n; ++i)
      xs[i] = i % 7 == 0 ? (float(int(i % 300) - 150) + 0.5f) * float(kScale)
                         : dist(rng);
  }
  Tensor x, y;
};

Buffers &buffersFor(int64_t n) {
  static std::unique_ptr<Buffers> small, large;
  std::unique_ptr<Buffers> &b = n == kSizes[0] ? small : large;
  if (!b)
    b = std::make_unique<Buffers>(n);
  return *b;
}

Jit &jit() {
  static std::unique_ptr<Jit> session = [] {
    auto created = Jit::create();
    if (!created)
      fail(llvm::toString(created.takeError()));
    return std::move(*created);
  }();
  return *session;
}

std::shared_ptr<const CompiledGraph> compiledFor(int64_t n) {
  Graph graph("fake_quant");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {n});
  auto y = b.create(OpKind::FakeQuantization, {x},
                    {{"num_bits", 8}, {"symmetric", true}, {"scale", kScale}});
  if (!y)
    fail(llvm::toString(y.takeError()));
  b.setOutputs({*y});
  auto compiled = jit().compile(graph); // cached after the first call
  if (!compiled)
    fail(llvm::toString(compiled.takeError()));
  return *compiled;
}

void runJit(const CompiledGraph &compiled, Buffers &buf) {
  if (auto err = compiled.run({buf.x.ref()}, {buf.y.ref()}))
    fail(llvm::toString(std::move(err)));
}

void runHand(Buffers &buf, float *out) {
  bench::fakeQuantizeByHand(buf.x.as<float>(), out, buf.x.numElements(),
                            float(kScale), 0.0f, kQmin, kQmax);
}

void checkBitIdentical() {
  for (int64_t n : kSizes) {
    Buffers &buf = buffersFor(n);
    runJit(*compiledFor(n), buf);
    std::vector<float> hand(n);
    runHand(buf, hand.data());
    if (std::memcmp(hand.data(), buf.y.data(), n * sizeof(float)) != 0)
      fail("the JIT and the hand-written loop disagree at n = " +
           std::to_string(n));
  }
  std::fprintf(stderr, "FakeQuantBench: JIT and hand loop agree bit for bit\n");
}

void setBytes(benchmark::State &state, int64_t n) {
  // One read and one write of every element.
  state.SetBytesProcessed(state.iterations() * n * 2 * int64_t(sizeof(float)));
}

void BM_Jit(benchmark::State &state) {
  int64_t n = state.range(0);
  Buffers &buf = buffersFor(n);
  auto compiled = compiledFor(n);
  for (auto _ : state) {
    runJit(*compiled, buf);
    benchmark::ClobberMemory();
  }
  setBytes(state, n);
}

void BM_Hand(benchmark::State &state) {
  int64_t n = state.range(0);
  Buffers &buf = buffersFor(n);
  for (auto _ : state) {
    runHand(buf, buf.y.as<float>());
    benchmark::ClobberMemory();
  }
  setBytes(state, n);
}

void BM_Memcpy(benchmark::State &state) {
  int64_t n = state.range(0);
  Buffers &buf = buffersFor(n);
  for (auto _ : state) {
    std::memcpy(buf.y.data(), buf.x.data(), n * sizeof(float));
    benchmark::ClobberMemory();
  }
  setBytes(state, n);
}

BENCHMARK(BM_Jit)->Arg(kSizes[0])->Arg(kSizes[1]);
BENCHMARK(BM_Hand)->Arg(kSizes[0])->Arg(kSizes[1]);
BENCHMARK(BM_Memcpy)->Arg(kSizes[0])->Arg(kSizes[1]);

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  checkBitIdentical();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
