//===- LimitsTest.cpp - Size checks and memory limits through the API -----===//
//
// Shapes whose sizes overflow are errors before anything is allocated; a
// run's memory is held to RunOptions::limits (JIT) or the interpreter's
// limits, checked before allocating; allocation failures are llvm::Errors.
//
//===----------------------------------------------------------------------===//
#include "TestHelpers.h"
#include "qjit/IR/Builder.h"
#include "qjit/IR/Verifier.h"
#include "qjit/Interpreter/Interpreter.h"
#include "qjit/JIT/Jit.h"
#include <gtest/gtest.h>

namespace qjit {
namespace {

using test::isOk;

TEST(Limits, CheckShapeCountsBytesWithoutOverflow) {
  EXPECT_OK(checkShape({1 << 20, 1 << 20}, 4));
  EXPECT_OK(checkShape({}, 8));
  EXPECT_OK(checkShape({0, 1 << 20}, 4));
  EXPECT_ERROR_CONTAINS(checkShape({int64_t(1) << 46, 8}, 1),
                        "is too large: more than 2^48 bytes");
  // The product would wrap to 0 in int64_t.
  EXPECT_ERROR_CONTAINS(checkShape({int64_t(1) << 32, int64_t(1) << 32}, 4),
                        "is too large");
  // A zero dimension does not hide the others (they make the strides).
  EXPECT_ERROR_CONTAINS(checkShape({0, int64_t(1) << 40, 1 << 10}, 4),
                        "is too large");
  EXPECT_ERROR_CONTAINS(checkShape({3, -1}, 4), "negative dimension");
}

TEST(Limits, BuilderRejectsResultsThatWouldBeTooLarge) {
  Graph graph("g");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {1});
  auto big = b.create(OpKind::Broadcast, {x},
                      {{"shape", std::vector<int64_t>{int64_t(1) << 62}}});
  EXPECT_ERROR_CONTAINS(std::move(big), "is too large");
}

TEST(Limits, VerifierRejectsHugeInputs) {
  Graph graph("g");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {int64_t(1) << 62});
  b.setOutputs({x});
  EXPECT_ERROR_CONTAINS(verifyGraph(graph), "graph input t0");
}

TEST(Limits, TensorAllocateReportsImpossibleSizes) {
  EXPECT_ERROR_CONTAINS(
      Tensor::allocate(TensorType{DataType::Float32, {int64_t(1) << 62}}),
      "is too large");
  auto small = Tensor::allocate(TensorType{DataType::Int8, {3}});
  ASSERT_OK(small);
  EXPECT_EQ(small->as<int8_t>()[2], 0);
}

Graph doubler() {
  Graph graph("doubler");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {256});
  auto y = b.create(OpKind::Add, {x, x});
  auto z = b.create(OpKind::Multiply, {*y, x});
  b.setOutputs({*z});
  return graph;
}

TEST(Limits, JitRunHonoursTheLimits) {
  auto jit = Jit::create();
  ASSERT_OK(jit);
  auto compiled = (*jit)->compile(doubler());
  ASSERT_OK(compiled);
  std::vector<Tensor> inputs;
  inputs.emplace_back(TensorType{DataType::Float32, {256}});
  // 1 KiB input + 1 KiB output + the workspace.
  uint64_t needed = 2048 + (*compiled)->getWorkspaceSize();
  EXPECT_OK((*compiled)->run(inputs, RunOptions(1, {1024, needed})));
  EXPECT_ERROR_CONTAINS((*compiled)->run(inputs, RunOptions(1, {1023, needed})),
                        "more than the limit of 1023 bytes for one tensor");
  EXPECT_ERROR_CONTAINS(
      (*compiled)->run(inputs, RunOptions(1, {1024, needed - 1})),
      "more than its limit");
  // The caller's buffers count too.
  Tensor out(TensorType{DataType::Float32, {256}});
  EXPECT_ERROR_CONTAINS((*compiled)->run({inputs[0].ref()}, {out.ref()},
                                         RunOptions(1, {1024, needed - 1})),
                        "more than the run's limit");
}

TEST(Limits, InterpreterHonoursTheLimits) {
  Graph graph = doubler();
  std::vector<Tensor> inputs;
  inputs.emplace_back(TensorType{DataType::Float32, {256}});
  // Input, the Add's and the Multiply's results: 3 KiB.
  EXPECT_OK(interpret(graph, inputs, MemoryLimits{1024, 3072}));
  EXPECT_ERROR_CONTAINS(interpret(graph, inputs, MemoryLimits{1024, 3071}),
                        "result t2");
  EXPECT_ERROR_CONTAINS(interpret(graph, inputs, MemoryLimits{1000, 1 << 20}),
                        "more than the limit of 1000 bytes for one tensor");
}

TEST(Limits, HugeConstantsAreACompileError) {
  Graph graph("constant");
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {1});
  auto c = b.constant(TensorType{DataType::Float32, {int64_t(1) << 25}},
                      Attribute(1.0));
  ASSERT_OK(c);
  auto y = b.create(OpKind::ReduceSum, {*c});
  ASSERT_OK(y);
  auto z = b.create(OpKind::Add, {x, *y});
  ASSERT_OK(z);
  b.setOutputs({*z});
  auto jit = Jit::create();
  ASSERT_OK(jit);
  EXPECT_ERROR_CONTAINS((*jit)->compile(graph),
                        "more than the 64 MiB a constant with values may have");
}

} // namespace
} // namespace qjit
