//===- FakeQuantBench.cpp - JIT fake quantization vs g++ and memcpy -------===//
//
// FakeQuantization forward per tensor (scale 0.05, 8-bit symmetric) on 64K
// and 16M floats:
//   BM_FakeQuantJit/n/threads  the JIT's compiled graph on preallocated
//                              buffers, with 1 thread and with every core
//   BM_FakeQuantHand/n         the same formula as a plain loop,
//                              g++ -O3 -march=native, one thread
//   BM_Memcpy/n                memcpy of the same bytes: the bound of a
//                              read-once, write-once pass, one thread
// Before measuring, the JIT's outputs (each thread count) and the hand
// loop's are checked to be bit-identical (the program aborts otherwise).
// Bytes/s counts the bytes read plus written.
//
//===----------------------------------------------------------------------===//
#include "BenchSupport.h"
#include "FakeQuantHand.h"
#include "qjit/IR/Builder.h"
#include <cstring>
#include <map>
#include <fmt/format.h>

using namespace qjit;
using namespace qjit::bench;

namespace {

constexpr double kScale = 0.05;
constexpr float kQmin = -128, kQmax = 127;
constexpr int64_t kSizes[] = {int64_t(1) << 16, int64_t(1) << 24};

// The input of one size and an output buffer, 64-byte aligned.
struct Buffers {
  explicit Buffers(int64_t n)
      : x(TensorType{DataType::Float32, {n}}), y(x.getType()) {
    fillFakeQuantInput(x.as<float>(), n, kScale);
  }
  Tensor x, y;
};

Buffers &buffersFor(int64_t n) {
  static std::map<int64_t, std::unique_ptr<Buffers>> buffers;
  std::unique_ptr<Buffers> &b = buffers[n];
  if (!b)
    b = std::make_unique<Buffers>(n);
  return *b;
}

std::shared_ptr<const CompiledGraph> compiledFor(int64_t n) {
  Graph graph("fake_quant");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {n});
  ValueId y = orFail(
      b.create(OpKind::FakeQuantization, {x},
               {{"num_bits", 8}, {"symmetric", true}, {"scale", kScale}}));
  b.setOutputs({y});
  return compile(graph);
}

void runHand(Buffers &buf, float *out) {
  fakeQuantizeByHand(buf.x.as<float>(), out, buf.x.numElements(), float(kScale),
                     0.0f, kQmin, kQmax);
}

void checkBitIdentical() {
  for (int64_t n : kSizes) {
    Buffers &buf = buffersFor(n);
    std::vector<float> hand(n);
    runHand(buf, hand.data());
    for (unsigned threads : threadCounts()) {
      std::memset(buf.y.data(), 0xff, buf.y.sizeInBytes());
      run(*compiledFor(n), {buf.x.ref()}, {buf.y.ref()}, threads);
      expectBitIdentical(
          buf.y.as<float>(), hand.data(), n,
          fmt::format("JIT ({} threads) vs hand loop, n = {}", threads, n));
    }
  }
  std::fprintf(stderr, "FakeQuantBench: JIT and hand loop agree bit for bit\n");
}

// One read and one write of every element.
int64_t bytesFor(int64_t n) { return n * 2 * int64_t(sizeof(float)); }

void BM_FakeQuantJit(benchmark::State &state) {
  int64_t n = state.range(0);
  unsigned threads = unsigned(state.range(1));
  Buffers &buf = buffersFor(n);
  auto compiled = compiledFor(n);
  measure(state,
          [&] { run(*compiled, {buf.x.ref()}, {buf.y.ref()}, threads); });
  setBytes(state, bytesFor(n));
}

void BM_FakeQuantHand(benchmark::State &state) {
  int64_t n = state.range(0);
  Buffers &buf = buffersFor(n);
  measure(state, [&] { runHand(buf, buf.y.as<float>()); });
  setBytes(state, bytesFor(n));
}

void BM_Memcpy(benchmark::State &state) {
  int64_t n = state.range(0);
  Buffers &buf = buffersFor(n);
  measure(state,
          [&] { std::memcpy(buf.y.data(), buf.x.data(), n * sizeof(float)); });
  setBytes(state, bytesFor(n));
}

void sizesAndThreads(benchmark::internal::Benchmark *b) {
  b->ArgNames({"n", "threads"});
  for (int64_t n : kSizes)
    for (unsigned threads : threadCounts())
      b->Args({n, threads});
}

void sizes(benchmark::internal::Benchmark *b) {
  b->ArgNames({"n"});
  for (int64_t n : kSizes)
    b->Args({n});
}

BENCHMARK(BM_FakeQuantJit)->Apply(sizesAndThreads)->UseRealTime();
BENCHMARK(BM_FakeQuantHand)->Apply(sizes)->UseRealTime();
BENCHMARK(BM_Memcpy)->Apply(sizes)->UseRealTime();

} // namespace

int main(int argc, char **argv) {
  return benchmarkMain(argc, argv, checkBitIdentical);
}
