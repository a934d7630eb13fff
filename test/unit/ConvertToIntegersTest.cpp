//===- ConvertToIntegersTest.cpp - QAT graphs against their integer graphs ===//
//
// A QAT MLP and a QAT CNN (per-channel weights, biases, ReLU, a float
// global average pool between integer layers) through convert-to-integers;
// then the forms an ONNX import gives: a max pool before a layer, a folded
// batch norm (a per-channel Multiply, some scales negative) with ReLU6,
// and transposed MatMul weights (Gemm's transB).
// Layer by layer, each integer layer fed the very input its fake-quantized
// twin sees must agree on >= 99 % of outputs and differ by at most one step
// elsewhere (the two round the product once and twice). End to end,
// differences compound; the test prints their share and size and bounds
// them loosely.
//
//===----------------------------------------------------------------------===//
#include "JitTestSupport.h"
#include "qjit/Transforms/Passes.h"
#include <cstdio>

using namespace qjit;
using namespace qjit::test;

namespace {

std::mt19937_64 &rng() {
  static std::mt19937_64 generator(7);
  return generator;
}

Tensor normal(TensorType type, double stddev) {
  Tensor t(type);
  std::normal_distribution<float> dist(0.0f, float(stddev));
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.as<float>()[i] = dist(rng());
  return t;
}

// One layer: what it multiplies and how its result is quantized.
struct LayerSpec {
  bool conv = false;
  Shape weights;             // [K, N] or OIHW
  int64_t stride = 1, padding = 0;
  bool relu = true;
  double outScale = 0.05;
  int64_t outZeroPoint = 0;
  bool poolBefore = false;   // a float global average pool on the input
  bool maxPoolBefore = false; // a 2x2 max pool on the input (conv)
  bool batchNorm = false;    // no bias in the product, then a per-channel
                             // Multiply and Add
  std::optional<double> clampMax; // a Clamp(min=0, max) after the ReLU
  bool transposedWeights = false; // MatMul of Transpose(wq [N, K])
};

struct Net {
  Graph graph{"net"};
  std::vector<ValueId> layerOutputs; // each layer's output FakeQuantization
};

AttrList activationFq(double scale, int64_t zeroPoint) {
  return {{"scale", Attribute(scale)},
          {"zero_point", Attribute(zeroPoint)},
          {"quant_min", Attribute(int64_t(0))},
          {"quant_max", Attribute(int64_t(255))}};
}

// x -> FakeQuantization -> layers; `inputScale` quantizes the input.
Net buildNet(const TensorType &input, double inputScale,
             int64_t inputZeroPoint, const std::vector<LayerSpec> &layers) {
  Net net;
  Builder b(net.graph);
  auto x = b.create(OpKind::FakeQuantization, {b.addInput(input)},
                    activationFq(inputScale, inputZeroPoint));
  EXPECT_OK(x);
  ValueId value = *x;
  for (const LayerSpec &spec : layers) {
    if (spec.poolBefore) {
      auto pooled = b.create(OpKind::ReduceMean, {value},
                             {{"axes", Attribute(std::vector<int64_t>{2, 3})}});
      EXPECT_OK(pooled);
      auto q = b.create(OpKind::FakeQuantization, {*pooled},
                        activationFq(0.02, 0));
      EXPECT_OK(q);
      value = *q;
    }
    if (spec.maxPoolBefore) {
      auto pooled = b.create(OpKind::MaxPool2D, {value},
                             {{"kernel_size", Attribute(int64_t(2))}});
      EXPECT_OK(pooled);
      value = *pooled;
    }
    int64_t fanIn = spec.conv ? spec.weights[1] * spec.weights[2] *
                                    spec.weights[3]
                              : spec.weights[0];
    Tensor w = normal({DataType::Float32, spec.weights},
                      1.0 / std::sqrt(double(fanIn)));
    bool rowsAreColumns = spec.conv || spec.transposedWeights;
    int64_t columns = rowsAreColumns ? spec.weights[0] : spec.weights[1];
    int64_t axis = rowsAreColumns ? 0 : 1;
    // Per-channel symmetric scales: max |w| of the channel / 127.
    std::vector<double> scales(columns, 0.0);
    int64_t inner = w.numElements() / columns;
    for (int64_t i = 0; i < w.numElements(); ++i) {
      int64_t c = rowsAreColumns ? i / inner : i % columns;
      scales[c] = std::max(scales[c], double(std::fabs(w.as<float>()[i])));
    }
    for (double &s : scales)
      s = std::max(s, 1e-6) / 127;
    auto wc = b.constant(w);
    EXPECT_OK(wc);
    auto wq = b.create(OpKind::FakeQuantization, {*wc},
                       {{"scale", Attribute(scales)},
                        {"axis", Attribute(axis)},
                        {"quant_min", Attribute(int64_t(-128))},
                        {"quant_max", Attribute(int64_t(127))}});
    EXPECT_OK(wq);
    ValueId weights = *wq;
    if (spec.transposedWeights) {
      auto t = b.create(OpKind::Transpose, {weights});
      EXPECT_OK(t);
      weights = *t;
    }
    Shape columnShape = spec.conv ? Shape{columns, 1, 1} : Shape{columns};
    Tensor bias = normal({DataType::Float32, columnShape}, 0.1);
    auto bc = b.constant(bias);
    EXPECT_OK(bc);
    llvm::SmallVector<ValueId, 3> operands{value, weights};
    if (spec.conv && !spec.batchNorm) {
      auto flat = b.constant(Tensor({columns}, bias.values<float>()));
      EXPECT_OK(flat);
      operands.push_back(*flat);
    }
    llvm::Expected<ValueId> product =
        spec.conv ? b.create(OpKind::Conv2D, operands,
                             {{"stride", Attribute(spec.stride)},
                              {"padding", Attribute(spec.padding)}})
                  : b.create(OpKind::MatMul, operands);
    EXPECT_OK(product);
    ValueId p = *product;
    if (spec.batchNorm) {
      // Scales around +-1, a quarter of them negative.
      Tensor m = normal({DataType::Float32, columnShape}, 0.2);
      for (int64_t c = 0; c < columns; ++c)
        m.as<float>()[c] += c % 4 == 1 ? -1.0f : 1.0f;
      auto mc = b.constant(m);
      EXPECT_OK(mc);
      auto scaled = b.create(OpKind::Multiply, {p, *mc});
      EXPECT_OK(scaled);
      p = *scaled;
    }
    if (!spec.conv || spec.batchNorm) {
      auto added = b.create(OpKind::Add, {p, *bc});
      EXPECT_OK(added);
      p = *added;
    }
    if (spec.relu) {
      auto r = b.create(OpKind::ReLU, {p});
      EXPECT_OK(r);
      p = *r;
    }
    if (spec.clampMax) {
      auto c = b.create(OpKind::Clamp, {p},
                        {{"min", Attribute(0.0)},
                         {"max", Attribute(*spec.clampMax)}});
      EXPECT_OK(c);
      p = *c;
    }
    auto y = b.create(OpKind::FakeQuantization, {p},
                      activationFq(spec.outScale, spec.outZeroPoint));
    EXPECT_OK(y);
    value = *y;
    net.layerOutputs.push_back(value);
  }
  b.setOutputs({value});
  return net;
}

// `graph` after the pass, and the remarks the pass made.
std::pair<Graph, std::vector<std::string>> runPass(const Graph &graph) {
  Module module;
  module.addGraph(graph);
  std::vector<std::string> remarks;
  std::unique_ptr<Pass> pass = createConvertToIntegersPass();
  pass->setRemarkHandler(
      [&](llvm::SMLoc, const std::string &text) { remarks.push_back(text); });
  EXPECT_OK(pass->runOnModule(module));
  return {module.getGraphs().front(), std::move(remarks)};
}

Graph converted(const Graph &graph, size_t expectedLayers) {
  auto [result, remarks] = runPass(graph);
  EXPECT_TRUE(remarks.empty()) << remarks.front();
  size_t qlinear = llvm::count_if(result.getOps(), [](const Operation &op) {
    return op.getKind() == OpKind::QLinearMatMul ||
           op.getKind() == OpKind::QLinearConv2D;
  });
  EXPECT_EQ(qlinear, expectedLayers) << result.toString();
  EXPECT_FALSE(llvm::any_of(result.getOps(), [](const Operation &op) {
    return op.getKind() == OpKind::MatMul || op.getKind() == OpKind::Conv2D;
  })) << result.toString();
  return result;
}

struct Agreement {
  double equalShare;
  double maxSteps;
};

Agreement compare(const Tensor &a, const Tensor &b, double step) {
  int64_t equal = 0;
  double maxSteps = 0;
  for (int64_t i = 0; i < a.numElements(); ++i) {
    // Both are on the grid: whole steps apart, up to float rounding.
    double d = std::round(
        std::fabs(double(a.as<float>()[i]) - b.as<float>()[i]) / step);
    equal += d == 0;
    maxSteps = std::max(maxSteps, d);
  }
  return {double(equal) / a.numElements(), maxSteps};
}

Tensor runJit(const Graph &graph, const std::vector<Tensor> &inputs) {
  auto compiled = jitAt(2).compile(graph);
  EXPECT_OK(compiled);
  auto out = (*compiled)->run(inputs);
  EXPECT_OK(out);
  return std::move((*out)[0]);
}

// Every layer alone, on its fake-quantized twin's input; then the whole net.
void checkNet(const char *name, const TensorType &input,
              const std::vector<LayerSpec> &layers) {
  Tensor x = normal(input, 1.0);
  Net net = buildNet(input, 4.0 / 255, 128, layers);
  // The QAT net's every layer output (the next layer's input).
  Graph probe = net.graph;
  probe.setOutputs(net.layerOutputs);
  auto activations = interpret(probe, {x});
  ASSERT_OK(activations);

  Tensor layerInput = x;
  TensorType layerInputType = input;
  double inputScale = 4.0 / 255;
  int64_t inputZeroPoint = 128;
  for (size_t i = 0; i < layers.size(); ++i) {
    Net one = buildNet(layerInputType, inputScale, inputZeroPoint,
                       {layers[i]});
    Graph integer = converted(one.graph, 1);
    Tensor fake = runJit(one.graph, {layerInput});
    Tensor real = runJit(integer, {layerInput});
    Agreement a = compare(fake, real, layers[i].outScale);
    std::printf("%s layer %zu: %.4f%% equal, at most %g step(s) apart\n",
                name, i, 100 * a.equalShare, a.maxSteps);
    EXPECT_GE(a.equalShare, 0.99) << name << " layer " << i;
    EXPECT_LE(a.maxSteps, 1.0) << name << " layer " << i;
    layerInput = (*activations)[i];
    layerInputType = layerInput.getType();
    inputScale = layers[i].outScale;
    inputZeroPoint = layers[i].outZeroPoint;
  }

  Graph integer = converted(net.graph, layers.size());
  Agreement a = compare(runJit(net.graph, {x}), runJit(integer, {x}),
                        layers.back().outScale);
  std::printf("%s end to end: %.4f%% equal, at most %g step(s) apart\n", name,
              100 * a.equalShare, a.maxSteps);
  EXPECT_GE(a.equalShare, 0.9);
  EXPECT_LE(a.maxSteps, 8.0);
}

TEST(ConvertToIntegers, Mlp) {
  checkNet("MLP", {DataType::Float32, {64, 196}},
           {{false, {196, 256}, 1, 0, true, 0.04, 0},
            {false, {256, 128}, 1, 0, true, 0.04, 0},
            {false, {128, 10}, 1, 0, false, 0.08, 128}});
}

TEST(ConvertToIntegers, Cnn) {
  LayerSpec head{false, {32, 10}, 1, 0, false, 0.08, 128};
  head.poolBefore = true;
  checkNet("CNN", {DataType::Float32, {2, 3, 20, 20}},
           {{true, {16, 3, 3, 3}, 1, 1, true, 0.03, 0},
            {true, {32, 16, 3, 3}, 2, 1, true, 0.03, 0},
            head});
}

TEST(ConvertToIntegers, OnnxImportForms) {
  LayerSpec pooled{true, {16, 8, 3, 3}, 1, 1, true, 0.03, 0};
  pooled.maxPoolBefore = true;
  LayerSpec bn{true, {16, 16, 3, 3}, 1, 1, true, 0.03, 0};
  bn.batchNorm = true;
  bn.clampMax = 3.0; // ReLU6's bound, inside this grid (0.03 * 255)
  LayerSpec head{false, {10, 16}, 1, 0, false, 0.08, 128};
  head.poolBefore = true;
  head.transposedWeights = true;
  LayerSpec first{true, {8, 3, 3, 3}, 1, 1, true, 0.03, 0};
  first.batchNorm = true;
  checkNet("ONNX forms", {DataType::Float32, {2, 3, 16, 16}},
           {first, pooled, bn, head});
}

// What the pass cannot convert stays as it was, with a remark naming why.
TEST(ConvertToIntegers, UnconvertibleGraphIsLeftWithARemark) {
  Graph graph("f");
  Builder b(graph);
  ValueId x = b.addInput({DataType::Float32, {4, 8}});
  ValueId w = b.addInput({DataType::Float32, {8, 3}}); // not a constant
  auto xq = b.create(OpKind::FakeQuantization, {x}, activationFq(0.1, 128));
  ASSERT_OK(xq);
  auto p = b.create(OpKind::MatMul, {*xq, w});
  ASSERT_OK(p);
  b.setOutputs({*p});
  auto [result, remarks] = runPass(graph);
  EXPECT_EQ(result.toString(), graph.toString());
  ASSERT_EQ(remarks.size(), 1u);
  EXPECT_NE(remarks[0].find("are not a FakeQuantization of a Float32 Constant"),
            std::string::npos)
      << remarks[0];
}

// A Transpose that keeps the axes (perm [0, 1]) is not Gemm's transB.
TEST(ConvertToIntegers, IdentityTransposeOfWeightsStaysFloat) {
  Graph graph("f");
  Builder b(graph);
  ValueId x = b.addInput({DataType::Float32, {4, 8}});
  auto xq = b.create(OpKind::FakeQuantization, {x}, activationFq(0.1, 128));
  ASSERT_OK(xq);
  auto w = b.constant(normal({DataType::Float32, {8, 8}}, 0.3));
  ASSERT_OK(w);
  auto wq = b.create(OpKind::FakeQuantization, {*w},
                     {{"scale", Attribute(0.01)},
                      {"quant_min", Attribute(int64_t(-128))},
                      {"quant_max", Attribute(int64_t(127))}});
  ASSERT_OK(wq);
  auto t = b.create(OpKind::Transpose, {*wq},
                    {{"perm", Attribute(std::vector<int64_t>{0, 1})}});
  ASSERT_OK(t);
  auto p = b.create(OpKind::MatMul, {*xq, *t});
  ASSERT_OK(p);
  auto y = b.create(OpKind::FakeQuantization, {*p}, activationFq(0.05, 0));
  ASSERT_OK(y);
  b.setOutputs({*y});
  auto [result, remarks] = runPass(graph);
  EXPECT_EQ(result.toString(), graph.toString());
  ASSERT_EQ(remarks.size(), 1u);
  EXPECT_NE(remarks[0].find("are not a FakeQuantization of a Float32 Constant"),
            std::string::npos)
      << remarks[0];
}

} // namespace
