//===- FakeQuantChannelBench.cpp - Fake quantization per channel ----------===//
//
// FakeQuantization forward per channel on x [64, 262144] (16M floats) along
// axis 0, as for a weight or an activation with one scale per channel:
// scales 0.02 + 0.001 c, zero points (c mod 21) - 10, grid [-128, 127]:
//   BM_PerChannelJit/threads  the JIT, 1 thread and every core
//   BM_PerChannelHand         the loop by hand, g++ -O3 -march=native
// Outputs are checked bit for bit against the hand loop first. Bytes/s
// counts x read and y written.
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

std::vector<double> channelScales() {
  std::vector<double> scales;
  for (int64_t c = 0; c < kChannels; ++c)
    scales.push_back(0.02 + 0.001 * double(c));
  return scales;
}

std::vector<int64_t> channelZeroPoints() {
  std::vector<int64_t> zeroPoints;
  for (int64_t c = 0; c < kChannels; ++c)
    zeroPoints.push_back(c % 21 - 10);
  return zeroPoints;
}

struct Buffers {
  Buffers()
      : x(TensorType{DataType::Float32, {kChannels, kInner}}), y(x.getType()) {
    fillFakeQuantInput(x.as<float>(), kSize, 0.05);
  }
  Tensor x, y;
};

Buffers &buffers() {
  static Buffers buf;
  return buf;
}

std::shared_ptr<const CompiledGraph> compiled() {
  static std::shared_ptr<const CompiledGraph> result = [] {
    Graph graph("fake_quant_per_channel");
    Builder b(graph);
    ValueId x = b.addInput(DataType::Float32, {kChannels, kInner});
    ValueId y = orFail(b.create(OpKind::FakeQuantization, {x},
                                {{"quant_min", -128},
                                 {"quant_max", 127},
                                 {"scale", channelScales()},
                                 {"zero_point", channelZeroPoints()},
                                 {"axis", 0}}));
    b.setOutputs({y});
    return compile(graph);
  }();
  return result;
}

void runHand(Buffers &buf, float *out) {
  static const auto params = [] {
    std::pair<std::vector<float>, std::vector<float>> p;
    for (double s : channelScales())
      p.first.push_back(float(s));
    for (int64_t zp : channelZeroPoints())
      p.second.push_back(float(zp));
    return p;
  }();
  fakeQuantizePerChannelByHand(buf.x.as<float>(), out, kChannels, kInner,
                               params.first.data(), params.second.data(),
                               -128.0f, 127.0f);
}

void checkBitIdentical() {
  Buffers &buf = buffers();
  std::vector<float> hand(kSize);
  runHand(buf, hand.data());
  for (unsigned threads : threadCounts()) {
    std::memset(buf.y.data(), 0xff, buf.y.sizeInBytes());
    run(*compiled(), {buf.x.ref()}, {buf.y.ref()}, threads);
    expectBitIdentical(buf.y.as<float>(), hand.data(), kSize,
                       fmt::format("JIT ({} threads) vs hand loop", threads));
  }
  std::fprintf(stderr,
               "FakeQuantChannelBench: JIT and hand loop agree bit for bit\n");
}

int64_t bytes() { return kSize * 2 * int64_t(sizeof(float)); }

void BM_PerChannelJit(benchmark::State &state) {
  Buffers &buf = buffers();
  auto graph = compiled();
  unsigned threads = unsigned(state.range(0));
  measure(state, [&] { run(*graph, {buf.x.ref()}, {buf.y.ref()}, threads); });
  setBytes(state, bytes());
}

void BM_PerChannelHand(benchmark::State &state) {
  Buffers &buf = buffers();
  measure(state, [&] { runHand(buf, buf.y.as<float>()); });
  setBytes(state, bytes());
}

BENCHMARK(BM_PerChannelJit)->Apply(eachThreadCount)->UseRealTime();
BENCHMARK(BM_PerChannelHand)->UseRealTime();

} // namespace

int main(int argc, char **argv) {
  return benchmarkMain(argc, argv, checkBitIdentical);
}
