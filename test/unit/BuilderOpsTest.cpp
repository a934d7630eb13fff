//===- BuilderOpsTest.cpp - Result types and rejections of ops ===//
//
// The op rules of Ops.def (lib/IR/OpRules.cpp, lib/IR/OpParams.cpp)
// through the Builder: the result type of valid ops, and every rejection with
// its message.
//
//===----------------------------------------------------------------------===//
#include "TestHelpers.h"
#include "qjit/IR/Builder.h"

using namespace qjit;
using qjit::test::expectOk;

namespace {

using Ints = std::vector<int64_t>;
using Floats = std::vector<double>;

TensorType type(DataType dt, Shape shape) { return {dt, std::move(shape)}; }
Attribute enumAttr(llvm::StringRef name) { return Attribute::enumValue(name); }

class BuilderOpsTest : public ::testing::Test {
protected:
  Graph graph{"g"};
  Builder b{graph};

  ValueId input(DataType dt, Shape shape) {
    return b.addInput(dt, std::move(shape));
  }
  ValueId f32(Shape shape) {
    return input(DataType::Float32, std::move(shape));
  }

  // The type the builder gave a successfully created value.
  TensorType resultType(llvm::Expected<ValueId> id) {
    if (!expectOk(id))
      return {};
    return graph.getType(*id);
  }
};

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST_F(BuilderOpsTest, ElementwiseKeepTheType) {
  ValueId x = input(DataType::Float64, {2, 3});
  for (OpKind k :
       {OpKind::Exp, OpKind::Log, OpKind::Sqrt, OpKind::Square, OpKind::Sigmoid,
        OpKind::Tanh, OpKind::LeakyReLU, OpKind::GELU})
    EXPECT_EQ(resultType(b.create(k, {x})), type(DataType::Float64, {2, 3}))
        << opName(k).str();
  ValueId i = input(DataType::Int16, {4});
  EXPECT_EQ(resultType(b.create(OpKind::Square, {i})),
            type(DataType::Int16, {4}));
  EXPECT_EQ(resultType(b.create(OpKind::Clamp, {i}, {{"min", -3}})),
            type(DataType::Int16, {4}));
  ValueId row = input(DataType::Float64, {3});
  EXPECT_EQ(resultType(b.create(OpKind::Power, {x, row})),
            type(DataType::Float64, {2, 3}));
}

TEST_F(BuilderOpsTest, FloatOnlyOpsRejectIntegersAndBool) {
  ValueId i = input(DataType::Int32, {2});
  ValueId u = input(DataType::UInt8, {2});
  ValueId flag = input(DataType::Bool, {2});
  for (OpKind k : {OpKind::Exp, OpKind::Log, OpKind::Sqrt, OpKind::Sigmoid,
                   OpKind::Tanh, OpKind::LeakyReLU, OpKind::GELU}) {
    EXPECT_ERROR_CONTAINS(b.create(k, {i}),
                          "'" + opName(k).str() +
                              "': operand must be Float32 or Float64, got "
                              "Int32");
    EXPECT_ERROR_CONTAINS(b.create(k, {flag}),
                          "operand must be numeric, got Bool");
  }
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Power, {u, u}),
                        "'Power': operands must be Float32 or Float64, got "
                        "UInt8");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Power, {flag, flag}),
                        "operands must be numeric, got Bool");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Square, {flag}),
                        "operand must be numeric, got Bool");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Clamp, {flag}, {{"min", 0}}),
                        "operand must be numeric, got Bool");
}

TEST_F(BuilderOpsTest, ActivationAttributeRejections) {
  ValueId x = f32({2});
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::GELU, {x}, {{"approximate", enumAttr("fast")}}),
      "'GELU': approximate must be none or tanh, got fast");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::LeakyReLU, {x},
               {{"alpha", std::numeric_limits<double>::infinity()}}),
      "'LeakyReLU': alpha must be finite");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::LeakyReLU, {x},
               {{"alpha", std::numeric_limits<double>::quiet_NaN()}}),
      "alpha must be finite");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::GELU, {x}, {{"approximate", 1}}),
                        "attribute 'approximate' must be");
}

TEST_F(BuilderOpsTest, ClampRejections) {
  ValueId x = f32({2});
  ValueId i8 = input(DataType::Int8, {2});
  ValueId u8 = input(DataType::UInt8, {2});
  ValueId i64 = input(DataType::Int64, {2});
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Clamp, {x}),
                        "'Clamp': needs min, max or both");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Clamp, {x}, {{"min", 2.0}, {"max", 1.0}}),
      "min (2) must not exceed max (1)");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Clamp, {x},
               {{"min", std::numeric_limits<double>::quiet_NaN()}}),
      "bounds must not be NaN");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Clamp, {i8}, {{"max", 1.5}}),
      "bounds of an integer tensor must be integers, got 1.5");
  // Integer bounds must be values of the type.
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Clamp, {i8}, {{"max", 128}}),
                        "bound 128 is outside the range of Int8");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Clamp, {i8}, {{"min", -129}}),
                        "bound -129 is outside the range of Int8");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Clamp, {u8}, {{"min", -1}}),
                        "bound -1 is outside the range of UInt8");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Clamp, {i64}, {{"max", 0x1p63}}),
                        "outside the range of Int64");
  // The limits themselves are fine, and a float tensor takes any bound.
  EXPECT_EQ(
      resultType(b.create(OpKind::Clamp, {i8}, {{"min", -128}, {"max", 127}})),
      type(DataType::Int8, {2}));
  EXPECT_EQ(resultType(b.create(OpKind::Clamp, {u8}, {{"max", 255}})),
            type(DataType::UInt8, {2}));
  EXPECT_EQ(resultType(b.create(OpKind::Clamp, {x}, {{"max", 1e300}})),
            type(DataType::Float32, {2}));
}

//===----------------------------------------------------------------------===//
// MatMul, Transpose
//===----------------------------------------------------------------------===//

TEST_F(BuilderOpsTest, MatMulShapes) {
  EXPECT_EQ(resultType(b.create(OpKind::MatMul, {f32({7, 13}), f32({13, 5})})),
            type(DataType::Float32, {7, 5}));
  EXPECT_EQ(
      resultType(b.create(OpKind::MatMul, {f32({2, 1, 4, 6}), f32({3, 6, 5})})),
      type(DataType::Float32, {2, 3, 4, 5}));
  ValueId i = input(DataType::Int8, {3, 2});
  ValueId j = input(DataType::Int8, {2, 3});
  EXPECT_EQ(resultType(b.create(OpKind::MatMul, {i, j})),
            type(DataType::Int8, {3, 3}));
  // K = 0 is a valid (all-zero) product.
  EXPECT_EQ(resultType(b.create(OpKind::MatMul, {f32({2, 0}), f32({0, 3})})),
            type(DataType::Float32, {2, 3}));
}

TEST_F(BuilderOpsTest, MatMulRejections) {
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::MatMul, {f32({3, 4}), f32({5, 2})}),
      "'MatMul': inner dimensions differ: [3, 4] x [5, 2] (K = 4 vs 5)");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::MatMul, {f32({2, 3, 4}), f32({3, 4, 5})}),
      "batch dimensions: shapes [2] and [3] cannot be broadcast together");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::MatMul, {f32({4}), f32({4, 2})}),
                        "operands must have rank >= 2, got [4] and [4, 2]");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::MatMul, {f32({2, 2}), input(DataType::Float64, {2, 2})}),
      "operand types Float32 and Float64 differ");
  ValueId flag = input(DataType::Bool, {2, 2});
  EXPECT_ERROR_CONTAINS(b.create(OpKind::MatMul, {flag, flag}),
                        "operands must be numeric, got Bool");
}

TEST_F(BuilderOpsTest, TransposeShapesAndRejections) {
  ValueId x = f32({2, 3, 4});
  EXPECT_EQ(resultType(b.create(OpKind::Transpose, {x})),
            type(DataType::Float32, {4, 3, 2}));
  EXPECT_EQ(
      resultType(b.create(OpKind::Transpose, {x}, {{"perm", Ints{1, 2, 0}}})),
      type(DataType::Float32, {3, 4, 2}));
  EXPECT_EQ(
      resultType(b.create(OpKind::Transpose, {input(DataType::Bool, {1, 5})})),
      type(DataType::Bool, {5, 1}));
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Transpose, {x}, {{"perm", Ints{0, 1}}}),
      "'Transpose': perm has 2 entries for an input of rank 3");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Transpose, {x}, {{"perm", Ints{0, 1, 1}}}),
      "perm [0, 1, 1] is not a permutation of [0, 3)");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Transpose, {x}, {{"perm", Ints{0, 1, 3}}}),
      "perm [0, 1, 3] is not a permutation of [0, 3)");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Transpose, {x}, {{"perm", Ints{-1, 0, 1}}}),
      "is not a permutation");
}

//===----------------------------------------------------------------------===//
// Conv2D
//===----------------------------------------------------------------------===//

TEST_F(BuilderOpsTest, Conv2DShapes) {
  // (9 + 2 - 3) / 2 + 1 = 5 rows; (11 + 4 - (2 * 2 + 1)) / 1 + 1 = 11.
  EXPECT_EQ(
      resultType(b.create(OpKind::Conv2D,
                          {f32({2, 4, 9, 11}), f32({6, 2, 3, 3}), f32({6})},
                          {{"stride", Ints{2, 1}},
                           {"padding", Ints{1, 2}},
                           {"dilation", Ints{1, 2}},
                           {"groups", 2}})),
      type(DataType::Float32, {2, 6, 5, 11}));
  EXPECT_EQ(resultType(b.create(OpKind::Conv2D,
                                {input(DataType::Float64, {1, 3, 8, 8}),
                                 input(DataType::Float64, {4, 3, 3, 3})})),
            type(DataType::Float64, {1, 4, 6, 6}));
}

TEST_F(BuilderOpsTest, Conv2DRejections) {
  ValueId x = f32({1, 4, 5, 5});
  ValueId w = f32({2, 4, 3, 3});
  auto conv = [&](ValueId in, ValueId wt, AttrList attrs = {}) {
    return b.create(OpKind::Conv2D, {in, wt}, std::move(attrs));
  };
  EXPECT_ERROR_CONTAINS(
      conv(input(DataType::Int32, {1, 4, 5, 5}), w),
      "'Conv2D': input must be Float32 or Float64, got Int32");
  EXPECT_ERROR_CONTAINS(conv(x, input(DataType::Float64, {2, 4, 3, 3})),
                        "weight type Float64 differs from input type Float32");
  EXPECT_ERROR_CONTAINS(conv(f32({4, 5, 5}), w),
                        "input (N, C, H, W) must have rank 4, got [4, 5, 5]");
  EXPECT_ERROR_CONTAINS(conv(x, f32({2, 4, 3})),
                        "weight (O, C/groups, KH, KW) must have rank 4");
  // Channels vs groups.
  EXPECT_ERROR_CONTAINS(conv(x, f32({2, 1, 3, 3}), {{"groups", 3}}),
                        "groups 3 must divide input channels 4 and output "
                        "channels 2");
  EXPECT_ERROR_CONTAINS(conv(x, f32({3, 2, 3, 3}), {{"groups", 2}}),
                        "groups 2 must divide input channels 4 and output "
                        "channels 3");
  EXPECT_ERROR_CONTAINS(conv(x, f32({2, 2, 3, 3})),
                        "weight has 2 input channels per group, but the "
                        "input has 4 channels in 1 group");
  EXPECT_ERROR_CONTAINS(conv(x, f32({2, 1, 3, 3}), {{"groups", 2}}),
                        "weight has 1 input channels per group, but the "
                        "input has 4 channels in 2 groups");
  EXPECT_ERROR_CONTAINS(conv(x, w, {{"groups", 0}}),
                        "groups must be positive, got 0");
  // Stride, dilation, padding.
  EXPECT_ERROR_CONTAINS(conv(x, w, {{"stride", 0}}),
                        "stride must be positive, got [0, 0]");
  EXPECT_ERROR_CONTAINS(conv(x, w, {{"stride", Ints{1, -1}}}),
                        "stride must be positive, got [1, -1]");
  EXPECT_ERROR_CONTAINS(conv(x, w, {{"dilation", Ints{0, 1}}}),
                        "dilation must be positive, got [0, 1]");
  EXPECT_ERROR_CONTAINS(conv(x, w, {{"padding", -1}}),
                        "padding must not be negative, got [-1, -1]");
  EXPECT_ERROR_CONTAINS(conv(x, w, {{"stride", Ints{1, 1, 1}}}),
                        "stride must be one integer or a list of 2, got "
                        "[1, 1, 1]");
  // The (dilated) kernel against the padded input: 3 * 2 + ... extent 5 vs 5
  // fits, dilation 3 gives extent 7 > 5.
  EXPECT_ERROR_CONTAINS(conv(x, w, {{"dilation", 3}}),
                        "height: kernel extent 7 is larger than the padded "
                        "input 5");
  EXPECT_ERROR_CONTAINS(conv(f32({1, 4, 5, 2}), w),
                        "width: kernel extent 3 is larger than the padded "
                        "input 2");
  EXPECT_EQ(resultType(conv(f32({1, 4, 5, 2}), w, {{"padding", Ints{0, 1}}})),
            type(DataType::Float32, {1, 2, 3, 2}));
  // Bias.
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Conv2D, {x, w, f32({4})}),
                        "bias must be Float32 [2], got Float32 [4]");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Conv2D, {x, w, input(DataType::Float64, {2})}),
      "bias must be Float32 [2], got Float64 [2]");
  // Empty output (no batch, no output channel).
  EXPECT_ERROR_CONTAINS(conv(f32({0, 4, 5, 5}), w),
                        "the output [0, 2, 3, 3] would be empty");
  EXPECT_ERROR_CONTAINS(conv(x, f32({0, 4, 3, 3})),
                        "the output [1, 0, 3, 3] would be empty");
  // Arity: 2 or 3 operands.
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Conv2D, {x}),
                        "expects 2 to 3 operands, got 1");
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

TEST_F(BuilderOpsTest, PoolShapes) {
  ValueId x = f32({2, 3, 9, 10});
  EXPECT_EQ(resultType(b.create(OpKind::MaxPool2D, {x},
                                {{"kernel_size", Ints{3, 2}},
                                 {"stride", Ints{2, 2}},
                                 {"padding", Ints{1, 1}}})),
            type(DataType::Float32, {2, 3, 5, 6}));
  // The stride defaults to the kernel: 9 / 3 = 3, 10 / 3 -> 3.
  EXPECT_EQ(
      resultType(b.create(OpKind::AvgPool2D, {x},
                          {{"kernel_size", 3}, {"count_include_pad", false}})),
      type(DataType::Float32, {2, 3, 3, 3}));
  EXPECT_EQ(resultType(b.create(OpKind::MaxPool2D,
                                {input(DataType::Int8, {1, 1, 4, 4})},
                                {{"kernel_size", 2}})),
            type(DataType::Int8, {1, 1, 2, 2}));
}

TEST_F(BuilderOpsTest, PoolRejections) {
  ValueId x = f32({1, 1, 4, 4});
  auto pool = [&](OpKind k, ValueId in, AttrList attrs) {
    return b.create(k, {in}, std::move(attrs));
  };
  for (OpKind k : {OpKind::MaxPool2D, OpKind::AvgPool2D}) {
    EXPECT_ERROR_CONTAINS(pool(k, x, {}), "needs a kernel_size attribute");
    EXPECT_ERROR_CONTAINS(pool(k, f32({4, 4}), {{"kernel_size", 2}}),
                          "input (N, C, H, W) must have rank 4, got [4, 4]");
    EXPECT_ERROR_CONTAINS(pool(k, x, {{"kernel_size", 0}}),
                          "kernel_size must be positive, got [0, 0]");
    EXPECT_ERROR_CONTAINS(pool(k, x, {{"kernel_size", 2}, {"stride", 0}}),
                          "stride must be positive, got [0, 0]");
    // Padding at most half the kernel.
    EXPECT_ERROR_CONTAINS(pool(k, x, {{"kernel_size", 3}, {"padding", 2}}),
                          "padding [2, 2] must be between 0 and half the "
                          "kernel_size [3, 3]");
    EXPECT_ERROR_CONTAINS(
        pool(k, x, {{"kernel_size", Ints{2, 4}}, {"padding", Ints{1, 3}}}),
        "padding [1, 3] must be between 0 and half the kernel_size [2, 4]");
    EXPECT_ERROR_CONTAINS(pool(k, x, {{"kernel_size", 2}, {"padding", -1}}),
                          "must be between 0 and half");
    // Kernel larger than the (padded) input.
    EXPECT_ERROR_CONTAINS(pool(k, x, {{"kernel_size", Ints{5, 1}}}),
                          "height: kernel extent 5 is larger than the padded "
                          "input 4");
    EXPECT_ERROR_CONTAINS(
        pool(k, x, {{"kernel_size", Ints{1, 7}}, {"padding", Ints{0, 1}}}),
        "width: kernel extent 7 is larger than the padded "
        "input 6");
    // An empty plane: kernel 2 with padding 1 would fit around H = 0.
    EXPECT_ERROR_CONTAINS(
        pool(k, f32({1, 1, 0, 4}), {{"kernel_size", 2}, {"padding", 1}}),
        "input height and width must be positive, got [1, 1, 0, 4]");
    EXPECT_ERROR_CONTAINS(
        pool(k, input(DataType::Bool, {1, 1, 2, 2}), {{"kernel_size", 2}}),
        "got Bool");
  }
  EXPECT_ERROR_CONTAINS(
      pool(OpKind::AvgPool2D, input(DataType::Int32, {1, 1, 2, 2}),
           {{"kernel_size", 2}}),
      "'AvgPool2D': input must be Float32 or Float64, got Int32");
  EXPECT_ERROR_CONTAINS(pool(OpKind::MaxPool2D, x,
                             {{"kernel_size", 2}, {"count_include_pad", true}}),
                        "'MaxPool2D': unknown attribute 'count_include_pad'");
}

//===----------------------------------------------------------------------===//
// Reductions, Softmax
//===----------------------------------------------------------------------===//

TEST_F(BuilderOpsTest, ReduceShapes) {
  ValueId x = f32({3, 4, 5});
  EXPECT_EQ(
      resultType(b.create(OpKind::ReduceSum, {x}, {{"axes", Ints{0, 2}}})),
      type(DataType::Float32, {4}));
  EXPECT_EQ(resultType(b.create(OpKind::ReduceMax, {x},
                                {{"axes", Ints{-2}}, {"keep_dims", true}})),
            type(DataType::Float32, {3, 1, 5}));
  EXPECT_EQ(resultType(b.create(OpKind::ReduceMean, {x})),
            type(DataType::Float32, {}));
  EXPECT_EQ(resultType(b.create(OpKind::ReduceMin, {x}, {{"keep_dims", true}})),
            type(DataType::Float32, {1, 1, 1}));
  EXPECT_EQ(
      resultType(b.create(OpKind::ReduceSum, {input(DataType::Int8, {2, 0})},
                          {{"axes", Ints{1}}})),
      type(DataType::Int8, {2}));
}

TEST_F(BuilderOpsTest, ReduceRejections) {
  ValueId x = f32({3, 4});
  EXPECT_ERROR_CONTAINS(b.create(OpKind::ReduceSum, {x}, {{"axes", Ints{2}}}),
                        "'ReduceSum': axis 2 is out of range for rank 2");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::ReduceMax, {x}, {{"axes", Ints{-3}}}),
                        "axis -3 is out of range for rank 2");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::ReduceMin, {x}, {{"axes", Ints{1, -1}}}),
      "axis -1 appears twice in axes");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::ReduceSum, {x}, {{"axes", Ints{}}}),
                        "axes must not be empty (omit it to reduce all axes)");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::ReduceMean, {input(DataType::Int32, {2})}),
      "'ReduceMean': input must be Float32 or Float64, got Int32");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::ReduceSum, {input(DataType::Bool, {2})}),
      "input must be numeric, got Bool");
  ValueId empty = f32({2, 0});
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::ReduceMax, {empty}, {{"axes", Ints{1}}}),
      "cannot take the max of an empty dimension 1");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::ReduceMin, {empty}),
                        "cannot take the min of an empty dimension 1");
}

TEST_F(BuilderOpsTest, SoftmaxShapesAndRejections) {
  ValueId x = f32({4, 10, 3});
  EXPECT_EQ(resultType(b.create(OpKind::Softmax, {x}, {{"axis", 1}})),
            type(DataType::Float32, {4, 10, 3}));
  EXPECT_EQ(resultType(b.create(OpKind::LogSoftmax, {x})),
            type(DataType::Float32, {4, 10, 3}));
  for (OpKind k : {OpKind::Softmax, OpKind::LogSoftmax}) {
    EXPECT_ERROR_CONTAINS(b.create(k, {x}, {{"axis", 3}}),
                          "axis 3 is out of range for rank 3");
    EXPECT_ERROR_CONTAINS(b.create(k, {x}, {{"axis", -4}}),
                          "axis -4 is out of range for rank 3");
    EXPECT_ERROR_CONTAINS(b.create(k, {f32({})}), "input must have rank >= 1");
    EXPECT_ERROR_CONTAINS(b.create(k, {input(DataType::Int64, {3})}),
                          "input must be Float32 or Float64, got Int64");
  }
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

TEST_F(BuilderOpsTest, ShapeOpsTakeEveryTypeIncludingBool) {
  ValueId flag = input(DataType::Bool, {2, 3});
  EXPECT_EQ(
      resultType(b.create(OpKind::Reshape, {flag}, {{"shape", Ints{-1}}})),
      type(DataType::Bool, {6}));
  EXPECT_EQ(resultType(b.create(OpKind::Broadcast, {flag},
                                {{"shape", Ints{4, 2, 3}}})),
            type(DataType::Bool, {4, 2, 3}));
  EXPECT_EQ(resultType(b.create(OpKind::Concat, {flag, flag}, {{"axis", -1}})),
            type(DataType::Bool, {2, 6}));
  EXPECT_EQ(
      resultType(b.create(OpKind::Slice, {flag}, {{"starts", Ints{1, -2}}})),
      type(DataType::Bool, {1, 2}));
}

TEST_F(BuilderOpsTest, ReshapeRejections) {
  ValueId x = f32({2, 3});
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Reshape, {x}),
                        "'Reshape': needs a shape attribute");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Reshape, {x}, {{"shape", Ints{4, 2}}}),
      "cannot reshape [2, 3] (6 elements) to [4, 2] (8 elements)");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Reshape, {x}, {{"shape", Ints{-1, -1}}}),
      "shape [-1, -1] has more than one -1");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Reshape, {x}, {{"shape", Ints{-2, -3}}}),
      "shape [-2, -3] has a negative dimension");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Reshape, {x}, {{"shape", Ints{4, -1}}}),
      "cannot infer the -1 in [4, -1] for 6 elements");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Reshape, {x}, {{"shape", Ints{0, -1}}}),
      "cannot infer the -1 in [0, -1] for 6 elements");
}

TEST_F(BuilderOpsTest, BroadcastRejections) {
  ValueId x = f32({3, 1});
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Broadcast, {x}),
                        "'Broadcast': needs a shape attribute");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Broadcast, {x}, {{"shape", Ints{2, 4}}}),
      "cannot broadcast [3, 1] to [2, 4]");
  // broadcast_to never drops or shrinks dimensions.
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Broadcast, {x}, {{"shape", Ints{3}}}),
                        "cannot broadcast [3, 1] to [3]");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Broadcast, {x}, {{"shape", Ints{3, -1}}}),
      "shape [3, -1] has a negative dimension");
}

TEST_F(BuilderOpsTest, ConcatRejections) {
  ValueId a = f32({2, 3});
  EXPECT_EQ(resultType(b.create(OpKind::Concat, {a, f32({5, 3})})),
            type(DataType::Float32, {7, 3}));
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Concat, {a, f32({2, 4})}),
      "'Concat': operand 1 has shape [2, 4], which differs from [2, 3] off "
      "axis 0");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Concat, {a, a, f32({2, 3, 1})}, {{"axis", 1}}),
      "operand 2 has shape [2, 3, 1], which differs from [2, 3] off axis 1");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Concat, {a, input(DataType::Int32, {2, 3})}),
      "operand 1 is Int32 but operand 0 is Float32");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Concat, {a}, {{"axis", 2}}),
                        "axis 2 is out of range for rank 2");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Concat, {f32({}), f32({})}),
                        "operands must have rank >= 1");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Concat, {}),
                        "expects 1 to 4096 operands, got 0");
}

TEST_F(BuilderOpsTest, SliceShapesAndRejections) {
  ValueId x = f32({6, 4});
  EXPECT_EQ(resultType(b.create(OpKind::Slice, {x},
                                {{"starts", Ints{1, 0}},
                                 {"ends", Ints{6, 4}},
                                 {"steps", Ints{2, 3}}})),
            type(DataType::Float32, {3, 2}));
  // Python slicing: negative indices, clamped bounds, empty ranges.
  EXPECT_EQ(
      resultType(b.create(OpKind::Slice, {x},
                          {{"starts", Ints{-2, 5}}, {"ends", Ints{100, 9}}})),
      type(DataType::Float32, {2, 0}));
  EXPECT_EQ(
      resultType(b.create(OpKind::Slice, {x}, {{"steps", Ints{INT64_MAX, 1}}})),
      type(DataType::Float32, {1, 4}));
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Slice, {x}, {{"starts", Ints{1}}}),
                        "'Slice': starts has 1 entries for an input of rank 2");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Slice, {x}, {{"ends", Ints{1, 2, 3}}}),
                        "ends has 3 entries for an input of rank 2");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Slice, {x}, {{"steps", Ints{1, 0}}}),
                        "steps must be positive, got 0 for dimension 1");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Slice, {x}, {{"steps", Ints{-1, 1}}}),
                        "steps must be positive, got -1 for dimension 0");
}

//===----------------------------------------------------------------------===//
// Quantize, Dequantize
//===----------------------------------------------------------------------===//

TEST_F(BuilderOpsTest, QuantizeTypes) {
  ValueId x = f32({4, 6});
  EXPECT_EQ(resultType(b.create(OpKind::Quantize, {x},
                                {{"scale", 0.05},
                                 {"zero_point", 128},
                                 {"dtype", enumAttr("UInt8")}})),
            type(DataType::UInt8, {4, 6}));
  EXPECT_EQ(resultType(b.create(OpKind::Quantize, {x},
                                {{"scale", Floats{0.1, 0.2, 0.3, 0.4}},
                                 {"zero_point", Ints{0, 1, -3, 5}},
                                 {"axis", 0},
                                 {"dtype", enumAttr("Int8")}})),
            type(DataType::Int8, {4, 6}));
  EXPECT_EQ(resultType(b.create(OpKind::Quantize, {x},
                                {{"scale", 1}, {"dtype", enumAttr("Int32")}})),
            type(DataType::Int32, {4, 6}));
  EXPECT_EQ(
      resultType(b.create(OpKind::Dequantize, {input(DataType::Int32, {3})},
                          {{"scale", 0.5}})),
      type(DataType::Float32, {3}));
}

TEST_F(BuilderOpsTest, QuantizeRejections) {
  ValueId x = f32({4, 6});
  auto quantize = [&](AttrList attrs) {
    return b.create(OpKind::Quantize, {x}, std::move(attrs));
  };
  Attribute int8 = enumAttr("Int8");
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Quantize,
                                 {input(DataType::Float64, {2})},
                                 {{"scale", 1.0}, {"dtype", int8}}),
                        "'Quantize': input must be Float32, got Float64");
  EXPECT_ERROR_CONTAINS(quantize({{"scale", 1.0}}),
                        "needs a dtype attribute (Int8, UInt8 or Int32)");
  EXPECT_ERROR_CONTAINS(
      quantize({{"scale", 1.0}, {"dtype", enumAttr("Int16")}}),
      "dtype must be Int8, UInt8 or Int32, got Int16");
  EXPECT_ERROR_CONTAINS(quantize({{"dtype", int8}}), "needs a scale attribute");
  // Scale values.
  EXPECT_ERROR_CONTAINS(quantize({{"scale", 0.0}, {"dtype", int8}}),
                        "scale must be finite and > 0, got 0");
  EXPECT_ERROR_CONTAINS(quantize({{"scale", -0.5}, {"dtype", int8}}),
                        "scale must be finite and > 0, got -0.5");
  EXPECT_ERROR_CONTAINS(
      quantize({{"scale", std::numeric_limits<double>::infinity()},
                {"dtype", int8}}),
      "scale must be finite and > 0, got inf");
  // 1e-50 and 1e50 are 0 and inf as floats.
  EXPECT_ERROR_CONTAINS(quantize({{"scale", 1e-50}, {"dtype", int8}}),
                        "scale must be finite and > 0");
  EXPECT_ERROR_CONTAINS(quantize({{"scale", 1e50}, {"dtype", int8}}),
                        "scale must be finite and > 0");
  // Zero point in the type's range.
  EXPECT_ERROR_CONTAINS(
      quantize({{"scale", 1.0}, {"zero_point", 128}, {"dtype", int8}}),
      "zero_point 128 is outside the range [-128, 127] of Int8");
  EXPECT_ERROR_CONTAINS(
      quantize(
          {{"scale", 1.0}, {"zero_point", -1}, {"dtype", enumAttr("UInt8")}}),
      "zero_point -1 is outside the range [0, 255] of UInt8");
  EXPECT_ERROR_CONTAINS(quantize({{"scale", 1.0},
                                  {"zero_point", int64_t(1) << 31},
                                  {"dtype", enumAttr("Int32")}}),
                        "zero_point 2147483648 is outside the range "
                        "[-2147483648, 2147483647] of Int32");
  // Per tensor vs per axis.
  EXPECT_ERROR_CONTAINS(quantize({{"scale", Floats{1, 2}}, {"dtype", int8}}),
                        "a list of scales needs an axis");
  EXPECT_ERROR_CONTAINS(
      quantize({{"scale", 1.0}, {"zero_point", Ints{1, 2}}, {"dtype", int8}}),
      "a list of zero points needs an axis");
  EXPECT_ERROR_CONTAINS(
      quantize({{"scale", 1.0}, {"axis", 0}, {"dtype", int8}}),
      "per-axis scale must be a list of 4 values");
  EXPECT_ERROR_CONTAINS(quantize({{"scale", Floats{1, 1, 1, 1}},
                                  {"zero_point", 0},
                                  {"axis", 0},
                                  {"dtype", int8}}),
                        "per-axis zero_point must be a list of 4 values");
  EXPECT_ERROR_CONTAINS(
      quantize({{"scale", Floats{1, 1, 1}}, {"axis", 0}, {"dtype", int8}}),
      "scale and zero_point need 4 values (dimension 0), got 3 and 3");
  EXPECT_ERROR_CONTAINS(quantize({{"scale", Floats{1, 1, 1, 1, 1, 1}},
                                  {"zero_point", Ints{0, 0}},
                                  {"axis", -1},
                                  {"dtype", int8}}),
                        "scale and zero_point need 6 values (dimension 1), "
                        "got 6 and 2");
  EXPECT_ERROR_CONTAINS(
      quantize({{"scale", Floats{1, 1}}, {"axis", 2}, {"dtype", int8}}),
      "axis 2 is out of range for rank 2");
}

TEST_F(BuilderOpsTest, DequantizeRejections) {
  for (DataType dt :
       {DataType::Float32, DataType::Int16, DataType::Int64, DataType::Bool})
    EXPECT_ERROR_CONTAINS(
        b.create(OpKind::Dequantize, {input(dt, {2})}, {{"scale", 1.0}}),
        "'Dequantize': input must be Int8, UInt8 or Int32, "
        "got " +
            dataTypeName(dt).str());
  ValueId q = input(DataType::UInt8, {3, 2});
  EXPECT_ERROR_CONTAINS(b.create(OpKind::Dequantize, {q}),
                        "needs a scale attribute");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Dequantize, {q}, {{"scale", 1.0}, {"zero_point", 256}}),
      "zero_point 256 is outside the range [0, 255] of UInt8");
  EXPECT_ERROR_CONTAINS(
      b.create(OpKind::Dequantize, {q}, {{"scale", 1.0}, {"dtype", 1}}),
      "unknown attribute 'dtype'");
  EXPECT_EQ(resultType(b.create(OpKind::Dequantize, {q},
                                {{"scale", Floats{0.5, 0.25}},
                                 {"zero_point", Ints{0, 255}},
                                 {"axis", 1}})),
            type(DataType::Float32, {3, 2}));
}

} // namespace
