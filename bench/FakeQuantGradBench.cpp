//===- FakeQuantGradBench.cpp - The clipped backward of fake quantization -===//
//
// dx = GradFakeQuantization(dy, mask, gradient=clipped) on 16M elements: the
// backward autodiff emits for FakeQuantization(gradient=clipped), reading the
// incoming gradient (Float32) and the forward's mask (Bool, one byte):
//   BM_GradClippedJit/threads  the JIT, 1 thread and every core
//   BM_GradClippedHand         dy * float(mask) by hand,
//                              g++ -O3 -march=native
// The mask has about one element in eight false, as for values beyond the
// grid. Outputs are checked bit for bit against the hand loop first.
// Bytes/s counts dy and the mask read and dx written (9 bytes an element).
//
//===----------------------------------------------------------------------===//
#include "BenchSupport.h"
#include "FakeQuantHand.h"
#include "qjit/IR/Builder.h"
#include <cstring>
#include <random>
#include <fmt/format.h>

using namespace qjit;
using namespace qjit::bench;

namespace {

constexpr int64_t kSize = int64_t(1) << 24;

struct Buffers {
  Buffers()
      : dy(TensorType{DataType::Float32, {kSize}}),
        mask(TensorType{DataType::Bool, {kSize}}), dx(dy.getType()) {
    fillUniform(dy.as<float>(), kSize, -1.0f, 1.0f, 5);
    std::mt19937 rng(6);
    bool *m = mask.as<bool>();
    for (int64_t i = 0; i < kSize; ++i)
      m[i] = rng() % 8 != 0;
  }
  Tensor dy, mask, dx;
};

Buffers &buffers() {
  static Buffers buf;
  return buf;
}

std::shared_ptr<const CompiledGraph> compiled() {
  static std::shared_ptr<const CompiledGraph> result = [] {
    Graph graph("fake_quant_grad");
    Builder b(graph);
    ValueId dy = b.addInput(DataType::Float32, {kSize});
    ValueId mask = b.addInput(DataType::Bool, {kSize});
    ValueId dx =
        orFail(b.create(OpKind::GradFakeQuantization, {dy, mask},
                        {{"gradient", Attribute::enumValue("clipped")}}));
    b.setOutputs({dx});
    return compile(graph);
  }();
  return result;
}

void runHand(Buffers &buf, float *out) {
  fakeQuantizeGradClippedByHand(buf.dy.as<float>(), buf.mask.as<bool>(), out,
                                kSize);
}

void checkBitIdentical() {
  Buffers &buf = buffers();
  std::vector<float> hand(kSize);
  runHand(buf, hand.data());
  for (unsigned threads : threadCounts()) {
    std::memset(buf.dx.data(), 0xff, buf.dx.sizeInBytes());
    run(*compiled(), {buf.dy.ref(), buf.mask.ref()}, {buf.dx.ref()}, threads);
    expectBitIdentical(buf.dx.as<float>(), hand.data(), kSize,
                       fmt::format("JIT ({} threads) vs hand loop", threads));
  }
  std::fprintf(stderr,
               "FakeQuantGradBench: JIT and hand loop agree bit for bit\n");
}

int64_t bytes() { return kSize * (2 * int64_t(sizeof(float)) + 1); }

void BM_GradClippedJit(benchmark::State &state) {
  Buffers &buf = buffers();
  auto graph = compiled();
  unsigned threads = unsigned(state.range(0));
  measure(state, [&] {
    run(*graph, {buf.dy.ref(), buf.mask.ref()}, {buf.dx.ref()}, threads);
  });
  setBytes(state, bytes());
}

void BM_GradClippedHand(benchmark::State &state) {
  Buffers &buf = buffers();
  measure(state, [&] { runHand(buf, buf.dx.as<float>()); });
  setBytes(state, bytes());
}

BENCHMARK(BM_GradClippedJit)->Apply(eachThreadCount)->UseRealTime();
BENCHMARK(BM_GradClippedHand)->UseRealTime();

} // namespace

int main(int argc, char **argv) {
  return benchmarkMain(argc, argv, checkBitIdentical);
}
