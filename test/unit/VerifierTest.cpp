//===- VerifierTest.cpp - Graph rules on graphs built through the API -----===//
#include "qjit/IR/Verifier.h"
#include "TestHelpers.h"
#include "qjit/IR/Builder.h"

using namespace qjit;
using qjit::test::errorText;

namespace {

const TensorType kVec2{DataType::Float32, {2}};

// @name(t0: Float32 [2], t1: Float32 [2]) { t2 = Add(t0, t1); t3 = Negate(t2);
// return t3 }, built and checked through the Builder.
Graph validGraph(std::string name) {
  Graph g(std::move(name));
  Builder b(g);
  ValueId x = b.addInput(kVec2);
  ValueId y = b.addInput(kVec2);
  ValueId sum = cantFail(b.create(OpKind::Add, {x, y}));
  ValueId neg = cantFail(b.create(OpKind::Negate, {sum}));
  b.setOutputs({neg});
  return g;
}

TEST(VerifierTest, AcceptsABuiltGraph) {
  EXPECT_EQ(errorText(verifyGraph(validGraph("f"))), "<success>");
}

TEST(VerifierTest, UseBeforeDefinition) {
  Graph g("f");
  ValueId x = g.newValue(kVec2);
  g.addInput(x);
  ValueId early = g.newValue(kVec2), late = g.newValue(kVec2);
  // t1 = Add(t0, t2) comes before t2 = Negate(t0).
  g.addOp(Operation(OpKind::Add, {x, late}, {early}));
  g.addOp(Operation(OpKind::Negate, {x}, {late}));
  g.setOutputs({early});
  EXPECT_ERROR_CONTAINS_ALL(verifyGraph(g), "'Add' op", "t1 = Add(t0, t2)",
                            "uses t2 before it is defined");
}

TEST(VerifierTest, OperandNeverDefined) {
  Graph g("f");
  ValueId x = g.newValue(kVec2);
  g.addInput(x);
  ValueId r = g.newValue(kVec2);
  g.addOp(Operation(OpKind::Multiply, {x, 9}, {r}));
  g.setOutputs({r});
  EXPECT_ERROR_CONTAINS(verifyGraph(g),
                        "'Multiply' op (in @f: t1 = Multiply(t0, t9) : "
                        "Float32 [2]) uses t9 before it is defined");
}

TEST(VerifierTest, OutputsMustBeDefined) {
  Graph g = validGraph("f");
  g.setOutputs({3, 7});
  EXPECT_ERROR_CONTAINS(verifyGraph(g), "returned value t7 is not defined");
  g.setOutputs({});
  EXPECT_ERROR_CONTAINS(verifyGraph(g), "graph @f returns no value");
}

TEST(VerifierTest, AnnotatedTypeMustEqualTheInferredOne) {
  Graph g = validGraph("f");
  // t2 = Add(t0, t1) really is Float32 [2].
  g.setType(2, TensorType{DataType::Float32, {3}});
  EXPECT_ERROR_CONTAINS_ALL(verifyGraph(g), "'Add' op",
                            "result t2 is annotated Float32 [3] but the op "
                            "produces Float32 [2]");

  Graph h = validGraph("h");
  h.setType(3, TensorType{DataType::Float64, {2}});
  EXPECT_ERROR_CONTAINS(verifyGraph(h),
                        "'Negate' op (in @h: t3 = Negate(t2) : Float64 [2]) "
                        "result t3 is annotated Float64 [2] but the op "
                        "produces Float32 [2]");
}

TEST(VerifierTest, InputTypeChangeIsCaughtAtTheUser) {
  Graph g = validGraph("f");
  g.setType(1, TensorType{DataType::Float32, {4}});
  EXPECT_ERROR_CONTAINS(verifyGraph(g),
                        "shapes [2] and [4] cannot be broadcast together");
  EXPECT_ERROR_CONTAINS(verifyGraph(g), "'Add' op");
}

TEST(VerifierTest, AttributeBrokenAfterBuilding) {
  Graph g("f");
  Builder b(g);
  ValueId x = b.addInput(kVec2);
  ValueId y =
      cantFail(b.create(OpKind::FakeQuantization, {x}, {{"scale", 0.5}}));
  b.setOutputs({y});
  g.getOps().back().setAttr("num_bits", Attribute(40));
  EXPECT_ERROR_CONTAINS_ALL(verifyGraph(g), "'FakeQuantization' op",
                            "num_bits must be in [2, 16], got 40");
}

TEST(VerifierTest, ResultRedefinesAValue) {
  Graph g("f");
  ValueId x = g.newValue(kVec2);
  g.addInput(x);
  g.addOp(Operation(OpKind::Negate, {x}, {x}));
  g.setOutputs({x});
  EXPECT_ERROR_CONTAINS_ALL(verifyGraph(g), "'Negate' op", "redefines t0");
}

TEST(VerifierTest, WrongResultCount) {
  Graph g("f");
  ValueId x = g.newValue(kVec2);
  g.addInput(x);
  ValueId a = g.newValue(kVec2), c = g.newValue(kVec2);
  g.addOp(Operation(OpKind::Abs, {x}, {a, c}));
  g.setOutputs({a});
  EXPECT_ERROR_CONTAINS(verifyGraph(g), "'Abs' op");
  EXPECT_ERROR_CONTAINS(verifyGraph(g), "has 2 results, expected 1");
}

TEST(VerifierTest, ReportsEveryViolation) {
  Graph g = validGraph("f");
  g.setType(2, TensorType{DataType::Float32, {3}});
  g.setOutputs({3, 11});
  EXPECT_ERROR_CONTAINS_ALL(verifyGraph(g), "result t2 is annotated",
                            "returned value t11 is not defined");
}

TEST(VerifierTest, DuplicateGraphNames) {
  Module m;
  m.addGraph(validGraph("f"));
  m.addGraph(validGraph("g"));
  EXPECT_EQ(errorText(verifyModule(m)), "<success>");
  m.addGraph(validGraph("f"));
  EXPECT_ERROR_CONTAINS(verifyModule(m), "graph @f is defined twice");
}

TEST(VerifierTest, ModuleReportsErrorsOfEachGraph) {
  Module m;
  m.addGraph(validGraph("f"));
  Graph &bad = m.addGraph(validGraph("g"));
  bad.setType(3, TensorType{DataType::Int8, {2}});
  EXPECT_ERROR_CONTAINS(verifyModule(m), "'Negate' op (in @g:");
}

} // namespace
