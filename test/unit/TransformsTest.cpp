//===- TransformsTest.cpp - Pass registry, pipelines, dce and cse ---------===//
#include "TestHelpers.h"
#include "qjit/IR/Builder.h"
#include "qjit/Transforms/PassRegistry.h"
#include "qjit/Transforms/Passes.h"
#include <gtest/gtest.h>

namespace qjit {
namespace {

TEST(PassRegistryTest, ListsEveryPassOfTheDefFileInOrder) {
  std::vector<std::string> expected;
#define QJIT_PASS(Name, Factory, Description) expected.push_back(Name);
#include "qjit/Transforms/PassRegistry.def"
  ASSERT_EQ(registeredPasses().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const PassInfo &info = registeredPasses()[i];
    EXPECT_EQ(info.name, expected[i]);
    EXPECT_FALSE(info.description.empty());
    // The factory makes a pass that reports the registered name.
    EXPECT_EQ(info.create()->getName(), info.name);
    EXPECT_EQ(findPass(expected[i]), &info);
  }
  EXPECT_EQ(findPass("no-such-pass"), nullptr);
}

TEST(PassPipelineTest, ParsesCommaSeparatedNames) {
  auto pipeline = parsePassPipeline("dce,cse");
  ASSERT_OK(pipeline);
  EXPECT_EQ(pipeline->size(), 2u);
  auto spaced = parsePassPipeline(" cse , dce,cse ");
  ASSERT_OK(spaced);
  EXPECT_EQ(spaced->size(), 3u);
  auto empty = parsePassPipeline("");
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(PassPipelineTest, UnknownOrEmptyNamesListTheKnownPasses) {
  EXPECT_ERROR_CONTAINS(parsePassPipeline("dce,fold"),
                        "unknown pass 'fold'; known passes: dce, cse");
  EXPECT_ERROR_CONTAINS(parsePassPipeline("dce,,cse"),
                        "empty pass name in pipeline 'dce,,cse'");
  EXPECT_ERROR_CONTAINS(parsePassPipeline("dce,"), "empty pass name");
}

// A pass that makes the first op use a value nobody defines.
class BreakingPass : public GraphPass {
public:
  llvm::StringRef getName() const override { return "break"; }
  llvm::Error runOnGraph(Graph &graph) override {
    graph.getOps().front().setOperand(0, 999);
    return llvm::Error::success();
  }
};

class FailingPass : public GraphPass {
public:
  llvm::StringRef getName() const override { return "fail"; }
  llvm::Error runOnGraph(Graph &graph) override {
    return llvm::make_error<llvm::StringError>("cannot do it",
                                               llvm::inconvertibleErrorCode());
  }
};

Module absModule() {
  Module module;
  Graph &g = module.addGraph(Graph("g"));
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {4});
  auto y = b.create(OpKind::Abs, {x});
  EXPECT_OK(y);
  b.setOutputs({*y});
  return module;
}

TEST(PassPipelineTest, VerifiesAfterEachPassAndNamesTheCulprit) {
  Module module = absModule();
  PassPipeline pipeline;
  pipeline.addPass(std::make_unique<BreakingPass>());
  EXPECT_ERROR_CONTAINS(pipeline.run(module),
                        "pass 'break' produced invalid IR: ");
  EXPECT_ERROR_CONTAINS(pipeline.run(module), "uses t999 before it is defined");

  Module unchecked = absModule();
  pipeline.setVerifyEach(false);
  EXPECT_OK(pipeline.run(unchecked));
}

TEST(PassPipelineTest, PassErrorsNameThePass) {
  Module module = absModule();
  PassPipeline pipeline;
  pipeline.addPass(createDeadCodeEliminationPass());
  pipeline.addPass(std::make_unique<FailingPass>());
  EXPECT_ERROR_CONTAINS(pipeline.run(module), "pass 'fail': cannot do it");
}

TEST(DeadCodeEliminationTest, RemovesUnusedOpsAndForgetsTheirValues) {
  Module module;
  Graph &g = module.addGraph(Graph("g"));
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {4});
  ValueId dead1 = *b.create(OpKind::Negate, {x});
  ValueId dead2 = *b.create(OpKind::Abs, {dead1});
  ValueId live = *b.create(OpKind::ReLU, {x});
  b.setOutputs({live});
  ASSERT_FALSE(
      static_cast<bool>(createDeadCodeEliminationPass()->runOnModule(module)));
  ASSERT_EQ(g.getOps().size(), 1u);
  EXPECT_EQ(g.getOps()[0].getKind(), OpKind::ReLU);
  EXPECT_FALSE(g.hasValue(dead1));
  EXPECT_FALSE(g.hasValue(dead2));
  EXPECT_TRUE(g.hasValue(live));
  EXPECT_TRUE(g.hasValue(x));
}

TEST(CommonSubexpressionEliminationTest, AttributeOrderDoesNotMatter) {
  // Ops made by hand may hold their attributes in any order.
  Module module;
  Graph &g = module.addGraph(Graph("g"));
  ValueId x = g.newValue({DataType::Float32, {4}});
  g.addInput(x);
  ValueId a = g.newValue({DataType::Float32, {4}});
  ValueId c = g.newValue({DataType::Float32, {4}});
  g.addOp(Operation(OpKind::FakeQuantization, {x}, {a},
                    {{"num_bits", Attribute(4)}, {"scale", Attribute(0.5)}}));
  g.addOp(Operation(OpKind::FakeQuantization, {x}, {c},
                    {{"scale", Attribute(0.5)}, {"num_bits", Attribute(4)}}));
  g.setOutputs({a, c});
  ASSERT_OK(createCommonSubexpressionEliminationPass()->runOnModule(module));
  ASSERT_EQ(g.getOps().size(), 1u);
  EXPECT_EQ(g.getOutputs()[0], a);
  EXPECT_EQ(g.getOutputs()[1], a);
  EXPECT_FALSE(g.hasValue(c));
}

TEST(CommonSubexpressionEliminationTest, ComparesFloatAttributesBitForBit) {
  Module module;
  Graph &g = module.addGraph(Graph("g"));
  Builder b(g);
  TensorType type{DataType::Float64, {2}};
  ValueId pos = *b.constant(type, Attribute(std::vector<double>{0.0, 1.0}));
  ValueId neg = *b.constant(type, Attribute(std::vector<double>{-0.0, 1.0}));
  double nan = std::numeric_limits<double>::quiet_NaN();
  ValueId nan1 = *b.constant(type, Attribute(nan));
  ValueId nan2 = *b.constant(type, Attribute(nan));
  b.setOutputs({pos, neg, nan1, nan2});
  ASSERT_OK(createCommonSubexpressionEliminationPass()->runOnModule(module));
  ASSERT_EQ(g.getOps().size(), 3u);
  llvm::SmallVector<ValueId, 4> expected{pos, neg, nan1, nan1};
  EXPECT_EQ(g.getOutputs(), llvm::ArrayRef<ValueId>(expected));
}

} // namespace
} // namespace qjit
