//===- InterpreterOpsTest.cpp - Hand-derived results of ops ---===//
//
// Every expectation here is worked out by hand from the op definitions (the
// comments show the arithmetic), never taken from the interpreter's output.
// Transcendental results that are not exact are checked against the true
// mathematical value within a few ulp.
//
//===----------------------------------------------------------------------===//
#include "InterpreterTestSupport.h"
#include <cmath>
#include <limits>

using namespace qjit;
using namespace qjit::test;

namespace {

using Ints = std::vector<int64_t>;
using Floats = std::vector<double>;

Attribute enumAttr(llvm::StringRef name) { return Attribute::enumValue(name); }

// Bool tensors (std::vector<bool> has no data(), so makeTensor cannot
// take one).
Tensor makeBools(llvm::ArrayRef<int64_t> shape, std::vector<bool> values) {
  Tensor t(TensorType{DataType::Bool, Shape(shape.begin(), shape.end())});
  EXPECT_EQ(t.numElements(), static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i)
    t.as<bool>()[i] = values[i];
  return t;
}

std::vector<bool> boolsOf(const Tensor &t) {
  if (t.elementType() != DataType::Bool) {
    ADD_FAILURE() << "not a Bool tensor";
    return {};
  }
  return std::vector<bool>(t.as<bool>(), t.as<bool>() + t.numElements());
}

// `actual` (one float) is within `ulps` units in the last place of the
// exactly known value `expected`.
void expectNearUlps(float actual, double expected, int ulps = 2) {
  float e = static_cast<float>(expected);
  float tolerance = ulps * (std::nextafter(std::fabs(e), kInf) - std::fabs(e));
  EXPECT_NEAR(actual, expected, tolerance) << "expected " << expected;
}

//===----------------------------------------------------------------------===//
// Power, Exp, Log, Sqrt, Square
//===----------------------------------------------------------------------===//

TEST(InterpreterOpsTest, PowerSpecialValuesAndBroadcast) {
  Tensor a = makeTensor<float>({8}, {2, 4, -8, 0.0f, -0.0f, kNaN, 1, 2});
  Tensor b = makeTensor<float>({8}, {3, 0.5f, 1.0f / 3, -1, -1, 0, kNaN, -1});
  // pow(-8, 1/3) has a negative base and a non-integer exponent: NaN;
  // pow(+-0, -1) = +-inf; pow(NaN, 0) = 1 and pow(1, NaN) = 1 (C99 Annex F).
  expectSameFloats<float>(evaluateOne(OpKind::Power, {a, b}),
                          {8, 2, kNaN, kInf, -kInf, 1, 1, 0.5f});
  // [2, 1] ** [3] -> [2, 3].
  Tensor base = makeTensor<double>({2, 1}, {2, 3});
  Tensor exponent = makeTensor<double>({3}, {0, 1, 2});
  Tensor r = evaluateOne(OpKind::Power, {base, exponent});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{2, 3}));
  expectSameFloats<double>(r, {1, 2, 4, 1, 3, 9});
}

TEST(InterpreterOpsTest, ExpLogSqrtSpecialValues) {
  Tensor x = makeTensor<float>({7}, {0.0f, -0.0f, kInf, -kInf, kNaN, 1, -1});
  // exp(+-0) = 1, exp(inf) = inf, exp(-inf) = +0; e and 1/e within 2 ulp.
  Tensor e = evaluateOne(OpKind::Exp, {x});
  llvm::ArrayRef<float> ev = e.values<float>();
  ASSERT_EQ(ev.size(), 7u);
  EXPECT_SAME_FLOAT(ev[0], 1.0f);
  EXPECT_SAME_FLOAT(ev[1], 1.0f);
  EXPECT_SAME_FLOAT(ev[2], kInf);
  EXPECT_SAME_FLOAT(ev[3], 0.0f);
  EXPECT_TRUE(std::isnan(ev[4]));
  expectNearUlps(ev[5], M_E);
  expectNearUlps(ev[6], 1 / M_E);
  // log(+-0) = -inf, log(inf) = inf, log(-inf) = log(-1) = NaN, log(1) = +0.
  expectSameFloats<float>(evaluateOne(OpKind::Log, {x}),
                          {-kInf, -kInf, kInf, kNaN, kNaN, 0.0f, kNaN});
  // sqrt(-0) = -0 (IEEE), sqrt(-inf) = sqrt(-1) = NaN.
  expectSameFloats<float>(evaluateOne(OpKind::Sqrt, {x}),
                          {0.0f, -0.0f, kInf, kNaN, kNaN, 1, kNaN});
  // sqrt is correctly rounded: sqrt(2) -> 0x3FB504F3.
  Tensor two = makeTensor<float>({1}, {2});
  expectSameFloats<float>(evaluateOne(OpKind::Sqrt, {two}),
                          {floatFromBits(0x3FB504F3u)});
  Tensor d = makeTensor<double>({3}, {4, 1, 0.25});
  expectSameFloats<double>(evaluateOne(OpKind::Sqrt, {d}), {2, 1, 0.5});
  Tensor logs = evaluateOne(OpKind::Log, {d});
  ASSERT_EQ(logs.numElements(), 3);
  EXPECT_NEAR(logs.values<double>()[0], 2 * M_LN2, 1e-15);
  EXPECT_SAME_FLOAT(logs.values<double>()[1], 0.0);
  EXPECT_NEAR(logs.values<double>()[2], -2 * M_LN2, 1e-15);
  Tensor exps = evaluateOne(OpKind::Exp, {d});
  EXPECT_NEAR(exps.values<double>()[1], M_E, 1e-15);
}

TEST(InterpreterOpsTest, SquareFloatAndIntegerWrap) {
  Tensor x = makeTensor<float>({5}, {-3, -0.0f, kNaN, -kInf, 0.5f});
  expectSameFloats<float>(evaluateOne(OpKind::Square, {x}),
                          {9, 0.0f, kNaN, kInf, 0.25f});
  // 16 * 16 = 256 -> 0; 12 * 12 = 144 -> 144 - 256 = -112;
  // (-128) * (-128) = 16384 = 64 * 256 -> 0; 11 * 11 = 121.
  Tensor i8 = makeTensor<int8_t>({4}, {16, 12, -128, -11});
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(OpKind::Square, {i8})),
            (std::vector<int8_t>{0, -112, 0, 121}));
  // 255 * 255 = 65025 = 254 * 256 + 1.
  Tensor u8 = makeTensor<uint8_t>({2}, {255, 15});
  EXPECT_EQ(valuesOf<uint8_t>(evaluateOne(OpKind::Square, {u8})),
            (std::vector<uint8_t>{1, 225}));
  // 65536^2 = 2^32 -> 0 in Int32; 46341^2 = 2147488281 -> -2147479015.
  Tensor i32 = makeTensor<int32_t>({2}, {65536, 46341});
  EXPECT_EQ(valuesOf<int32_t>(evaluateOne(OpKind::Square, {i32})),
            (std::vector<int32_t>{0, -2147479015}));
}

//===----------------------------------------------------------------------===//
// Sigmoid, Tanh, LeakyReLU, GELU
//===----------------------------------------------------------------------===//

TEST(InterpreterOpsTest, SigmoidSpecialValues) {
  // 1 / (1 + exp(-x)): x = 0 -> 1/2; -inf -> 1/(1+inf) = 0; inf -> 1;
  // -100 -> exp(100) overflows float to inf -> 0; 100 -> 1 + 3.7e-44 = 1.
  Tensor x = makeTensor<float>({7}, {0, -0.0f, -kInf, kInf, -100, 100, kNaN});
  expectSameFloats<float>(evaluateOne(OpKind::Sigmoid, {x}),
                          {0.5f, 0.5f, 0, 1, 0, 1, kNaN});
  Tensor one = makeTensor<float>({2}, {1, -1});
  Tensor r = evaluateOne(OpKind::Sigmoid, {one});
  expectNearUlps(r.values<float>()[0], 1 / (1 + std::exp(-1.0)), 3);
  expectNearUlps(r.values<float>()[1], 1 / (1 + std::exp(1.0)), 3);
  Tensor d = makeTensor<double>({2}, {0, -kInfD});
  expectSameFloats<double>(evaluateOne(OpKind::Sigmoid, {d}), {0.5, 0});
}

TEST(InterpreterOpsTest, TanhSpecialValues) {
  Tensor x = makeTensor<float>({6}, {0.0f, -0.0f, kInf, -kInf, kNaN, 20});
  expectSameFloats<float>(evaluateOne(OpKind::Tanh, {x}),
                          {0.0f, -0.0f, 1, -1, kNaN, 1});
  Tensor half = makeTensor<float>({1}, {0.5f});
  expectNearUlps(evaluateOne(OpKind::Tanh, {half}).values<float>()[0],
                 std::tanh(0.5), 2);
}

TEST(InterpreterOpsTest, LeakyReLU) {
  // x > 0 ? x : x * alpha. float(0.01) * -2 is exactly float(-0.02) (a
  // power-of-two scaling); -0.0 * 0.2 = -0.0; 0 * 0.2 = +0.
  Tensor x = makeTensor<float>({6}, {-2, 3, 0.0f, -0.0f, -kInf, kNaN});
  expectSameFloats<float>(evaluateOne(OpKind::LeakyReLU, {x}),
                          {-0.02f, 3, 0.0f, -0.0f, -kInf, kNaN});
  // alpha = 0.25 is exact: -8 -> -2; a negative alpha flips the sign.
  Tensor y = makeTensor<float>({3}, {-8, 8, -1});
  expectSameFloats<float>(
      evaluateOne(OpKind::LeakyReLU, {y}, {{"alpha", 0.25}}), {-2, 8, -0.25f});
  expectSameFloats<float>(
      evaluateOne(OpKind::LeakyReLU, {y}, {{"alpha", -1.0}}), {8, 8, 1});
  Tensor d = makeTensor<double>({2}, {-3, 2});
  expectSameFloats<double>(
      evaluateOne(OpKind::LeakyReLU, {d}, {{"alpha", 0.5}}), {-1.5, 2});
}

TEST(InterpreterOpsTest, GELUExact) {
  // x * 0.5 * (1 + erf(x / sqrt 2)): erf(+-7.07) is +-1 in float, so
  // GELU(10) = 10 * 0.5 * 2 = 10 and GELU(-10) = -5 * 0 = -0.0;
  // GELU(-inf) = -inf * 0.5 * (1 - 1) = -inf * 0 = NaN.
  Tensor x = makeTensor<float>({7}, {0.0f, -0.0f, 10, -10, kInf, -kInf, kNaN});
  expectSameFloats<float>(evaluateOne(OpKind::GELU, {x}),
                          {0.0f, -0.0f, 10, -0.0f, kInf, kNaN, kNaN});
  expectSameFloats<float>(
      evaluateOne(OpKind::GELU, {x}, {{"approximate", enumAttr("none")}}),
      {0.0f, -0.0f, 10, -0.0f, kInf, kNaN, kNaN});
  // GELU(1) = Phi(1) = 0.8413447460685429; GELU(-1) = -(1 - Phi(1)).
  Tensor one = makeTensor<float>({2}, {1, -1});
  Tensor r = evaluateOne(OpKind::GELU, {one});
  expectNearUlps(r.values<float>()[0], 0.8413447460685429, 3);
  // 1 + erf(-0.707) cancels, so a few more ulp here.
  expectNearUlps(r.values<float>()[1], -(1 - 0.8413447460685429), 16);
  Tensor d = makeTensor<double>({1}, {1});
  EXPECT_NEAR(evaluateOne(OpKind::GELU, {d}).values<double>()[0],
              0.8413447460685429, 1e-15);
}

TEST(InterpreterOpsTest, GELUTanh) {
  // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))): tanh saturates
  // to +-1 for |x| = 10, so 10 -> 10 and -10 -> -5 * 0 = -0.0.
  AttrList tanhAttr = {{"approximate", enumAttr("tanh")}};
  Tensor x = makeTensor<float>({5}, {0.0f, -0.0f, 10, -10, kNaN});
  expectSameFloats<float>(evaluateOne(OpKind::GELU, {x}, tanhAttr),
                          {0.0f, -0.0f, 10, -0.0f, kNaN});
  // 0.5 * (1 + tanh(0.7978845608 * 1.044715)) = 0.8411919906082768.
  Tensor one = makeTensor<float>({1}, {1});
  expectNearUlps(evaluateOne(OpKind::GELU, {one}, tanhAttr).values<float>()[0],
                 0.8411919906082768, 4);
}

//===----------------------------------------------------------------------===//
// Clamp
//===----------------------------------------------------------------------===//

TEST(InterpreterOpsTest, ClampFloat) {
  Tensor x =
      makeTensor<float>({8}, {-5, -1, 0.5f, 3, kNaN, -kInf, kInf, -0.0f});
  expectSameFloats<float>(
      evaluateOne(OpKind::Clamp, {x}, {{"min", -1.0}, {"max", 2.0}}),
      {-1, -1, 0.5f, 2, kNaN, -1, 2, -0.0f});
  expectSameFloats<float>(evaluateOne(OpKind::Clamp, {x}, {{"min", 0.0}}),
                          {0, 0, 0.5f, 3, kNaN, 0, kInf, -0.0f});
  expectSameFloats<float>(evaluateOne(OpKind::Clamp, {x}, {{"max", -2.0}}),
                          {-5, -2, -2, -2, kNaN, -kInf, -2, -2});
  // min == max pins every number.
  expectSameFloats<float>(
      evaluateOne(OpKind::Clamp, {x}, {{"min", 1.5}, {"max", 1.5}}),
      {1.5f, 1.5f, 1.5f, 1.5f, kNaN, 1.5f, 1.5f, 1.5f});
  // The bound is converted to the element type: 0.1 -> float(0.1).
  Tensor small = makeTensor<float>({1}, {0});
  expectSameFloats<float>(evaluateOne(OpKind::Clamp, {small}, {{"min", 0.1}}),
                          {0.1f});
  Tensor d = makeTensor<double>({3}, {-1e300, 0.1, 1e300});
  expectSameFloats<double>(
      evaluateOne(OpKind::Clamp, {d}, {{"min", -1.0}, {"max", 1.0}}),
      {-1, 0.1, 1});
}

TEST(InterpreterOpsTest, ClampIntegers) {
  Tensor i8 = makeTensor<int8_t>({5}, {-128, -4, 5, 100, 127});
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(OpKind::Clamp, {i8},
                                         {{"min", -3.0}, {"max", 99.0}})),
            (std::vector<int8_t>{-3, -3, 5, 99, 99}));
  // Bounds at the type's limits change nothing.
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(OpKind::Clamp, {i8},
                                         {{"min", -128.0}, {"max", 127.0}})),
            (std::vector<int8_t>{-128, -4, 5, 100, 127}));
  Tensor u8 = makeTensor<uint8_t>({3}, {0, 200, 255});
  EXPECT_EQ(
      valuesOf<uint8_t>(evaluateOne(OpKind::Clamp, {u8}, {{"max", 199.0}})),
      (std::vector<uint8_t>{0, 199, 199}));
  constexpr int64_t big = int64_t(1) << 62;
  Tensor i64 = makeTensor<int64_t>({3}, {std::numeric_limits<int64_t>::min(), 0,
                                         std::numeric_limits<int64_t>::max()});
  EXPECT_EQ(valuesOf<int64_t>(evaluateOne(OpKind::Clamp, {i64},
                                          {{"min", -static_cast<double>(big)},
                                           {"max", static_cast<double>(big)}})),
            (std::vector<int64_t>{-big, 0, big}));
  Tensor i16 = makeTensor<int16_t>({2}, {-300, 300});
  EXPECT_EQ(
      valuesOf<int16_t>(evaluateOne(OpKind::Clamp, {i16}, {{"min", 0.0}})),
      (std::vector<int16_t>{0, 300}));
}

//===----------------------------------------------------------------------===//
// Quantize, Dequantize
//===----------------------------------------------------------------------===//

TEST(InterpreterOpsTest, QuantizeUInt8RoundsHalfToEvenAndSaturates) {
  // scale 0.5 -> x * 2, zero point 10: 1.25 -> 2.5 -> 2 -> 12;
  // 1.75 -> 3.5 -> 4 -> 14; -0.25 -> -0.5 -> -0 -> 10; 200 -> 410 -> 255;
  // -100 -> -190 -> 0; NaN -> qmin = 0; +inf -> 255; -inf -> 0.
  Tensor x = makeTensor<float>(
      {8}, {1.25f, 1.75f, -0.25f, 200, -100, kNaN, kInf, -kInf});
  Tensor q = evaluateOne(
      OpKind::Quantize, {x},
      {{"scale", 0.5}, {"zero_point", 10}, {"dtype", enumAttr("UInt8")}});
  EXPECT_EQ(valuesOf<uint8_t>(q),
            (std::vector<uint8_t>{12, 14, 10, 255, 0, 0, 255, 0}));
}

TEST(InterpreterOpsTest, QuantizeInt8Ties) {
  // scale 1: ties go to the even neighbour; 127.5 -> 128 -> 127 and
  // -128.5 -> -128; NaN -> qmin = -128. Without zero_point it is 0.
  Tensor x = makeTensor<float>({10}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f,
                                      127.5f, -128.5f, kNaN, -0.0f});
  Tensor q = evaluateOne(OpKind::Quantize, {x},
                         {{"scale", 1.0}, {"dtype", enumAttr("Int8")}});
  EXPECT_EQ(valuesOf<int8_t>(q),
            (std::vector<int8_t>{0, 2, 2, 0, -2, -2, 127, -128, -128, 0}));
}

TEST(InterpreterOpsTest, QuantizeMultipliesByTheRoundedReciprocal) {
  // fl(1 / 0.1f) = 10.0f, and 11.15f * 10.0f rounds to 111.5 exactly, so
  // the level is roundeven(111.5) = 112; a true division 11.15f / 0.1f
  // gives 111.49999 (level 111). Likewise -14.349999f -> -143.5 -> -144,
  // which saturates to -128.
  Tensor x = makeTensor<float>({2}, {11.15f, -14.349999f});
  Tensor q = evaluateOne(OpKind::Quantize, {x},
                         {{"scale", 0.1}, {"dtype", enumAttr("Int8")}});
  EXPECT_EQ(valuesOf<int8_t>(q), (std::vector<int8_t>{112, -128}));
}

TEST(InterpreterOpsTest, QuantizeInt32Extremes) {
  constexpr int32_t i32min = std::numeric_limits<int32_t>::min();
  constexpr int32_t i32max = std::numeric_limits<int32_t>::max();
  // 2^31 - 128 is the largest float below 2^31; 2^31 itself and beyond
  // clamp to INT32_MAX; the infinities saturate; NaN is qmin.
  Tensor x = makeTensor<float>({9}, {3e9f, -3e9f, 2147483520.0f, 2147483648.0f,
                                     -2147483648.0f, 1e30f, kInf, -kInf, kNaN});
  Tensor q = evaluateOne(OpKind::Quantize, {x},
                         {{"scale", 1.0}, {"dtype", enumAttr("Int32")}});
  EXPECT_EQ(valuesOf<int32_t>(q),
            (std::vector<int32_t>{i32max, i32min, 2147483520, i32max, i32min,
                                  i32max, i32max, i32min, i32min}));
  // The zero point is added as a float: float(2^31 - 1) = 2^31, so 0 maps
  // to 2^31 -> INT32_MAX and -256 to 2^31 - 256 = 2147483392.
  Tensor y = makeTensor<float>({2}, {0, -256});
  Tensor r = evaluateOne(OpKind::Quantize, {y},
                         {{"scale", 1.0},
                          {"zero_point", int64_t(i32max)},
                          {"dtype", enumAttr("Int32")}});
  EXPECT_EQ(valuesOf<int32_t>(r), (std::vector<int32_t>{i32max, 2147483392}));
}

TEST(InterpreterOpsTest, QuantizePerAxis) {
  // [2, 3] along axis 1: scales [1, 0.5, 0.25] (x * 1, 2, 4), zero points
  // [0, 1, -1]. Row 0: 1 -> 1; 1 * 2 + 1 = 3; 1 * 4 - 1 = 3. Row 1:
  // -2.5 -> -2; 2.5 * 2 = 5 -> 6; 0.1 * 4 = 0.4 -> 0 -> -1.
  Tensor x = makeTensor<float>({2, 3}, {1, 1, 1, -2.5f, 2.5f, 0.1f});
  AttrList attrs = {{"scale", Floats{1, 0.5, 0.25}},
                    {"zero_point", Ints{0, 1, -1}},
                    {"axis", 1},
                    {"dtype", enumAttr("Int8")}};
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(OpKind::Quantize, {x}, attrs)),
            (std::vector<int8_t>{1, 3, 3, -2, 6, -1}));
  // Along axis -2 (rows): scales [0.5, 2] zero points [3, 0] (UInt8):
  // row 0: x * 2 + 3 -> 5, 5, 5; row 1: x / 2 -> -1.25 -> -1 -> 0 (clamped),
  // 1.25 -> 1, 0.05 -> 0.
  AttrList rows = {{"scale", Floats{0.5, 2}},
                   {"zero_point", Ints{3, 0}},
                   {"axis", -2},
                   {"dtype", enumAttr("UInt8")}};
  EXPECT_EQ(valuesOf<uint8_t>(evaluateOne(OpKind::Quantize, {x}, rows)),
            (std::vector<uint8_t>{5, 5, 5, 0, 1, 0}));
}

TEST(InterpreterOpsTest, Dequantize) {
  // (q - zp) * s: (0 - 100) * 0.5 = -50; 0; (255 - 100) * 0.5 = 77.5.
  Tensor u8 = makeTensor<uint8_t>({3}, {0, 100, 255});
  expectSameFloats<float>(evaluateOne(OpKind::Dequantize, {u8},
                                      {{"scale", 0.5}, {"zero_point", 100}}),
                          {-50, 0, 77.5f});
  // Per channel along axis 0 of Int8 [2, 2]: scales [2, 0.25], zp [-1, 4].
  Tensor i8 = makeTensor<int8_t>({2, 2}, {-128, 127, 4, 0});
  expectSameFloats<float>(evaluateOne(OpKind::Dequantize, {i8},
                                      {{"scale", Floats{2, 0.25}},
                                       {"zero_point", Ints{-1, 4}},
                                       {"axis", 0}}),
                          {-254, 256, 0, -1});
  // Int32 converts to float first: float(2^31 - 1) = 2^31, and
  // float(-2^31) - float(5) = -2147483653 rounds to -2^31.
  Tensor i32 = makeTensor<int32_t>({2}, {std::numeric_limits<int32_t>::max(),
                                         std::numeric_limits<int32_t>::min()});
  expectSameFloats<float>(
      evaluateOne(OpKind::Dequantize, {i32}, {{"scale", 1.0}}),
      {2147483648.0f, -2147483648.0f});
  expectSameFloats<float>(evaluateOne(OpKind::Dequantize, {i32},
                                      {{"scale", 1.0}, {"zero_point", 5}}),
                          {2147483648.0f, -2147483648.0f});
}

//===----------------------------------------------------------------------===//
// MatMul, Transpose
//===----------------------------------------------------------------------===//

TEST(InterpreterOpsTest, MatMul2D) {
  // [[1,2,3],[4,5,6]] x [[7,8],[9,10],[11,12]]:
  // 1*7+2*9+3*11 = 58, 1*8+2*10+3*12 = 64, 4*7+5*9+6*11 = 139,
  // 4*8+5*10+6*12 = 154.
  Tensor a = makeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = makeTensor<float>({3, 2}, {7, 8, 9, 10, 11, 12});
  Tensor r = evaluateOne(OpKind::MatMul, {a, b});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{2, 2}));
  expectSameFloats<float>(r, {58, 64, 139, 154});
  Tensor ai = makeTensor<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor bi = makeTensor<int32_t>({3, 2}, {7, 8, 9, 10, 11, 12});
  EXPECT_EQ(valuesOf<int32_t>(evaluateOne(OpKind::MatMul, {ai, bi})),
            (std::vector<int32_t>{58, 64, 139, 154}));
}

TEST(InterpreterOpsTest, MatMulBatchBroadcast) {
  // A [2, 1, 2, 2] = (I, 2I), B [3, 2, 2] = (P, Q, R): C [2, 3, 2, 2] with
  // C[0][j] = B[j] and C[1][j] = 2 B[j].
  Tensor a = makeTensor<double>({2, 1, 2, 2}, {1, 0, 0, 1, 2, 0, 0, 2});
  Tensor b =
      makeTensor<double>({3, 2, 2}, {1, 2, 3, 4, 0, 1, 1, 0, 5, 0, 0, 5});
  Tensor r = evaluateOne(OpKind::MatMul, {a, b});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{2, 3, 2, 2}));
  expectSameFloats<double>(r, {1, 2, 3, 4, 0, 1, 1, 0, 5,  0, 0, 5, //
                               2, 4, 6, 8, 0, 2, 2, 0, 10, 0, 0, 10});
  // A 2-D operand against a batch: [2, 2] x [2, 2, 1].
  Tensor m = makeTensor<double>({2, 2}, {1, 2, 3, 4});
  Tensor v = makeTensor<double>({2, 2, 1}, {1, 0, 0, 1});
  Tensor s = evaluateOne(OpKind::MatMul, {m, v});
  EXPECT_EQ(s.shape(), (llvm::ArrayRef<int64_t>{2, 2, 1}));
  expectSameFloats<double>(s, {1, 3, 2, 4});
}

TEST(InterpreterOpsTest, MatMulSumsInRowMajorOrder) {
  // (0 + 1e8) + 1 rounds back to 1e8 in float, then - 1e8 = 0: the sum runs
  // k = 0, 1, 2 in order (any other order could give 1).
  Tensor a = makeTensor<float>({1, 3}, {1e8f, 1, -1e8f});
  Tensor b = makeTensor<float>({3, 1}, {1, 1, 1});
  expectSameFloats<float>(evaluateOne(OpKind::MatMul, {a, b}), {0});
  // inf * 0 = NaN; -0 * 1 + 0 starts from +0: 0 + -0 = +0.
  Tensor c = makeTensor<float>({2, 2}, {kInf, 1, -0.0f, -0.0f});
  Tensor d = makeTensor<float>({2, 1}, {0, 1});
  expectSameFloats<float>(evaluateOne(OpKind::MatMul, {c, d}), {kNaN, 0.0f});
}

TEST(InterpreterOpsTest, MatMulIntegersWrapAndEmptyK) {
  // 100 * 1 + 100 * 2 = 300 -> 44 in Int8; UInt8: 16 * 16 + 1 = 257 -> 1.
  Tensor a = makeTensor<int8_t>({1, 2}, {100, 100});
  Tensor b = makeTensor<int8_t>({2, 1}, {1, 2});
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(OpKind::MatMul, {a, b})),
            (std::vector<int8_t>{44}));
  Tensor c = makeTensor<uint8_t>({1, 2}, {16, 1});
  Tensor d = makeTensor<uint8_t>({2, 1}, {16, 1});
  EXPECT_EQ(valuesOf<uint8_t>(evaluateOne(OpKind::MatMul, {c, d})),
            (std::vector<uint8_t>{1}));
  // K = 0: every element is the empty sum 0.
  Tensor e(TensorType{DataType::Float32, {2, 0}});
  Tensor f(TensorType{DataType::Float32, {0, 3}});
  Tensor r = evaluateOne(OpKind::MatMul, {e, f});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{2, 3}));
  expectSameFloats<float>(r, {0, 0, 0, 0, 0, 0});
}

TEST(InterpreterOpsTest, Transpose) {
  // Default perm reverses: [2, 3] -> [3, 2].
  Tensor x = makeTensor<int32_t>({2, 3}, {0, 1, 2, 3, 4, 5});
  Tensor t = evaluateOne(OpKind::Transpose, {x});
  EXPECT_EQ(t.shape(), (llvm::ArrayRef<int64_t>{3, 2}));
  EXPECT_EQ(valuesOf<int32_t>(t), (std::vector<int32_t>{0, 3, 1, 4, 2, 5}));
  // [2, 3, 4] with perm [1, 2, 0]: out shape [3, 4, 2] and
  // out[i][j][k] = in[k][i][j] = 12k + 4i + j.
  std::vector<int32_t> values(24);
  for (int i = 0; i < 24; ++i)
    values[i] = i;
  Tensor y = makeTensor<int32_t>({2, 3, 4}, values);
  Tensor p = evaluateOne(OpKind::Transpose, {y}, {{"perm", Ints{1, 2, 0}}});
  EXPECT_EQ(p.shape(), (llvm::ArrayRef<int64_t>{3, 4, 2}));
  std::vector<int32_t> expected;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 2; ++k)
        expected.push_back(12 * k + 4 * i + j);
  EXPECT_EQ(valuesOf<int32_t>(p), expected);
  // The identity permutation and a Bool tensor.
  Tensor flags = makeBools({2, 2}, {true, false, false, false});
  Tensor ft = evaluateOne(OpKind::Transpose, {flags});
  EXPECT_EQ(boolsOf(ft), (std::vector<bool>{true, false, false, false}));
  Tensor g = makeBools({1, 3}, {true, false, true});
  EXPECT_EQ(
      boolsOf(evaluateOne(OpKind::Transpose, {g}, {{"perm", Ints{0, 1}}})),
      (std::vector<bool>{true, false, true}));
}

//===----------------------------------------------------------------------===//
// Conv2D
//===----------------------------------------------------------------------===//

std::vector<float> iota(int n, float start = 1) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i)
    v[i] = start + i;
  return v;
}

TEST(InterpreterOpsTest, Conv2DBasic) {
  // 3x3 input 1..9, 2x2 weight [[1, 0], [0, 1]]:
  // out[y][x] = in[y][x] + in[y+1][x+1] = [[1+5, 2+6], [4+8, 5+9]].
  Tensor x = makeTensor<float>({1, 1, 3, 3}, iota(9));
  Tensor w = makeTensor<float>({1, 1, 2, 2}, {1, 0, 0, 1});
  Tensor r = evaluateOne(OpKind::Conv2D, {x, w});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{1, 1, 2, 2}));
  expectSameFloats<float>(r, {6, 8, 12, 14});
}

TEST(InterpreterOpsTest, Conv2DStrideAndPadding) {
  // 3x3 input 1..9, 3x3 ones, stride 2, padding 1 -> 2x2; the windows start
  // at -1 and 1, so they cover rows/columns {0,1} and {1,2}:
  // 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28.
  Tensor x = makeTensor<float>({1, 1, 3, 3}, iota(9));
  Tensor w = makeTensor<float>({1, 1, 3, 3}, std::vector<float>(9, 1));
  expectSameFloats<float>(
      evaluateOne(OpKind::Conv2D, {x, w}, {{"stride", 2}, {"padding", 1}}),
      {12, 16, 24, 28});
  // Stride [2, 1], padding [0, 1] on [[1,2],[3,4],[5,6]] with weight [1, 1]
  // (1x2): out [2, 3], out[y][x] = in[2y][x-1] + in[2y][x] (0 outside):
  // row 0: 0+1, 1+2, 2+0; row 1: 0+5, 5+6, 6+0.
  Tensor y = makeTensor<float>({1, 1, 3, 2}, iota(6));
  Tensor k = makeTensor<float>({1, 1, 1, 2}, {1, 1});
  Tensor r = evaluateOne(OpKind::Conv2D, {y, k},
                         {{"stride", Ints{2, 1}}, {"padding", Ints{0, 1}}});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{1, 1, 2, 3}));
  expectSameFloats<float>(r, {1, 3, 2, 5, 11, 6});
}

TEST(InterpreterOpsTest, Conv2DDilation) {
  // in[h][w] = 5h + w (5x5), weight [[1, 2], [3, 4]], dilation 2 (extent 3)
  // -> 3x3: 1 in[y][x] + 2 in[y][x+2] + 3 in[y+2][x] + 4 in[y+2][x+2]
  // = 10 (5y + x) + 2*2 + 3*10 + 4*12 = 50y + 10x + 82.
  Tensor x = makeTensor<double>({1, 1, 5, 5}, [] {
    std::vector<double> v(25);
    for (int i = 0; i < 25; ++i)
      v[i] = i;
    return v;
  }());
  Tensor w = makeTensor<double>({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor r = evaluateOne(OpKind::Conv2D, {x, w}, {{"dilation", 2}});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{1, 1, 3, 3}));
  expectSameFloats<double>(r, {82, 92, 102, 132, 142, 152, 182, 192, 202});
  // Dilation [1, 3] on the same input with a 1x2 weight [1, -1]:
  // out[y][x] = in[y][x] - in[y][x+3] = -3 everywhere, shape [5, 2].
  Tensor k = makeTensor<double>({1, 1, 1, 2}, {1, -1});
  Tensor s = evaluateOne(OpKind::Conv2D, {x, k}, {{"dilation", Ints{1, 3}}});
  EXPECT_EQ(s.shape(), (llvm::ArrayRef<int64_t>{1, 1, 5, 2}));
  expectSameFloats<double>(s, std::vector<double>(10, -3));
}

TEST(InterpreterOpsTest, Conv2DGroupsAndBias) {
  // C = 4 channels [1, 2, 3, 4] (1x1 each), O = 4, groups 2: outputs 0 and 1
  // read channels 0 and 1, outputs 2 and 3 read channels 2 and 3.
  // w = [[1, 10], [2, 20], [3, 30], [4, 40]]:
  // o0 = 1*1 + 10*2 = 21, o1 = 2 + 40 = 42, o2 = 3*3 + 30*4 = 129,
  // o3 = 4*3 + 40*4 = 172; bias [0.5, -1, 100, 0].
  Tensor x = makeTensor<float>({1, 4, 1, 1}, {1, 2, 3, 4});
  Tensor w = makeTensor<float>({4, 2, 1, 1}, {1, 10, 2, 20, 3, 30, 4, 40});
  Tensor bias = makeTensor<float>({4}, {0.5f, -1, 100, 0});
  expectSameFloats<float>(
      evaluateOne(OpKind::Conv2D, {x, w, bias}, {{"groups", 2}}),
      {21.5f, 41, 229, 172});
  // Depthwise over a batch of 2: groups = C = 2, w = [10, 100].
  Tensor b2 = makeTensor<float>({2, 2, 1, 1}, {1, 2, 3, 4});
  Tensor dw = makeTensor<float>({2, 1, 1, 1}, {10, 100});
  expectSameFloats<float>(
      evaluateOne(OpKind::Conv2D, {b2, dw}, {{"groups", 2}}),
      {10, 200, 30, 400});
  // Two output channels per group with a 2x1 kernel, groups 2, stride 1,
  // padding [1, 0]: input channels c0 = [1, 2], c1 = [3, 4] (2x1 each);
  // o0 (w [1, 1] on c0): rows -1..0, 0..1, 1..2 -> 1, 3, 2;
  // o1 (w [1, -1] on c0): -1, -1, 2;
  // o2 (w [2, 0] on c1): 0, 6, 8; o3 (w [0, 1] on c1): 3, 4, 0.
  Tensor g = makeTensor<float>({1, 2, 2, 1}, {1, 2, 3, 4});
  Tensor gw = makeTensor<float>({4, 1, 2, 1}, {1, 1, 1, -1, 2, 0, 0, 1});
  Tensor r = evaluateOne(OpKind::Conv2D, {g, gw},
                         {{"groups", 2}, {"padding", Ints{1, 0}}});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{1, 4, 3, 1}));
  expectSameFloats<float>(r, {1, 3, 2, -1, -1, 2, 0, 6, 8, 3, 4, 0});
}

TEST(InterpreterOpsTest, Conv2DPaddingIsZeros) {
  // A padding cell is a 0 multiplied by its weight, as PyTorch's zero
  // padding: 0 * inf = NaN.
  Tensor x = makeTensor<float>({1, 1, 1, 1}, {2});
  Tensor w = makeTensor<float>({1, 1, 3, 3}, {kInf, 0, 0, 0, 3, 0, 0, 0, 0});
  expectSameFloats<float>(evaluateOne(OpKind::Conv2D, {x, w}, {{"padding", 1}}),
                          {kNaN});
  Tensor finite = makeTensor<float>({1, 1, 3, 3}, {5, 0, 0, 0, 3, 0, 0, 0, 0});
  expectSameFloats<float>(
      evaluateOne(OpKind::Conv2D, {x, finite}, {{"padding", 1}}), {6});
}

//===----------------------------------------------------------------------===//
// MaxPool2D, AvgPool2D
//===----------------------------------------------------------------------===//

TEST(InterpreterOpsTest, MaxPool) {
  // 3x3 input 1..9, kernel 2, stride 1: [[5, 6], [8, 9]].
  Tensor x = makeTensor<float>({1, 1, 3, 3}, iota(9));
  expectSameFloats<float>(
      evaluateOne(OpKind::MaxPool2D, {x}, {{"kernel_size", 2}, {"stride", 1}}),
      {5, 6, 8, 9});
  // Stride defaults to the kernel: kernel 2 on 3x3 -> 1x1 (rows/cols 0..1).
  expectSameFloats<float>(
      evaluateOne(OpKind::MaxPool2D, {x}, {{"kernel_size", 2}}), {5});
}

TEST(InterpreterOpsTest, MaxPoolPaddingIsNeverAValue) {
  // All-negative input -1..-9, kernel 3, stride 2, padding 1: the windows
  // cover {0,1}x{0,1}, {0,1}x{1,2}, {1,2}x{0,1}, {1,2}x{1,2}; a padding 0
  // would win everywhere.
  Tensor x = makeTensor<float>({1, 1, 3, 3}, iota(9, 1));
  for (float &v : x.values<float>())
    v = -v;
  expectSameFloats<float>(
      evaluateOne(OpKind::MaxPool2D, {x},
                  {{"kernel_size", 3}, {"stride", 2}, {"padding", 1}}),
      {-1, -2, -4, -5});
  Tensor i8 = makeTensor<int8_t>({1, 1, 2, 2}, {-128, -100, -128, -128});
  EXPECT_EQ(valuesOf<int8_t>(evaluateOne(
                OpKind::MaxPool2D, {i8},
                {{"kernel_size", 2}, {"stride", 1}, {"padding", 1}})),
            (std::vector<int8_t>{-128, -100, -100, -128, -100, -100, -128, -128,
                                 -128}));
}

TEST(InterpreterOpsTest, MaxPoolNaNAndZeros) {
  // A NaN anywhere in a window wins; +0.0 is larger than -0.0.
  Tensor x = makeTensor<float>({1, 1, 2, 4}, {1, kNaN, -0.0f, 0.0f, //
                                              5, 2, -0.0f, -0.0f});
  expectSameFloats<float>(
      evaluateOne(OpKind::MaxPool2D, {x}, {{"kernel_size", 2}}), {kNaN, 0.0f});
  Tensor allNegZero = makeTensor<float>({1, 1, 1, 2}, {-0.0f, -0.0f});
  expectSameFloats<float>(evaluateOne(OpKind::MaxPool2D, {allNegZero},
                                      {{"kernel_size", Ints{1, 2}}}),
                          {-0.0f});
}

TEST(InterpreterOpsTest, AvgPoolCountIncludePad) {
  // 3x3 input 1..9, kernel 2, stride 2, padding 1 -> 2x2 windows over rows
  // {0}, {1,2} and columns {0}, {1,2}: sums 1, 2+3 = 5, 4+7 = 11,
  // 5+6+8+9 = 28. With count_include_pad (the default) the divisor is 4
  // for every window; without it, the number of real cells (1, 2, 2, 4).
  Tensor x = makeTensor<float>({1, 1, 3, 3}, iota(9));
  AttrList attrs = {{"kernel_size", 2}, {"stride", 2}, {"padding", 1}};
  expectSameFloats<float>(evaluateOne(OpKind::AvgPool2D, {x}, attrs),
                          {0.25f, 1.25f, 2.75f, 7});
  AttrList include = attrs;
  include.push_back({"count_include_pad", true});
  expectSameFloats<float>(evaluateOne(OpKind::AvgPool2D, {x}, include),
                          {0.25f, 1.25f, 2.75f, 7});
  AttrList exclude = attrs;
  exclude.push_back({"count_include_pad", false});
  expectSameFloats<float>(evaluateOne(OpKind::AvgPool2D, {x}, exclude),
                          {1, 2.5f, 5.5f, 7});
  // Kernel 3, stride 2, padding 1: sums 12, 16, 24, 28 over 9 cells (with
  // padding) or 4 real cells.
  AttrList k3 = {{"kernel_size", 3}, {"stride", 2}, {"padding", 1}};
  expectSameFloats<float>(evaluateOne(OpKind::AvgPool2D, {x}, k3),
                          {12.0f / 9, 16.0f / 9, 24.0f / 9, 28.0f / 9});
  k3.push_back({"count_include_pad", false});
  expectSameFloats<float>(evaluateOne(OpKind::AvgPool2D, {x}, k3),
                          {3, 4, 6, 7});
}

TEST(InterpreterOpsTest, AvgPoolRectangularAndSpecialValues) {
  // Kernel [1, 3], stride [1, 2], padding [0, 1] on a 2x4 Float64 input:
  // columns -1..1 and 1..3 -> row 0 [1 2 3 4]: (1+2)/3, (2+3+4)/3.
  Tensor x = makeTensor<double>({1, 1, 2, 4}, {1, 2, 3, 4, 0, 0, 6, 3});
  expectSameFloats<double>(evaluateOne(OpKind::AvgPool2D, {x},
                                       {{"kernel_size", Ints{1, 3}},
                                        {"stride", Ints{1, 2}},
                                        {"padding", Ints{0, 1}}}),
                           {1, 3, 0, 3});
  Tensor y = makeTensor<float>({1, 1, 2, 2}, {kNaN, 1, kInf, 1});
  expectSameFloats<float>(
      evaluateOne(OpKind::AvgPool2D, {y}, {{"kernel_size", Ints{1, 2}}}),
      {kNaN, kInf});
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

TEST(InterpreterOpsTest, ReduceAxesAndKeepDims) {
  Tensor x = makeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor s0 = evaluateOne(OpKind::ReduceSum, {x}, {{"axes", Ints{0}}});
  EXPECT_EQ(s0.shape(), (llvm::ArrayRef<int64_t>{3}));
  expectSameFloats<float>(s0, {5, 7, 9});
  expectSameFloats<float>(
      evaluateOne(OpKind::ReduceSum, {x}, {{"axes", Ints{-1}}}), {6, 15});
  Tensor all = evaluateOne(OpKind::ReduceSum, {x});
  EXPECT_TRUE(all.shape().empty());
  expectSameFloats<float>(all, {21});
  Tensor kept = evaluateOne(OpKind::ReduceSum, {x},
                            {{"axes", Ints{1}}, {"keep_dims", true}});
  EXPECT_EQ(kept.shape(), (llvm::ArrayRef<int64_t>{2, 1}));
  expectSameFloats<float>(kept, {6, 15});
  Tensor keptAll = evaluateOne(OpKind::ReduceMax, {x}, {{"keep_dims", true}});
  EXPECT_EQ(keptAll.shape(), (llvm::ArrayRef<int64_t>{1, 1}));
  expectSameFloats<float>(keptAll, {6});
  expectSameFloats<float>(
      evaluateOne(OpKind::ReduceMean, {x}, {{"axes", Ints{-1}}}), {2, 5});
  expectSameFloats<float>(
      evaluateOne(OpKind::ReduceMax, {x}, {{"axes", Ints{-2}}}), {4, 5, 6});
  expectSameFloats<float>(evaluateOne(OpKind::ReduceMin, {x}), {1});
  // [2, 2, 2] = 0..7 over axes [2, 0] (any order), keep_dims -> [1, 2, 1]:
  // j = 0: 0+1+4+5 = 10, j = 1: 2+3+6+7 = 18; mean 10/4, 18/4.
  Tensor y = makeTensor<double>({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  AttrList attrs = {{"axes", Ints{2, -3}}, {"keep_dims", true}};
  Tensor s = evaluateOne(OpKind::ReduceSum, {y}, attrs);
  EXPECT_EQ(s.shape(), (llvm::ArrayRef<int64_t>{1, 2, 1}));
  expectSameFloats<double>(s, {10, 18});
  expectSameFloats<double>(evaluateOne(OpKind::ReduceMean, {y}, attrs),
                           {2.5, 4.5});
  expectSameFloats<double>(evaluateOne(OpKind::ReduceMin, {y}, attrs), {0, 2});
  // Mean of three values: 4 / 3 in float.
  Tensor z = makeTensor<float>({3}, {1, 1, 2});
  expectSameFloats<float>(evaluateOne(OpKind::ReduceMean, {z}), {4.0f / 3.0f});
}

TEST(InterpreterOpsTest, ReduceSpecialValues) {
  Tensor x = makeTensor<float>({2, 3}, {1, kNaN, 3, kInf, -kInf, 2});
  expectSameFloats<float>(
      evaluateOne(OpKind::ReduceMax, {x}, {{"axes", Ints{1}}}), {kNaN, kInf});
  expectSameFloats<float>(
      evaluateOne(OpKind::ReduceMin, {x}, {{"axes", Ints{1}}}), {kNaN, -kInf});
  expectSameFloats<float>(
      evaluateOne(OpKind::ReduceSum, {x}, {{"axes", Ints{1}}}), {kNaN, kNaN});
  // Signed zeros: the sum starts at +0 (0 + -0 + -0 = +0); max picks +0,
  // min -0.
  Tensor z = makeTensor<float>({2}, {-0.0f, -0.0f});
  expectSameFloats<float>(evaluateOne(OpKind::ReduceSum, {z}), {0.0f});
  Tensor mixed = makeTensor<float>({2}, {-0.0f, 0.0f});
  expectSameFloats<float>(evaluateOne(OpKind::ReduceMax, {mixed}), {0.0f});
  expectSameFloats<float>(evaluateOne(OpKind::ReduceMin, {mixed}), {-0.0f});
  // Row-major order: (1e8 + 1) - 1e8 = 0 in float.
  Tensor order = makeTensor<float>({3}, {1e8f, 1, -1e8f});
  expectSameFloats<float>(evaluateOne(OpKind::ReduceSum, {order}), {0});
}

TEST(InterpreterOpsTest, ReduceEmptyAndIntegers) {
  // Reducing an empty axis: sum 0, mean 0 / 0 = NaN.
  Tensor e(TensorType{DataType::Float32, {2, 0}});
  expectSameFloats<float>(
      evaluateOne(OpKind::ReduceSum, {e}, {{"axes", Ints{1}}}), {0, 0});
  expectSameFloats<float>(
      evaluateOne(OpKind::ReduceMean, {e}, {{"axes", Ints{1}}}), {kNaN, kNaN});
  // Reducing the non-empty axis of an empty tensor: an empty result.
  EXPECT_EQ(
      evaluateOne(OpKind::ReduceMax, {e}, {{"axes", Ints{0}}}).numElements(),
      0);
  // Int8 sum wraps: 100 * 3 = 300 -> 44; max/min are signed.
  Tensor i8 = makeTensor<int8_t>({2, 3}, {100, 100, 100, -128, 127, -1});
  EXPECT_EQ(valuesOf<int8_t>(
                evaluateOne(OpKind::ReduceSum, {i8}, {{"axes", Ints{1}}})),
            (std::vector<int8_t>{44, -2}));
  EXPECT_EQ(valuesOf<int8_t>(
                evaluateOne(OpKind::ReduceMax, {i8}, {{"axes", Ints{0}}})),
            (std::vector<int8_t>{100, 127, 100}));
  EXPECT_EQ(valuesOf<int8_t>(
                evaluateOne(OpKind::ReduceMin, {i8}, {{"axes", Ints{0}}})),
            (std::vector<int8_t>{-128, 100, -1}));
  Tensor u8 = makeTensor<uint8_t>({2}, {200, 100});
  EXPECT_EQ(valuesOf<uint8_t>(evaluateOne(OpKind::ReduceSum, {u8})),
            (std::vector<uint8_t>{44}));
  EXPECT_EQ(valuesOf<uint8_t>(evaluateOne(OpKind::ReduceMax, {u8})),
            (std::vector<uint8_t>{200}));
  Tensor i64 =
      makeTensor<int64_t>({2}, {std::numeric_limits<int64_t>::max(), 1});
  EXPECT_EQ(valuesOf<int64_t>(evaluateOne(OpKind::ReduceSum, {i64})),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::min()}));
}

//===----------------------------------------------------------------------===//
// Softmax, LogSoftmax
//===----------------------------------------------------------------------===//

constexpr float kLn2 = 0.693147182464599609375f; // ln 2 rounded: 0x3F317218

TEST(InterpreterOpsTest, SoftmaxOfLargeValuesIsStable) {
  // Without subtracting the max, exp(1000) would be inf and inf / inf NaN.
  Tensor x = makeTensor<float>({3, 2}, {1000, 1000, 1000, 0, 1e30f, 1e30f});
  expectSameFloats<float>(evaluateOne(OpKind::Softmax, {x}),
                          {0.5f, 0.5f, 1, 0, 0.5f, 0.5f});
  // log softmax: (x - m) - log(s): [0 - ln 2, 0 - ln 2], [0 - 0, -1000 - 0].
  expectSameFloats<float>(evaluateOne(OpKind::LogSoftmax, {x}),
                          {-kLn2, -kLn2, 0, -1000, -kLn2, -kLn2});
  Tensor four = makeTensor<double>({4}, {100, 100, 100, 100});
  expectSameFloats<double>(evaluateOne(OpKind::Softmax, {four}),
                           {0.25, 0.25, 0.25, 0.25});
}

TEST(InterpreterOpsTest, SoftmaxAxes) {
  // exp(0) = 1 and exp(-inf) = 0 keep every value exact.
  Tensor x = makeTensor<float>({2, 3}, {0, -kInf, 0, -kInf, -kInf, 0});
  // Along the last axis: row 0: m = 0, e = [1, 0, 1], s = 2; row 1: [0, 0, 1].
  expectSameFloats<float>(evaluateOne(OpKind::Softmax, {x}),
                          {0.5f, 0, 0.5f, 0, 0, 1});
  expectSameFloats<float>(evaluateOne(OpKind::Softmax, {x}, {{"axis", 1}}),
                          {0.5f, 0, 0.5f, 0, 0, 1});
  // Along axis 0 (columns): [0, -inf] -> [1, 0]; [-inf, -inf]: m = -inf and
  // -inf - -inf = NaN; [0, 0] -> [0.5, 0.5].
  expectSameFloats<float>(evaluateOne(OpKind::Softmax, {x}, {{"axis", -2}}),
                          {1, kNaN, 0.5f, 0, kNaN, 0.5f});
  expectSameFloats<float>(evaluateOne(OpKind::LogSoftmax, {x}),
                          {-kLn2, -kInf, -kLn2, -kInf, -kInf, 0});
  // A NaN anywhere in a line makes the whole line NaN.
  Tensor n = makeTensor<float>({3}, {1, kNaN, 2});
  expectSameFloats<float>(evaluateOne(OpKind::Softmax, {n}),
                          {kNaN, kNaN, kNaN});
  expectSameFloats<float>(evaluateOne(OpKind::LogSoftmax, {n}),
                          {kNaN, kNaN, kNaN});
}

TEST(InterpreterOpsTest, SoftmaxGeneralValues) {
  // [0, ln 3] -> [1/4, 3/4] up to rounding of exp and ln.
  Tensor x = makeTensor<double>({2}, {0, std::log(3.0)});
  Tensor r = evaluateOne(OpKind::Softmax, {x});
  EXPECT_NEAR(r.values<double>()[0], 0.25, 1e-15);
  EXPECT_NEAR(r.values<double>()[1], 0.75, 1e-15);
  Tensor l = evaluateOne(OpKind::LogSoftmax, {x});
  EXPECT_NEAR(l.values<double>()[0], std::log(0.25), 1e-15);
  EXPECT_NEAR(l.values<double>()[1], std::log(0.75), 1e-15);
}

//===----------------------------------------------------------------------===//
// Reshape, Broadcast, Concat, Slice
//===----------------------------------------------------------------------===//

TEST(InterpreterOpsTest, Reshape) {
  Tensor x = makeTensor<float>({2, 3}, {1, 2, 3, 4, 5, -0.0f});
  Tensor r = evaluateOne(OpKind::Reshape, {x}, {{"shape", Ints{3, -1}}});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{3, 2}));
  expectSameFloats<float>(r, {1, 2, 3, 4, 5, -0.0f});
  Tensor flags = makeBools({4}, {true, false, true, true});
  Tensor f = evaluateOne(OpKind::Reshape, {flags}, {{"shape", Ints{2, 1, 2}}});
  EXPECT_EQ(f.shape(), (llvm::ArrayRef<int64_t>{2, 1, 2}));
  EXPECT_EQ(boolsOf(f), (std::vector<bool>{true, false, true, true}));
  Tensor one = makeTensor<int16_t>({1, 1}, {-7});
  Tensor s = evaluateOne(OpKind::Reshape, {one}, {{"shape", Ints{}}});
  EXPECT_TRUE(s.shape().empty());
  EXPECT_EQ(valuesOf<int16_t>(s), (std::vector<int16_t>{-7}));
}

TEST(InterpreterOpsTest, Broadcast) {
  // [3, 1] -> [2, 3, 4]: out[i][j][k] = in[j].
  Tensor x = makeTensor<int32_t>({3, 1}, {1, 2, 3});
  Tensor r = evaluateOne(OpKind::Broadcast, {x}, {{"shape", Ints{2, 3, 4}}});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{2, 3, 4}));
  std::vector<int32_t> expected;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        expected.push_back(j + 1);
  EXPECT_EQ(valuesOf<int32_t>(r), expected);
  Tensor s = makeBools({}, {true});
  EXPECT_EQ(
      boolsOf(evaluateOne(OpKind::Broadcast, {s}, {{"shape", Ints{2, 2}}})),
      (std::vector<bool>{true, true, true, true}));
  Tensor row = makeTensor<float>({2}, {kNaN, -0.0f});
  expectSameFloats<float>(
      evaluateOne(OpKind::Broadcast, {row}, {{"shape", Ints{2, 2}}}),
      {kNaN, -0.0f, kNaN, -0.0f});
}

TEST(InterpreterOpsTest, Concat) {
  Tensor a = makeTensor<float>({2, 2}, {1, 2, 3, 4});
  Tensor b = makeTensor<float>({1, 2}, {5, 6});
  Tensor c = makeTensor<float>({2, 1}, {7, 8});
  // Axis 0 (the default): rows of a then rows of b.
  Tensor r0 = evaluateOne(OpKind::Concat, {a, b});
  EXPECT_EQ(r0.shape(), (llvm::ArrayRef<int64_t>{3, 2}));
  expectSameFloats<float>(r0, {1, 2, 3, 4, 5, 6});
  // Axis -1 with three operands: [a | c | a].
  Tensor r1 = evaluateOne(OpKind::Concat, {a, c, a}, {{"axis", -1}});
  EXPECT_EQ(r1.shape(), (llvm::ArrayRef<int64_t>{2, 5}));
  expectSameFloats<float>(r1, {1, 2, 7, 1, 2, 3, 4, 8, 3, 4});
  // An empty operand contributes nothing; Bool works.
  Tensor empty(TensorType{DataType::Bool, {0, 2}});
  Tensor flags = makeBools({1, 2}, {true, false});
  Tensor r2 = evaluateOne(OpKind::Concat, {empty, flags, flags});
  EXPECT_EQ(r2.shape(), (llvm::ArrayRef<int64_t>{2, 2}));
  EXPECT_EQ(boolsOf(r2), (std::vector<bool>{true, false, true, false}));
  // Middle axis of rank 3: [1, 2, 1] and [1, 1, 1] along axis 1.
  Tensor p = makeTensor<int8_t>({1, 2, 1}, {1, 2});
  Tensor q = makeTensor<int8_t>({1, 1, 1}, {3});
  EXPECT_EQ(
      valuesOf<int8_t>(evaluateOne(OpKind::Concat, {p, q}, {{"axis", 1}})),
      (std::vector<int8_t>{1, 2, 3}));
}

TEST(InterpreterOpsTest, Slice) {
  Tensor x = makeTensor<int32_t>({6}, {0, 1, 2, 3, 4, 5});
  EXPECT_EQ(valuesOf<int32_t>(evaluateOne(
                OpKind::Slice, {x},
                {{"starts", Ints{1}}, {"ends", Ints{6}}, {"steps", Ints{2}}})),
            (std::vector<int32_t>{1, 3, 5}));
  // Negative start counts from the end; an end past the size clamps.
  EXPECT_EQ(
      valuesOf<int32_t>(evaluateOne(
          OpKind::Slice, {x}, {{"starts", Ints{-2}}, {"ends", Ints{100}}})),
      (std::vector<int32_t>{4, 5}));
  // start >= end: empty.
  Tensor empty =
      evaluateOne(OpKind::Slice, {x}, {{"starts", Ints{4}}, {"ends", Ints{2}}});
  EXPECT_EQ(empty.shape(), (llvm::ArrayRef<int64_t>{0}));
  // A huge step takes only the first element.
  EXPECT_EQ(valuesOf<int32_t>(evaluateOne(
                OpKind::Slice, {x},
                {{"starts", Ints{2}},
                 {"steps", Ints{std::numeric_limits<int64_t>::max()}}})),
            (std::vector<int32_t>{2}));
  // [3, 4] = 0..11, rows 0 and 2 (step 2), columns 1 and 3 (step 2).
  std::vector<float> values = iota(12, 0);
  Tensor m = makeTensor<float>({3, 4}, values);
  Tensor r = evaluateOne(
      OpKind::Slice, {m},
      {{"starts", Ints{0, 1}}, {"ends", Ints{3, 4}}, {"steps", Ints{2, 2}}});
  EXPECT_EQ(r.shape(), (llvm::ArrayRef<int64_t>{2, 2}));
  expectSameFloats<float>(r, {1, 3, 9, 11});
  Tensor flags = makeBools({2, 2}, {true, false, false, true});
  EXPECT_EQ(
      boolsOf(evaluateOne(OpKind::Slice, {flags}, {{"starts", Ints{1, 0}}})),
      (std::vector<bool>{false, true}));
}

TEST(InterpreterOpsTest, ChainOfOps) {
  // @g(x: [2, 3]) { y = MatMul(x, Transpose(x)); z = Softmax(y);
  // return ReduceSum(z, axes=[1]), y }: each softmax row sums to 1.
  Graph g("g");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {2, 3});
  ValueId t = cantFail(b.create(OpKind::Transpose, {x}));
  ValueId y = cantFail(b.create(OpKind::MatMul, {x, t}));
  ValueId z = cantFail(b.create(OpKind::Softmax, {y}));
  ValueId s = cantFail(b.create(OpKind::ReduceSum, {z}, {{"axes", Ints{1}}}));
  b.setOutputs({s, y});
  auto out = interpret(g, {makeTensor<float>({2, 3}, {0, 0, 0, 1, 2, 3})});
  ASSERT_OK(out);
  // y = [[0, 0], [0, 14]]; row 0: softmax [0.5, 0.5] -> 1; row 1:
  // [exp(-14) / s, 1 / s] sums to 1 within rounding.
  expectSameFloats<float>((*out)[1], {0, 0, 0, 14});
  EXPECT_EQ((*out)[0].values<float>()[0], 1.0f);
  EXPECT_NEAR((*out)[0].values<float>()[1], 1.0f, 1e-6);
}

} // namespace
