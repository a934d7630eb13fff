//===- StructuralHashTest.cpp - What the structural hash sees -------------===//
#include "qjit/IR/StructuralHash.h"
#include "TestHelpers.h"
#include "qjit/IR/Builder.h"
#include <cmath>
#include <set>

using namespace qjit;

namespace {

TensorType f32(Shape shape) { return {DataType::Float32, std::move(shape)}; }

// @name(x: Float32 [2, 3], s: Float32 [], z: Float32 []) {
//   d = Subtract(x, s); q = FakeQuantization(d, attrs...); return q }
// written directly with chosen value ids, so tests can renumber it.
Graph fqGraph(AttrList attrs, ValueId base = 0, std::string name = "f") {
  Graph g(std::move(name));
  ValueId x = base, s = base + 3, d = base + 7, q = base + 8;
  g.defineValue(x, f32({2, 3}));
  g.defineValue(s, f32({}));
  g.addInput(x);
  g.addInput(s);
  g.defineValue(d, f32({2, 3}));
  g.addOp(Operation(OpKind::Subtract, {x, s}, {d}));
  g.defineValue(q, f32({2, 3}));
  g.addOp(Operation(OpKind::FakeQuantization, {d}, {q}, std::move(attrs)));
  g.setOutputs({q});
  return g;
}

const AttrList kBaseAttrs = {
    {"num_bits", 8},
    {"symmetric", false},
    {"narrow_range", false},
    {"quant_min", 0},
    {"quant_max", 255},
    {"scale", std::vector<double>{0.5, 0.25}},
    {"zero_point", std::vector<int64_t>{3, 4}},
    {"axis", 0},
    {"gradient", Attribute::enumValue("clipped")},
    {"grad_factor", 1.0},
};

AttrList withAttr(llvm::StringRef name, Attribute value) {
  AttrList attrs = kBaseAttrs;
  for (NamedAttribute &a : attrs)
    if (a.name == name)
      a.value = std::move(value);
  return attrs;
}

TEST(StructuralHashTest, EqualForRenumberedGraphs) {
  uint64_t h = structuralHash(fqGraph(kBaseAttrs));
  EXPECT_EQ(h, structuralHash(fqGraph(kBaseAttrs)));
  // Other ids, other graph name: the same computation.
  EXPECT_EQ(h, structuralHash(fqGraph(kBaseAttrs, 100, "other")));
}

TEST(StructuralHashTest, EqualForBuilderAndHandWrittenGraphs) {
  Graph built("b");
  Builder b(built);
  ValueId x = b.addInput(DataType::Float32, {2, 3});
  ValueId s = b.addInput(DataType::Float32, {});
  ValueId d = cantFail(b.create(OpKind::Subtract, {x, s}));
  ValueId q = cantFail(b.create(OpKind::FakeQuantization, {d}, kBaseAttrs));
  b.setOutputs({q});
  EXPECT_EQ(structuralHash(built), structuralHash(fqGraph(kBaseAttrs, 40)));
}

TEST(StructuralHashTest, EveryFakeQuantizationAttributeChangesIt) {
  uint64_t base = structuralHash(fqGraph(kBaseAttrs));
  const std::pair<const char *, Attribute> changes[] = {
      {"num_bits", 7},
      {"symmetric", true},
      {"narrow_range", true},
      {"quant_min", 1},
      {"quant_max", 254},
      {"scale", std::vector<double>{0.5, 0.125}},
      {"scale", std::vector<double>{0.25, 0.5}},
      {"zero_point", std::vector<int64_t>{3, 5}},
      {"zero_point", std::vector<int64_t>{4, 3}},
      {"axis", 1},
      {"axis", -2},
      {"gradient", Attribute::enumValue("lsq")},
      {"gradient", Attribute::enumValue("ste")},
      {"grad_factor", 0.5},
      {"grad_factor", -1.0},
  };
  std::set<uint64_t> seen = {base};
  for (const auto &[name, value] : changes) {
    SCOPED_TRACE(std::string(name) + "=" + value.toString());
    uint64_t h = structuralHash(fqGraph(withAttr(name, value)));
    EXPECT_NE(h, base);
    EXPECT_TRUE(seen.insert(h).second) << "collides with another variant";
  }
}

TEST(StructuralHashTest, TinyFloatDifferencesChangeIt) {
  uint64_t base = structuralHash(fqGraph({{"scale", 0.1}}));
  EXPECT_NE(base,
            structuralHash(fqGraph({{"scale", std::nextafter(0.1, 1.0)}})));
  EXPECT_NE(structuralHash(fqGraph({{"grad_factor", 0.0}})),
            structuralHash(fqGraph({{"grad_factor", -0.0}})));
}

TEST(StructuralHashTest, AttributeKindAndPresenceMatter) {
  // An int and a float with the same value, and an absent attribute versus
  // its default, are different graphs to the hash.
  EXPECT_NE(structuralHash(fqGraph({{"scale", 1.0}})),
            structuralHash(fqGraph({{"scale", 1}})));
  EXPECT_NE(structuralHash(fqGraph({})),
            structuralHash(fqGraph({{"num_bits", 8}})));
  EXPECT_NE(structuralHash(fqGraph({{"quant_min", 0}, {"quant_max", 9}})),
            structuralHash(fqGraph({{"quant_max", 0}, {"quant_min", 9}})));
}

// @f(a: A, b: B) { c = Op(a, b); return c }
Graph binaryGraph(OpKind kind, TensorType a, TensorType b, TensorType c,
                  bool swap = false) {
  Graph g("f");
  ValueId x = g.newValue(a), y = g.newValue(b);
  g.addInput(x);
  g.addInput(y);
  ValueId r = g.newValue(c);
  g.addOp(swap ? Operation(kind, {y, x}, {r}) : Operation(kind, {x, y}, {r}));
  g.setOutputs({r});
  return g;
}

TEST(StructuralHashTest, OperandOrderOpKindTypesAndShapes) {
  TensorType t = f32({2});
  uint64_t base = structuralHash(binaryGraph(OpKind::Subtract, t, t, t));
  EXPECT_EQ(base, structuralHash(binaryGraph(OpKind::Subtract, t, t, t)));
  EXPECT_NE(base, structuralHash(binaryGraph(OpKind::Subtract, t, t, t, true)));
  EXPECT_NE(base, structuralHash(binaryGraph(OpKind::Add, t, t, t)));
  TensorType d{DataType::Float64, {2}};
  EXPECT_NE(base, structuralHash(binaryGraph(OpKind::Subtract, d, d, d)));
  TensorType i{DataType::Int32, {2}};
  EXPECT_NE(base, structuralHash(binaryGraph(OpKind::Subtract, i, i, i)));
  EXPECT_NE(base, structuralHash(binaryGraph(OpKind::Subtract, f32({3}),
                                             f32({3}), f32({3}))));
  EXPECT_NE(base, structuralHash(binaryGraph(OpKind::Subtract, f32({1, 2}),
                                             f32({1, 2}), f32({1, 2}))));
  // Only one input's shape differs.
  EXPECT_NE(base,
            structuralHash(binaryGraph(OpKind::Subtract, f32({1}), t, t)));
  // Only the result annotation differs.
  EXPECT_NE(base,
            structuralHash(binaryGraph(OpKind::Subtract, t, t, f32({1, 2}))));
}

TEST(StructuralHashTest, OutputsMatter) {
  Graph g("f");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {2});
  ValueId n = cantFail(b.create(OpKind::Negate, {x}));
  ValueId a = cantFail(b.create(OpKind::Abs, {x}));
  b.setOutputs({n, a});
  uint64_t base = structuralHash(g);
  b.setOutputs({a, n});
  EXPECT_NE(base, structuralHash(g));
  b.setOutputs({n});
  EXPECT_NE(base, structuralHash(g));
  b.setOutputs({n, a, a});
  EXPECT_NE(base, structuralHash(g));
  b.setOutputs({n, a});
  EXPECT_EQ(base, structuralHash(g));
}

TEST(StructuralHashTest, ConstantValuesMatter) {
  auto constantGraph = [](Attribute values, DataType dt = DataType::Float32) {
    Graph g("c");
    Builder b(g);
    ValueId c = cantFail(b.constant(TensorType{dt, {2}}, std::move(values)));
    b.setOutputs({c});
    return structuralHash(g);
  };
  uint64_t base = constantGraph(Attribute(std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(base, constantGraph(Attribute(std::vector<double>{1.0, 2.0})));
  EXPECT_NE(base, constantGraph(Attribute(std::vector<double>{2.0, 1.0})));
  EXPECT_NE(base, constantGraph(Attribute(std::vector<double>{1.0, 2.5})));
  EXPECT_NE(base, constantGraph(Attribute(std::vector<double>{1.0, 2.0}),
                                DataType::Float64));
}

} // namespace
