//===- JitTest.cpp - The JIT on the fake-quant vectors, cache, errors -----===//
//
// Expected values here come from docs/fake-quantization.md or are derived in
// the test itself; JitCompareTest.cpp checks the JIT against the
// interpreter on random data.
//
//===----------------------------------------------------------------------===//
#include "JitTestSupport.h"
#include "qjit/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <fmt/format.h>

using namespace qjit;
using namespace qjit::test;

namespace {

const TensorType f32(llvm::ArrayRef<int64_t> shape) {
  return {DataType::Float32, Shape(shape.begin(), shape.end())};
}

// Runs a one-op graph on float vectors; returns every output as floats.
std::vector<std::vector<float>> runFloat(const Graph &graph,
                                         llvm::ArrayRef<Tensor> inputs,
                                         unsigned optLevel = 2) {
  auto outputs = jitOutputs(graph, inputs, optLevel);
  if (!outputs)
    return {};
  std::vector<std::vector<float>> result;
  for (const Tensor &t : *outputs) {
    EXPECT_EQ(t.elementType(), DataType::Float32);
    auto values = t.values<float>();
    result.emplace_back(values.begin(), values.end());
  }
  return result;
}

Tensor floats(llvm::ArrayRef<int64_t> shape, std::vector<float> values) {
  return Tensor(shape, llvm::ArrayRef<float>(values));
}

//===-- docs/fake-quantization.md test vectors
//-----------------------------------------===//

struct Vector {
  float x, y, dxClipped;
};

struct GridCase {
  const char *name;
  AttrList attrs; // the grid, scale and zero point attributes
  float scale;
  int zeroPoint;
  std::vector<Vector> vectors;
};

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

std::vector<GridCase> gridCases() {
  AttrList p1 = {{"scale", 1.0}};
  AttrList p2 = {{"symmetric", false}, {"scale", 0.5}, {"zero_point", 10}};
  AttrList p3 = {{"symmetric", false}, {"scale", 0.5}, {"zero_point", 11}};
  AttrList pFl = {{"symmetric", false}, {"scale", double(0.3f)}};
  return {
      {"P1",
       p1,
       1.0f,
       0,
       {{2.5f, 2.0f, 1},
        {3.5f, 4.0f, 1},
        {-2.5f, -2.0f, 1},
        {-0.5f, 0.0f, 1},
        {127.5f, 127.0f, 0},
        {-128.5f, -128.0f, 1},
        {-128.6f, -128.0f, 0},
        {1000.0f, 127.0f, 0},
        {kInf, 127.0f, 0},
        {kNaN, -128.0f, 0}}},
      {"P2",
       p2,
       0.5f,
       10,
       {{1.25f, 1.0f, 1}, {-5.75f, -5.0f, 0}, {122.75f, 122.5f, 0}}},
      {"P3", p3, 0.5f, 11, {{1.25f, 1.0f, 1}, {-1.25f, -1.0f, 1}}},
      {"fl(0.3)", pFl, 0.3f, 0, {{74.25f, 74.4000015f, 1}}},
  };
}

// The three ways to give the parameters: attributes, a Float32 zero point
// operand, an Int32 zero point operand.
enum class ParamForm { Attributes, FloatOperands, IntOperands };

struct FqGraphs {
  Graph forward{"fq"}, clipped{"fq_grad"};
  std::vector<Tensor> params; // appended after x (and dy before it)
};

FqGraphs buildFqGraphs(const GridCase &c, ParamForm form, int64_t n) {
  FqGraphs g;
  AttrList attrs;
  std::vector<TensorType> paramTypes;
  if (form == ParamForm::Attributes) {
    attrs = c.attrs;
  } else {
    // The grid attributes stay; scale and zero point become operands.
    for (const NamedAttribute &a : c.attrs)
      if (a.name != "scale" && a.name != "zero_point")
        attrs.push_back(a);
    g.params.push_back(floats({}, {c.scale}));
    if (form == ParamForm::FloatOperands) {
      // 0.4 off the integer: rounding it half to even must restore it.
      g.params.push_back(floats({}, {float(c.zeroPoint) + 0.4f}));
    } else {
      int32_t zp = c.zeroPoint;
      g.params.push_back(Tensor({}, llvm::ArrayRef<int32_t>(zp)));
    }
  }
  std::vector<TensorType> inputs = {f32({n})};
  for (const Tensor &p : g.params)
    inputs.push_back(p.getType());
  g.forward = singleOpGraph(OpKind::FakeQuantization, inputs, attrs);
  inputs.insert(inputs.begin(), f32({n}));
  attrs.push_back({"gradient", Attribute::enumValue("clipped")});
  g.clipped = singleOpGraph(OpKind::GradFakeQuantization, inputs, attrs);
  return g;
}

TEST(JitFakeQuantVectors, ForwardAndClippedGradient) {
  for (const GridCase &c : gridCases()) {
    for (ParamForm form : {ParamForm::Attributes, ParamForm::FloatOperands,
                           ParamForm::IntOperands}) {
      for (unsigned opt : {0u, 2u}) {
        SCOPED_TRACE(fmt::format("{} form {} -O{}", c.name, int(form), opt));
        int64_t n = c.vectors.size();
        FqGraphs g = buildFqGraphs(c, form, n);
        std::vector<float> xs, ones(n, 1.0f);
        for (const Vector &v : c.vectors)
          xs.push_back(v.x);
        std::vector<Tensor> inputs = {floats({n}, xs)};
        for (const Tensor &p : g.params)
          inputs.push_back(p);
        auto y = runFloat(g.forward, inputs, opt);
        inputs.insert(inputs.begin(), floats({n}, ones));
        auto dx = runFloat(g.clipped, inputs, opt);
        ASSERT_EQ(y.size(), 1u);
        ASSERT_EQ(dx.size(), 1u);
        for (int64_t i = 0; i < n; ++i) {
          SCOPED_TRACE(fmt::format("x = {}", c.vectors[i].x));
          EXPECT_SAME_FLOAT(y[0][i], c.vectors[i].y);
          EXPECT_SAME_FLOAT(dx[0][i], c.vectors[i].dxClipped);
        }
      }
    }
  }
}

TEST(JitFakeQuantVectors, PerChannelAxis0) {
  AttrList attrs = {{"quant_min", -128},
                    {"quant_max", 127},
                    {"scale", std::vector<double>{1.0, 0.5}},
                    {"zero_point", std::vector<int64_t>{0, 3}},
                    {"axis", 0}};
  Graph forward = singleOpGraph(OpKind::FakeQuantization, {f32({2, 2})}, attrs);
  attrs.push_back({"gradient", Attribute::enumValue("clipped")});
  Graph clipped = singleOpGraph(OpKind::GradFakeQuantization,
                                {f32({2, 2}), f32({2, 2})}, attrs);
  Tensor x = floats({2, 2}, {0.5f, 1.5f, 0.75f, -0.25f});
  for (unsigned opt : {0u, 2u}) {
    auto y = runFloat(forward, {x}, opt);
    auto dx = runFloat(clipped, {floats({2, 2}, {1, 1, 1, 1}), x}, opt);
    ASSERT_EQ(y.size(), 1u);
    std::vector<float> expected = {0.0f, 2.0f, 1.0f, 0.0f};
    for (int i = 0; i < 4; ++i) {
      EXPECT_SAME_FLOAT(y[0][i], expected[i]);
      EXPECT_SAME_FLOAT(dx[0][i], 1.0f);
    }
  }
}

TEST(JitFakeQuantVectors, LearnedStepSize) {
  struct Row {
    float x, y, dx, ds, dz;
  };
  const Row rows[] = {{1.2f, 1.0f, 1, -0.400000095f, 0},
                      {1.25f, 1.0f, 1, -0.5f, 0},
                      {5.0f, 3.5f, 0, 7, -0.5f},
                      {-5.0f, -4.0f, 0, -8, -0.5f}};
  AttrList attrs = {{"num_bits", 4}, {"gradient", Attribute::enumValue("lsq")}};
  Graph forward = singleOpGraph(OpKind::FakeQuantization,
                                {f32({1}), f32({}), f32({})}, attrs);
  Graph grad = singleOpGraph(OpKind::GradFakeQuantization,
                             {f32({1}), f32({1}), f32({}), f32({})}, attrs);
  for (unsigned opt : {0u, 2u}) {
    for (const Row &r : rows) {
      SCOPED_TRACE(fmt::format("x = {} -O{}", r.x, opt));
      Tensor x = floats({1}, {r.x});
      Tensor s = floats({}, {0.5f}), zp = floats({}, {0.0f});
      auto y = runFloat(forward, {x, s, zp}, opt);
      auto d = runFloat(grad, {floats({1}, {1.0f}), x, s, zp}, opt);
      ASSERT_EQ(y.size(), 1u);
      ASSERT_EQ(d.size(), 3u);
      EXPECT_SAME_FLOAT(y[0][0], r.y);
      EXPECT_SAME_FLOAT(d[0][0], r.dx);
      EXPECT_SAME_FLOAT(d[1][0], r.ds);
      EXPECT_SAME_FLOAT(d[2][0], r.dz);
    }
  }
}

// Fake quantization written out independently of the library, for the
// observer's expected outputs (nearbyint rounds half to even in the default
// rounding mode).
float referenceFq(float x, float s, float zp, float qmin, float qmax) {
  float inv = 1.0f / s;
  float qf = std::nearbyint(x * inv) + zp;
  float q = qf > qmin ? qf : qmin;
  q = q < qmax ? q : qmax;
  return (q - zp) * s;
}

TEST(JitFakeQuantVectors, Observer) {
  struct Row {
    float lo, hi;
    AttrList grid;
    float qmin, qmax;
    float scale, zeroPoint;
  };
  const Row rows[] = {
      {-1, 3, {{"symmetric", false}}, 0, 255, 0.0156862754f, 64},
      {-1,
       3,
       {{"quant_min", 0}, {"quant_max", 127}},
       0,
       127,
       0.0314960629f,
       32},
      {-1, 1, {{"symmetric", false}}, 0, 255, 0.00784313772f, 127},
      {0, 0, {{"symmetric", false}}, 0, 255, 1.1920929e-7f, 0},
      {-3, 3, {}, -128, 127, 0.0235294122f, 0},
  };
  for (const Row &r : rows) {
    for (unsigned opt : {0u, 2u}) {
      SCOPED_TRACE(fmt::format("range [{}, {}] -O{}", r.lo, r.hi, opt));
      // The extremes plus values in between (and a NaN, which the observer
      // ignores).
      std::vector<float> xs = {r.lo,         0.3f * r.hi,          r.hi, kNaN,
                               0.77f * r.lo, 0.5f * (r.lo + r.hi), -0.0f};
      int64_t n = xs.size();
      Graph g = singleOpGraph(OpKind::FakeQuantization, {f32({n})}, r.grid);
      auto y = runFloat(g, {floats({n}, xs)}, opt);
      ASSERT_EQ(y.size(), 1u);
      for (int64_t i = 0; i < n; ++i)
        EXPECT_SAME_FLOAT(
            y[0][i], referenceFq(xs[i], r.scale, r.zeroPoint, r.qmin, r.qmax))
            << "x = " << xs[i];
    }
  }
}

//===-- The compile cache
//---------------------------------------------------===//

Graph fqGraph(const std::string &name, double scale) {
  Graph g(name);
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {16});
  auto y = b.create(OpKind::FakeQuantization, {x}, {{"scale", scale}});
  EXPECT_OK(y);
  b.setOutputs({*y});
  return g;
}

TEST(JitCache, SameGraphSameCompiledGraph) {
  auto jit = Jit::create();
  ASSERT_OK(jit);
  auto first = (*jit)->compile(fqGraph("a", 0.05));
  auto again = (*jit)->compile(fqGraph("a", 0.05));
  auto renamed = (*jit)->compile(fqGraph("b", 0.05));
  auto other = (*jit)->compile(fqGraph("a", 0.25));
  ASSERT_TRUE(first && again && renamed && other);
  EXPECT_EQ(first->get(), again->get());
  EXPECT_EQ(first->get(), renamed->get()); // names do not change the code
  EXPECT_NE(first->get(), other->get());
  EXPECT_EQ((*jit)->cacheSize(), 2u);

  // Another session compiles its own copy.
  auto jit2 = Jit::create(JitOptions{0, "", ""});
  ASSERT_OK(jit2);
  auto atO0 = (*jit2)->compile(fqGraph("a", 0.05));
  ASSERT_OK(atO0);
  EXPECT_NE(first->get(), atO0->get());
}

TEST(JitCache, CompiledGraphOutlivesTheJit) {
  std::shared_ptr<const CompiledGraph> compiled;
  {
    auto jit = Jit::create();
    ASSERT_OK(jit);
    auto c = (*jit)->compile(fqGraph("kept", 0.5));
    ASSERT_OK(c);
    compiled = *c;
  }
  std::vector<float> xs(16, 0.75f), ys(16);
  TensorType type = f32({16});
  ASSERT_OK(compiled->run({{type, xs.data()}}, {{type, ys.data()}}));
  // 0.75 / 0.5 = 1.5 rounds half to even: 2 * 0.5.
  EXPECT_SAME_FLOAT(ys[15], 1.0f);
}

TEST(JitCache, InvalidGraphIsAnError) {
  Graph g("bad");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {4});
  // An op added behind the builder's back with a wrong result type.
  ValueId y = g.newValue(TensorType{DataType::Float64, {4}});
  g.addOp(Operation(OpKind::Negate, {x}, {y}));
  g.setOutputs({y});
  auto compiled = jitAt(2).compile(g);
  EXPECT_FALSE(bool(compiled));
  std::string message = errorText(std::move(compiled));
  EXPECT_EQ(message, errorText(verifyGraph(g)));
}

//===-- run() checks its buffers
//--------------------------------------------===//

class JitRun : public ::testing::Test {
protected:
  void SetUp() override {
    Builder b(graph);
    ValueId x = b.addInput(DataType::Float32, {8});
    ValueId y = b.addInput(DataType::Float32, {8});
    auto sum = b.create(OpKind::Add, {x, y});
    ASSERT_OK(sum);
    auto neg = b.create(OpKind::Negate, {*sum});
    ASSERT_OK(neg);
    b.setOutputs({*sum, *neg});
    auto c = jitAt(2).compile(graph);
    ASSERT_OK(c);
    compiled = *c;
  }
  // Runs with the outputs preset to a sentinel and checks that a failed
  // run left them alone.
  llvm::Error runAndCheckUntouched(llvm::ArrayRef<TensorRef> inputs,
                                   llvm::ArrayRef<TensorRef> outputs) {
    llvm::Error err = compiled->run(inputs, outputs);
    if (err) {
      for (float v : out0)
        EXPECT_SAME_FLOAT(v, 42.0f);
    }
    return err;
  }

  Graph graph{"run_checks"};
  std::shared_ptr<const CompiledGraph> compiled;
  TensorType t8 = f32({8});
  std::vector<float> in0 = std::vector<float>(8, 1.0f),
                     in1 = std::vector<float>(8, 2.0f),
                     out0 = std::vector<float>(8, 42.0f),
                     out1 = std::vector<float>(8, 42.0f);
};

TEST_F(JitRun, Succeeds) {
  ASSERT_OK(compiled->run({{t8, in0.data()}, {t8, in1.data()}},
                          {{t8, out0.data()}, {t8, out1.data()}}));
  for (int i = 0; i < 8; ++i) {
    EXPECT_SAME_FLOAT(out0[i], 3.0f);
    EXPECT_SAME_FLOAT(out1[i], -3.0f);
  }
}

TEST_F(JitRun, WrongCount) {
  EXPECT_ERROR_CONTAINS(
      runAndCheckUntouched({{t8, in0.data()}},
                           {{t8, out0.data()}, {t8, out1.data()}}),
      "takes 2 input(s), got 1");
  EXPECT_ERROR_CONTAINS(
      runAndCheckUntouched({{t8, in0.data()}, {t8, in1.data()}},
                           {{t8, out0.data()}}),
      "has 2 output(s), got 1");
}

TEST_F(JitRun, WrongTypeOrShape) {
  TensorType f64{DataType::Float64, {8}};
  TensorType f32x4 = f32({4});
  TensorType f32x2x4 = f32({2, 4});
  EXPECT_ERROR_CONTAINS(
      runAndCheckUntouched({{f64, in0.data()}, {t8, in1.data()}},
                           {{t8, out0.data()}, {t8, out1.data()}}),
      "input 0 of graph @run_checks must be Float32 [8], got Float64 [8]");
  EXPECT_ERROR_CONTAINS(
      runAndCheckUntouched({{t8, in0.data()}, {f32x4, in1.data()}},
                           {{t8, out0.data()}, {t8, out1.data()}}),
      "input 1");
  // Same element count, other shape: still wrong.
  EXPECT_ERROR_CONTAINS(
      runAndCheckUntouched({{t8, in0.data()}, {t8, in1.data()}},
                           {{f32x2x4, out0.data()}, {t8, out1.data()}}),
      "output 0");
}

TEST_F(JitRun, CheckTypesAloneGivesRunsMessages) {
  TensorType f64{DataType::Float64, {8}};
  ASSERT_OK(compiled->checkTypes({t8, t8}, {t8, t8}));
  EXPECT_ERROR_CONTAINS(compiled->checkTypes({t8}, {t8, t8}),
                        "graph @run_checks takes 2 input(s), got 1");
  EXPECT_ERROR_CONTAINS(compiled->checkTypes({t8, t8}, {t8}),
                        "graph @run_checks has 2 output(s), got 1");
  EXPECT_ERROR_CONTAINS(
      compiled->checkTypes({t8, f64}, {t8, t8}),
      "input 1 of graph @run_checks must be Float32 [8], got Float64 [8]");
  EXPECT_ERROR_CONTAINS(
      compiled->checkTypes({t8, t8}, {t8, f32({2, 4})}),
      "output 1 of graph @run_checks must be Float32 [8], got Float32 [2, 4]");
}

TEST_F(JitRun, NullAndMisaligned) {
  EXPECT_ERROR_CONTAINS(
      runAndCheckUntouched({{t8, in0.data()}, {t8, nullptr}},
                           {{t8, out0.data()}, {t8, out1.data()}}),
      "input 1 of graph @run_checks is null");
  EXPECT_ERROR_CONTAINS(
      runAndCheckUntouched({{t8, in0.data()}, {t8, in1.data()}},
                           {{t8, out0.data()}, {t8, nullptr}}),
      "output 1 of graph @run_checks is null");
  std::vector<float> big(10);
  void *odd = reinterpret_cast<char *>(big.data()) + 1;
  EXPECT_ERROR_CONTAINS(
      runAndCheckUntouched({{t8, odd}, {t8, in1.data()}},
                           {{t8, out0.data()}, {t8, out1.data()}}),
      "not aligned");
}

TEST_F(JitRun, OverlappingBuffers) {
  // Output 1 starts inside output 0.
  std::vector<float> shared(12, 42.0f);
  EXPECT_ERROR_CONTAINS(
      compiled->run({{t8, in0.data()}, {t8, in1.data()}},
                    {{t8, shared.data()}, {t8, shared.data() + 4}}),
      "output 0 and output 1 of graph @run_checks overlap");
  for (float v : shared)
    EXPECT_SAME_FLOAT(v, 42.0f);
  // An output on top of an input.
  EXPECT_ERROR_CONTAINS(
      runAndCheckUntouched({{t8, in0.data()}, {t8, in1.data()}},
                           {{t8, out0.data()}, {t8, in1.data()}}),
      "overlap");
  // Both inputs the same buffer.
  EXPECT_ERROR_CONTAINS(
      runAndCheckUntouched({{t8, in0.data()}, {t8, in0.data()}},
                           {{t8, out0.data()}, {t8, out1.data()}}),
      "input 0 and input 1 of graph @run_checks overlap");
  // Adjacent buffers do not overlap.
  std::vector<float> adjacent(16, 0.0f);
  EXPECT_FALSE(
      bool(compiled->run({{t8, in0.data()}, {t8, in1.data()}},
                         {{t8, adjacent.data()}, {t8, adjacent.data() + 8}})));
  EXPECT_SAME_FLOAT(adjacent[0], 3.0f);
  EXPECT_SAME_FLOAT(adjacent[15], -3.0f);
}

TEST_F(JitRun, OwningOverloadChecksToo) {
  auto outputs = compiled->run({Tensor(t8)});
  EXPECT_ERROR_CONTAINS(std::move(outputs), "takes 2 input(s), got 1");
  auto ok = compiled->run({Tensor(t8), Tensor(t8)});
  ASSERT_OK(ok);
  EXPECT_EQ(ok->size(), 2u);
}

//===-- Emitting IR, assembly and objects
//-----------------------------------===//

TEST(JitEmit, IRAssemblyObject) {
  Graph g = fqGraph("emit_me", 0.05);
  auto ir = jitAt(2).emitLLVMIR(g);
  ASSERT_OK(ir);
  EXPECT_NE(ir->find("define void @qjit_emit_me(ptr"), std::string::npos);
  // Vectorized: llvm.roundeven on a vector type.
  EXPECT_NE(ir->find("@llvm.roundeven.v"), std::string::npos) << *ir;

  auto asmText = jitAt(2).emitAssembly(g);
  ASSERT_OK(asmText);
  EXPECT_NE(asmText->find("qjit_emit_me:"), std::string::npos);
  // vroundps (SSE4.1/AVX) or vrndscaleps (AVX-512) on vectors.
  bool vectorRound = asmText->find("roundps") != std::string::npos ||
                     asmText->find("rndscaleps") != std::string::npos;
  EXPECT_TRUE(vectorRound) << *asmText;

  auto object = jitAt(2).emitObject(g);
  ASSERT_OK(object);
  ASSERT_GT(object->size(), 4u);
  EXPECT_EQ(object->substr(0, 4), "\x7f"
                                  "ELF");

  // An invalid graph is reported, not emitted.
  Graph bad("bad");
  bad.setOutputs({7});
  EXPECT_FALSE(bool(jitAt(2).emitLLVMIR(bad)));
}

TEST(JitEmit, AtO0NothingIsVectorized) {
  auto ir = jitAt(0).emitLLVMIR(fqGraph("o0", 0.05));
  ASSERT_OK(ir);
  EXPECT_NE(ir->find("@llvm.roundeven.f32"), std::string::npos);
  EXPECT_EQ(ir->find("@llvm.roundeven.v"), std::string::npos);
}

//===-- Choosing the CPU
//----------------------------------------------------===//

TEST(JitTarget, BadNamesAreErrors) {
  EXPECT_ERROR_CONTAINS(Jit::create(JitOptions{2, "no-such-cpu", ""}),
                        "unknown CPU 'no-such-cpu'");
  EXPECT_ERROR_CONTAINS(Jit::create(JitOptions{2, "", "+no-such-feature"}),
                        "bad CPU feature '+no-such-feature'");
  EXPECT_ERROR_CONTAINS(Jit::create(JitOptions{2, "", "avx2"}),
                        "bad CPU feature 'avx2'");
  EXPECT_ERROR_CONTAINS(Jit::create(JitOptions{4, "", ""}),
                        "optimization level must be 0 to 3");
}

TEST(JitTarget, ChosenCpuDecidesTheVectorWidth) {
  // AVX2 without AVX-512: 8 floats per vector.
  auto haswell = Jit::create(JitOptions{2, "haswell", ""});
  ASSERT_OK(haswell);
  auto ir = (*haswell)->emitLLVMIR(fqGraph("w", 0.05));
  ASSERT_OK(ir);
  EXPECT_NE(ir->find("llvm.roundeven.v8f32"), std::string::npos);

  auto avx512 = Jit::create(JitOptions{2, "skylake-avx512", ""});
  ASSERT_OK(avx512);
  ir = (*avx512)->emitLLVMIR(fqGraph("w", 0.05));
  ASSERT_OK(ir);
  EXPECT_NE(ir->find("llvm.roundeven.v16f32"), std::string::npos);

  // Features on top of the CPU's: no AVX-512 -> 8 floats again.
  auto narrowed = Jit::create(JitOptions{2, "skylake-avx512", "-avx512f"});
  ASSERT_OK(narrowed);
  ir = (*narrowed)->emitLLVMIR(fqGraph("w", 0.05));
  ASSERT_OK(ir);
  EXPECT_NE(ir->find("llvm.roundeven.v8f32"), std::string::npos);

  // Code the host cannot run is refused by compile(), not run into SIGILL.
  // (QJIT_HOST_FEATURES, set by ctest's avx2 runs, may narrow the host.)
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  std::string missing = (*avx512)->getMissingHostFeature().str();
  if (!host.lookup("avx512f")) {
    EXPECT_FALSE(missing.empty());
  } else if (!std::getenv("QJIT_HOST_FEATURES")) {
    EXPECT_EQ(missing, "");
  }
  auto compiled = (*avx512)->compile(fqGraph("w", 0.05));
  if (missing.empty())
    EXPECT_OK(compiled);
  else
    EXPECT_ERROR_CONTAINS(std::move(compiled),
                          "the host lacks '" + missing + "'");
}

//===-- Threads
//-------------------------------------------------------------===//

TEST(JitThreads, CompileAndRunConcurrently) {
  auto jit = Jit::create();
  ASSERT_OK(jit);
  constexpr int kThreads = 4;
  std::vector<const CompiledGraph *> seen(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        // Every thread compiles the same graphs: one compile each, cached.
        Graph g = fqGraph("shared", 0.25 * (round + 1));
        auto compiled = (*jit)->compile(g);
        if (!compiled) {
          llvm::consumeError(compiled.takeError());
          ++failures;
          continue;
        }
        if (round == 0)
          seen[t] = compiled->get();
        std::vector<float> xs(16), ys(16);
        for (int i = 0; i < 16; ++i)
          xs[i] = float(i) * 0.3f - 2.0f;
        TensorType type = f32({16});
        if (auto err =
                (*compiled)->run({{type, xs.data()}}, {{type, ys.data()}})) {
          llvm::consumeError(std::move(err));
          ++failures;
          continue;
        }
        float s = float(0.25 * (round + 1));
        for (int i = 0; i < 16; ++i)
          if (bitsOf(ys[i]) != bitsOf(referenceFq(xs[i], s, 0, -128, 127)))
            ++failures;
      }
    });
  }
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 1; t < kThreads; ++t)
    EXPECT_EQ(seen[t], seen[0]);
  EXPECT_EQ((*jit)->cacheSize(), 3u);
}

} // namespace
