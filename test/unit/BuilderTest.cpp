//===- BuilderTest.cpp - Shape inference and rejections of the Builder ----===//
#include "qjit/IR/Builder.h"
#include "TestHelpers.h"
#include "qjit/IR/Verifier.h"
#include <cmath>
#include <limits>

using namespace qjit;
using qjit::test::errorText;
using qjit::test::expectOk;

namespace {

TensorType type(DataType dt, Shape shape) { return {dt, std::move(shape)}; }

// A fresh graph and builder per test.
class BuilderTest : public ::testing::Test {
protected:
  Graph graph{"g"};
  Builder b{graph};

  // The type the builder gave a successfully created value.
  TensorType resultType(llvm::Expected<ValueId> id) {
    if (!expectOk(id))
      return {};
    return graph.getType(*id);
  }
};

TEST_F(BuilderTest, BinaryBroadcastsShapes) {
  ValueId a = b.addInput(DataType::Float32, {3, 1});
  ValueId c = b.addInput(DataType::Float32, {1, 4});
  ValueId s = b.addInput(DataType::Float32, {});
  ValueId v = b.addInput(DataType::Float32, {4});
  ValueId d = b.addInput(DataType::Float32, {5, 1, 4});
  EXPECT_EQ(resultType(b.create(OpKind::Add, {a, c})),
            type(DataType::Float32, {3, 4}));
  EXPECT_EQ(resultType(b.create(OpKind::Multiply, {s, a})),
            type(DataType::Float32, {3, 1}));
  EXPECT_EQ(resultType(b.create(OpKind::Subtract, {a, s})),
            type(DataType::Float32, {3, 1}));
  EXPECT_EQ(resultType(b.create(OpKind::Divide, {s, s})),
            type(DataType::Float32, {}));
  // Missing leading dimensions count as 1.
  EXPECT_EQ(resultType(b.create(OpKind::Maximum, {v, a})),
            type(DataType::Float32, {3, 4}));
  EXPECT_EQ(resultType(b.create(OpKind::Minimum, {d, a})),
            type(DataType::Float32, {5, 3, 4}));
}

TEST_F(BuilderTest, ZeroSizedDimensionsBroadcast) {
  ValueId a = b.addInput(DataType::Float32, {0, 1});
  ValueId c = b.addInput(DataType::Float32, {1, 3});
  EXPECT_EQ(resultType(b.create(OpKind::Add, {a, c})),
            type(DataType::Float32, {0, 3}));
}

TEST_F(BuilderTest, BinaryKeepsTheElementType) {
  for (DataType dt : {DataType::Float64, DataType::Int8, DataType::UInt8,
                      DataType::Int16, DataType::Int32, DataType::Int64}) {
    ValueId x = b.addInput(dt, {2});
    EXPECT_EQ(resultType(b.create(OpKind::Add, {x, x})), type(dt, {2}))
        << dataTypeName(dt).str();
    EXPECT_EQ(resultType(b.create(OpKind::Maximum, {x, x})), type(dt, {2}));
  }
}

TEST_F(BuilderTest, UnaryKeepsTheType) {
  ValueId x = b.addInput(DataType::Int16, {2, 3});
  for (OpKind k : {OpKind::Negate, OpKind::Abs, OpKind::ReLU})
    EXPECT_EQ(resultType(b.create(k, {x})), type(DataType::Int16, {2, 3}));
}

TEST_F(BuilderTest, ConstantTakesItsDeclaredType) {
  EXPECT_EQ(resultType(b.constant(type(DataType::Int8, {2, 2}),
                                  Attribute(std::vector<int64_t>{1, 2, 3, 4}))),
            type(DataType::Int8, {2, 2}));
  // One value is a splat.
  EXPECT_EQ(resultType(b.constant(type(DataType::Float32, {3}), 0.5)),
            type(DataType::Float32, {3}));
  EXPECT_EQ(resultType(b.constant(type(DataType::Float64, {}), 1)),
            type(DataType::Float64, {}));
}

TEST_F(BuilderTest, ConstantRejections) {
  EXPECT_ERROR_CONTAINS(b.constant(type(DataType::Float32, {4}),
                                   Attribute(std::vector<double>{1, 2, 3})),
                        "has 3 values for 4 elements");
  EXPECT_ERROR_CONTAINS(b.constant(type(DataType::Int32, {2}), 1.5),
                        "Int32 constant needs integer values");
  EXPECT_ERROR_CONTAINS(b.constant(type(DataType::Float32, {2}), true),
                        "attribute 'values' must be a number or a list");
}

TEST_F(BuilderTest, FakeQuantizationResultIsTheInputType) {
  ValueId x = b.addInput(DataType::Float64, {2, 3});
  EXPECT_EQ(
      resultType(b.create(OpKind::FakeQuantization, {x}, {{"scale", 0.5}})),
      type(DataType::Float64, {2, 3}));
  ValueId dy = b.addInput(DataType::Float64, {2, 3});
  EXPECT_EQ(
      resultType(b.create(OpKind::GradFakeQuantization, {dy, x},
                          {{"gradient", Attribute::enumValue("clipped")}})),
      type(DataType::Float64, {2, 3}));
}

TEST_F(BuilderTest, LsqGradientHasThreeResults) {
  ValueId x = b.addInput(DataType::Float32, {2, 3});
  ValueId dy = b.addInput(DataType::Float32, {2, 3});
  ValueId s = b.addInput(DataType::Float32, {3});
  ValueId z = b.addInput(DataType::Int32, {});
  AttrList attrs = {{"axis", -1}, {"gradient", Attribute::enumValue("lsq")}};
  auto results =
      b.createMulti(OpKind::GradFakeQuantization, {dy, x, s, z}, attrs);
  ASSERT_OK(results);
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ(graph.getType((*results)[0]), type(DataType::Float32, {2, 3}));
  EXPECT_EQ(graph.getType((*results)[1]), type(DataType::Float32, {3}));
  EXPECT_EQ(graph.getType((*results)[2]), type(DataType::Int32, {}));
  // create() wants exactly one result.
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::GradFakeQuantization, {dy, x, s, z}, attrs),
      "use createMulti");
}

TEST_F(BuilderTest, ArityRejections) {
  ValueId x = b.addInput(DataType::Float32, {2});
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Add, {x}),
                        "expects 2 operands, got 1");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Divide, {x, x, x}),
                        "expects 2 operands, got 3");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Negate, {x, x}),
                        "expects 1 operand, got 2");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::ReLU, {}), "expects 1 operand, got 0");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::FakeQuantization, {}),
                        "expects 1 to 3 operands, got 0");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::FakeQuantization, {x, x, x, x}),
                        "expects 1 to 3 operands, got 4");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::GradFakeQuantization, {x}),
                        "expects 2 to 4 operands, got 1");
  // The message names the op.
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Add, {x}), "'Add'");
}

TEST_F(BuilderTest, UnknownOperand) {
  ValueId x = b.addInput(DataType::Float32, {2});
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Add, {x, 42}),
                        "operand t42 is not a value of graph @g");
}

TEST_F(BuilderTest, DataTypeRejections) {
  ValueId f32 = b.addInput(DataType::Float32, {2});
  ValueId f64 = b.addInput(DataType::Float64, {2});
  ValueId i32 = b.addInput(DataType::Int32, {2});
  ValueId i8 = b.addInput(DataType::Int8, {2});
  ValueId flag = b.addInput(DataType::Bool, {2});
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Add, {f32, f64}),
                        "operand types Float32 and Float64 differ");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Maximum, {i32, i8}),
                        "operand types Int32 and Int8 differ");
  for (OpKind k : {OpKind::Add, OpKind::Subtract, OpKind::Multiply,
                   OpKind::Maximum, OpKind::Minimum})
    EXPECT_ERROR_CONTAINS(b.create(k, {flag, flag}),
                          "operands must be numeric, got Bool");
  for (OpKind k : {OpKind::Negate, OpKind::Abs, OpKind::ReLU})
    EXPECT_ERROR_CONTAINS(b.create(k, {flag}),
                          "operand must be numeric, got Bool");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Divide, {i32, i32}),
                        "operands must be Float32 or Float64, got Int32");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Divide, {i8, i8}),
                        "must be Float32 or Float64, got Int8");
}

TEST_F(BuilderTest, BroadcastMismatch) {
  ValueId a = b.addInput(DataType::Float32, {3});
  ValueId c = b.addInput(DataType::Float32, {4});
  ValueId d = b.addInput(DataType::Float32, {2, 3});
  ValueId e = b.addInput(DataType::Float32, {3, 2});
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Add, {a, c}),
                        "shapes [3] and [4] cannot be broadcast together");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Minimum, {d, e}),
                        "shapes [2, 3] and [3, 2] cannot be broadcast");
}

TEST_F(BuilderTest, FailedCreateLeavesTheGraphUnchanged) {
  ValueId a = b.addInput(DataType::Float32, {3});
  ValueId c = b.addInput(DataType::Float32, {4});
  ValueId next = graph.nextFreeId();
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Add, {a, c}), "broadcast");
  EXPECT_EQ(graph.getOps().size(), 0u);
  EXPECT_EQ(graph.nextFreeId(), next);
}

TEST_F(BuilderTest, AttributeNameAndKindRejections) {
  ValueId x = b.addInput(DataType::Float32, {2});
  EXPECT_ERROR_CONTAINS(b.create(OpKind::FakeQuantization, {x}, {{"bits", 8}}),
                        "unknown attribute 'bits'");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Add, {x, x}, {{"scale", 1.0}}),
                        "unknown attribute 'scale'");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::FakeQuantization, {x}, {{"num_bits", 2.5}}),
      "attribute 'num_bits' must be an integer, got 2.5");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::FakeQuantization, {x},
               {{"scale", 1.0}, {"zero_point", 0.5}}),
      "attribute 'zero_point' must be an integer or a list of integers");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::FakeQuantization, {x}, {{"symmetric", 1}}),
      "attribute 'symmetric' must be true or false");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::FakeQuantization, {x}, {{"gradient", 1}}),
      "attribute 'gradient' must be an identifier");
}

TEST_F(BuilderTest, AttributeCoercion) {
  // An integer scale is taken as a float.
  ValueId x = b.addInput(DataType::Float32, {2});
  auto y = b.create(OpKind::FakeQuantization, {x}, {{"scale", 2}});
  ASSERT_OK(y);
  const Attribute *s = graph.getOps().back().getAttr("scale");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->isFloat());
  EXPECT_EQ(s->getFloat(), 2.0);
}

//===----------------------------------------------------------------------===//
// FakeQuantization: every row of docs/fake-quantization.md's attribute table.
//===----------------------------------------------------------------------===//

class FakeQuantRulesTest : public BuilderTest {
protected:
  ValueId x = b.addInput(DataType::Float32, {2, 3});
  llvm::Expected<ValueId> fq(AttrList attrs) {
    return b.create(OpKind::FakeQuantization, {x}, std::move(attrs));
  }
  void accepts(AttrList attrs) {
    auto y = fq(std::move(attrs));
    EXPECT_OK(y);
  }
};

TEST_F(FakeQuantRulesTest, InputMustBeFloat) {
  for (DataType dt : {DataType::Int8, DataType::Int32, DataType::Bool}) {
    ValueId i = b.addInput(dt, {2});
    EXPECT_ERROR_CONTAINS(b.create(OpKind::FakeQuantization, {i}),
                          "input must be Float32 or Float64, got " +
                              dataTypeName(dt).str());
  }
}

TEST_F(FakeQuantRulesTest, NumBitsRange) {
  EXPECT_ERROR_CONTAINS(fq({{"num_bits", 1}}),
                        "num_bits must be in [2, 16], got 1");
  EXPECT_ERROR_CONTAINS(fq({{"num_bits", 17}}),
                        "num_bits must be in [2, 16], got 17");
  accepts({{"num_bits", 2}});
  accepts({{"num_bits", 16}});
}

TEST_F(FakeQuantRulesTest, ExplicitGrid) {
  EXPECT_ERROR_CONTAINS(fq({{"quant_min", 0}}),
                        "quant_min and quant_max must be given together");
  EXPECT_ERROR_CONTAINS(fq({{"quant_max", 10}}),
                        "quant_min and quant_max must be given together");
  EXPECT_ERROR_CONTAINS(fq({{"quant_min", 5}, {"quant_max", 5}}),
                        "quant_min (5) must be less than quant_max (5)");
  EXPECT_ERROR_CONTAINS(fq({{"quant_min", 6}, {"quant_max", 5}}),
                        "must be less than quant_max");
  EXPECT_ERROR_CONTAINS(fq({{"quant_min", 0}, {"quant_max", int64_t(1) << 25}}),
                        "quant_min and quant_max must lie in [-2^24, 2^24]");
  accepts({{"quant_min", -3}, {"quant_max", 4}});
}

TEST_F(FakeQuantRulesTest, ScaleMustBeFiniteAndPositive) {
  for (double s :
       {0.0, -0.0, -1.0, std::numeric_limits<double>::infinity(), std::nan(""),
        // Finite doubles that are not finite / positive floats.
        1e39, 1e-50}) {
    SCOPED_TRACE(s);
    EXPECT_ERROR_CONTAINS(fq({{"scale", s}}), "scale must be finite and > 0");
  }
  accepts({{"scale", 1e-30}});
}

TEST_F(FakeQuantRulesTest, ZeroPointMustBeOnTheGrid) {
  // Asymmetric 8 bit: [0, 255].
  EXPECT_ERROR_CONTAINS(
      fq({{"symmetric", false}, {"scale", 1.0}, {"zero_point", 256}}),
      "zero_point 256 is outside the grid [0, 255]");
  EXPECT_ERROR_CONTAINS(
      fq({{"symmetric", false}, {"scale", 1.0}, {"zero_point", -1}}),
      "zero_point -1 is outside the grid [0, 255]");
  // narrow_range drops 0.
  EXPECT_ERROR_CONTAINS(fq({{"symmetric", false},
                            {"narrow_range", true},
                            {"scale", 1.0},
                            {"zero_point", 0}}),
                        "outside the grid [1, 255]");
  accepts({{"symmetric", false}, {"scale", 1.0}, {"zero_point", 255}});
  // An explicit grid without 'symmetric' allows a zero point.
  EXPECT_ERROR_CONTAINS(fq({{"quant_min", -8},
                            {"quant_max", 7},
                            {"scale", 1.0},
                            {"zero_point", 8}}),
                        "zero_point 8 is outside the grid [-8, 7]");
  accepts({{"quant_min", -8},
           {"quant_max", 7},
           {"scale", 1.0},
           {"zero_point", -8}});
}

TEST_F(FakeQuantRulesTest, SymmetricNeedsZeroPointZero) {
  EXPECT_ERROR_CONTAINS(fq({{"scale", 1.0}, {"zero_point", 3}}),
                        "zero_point must be 0 when symmetric=true, got 3");
  EXPECT_ERROR_CONTAINS(fq({{"symmetric", true},
                            {"quant_min", -8},
                            {"quant_max", 7},
                            {"scale", 1.0},
                            {"zero_point", 1}}),
                        "zero_point must be 0 when symmetric=true");
  accepts({{"symmetric", true}, {"scale", 1.0}, {"zero_point", 0}});
}

TEST_F(FakeQuantRulesTest, ZeroPointNeedsScale) {
  EXPECT_ERROR_CONTAINS(fq({{"symmetric", false}, {"zero_point", 3}}),
                        "zero_point needs a scale attribute");
}

TEST_F(FakeQuantRulesTest, AxisRange) {
  EXPECT_ERROR_CONTAINS(fq({{"axis", 2}, {"scale", std::vector<double>{1, 1}}}),
                        "axis 2 is out of range for an input of rank 2");
  EXPECT_ERROR_CONTAINS(
      fq({{"axis", -3}, {"scale", std::vector<double>{1, 1}}}),
      "axis -3 is out of range for an input of rank 2");
  accepts({{"axis", -1}, {"scale", std::vector<double>{1, 2, 3}}});
  accepts({{"axis", -2}, {"scale", std::vector<double>{1, 2}}});
  accepts({{"axis", 0}}); // per-channel observer
}

TEST_F(FakeQuantRulesTest, PerChannelListLength) {
  EXPECT_ERROR_CONTAINS(
      fq({{"axis", 0}, {"scale", std::vector<double>{1, 2, 3}}}),
      "scale has 3 values but dimension 0 has 2 channels");
  EXPECT_ERROR_CONTAINS(fq({{"axis", 1},
                            {"symmetric", false},
                            {"scale", std::vector<double>{1, 2, 3}},
                            {"zero_point", std::vector<int64_t>{1, 2}}}),
                        "zero_point has 2 values but dimension 1 has 3 "
                        "channels");
  EXPECT_ERROR_CONTAINS(fq({{"axis", 0}, {"scale", 1.0}}),
                        "per-channel (axis=0) scale must be a list of 2");
  EXPECT_ERROR_CONTAINS(fq({{"axis", 0},
                            {"symmetric", false},
                            {"scale", std::vector<double>{1, 2}},
                            {"zero_point", 1}}),
                        "per-channel (axis=0) zero_point must be a list");
  EXPECT_ERROR_CONTAINS(fq({{"scale", std::vector<double>{1, 2}}}),
                        "a list of scales needs an axis");
  EXPECT_ERROR_CONTAINS(fq({{"symmetric", false},
                            {"scale", 1.0},
                            {"zero_point", std::vector<int64_t>{1, 2}}}),
                        "a list of zero points needs an axis");
  // Every listed scale is checked.
  EXPECT_ERROR_CONTAINS(
      fq({{"axis", 0}, {"scale", std::vector<double>{1, -2}}}),
      "scale must be finite and > 0, got -2");
  // Every listed zero point is checked against the grid.
  EXPECT_ERROR_CONTAINS(fq({{"axis", 0},
                            {"symmetric", false},
                            {"scale", std::vector<double>{1, 2}},
                            {"zero_point", std::vector<int64_t>{0, 300}}}),
                        "zero_point 300 is outside the grid [0, 255]");
}

TEST_F(FakeQuantRulesTest, GradientRule) {
  EXPECT_ERROR_CONTAINS(fq({{"gradient", Attribute::enumValue("sign")}}),
                        "gradient must be ste, clipped or lsq, got sign");
  EXPECT_ERROR_CONTAINS(fq({{"gradient", Attribute::enumValue("lsq")}}),
                        "gradient=lsq needs scale and zero_point as tensor "
                        "operands");
  EXPECT_ERROR_CONTAINS(
      fq({{"scale", 1.0}, {"gradient", Attribute::enumValue("lsq")}}),
      "gradient=lsq needs scale and zero_point as tensor operands");
  ValueId s = b.addInput(DataType::Float32, {});
  EXPECT_ERROR_CONTAINS(b.create(OpKind::FakeQuantization, {x, s},
                                 {{"gradient", Attribute::enumValue("lsq")}}),
                        "gradient=lsq needs scale and zero_point");
  ValueId z = b.addInput(DataType::Float32, {});
  auto ok = b.create(OpKind::FakeQuantization, {x, s, z},
                     {{"gradient", Attribute::enumValue("lsq")}});
  EXPECT_OK(ok);
  EXPECT_ERROR_CONTAINS(
      fq({{"grad_factor", std::numeric_limits<double>::infinity()}}),
      "grad_factor must be finite");
  accepts({{"gradient", Attribute::enumValue("ste")}, {"grad_factor", 0.5}});
  accepts({{"gradient", Attribute::enumValue("clipped")}});
}

TEST_F(FakeQuantRulesTest, ScaleAndZeroPointOperands) {
  ValueId s = b.addInput(DataType::Float32, {});
  ValueId s3 = b.addInput(DataType::Float32, {3});
  ValueId s64 = b.addInput(DataType::Float64, {});
  ValueId si = b.addInput(DataType::Int32, {});
  ValueId zi = b.addInput(DataType::Int32, {3});
  ValueId z8 = b.addInput(DataType::Int8, {});
  ValueId z2 = b.addInput(DataType::Float32, {2});
  auto create = [&](llvm::ArrayRef<ValueId> ops, AttrList attrs = {}) {
    return b.create(OpKind::FakeQuantization, ops, std::move(attrs));
  };
  EXPECT_ERROR_CONTAINS(create({x, si}),
                        "scale operand must be Float32, got Int32");
  // Float64 is only admitted as the element type.
  EXPECT_ERROR_CONTAINS(create({x, s64}),
                        "scale operand must be Float32, got Float64");
  EXPECT_ERROR_CONTAINS(create({x, s, z8}),
                        "zero_point operand must be Float32 or Int32, got "
                        "Int8");
  EXPECT_ERROR_CONTAINS(create({x, s3}),
                        "scale operand must have shape [], got [3]");
  EXPECT_ERROR_CONTAINS(create({x, s3, z2}, {{"axis", 1}}),
                        "zero_point operand must have shape [] or [3], got "
                        "[2]");
  EXPECT_ERROR_CONTAINS(create({x, s}, {{"scale", 1.0}}),
                        "scale is given both as an attribute and an operand");
  EXPECT_ERROR_CONTAINS(create({x, s, zi}, {{"zero_point", 0}}),
                        "zero_point is given both as an attribute and an "
                        "operand");
  auto ok = create({x, s3, zi}, {{"axis", -1}});
  EXPECT_OK(ok);
  ValueId x64 = b.addInput(DataType::Float64, {2});
  ok = create({x64, s64, s64});
  EXPECT_OK(ok);
}

TEST_F(FakeQuantRulesTest, GradientOperandMustMatchTheInput) {
  ValueId dy = b.addInput(DataType::Float32, {3, 2});
  ValueId dy64 = b.addInput(DataType::Float64, {2, 3});
  EXPECT_ERROR_CONTAINS(b.create(OpKind::GradFakeQuantization, {dy, x}),
                        "gradient Float32 [3, 2] must have the input's type "
                        "Float32 [2, 3]");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::GradFakeQuantization, {dy64, x}),
                        "must have the input's type");
}

TEST_F(BuilderTest, BuiltGraphsVerify) {
  ValueId x = b.addInput(DataType::Float32, {2, 3});
  auto c = b.constant(type(DataType::Float32, {3}), 0.5);
  ASSERT_OK(c);
  auto y = b.create(OpKind::Add, {x, *c});
  ASSERT_OK(y);
  auto q = b.create(OpKind::FakeQuantization, {*y},
                    {{"axis", 1}, {"scale", std::vector<double>{1, 2, 3}}});
  ASSERT_OK(q);
  b.setOutputs({*q});
  EXPECT_EQ(errorText(verifyGraph(graph)), "<success>");
}

} // namespace
