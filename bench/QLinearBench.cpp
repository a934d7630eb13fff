//===- QLinearBench.cpp - Integer QLinearMatMul / QLinearConv2D vs float ---===//
//
// Every weight is a data constant (Builder::constant), so the JIT packs it
// at compile time; the timed run reads only the activations.
//   BM_QMatMul/size/threads   QLinearMatMul [S, S] UInt8 x [S, S] Int8 ->
//                             UInt8 (x_scale 0.02, x_zp 128, w_scale 0.005,
//                             y_scale 0.5, y_zp 120), S = 512 and 1024
//   BM_FloatMatMul/size       MatMul [512, 512] Float32 x constant [512, 512]
//                             Float32 (OpenBLAS, one thread): the float
//                             baseline of the same product
//   BM_QLinearLayer/threads   a quantized Linear layer, float in, float out:
//                             Quantize -> QLinearMatMul (constant Int8
//                             weight [512, 512], constant Int32 bias,
//                             relu=true) -> Dequantize, [512, 512]
//   BM_QLinearResidual/anchored/threads
//                             the layer with a Float32 QLinearMatMul, then
//                             Add x (a residual) -> ReLU -> FakeQuantization,
//                             fused: on each band of the product as it is
//                             written (1, the JIT's passes), or in one loop
//                             over the product after it (0)
//   BM_QConv2D/threads        QLinearConv2D x [1, 64, 56, 56] UInt8, constant
//                             Int8 weight [64, 64, 3, 3], padding 1 -> UInt8
//   BM_QConv2DChannelsLast/threads
//                             the same convolution with channels_last: x and
//                             y NHWC [1, 56, 56, 64], the layout a network's
//                             layers pass on (PyTorch's quantized Conv2d
//                             writes its output in it)
// Before measuring, each compiled graph's output (every thread count) is
// checked byte for byte against the interpreter's, on a small graph of each
// kind and on the measured ones; the float MatMul within the test suite's
// summation bound (1e-5 relative), as GemmBench. GOP/s counts 2 operations
// per multiply-add.
//
//===----------------------------------------------------------------------===//
#include "BenchSupport.h"
#include "qjit/IR/Builder.h"
#include "qjit/Interpreter/Interpreter.h"
#include "qjit/Transforms/PassRegistry.h"
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>

using namespace qjit;
using namespace qjit::bench;

namespace {

constexpr int64_t kConvChannels = 64, kConvSize = 56;

// Every byte value equally likely.
Tensor randomBytes(const TensorType &type, unsigned seed) {
  Tensor t(type);
  std::mt19937 rng(seed);
  auto *bytes = static_cast<uint8_t *>(t.data());
  for (size_t i = 0; i < t.sizeInBytes(); ++i)
    bytes[i] = static_cast<uint8_t>(rng());
  return t;
}

Tensor randomFloats(const TensorType &type, float lo, float hi,
                    unsigned seed) {
  Tensor t(type);
  fillUniform(t.as<float>(), t.numElements(), lo, hi, seed);
  return t;
}

Tensor randomBias(int64_t n, unsigned seed) {
  Tensor t(TensorType{DataType::Int32, {n}});
  std::mt19937 rng(seed);
  for (int64_t i = 0; i < n; ++i)
    t.as<int32_t>()[i] = int32_t(rng() % 200001) - 100000;
  return t;
}

Attribute enumAttr(const char *name) { return Attribute(EnumValue{name}); }

// The quantization attributes of the README's example.
AttrList qlinearAttrs() {
  return {{"x_scale", Attribute(0.02)},
          {"x_zero_point", Attribute(int64_t(128))},
          {"w_scale", Attribute(0.005)},
          {"y_scale", Attribute(0.5)},
          {"y_zero_point", Attribute(int64_t(120))}};
}

// A compiled graph with its (non-constant) input and its output buffer.
struct Case {
  Graph graph{"case"};
  Tensor x, y;
  std::shared_ptr<const CompiledGraph> compiled;

  // Compiled through the JIT's default passes, or as given.
  void finish(ValueId out, bool asGiven = false) {
    Builder(graph).setOutputs({out});
    y = Tensor(graph.getType(out));
    compiled = asGiven ? compileAsGiven(graph) : compile(graph);
  }
  void run(unsigned threads) {
    bench::run(*compiled, {x.ref()}, {y.ref()}, threads);
  }
  // Runs on every thread count and aborts unless each output equals the
  // interpreter's byte for byte.
  void checkBytes(const std::string &what) {
    std::vector<Tensor> expected = orFail(interpret(graph, {x}));
    for (unsigned threads : threadCounts()) {
      std::memset(y.data(), 0xA5, y.sizeInBytes());
      run(threads);
      if (std::memcmp(y.data(), expected[0].data(), y.sizeInBytes()) == 0)
        continue;
      size_t i = 0;
      auto *a = static_cast<const uint8_t *>(y.data());
      auto *e = static_cast<const uint8_t *>(expected[0].data());
      while (a[i] == e[i])
        ++i;
      fail(fmt::format("{}, {} thread(s): byte {} of {} is {} instead of {} "
                       "(the interpreter's)",
                       what, threads, i, y.sizeInBytes(), a[i], e[i]));
    }
  }
};

// QLinearMatMul [m, k] x constant [k, n], optionally with a constant bias.
std::unique_ptr<Case> makeQMatMul(int64_t m, int64_t k, int64_t n,
                                  bool withBias, bool relu) {
  auto c = std::make_unique<Case>();
  Builder b(c->graph);
  c->x = randomBytes({DataType::UInt8, {m, k}}, 1);
  ValueId x = b.addInput(c->x.getType());
  ValueId w = orFail(b.constant(randomBytes({DataType::Int8, {k, n}}, 2)));
  llvm::SmallVector<ValueId, 3> operands{x, w};
  if (withBias)
    operands.push_back(orFail(b.constant(randomBias(n, 3))));
  AttrList attrs = qlinearAttrs();
  attrs.push_back({"relu", Attribute(relu)});
  c->finish(orFail(b.create(OpKind::QLinearMatMul, operands, attrs)));
  return c;
}

// Quantize(x) -> QLinearMatMul with a constant Int8 weight [k, n] and Int32
// bias (seeds `seed` and seed + 1), relu=true: its result is UInt8 levels,
// or those levels dequantized (Float32) when `floatResult`. x is uniform in
// [-2.5, 2.5), within the UInt8 grid of scale 0.02 around 128; the sums
// (about 12 in float units) fit y_scale 0.1 from 0.
ValueId quantizedLinear(Builder &b, ValueId x, int64_t k, int64_t n,
                        unsigned seed, bool floatResult) {
  ValueId q = orFail(b.create(OpKind::Quantize, {x},
                              {{"scale", Attribute(0.02)},
                               {"zero_point", Attribute(int64_t(128))},
                               {"dtype", enumAttr("UInt8")}}));
  ValueId w = orFail(b.constant(randomBytes({DataType::Int8, {k, n}}, seed)));
  ValueId bias = orFail(b.constant(randomBias(n, seed + 1)));
  AttrList attrs{{"x_scale", Attribute(0.02)},
                 {"x_zero_point", Attribute(int64_t(128))},
                 {"w_scale", Attribute(0.005)},
                 {"y_scale", Attribute(0.1)},
                 {"y_zero_point", Attribute(int64_t(0))},
                 {"relu", Attribute(true)}};
  if (floatResult) // the grid of the levels, then Float32 out
    attrs.insert(attrs.end(), {{"quant_min", Attribute(int64_t(0))},
                               {"quant_max", Attribute(int64_t(255))},
                               {"dtype", enumAttr("Float32")}});
  return orFail(b.create(OpKind::QLinearMatMul, {q, w, bias}, attrs));
}

// Float in, float out: Quantize -> QLinearMatMul (bias, relu) -> Dequantize.
std::unique_ptr<Case> makeLinearLayer(int64_t m, int64_t k, int64_t n) {
  auto c = std::make_unique<Case>();
  Builder b(c->graph);
  c->x = randomFloats({DataType::Float32, {m, k}}, -2.5f, 2.5f, 4);
  ValueId x = b.addInput(c->x.getType());
  ValueId y = quantizedLinear(b, x, k, n, 5, /*floatResult=*/false);
  c->finish(orFail(b.create(OpKind::Dequantize, {y},
                            {{"scale", Attribute(0.1)},
                             {"zero_point", Attribute(int64_t(0))}})));
  return c;
}

// `graph` after the JIT's default passes, but with each fused op's QLinear
// anchor taken out of its body: the product in a kernel of its own, the
// elementwise ops in one loop over it after it (their fusion before QLinear
// ops anchored epilogues).
Graph withoutQLinearAnchors(const Graph &graph) {
  Module module;
  Graph &g = module.addGraph(graph);
  orFail(orFail(parsePassPipeline(defaultPipeline())).run(module));
  std::vector<Operation> &ops = g.getOps();
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].getKind() != OpKind::FusedElementwise)
      continue;
    const Graph &body = *ops[i].getBody();
    Operation anchor = body.getOps().front();
    if (anchor.getKind() != OpKind::QLinearMatMul &&
        anchor.getKind() != OpKind::QLinearConv2D)
      continue;
    // The rest reads the product and the inputs that are not the anchor's.
    auto rest = std::make_shared<Graph>(body.getName().str());
    llvm::SmallVector<ValueId, 4> operands{anchor.getResult()};
    for (ValueId v : body.getInputs())
      if (!llvm::is_contained(anchor.getOperands(), v))
        operands.push_back(v);
    for (ValueId v : operands) {
      rest->defineValue(v, body.getType(v));
      rest->addInput(v);
    }
    for (const Operation &op : llvm::drop_begin(body.getOps())) {
      for (ValueId r : op.getResults())
        rest->defineValue(r, body.getType(r));
      rest->addOp(op);
    }
    rest->setOutputs(body.getOutputs());
    Operation loop(OpKind::FusedElementwise, operands,
                   llvm::SmallVector<ValueId, 1>(ops[i].getResults()));
    loop.setBody(std::move(rest));
    g.defineValue(anchor.getResult(), body.getType(anchor.getResult()));
    ops[i] = std::move(loop);
    ops.insert(ops.begin() + i, std::move(anchor));
    ++i;
  }
  return g;
}

// Float in, float out, the product followed by elementwise ops: Quantize
// -> QLinearMatMul (bias, relu, Dequantize folded in: a Float32 result) ->
// Add x (a residual) -> ReLU -> FakeQuantization. Anchored (the JIT's
// default passes), the elementwise ops run on each band of the product as
// the kernel writes it; else in one loop over the product after it.
std::unique_ptr<Case> makeLinearResidual(int64_t m, int64_t k,
                                         bool anchored) {
  auto c = std::make_unique<Case>();
  Builder b(c->graph);
  c->x = randomFloats({DataType::Float32, {m, k}}, -2.5f, 2.5f, 11);
  ValueId x = b.addInput(c->x.getType());
  ValueId y = quantizedLinear(b, x, k, k, 12, /*floatResult=*/true);
  ValueId sum = orFail(b.create(OpKind::Add, {y, x}));
  ValueId relu = orFail(b.create(OpKind::ReLU, {sum}));
  ValueId out = orFail(b.create(OpKind::FakeQuantization, {relu},
                                {{"num_bits", Attribute(int64_t(8))},
                                 {"scale", Attribute(0.05)}}));
  c->finish(out);
  if (!anchored)
    c->compiled = compileAsGiven(withoutQLinearAnchors(c->graph));
  return c;
}

// QLinearConv2D [1, channels, size, size] (NHWC [1, size, size, channels]
// when channelsLast) with `filters` constant 3x3 filters, padding 1.
std::unique_ptr<Case> makeQConv(int64_t channels, int64_t filters,
                                int64_t size, bool channelsLast = false) {
  auto c = std::make_unique<Case>();
  Builder b(c->graph);
  Shape shape = channelsLast ? Shape{1, size, size, channels}
                             : Shape{1, channels, size, size};
  c->x = randomBytes({DataType::UInt8, shape}, 7);
  ValueId x = b.addInput(c->x.getType());
  ValueId w = orFail(
      b.constant(randomBytes({DataType::Int8, {filters, channels, 3, 3}}, 8)));
  AttrList attrs = qlinearAttrs();
  attrs.push_back({"padding", Attribute(int64_t(1))});
  if (channelsLast)
    attrs.push_back({"channels_last", Attribute(true)});
  c->finish(orFail(b.create(OpKind::QLinearConv2D, {x, w}, attrs)));
  return c;
}

// MatMul [s, s] Float32 x constant [s, s] Float32.
std::unique_ptr<Case> makeFloatMatMul(int64_t s) {
  auto c = std::make_unique<Case>();
  Builder b(c->graph);
  c->x = randomFloats({DataType::Float32, {s, s}}, -1.0f, 1.0f, 9);
  ValueId x = b.addInput(c->x.getType());
  ValueId w = orFail(
      b.constant(randomFloats({DataType::Float32, {s, s}}, -1.0f, 1.0f, 10)));
  c->finish(orFail(b.create(OpKind::MatMul, {x, w})));
  return c;
}

Case &qMatMul(int64_t size) {
  static std::map<int64_t, std::unique_ptr<Case>> cases;
  auto &slot = cases[size];
  if (!slot)
    slot = makeQMatMul(size, size, size, /*withBias=*/false, /*relu=*/false);
  return *slot;
}

Case &linearLayer() {
  static std::unique_ptr<Case> c = makeLinearLayer(512, 512, 512);
  return *c;
}

Case &linearResidual(bool anchored) {
  static std::unique_ptr<Case> cases[2];
  if (!cases[anchored])
    cases[anchored] = makeLinearResidual(512, 512, anchored);
  return *cases[anchored];
}

Case &qConv(bool channelsLast = false) {
  static std::unique_ptr<Case> cases[2];
  if (!cases[channelsLast])
    cases[channelsLast] =
        makeQConv(kConvChannels, kConvChannels, kConvSize, channelsLast);
  return *cases[channelsLast];
}

Case &floatMatMul() {
  static std::unique_ptr<Case> c = makeFloatMatMul(512);
  return *c;
}

void setOps(benchmark::State &state, double multiplyAdds) {
  state.counters["GOP/s"] = benchmark::Counter(
      2 * multiplyAdds * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

double cube(int64_t s) { return double(s) * s * s; }

void BM_QMatMul(benchmark::State &state) {
  int64_t size = state.range(0);
  unsigned threads = unsigned(state.range(1));
  Case &c = qMatMul(size);
  measure(state, [&] { c.run(threads); });
  setOps(state, cube(size));
}

void BM_FloatMatMul(benchmark::State &state) {
  Case &c = floatMatMul();
  measure(state, [&] { c.run(1); });
  setOps(state, cube(512));
}

void BM_QLinearLayer(benchmark::State &state) {
  unsigned threads = unsigned(state.range(0));
  Case &c = linearLayer();
  measure(state, [&] { c.run(threads); });
  setOps(state, cube(512));
}

void BM_QLinearResidual(benchmark::State &state) {
  Case &c = linearResidual(state.range(0));
  unsigned threads = unsigned(state.range(1));
  measure(state, [&] { c.run(threads); });
  setOps(state, cube(512));
}

void measureQConv(benchmark::State &state, bool channelsLast) {
  unsigned threads = unsigned(state.range(0));
  Case &c = qConv(channelsLast);
  measure(state, [&] { c.run(threads); });
  setOps(state, double(kConvChannels) * kConvSize * kConvSize *
                    kConvChannels * 9);
}
void BM_QConv2D(benchmark::State &state) { measureQConv(state, false); }
void BM_QConv2DChannelsLast(benchmark::State &state) {
  measureQConv(state, true);
}

void sizesAndThreads(benchmark::internal::Benchmark *b) {
  b->ArgNames({"size", "threads"});
  for (int64_t size : {512, 1024})
    for (unsigned threads : threadCounts())
      b->Args({size, threads});
}

BENCHMARK(BM_QMatMul)->Apply(sizesAndThreads)->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FloatMatMul)->ArgNames({"size"})->Arg(512)->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_QLinearLayer)->Apply(eachThreadCount)->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_QLinearResidual)
    ->Apply([](benchmark::internal::Benchmark *b) {
      b->ArgNames({"anchored", "threads"});
      for (int64_t anchored : {0, 1})
        for (unsigned threads : threadCounts())
          b->Args({anchored, threads});
    })
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_QConv2D)->Apply(eachThreadCount)->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_QConv2DChannelsLast)->Apply(eachThreadCount)->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// |a - e| <= 1e-5 * (|e| + max |e|) everywhere (GemmBench's bound).
void expectClose(const Tensor &actual, const Tensor &expected,
                 const char *what) {
  const float *a = actual.as<float>(), *e = expected.as<float>();
  int64_t n = expected.numElements();
  double floor = 0;
  for (int64_t i = 0; i < n; ++i)
    floor = std::max(floor, std::fabs(double(e[i])));
  for (int64_t i = 0; i < n; ++i)
    if (!(std::fabs(double(a[i]) - e[i]) <=
          1e-5 * (std::fabs(double(e[i])) + floor)))
      fail(fmt::format("{}: element {} is {}, expected {}", what, i, a[i],
                       e[i]));
}

void checkResults() {
  // Small graphs of each kind: odd sizes, k not a multiple of 4, bias, relu.
  makeQMatMul(37, 70, 45, /*withBias=*/true, /*relu=*/true)
      ->checkBytes("QLinearMatMul 37x70x45 with bias, relu");
  makeLinearLayer(9, 30, 13)->checkBytes("quantized Linear layer 9x30x13");
  makeQConv(5, 7, 11)->checkBytes("QLinearConv2D 5 -> 7 channels, 11x11");
  makeQConv(5, 7, 11, /*channelsLast=*/true)
      ->checkBytes("QLinearConv2D 5 -> 7 channels, 11x11, NHWC");
  for (bool anchored : {false, true}) {
    const char *how = anchored ? "anchored" : "a loop after";
    makeLinearResidual(70, 30, anchored)
        ->checkBytes(fmt::format("Linear layer + residual 70x30, {}", how));
    linearResidual(anchored).checkBytes(
        fmt::format("Linear layer + residual 512^3, {}", how));
  }
  // The measured graphs.
  for (int64_t size : {512, 1024})
    qMatMul(size).checkBytes(fmt::format("QLinearMatMul {}^3", size));
  linearLayer().checkBytes("quantized Linear layer 512^3");
  qConv().checkBytes("QLinearConv2D 64 -> 64 channels, 56x56");
  qConv(true).checkBytes("QLinearConv2D 64 -> 64 channels, 56x56, NHWC");
  // The scales spread the sums over the UInt8 grid: at most a tenth of the
  // outputs may saturate, or the case would measure something unusual.
  {
    Case &c = qMatMul(512);
    c.run(1);
    auto *y = static_cast<const uint8_t *>(c.y.data());
    int64_t saturated = 0;
    for (size_t i = 0; i < c.y.sizeInBytes(); ++i)
      saturated += y[i] == 0 || y[i] == 255;
    if (saturated * 10 > int64_t(c.y.sizeInBytes()))
      fail(fmt::format("QLinearMatMul 512^3: {} of {} outputs saturate",
                       saturated, c.y.sizeInBytes()));
  }
  Case &f = floatMatMul();
  f.run(1);
  expectClose(f.y, orFail(interpret(f.graph, {f.x}))[0], "MatMul Float32");
  std::fprintf(stderr, "QLinearBench: JIT results equal the interpreter's "
                       "(byte for byte; float MatMul within 1e-5)\n");
}

} // namespace

int main(int argc, char **argv) {
  return benchmarkMain(argc, argv, checkResults);
}
