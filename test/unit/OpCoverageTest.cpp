//===- OpCoverageTest.cpp - Every OpKind through every layer --------------===//
//
// Walks allOpKinds() (generated from Ops.def): each op has a sample graph
// here, which must parse, verify, print and re-parse to the same text, run
// on the interpreter, and run on the JIT with the interpreter's bytes at
// -O0 (no reordering, scalar libm calls) and close to them at -O2. A
// Differentiable op's backward graph (autodiff) must run on both too. An
// op added to Ops.def without a sample here fails the walk by name.
//
// Inputs are small integers and halves, so every sum is exact and any
// summation order gives the same bits.
//
//===----------------------------------------------------------------------===//
#include "JitTestSupport.h"
#include "TestHelpers.h"
#include "qjit/IR/Parser.h"
#include "qjit/IR/Printer.h"
#include "qjit/Interpreter/Interpreter.h"
#include "qjit/JIT/Jit.h"
#include "qjit/Transforms/Autodiff.h"
#include "llvm/ADT/StringMap.h"
#include <gtest/gtest.h>
#include <map>
#include <optional>

namespace qjit {
namespace {

using test::jitAt;

// The sample graph of a unary op without attributes, or of its Grad op,
// when the table below has none: Float32 [33].
std::optional<std::string> defaultSample(OpKind kind) {
  const OpInfo &info = getOpInfo(kind);
  if (!info.attributes.empty())
    return std::nullopt;
  std::string name = info.name.str();
  if (info.category == OpCategory::ElementwiseUnary)
    return "(t0: Float32 [33]) {\n t1 = " + name +
           "(t0) : Float32 [33]\n return t1 }";
  if (info.forward && unaryGradientOp(*info.forward) == kind)
    return "(t0: Float32 [33], t1: Float32 [33]) {\n t2 = " + name +
           "(t0, t1) : Float32 [33]\n return t2 }";
  return std::nullopt;
}

// One graph @sample per op kind that defaultSample does not cover, the op
// under test written once.
const std::map<OpKind, std::string> &samples() {
  static const std::map<OpKind, std::string> table = {
      {OpKind::Add, R"((t0: Float32 [3, 5], t1: Float32 [5]) {
        t2 = Add(t0, t1) : Float32 [3, 5]
        return t2 })"},
      {OpKind::Subtract, R"((t0: Int8 [7], t1: Int8 [7]) {
        t2 = Subtract(t0, t1) : Int8 [7]
        return t2 })"},
      {OpKind::Multiply, R"((t0: Float64 [4, 1], t1: Float64 [3]) {
        t2 = Multiply(t0, t1) : Float64 [4, 3]
        return t2 })"},
      {OpKind::Divide, R"((t0: Float32 [9], t1: Float32 [9]) {
        t2 = Divide(t0, t1) : Float32 [9]
        return t2 })"},
      {OpKind::Maximum, R"((t0: Float32 [9], t1: Float32 []) {
        t2 = Maximum(t0, t1) : Float32 [9]
        return t2 })"},
      {OpKind::Minimum, R"((t0: Int32 [2, 3], t1: Int32 [2, 3]) {
        t2 = Minimum(t0, t1) : Int32 [2, 3]
        return t2 })"},
      {OpKind::Power, R"((t0: Float32 [9], t1: Float32 [9]) {
        t2 = Power(t0, t1) : Float32 [9]
        return t2 })"},
      {OpKind::Negate, R"((t0: Int16 [5]) {
        t1 = Negate(t0) : Int16 [5]
        return t1 })"},
      {OpKind::Log, R"((t0: Float64 [17]) {
        t1 = Log(t0) : Float64 [17]
        return t1 })"},
      {OpKind::LeakyReLU, R"((t0: Float32 [17]) {
        t1 = LeakyReLU(t0, alpha=0.2) : Float32 [17]
        return t1 })"},
      {OpKind::GELU, R"((t0: Float32 [17]) {
        t1 = GELU(t0, approximate=tanh) : Float32 [17]
        return t1 })"},
      {OpKind::HardSwish, R"((t0: Float64 [33]) {
        t1 = HardSwish(t0) : Float64 [33]
        return t1 })"},
      {OpKind::Clamp, R"((t0: Float32 [17]) {
        t1 = Clamp(t0, min=-1.5, max=2) : Float32 [17]
        return t1 })"},
      {OpKind::MatMul, R"((t0: Float32 [2, 3, 4], t1: Float32 [4, 5]) {
        t2 = MatMul(t0, t1) : Float32 [2, 3, 5]
        return t2 })"},
      {OpKind::Transpose, R"((t0: Float32 [2, 3, 4]) {
        t1 = Transpose(t0, perm=[1, 2, 0]) : Float32 [3, 4, 2]
        return t1 })"},
      {OpKind::Conv2D, R"((t0: Float32 [1, 4, 6, 6], t1: Float32 [2, 2, 3, 3], t2: Float32 [2]) {
        t3 = Conv2D(t0, t1, t2, stride=2, padding=1, groups=2) : Float32 [1, 2, 3, 3]
        return t3 })"},
      {OpKind::QLinearMatMul, R"((t0: UInt8 [2, 3, 7], t1: Int8 [7, 5], t2: Int32 [5]) {
        t3 = QLinearMatMul(t0, t1, t2, x_scale=0.02, x_zero_point=128, w_scale=[0.01, 0.02, 0.03, 0.01, 0.02], y_scale=0.05, y_zero_point=100) : UInt8 [2, 3, 5]
        return t3 })"},
      {OpKind::QLinearConv2D, R"((t0: Int8 [1, 4, 6, 6], t1: Int8 [2, 2, 3, 3]) {
        t2 = QLinearConv2D(t0, t1, x_scale=0.02, x_zero_point=-3, w_scale=0.01, y_scale=0.05, stride=2, padding=1, groups=2, relu=true, dtype=Int8) : Int8 [1, 2, 3, 3]
        return t2 })"},
      {OpKind::MaxPool2D, R"((t0: Float32 [1, 2, 5, 5]) {
        t1 = MaxPool2D(t0, kernel_size=2, stride=2) : Float32 [1, 2, 2, 2]
        return t1 })"},
      {OpKind::AvgPool2D, R"((t0: Float32 [1, 2, 5, 5]) {
        t1 = AvgPool2D(t0, kernel_size=3, stride=2, padding=1) : Float32 [1, 2, 3, 3]
        return t1 })"},
      {OpKind::ReduceSum, R"((t0: Float32 [3, 4]) {
        t1 = ReduceSum(t0, axes=[1]) : Float32 [3]
        return t1 })"},
      {OpKind::ReduceMean, R"((t0: Float32 [3, 4]) {
        t1 = ReduceMean(t0, axes=[0], keep_dims=true) : Float32 [1, 4]
        return t1 })"},
      {OpKind::ReduceMax, R"((t0: Float32 [3, 4]) {
        t1 = ReduceMax(t0) : Float32 []
        return t1 })"},
      {OpKind::ReduceMin, R"((t0: Int32 [3, 4]) {
        t1 = ReduceMin(t0, axes=[1]) : Int32 [3]
        return t1 })"},
      {OpKind::Softmax, R"((t0: Float32 [3, 4]) {
        t1 = Softmax(t0) : Float32 [3, 4]
        return t1 })"},
      {OpKind::LogSoftmax, R"((t0: Float32 [3, 4]) {
        t1 = LogSoftmax(t0, axis=0) : Float32 [3, 4]
        return t1 })"},
      {OpKind::Reshape, R"((t0: Float32 [3, 4]) {
        t1 = Reshape(t0, shape=[2, -1]) : Float32 [2, 6]
        return t1 })"},
      {OpKind::Broadcast, R"((t0: Float32 [3, 1]) {
        t1 = Broadcast(t0, shape=[2, 3, 4]) : Float32 [2, 3, 4]
        return t1 })"},
      {OpKind::Concat, R"((t0: Float32 [3, 1], t1: Float32 [3, 2]) {
        t2 = Concat(t0, t1, axis=1) : Float32 [3, 3]
        return t2 })"},
      {OpKind::Slice, R"((t0: Float32 [10]) {
        t1 = Slice(t0, starts=[1], ends=[9], steps=[3]) : Float32 [3]
        return t1 })"},
      {OpKind::Constant, R"((t0: Float32 [3]) {
        t1 = Constant(values=[1.5, -2, 0.25]) : Float32 [3]
        t2 = Add(t0, t1) : Float32 [3]
        return t2 })"},
      {OpKind::FakeQuantization, R"((t0: Float32 [4, 9]) {
        t1, t2 = FakeQuantization(t0, num_bits=4, symmetric=false, scale=0.5, zero_point=1) : Float32 [4, 9], Bool [4, 9]
        return t1, t2 })"},
      {OpKind::Quantize, R"((t0: Float32 [9]) {
        t1 = Quantize(t0, scale=0.25, zero_point=3, dtype=Int8) : Int8 [9]
        return t1 })"},
      {OpKind::Dequantize, R"((t0: UInt8 [9]) {
        t1 = Dequantize(t0, scale=0.25, zero_point=3) : Float32 [9]
        return t1 })"},
      {OpKind::FusedElementwise, R"((t0: Float32 [4, 3], t1: Float32 [3]) {
        t4 = FusedElementwise(t0, t1) : Float32 [4, 3] {
          t2 = Multiply(t0, t1) : Float32 [4, 3]
          t3 = ReLU(t2) : Float32 [4, 3]
          t4 = HardSwish(t3) : Float32 [4, 3]
          return t4
        }
        return t4 })"},
      {OpKind::GradFakeQuantization, R"((t0: Float32 [9], t1: Float32 [9]) {
        t2 = GradFakeQuantization(t0, t1, scale=0.5, gradient=clipped) : Float32 [9]
        return t2 })"},
      {OpKind::GradLeakyReLU, R"((t0: Float32 [9], t1: Float32 [9]) {
        t2 = GradLeakyReLU(t0, t1, alpha=0.5) : Float32 [9]
        return t2 })"},
      {OpKind::GradGELU, R"((t0: Float64 [9], t1: Float64 [9]) {
        t2 = GradGELU(t0, t1) : Float64 [9]
        return t2 })"},
      {OpKind::GradClamp, R"((t0: Float32 [9], t1: Float32 [9]) {
        t2 = GradClamp(t0, t1, min=0) : Float32 [9]
        return t2 })"},
      {OpKind::GradMaximum, R"((t0: Float32 [2, 3], t1: Float32 [2, 3], t2: Float32 [3]) {
        t3, t4 = GradMaximum(t0, t1, t2) : Float32 [2, 3], Float32 [2, 3]
        return t3, t4 })"},
      {OpKind::GradMinimum, R"((t0: Float32 [2, 3], t1: Float32 [2, 3], t2: Float32 [2, 3]) {
        t3, t4 = GradMinimum(t0, t1, t2) : Float32 [2, 3], Float32 [2, 3]
        return t3, t4 })"},
      {OpKind::GradConv2DInput, R"((t0: Float32 [1, 2, 3, 3], t1: Float32 [2, 4, 3, 3]) {
        t2 = GradConv2DInput(t0, t1, stride=2, padding=1, input_shape=[1, 4, 6, 6]) : Float32 [1, 4, 6, 6]
        return t2 })"},
      {OpKind::GradConv2DWeight, R"((t0: Float32 [1, 2, 3, 3], t1: Float32 [1, 4, 6, 6]) {
        t2 = GradConv2DWeight(t0, t1, stride=2, padding=1, weight_shape=[2, 4, 3, 3]) : Float32 [2, 4, 3, 3]
        return t2 })"},
      {OpKind::GradMaxPool2D, R"((t0: Float32 [1, 2, 2, 2], t1: Float32 [1, 2, 5, 5]) {
        t2 = GradMaxPool2D(t0, t1, kernel_size=2, stride=2) : Float32 [1, 2, 5, 5]
        return t2 })"},
      {OpKind::GradAvgPool2D, R"((t0: Float32 [1, 2, 3, 3]) {
        t1 = GradAvgPool2D(t0, kernel_size=3, stride=2, padding=1, input_shape=[1, 2, 5, 5]) : Float32 [1, 2, 5, 5]
        return t1 })"},
      {OpKind::GradReduceMax, R"((t0: Float32 [3], t1: Float32 [3, 4]) {
        t2 = ReduceMax(t1, axes=[1]) : Float32 [3]
        t3 = GradReduceMax(t0, t1, t2, axes=[1]) : Float32 [3, 4]
        return t3 })"},
      {OpKind::GradReduceMin, R"((t0: Float32 [3], t1: Float32 [3, 4]) {
        t2 = ReduceMin(t1, axes=[1]) : Float32 [3]
        t3 = GradReduceMin(t0, t1, t2, axes=[1]) : Float32 [3, 4]
        return t3 })"},
      {OpKind::GradSlice, R"((t0: Float32 [3]) {
        t1 = GradSlice(t0, starts=[1], ends=[9], steps=[3], input_shape=[10]) : Float32 [10]
        return t1 })"},
  };
  return table;
}

// Small integers and halves in [-5, 5], with -3 and 3 (HardSwish's kinks)
// and zeros; integers for integer types.
Tensor exactInput(const TensorType &type, std::mt19937_64 &rng) {
  Tensor t = test::randomTensor(type, {}, rng);
  auto fill = [&](auto *data) {
    using T = std::remove_pointer_t<decltype(data)>;
    for (int64_t i = 0; i < t.numElements(); ++i)
      data[i] = static_cast<T>(double(int64_t(rng() % 21) - 10) / 2);
  };
  switch (type.elementType) {
  case DataType::Float32:
    fill(t.as<float>());
    break;
  case DataType::Float64:
    fill(t.as<double>());
    break;
  case DataType::Int8:
  case DataType::UInt8:
  case DataType::Int16:
  case DataType::Int32:
  case DataType::Int64:
  case DataType::Bool:
    break; // randomTensor's integers already wrap and stay exact
  }
  return t;
}

// Close enough at -O2, where libm calls may become libmvec's (<= 4 ulp; an
// absolute floor for results near zero after cancellation, as in GELU).
bool closeTo(const Tensor &actual, const Tensor &expected) {
  if (actual.getType() != expected.getType())
    return false;
  auto near = [&](auto *a, auto *e) {
    for (int64_t i = 0; i < actual.numElements(); ++i) {
      double x = a[i], y = e[i];
      if (std::isnan(x) || std::isnan(y)) {
        if (std::isnan(x) != std::isnan(y))
          return false;
      } else if (x != y && std::fabs(x - y) > 1e-5 * std::fabs(y) + 1e-6) {
        return false;
      }
    }
    return true;
  };
  if (actual.elementType() == DataType::Float32)
    return near(actual.as<float>(), expected.as<float>());
  if (actual.elementType() == DataType::Float64)
    return near(actual.as<double>(), expected.as<double>());
  return actual.bitwiseEqual(expected);
}

// Interpreter vs JIT on the graph `name` of `module`.
void expectJitMatchesInterpreter(const Graph &graph, std::mt19937_64 &rng) {
  std::vector<Tensor> inputs;
  for (ValueId v : graph.getInputs())
    inputs.push_back(exactInput(graph.getType(v), rng));
  auto expected = interpret(graph, inputs);
  ASSERT_TRUE(bool(expected)) << llvm::toString(expected.takeError());
  for (unsigned level : {0u, 2u}) {
    SCOPED_TRACE("-O" + std::to_string(level));
    auto compiled = jitAt(level).compile(graph);
    ASSERT_TRUE(bool(compiled)) << llvm::toString(compiled.takeError());
    auto actual = (*compiled)->run(inputs);
    ASSERT_TRUE(bool(actual)) << llvm::toString(actual.takeError());
    ASSERT_EQ(actual->size(), expected->size());
    for (size_t i = 0; i < actual->size(); ++i)
      EXPECT_TRUE(level == 0 ? (*actual)[i].bitwiseEqual((*expected)[i])
                             : closeTo((*actual)[i], (*expected)[i]))
          << "output " << i << ": "
          << test::describeMismatch((*actual)[i], (*expected)[i]);
  }
}

class OpCoverageTest : public ::testing::TestWithParam<OpKind> {};

TEST_P(OpCoverageTest, ParsesPrintsInterpretsAndCompiles) {
  OpKind kind = GetParam();
  auto it = samples().find(kind);
  std::optional<std::string> sample =
      it != samples().end() ? it->second : defaultSample(kind);
  ASSERT_TRUE(sample) << "no sample graph for " << opName(kind).str()
                      << ": add one to OpCoverageTest.cpp's table";
  std::string text = "graph @sample" + *sample;
  // The closing brace of the graph on a line of its own.
  text.replace(text.rfind(" }"), 2, "\n}\n");
  auto module = parseAndVerify(text, opName(kind));
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  const Graph &graph = module->getGraphs().front();
  bool uses = llvm::any_of(graph.getOps(), [&](const Operation &op) {
    return op.getKind() == kind;
  });
  EXPECT_TRUE(uses) << "the sample of " << opName(kind).str()
                    << " does not use it";

  // Printing and parsing again gives the same text.
  std::string printed = module->toString();
  auto reparsed = parseAndVerify(printed, "printed");
  ASSERT_TRUE(bool(reparsed)) << llvm::toString(reparsed.takeError());
  EXPECT_EQ(reparsed->toString(), printed);

  std::mt19937_64 rng(static_cast<uint64_t>(kind) + 1);
  expectJitMatchesInterpreter(graph, rng);

  if (!hasTrait(kind, OpTrait::Differentiable) || graph.getInputs().empty())
    return;
  auto backward = buildGradientGraph(graph);
  ASSERT_TRUE(bool(backward)) << llvm::toString(backward.takeError());
  SCOPED_TRACE("backward graph:\n" + backward->toString());
  expectJitMatchesInterpreter(*backward, rng);
}

std::string kindName(const ::testing::TestParamInfo<OpKind> &info) {
  return opName(info.param).str();
}

INSTANTIATE_TEST_SUITE_P(EveryOp, OpCoverageTest,
                         ::testing::ValuesIn(allOpKinds().begin(),
                                             allOpKinds().end()),
                         kindName);

// Ops.def's facts hold together: Grad ops name a forward op, defaults have
// their attribute's kind, summaries exist.
TEST(OpsDef, FactsAreConsistent) {
  for (OpKind kind : allOpKinds()) {
    const OpInfo &info = getOpInfo(kind);
    SCOPED_TRACE(info.name.str());
    EXPECT_FALSE(info.summary.empty());
    EXPECT_EQ(info.forward.has_value(),
              info.category == OpCategory::Gradient);
    for (const AttrSpec &spec : info.attributes) {
      if (!spec.defaultValue)
        continue;
      Attribute value = *spec.defaultValue;
      EXPECT_TRUE(coerceAttribute(spec.kind, value)) << spec.name.str();
    }
    // The group macros make every unary and binary op Elementwise.
    if (info.category == OpCategory::ElementwiseUnary ||
        info.category == OpCategory::ElementwiseBinary) {
      EXPECT_TRUE(info.has(OpTrait::Elementwise));
    }
  }
  EXPECT_EQ(unaryGradientOp(OpKind::HardSwish), OpKind::GradHardSwish);
  EXPECT_EQ(unaryGradientOp(OpKind::Exp), std::nullopt);
  EXPECT_EQ(findAttrSpec(OpKind::GradConv2DInput, "input_shape")->kind,
            AttrKind::IntList);
  EXPECT_EQ(findAttrSpec(OpKind::LeakyReLU, "alpha")->defaultValue,
            Attribute(0.01));
}

} // namespace
} // namespace qjit
