//===- InterpreterTest.cpp - Hand-derived results of every op -------------===//
#include "InterpreterTestSupport.h"
#include "qjit/Interpreter/FakeQuantReference.h"
#include <cfenv>
#include <cmath>
#include <limits>
#include <random>

using namespace qjit;
using namespace qjit::test;

namespace {

//===----------------------------------------------------------------------===//
// Broadcasting
//===----------------------------------------------------------------------===//

TEST(InterpreterTest, AddBroadcastsColumnAndRow) {
  Tensor a = makeTensor<float>({3, 1}, {1, 2, 3});
  Tensor b = makeTensor<float>({1, 4}, {10, 20, 30, 40});
  Tensor r = evaluateOne(OpKind::Add, {a, b});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{3, 4}));
  expectSameFloats<float>(r, {11, 21, 31, 41, //
                              12, 22, 32, 42, //
                              13, 23, 33, 43});
}

TEST(InterpreterTest, SubtractBroadcastKeepsOperandOrder) {
  Tensor a = makeTensor<float>({3, 1}, {1, 2, 3});
  Tensor b = makeTensor<float>({1, 4}, {10, 20, 30, 40});
  expectSameFloats<float>(evaluateOne(OpKind::Subtract, {a, b}),
                          {-9, -19, -29, -39, //
                           -8, -18, -28, -38, //
                           -7, -17, -27, -37});
  expectSameFloats<float>(evaluateOne(OpKind::Subtract, {b, a}),
                          {9, 19, 29, 39, //
                           8, 18, 28, 38, //
                           7, 17, 27, 37});
}

TEST(InterpreterTest, ScalarOperands) {
  Tensor s = makeTensor<float>({}, {2});
  Tensor x = makeTensor<float>({2, 3}, {1, 2, 4, 8, -1, 0.5f});
  expectSameFloats<float>(evaluateOne(OpKind::Multiply, {s, x}),
                          {2, 4, 8, 16, -2, 1});
  expectSameFloats<float>(evaluateOne(OpKind::Divide, {x, s}),
                          {0.5f, 1, 2, 4, -0.5f, 0.25f});
  expectSameFloats<float>(evaluateOne(OpKind::Divide, {s, x}),
                          {2, 1, 0.5f, 0.25f, -2, 4});
  Tensor r = evaluateOne(OpKind::Add, {s, s});
  EXPECT_TRUE(r.shape().empty());
  expectSameFloats<float>(r, {4});
}

TEST(InterpreterTest, BroadcastAddsLeadingDimensions) {
  // [2, 1, 3] + [2, 1] -> [2, 2, 3]: out[i][j][k] = a[i][0][k] + b[j][0].
  Tensor a = makeTensor<int32_t>({2, 1, 3}, {0, 1, 2, 3, 4, 5});
  Tensor b = makeTensor<int32_t>({2, 1}, {10, 20});
  Tensor r = evaluateOne(OpKind::Add, {a, b});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{2, 2, 3}));
  EXPECT_EQ(valuesOf<int32_t>(r),
            (std::vector<int32_t>{10, 11, 12, 20, 21, 22, //
                                  13, 14, 15, 23, 24, 25}));
  // A vector [3] against [2, 1, 3].
  Tensor v = makeTensor<int32_t>({3}, {100, 200, 300});
  EXPECT_EQ(valuesOf<int32_t>(evaluateOne(OpKind::Subtract, {v, a})),
            (std::vector<int32_t>{100, 199, 298, 97, 196, 295}));
}

TEST(InterpreterTest, EmptyTensors) {
  Tensor a(TensorType{DataType::Float32, {0, 1}});
  Tensor b = makeTensor<float>({1, 3}, {1, 2, 3});
  Tensor r = evaluateOne(OpKind::Add, {a, b});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{0, 3}));
  EXPECT_EQ(r.numElements(), 0);
}

//===----------------------------------------------------------------------===//
// Floating-point special values
//===----------------------------------------------------------------------===//

TEST(InterpreterTest, FloatArithmeticSpecialValues) {
  Tensor a = makeTensor<float>({6}, {kInf, 0.0f, -0.0f, -0.0f, 1.0f, kNaN});
  Tensor b = makeTensor<float>({6}, {-kInf, kInf, -0.0f, 0.0f, -1.0f, 1.0f});
  expectSameFloats<float>(evaluateOne(OpKind::Add, {a, b}),
                          {kNaN, kInf, -0.0f, 0.0f, 0.0f, kNaN});
  expectSameFloats<float>(evaluateOne(OpKind::Subtract, {a, b}),
                          {kInf, -kInf, 0.0f, -0.0f, 2.0f, kNaN});
  expectSameFloats<float>(evaluateOne(OpKind::Multiply, {a, b}),
                          {-kInf, kNaN, 0.0f, -0.0f, -1.0f, kNaN});
}

TEST(InterpreterTest, DivideSpecialValues) {
  Tensor a = makeTensor<float>({6}, {1, -1, 1, 0, 1, kInf});
  Tensor b = makeTensor<float>({6}, {0.0f, 0.0f, -0.0f, 0.0f, 3, kInf});
  Tensor r = evaluateOne(OpKind::Divide, {a, b});
  // 1/3 rounded to float: 0x3EAAAAAB.
  expectSameFloats<float>(
      r, {kInf, -kInf, -kInf, kNaN, floatFromBits(0x3EAAAAABu), kNaN});
  Tensor c = makeTensor<double>({2}, {1, -0.0});
  Tensor d = makeTensor<double>({2}, {3, 5});
  expectSameFloats<double>(evaluateOne(OpKind::Divide, {c, d}),
                           {1.0 / 3.0, -0.0});
}

// IEEE-754 2019 maximum / minimum: NaN propagates, -0.0 < +0.0.
const std::vector<float> kMaxA = {kNaN,  1, -0.0f, 0.0f, -0.0f,
                                  -kInf, 2, kNaN,  kInf, -3};
const std::vector<float> kMaxB = {1, kNaN, 0.0f, -0.0f, -0.0f,
                                  3, 3,    kNaN, kNaN,  -4};

TEST(InterpreterTest, MaximumPropagatesNaNAndOrdersZeros) {
  Tensor a = makeTensor<float>({10}, kMaxA), b = makeTensor<float>({10}, kMaxB);
  expectSameFloats<float>(
      evaluateOne(OpKind::Maximum, {a, b}),
      {kNaN, kNaN, 0.0f, 0.0f, -0.0f, 3, 3, kNaN, kNaN, -3});
}

TEST(InterpreterTest, MinimumPropagatesNaNAndOrdersZeros) {
  Tensor a = makeTensor<float>({10}, kMaxA), b = makeTensor<float>({10}, kMaxB);
  expectSameFloats<float>(
      evaluateOne(OpKind::Minimum, {a, b}),
      {kNaN, kNaN, -0.0f, -0.0f, -0.0f, -kInf, 2, kNaN, kNaN, -4});
}

TEST(InterpreterTest, MaximumMinimumFloat64) {
  Tensor a = makeTensor<double>({4}, {kNaND, -0.0, 0.0, 1e300});
  Tensor b = makeTensor<double>({4}, {2.0, 0.0, -0.0, kInfD});
  expectSameFloats<double>(evaluateOne(OpKind::Maximum, {a, b}),
                           {kNaND, 0.0, 0.0, kInfD});
  expectSameFloats<double>(evaluateOne(OpKind::Minimum, {a, b}),
                           {kNaND, -0.0, -0.0, 1e300});
}

TEST(InterpreterTest, UnaryFloatSpecialValues) {
  Tensor x = makeTensor<float>(
      {8}, {-2.0f, -0.0f, 0.0f, 3.5f, kNaN, kInf, -kInf, -1e-45f});
  expectSameFloats<float>(evaluateOne(OpKind::ReLU, {x}),
                          {0, 0, 0, 3.5f, kNaN, kInf, 0, 0});
  expectSameFloats<float>(evaluateOne(OpKind::Abs, {x}),
                          {2, 0, 0, 3.5f, kNaN, kInf, kInf, 1e-45f});
  expectSameFloats<float>(evaluateOne(OpKind::Negate, {x}),
                          {2, 0.0f, -0.0f, -3.5f, kNaN, -kInf, kInf, 1e-45f});
  // The sign bit of NaN: Negate flips it, Abs clears it.
  Tensor nan = makeTensor<float>({1}, {kNaN});
  EXPECT_TRUE(
      std::signbit(evaluateOne(OpKind::Negate, {nan}).values<float>()[0]));
  Tensor negNaN = makeTensor<float>({1}, {-kNaN});
  EXPECT_FALSE(
      std::signbit(evaluateOne(OpKind::Abs, {negNaN}).values<float>()[0]));
}

TEST(InterpreterTest, UnaryFloat64) {
  Tensor x = makeTensor<double>({4}, {-0.0, -2.5, kNaND, 1e-320});
  expectSameFloats<double>(evaluateOne(OpKind::ReLU, {x}),
                           {0.0, 0.0, kNaND, 1e-320});
  expectSameFloats<double>(evaluateOne(OpKind::Abs, {x}),
                           {0.0, 2.5, kNaND, 1e-320});
  expectSameFloats<double>(evaluateOne(OpKind::Negate, {x}),
                           {0.0, 2.5, kNaND, -1e-320});
}

//===----------------------------------------------------------------------===//
// Integers: wrap-around, signedness
//===----------------------------------------------------------------------===//

TEST(InterpreterTest, Int8WrapsAround) {
  Tensor a = makeTensor<int8_t>({4}, {127, -128, 100, -128});
  Tensor b = makeTensor<int8_t>({4}, {1, 1, 3, -1});
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(OpKind::Add, {a, b})),
            (std::vector<int8_t>{-128, -127, 103, 127}));
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(OpKind::Subtract, {a, b})),
            (std::vector<int8_t>{126, 127, 97, -127}));
  // 300 - 256 = 44; -128 * -1 = 128 wraps to -128.
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(OpKind::Multiply, {a, b})),
            (std::vector<int8_t>{127, -128, 44, -128}));
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(OpKind::Negate, {a})),
            (std::vector<int8_t>{-127, -128, -100, -128}));
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(OpKind::Abs, {a})),
            (std::vector<int8_t>{127, -128, 100, -128}));
}

TEST(InterpreterTest, UInt8WrapsAndIsUnsigned) {
  Tensor a = makeTensor<uint8_t>({4}, {200, 0, 16, 255});
  Tensor b = makeTensor<uint8_t>({4}, {100, 1, 16, 1});
  EXPECT_EQ(valuesOf<uint8_t>(evaluateOne(OpKind::Add, {a, b})),
            (std::vector<uint8_t>{44, 1, 32, 0}));
  EXPECT_EQ(valuesOf<uint8_t>(evaluateOne(OpKind::Subtract, {a, b})),
            (std::vector<uint8_t>{100, 255, 0, 254}));
  EXPECT_EQ(valuesOf<uint8_t>(evaluateOne(OpKind::Multiply, {a, b})),
            (std::vector<uint8_t>{32, 0, 0, 255})); // 20000 % 256 = 32
  EXPECT_EQ(valuesOf<uint8_t>(evaluateOne(OpKind::Maximum, {a, b})),
            (std::vector<uint8_t>{200, 1, 16, 255}));
  EXPECT_EQ(valuesOf<uint8_t>(evaluateOne(OpKind::Minimum, {a, b})),
            (std::vector<uint8_t>{100, 0, 16, 1}));
  EXPECT_EQ(valuesOf<uint8_t>(evaluateOne(OpKind::Negate, {a})),
            (std::vector<uint8_t>{56, 0, 240, 1}));
  EXPECT_EQ(valuesOf<uint8_t>(evaluateOne(OpKind::Abs, {a})),
            (std::vector<uint8_t>{200, 0, 16, 255}));
  EXPECT_EQ(valuesOf<uint8_t>(evaluateOne(OpKind::ReLU, {a})),
            (std::vector<uint8_t>{200, 0, 16, 255}));
}

TEST(InterpreterTest, Int16MultiplyWraps) {
  // 300 * 300 = 90000 = 65536 + 24464; (-32768) * (-1) wraps to -32768;
  // 255 * 257 = 65535 -> -1.
  Tensor a = makeTensor<int16_t>({3}, {300, -32768, 255});
  Tensor b = makeTensor<int16_t>({3}, {300, -1, 257});
  EXPECT_EQ(valuesOf<int16_t>(evaluateOne(OpKind::Multiply, {a, b})),
            (std::vector<int16_t>{24464, -32768, -1}));
  EXPECT_EQ(valuesOf<int16_t>(evaluateOne(OpKind::Abs, {a})),
            (std::vector<int16_t>{300, -32768, 255}));
}

TEST(InterpreterTest, Int32AndInt64Wrap) {
  constexpr int32_t i32min = std::numeric_limits<int32_t>::min();
  constexpr int32_t i32max = std::numeric_limits<int32_t>::max();
  Tensor a = makeTensor<int32_t>({3}, {i32max, i32min, 65536});
  Tensor b = makeTensor<int32_t>({3}, {1, -1, 65536});
  EXPECT_EQ(valuesOf<int32_t>(evaluateOne(OpKind::Add, {a, b})),
            (std::vector<int32_t>{i32min, i32max, 131072}));
  EXPECT_EQ(valuesOf<int32_t>(evaluateOne(OpKind::Multiply, {a, b})),
            (std::vector<int32_t>{i32max, i32min, 0}));
  EXPECT_EQ(valuesOf<int32_t>(evaluateOne(OpKind::Negate, {a})),
            (std::vector<int32_t>{-i32max, i32min, -65536}));

  constexpr int64_t i64min = std::numeric_limits<int64_t>::min();
  constexpr int64_t i64max = std::numeric_limits<int64_t>::max();
  Tensor c = makeTensor<int64_t>({3}, {i64min, i64max, int64_t(1) << 62});
  Tensor d = makeTensor<int64_t>({3}, {1, 1, 4});
  EXPECT_EQ(valuesOf<int64_t>(evaluateOne(OpKind::Subtract, {c, d})),
            (std::vector<int64_t>{i64max, i64max - 1, (int64_t(1) << 62) - 4}));
  EXPECT_EQ(valuesOf<int64_t>(evaluateOne(OpKind::Add, {c, d})),
            (std::vector<int64_t>{i64min + 1, i64min, (int64_t(1) << 62) + 4}));
  EXPECT_EQ(valuesOf<int64_t>(evaluateOne(OpKind::Multiply, {c, d})),
            (std::vector<int64_t>{i64min, i64max, 0}));
  EXPECT_EQ(valuesOf<int64_t>(evaluateOne(OpKind::Abs, {c})),
            (std::vector<int64_t>{i64min, i64max, int64_t(1) << 62}));
  EXPECT_EQ(valuesOf<int64_t>(evaluateOne(OpKind::Maximum, {c, d})),
            (std::vector<int64_t>{1, i64max, int64_t(1) << 62}));
  EXPECT_EQ(valuesOf<int64_t>(evaluateOne(OpKind::Minimum, {c, d})),
            (std::vector<int64_t>{i64min, 1, 4}));
}

TEST(InterpreterTest, SignedMaxMinAndReLU) {
  Tensor a = makeTensor<int8_t>({5}, {-1, 5, -128, 0, 127});
  Tensor b = makeTensor<int8_t>({5}, {1, -5, 127, 0, -128});
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(OpKind::Maximum, {a, b})),
            (std::vector<int8_t>{1, 5, 127, 0, 127}));
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(OpKind::Minimum, {a, b})),
            (std::vector<int8_t>{-1, -5, -128, 0, -128}));
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(OpKind::ReLU, {a})),
            (std::vector<int8_t>{0, 5, 0, 0, 127}));
}

//===----------------------------------------------------------------------===//
// Constant
//===----------------------------------------------------------------------===//

// Interprets @c() { t0 = Constant(values) : type; return t0 }.
Tensor constant(TensorType type, Attribute values) {
  Graph g("c");
  Builder b(g);
  auto c = b.constant(std::move(type), std::move(values));
  if (!expectOk(c))
    return Tensor(TensorType{DataType::Float32, {0}});
  b.setOutputs({*c});
  auto out = interpret(g, {});
  if (!expectOk(out))
    return Tensor(TensorType{DataType::Float32, {0}});
  return std::move((*out)[0]);
}

TEST(InterpreterTest, ConstantSplatAndList) {
  expectSameFloats<float>(constant({DataType::Float32, {2, 2}}, 1.5),
                          {1.5f, 1.5f, 1.5f, 1.5f});
  expectSameFloats<float>(
      constant({DataType::Float32, {3}}, std::vector<double>{1, -0.0, 0.25}),
      {1.0f, -0.0f, 0.25f});
  // A one-element list is a splat too.
  expectSameFloats<float>(
      constant({DataType::Float32, {3}}, std::vector<double>{2}), {2, 2, 2});
  // Integers in a float constant.
  expectSameFloats<double>(
      constant({DataType::Float64, {2}}, std::vector<int64_t>{-3, 7}),
      {-3.0, 7.0});
  expectSameFloats<float>(constant({DataType::Float32, {}}, 5), {5.0f});
  EXPECT_EQ(valuesOf<int32_t>(constant({DataType::Int32, {2, 1}}, -9)),
            (std::vector<int32_t>{-9, -9}));
  EXPECT_EQ(valuesOf<int64_t>(constant(
                {DataType::Int64, {2}},
                std::vector<int64_t>{std::numeric_limits<int64_t>::max(), -1})),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::max(), -1}));
}

TEST(InterpreterTest, ConstantRoundsToTheElementType) {
  // 0.1 as a float32 is 0x3DCCCCCD (round to nearest).
  expectSameFloats<float>(constant({DataType::Float32, {1}}, 0.1),
                          {floatFromBits(0x3DCCCCCDu)});
  expectSameFloats<double>(constant({DataType::Float64, {1}}, 0.1), {0.1});
}

TEST(InterpreterTest, ConstantIntegersWrapAndBools) {
  // Out-of-range integers wrap modulo 2^N, like the integer ops.
  EXPECT_EQ(valuesOf<int8_t>(constant({DataType::Int8, {3}},
                                      std::vector<int64_t>{300, -129, 5})),
            (std::vector<int8_t>{44, 127, 5}));
  EXPECT_EQ(valuesOf<uint8_t>(constant({DataType::UInt8, {2}},
                                       std::vector<int64_t>{-1, 256})),
            (std::vector<uint8_t>{255, 0}));
  // Bool: nonzero is true.
  Tensor flags = constant({DataType::Bool, {3}}, std::vector<int64_t>{0, 2, 1});
  ASSERT_EQ(flags.elementType(), DataType::Bool);
  EXPECT_FALSE(flags.as<bool>()[0]);
  EXPECT_TRUE(flags.as<bool>()[1]);
  EXPECT_TRUE(flags.as<bool>()[2]);
}

//===----------------------------------------------------------------------===//
// Graphs
//===----------------------------------------------------------------------===//

TEST(InterpreterTest, ChainedOpsAndRepeatedOutputs) {
  // @g(x, y) { s = Add(x, y); m = Maximum(s, c); n = Negate(m);
  //            return n, s, n }, c = Constant 0.
  Graph g("g");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {2, 2});
  ValueId y = b.addInput(DataType::Float32, {2});
  ValueId s = cantFail(b.create(OpKind::Add, {x, y}));
  ValueId c = cantFail(b.constant({DataType::Float32, {}}, 0.0));
  ValueId m = cantFail(b.create(OpKind::Maximum, {s, c}));
  ValueId n = cantFail(b.create(OpKind::Negate, {m}));
  b.setOutputs({n, s, n});
  auto out = interpret(g, {makeTensor<float>({2, 2}, {1, -5, 3, -0.5f}),
                           makeTensor<float>({2}, {-2, 1})});
  ASSERT_OK(out);
  ASSERT_EQ(out->size(), 3u);
  expectSameFloats<float>((*out)[1], {-1, -4, 1, 0.5f});
  expectSameFloats<float>((*out)[0], {-0.0f, -0.0f, -1, -0.5f});
  EXPECT_TRUE((*out)[2].bitwiseEqual((*out)[0]));
}

TEST(InterpreterTest, InputsAreNotModified) {
  Graph g("g");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {2});
  b.setOutputs({x, cantFail(b.create(OpKind::Negate, {x}))});
  Tensor in = makeTensor<float>({2}, {1, 2});
  auto out = interpret(g, {in});
  ASSERT_OK(out);
  expectSameFloats<float>(in, {1, 2});
  expectSameFloats<float>((*out)[0], {1, 2});
  expectSameFloats<float>((*out)[1], {-1, -2});
}

class InterpreterErrorTest : public ::testing::Test {
protected:
  InterpreterErrorTest() {
    Builder b(graph);
    ValueId x = b.addInput(DataType::Float32, {2});
    ValueId y = b.addInput(DataType::Float32, {2});
    b.setOutputs({cantFail(b.create(OpKind::Add, {x, y}))});
  }
  Graph graph{"g"};
  Tensor vec2 = makeTensor<float>({2}, {1, 2});
};

TEST_F(InterpreterErrorTest, InputCount) {
  EXPECT_ERROR_CONTAINS(interpret(graph, {vec2}),
                        "graph @g takes 2 inputs, got 1");
  EXPECT_ERROR_CONTAINS(interpret(graph, {vec2, vec2, vec2}),
                        "takes 2 inputs, got 3");
}

TEST_F(InterpreterErrorTest, InputTypes) {
  EXPECT_ERROR_CONTAINS(
      interpret(graph, {vec2, makeTensor<double>({2}, {1, 2})}),
      "input 1 (t1) of graph @g must be Float32 [2], got Float64 [2]");
  EXPECT_ERROR_CONTAINS(
      interpret(graph, {makeTensor<float>({3}, {1, 2, 3}), vec2}),
      "input 0 (t0) of graph @g must be Float32 [2], got Float32 [3]");
  EXPECT_ERROR_CONTAINS(
      interpret(graph, {makeTensor<float>({1, 2}, {1, 2}), vec2}),
      "must be Float32 [2], got Float32 [1, 2]");
}

TEST(InterpreterGraphErrorTest, TensorWithoutBuffer) {
  Graph g("g");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {});
  b.setOutputs({x});
  EXPECT_ERROR_CONTAINS(interpret(g, {Tensor()}),
                        "input 0 (t0) of graph @g has no buffer");
}

TEST(InterpreterGraphErrorTest, UseBeforeDefinition) {
  Graph g("g");
  TensorType t{DataType::Float32, {2}};
  ValueId x = g.newValue(t);
  g.addInput(x);
  ValueId a = g.newValue(t), c = g.newValue(t);
  g.addOp(Operation(OpKind::Add, {x, c}, {a}));
  g.addOp(Operation(OpKind::Negate, {x}, {c}));
  g.setOutputs({a});
  EXPECT_ERROR_CONTAINS_ALL(interpret(g, {makeTensor<float>({2}, {1, 2})}),
                            "'Add' op", "t2 is used before it is defined");
}

TEST(InterpreterGraphErrorTest, AnnotationMismatchAndRejectedOperands) {
  Graph g("g");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {2});
  ValueId n = cantFail(b.create(OpKind::Negate, {x}));
  b.setOutputs({n});
  g.setType(n, TensorType{DataType::Float32, {3}});
  EXPECT_ERROR_CONTAINS_ALL(interpret(g, {makeTensor<float>({2}, {1, 2})}),
                            "'Negate' op", "result types differ");

  // Integer division written past the builder is still refused.
  Graph h("h");
  TensorType i{DataType::Int32, {1}};
  ValueId p = h.newValue(i), q = h.newValue(i);
  h.addInput(p);
  h.addOp(Operation(OpKind::Divide, {p, p}, {q}));
  h.setOutputs({q});
  EXPECT_ERROR_CONTAINS(interpret(h, {makeTensor<int32_t>({1}, {4})}),
                        "operands must be Float32 or Float64, got Int32");
}

TEST(InterpreterGraphErrorTest, UndefinedOutput) {
  Graph g("g");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {2});
  b.setOutputs({x, 9});
  EXPECT_ERROR_CONTAINS(interpret(g, {makeTensor<float>({2}, {1, 2})}),
                        "graph @g returns t9, which is not defined");
}

//===----------------------------------------------------------------------===//
// roundEven, the rounding of FakeQuantization
//===----------------------------------------------------------------------===//

TEST(RoundEvenTest, Ties) {
  const std::pair<float, float> cases[] = {
      {0.5f, 0.0f},
      {1.5f, 2.0f},
      {2.5f, 2.0f},
      {3.5f, 4.0f},
      {-0.5f, -0.0f},
      {-1.5f, -2.0f},
      {-2.5f, -2.0f},
      {0.49999997f, 0.0f},
      {0.50000006f, 1.0f},
      {-0.0f, -0.0f},
      {8388607.5f, 8388608.0f},
      {8388609.0f, 8388609.0f},
      {1e30f, 1e30f},
      {kInf, kInf},
      {-kInf, -kInf},
  };
  for (auto [x, expected] : cases) {
    SCOPED_TRACE(x);
    EXPECT_SAME_FLOAT(roundEven(x), expected);
  }
  EXPECT_TRUE(std::isnan(roundEven(kNaN)));
  EXPECT_SAME_FLOAT(roundEven(-0.5), -0.0);
  EXPECT_SAME_FLOAT(roundEven(2.5), 2.0);
  EXPECT_SAME_FLOAT(roundEven(4503599627370495.5), 4503599627370496.0);
}

// nearbyint in the default rounding mode (to nearest, ties to even) is an
// independent implementation to compare with.
TEST(RoundEvenTest, AgreesWithNearbyint) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  std::mt19937 rng(1);
  std::uniform_int_distribution<int32_t> ints(-(1 << 22), 1 << 22);
  for (int i = 0; i < 100000; ++i) {
    uint32_t bits = rng();
    float x = floatFromBits(bits);
    if (std::isnan(x))
      continue;
    EXPECT_EQ(bitsOf(roundEven(x)), bitsOf(std::nearbyint(x))) << x;
    // Exact halves, where round-half-away would differ half of the time.
    float half = float(ints(rng)) + 0.5f;
    EXPECT_EQ(bitsOf(roundEven(half)), bitsOf(std::nearbyint(half))) << half;
    double d = double(ints(rng)) * 1024.0 + 0.5;
    EXPECT_EQ(bitsOf(roundEven(d)), bitsOf(std::nearbyint(d))) << d;
  }
}

} // namespace
