//===- JitCompareTest.cpp - The JIT agrees with the interpreter -----------===//
//
// Every op and element type, on random data salted with NaN, infinities,
// -0.0, exact ties and huge values, at -O0 and -O2: the JIT's outputs must
// equal the interpreter's byte for byte.
//
//===----------------------------------------------------------------------===//
#include "JitTestSupport.h"
#include "qjit/IR/FakeQuantizationOp.h"
#include <fmt/format.h>

using namespace qjit;
using namespace qjit::test;

namespace {

const int64_t kSizes[] = {1,  2,  3,  5,  7,  13,  15,  16,  17,  31,
                          32, 33, 63, 64, 65, 127, 257, 521, 999, 1000};

const FillOptions kSalted = {/*range=*/100, /*specialFraction=*/0.15,
                             /*tieFraction=*/0.1, /*tieScale=*/1};

bool definedOn(OpKind kind, DataType type) {
  return kind != OpKind::Divide || isFloatType(type);
}

TEST(JitVsInterpreter, ElementwiseBinaryAllSizes) {
  for (OpKind kind : {OpKind::Add, OpKind::Subtract, OpKind::Multiply,
                      OpKind::Divide, OpKind::Maximum, OpKind::Minimum}) {
    for (DataType type : kNumericTypes) {
      if (!definedOn(kind, type))
        continue;
      std::vector<std::vector<Shape>> shapes;
      for (int64_t n : kSizes)
        shapes.push_back({Shape{n}, Shape{n}});
      // Odd multi-dimensional shapes, equal on both sides.
      for (Shape s : {Shape{3, 5}, Shape{2, 3, 7}, Shape{1, 1, 13},
                      Shape{17, 1}, Shape{0}, Shape{4, 0, 2}, Shape{}})
        shapes.push_back({s, s});
      Graph graph = manyShapesGraph(kind, type, shapes);
      for (unsigned opt : kOptLevels)
        expectMatchesInterpreter(graph, randomInputs(graph, kSalted), opt,
                                 graph.getName().str());
    }
  }
}

TEST(JitVsInterpreter, ElementwiseUnaryAllSizes) {
  for (OpKind kind : {OpKind::Negate, OpKind::Abs, OpKind::ReLU}) {
    for (DataType type : kNumericTypes) {
      std::vector<std::vector<Shape>> shapes;
      for (int64_t n : kSizes)
        shapes.push_back({Shape{n}});
      for (Shape s : {Shape{3, 5}, Shape{2, 3, 7}, Shape{0}, Shape{}})
        shapes.push_back({s});
      Graph graph = manyShapesGraph(kind, type, shapes);
      for (unsigned opt : kOptLevels)
        expectMatchesInterpreter(graph, randomInputs(graph, kSalted), opt,
                                 graph.getName().str());
    }
  }
}

TEST(JitVsInterpreter, IntegerExtremes) {
  // INT_MIN and friends: abs and negate wrap, multiply overflows.
  for (DataType type : {DataType::Int8, DataType::Int16, DataType::Int32,
                        DataType::Int64, DataType::UInt8}) {
    for (OpKind kind : {OpKind::Negate, OpKind::Abs, OpKind::ReLU}) {
      Graph graph = manyShapesGraph(kind, type, {{Shape{6}}});
      Tensor x(typeOf(type, {6}));
      auto *bytes = static_cast<unsigned char *>(x.data());
      size_t width = dataTypeSize(type);
      // min, max, -1, 0, 1, min + 1 as bit patterns.
      uint64_t min = uint64_t(1) << (width * 8 - 1);
      uint64_t patterns[] = {min, min - 1, ~uint64_t(0), 0, 1, min + 1};
      for (int i = 0; i < 6; ++i)
        std::memcpy(bytes + i * width, &patterns[i], width);
      for (unsigned opt : kOptLevels)
        expectMatchesInterpreter(graph, {x}, opt, graph.getName().str());
    }
  }
}

TEST(JitVsInterpreter, Broadcasting) {
  const std::vector<std::vector<Shape>> pairs = {
      {{3, 1}, {1, 4}},
      {{}, {5}},
      {{5}, {}},
      {{}, {}},
      {{5, 1, 7}, {7}},
      {{7}, {5, 1, 7}},
      {{2, 3, 4}, {3, 1}},
      {{4, 1, 6}, {1, 5, 1}},
      {{1}, {33}},
      {{2, 1, 3, 1}, {1, 4, 1, 5}},
      {{0, 3}, {1, 3}},
      {{2, 0}, {2, 1}},
      {{17, 33}, {17, 1}},
      {{1, 999}, {3, 1}},
      {{2, 16, 1}, {2, 1, 17}},
      {{1, 1}, {1}},
      {{3, 1, 1}, {1, 1, 1}},
  };
  for (OpKind kind : {OpKind::Add, OpKind::Subtract, OpKind::Multiply,
                      OpKind::Divide, OpKind::Maximum, OpKind::Minimum}) {
    for (DataType type : {DataType::Float32, DataType::Float64, DataType::Int16,
                          DataType::UInt8, DataType::Int64}) {
      if (!definedOn(kind, type))
        continue;
      Graph graph = manyShapesGraph(kind, type, pairs);
      for (unsigned opt : kOptLevels)
        expectMatchesInterpreter(graph, randomInputs(graph, kSalted), opt,
                                 graph.getName().str());
    }
  }
}

//===-- Fake quantization
//---------------------------------------------------===//

// A parameter operand: its type and how to fill it.
struct ParamSpec {
  DataType type;
  Shape shape;
  std::vector<double> values; // cycled over the elements
};

struct FqCase {
  std::string name;
  Shape shape;
  AttrList attrs;
  std::vector<ParamSpec> params; // scale, then zero point
  FillOptions fill = kSalted;
};

Tensor paramTensor(const ParamSpec &spec) {
  Tensor t(typeOf(spec.type, spec.shape));
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double v = spec.values[i % spec.values.size()];
    switch (spec.type) {
    case DataType::Float32:
      t.as<float>()[i] = float(v);
      break;
    case DataType::Float64:
      t.as<double>()[i] = v;
      break;
    case DataType::Int32:
      t.as<int32_t>()[i] = int32_t(v);
      break;
    default:
      ADD_FAILURE() << "unexpected parameter type";
    }
  }
  return t;
}

AttrList with(AttrList attrs, llvm::ArrayRef<NamedAttribute> more) {
  for (const NamedAttribute &a : more)
    attrs.push_back(a);
  return attrs;
}

std::vector<double> channelScales(int64_t channels) {
  const double pool[] = {0.05, 0.5, 1.0, 0.3, 1e-3, 7.0, 0.125, 2.5};
  std::vector<double> s;
  for (int64_t c = 0; c < channels; ++c)
    s.push_back(pool[c % std::size(pool)]);
  return s;
}

std::vector<int64_t> channelZeroPoints(int64_t channels, int64_t qmin,
                                       int64_t qmax) {
  std::vector<int64_t> zp;
  for (int64_t c = 0; c < channels; ++c)
    zp.push_back(qmin + (c * 37) % (qmax - qmin + 1));
  return zp;
}

// Every way of parameterizing fake quantization, for Float32 or Float64 x.
std::vector<FqCase> fqCases(DataType xType) {
  std::vector<FqCase> cases;
  auto ties = [](double scale) {
    FillOptions f = kSalted;
    f.tieScale = scale;
    f.tieFraction = 0.25;
    f.range = 200 * scale;
    return f;
  };
  AttrList asym = {{"symmetric", false}};
  AttrList grids[] = {{},
                      {{"num_bits", 4}},
                      {{"symmetric", false}},
                      {{"narrow_range", true}},
                      {{"quant_min", -5}, {"quant_max", 20}},
                      {{"num_bits", 16}, {"symmetric", false}}};

  // Per tensor, attributes.
  for (double s : {0.05, 0.5, 1.0, double(0.3f), 1e-3, 7.0}) {
    for (size_t g = 0; g < std::size(grids); ++g) {
      AttrList attrs = with(grids[g], {{"scale", s}});
      bool affine = g == 2 || g == 4 || g == 5;
      if (affine)
        attrs.push_back({"zero_point", g == 4 ? 2 : 3});
      cases.push_back({fmt::format("tensor attr s={} grid {}", s, g),
                       {999},
                       attrs,
                       {},
                       ties(s)});
    }
  }
  // Per tensor, operands: Float32 / x-typed / Int32 zero points, including
  // fractional, tie, out-of-grid and NaN values.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> floatZps = {3, 2.5, 3.5, -0.4, 300, -1000, nan, 127.6};
  std::vector<double> intZps = {3, 0, 255, -7, 1000};
  for (DataType sType : {DataType::Float32, xType}) {
    for (size_t k = 0; k < floatZps.size(); ++k)
      cases.push_back(
          {fmt::format("tensor operands zp={}", floatZps[k]),
           {257},
           asym,
           {{sType, {}, {0.25}}, {DataType::Float32, {}, {floatZps[k]}}},
           ties(0.25)});
    for (double zp : intZps)
      cases.push_back({fmt::format("tensor operands int zp={}", zp),
                       {257},
                       asym,
                       {{sType, {}, {0.1}}, {DataType::Int32, {}, {zp}}},
                       ties(0.1)});
    cases.push_back({"tensor scale operand only",
                     {33},
                     {},
                     {{sType, {}, {0.5}}},
                     ties(0.5)});
    cases.push_back({"x-typed zero point",
                     {64},
                     asym,
                     {{sType, {}, {0.75}}, {xType, {}, {4.5}}},
                     ties(0.75)});
  }
  // Strange run-time scales: used as given.
  for (double s : {0.0, -0.5, 1e-30, 1e30, nan})
    cases.push_back({fmt::format("run-time scale {}", s),
                     {40},
                     {},
                     {{DataType::Float32, {}, {s}}},
                     kSalted});

  // Per channel: the axis first, in the middle, last, negative.
  struct Layout {
    Shape shape;
    int64_t axis;
  };
  const Layout layouts[] = {{{4, 7}, 0},      {{4, 7}, 1},     {{4, 7}, -1},
                            {{3, 5, 6}, 1},   {{3, 5, 6}, -3}, {{2, 3, 17}, 2},
                            {{1, 16}, 1},     {{33}, 0},       {{5, 1, 3}, 1},
                            {{2, 9, 33}, -2}, {{6, 4, 1}, 1}};
  for (const Layout &l : layouts) {
    int64_t rank = l.shape.size();
    int64_t c = l.shape[l.axis < 0 ? l.axis + rank : l.axis];
    std::vector<double> scales = channelScales(c);
    cases.push_back({fmt::format("channel attr axis={}", l.axis),
                     l.shape,
                     {{"scale", scales}, {"axis", l.axis}},
                     {},
                     ties(0.5)});
    cases.push_back({fmt::format("channel attr asym axis={}", l.axis),
                     l.shape,
                     {{"symmetric", false},
                      {"scale", scales},
                      {"zero_point", channelZeroPoints(c, 0, 255)},
                      {"axis", l.axis}},
                     {},
                     ties(0.5)});
    // Operands of shape [C] and [] in every combination.
    std::vector<double> zps = {3, 2.5, 300, nan, -0.5, 100};
    for (bool scalePerChannel : {true, false}) {
      Shape sShape = scalePerChannel ? Shape{c} : Shape{};
      cases.push_back(
          {fmt::format("channel operands axis={} s{}", l.axis,
                       scalePerChannel ? "[C]" : "[]"),
           l.shape,
           with(asym, {{"axis", l.axis}}),
           {{DataType::Float32, sShape, scales}, {DataType::Float32, {c}, zps}},
           ties(0.5)});
      cases.push_back(
          {fmt::format("channel operands int zp [] axis={}", l.axis),
           l.shape,
           with(asym, {{"axis", l.axis}}),
           {{xType, sShape, scales}, {DataType::Int32, {}, {7}}},
           ties(0.5)});
    }
    // Observer per channel.
    cases.push_back({fmt::format("channel observer axis={}", l.axis),
                     l.shape,
                     {{"axis", l.axis}},
                     {},
                     kSalted});
    cases.push_back({fmt::format("channel observer asym axis={}", l.axis),
                     l.shape,
                     with(asym, {{"axis", l.axis}}),
                     {},
                     kSalted});
  }

  // Observer per tensor, on salted data (infinities make s infinite), clean
  // data, all-NaN data and empty tensors.
  FillOptions clean = {/*range=*/3, 0, 0, 1};
  FillOptions allNaN = {/*range=*/1, /*specialFraction=*/1, 0, 1};
  for (size_t g = 0; g < std::size(grids); ++g) {
    cases.push_back(
        {fmt::format("observer grid {}", g), {1000}, grids[g], {}, kSalted});
    cases.push_back({fmt::format("observer clean grid {}", g),
                     {15, 17},
                     grids[g],
                     {},
                     clean});
  }
  cases.push_back({"observer all special", {16}, asym, {}, allNaN});
  cases.push_back({"observer empty", {0}, asym, {}, clean});
  cases.push_back(
      {"observer empty channels", {2, 0}, {{"axis", 0}}, {}, clean});
  cases.push_back({"scalar x", {}, {{"scale", 0.5}}, {}, clean});
  return cases;
}

Graph fqGraph(const FqCase &c, DataType xType, bool gradient,
              GradientRule rule) {
  std::vector<TensorType> inputs;
  if (gradient)
    inputs.push_back(typeOf(xType, c.shape));
  inputs.push_back(typeOf(xType, c.shape));
  for (const ParamSpec &p : c.params)
    inputs.push_back(typeOf(p.type, p.shape));
  AttrList attrs = c.attrs;
  if (gradient)
    attrs.push_back({"gradient", Attribute::enumValue(gradientRuleName(rule))});
  return singleOpGraph(gradient ? OpKind::GradFakeQuantization
                                : OpKind::FakeQuantization,
                       inputs, attrs);
}

std::vector<Tensor> fqInputs(const FqCase &c, DataType xType, bool gradient) {
  std::vector<Tensor> inputs;
  if (gradient) // dy: mostly ordinary, some specials
    inputs.push_back(
        randomTensor(typeOf(xType, c.shape), FillOptions{10, 0.05, 0, 1}));
  inputs.push_back(randomTensor(typeOf(xType, c.shape), c.fill));
  for (const ParamSpec &p : c.params)
    inputs.push_back(paramTensor(p));
  return inputs;
}

class JitVsInterpreterFq : public ::testing::TestWithParam<DataType> {};

TEST_P(JitVsInterpreterFq, Forward) {
  DataType xType = GetParam();
  for (const FqCase &c : fqCases(xType)) {
    Graph graph = fqGraph(c, xType, false, GradientRule::STE);
    for (unsigned opt : kOptLevels)
      expectMatchesInterpreter(graph, fqInputs(c, xType, false), opt, c.name);
  }
}

TEST_P(JitVsInterpreterFq, SteAndClippedGradients) {
  DataType xType = GetParam();
  for (const FqCase &c : fqCases(xType)) {
    for (GradientRule rule : {GradientRule::STE, GradientRule::Clipped}) {
      Graph graph = fqGraph(c, xType, true, rule);
      for (unsigned opt : kOptLevels)
        expectMatchesInterpreter(graph, fqInputs(c, xType, true), opt,
                                 c.name + " " + gradientRuleName(rule).str());
    }
  }
}

TEST_P(JitVsInterpreterFq, LearnedStepSizeGradient) {
  DataType xType = GetParam();
  for (const FqCase &c : fqCases(xType)) {
    if (c.params.size() != 2)
      continue; // lsq takes scale and zero point operands
    for (double g : {1.0, 0.5, 3.0}) {
      FqCase withFactor = c;
      if (g != 1.0)
        withFactor.attrs.push_back({"grad_factor", g});
      Graph graph = fqGraph(withFactor, xType, true, GradientRule::LSQ);
      for (unsigned opt : kOptLevels)
        expectMatchesInterpreter(graph, fqInputs(c, xType, true), opt,
                                 c.name + " lsq", /*sums=*/{1, 2});
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, JitVsInterpreterFq,
                         ::testing::Values(DataType::Float32,
                                           DataType::Float64),
                         [](const auto &info) {
                           return dataTypeName(info.param).str();
                         });

//===-- Graphs of several ops
//-----------------------------------------------===//

TEST(JitVsInterpreter, ChainWithIntermediateOutputs) {
  Graph g("chain");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {6, 33});
  ValueId bias = b.addInput(DataType::Float32, {33});
  ValueId w = b.addInput(DataType::Float32, {6, 1});
  auto c = b.constant(typeOf(DataType::Float32, {33}),
                      Attribute(std::vector<double>(33, 0.25)));
  ASSERT_OK(c);
  auto t1 = b.create(OpKind::Add, {x, bias});
  auto t2 = b.create(OpKind::ReLU, {*t1});
  auto t3 = b.create(OpKind::Multiply, {*t2, w});
  auto t4 = b.create(OpKind::Subtract, {*t3, *c});
  auto t5 = b.create(OpKind::FakeQuantization, {*t4},
                     {{"num_bits", 8}, {"scale", 0.05}});
  auto t6 = b.create(OpKind::Negate, {*t5});
  auto t7 = b.create(
      OpKind::GradFakeQuantization, {*t6, *t4},
      {{"gradient", Attribute::enumValue("clipped")}, {"scale", 0.05}});
  ASSERT_TRUE(t1 && t2 && t3 && t4 && t5 && t6 && t7);
  // An intermediate (t2) and the last value are returned.
  b.setOutputs({*t7, *t2, *t6});
  for (unsigned opt : kOptLevels)
    expectMatchesInterpreter(g, randomInputs(g, kSalted), opt, "chain");
}

TEST(JitVsInterpreter, OutputsThatAreInputsConstantsOrRepeated) {
  Graph g("aliases");
  Builder b(g);
  ValueId x = b.addInput(DataType::Int32, {5});
  auto c = b.constant(
      typeOf(DataType::Int32, {5}),
      Attribute(std::vector<int64_t>{1, -2, 3, 2147483647, -2147483648LL}));
  auto cb = b.constant(typeOf(DataType::Bool, {3}),
                       Attribute(std::vector<int64_t>{0, 5, 1}));
  auto c8 = b.constant(typeOf(DataType::Int8, {2, 2}), Attribute(int64_t(300)));
  auto cf = b.constant(typeOf(DataType::Float64, {2}),
                       Attribute(std::vector<double>{0.1, -0.0}));
  ASSERT_TRUE(c && cb && c8 && cf);
  auto sum = b.create(OpKind::Add, {x, *c});
  ASSERT_OK(sum);
  b.setOutputs({*sum, x, *sum, *c, *cb, x, *c8, *cf});
  for (unsigned opt : kOptLevels)
    expectMatchesInterpreter(g, randomInputs(g, kSalted), opt, "aliases");
}

TEST(JitVsInterpreter, ConstantsOfEveryType) {
  for (DataType type : kNumericTypes) {
    Graph g("constants");
    Builder b(g);
    ValueId x = b.addInput(type, {2, 3});
    Attribute values = isFloatType(type)
                           ? Attribute(std::vector<double>{0.5, -1.25, 3e9})
                           : Attribute(std::vector<int64_t>{-129, 256, 65537});
    auto c = b.constant(typeOf(type, {3}), values);
    ASSERT_OK(c);
    auto sum = b.create(OpKind::Maximum, {x, *c});
    ASSERT_OK(sum);
    b.setOutputs({*sum, *c});
    for (unsigned opt : kOptLevels)
      expectMatchesInterpreter(g, randomInputs(g, kSalted), opt,
                               dataTypeName(type).str());
  }
}

TEST(JitVsInterpreter, LsqWithUnusedGradients) {
  // Only dx is returned; d scale and d zero point are dead values.
  Graph g("lsq_dx");
  Builder b(g);
  ValueId dy = b.addInput(DataType::Float32, {4, 9});
  ValueId x = b.addInput(DataType::Float32, {4, 9});
  ValueId s = b.addInput(DataType::Float32, {9});
  ValueId zp = b.addInput(DataType::Int32, {});
  auto grads = b.createMulti(OpKind::GradFakeQuantization, {dy, x, s, zp},
                             {{"symmetric", false},
                              {"axis", 1},
                              {"gradient", Attribute::enumValue("lsq")}});
  ASSERT_OK(grads);
  auto neg = b.create(OpKind::Negate, {(*grads)[0]});
  ASSERT_OK(neg);
  b.setOutputs({*neg});
  std::vector<Tensor> inputs = randomInputs(g, kSalted);
  inputs[2] = paramTensor({DataType::Float32, {9}, channelScales(9)});
  inputs[3] = paramTensor({DataType::Int32, {}, {5}});
  for (unsigned opt : kOptLevels)
    expectMatchesInterpreter(g, inputs, opt, "lsq_dx");
}

// A chain of ten unary ops (Abs and Negate in turn) on 1000 floats.
Graph pingPongChain() {
  Graph g("ping_pong");
  Builder b(g);
  ValueId v = b.addInput(DataType::Float32, {1000});
  for (int i = 0; i < 10; ++i) {
    auto next = b.create(i % 2 ? OpKind::Negate : OpKind::Abs, {v});
    EXPECT_OK(next);
    v = *next;
  }
  b.setOutputs({v});
  return g;
}

TEST(JitWorkspace, DeadValuesShareSpace) {
  // Lowered as given, the chain needs two live intermediates at a time,
  // not nine.
  Graph g = pingPongChain();
  auto jit = Jit::create(JitOptions{2, "", "", /*defaultPasses=*/false});
  ASSERT_OK(jit);
  auto compiled = (*jit)->compile(g);
  ASSERT_OK(compiled);
  EXPECT_EQ((*compiled)->getWorkspaceSize(), 2u * 4032u); // 64-byte blocks
  for (unsigned opt : kOptLevels)
    expectMatchesInterpreter(g, randomInputs(g, kSalted), opt, "ping_pong");
}

TEST(JitDefaultPasses, FuseAtO1AndAboveOnly) {
  // The default pipeline fuses the chain into one loop with no
  // intermediates; -O0 and defaultPasses = false lower it op by op.
  Graph g = pingPongChain();
  for (unsigned opt : {0u, 1u, 2u, 3u})
    for (bool defaultPasses : {true, false}) {
      SCOPED_TRACE(testing::Message() << "-O" << opt << " defaultPasses "
                                      << defaultPasses);
      auto jit = Jit::create(JitOptions{opt, "", "", defaultPasses});
      ASSERT_OK(jit);
      auto compiled = (*jit)->compile(g);
      ASSERT_OK(compiled);
      bool fused = defaultPasses && opt >= 1;
      EXPECT_EQ((*compiled)->getWorkspaceSize(), fused ? 0u : 2u * 4032u);
      auto llvmIR = (*jit)->emitLLVMIR(g);
      ASSERT_OK(llvmIR);
      EXPECT_EQ(llvm::StringRef(*llvmIR).contains("FusedElementwise"), fused);
    }
  // The caller's graph is left as it was.
  EXPECT_EQ(g.getOps().size(), 10u);
}

TEST(JitWorkspace, NoIntermediatesNoWorkspace) {
  Graph g =
      manyShapesGraph(OpKind::Add, DataType::Float32, {{Shape{8}, Shape{8}}});
  auto compiled = jitAt(2).compile(g);
  ASSERT_OK(compiled);
  EXPECT_EQ((*compiled)->getWorkspaceSize(), 0u);
}

} // namespace
