//===- JitParallelTest.cpp - Kernels split over threads -------------------===//
//
// Every kernel family that splits its loops over threads (elementwise unary
// and binary, FakeQuantization, GradFakeQuantization, Quantize, Dequantize)
// on tensors above the split threshold, with sizes that leave odd tails:
// one thread, two, three and all cores give the same bytes, and (where
// the JIT is exact) the interpreter's. Small tensors have no parallel loop.
// Runs from several threads at once, each with its own thread count, agree
// too.
//
//===----------------------------------------------------------------------===//
#include "JitTestSupport.h"
#include "qjit/IR/FakeQuantizationOp.h"
#include "qjit/IR/Parser.h"
#include <atomic>
#include <fmt/ranges.h>
#include <thread>

namespace qjit::test {
namespace {

// Above 2 * 32K elements (Parallel.h's grain): split. Odd, so the last
// chunk ends in a vector remainder.
constexpr int64_t kLarge = 200003;

const FillOptions kSalted = {/*range=*/100, /*specialFraction=*/0.1,
                             /*tieFraction=*/0.2, /*tieScale=*/0.05};

TensorType f32(llvm::ArrayRef<int64_t> shape) {
  return {DataType::Float32, Shape(shape.begin(), shape.end())};
}

std::shared_ptr<const CompiledGraph> compileOrFail(const Graph &graph) {
  auto compiled = jitAt(2).compile(graph);
  if (!expectOk(compiled))
    return nullptr;
  return *compiled;
}

std::vector<Tensor> runWith(const CompiledGraph &compiled,
                            llvm::ArrayRef<Tensor> inputs, unsigned threads) {
  auto outputs = compiled.run(inputs, RunOptions{threads});
  if (!expectOk(outputs))
    return {};
  return std::move(*outputs);
}

// One thread vs 2, 3 and all cores, bit for bit; with `exact`, the
// interpreter too (not for libm functions, whose vector forms may differ
// from the interpreter's scalar ones in the last bit). `sums` are outputs
// compared up to NaN payloads (serial sums whose NaN operands may commute).
void expectSameForEveryThreadCount(const Graph &graph,
                                   llvm::ArrayRef<Tensor> inputs, bool exact,
                                   const std::string &what,
                                   llvm::ArrayRef<size_t> sums = {}) {
  SCOPED_TRACE(what);
  auto compiled = compileOrFail(graph);
  ASSERT_TRUE(compiled);
  EXPECT_TRUE(compiled->usesThreads()) << "no parallel loop";
  std::vector<Tensor> serial = runWith(*compiled, inputs, 1);
  ASSERT_EQ(serial.size(), graph.getOutputs().size());
  auto same = [&](const Tensor &a, const Tensor &b, size_t i) {
    return llvm::is_contained(sums, i) ? equalUpToNaNPayload(a, b)
                                       : a.bitwiseEqual(b);
  };
  for (unsigned threads : {2u, 3u, 0u}) {
    std::vector<Tensor> parallel = runWith(*compiled, inputs, threads);
    ASSERT_EQ(parallel.size(), serial.size());
    for (size_t i = 0; i < serial.size(); ++i)
      EXPECT_TRUE(same(parallel[i], serial[i], i))
          << "output " << i << " with " << threads
          << " threads: " << describeMismatch(parallel[i], serial[i]);
  }
  if (!exact)
    return;
  auto expected = interpret(graph, inputs);
  ASSERT_OK(expected);
  for (size_t i = 0; i < serial.size(); ++i)
    EXPECT_TRUE(same(serial[i], (*expected)[i], i))
        << "output " << i << " vs the interpreter: "
        << describeMismatch(serial[i], (*expected)[i]);
}

void expectSameForEveryThreadCount(const Graph &graph, bool exact,
                                   const std::string &what,
                                   const FillOptions &fill = kSalted) {
  expectSameForEveryThreadCount(graph, randomInputs(graph, fill), exact, what);
}

//===-- Depthwise convolution ---------------------------------------------===//

// Planes of a depthwise (direct) convolution on several threads, each
// chunk padding into its own scratch: every thread count gives the same
// bytes (JitGemm.Conv2DCases checks the values).
TEST(JitParallel, DepthwiseConvolution) {
  struct Case {
    Shape input, weight;
    AttrList attrs;
  };
  const Case cases[] = {
      {{2, 40, 37, 29}, {40, 1, 3, 3}, {{"padding", 1}, {"groups", 40}}},
      {{1, 96, 30, 30}, {96, 1, 3, 3}, {{"groups", 96}}}, // no padding
      {{1, 24, 28, 28}, {48, 1, 9, 9}, {{"padding", 4}, {"groups", 24}}},
  };
  for (const Case &c : cases) {
    Graph graph = singleOpGraph(OpKind::Conv2D,
                                {f32(c.input), f32(c.weight), f32({c.weight[0]})},
                                c.attrs);
    expectSameForEveryThreadCount(graph, /*exact=*/false, graph.toString());
  }
}

//===-- Pooling -----------------------------------------------------------===//

// Planes of a pooling on several threads, each chunk's accumulator row in
// its own thread's scratch: every thread count gives the interpreter's bytes.
TEST(JitParallel, Pooling) {
  struct Case {
    OpKind kind;
    DataType type;
    Shape input;
    AttrList attrs;
  };
  const Case cases[] = {
      {OpKind::MaxPool2D, DataType::Float32, {1, 64, 112, 112},
       {{"kernel_size", 3}, {"stride", 2}, {"padding", 1}}},
      {OpKind::MaxPool2D, DataType::UInt8, {2, 48, 57, 61},
       {{"kernel_size", 2}}},
      {OpKind::AvgPool2D, DataType::Float32, {3, 20, 70, 45},
       {{"kernel_size", 3}, {"stride", 1}, {"padding", 1}}},
  };
  for (const Case &c : cases) {
    Graph graph = singleOpGraph(c.kind, {{c.type, c.input}}, c.attrs);
    ASSERT_EQ(graph.getOps().size(), 1u);
    // Up to NaN payloads: maximum's NaN is the JIT's canonical one.
    expectSameForEveryThreadCount(graph, randomInputs(graph, kSalted),
                                  /*exact=*/true, graph.toString(), {0});
  }
}

//===-- Elementwise -------------------------------------------------------===//

TEST(JitParallel, ElementwiseBinary) {
  struct Case {
    OpKind kind;
    DataType type;
    Shape a, b;
  };
  const Case cases[] = {
      // One flat loop.
      {OpKind::Add, DataType::Float32, {kLarge}, {kLarge}},
      {OpKind::Divide, DataType::Float64, {kLarge}, {kLarge}},
      {OpKind::Maximum, DataType::Float32, {kLarge}, {kLarge}},
      {OpKind::Multiply, DataType::Int32, {kLarge}, {kLarge}},
      {OpKind::Subtract, DataType::Int8, {kLarge}, {kLarge}},
      // Broadcast: an outer loop of rows split, the inner one whole.
      {OpKind::Add, DataType::Float32, {517, 1031}, {1031}},
      {OpKind::Multiply, DataType::Float32, {517, 1031}, {517, 1}},
      {OpKind::Minimum, DataType::Int16, {3, 257, 263}, {3, 1, 263}},
      // Few long rows: fewer chunks than threads.
      {OpKind::Add, DataType::Float32, {3, 70001}, {3, 1}},
      // A scalar operand: still one flat loop.
      {OpKind::Subtract, DataType::Float32, {kLarge}, {}},
  };
  for (const Case &c : cases) {
    Graph graph = singleOpGraph(c.kind, {{c.type, c.a}, {c.type, c.b}});
    expectSameForEveryThreadCount(graph, true,
                                  fmt::format("{} {} {}", opName(c.kind).str(),
                                              dataTypeName(c.type).str(),
                                              graph.toString()));
  }
}

TEST(JitParallel, ElementwiseUnary) {
  for (OpKind kind : {OpKind::Negate, OpKind::Abs, OpKind::ReLU, OpKind::Square,
                      OpKind::Sqrt})
    for (Shape shape : {Shape{kLarge}, Shape{301, 1001}})
      expectSameForEveryThreadCount(singleOpGraph(kind, {f32(shape)}), true,
                                    opName(kind).str());
  // libmvec's vector functions: the split falls on whole vector blocks, so
  // every element takes the same path whatever the thread count.
  for (OpKind kind : {OpKind::Exp, OpKind::Tanh, OpKind::Sigmoid, OpKind::GELU})
    expectSameForEveryThreadCount(singleOpGraph(kind, {f32({kLarge})}), false,
                                  opName(kind).str(), {5, 0.05, 0, 1});
  expectSameForEveryThreadCount(singleOpGraph(OpKind::Clamp, {f32({kLarge})},
                                              {{"min", -1.0}, {"max", 2.0}}),
                                true, "Clamp");
}

//===-- Fake quantization -------------------------------------------------===//

std::vector<double> someScales(int64_t channels) {
  std::vector<double> scales;
  const double pool[] = {0.05, 0.5, 1.0, 0.3, 1e-3, 7.0, 0.125};
  for (int64_t c = 0; c < channels; ++c)
    scales.push_back(pool[c % 7]);
  return scales;
}

std::string shapeText(llvm::ArrayRef<int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

struct FqLayout {
  std::string name;
  Shape shape;
  std::string attrs;
  std::optional<Shape> params; // shape of scale and zero point operands
};

std::vector<FqLayout> fqLayouts() {
  auto scales = [](int64_t channels) {
    return fmt::format("scale=[{}]", fmt::join(someScales(channels), ", "));
  };
  return {
      {"per tensor", {kLarge}, "scale=0.05", {}},
      {"per tensor asymmetric",
       {kLarge},
       "symmetric=false, scale=0.07, zero_point=3",
       {}},
      {"per tensor operands", {kLarge}, "symmetric=false", Shape{}},
      {"observer", {kLarge}, "symmetric=false", {}},
      // Channels leading (rows of one channel) and last (rows of all).
      {"per channel axis 0", {37, 7013}, "axis=0, " + scales(37), {}},
      {"per channel axis 1 of 3", {7, 13, 2003}, "axis=1, " + scales(13), {}},
      {"per channel last axis", {3001, 67}, "axis=1, " + scales(67), {}},
      {"per channel operands",
       {17, 10007},
       "axis=0, symmetric=false",
       Shape{17}},
      {"per channel observer", {19, 9001}, "axis=0, symmetric=false", {}},
      {"per channel observer last axis", {9001, 19}, "axis=1", {}},
  };
}

// FakeQuantization (with its mask) or GradFakeQuantization with `rule`.
Graph fqGraph(const FqLayout &l, std::optional<GradientRule> rule) {
  std::string x = "Float32 " + shapeText(l.shape);
  std::string params, operands, attrs = l.attrs;
  unsigned next = rule ? 2 : 1;
  if (l.params) {
    params = fmt::format(", t{}: Float32 {}, t{}: Int32 {}", next,
                         shapeText(*l.params), next + 1, shapeText(*l.params));
    operands = fmt::format(", t{}, t{}", next, next + 1);
  }
  std::string text;
  if (rule == GradientRule::LSQ)
    text = fmt::format(R"(
graph @f(t0: {0}, t1: {0}{1}) {{
  t9, t10, t11 = GradFakeQuantization(t0, t1{2}, {3}, gradient=lsq) : {0}, Float32 {4}, Int32 {4}
  return t9, t10, t11
}}
)",
                       x, params, operands, attrs, shapeText(*l.params));
  else if (rule)
    text =
        fmt::format(R"(
graph @f(t0: {0}, t1: {0}{1}) {{
  t9 = GradFakeQuantization(t0, t1{2}, {3}, gradient={4}) : {0}
  return t9
}}
)",
                    x, params, operands, attrs, gradientRuleName(*rule).str());
  else
    text = fmt::format(R"(
graph @f(t0: {0}{1}) {{
  t9, t10 = FakeQuantization(t0{2}, {3}) : {0}, Bool {4}
  return t9, t10
}}
)",
                       x, params, operands, attrs, shapeText(l.shape));
  auto module = parseAndVerify(text);
  if (!expectOk(module, text))
    return Graph("invalid");
  return module->getGraphs().front();
}

// Inputs of a fake quantization, with valid scale (positive) and zero
// point (on the grid) operands where the graph takes them.
std::vector<Tensor> fqInputs(const Graph &graph, bool gradient) {
  std::vector<Tensor> inputs = randomInputs(graph, kSalted);
  size_t scale = gradient ? 2 : 1;
  for (size_t i = scale; i < inputs.size(); ++i) {
    Tensor &t = inputs[i];
    for (int64_t e = 0; e < t.numElements(); ++e) {
      if (i == scale)
        t.as<float>()[e] = float(0.01 + 0.02 * double(e % 9));
      else
        t.as<int32_t>()[e] = int32_t(e % 5) - 2;
    }
  }
  return inputs;
}

TEST(JitParallel, FakeQuantizationForward) {
  for (const FqLayout &l : fqLayouts()) {
    Graph graph = fqGraph(l, std::nullopt);
    expectSameForEveryThreadCount(graph, fqInputs(graph, false), true, l.name);
  }
}

TEST(JitParallel, FakeQuantizationGradients) {
  for (const FqLayout &l : fqLayouts())
    for (GradientRule rule : {GradientRule::STE, GradientRule::Clipped}) {
      Graph graph = fqGraph(l, rule);
      expectSameForEveryThreadCount(graph, fqInputs(graph, true), true,
                                    l.name + " " +
                                        gradientRuleName(rule).str());
    }
}

TEST(JitParallel, FakeQuantizationGradientFromMask) {
  Graph graph = singleOpGraph(OpKind::GradFakeQuantization,
                              {f32({kLarge}), {DataType::Bool, {kLarge}}},
                              {{"gradient", Attribute::enumValue("clipped")}});
  expectSameForEveryThreadCount(graph, true, "mask form");
}

TEST(JitParallel, LearnedStepSizeStaysSerialButAgrees) {
  // dx's loop is the one that also sums d scale and d zero point: serial,
  // so the sums keep their order; dx and the sums agree for any count.
  for (const FqLayout &l :
       {FqLayout{"per tensor", {kLarge}, "symmetric=false", Shape{}},
        FqLayout{"per channel",
                 {17, 10007},
                 "axis=0, symmetric=false",
                 Shape{17}}}) {
    Graph graph = fqGraph(l, GradientRule::LSQ);
    auto compiled = compileOrFail(graph);
    ASSERT_TRUE(compiled);
    std::vector<Tensor> inputs = fqInputs(graph, true);
    std::vector<Tensor> serial = runWith(*compiled, inputs, 1);
    std::vector<Tensor> parallel = runWith(*compiled, inputs, 2);
    ASSERT_EQ(serial.size(), 3u);
    ASSERT_EQ(parallel.size(), 3u);
    for (size_t i = 0; i < 3; ++i)
      EXPECT_TRUE(equalUpToNaNPayload(serial[i], parallel[i]))
          << l.name << " output " << i << ": "
          << describeMismatch(serial[i], parallel[i]);
  }
}

//===-- Quantize / Dequantize ---------------------------------------------===//

TEST(JitParallel, QuantizeAndDequantize) {
  struct Case {
    std::string name;
    Shape shape;
    AttrList attrs;
  };
  const Case cases[] = {
      {"per tensor", {kLarge}, {{"scale", 0.05}, {"zero_point", int64_t(3)}}},
      {"axis 0", {41, 4099}, {{"scale", someScales(41)}, {"axis", 0}}},
      {"last axis", {4001, 43}, {{"scale", someScales(43)}, {"axis", 1}}},
  };
  for (const Case &c : cases)
    for (DataType intType :
         {DataType::Int8, DataType::UInt8, DataType::Int32}) {
      AttrList attrs = c.attrs;
      attrs.push_back(
          {"dtype", Attribute::enumValue(dataTypeName(intType).str())});
      std::string what = c.name + " " + dataTypeName(intType).str();
      expectSameForEveryThreadCount(
          singleOpGraph(OpKind::Quantize, {f32(c.shape)}, attrs), true,
          "Quantize " + what, {20, 0.1, 0.3, 0.05, 300});
      expectSameForEveryThreadCount(
          singleOpGraph(OpKind::Dequantize, {{intType, c.shape}}, c.attrs),
          true, "Dequantize " + what);
    }
}

//===-- MatMul
//-------------------------------------------------------------===//

// Bands of rows or columns, or chunks of a batch, each band one GEMM call:
// the same bytes for every thread count; floats close to the interpreter
// (BLAS orders its sums its own way), integers equal.
TEST(JitParallel, MatMul) {
  struct Case {
    std::string name;
    DataType type;
    Shape a, b;
  };
  const Case cases[] = {
      {"row bands", DataType::Float32, {601, 300}, {300, 200}},
      {"column bands", DataType::Float32, {64, 512}, {512, 2047}},
      {"row bands of a batch sharing B",
       DataType::Float64,
       {3, 211, 300},
       {300, 250}},
      {"integer row bands", DataType::Int32, {301, 200}, {200, 300}},
      {"batch", DataType::Float32, {16, 128, 128}, {16, 128, 128}},
      {"broadcast batch", DataType::Int16, {9, 1, 130, 64}, {5, 64, 140}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    Graph graph = singleOpGraph(OpKind::MatMul, {{c.type, c.a}, {c.type, c.b}});
    bool exact = !isFloatType(c.type);
    std::vector<Tensor> inputs =
        randomInputs(graph, FillOptions{/*range=*/1, 0, 0, 1});
    expectSameForEveryThreadCount(graph, inputs, exact, c.name);
    if (exact)
      continue;
    auto compiled = compileOrFail(graph);
    ASSERT_TRUE(compiled);
    std::vector<Tensor> actual = runWith(*compiled, inputs, 2);
    auto expected = interpret(graph, inputs);
    ASSERT_OK(expected);
    ASSERT_EQ(actual.size(), 1u);
    const Tensor &x = actual[0], &e = (*expected)[0];
    double worst = 0;
    for (int64_t i = 0; i < x.numElements(); ++i) {
      double xv =
          c.type == DataType::Float32 ? x.as<float>()[i] : x.as<double>()[i];
      double ev =
          c.type == DataType::Float32 ? e.as<float>()[i] : e.as<double>()[i];
      worst = std::max(worst, std::abs(xv - ev));
    }
    // Sums of about 500 products of values in [-1, 1].
    EXPECT_LT(worst, c.type == DataType::Float32 ? 1e-3 : 1e-10);
  }
}

TEST(JitParallel, SmallMatMulIsOneCall) {
  Graph graph = singleOpGraph(OpKind::MatMul, {f32({64, 64}), f32({64, 64})});
  auto compiled = compileOrFail(graph);
  ASSERT_TRUE(compiled);
  EXPECT_FALSE(compiled->usesThreads());
}

//===-- Thresholds and concurrency ----------------------------------------===//

TEST(JitParallel, SmallTensorsHaveNoParallelLoop) {
  for (int64_t n : {int64_t(1), int64_t(1000), int64_t(65535)}) {
    Graph graph =
        singleOpGraph(OpKind::FakeQuantization, {f32({n})}, {{"scale", 0.05}});
    auto compiled = compileOrFail(graph);
    ASSERT_TRUE(compiled);
    EXPECT_FALSE(compiled->usesThreads()) << n;
    auto ir = jitAt(2).emitLLVMIR(graph);
    ASSERT_OK(ir);
    EXPECT_EQ(ir->find("qjit_parallel_for"), std::string::npos) << n;
  }
  Graph large = singleOpGraph(OpKind::FakeQuantization, {f32({65536})},
                              {{"scale", 0.05}});
  auto compiled = compileOrFail(large);
  ASSERT_TRUE(compiled);
  EXPECT_TRUE(compiled->usesThreads());
}

TEST(JitParallel, ThreadCountIsNotPartOfTheCacheKey) {
  Graph graph = singleOpGraph(OpKind::Abs, {f32({kLarge})});
  Jit &jit = jitAt(2);
  auto first = jit.compile(graph);
  ASSERT_OK(first);
  size_t before = jit.cacheSize();
  std::vector<Tensor> inputs = randomInputs(graph, kSalted);
  std::vector<Tensor> one = runWith(**first, inputs, 1);
  std::vector<Tensor> two = runWith(**first, inputs, 2);
  auto again = jit.compile(graph);
  ASSERT_OK(again);
  EXPECT_EQ(first->get(), again->get());
  EXPECT_EQ(jit.cacheSize(), before);
  ASSERT_EQ(one.size(), 1u);
  ASSERT_EQ(two.size(), 1u);
  EXPECT_TRUE(one[0].bitwiseEqual(two[0]));
}

TEST(JitParallel, ConcurrentRunsWithDifferentThreadCounts) {
  // A chain of parallel kernels (elementwise, fake quantization and its
  // clipped gradient), run from six threads at once, each with its own
  // thread count and its own inputs, on caller-owned buffers.
  Graph graph("chain");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {kLarge});
  ValueId dy = b.addInput(DataType::Float32, {kLarge});
  auto t1 = b.create(OpKind::Multiply, {x, dy});
  auto t2 = b.create(OpKind::FakeQuantization, {*t1}, {{"scale", 0.05}});
  auto t3 = b.create(
      OpKind::GradFakeQuantization, {*t2, *t1},
      {{"gradient", Attribute::enumValue("clipped")}, {"scale", 0.05}});
  ASSERT_TRUE(t1 && t2 && t3);
  b.setOutputs({*t2, *t3});
  auto compiled = compileOrFail(graph);
  ASSERT_TRUE(compiled);

  constexpr int kCallers = 6;
  const unsigned counts[kCallers] = {1, 2, 3, 0, 2, 1};
  std::vector<std::vector<Tensor>> inputs, expected;
  for (int t = 0; t < kCallers; ++t) {
    inputs.push_back(randomInputs(graph, kSalted));
    auto reference = interpret(graph, inputs.back());
    ASSERT_OK(reference);
    expected.push_back(std::move(*reference));
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kCallers; ++t)
    callers.emplace_back([&, t] {
      std::vector<Tensor> outputs;
      for (const Tensor &e : expected[t])
        outputs.emplace_back(e.getType());
      llvm::SmallVector<TensorRef, 2> inRefs, outRefs;
      for (Tensor &in : inputs[t])
        inRefs.push_back(in.ref());
      for (Tensor &out : outputs)
        outRefs.push_back(out.ref());
      for (int round = 0; round < 5; ++round) {
        if (llvm::Error err =
                compiled->run(inRefs, outRefs, RunOptions{counts[t]})) {
          llvm::consumeError(std::move(err));
          ++failures;
          continue;
        }
        for (size_t i = 0; i < outputs.size(); ++i)
          if (!outputs[i].bitwiseEqual(expected[t][i]))
            ++failures;
      }
    });
  for (std::thread &t : callers)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}

} // namespace
} // namespace qjit::test

namespace qjit::test {
namespace {

// Outputs of 32 MiB and more are written with streaming stores after a few
// ordinary ones up to the output's first 64-byte boundary (Parallel.h,
// ElementwiseLoop.h). Every misalignment of the output (and of the inputs
// of its size) and every thread count must give the interpreter's bytes,
// odd lengths leaving tails. `graph` has one Float32 output.
void expectStreamingMatchesInterpreter(const Graph &graph,
                                       std::vector<Tensor> inputs) {
  auto expected = interpret(graph, inputs);
  ASSERT_OK(expected);
  auto compiled = jitAt(2).compile(graph);
  ASSERT_OK(compiled);
  const TensorType &outType = (*compiled)->getOutputTypes()[0];
  ASSERT_GE(outType.sizeInBytes(), uint64_t(32) << 20);
  const int64_t n = outType.numElements();
  // Buffers with room to shift them by 0..15 elements.
  std::vector<std::vector<float>> shifted(inputs.size());
  std::vector<float> out(n + 16);
  for (int64_t shift : {0, 1, 3, 8, 15}) {
    std::vector<TensorRef> in;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].getType().numElements() != n) {
        in.push_back(inputs[i].ref());
        continue;
      }
      shifted[i].assign(n + 16, 0.0f);
      std::copy(inputs[i].as<float>(), inputs[i].as<float>() + n,
                shifted[i].begin() + shift);
      in.push_back({inputs[i].getType(), shifted[i].data() + shift});
    }
    for (unsigned threads : {1u, 2u}) {
      std::fill(out.begin(), out.end(), -1.0f);
      ASSERT_OK((*compiled)->run(in, {{outType, out.data() + shift}},
                                 RunOptions{threads}));
      EXPECT_EQ(std::memcmp(out.data() + shift, (*expected)[0].data(), n * 4),
                0)
          << graph.getName().str() << ": shift " << shift << ", " << threads
          << " threads";
      // Nothing written outside the output.
      for (int64_t i = 0; i < shift; ++i)
        EXPECT_EQ(out[i], -1.0f);
      for (int64_t i = n + shift; i < n + 16; ++i)
        EXPECT_EQ(out[i], -1.0f);
    }
  }
}

FillOptions fakeQuantFill() {
  FillOptions fill;
  fill.range = 20;
  fill.specialFraction = 0.01;
  fill.tieFraction = 0.2;
  fill.tieScale = 0.25;
  return fill;
}

TEST(JitParallel, StreamingStoresAtEveryAlignment) {
  const int64_t n = (int64_t(32) << 20) / 4 + 1001;
  TensorType type{DataType::Float32, {n}};
  Graph graph = singleOpGraph(
      OpKind::FakeQuantization, {type, {DataType::Float32, {}}},
      {{"num_bits", 8}});
  Tensor scale({DataType::Float32, {}});
  scale.as<float>()[0] = 0.25f;
  std::vector<Tensor> inputs;
  inputs.push_back(randomTensor(type, fakeQuantFill()));
  inputs.push_back(std::move(scale));
  expectStreamingMatchesInterpreter(graph, inputs);
}

TEST(JitParallel, ElementwiseOpsStreamAtEveryAlignment) {
  const int64_t n = (int64_t(32) << 20) / 4 + 77;
  TensorType type{DataType::Float32, {n}};
  Graph graph = singleOpGraph(OpKind::Subtract, {type, type});
  expectStreamingMatchesInterpreter(graph, randomInputs(graph, fakeQuantFill()));
}

TEST(JitParallel, FusedRowsStreamAtEveryAlignment) {
  // x * a + b, ReLU, FakeQuantization with a and b per row: the default
  // pipeline fuses it into one loop over odd-length rows.
  const int64_t rows = 32, cols = (int64_t(1) << 18) + 5;
  Graph graph("fused_rows");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {rows, cols});
  ValueId a = b.addInput(DataType::Float32, {rows, 1});
  ValueId c = b.addInput(DataType::Float32, {rows, 1});
  auto product = b.create(OpKind::Multiply, {x, a});
  ASSERT_OK(product);
  auto sum = b.create(OpKind::Add, {*product, c});
  ASSERT_OK(sum);
  auto relu = b.create(OpKind::ReLU, {*sum});
  ASSERT_OK(relu);
  auto y = b.create(OpKind::FakeQuantization, {*relu},
                    {{"num_bits", 8}, {"scale", 0.05}});
  ASSERT_OK(y);
  b.setOutputs({*y});
  auto llvmIR = jitAt(2).emitLLVMIR(graph);
  ASSERT_OK(llvmIR);
  ASSERT_TRUE(llvm::StringRef(*llvmIR).contains("FusedElementwise"));
  std::vector<Tensor> inputs = randomInputs(graph);
  inputs[0] = randomTensor(graph.getType(x), fakeQuantFill());
  expectStreamingMatchesInterpreter(graph, inputs);
}

TEST(JitParallel, PerChannelRowsStreamAtEveryAlignment) {
  // Rows of an odd number of elements, one channel each.
  const int64_t inner = (int64_t(1) << 20) + 3;
  TensorType type{DataType::Float32, {2, 4, inner}};
  Graph graph = singleOpGraph(
      OpKind::FakeQuantization, {type},
      {{"num_bits", 8},
       {"symmetric", false},
       {"scale", std::vector<double>{0.25, 0.5, 0.125, 1.0}},
       {"zero_point", std::vector<int64_t>{0, 3, 7, 100}},
       {"axis", 1}});
  std::vector<Tensor> inputs;
  inputs.push_back(randomTensor(type, fakeQuantFill()));
  expectStreamingMatchesInterpreter(graph, inputs);
}

} // namespace
} // namespace qjit::test
