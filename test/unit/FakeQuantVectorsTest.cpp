//===- FakeQuantVectorsTest.cpp - The fake-quant test vectors, exactly ----===//
//
// Every vector of docs/fake-quantization.md ("Test vectors"), checked
// bit for bit through the interpreter, in Float32 and Float64 graphs, plus
// the parameter sources (attributes, operands of every admitted type, the
// observer) and the gradients.
//
//===----------------------------------------------------------------------===//
#include "InterpreterTestSupport.h"
#include "qjit/Interpreter/FakeQuantReference.h"
#include <array>
#include <cmath>
#include <limits>

using namespace qjit;
using namespace qjit::test;

namespace {

Attribute gradient(llvm::StringRef rule) { return Attribute::enumValue(rule); }

// One row of the P1/P2/P3 table: x, y and dX of the clipped gradient.
struct Row {
  float x, y, dx;
};

const AttrList kP1 = {{"num_bits", 8}, {"symmetric", true}, {"scale", 1.0}};
const AttrList kP2 = {{"symmetric", false}, {"scale", 0.5}, {"zero_point", 10}};
const AttrList kP3 = {{"symmetric", false}, {"scale", 0.5}, {"zero_point", 11}};

const std::vector<Row> kP1Rows = {
    {2.5f, 2.0f, 1},       {3.5f, 4.0f, 1},      {-2.5f, -2.0f, 1},
    {-0.5f, +0.0f, 1},     {127.5f, 127.0f, 0},  {-128.5f, -128.0f, 1},
    {-128.6f, -128.0f, 0}, {1000.0f, 127.0f, 0}, {kInf, 127.0f, 0},
    {kNaN, -128.0f, 0},
};
const std::vector<Row> kP2Rows = {
    {1.25f, 1.0f, 1}, {-5.75f, -5.0f, 0}, {122.75f, 122.5f, 0}};
const std::vector<Row> kP3Rows = {{1.25f, 1.0f, 1}, {-1.25f, -1.0f, 1}};

template <typename T>
std::vector<T> column(const std::vector<Row> &rows, float Row::*field) {
  std::vector<T> out;
  for (const Row &r : rows)
    out.push_back(T(r.*field));
  return out;
}

// Checks y = FakeQuantization(x) and dX = GradFakeQuantization(1, x) with
// gradient=clipped for every row, all rows in one tensor, in type T.
template <typename T>
void checkRows(const std::vector<Row> &rows, AttrList attrs) {
  int64_t n = rows.size();
  Tensor x = makeTensor<T>({n}, column<T>(rows, &Row::x));
  expectSameFloats<T>(evaluateOne(OpKind::FakeQuantization, {x}, attrs),
                      column<T>(rows, &Row::y));
  Tensor ones = makeTensor<T>({n}, std::vector<T>(n, T(1)));
  attrs.push_back({"gradient", gradient("clipped")});
  expectSameFloats<T>(
      evaluateOne(OpKind::GradFakeQuantization, {ones, x}, attrs),
      column<T>(rows, &Row::dx));
}

TEST(FakeQuantVectorsTest, P1) { checkRows<float>(kP1Rows, kP1); }
TEST(FakeQuantVectorsTest, P2) { checkRows<float>(kP2Rows, kP2); }
TEST(FakeQuantVectorsTest, P3) { checkRows<float>(kP3Rows, kP3); }

// Exact halves and integers: the same values in double precision.
TEST(FakeQuantVectorsTest, P1Float64) {
  checkRows<double>(kP1Rows, kP1);
  Tensor x = makeTensor<double>({1}, {-128.6});
  expectSameFloats<double>(evaluateOne(OpKind::FakeQuantization, {x}, kP1),
                           {-128.0});
}
TEST(FakeQuantVectorsTest, P2Float64) { checkRows<double>(kP2Rows, kP2); }
TEST(FakeQuantVectorsTest, P3Float64) { checkRows<double>(kP3Rows, kP3); }

TEST(FakeQuantVectorsTest, NegativeHalfBecomesPositiveZero) {
  // P1, x = -0.5: roundeven gives -0.0; adding zp = 0 makes it +0.0.
  Tensor x = makeTensor<float>({2}, {-0.5f, -0.0f});
  Tensor y = evaluateOne(OpKind::FakeQuantization, {x}, kP1);
  ASSERT_EQ(y.numElements(), 2);
  EXPECT_EQ(bitsOf(y.values<float>()[0]), 0u);
  EXPECT_EQ(bitsOf(y.values<float>()[1]), 0u);
}

TEST(FakeQuantVectorsTest, ReciprocalNotDivision) {
  // s = fl(0.3) = 0x3E99999A, zp 0, [0, 255]: x * fl(1/s) = 247.5 -> 248,
  // where x / s = 247.49998 would give 247.
  ASSERT_EQ(bitsOf(float(0.3)), 0x3E99999Au);
  ASSERT_EQ(std::nearbyint(74.25f / float(0.3)), 247.0f);
  AttrList attrs = {{"symmetric", false}, {"scale", 0.3}};
  Tensor x = makeTensor<float>({1}, {74.25f});
  Tensor y = evaluateOne(OpKind::FakeQuantization, {x}, attrs);
  expectSameFloats<float>(y, {74.4000015f});
  expectSameFloats<float>(y, {248.0f * float(0.3)});
  EXPECT_EQ(bitsOf(y.values<float>()[0]), 0x4294CCCDu);
  attrs.push_back({"gradient", gradient("clipped")});
  expectSameFloats<float>(evaluateOne(OpKind::GradFakeQuantization,
                                      {makeTensor<float>({1}, {1}), x}, attrs),
                          {1.0f});
  // The same through a Float32 scale operand.
  Tensor s = makeTensor<float>({}, {0.3f});
  expectSameFloats<float>(
      evaluateOne(OpKind::FakeQuantization, {x, s}, {{"symmetric", false}}),
      {74.4000015f});
  // In double: 74.25 * fl64(1 / 0.3) = 247.5 as well.
  Tensor xd = makeTensor<double>({1}, {74.25});
  expectSameFloats<double>(evaluateOne(OpKind::FakeQuantization, {xd},
                                       {{"symmetric", false}, {"scale", 0.3}}),
                           {248.0 * 0.3});
}

//===----------------------------------------------------------------------===//
// Per channel
//===----------------------------------------------------------------------===//

// axis 0, s = [1, 0.5], zp = [0, 3], int8 grid:
// [[0.5, 1.5], [0.75, -0.25]] -> [[0, 2], [1, 0]], dX all 1.
const AttrList kChannelGrid = {{"quant_min", -128}, {"quant_max", 127}};

AttrList perChannel(int64_t axis) {
  AttrList attrs = kChannelGrid;
  attrs.push_back({"scale", std::vector<double>{1.0, 0.5}});
  attrs.push_back({"zero_point", std::vector<int64_t>{0, 3}});
  attrs.push_back({"axis", axis});
  return attrs;
}

TEST(FakeQuantVectorsTest, PerChannelAttributes) {
  Tensor x = makeTensor<float>({2, 2}, {0.5f, 1.5f, 0.75f, -0.25f});
  Tensor ones = makeTensor<float>({2, 2}, {1, 1, 1, 1});
  for (int64_t axis : {0, -2}) {
    SCOPED_TRACE(axis);
    expectSameFloats<float>(
        evaluateOne(OpKind::FakeQuantization, {x}, perChannel(axis)),
        {0.0f, 2.0f, 1.0f, 0.0f});
    AttrList attrs = perChannel(axis);
    attrs.push_back({"gradient", gradient("clipped")});
    expectSameFloats<float>(
        evaluateOne(OpKind::GradFakeQuantization, {ones, x}, attrs),
        {1.0f, 1.0f, 1.0f, 1.0f});
  }
  // The transposed data along the last axis.
  Tensor xt = makeTensor<float>({2, 2}, {0.5f, 0.75f, 1.5f, -0.25f});
  for (int64_t axis : {1, -1}) {
    SCOPED_TRACE(axis);
    expectSameFloats<float>(
        evaluateOne(OpKind::FakeQuantization, {xt}, perChannel(axis)),
        {0.0f, 1.0f, 2.0f, 0.0f});
  }
}

TEST(FakeQuantVectorsTest, PerChannelMiddleAxis) {
  // [2, 2, 2] along axis 1: the channel is the middle index.
  Tensor x = makeTensor<float>(
      {2, 2, 2}, {0.5f, 1.5f, 0.75f, -0.25f, 2.5f, -1.5f, 1.25f, 0.25f});
  // channel 0 (s 1, zp 0): 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -1.5 -> -2
  // channel 1 (s 0.5, zp 3): 0.75 -> 1, -0.25 -> 0, 1.25 -> 1 (2.5 -> 2),
  //                          0.25 -> 0 (0.5 -> 0)
  expectSameFloats<float>(
      evaluateOne(OpKind::FakeQuantization, {x}, perChannel(1)),
      {0.0f, 2.0f, 1.0f, 0.0f, 2.0f, -2.0f, 1.0f, 0.0f});
}

TEST(FakeQuantVectorsTest, PerChannelOperands) {
  Tensor x = makeTensor<float>({2, 2}, {0.5f, 1.5f, 0.75f, -0.25f});
  Tensor s = makeTensor<float>({2}, {1.0f, 0.5f});
  Tensor zInt = makeTensor<int32_t>({2}, {0, 3});
  // A float zero point is rounded half to even: -0.4 -> -0, 3.4 -> 3.
  Tensor zFloat = makeTensor<float>({2}, {-0.4f, 3.4f});
  AttrList attrs = kChannelGrid;
  attrs.push_back({"axis", 0});
  for (const Tensor &z : {zInt, zFloat})
    expectSameFloats<float>(
        evaluateOne(OpKind::FakeQuantization, {x, s, z}, attrs),
        {0.0f, 2.0f, 1.0f, 0.0f});
  // One zero point [] shared by both channels: zp 0 everywhere.
  // channel 1: 0.75 * 2 = 1.5 -> 2 -> 1.0; -0.25 * 2 = -0.5 -> 0 -> 0.
  Tensor z0 = makeTensor<int32_t>({}, {0});
  expectSameFloats<float>(
      evaluateOne(OpKind::FakeQuantization, {x, s, z0}, attrs),
      {0.0f, 2.0f, 1.0f, 0.0f});
  // One scale [] for both channels, per-channel zero points:
  // s = 0.5 everywhere; channel 0: 0.5 -> 1 -> 0.5, 1.5 -> 3 -> 1.5.
  Tensor sHalf = makeTensor<float>({}, {0.5f});
  expectSameFloats<float>(
      evaluateOne(OpKind::FakeQuantization, {x, sHalf, zInt}, attrs),
      {0.5f, 1.5f, 1.0f, 0.0f});
}

//===----------------------------------------------------------------------===//
// Scale and zero point operands
//===----------------------------------------------------------------------===//

// x = P2's first row: s = 0.5, x * 2 = 2.5 -> 2.
Tensor p2x() { return makeTensor<float>({1}, {1.25f}); }
Tensor halfScale() { return makeTensor<float>({}, {0.5f}); }
const AttrList kAsym = {{"symmetric", false}};

float forwardWithZeroPoint(const Tensor &z, AttrList attrs = kAsym) {
  Tensor y =
      evaluateOne(OpKind::FakeQuantization, {p2x(), halfScale(), z}, attrs);
  return y.numElements() == 1 ? y.values<float>()[0] : kNaN;
}

TEST(FakeQuantOperandsTest, FloatZeroPointRoundsHalfToEven) {
  // 10.5 -> 10 (half away from zero would give 11, i.e. P3).
  Tensor z = makeTensor<float>({}, {10.5f});
  EXPECT_SAME_FLOAT(forwardWithZeroPoint(z), 1.0f);
  Tensor x = makeTensor<float>({3}, {1.25f, -5.75f, 122.75f});
  expectSameFloats<float>(
      evaluateOne(OpKind::FakeQuantization, {x, halfScale(), z}, kAsym),
      column<float>(kP2Rows, &Row::y));
  z = makeTensor<float>({}, {11.0f});
  expectSameFloats<float>(
      evaluateOne(OpKind::FakeQuantization,
                  {makeTensor<float>({2}, {1.25f, -1.25f}), halfScale(), z},
                  kAsym),
      column<float>(kP3Rows, &Row::y));
}

TEST(FakeQuantOperandsTest, FloatZeroPointIsClampedToTheGrid) {
  // zp 300 -> 255: qf = 2 + 255 = 257 -> 255 -> (255 - 255) * 0.5 = 0.
  EXPECT_SAME_FLOAT(forwardWithZeroPoint(makeTensor<float>({}, {300.0f})),
                    0.0f);
  // zp -7 -> 0: qf = 2 -> 1.0.
  EXPECT_SAME_FLOAT(forwardWithZeroPoint(makeTensor<float>({}, {-7.0f})), 1.0f);
  // NaN clamps to qmin = 0.
  EXPECT_SAME_FLOAT(forwardWithZeroPoint(makeTensor<float>({}, {kNaN})), 1.0f);
}

TEST(FakeQuantOperandsTest, Int32ZeroPointIsUsedAsIs) {
  EXPECT_SAME_FLOAT(forwardWithZeroPoint(makeTensor<int32_t>({}, {10})), 1.0f);
  // qf = 2 + 300 = 302 -> 255 -> (255 - 300) * 0.5.
  EXPECT_SAME_FLOAT(forwardWithZeroPoint(makeTensor<int32_t>({}, {300})),
                    -22.5f);
}

TEST(FakeQuantOperandsTest, LsqClampsEveryZeroPoint) {
  // z = roundeven(clamp(zp, qmin, qmax)) in both passes of lsq, for an
  // Int32 zero point too: 300 -> 255, so y = 0 (not -22.5).
  AttrList lsq = kAsym;
  lsq.push_back({"gradient", gradient("lsq")});
  EXPECT_SAME_FLOAT(forwardWithZeroPoint(makeTensor<int32_t>({}, {300}), lsq),
                    0.0f);
  EXPECT_SAME_FLOAT(forwardWithZeroPoint(makeTensor<float>({}, {300.0f}), lsq),
                    0.0f);
}

TEST(FakeQuantOperandsTest, ScaleOperandAloneMeansZeroPointZero) {
  Tensor x = makeTensor<float>({3}, {2.5f, -0.5f, 1000.0f});
  expectSameFloats<float>(
      evaluateOne(OpKind::FakeQuantization, {x, makeTensor<float>({}, {1.0f})}),
      {2.0f, 0.0f, 127.0f});
}

TEST(FakeQuantOperandsTest, Float64GraphsTakeFloat32AndFloat64Parameters) {
  Tensor x = makeTensor<double>({3}, {1.25, -5.75, 122.75});
  std::vector<double> y = {1.0, -5.0, 122.5};
  Tensor s32 = makeTensor<float>({}, {0.5f});
  Tensor s64 = makeTensor<double>({}, {0.5});
  Tensor z32 = makeTensor<float>({}, {10.0f});
  Tensor z64 = makeTensor<double>({}, {9.7});
  Tensor zi = makeTensor<int32_t>({}, {10});
  for (const Tensor *s : {&s32, &s64})
    for (const Tensor *z : {&z32, &z64, &zi})
      expectSameFloats<double>(
          evaluateOne(OpKind::FakeQuantization, {x, *s, *z}, kAsym), y);
}

//===----------------------------------------------------------------------===//
// Gradients: ste and clipped
//===----------------------------------------------------------------------===//

TEST(FakeQuantGradientTest, SteIsTheIdentity) {
  Tensor dy = makeTensor<float>({4}, {1.5f, kNaN, -0.0f, 7.0f});
  Tensor x = makeTensor<float>({4}, {1000.0f, kNaN, 0.5f, -3.0f});
  for (AttrList attrs :
       {kP1, AttrList{{"gradient", gradient("ste")}}, AttrList{}}) {
    Tensor dx = evaluateOne(OpKind::GradFakeQuantization, {dy, x}, attrs);
    EXPECT_TRUE(dx.bitwiseEqual(dy));
  }
}

TEST(FakeQuantGradientTest, ClippedMultipliesByMask) {
  // P1: 0.5 and 3 are on the grid, +-1000 and 2000 are not. dx = dy * mask is
  // a multiplication (PyTorch's dY * mask): a NaN dy stays NaN on and off the
  // grid, -0.0 keeps its sign, and off the grid a negative dy gives -0.0.
  Tensor dy = makeTensor<float>({5}, {kNaN, kNaN, -0.0f, 2.0f, -3.0f});
  Tensor x = makeTensor<float>({5}, {0.5f, 1000.0f, 3.0f, -1000.0f, 2000.0f});
  AttrList attrs = kP1;
  attrs.push_back({"gradient", gradient("clipped")});
  expectSameFloats<float>(
      evaluateOne(OpKind::GradFakeQuantization, {dy, x}, attrs),
      {kNaN, kNaN, -0.0f, 0.0f, -0.0f});
}

//===----------------------------------------------------------------------===//
// LSQ: s = 0.5, zp = 0, grid [-8, 7], g = 1, dy = 1
//===----------------------------------------------------------------------===//

struct LsqRow {
  float x, y, dx, ds, dz;
};
const std::vector<LsqRow> kLsqRows = {
    {1.2f, 1.0f, 1, -0.400000095f, 0},
    {1.25f, 1.0f, 1, -0.5f, 0},
    {5.0f, 3.5f, 0, 7, -0.5f},
    {-5.0f, -4.0f, 0, -8, -0.5f},
};

// num_bits 4, symmetric: [-8, 7].
AttrList lsqAttrs(double gradFactor = 1.0) {
  return {{"num_bits", 4},
          {"gradient", gradient("lsq")},
          {"grad_factor", gradFactor}};
}

TEST(FakeQuantLsqTest, TableRowByRow) {
  ASSERT_EQ(bitsOf(-0.400000095f), 0xBECCCCD0u);
  for (const LsqRow &row : kLsqRows) {
    SCOPED_TRACE(row.x);
    Tensor x = makeTensor<float>({1}, {row.x});
    Tensor s = makeTensor<float>({}, {0.5f});
    Tensor z = makeTensor<float>({}, {0.0f});
    expectSameFloats<float>(
        evaluateOne(OpKind::FakeQuantization, {x, s, z}, lsqAttrs()), {row.y});
    Tensor dy = makeTensor<float>({1}, {1.0f});
    std::vector<Tensor> grads =
        evaluate(OpKind::GradFakeQuantization, {dy, x, s, z}, lsqAttrs());
    ASSERT_EQ(grads.size(), 3u);
    expectSameFloats<float>(grads[0], {row.dx});
    EXPECT_TRUE(grads[1].shape().empty());
    expectSameFloats<float>(grads[1], {row.ds});
    expectSameFloats<float>(grads[2], {row.dz});
  }
}

TEST(FakeQuantLsqTest, SumsOverElements) {
  std::vector<float> xs, dxs;
  float ds = 0, dz = 0; // accumulated in element order, in float
  for (const LsqRow &row : kLsqRows) {
    xs.push_back(row.x);
    dxs.push_back(row.dx);
    ds += row.ds;
    dz += row.dz;
  }
  Tensor x = makeTensor<float>({2, 2}, xs);
  Tensor dy = makeTensor<float>({2, 2}, {1, 1, 1, 1});
  std::vector<Tensor> grads = evaluate(
      OpKind::GradFakeQuantization,
      {dy, x, makeTensor<float>({}, {0.5f}), makeTensor<float>({}, {0.0f})},
      lsqAttrs());
  ASSERT_EQ(grads.size(), 3u);
  expectSameFloats<float>(grads[0], dxs);
  expectSameFloats<float>(grads[1], {ds});
  expectSameFloats<float>(grads[2], {dz});
  EXPECT_EQ(dz, -1.0f);
}

TEST(FakeQuantLsqTest, DyAndGradFactorScale) {
  // x = 5 with dy = 3 and g = 2: ds = 3 * 7 * 2 = 42, dz = -3 * 0.5 * 2.
  Tensor x = makeTensor<float>({1}, {5.0f});
  Tensor dy = makeTensor<float>({1}, {3.0f});
  std::vector<Tensor> grads = evaluate(
      OpKind::GradFakeQuantization,
      {dy, x, makeTensor<float>({}, {0.5f}), makeTensor<float>({}, {0.0f})},
      lsqAttrs(2.0));
  ASSERT_EQ(grads.size(), 3u);
  expectSameFloats<float>(grads[0], {0.0f});
  expectSameFloats<float>(grads[1], {42.0f});
  expectSameFloats<float>(grads[2], {-3.0f});
}

TEST(FakeQuantLsqTest, NaNInputTakesTheLowerBoundRow) {
  // qf = NaN clamps to qmin in the forward pass (y = -4), so its gradient
  // is the qf < qmin row: ds = dy * (qmin - z) * g = -8, dz = -0.5.
  Tensor x = makeTensor<float>({1}, {kNaN});
  std::vector<Tensor> grads =
      evaluate(OpKind::GradFakeQuantization,
               {makeTensor<float>({1}, {1.0f}), x,
                makeTensor<float>({}, {0.5f}), makeTensor<float>({}, {0.0f})},
               lsqAttrs());
  ASSERT_EQ(grads.size(), 3u);
  expectSameFloats<float>(grads[0], {0.0f});
  expectSameFloats<float>(grads[1], {-8.0f});
  expectSameFloats<float>(grads[2], {-0.5f});
}

TEST(FakeQuantLsqTest, PerChannelSums) {
  // Grid [-8, 7]; channel 0: s 0.5, z 0; channel 1: s 1, z 2.
  //  ch 0: x 1.25 (dy 1): in grid, y 1.0, ds (1.0 - 1.25) / 0.5 = -0.5
  //        x 5    (dy 2): qf 10 > 7,  ds 2 * 7 = 14,       dz -2 * 0.5 = -1
  //        x -5   (dy 1): qf -10 < -8, ds -8,              dz -0.5
  //  ch 1: x 0.5  (dy 1): qf 0 + 2 in grid, y 0, ds -0.5
  //        x 10   (dy 1): qf 12 > 7,  ds 7 - 2 = 5,         dz -1
  //        x -20  (dy 3): qf -18 < -8, ds 3 * (-8 - 2) = -30, dz -3
  AttrList attrs = {
      {"quant_min", -8}, {"quant_max", 7}, {"gradient", gradient("lsq")}};
  Tensor s = makeTensor<float>({2}, {0.5f, 1.0f});
  Tensor z = makeTensor<float>({2}, {0.0f, 2.0f});
  struct Layout {
    Shape shape;
    int64_t axis;
    std::vector<float> x, dy, dx;
  };
  const Layout layouts[] = {
      {{2, 3},
       0,
       {1.25f, 5, -5, 0.5f, 10, -20},
       {1, 2, 1, 1, 1, 3},
       {1, 0, 0, 1, 0, 0}},
      {{2, 3},
       -2,
       {1.25f, 5, -5, 0.5f, 10, -20},
       {1, 2, 1, 1, 1, 3},
       {1, 0, 0, 1, 0, 0}},
      {{3, 2},
       1,
       {1.25f, 0.5f, 5, 10, -5, -20},
       {1, 1, 2, 1, 1, 3},
       {1, 1, 0, 0, 0, 0}},
      {{3, 2},
       -1,
       {1.25f, 0.5f, 5, 10, -5, -20},
       {1, 1, 2, 1, 1, 3},
       {1, 1, 0, 0, 0, 0}},
  };
  for (const Layout &l : layouts) {
    SCOPED_TRACE(l.axis);
    AttrList a = attrs;
    a.push_back({"axis", l.axis});
    std::vector<Tensor> grads =
        evaluate(OpKind::GradFakeQuantization,
                 {makeTensor<float>(l.shape, l.dy),
                  makeTensor<float>(l.shape, l.x), s, z},
                 a);
    ASSERT_EQ(grads.size(), 3u);
    expectSameFloats<float>(grads[0], l.dx);
    expectSameFloats<float>(grads[1], {5.5f, -25.5f});
    expectSameFloats<float>(grads[2], {-1.5f, -4.0f});
  }
  // A shared zero point [] (0 for both channels) sums d zero_point over all
  // elements; channel 1 then gives ds -0.5 + 7 + 3 * -8 = -17.5.
  AttrList a = attrs;
  a.push_back({"axis", 0});
  std::vector<Tensor> grads =
      evaluate(OpKind::GradFakeQuantization,
               {makeTensor<float>({2, 3}, {1, 2, 1, 1, 1, 3}),
                makeTensor<float>({2, 3}, {1.25f, 5, -5, 0.5f, 10, -20}), s,
                makeTensor<float>({}, {0.0f})},
               a);
  ASSERT_EQ(grads.size(), 3u);
  expectSameFloats<float>(grads[1], {5.5f, -17.5f});
  expectSameFloats<float>(grads[2], {-5.5f});
}

TEST(FakeQuantLsqTest, Int32ZeroPointGradientTruncates) {
  // dz = -0.5 truncates to 0; -0.5 + -0.5 = -1.
  Tensor s = makeTensor<float>({}, {0.5f});
  Tensor z = makeTensor<int32_t>({}, {0});
  for (auto [xs, expected] :
       {std::pair<std::vector<float>, int32_t>{{5.0f}, 0},
        std::pair<std::vector<float>, int32_t>{{5.0f, -5.0f}, -1}}) {
    int64_t n = xs.size();
    std::vector<Tensor> grads =
        evaluate(OpKind::GradFakeQuantization,
                 {makeTensor<float>({n}, std::vector<float>(n, 1.0f)),
                  makeTensor<float>({n}, xs), s, z},
                 lsqAttrs());
    ASSERT_EQ(grads.size(), 3u);
    ASSERT_EQ(grads[2].elementType(), DataType::Int32);
    EXPECT_EQ(grads[2].values<int32_t>()[0], expected);
  }
}

TEST(FakeQuantLsqTest, Float64Table) {
  const double dsFor1_2 = (1.0 - 1.2) / 0.5; // dy * (y - x) / s * g
  const std::vector<std::array<double, 5>> rows = {
      {1.2, 1.0, 1, dsFor1_2, 0},
      {1.25, 1.0, 1, -0.5, 0},
      {5.0, 3.5, 0, 7, -0.5},
      {-5.0, -4.0, 0, -8, -0.5},
  };
  for (const auto &[x, y, dx, ds, dz] : rows) {
    SCOPED_TRACE(x);
    Tensor xt = makeTensor<double>({1}, {x});
    Tensor s = makeTensor<double>({}, {0.5});
    Tensor z = makeTensor<double>({}, {0.0});
    expectSameFloats<double>(
        evaluateOne(OpKind::FakeQuantization, {xt, s, z}, lsqAttrs()), {y});
    std::vector<Tensor> grads =
        evaluate(OpKind::GradFakeQuantization,
                 {makeTensor<double>({1}, {1.0}), xt, s, z}, lsqAttrs());
    ASSERT_EQ(grads.size(), 3u);
    expectSameFloats<double>(grads[0], {dx});
    expectSameFloats<double>(grads[1], {ds});
    expectSameFloats<double>(grads[2], {dz});
  }
}

//===----------------------------------------------------------------------===//
// The MinMax observer: scale and zero point from the data
//===----------------------------------------------------------------------===//

struct ObserverRow {
  std::vector<float> data; // min and max as in the table, plus inner values
  AttrList attrs;
  bool symmetric;
  int64_t qmin, qmax;
  float s, zp;
};

const std::vector<ObserverRow> kObserverRows = {
    // -1, 3, asymmetric 8 bit [0, 255]
    {{-1, 3, 0.5f, 1.7f, 2.2f, -0.3f, 0, 2.99f},
     {{"symmetric", false}},
     false,
     0,
     255,
     0.0156862754f,
     64},
    // -1, 3, asymmetric [0, 127]: as 7 bits, and as an explicit grid
    {{-1, 3, 0.5f, 1.7f, 2.2f, -0.3f, 0, -0.99f},
     {{"symmetric", false}, {"num_bits", 7}},
     false,
     0,
     127,
     0.0314960629f,
     32},
    {{3, -1, 0.5f, 1.7f, 2.2f, -0.3f, 0, -0.99f},
     {{"quant_min", 0}, {"quant_max", 127}},
     false,
     0,
     127,
     0.0314960629f,
     32},
    // -1, 1, asymmetric [0, 255]
    {{-1, 1, 0.3f, -0.6f, 0.99f, -0.01f},
     {{"symmetric", false}},
     false,
     0,
     255,
     0.00784313772f,
     127},
    // 0, 0, asymmetric [0, 255]
    {{0, 0, 0}, {{"symmetric", false}}, false, 0, 255, 1.1920929e-7f, 0},
    // -3, 3, symmetric [-128, 127]
    {{-3, 3, 1.1f, -2.9f, 0.01f, 2.99f}, {}, true, -128, 127, 0.0235294122f, 0},
    {{-3, 3, 1.1f, -2.9f, 0.01f, 2.99f},
     {{"symmetric", true}, {"num_bits", 8}},
     true,
     -128,
     127,
     0.0235294122f,
     0},
};

// The forward of docs/fake-quantization.md with given s and zp, written
// independently of the interpreter (nearbyint in the default rounding mode
// rounds half to even; fmax/fmin turn a NaN qf into qmin).
float expectedY(float x, float s, float zp, float qmin, float qmax) {
  float inv = 1.0f / s;
  float qf = std::nearbyint(x * inv) + zp;
  float q = std::fmin(std::fmax(qf, qmin), qmax);
  return (q - zp) * s;
}

TEST(FakeQuantObserverTest, TableScaleAndZeroPoint) {
  for (const ObserverRow &row : kObserverRows) {
    SCOPED_TRACE(row.data.size());
    QuantParams<float> p =
        observeMinMax<float>(row.data, row.qmin, row.qmax, row.symmetric);
    EXPECT_SAME_FLOAT(p.scale, row.s);
    EXPECT_SAME_FLOAT(p.zeroPoint, row.zp);
  }
}

TEST(FakeQuantObserverTest, TableThroughOutputs) {
  for (const ObserverRow &row : kObserverRows) {
    SCOPED_TRACE(
        Attribute(std::vector<double>(row.data.begin(), row.data.end()))
            .toString());
    std::vector<float> y;
    for (float x : row.data)
      y.push_back(expectedY(x, row.s, row.zp, row.qmin, row.qmax));
    int64_t n = row.data.size();
    Tensor x = makeTensor<float>({n}, row.data);
    expectSameFloats<float>(
        evaluateOne(OpKind::FakeQuantization, {x}, row.attrs), y);
  }
}

TEST(FakeQuantObserverTest, ScaleFloorIsObservable) {
  // Data in [0, 3e-7]: (hi - lo) / 255 < eps, so s = eps = 2^-23 and
  // 3e-7 * 2^23 = 2.52 -> 3 levels: y = 3 * 2^-23.
  Tensor x = makeTensor<float>({2}, {0.0f, 3e-7f});
  expectSameFloats<float>(
      evaluateOne(OpKind::FakeQuantization, {x}, {{"symmetric", false}}),
      {0.0f, 3.0f * 1.1920929e-7f});
}

TEST(FakeQuantObserverTest, NaNIsIgnored) {
  // Same range as the first row: s 0.0156862754, zp 64. y(NaN) = (0 - 64) s.
  const float s = 0.0156862754f;
  Tensor x = makeTensor<float>({4}, {kNaN, -1.0f, 3.0f, 0.5f});
  expectSameFloats<float>(
      evaluateOne(OpKind::FakeQuantization, {x}, {{"symmetric", false}}),
      {expectedY(kNaN, s, 64, 0, 255), expectedY(-1, s, 64, 0, 255),
       expectedY(3, s, 64, 0, 255), expectedY(0.5f, s, 64, 0, 255)});
  EXPECT_SAME_FLOAT(expectedY(kNaN, s, 64, 0, 255), -64.0f * s);
}

TEST(FakeQuantObserverTest, PerChannel) {
  // Channel 0 spans [-1, 3] (s 0.0156862754, zp 64), channel 1 [-1, 1]
  // (s 0.00784313772, zp 127).
  const std::vector<float> c0 = {-1, 3, 0.5f, 2.2f}, c1 = {0.3f, -1, 1, -0.6f};
  auto y0 = [&](float x) { return expectedY(x, 0.0156862754f, 64, 0, 255); };
  auto y1 = [&](float x) { return expectedY(x, 0.00784313772f, 127, 0, 255); };
  std::vector<float> rows, expectRows, cols, expectCols;
  for (size_t i = 0; i < 4; ++i) {
    rows.push_back(c0[i]);
    expectRows.push_back(y0(c0[i]));
  }
  for (size_t i = 0; i < 4; ++i) {
    rows.push_back(c1[i]);
    expectRows.push_back(y1(c1[i]));
  }
  for (size_t i = 0; i < 4; ++i) {
    cols.push_back(c0[i]);
    cols.push_back(c1[i]);
    expectCols.push_back(y0(c0[i]));
    expectCols.push_back(y1(c1[i]));
  }
  for (int64_t axis : {0, -2})
    expectSameFloats<float>(evaluateOne(OpKind::FakeQuantization,
                                        {makeTensor<float>({2, 4}, rows)},
                                        {{"symmetric", false}, {"axis", axis}}),
                            expectRows);
  for (int64_t axis : {1, -1})
    expectSameFloats<float>(evaluateOne(OpKind::FakeQuantization,
                                        {makeTensor<float>({4, 2}, cols)},
                                        {{"symmetric", false}, {"axis", axis}}),
                            expectCols);
}

TEST(FakeQuantObserverTest, ClippedGradientUsesTheObservedGrid) {
  // Symmetric [-128, 127] over [-3, 3]: s = 3 / 127.5, so x = 3 maps to
  // 127.5 -> 128 > 127 (outside the grid) and x = -3 to -128 (inside).
  Tensor x = makeTensor<float>({3}, {-3.0f, 3.0f, 1.0f});
  Tensor dy = makeTensor<float>({3}, {5.0f, 5.0f, 5.0f});
  ASSERT_EQ(std::nearbyint(3.0f * (1.0f / 0.0235294122f)), 128.0f);
  expectSameFloats<float>(evaluateOne(OpKind::GradFakeQuantization, {dy, x},
                                      {{"gradient", gradient("clipped")}}),
                          {5.0f, 0.0f, 5.0f});
}

TEST(FakeQuantObserverTest, Float64) {
  // -1, 3 asymmetric in double: s = 4 / 255, zp = -roundeven(-63.75) = 64.
  const double s = 4.0 / 255.0;
  std::vector<double> data = {-1, 3, 0.5, 1.7, 2.2, -0.3};
  std::vector<double> y;
  for (double x : data) {
    double qf = std::nearbyint(x * (1.0 / s)) + 64.0;
    y.push_back((std::fmin(std::fmax(qf, 0.0), 255.0) - 64.0) * s);
  }
  expectSameFloats<double>(evaluateOne(OpKind::FakeQuantization,
                                       {makeTensor<double>({6}, data)},
                                       {{"symmetric", false}}),
                           y);
  QuantParams<double> p = observeMinMax<double>(data, 0, 255, false);
  EXPECT_SAME_FLOAT(p.scale, s);
  EXPECT_SAME_FLOAT(p.zeroPoint, 64.0);
}

} // namespace
