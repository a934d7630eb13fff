//===- InferencePassesTest.cpp - fold-constants, qdq-to-fake-quant, ... ---===//
//
// The inference passes for imported graphs, checked on the interpreter:
// - qdq-to-fake-quant gives the same bytes as the Quantize/Dequantize pair
//   it replaces, and both equal PyTorch's fake-quantization formula
//   (multiplication by fl(1/s)) on random inputs salted with ties, NaN and
//   infinities; division (ONNX's x / s) differs where the docs say;
// - fold-batch-norm's results agree with the chain's within a rounding
//   bound derived per element from the terms' magnitudes (computed here in
//   double), for float and for fake-quantized weights;
// - fold-constants gives bit-identical results, leaves quantization ops
//   for convert-to-integers, and respects its limits.
//
//===----------------------------------------------------------------------===//
#include "TestHelpers.h"
#include "qjit/IR/Builder.h"
#include "qjit/IR/Verifier.h"
#include "qjit/Interpreter/Interpreter.h"
#include "qjit/Transforms/FoldConstants.h"
#include "qjit/Transforms/Passes.h"
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

using namespace qjit;
using namespace qjit::test;

namespace {

std::mt19937_64 &rng() {
  static std::mt19937_64 generator(11);
  return generator;
}

Tensor uniform(TensorType type, float lo, float hi) {
  Tensor t(type);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float &v : t.values<float>())
    v = dist(rng());
  return t;
}

// The graph after `pass`, verified, and the pass's remarks.
struct PassResult {
  Graph graph{""};
  std::vector<std::string> remarks;
};
PassResult runPass(std::unique_ptr<Pass> pass, const Graph &graph) {
  Module module;
  module.addGraph(graph);
  PassResult result;
  pass->setRemarkHandler([&](llvm::SMLoc, const std::string &text) {
    result.remarks.push_back(text);
  });
  EXPECT_OK(pass->runOnModule(module));
  EXPECT_OK(verifyModule(module)) << module.toString();
  result.graph = module.getGraphs().front();
  return result;
}

std::vector<Tensor> run(const Graph &graph, llvm::ArrayRef<Tensor> inputs) {
  auto outputs = interpret(graph, inputs);
  EXPECT_OK(outputs) << graph.toString();
  return outputs ? std::move(*outputs) : std::vector<Tensor>();
}

size_t countOps(const Graph &graph, OpKind kind) {
  return llvm::count_if(graph.getOps(), [&](const Operation &op) {
    return op.getKind() == kind;
  });
}

//===-- qdq-to-fake-quant -------------------------------------------------===//

// PyTorch's fake_quantize_per_{tensor,channel}_affine, written out here:
// inv = fl(1 / s); q = clamp(nearbyint(x * inv) + zp, qmin, qmax) with NaN
// to qmin; y = (q - zp) * s (aten's QuantizedOpKernels.cpp).
float pytorchFakeQuantize(float x, float s, float zp, float qmin, float qmax) {
  float inv = 1.0f / s;
  float q = std::nearbyint(x * inv) + zp; // default mode: ties to even
  q = q > qmin ? q : qmin;
  q = q < qmax ? q : qmax;
  return (q - zp) * s;
}

// x in [-range, range] salted with exact ties of each channel's scale,
// NaN, infinities and zeros of both signs.
Tensor saltedInput(TensorType type, float range,
                   llvm::ArrayRef<float> tieScales) {
  Tensor t = uniform(type, -range, range);
  llvm::MutableArrayRef<float> v = t.values<float>();
  std::uniform_int_distribution<int> level(-300, 300);
  for (size_t i = 0; i < v.size(); ++i) {
    switch (i % 11) {
    case 0:
      v[i] = (level(rng()) + 0.5f) * tieScales[i % tieScales.size()];
      break;
    case 3:
      v[i] = i % 2 ? std::numeric_limits<float>::quiet_NaN() : -0.0f;
      break;
    case 7:
      v[i] = i % 2 ? INFINITY : -INFINITY;
      break;
    default:
      break;
    }
  }
  return t;
}

struct QdqCase {
  Shape shape;
  std::vector<double> scales;
  std::vector<int64_t> zeroPoints;
  std::optional<int64_t> axis;
  const char *dtype;
  std::optional<double> clampMin, clampMax;
  int64_t qmin, qmax; // the grid the FakeQuantization must get
};

class QdqToFakeQuantTest : public ::testing::TestWithParam<QdqCase> {};

TEST_P(QdqToFakeQuantTest, SameBytesAsThePairAndPyTorchsFormula) {
  const QdqCase &c = GetParam();
  Graph graph("qdq");
  Builder b(graph);
  TensorType xType{DataType::Float32, c.shape};
  ValueId x = b.addInput(xType);
  AttrList params;
  if (c.axis) {
    params = {{"scale", Attribute(c.scales)},
              {"zero_point", Attribute(c.zeroPoints)},
              {"axis", Attribute(*c.axis)}};
  } else {
    params = {{"scale", Attribute(c.scales[0])},
              {"zero_point", Attribute(c.zeroPoints[0])}};
  }
  AttrList qAttrs = params;
  qAttrs.push_back({"dtype", Attribute::enumValue(c.dtype)});
  auto q = b.create(OpKind::Quantize, {x}, qAttrs);
  ASSERT_OK(q);
  ValueId integers = *q;
  if (c.clampMin || c.clampMax) {
    AttrList clamp;
    if (c.clampMin)
      clamp.push_back({"min", Attribute(*c.clampMin)});
    if (c.clampMax)
      clamp.push_back({"max", Attribute(*c.clampMax)});
    auto clamped = b.create(OpKind::Clamp, {integers}, clamp);
    ASSERT_OK(clamped);
    integers = *clamped;
  }
  auto dq = b.create(OpKind::Dequantize, {integers}, params);
  ASSERT_OK(dq);
  b.setOutputs({*dq});

  PassResult after = runPass(createQdqToFakeQuantPass(), graph);
  EXPECT_TRUE(after.remarks.empty());
  ASSERT_EQ(after.graph.getOps().size(), 1u) << after.graph.toString();
  const Operation &fq = after.graph.getOps().front();
  ASSERT_EQ(fq.getKind(), OpKind::FakeQuantization);
  EXPECT_EQ(fq.getAttr("quant_min")->getInt(), c.qmin);
  EXPECT_EQ(fq.getAttr("quant_max")->getInt(), c.qmax);

  std::vector<float> tieScales(c.scales.begin(), c.scales.end());
  for (int round = 0; round < 4; ++round) {
    Tensor input = saltedInput(xType, 40.0f * float(c.scales[0]) * 4,
                               tieScales);
    std::vector<Tensor> before = run(graph, {input});
    std::vector<Tensor> fused = run(after.graph, {input});
    ASSERT_EQ(before.size(), 1u);
    ASSERT_EQ(fused.size(), 1u);
    EXPECT_TRUE(fused[0].bitwiseEqual(before[0]));

    int64_t axis = c.axis ? (*c.axis < 0 ? *c.axis + xType.rank() : *c.axis)
                          : -1;
    int64_t inner =
        axis >= 0 ? numElements(llvm::ArrayRef(c.shape).drop_front(axis + 1))
                  : 1;
    int64_t channels = axis >= 0 ? c.shape[axis] : 1;
    for (int64_t i = 0; i < input.numElements(); ++i) {
      int64_t ch = (i / inner) % channels;
      float expected = pytorchFakeQuantize(
          input.values<float>()[i], float(c.scales[ch]),
          float(c.zeroPoints[ch]), float(c.qmin), float(c.qmax));
      float actual = fused[0].values<float>()[i];
      ASSERT_EQ(std::bit_cast<uint32_t>(actual),
                std::bit_cast<uint32_t>(expected))
          << "x = " << input.values<float>()[i] << " at " << i << ": "
          << actual << " != " << expected;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, QdqToFakeQuantTest,
    ::testing::Values(
        // Per tensor, UInt8 with a zero point.
        QdqCase{{7, 13}, {0.05}, {128}, {}, "UInt8", {}, {}, 0, 255},
        // PyTorch's reduce_range: Clamp(max=127) on UInt8.
        QdqCase{{5, 17}, {0.3}, {64}, {}, "UInt8", {}, 127.0, 0, 127},
        // Per channel Int8 weights (axis 0), symmetric.
        QdqCase{{3, 4, 5}, {0.02, 0.03, 0.1}, {0, 0, 0}, 0, "Int8", {}, {},
                -128, 127},
        // Per channel along the last axis (negative), both clamp bounds.
        QdqCase{{6, 4}, {0.5, 0.25, 0.125, 0.3}, {1, -2, 3, 0}, -1, "Int8",
                -100.0, 100.0, -100, 100},
        // Int32 narrowed by a Clamp into FakeQuantization's +-2^24.
        QdqCase{{4, 9}, {0.01}, {5}, {}, "Int32", -1000.0, 1000.0, -1000,
                1000}));

// The choice the pass makes: multiplication by fl(1 / s) (PyTorch), not
// division (ONNX's QuantizeLinear): for s = fl(0.3), x = 74.25 lies exactly
// on a half step with fl(1/s), so the results differ by one step.
TEST(QdqToFakeQuant, ReciprocalNotDivision) {
  float s = 0.3f, x = 74.25f;
  EXPECT_EQ(std::nearbyint(x * (1.0f / s)), 248.0f);
  EXPECT_EQ(std::nearbyint(x / s), 247.0f);
  Graph graph("one");
  Builder b(graph);
  ValueId in = b.addInput(DataType::Float32, {1});
  auto q = b.create(OpKind::Quantize, {in},
                    {{"scale", Attribute(double(s))},
                     {"dtype", Attribute::enumValue("UInt8")}});
  ASSERT_OK(q);
  auto dq = b.create(OpKind::Dequantize, {*q}, {{"scale", Attribute(double(s))}});
  ASSERT_OK(dq);
  b.setOutputs({*dq});
  PassResult after = runPass(createQdqToFakeQuantPass(), graph);
  std::vector<Tensor> y = run(after.graph, {Tensor({1}, llvm::ArrayRef(x))});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].values<float>()[0], 248.0f * s);
  EXPECT_NE(y[0].values<float>()[0], 247.0f * s);
}

//===-- fold-batch-norm ---------------------------------------------------===//

struct ConvSpec {
  int64_t n = 2, c = 4, h = 6, w = 5, o = 6, k = 3, padding = 1, groups = 1;
  bool bias = true, divide = true;
  enum Weights { Float, FakeQuantized, QuantizeDequantize } weights = Float;
};

struct BnGraph {
  Graph graph{"conv_bn"};
  Tensor w, bias;
  std::vector<float> d, a, b; // per channel
};

BnGraph buildConvBn(const ConvSpec &s) {
  BnGraph g;
  Builder b(g.graph);
  ValueId x = b.addInput(DataType::Float32, {s.n, s.c, s.h, s.w});
  g.w = uniform({DataType::Float32, {s.o, s.c / s.groups, s.k, s.k}}, -1, 1);
  g.bias = uniform({DataType::Float32, {s.o}}, -0.5f, 0.5f);
  std::uniform_real_distribution<float> pos(0.5f, 2.0f), any(-1.0f, 1.0f);
  for (int64_t i = 0; i < s.o; ++i) {
    g.d.push_back(pos(rng()));
    g.a.push_back(any(rng()));
    g.b.push_back(any(rng()));
  }
  auto w = b.constant(g.w);
  EXPECT_OK(w);
  ValueId weights = *w;
  std::vector<double> scales;
  for (int64_t i = 0; i < s.o; ++i)
    scales.push_back(1.0 / 127);
  AttrList perChannel{{"scale", Attribute(scales)},
                      {"zero_point", Attribute(std::vector<int64_t>(s.o, 0))},
                      {"axis", Attribute(int64_t(0))}};
  if (s.weights == ConvSpec::FakeQuantized) {
    auto fq = b.create(OpKind::FakeQuantization, {weights}, perChannel);
    EXPECT_OK(fq);
    weights = *fq;
  } else if (s.weights == ConvSpec::QuantizeDequantize) {
    AttrList qa = perChannel;
    qa.push_back({"dtype", Attribute::enumValue("Int8")});
    auto q = b.create(OpKind::Quantize, {weights}, qa);
    EXPECT_OK(q);
    auto dq = b.create(OpKind::Dequantize, {*q}, perChannel);
    EXPECT_OK(dq);
    weights = *dq;
  }
  llvm::SmallVector<ValueId, 3> operands{x, weights};
  if (s.bias) {
    auto bc = b.constant(g.bias);
    EXPECT_OK(bc);
    operands.push_back(*bc);
  }
  auto conv = b.create(OpKind::Conv2D, operands,
                       {{"padding", Attribute(s.padding)},
                        {"groups", Attribute(s.groups)}});
  EXPECT_OK(conv);
  ValueId p = *conv;
  auto vec = [&](const std::vector<float> &v, Shape shape) {
    auto c = b.constant(Tensor(shape, llvm::ArrayRef(v)));
    EXPECT_OK(c);
    return *c;
  };
  if (s.divide) {
    auto div = b.create(OpKind::Divide, {p, vec(g.d, {1, s.o, 1, 1})});
    EXPECT_OK(div);
    p = *div;
  } else {
    g.d.assign(s.o, 1.0f);
  }
  auto mul = b.create(OpKind::Multiply, {p, vec(g.a, {s.o, 1, 1})});
  EXPECT_OK(mul);
  auto add = b.create(OpKind::Add, {vec(g.b, {s.o, 1, 1}), *mul});
  EXPECT_OK(add);
  auto relu = b.create(OpKind::ReLU, {*add});
  EXPECT_OK(relu);
  b.setOutputs({*add, *relu});
  return g;
}

// The chain in double (weights as the graph sees them: fake-quantized
// levels where they are) and, per element, the sum of the magnitudes of its
// terms: rounding errors of either float evaluation are bounded by a
// multiple of eps times that.
struct Reference {
  std::vector<double> value, magnitude;
};
Reference referenceConvBn(const ConvSpec &s, const BnGraph &g,
                          const Tensor &x) {
  std::vector<double> w(g.w.values<float>().begin(), g.w.values<float>().end());
  if (s.weights != ConvSpec::Float) {
    for (size_t i = 0; i < w.size(); ++i) {
      float level = std::nearbyint(float(w[i]) * (1.0f / float(1.0 / 127)));
      level = std::clamp(level, -128.0f, 127.0f);
      w[i] = double(level * float(1.0 / 127));
    }
  }
  int64_t ho = s.h + 2 * s.padding - s.k + 1, wo = s.w + 2 * s.padding - s.k + 1;
  int64_t cg = s.c / s.groups, og = s.o / s.groups;
  Reference r;
  const float *xs = x.values<float>().data();
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t o = 0; o < s.o; ++o)
      for (int64_t i = 0; i < ho; ++i)
        for (int64_t j = 0; j < wo; ++j) {
          double sum = 0, mag = 0;
          int64_t group = o / og;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t ki = 0; ki < s.k; ++ki)
              for (int64_t kj = 0; kj < s.k; ++kj) {
                int64_t yi = i + ki - s.padding, xj = j + kj - s.padding;
                if (yi < 0 || yi >= s.h || xj < 0 || xj >= s.w)
                  continue;
                double xv = xs[((n * s.c + group * cg + c) * s.h + yi) * s.w +
                               xj];
                double wv = w[((o * cg + c) * s.k + ki) * s.k + kj];
                sum += xv * wv;
                mag += std::fabs(xv * wv);
              }
          double bias = s.bias ? g.bias.values<float>()[o] : 0.0;
          double m = double(g.a[o]) / double(g.d[o]);
          r.value.push_back((sum + bias) * m + g.b[o]);
          r.magnitude.push_back((mag + std::fabs(bias)) * std::fabs(m) +
                                std::fabs(g.b[o]));
        }
  return r;
}

class FoldBatchNormTest : public ::testing::TestWithParam<ConvSpec> {};

TEST_P(FoldBatchNormTest, AgreesWithTheChainUpToRounding) {
  const ConvSpec &s = GetParam();
  BnGraph g = buildConvBn(s);
  PassResult after = runPass(createFoldBatchNormPass(), g.graph);
  EXPECT_TRUE(after.remarks.empty())
      << (after.remarks.empty() ? "" : after.remarks.front());
  const Graph &folded = after.graph;
  EXPECT_EQ(countOps(folded, OpKind::Divide), 0u) << folded.toString();
  EXPECT_EQ(countOps(folded, OpKind::Conv2D), 1u);
  if (s.weights == ConvSpec::Float) {
    EXPECT_EQ(countOps(folded, OpKind::Multiply), 0u) << folded.toString();
    EXPECT_EQ(countOps(folded, OpKind::Add), 0u);
  } else {
    // The weights stay on their grid: their quantization ops are untouched,
    // the conv loses its bias, one Multiply and one Add follow.
    EXPECT_EQ(countOps(folded, OpKind::Multiply), 1u) << folded.toString();
    EXPECT_EQ(countOps(folded, OpKind::Add), 1u);
    EXPECT_EQ(countOps(folded, OpKind::FakeQuantization) +
                  countOps(folded, OpKind::Quantize),
              1u);
    for (const Operation &op : folded.getOps())
      if (op.getKind() == OpKind::Conv2D)
        EXPECT_EQ(op.getNumOperands(), 2u);
  }

  // K terms per sum: the interpreter's sums in float round at each of them.
  double k = double(s.c / s.groups * s.k * s.k);
  double eps = std::ldexp(1.0, -24);
  double worstUlps = 0;
  for (int round = 0; round < 3; ++round) {
    Tensor x = uniform({DataType::Float32, {s.n, s.c, s.h, s.w}}, -2, 2);
    std::vector<Tensor> before = run(g.graph, {x});
    std::vector<Tensor> now = run(folded, {x});
    ASSERT_EQ(now.size(), 2u);
    Reference ref = referenceConvBn(s, g, x);
    ASSERT_EQ(ref.value.size(), size_t(now[0].numElements()));
    for (size_t i = 0; i < ref.value.size(); ++i) {
      double bound = (k + 8) * eps * ref.magnitude[i];
      double b0 = before[0].values<float>()[i];
      double b1 = now[0].values<float>()[i];
      ASSERT_LE(std::fabs(b0 - ref.value[i]), bound) << "before, at " << i;
      ASSERT_LE(std::fabs(b1 - ref.value[i]), bound) << "after, at " << i;
      if (ref.magnitude[i] > 0)
        worstUlps = std::max(worstUlps,
                             std::fabs(b1 - b0) / (eps * ref.magnitude[i]));
    }
  }
  // How far apart before and after came, in eps of the terms' magnitude.
  std::printf("fold-batch-norm: worst |after - before| = %.2f eps * sum|terms| "
              "(K = %.0f)\n",
              worstUlps, k);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FoldBatchNormTest,
    ::testing::Values(
        ConvSpec{},                                        // float, all parts
        ConvSpec{1, 4, 5, 5, 4, 1, 0, 1, false, false},    // 1x1, no bias/div
        ConvSpec{2, 4, 6, 5, 6, 3, 1, 2, true, true},      // groups
        ConvSpec{2, 4, 6, 5, 6, 3, 1, 1, true, true,
                 ConvSpec::FakeQuantized},
        ConvSpec{1, 4, 6, 5, 6, 3, 1, 1, false, true,
                 ConvSpec::FakeQuantized},                 // no bias
        ConvSpec{2, 4, 6, 5, 6, 3, 1, 2, true, true,
                 ConvSpec::QuantizeDequantize}));

// Gemm + BatchNormalization1d: MatMul -> Add(bias) -> Divide -> Multiply ->
// Add, per output column, with float and with fake-quantized weights.
class FoldBatchNormMatMulTest : public ::testing::TestWithParam<bool> {};

TEST_P(FoldBatchNormMatMulTest, AgreesWithTheChainUpToRounding) {
  bool fakeQuantized = GetParam();
  const int64_t m = 5, k = 7, n = 6;
  Graph graph("gemm_bn");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {m, k});
  Tensor w = uniform({DataType::Float32, {k, n}}, -1, 1);
  Tensor bias = uniform({DataType::Float32, {n}}, -0.5f, 0.5f);
  Tensor d = uniform({DataType::Float32, {1, n}}, 0.5f, 2.0f);
  Tensor a = uniform({DataType::Float32, {n}}, -1, 1);
  Tensor bb = uniform({DataType::Float32, {n}}, -1, 1);
  auto wc = b.constant(w);
  ASSERT_OK(wc);
  ValueId weights = *wc;
  if (fakeQuantized) {
    auto fq = b.create(OpKind::FakeQuantization, {weights},
                       {{"scale", Attribute(std::vector<double>(n, 1.0 / 127))},
                        {"zero_point", Attribute(std::vector<int64_t>(n, 0))},
                        {"axis", Attribute(int64_t(1))}});
    ASSERT_OK(fq);
    weights = *fq;
  }
  auto p = b.create(OpKind::MatMul, {x, weights});
  ASSERT_OK(p);
  auto c = [&](const Tensor &t) {
    auto v = b.constant(t);
    EXPECT_OK(v);
    return *v;
  };
  auto withBias = b.create(OpKind::Add, {*p, c(bias)});
  ASSERT_OK(withBias);
  auto div = b.create(OpKind::Divide, {*withBias, c(d)});
  ASSERT_OK(div);
  auto mul = b.create(OpKind::Multiply, {c(a), *div});
  ASSERT_OK(mul);
  auto y = b.create(OpKind::Add, {*mul, c(bb)});
  ASSERT_OK(y);
  b.setOutputs({*y});

  PassResult after = runPass(createFoldBatchNormPass(), graph);
  EXPECT_TRUE(after.remarks.empty())
      << (after.remarks.empty() ? "" : after.remarks.front());
  const Graph &folded = after.graph;
  EXPECT_EQ(countOps(folded, OpKind::Divide), 0u) << folded.toString();
  EXPECT_EQ(countOps(folded, OpKind::Add), 1u) << folded.toString();
  EXPECT_EQ(countOps(folded, OpKind::Multiply), fakeQuantized ? 1u : 0u)
      << folded.toString();
  EXPECT_EQ(countOps(folded, OpKind::FakeQuantization), fakeQuantized ? 1u : 0u);

  std::vector<double> wv(w.values<float>().begin(), w.values<float>().end());
  if (fakeQuantized)
    for (double &v : wv) {
      float level = std::nearbyint(float(v) * (1.0f / float(1.0 / 127)));
      v = double(std::clamp(level, -128.0f, 127.0f) * float(1.0 / 127));
    }
  double eps = std::ldexp(1.0, -24);
  for (int round = 0; round < 3; ++round) {
    Tensor in = uniform({DataType::Float32, {m, k}}, -2, 2);
    std::vector<Tensor> before = run(graph, {in}), now = run(folded, {in});
    ASSERT_EQ(now.size(), 1u);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0, mag = 0;
        for (int64_t q = 0; q < k; ++q) {
          double t = double(in.values<float>()[i * k + q]) * wv[q * n + j];
          sum += t;
          mag += std::fabs(t);
        }
        double f = double(a.values<float>()[j]) / d.values<float>()[j];
        double beta = bb.values<float>()[j], bj = bias.values<float>()[j];
        double ref = (sum + bj) * f + beta;
        double bound =
            (k + 8) * eps * ((mag + std::fabs(bj)) * std::fabs(f) + std::fabs(beta));
        ASSERT_LE(std::fabs(before[0].values<float>()[i * n + j] - ref), bound);
        ASSERT_LE(std::fabs(now[0].values<float>()[i * n + j] - ref), bound);
      }
  }
}

INSTANTIATE_TEST_SUITE_P(Weights, FoldBatchNormMatMulTest,
                         ::testing::Values(false, true));

//===-- fold-constants ----------------------------------------------------===//

TEST(FoldConstants, ChainFoldsBitExactly) {
  Graph graph("chain");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {3, 4});
  Tensor w = uniform({DataType::Float32, {4, 3}}, -1, 1);
  auto c = b.constant(w);
  ASSERT_OK(c);
  auto t = b.create(OpKind::Transpose, {*c});
  ASSERT_OK(t);
  auto e = b.create(OpKind::Exp, {*t});
  ASSERT_OK(e);
  auto r = b.create(OpKind::Reshape, {*e},
                    {{"shape", Attribute(std::vector<int64_t>{12})}});
  ASSERT_OK(r);
  auto back = b.create(OpKind::Reshape, {*r},
                       {{"shape", Attribute(std::vector<int64_t>{3, 4})}});
  ASSERT_OK(back);
  auto sum = b.create(OpKind::ReduceSum, {*back},
                      {{"axes", Attribute(std::vector<int64_t>{0})},
                       {"keep_dims", Attribute(true)}});
  ASSERT_OK(sum);
  auto y = b.create(OpKind::Multiply, {x, *sum});
  ASSERT_OK(y);
  b.setOutputs({*y});

  PassResult after = runPass(createFoldConstantsPass(), graph);
  EXPECT_TRUE(after.remarks.empty());
  ASSERT_EQ(after.graph.getOps().size(), 2u) << after.graph.toString();
  EXPECT_EQ(after.graph.getOps()[0].getKind(), OpKind::Constant);
  Tensor in = uniform({DataType::Float32, {3, 4}}, -3, 3);
  std::vector<Tensor> before = run(graph, {in}), now = run(after.graph, {in});
  ASSERT_EQ(now.size(), 1u);
  EXPECT_TRUE(now[0].bitwiseEqual(before[0]));
}

// fold-constants then convert-to-integers: the weight's layout ops fold,
// its FakeQuantization stays, so the layer still becomes integer.
TEST(FoldConstants, KeepsWeightFakeQuantizationForConvertToIntegers) {
  Graph graph("layer");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {2, 4});
  AttrList act{{"scale", Attribute(0.05)},
               {"zero_point", Attribute(int64_t(128))},
               {"quant_min", Attribute(int64_t(0))},
               {"quant_max", Attribute(int64_t(255))}};
  auto xq = b.create(OpKind::FakeQuantization, {x}, act);
  ASSERT_OK(xq);
  auto w = b.constant(uniform({DataType::Float32, {3, 4}}, -1, 1));
  ASSERT_OK(w);
  auto wt = b.create(OpKind::Transpose, {*w}); // ONNX Gemm's transB
  ASSERT_OK(wt);
  auto wq = b.create(OpKind::FakeQuantization, {*wt},
                     {{"scale", Attribute(0.01)},
                      {"quant_min", Attribute(int64_t(-128))},
                      {"quant_max", Attribute(int64_t(127))}});
  ASSERT_OK(wq);
  auto p = b.create(OpKind::MatMul, {*xq, *wq});
  ASSERT_OK(p);
  auto y = b.create(OpKind::FakeQuantization, {*p}, act);
  ASSERT_OK(y);
  b.setOutputs({*y});

  // Without folding, convert-to-integers cannot see a Constant under the
  // weight's FakeQuantization.
  PassResult direct = runPass(createConvertToIntegersPass(), graph);
  EXPECT_EQ(countOps(direct.graph, OpKind::QLinearMatMul), 0u);
  PassResult folded = runPass(createFoldConstantsPass(), graph);
  EXPECT_EQ(countOps(folded.graph, OpKind::Transpose), 0u);
  EXPECT_EQ(countOps(folded.graph, OpKind::FakeQuantization), 3u);
  PassResult integer =
      runPass(createConvertToIntegersPass(), folded.graph);
  EXPECT_EQ(countOps(integer.graph, OpKind::QLinearMatMul), 1u)
      << integer.graph.toString();
}

TEST(FoldConstants, RespectsTheLimits) {
  Graph graph("limits");
  Builder b(graph);
  auto c = b.constant(uniform({DataType::Float32, {64, 64}}, -1, 1));
  ASSERT_OK(c);
  auto m = b.create(OpKind::MatMul, {*c, *c});
  ASSERT_OK(m);
  auto n = b.create(OpKind::Negate, {*c});
  ASSERT_OK(n);
  b.setOutputs({*m, *n});

  FoldConstantsOptions small;
  small.maxWork = 64 * 64 * 64 - 1; // the MatMul's multiply-adds, minus one
  PassResult work = runPass(createFoldConstantsPass(small), graph);
  EXPECT_EQ(countOps(work.graph, OpKind::MatMul), 1u);
  EXPECT_EQ(countOps(work.graph, OpKind::Negate), 0u);
  ASSERT_EQ(work.remarks.size(), 1u);
  EXPECT_NE(work.remarks[0].find("estimated steps 262144 over the limit"),
            std::string::npos)
      << work.remarks[0];

  FoldConstantsOptions bytes;
  bytes.maxResultBytes = 64 * 64 * 4 - 1;
  PassResult big = runPass(createFoldConstantsPass(bytes), graph);
  EXPECT_EQ(countOps(big.graph, OpKind::MatMul), 1u);
  EXPECT_EQ(countOps(big.graph, OpKind::Negate), 1u);
  EXPECT_EQ(big.remarks.size(), 2u);

  PassResult all = runPass(createFoldConstantsPass(), graph);
  EXPECT_EQ(all.graph.getOps().size(), 2u) << all.graph.toString();
  std::vector<Tensor> before = run(graph, {}), now = run(all.graph, {});
  ASSERT_EQ(now.size(), 2u);
  EXPECT_TRUE(now[0].bitwiseEqual(before[0]));
  EXPECT_TRUE(now[1].bitwiseEqual(before[1]));
}

// Several results (GradMaximum: da, db) become several Constants.
TEST(FoldConstants, MultipleResults) {
  Graph graph("multi");
  Builder b(graph);
  auto dy = b.constant(uniform({DataType::Float32, {5}}, -1, 1));
  auto a = b.constant(uniform({DataType::Float32, {5}}, -1, 1));
  auto c = b.constant(uniform({DataType::Float32, {5}}, -1, 1));
  ASSERT_OK(dy);
  ASSERT_OK(a);
  ASSERT_OK(c);
  auto g = b.createMulti(OpKind::GradMaximum, {*dy, *a, *c});
  ASSERT_OK(g);
  b.setOutputs(*g);
  PassResult after = runPass(createFoldConstantsPass(), graph);
  EXPECT_EQ(after.graph.getOps().size(), 2u) << after.graph.toString();
  EXPECT_EQ(countOps(after.graph, OpKind::Constant), 2u);
  std::vector<Tensor> before = run(graph, {}), now = run(after.graph, {});
  ASSERT_EQ(now.size(), 2u);
  EXPECT_TRUE(now[0].bitwiseEqual(before[0]));
  EXPECT_TRUE(now[1].bitwiseEqual(before[1]));
}

} // namespace
