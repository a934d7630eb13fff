//===- JitOpsTest.cpp - The ops: JIT vs interpreter -----------===//
//
// Every op of Ops.def that CodeGen lowers (all but MatMul and Conv2D,
// see JitGemmTest), every admitted element type, odd sizes around the vector
// width (1, 15, 16, 17, 999), size-1, empty and broadcast dimensions, inputs
// salted with NaN, infinities, -0.0, ties and huge values, at -O0 and -O2.
//
// At -O0 nothing is vectorized or reordered: every output must equal the
// interpreter's byte for byte. At -O2 the same holds except where the contract
// allows otherwise:
// - exp, log, pow, tanh, erf become glibc libmvec calls (<= 4 ulp): Exp,
//   Log, Power, Tanh and Sigmoid within 4 ulp; GELU within 4 ulp or, where
//   1 + tanh/erf cancels, within the absolute error (4 eps |x|) that a 4 ulp
//   tanh/erf leaves;
// - ReduceSum/ReduceMean over a contiguous range and Softmax/LogSoftmax sum
//   in another order: within the classic bound of two summation orders,
//   2 (n + 1) eps sum |x_i|, and its consequences.
// A few hand-derived cases check the values themselves, independently of
// the interpreter.
//
//===----------------------------------------------------------------------===//
#include "JitTestSupport.h"
#include "qjit/IR/OpParams.h"
#include <cfloat>
#include <functional>
#include <fmt/format.h>

using namespace qjit;
using namespace qjit::test;

namespace {

const DataType kFloatTypes[] = {DataType::Float32, DataType::Float64};
const DataType kAllTypes[] = {
    DataType::Float32, DataType::Float64, DataType::Int8,  DataType::UInt8,
    DataType::Int16,   DataType::Int32,   DataType::Int64, DataType::Bool};

const int64_t kSizes[] = {1, 2, 7, 15, 16, 17, 31, 32, 33, 64, 65, 999};

const FillOptions kSalted = {/*range=*/100, /*specialFraction=*/0.15,
                             /*tieFraction=*/0.1, /*tieScale=*/1};

//===-- Comparison with tolerances ----------------------------------------===//

// How an output of the JIT may differ from the interpreter's.
struct Tolerance {
  double ulps = 0; // distance in units in the last place
  // |actual - expected| <= bound(i): an absolute bound per element.
  std::function<double(int64_t)> bound;
  bool nanPayload = false; // any NaN equals any NaN
  bool any() const { return ulps > 0 || bound || nanPayload; }
};

template <typename T> uint64_t orderedBits(T v) {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  U bits;
  std::memcpy(&bits, &v, sizeof bits);
  U sign = U(1) << (8 * sizeof(T) - 1);
  // Monotonic in the value: negatives below positives, -0.0 next to +0.0.
  return (bits & sign) ? uint64_t(U(~bits)) : uint64_t(bits | sign);
}

template <typename T> double ulpDistance(T a, T b) {
  uint64_t x = orderedBits(a), y = orderedBits(b);
  return double(x > y ? x - y : y - x);
}

template <typename T>
std::string compareFloats(const T *actual, const T *expected, int64_t count,
                          const Tolerance &tol) {
  for (int64_t i = 0; i < count; ++i) {
    T a = actual[i], e = expected[i];
    if (orderedBits(a) == orderedBits(e))
      continue;
    if (std::isnan(a) && std::isnan(e))
      continue; // payloads differ: allowed under any tolerance
    if (std::isnan(a) != std::isnan(e) || std::isinf(a) || std::isinf(e)) {
      if (!(tol.bound && std::isinf(tol.bound(i))))
        return fmt::format("element {}: {} vs {}", i, a, e);
      continue;
    }
    if (tol.ulps > 0 && ulpDistance(a, e) <= tol.ulps)
      continue;
    if (tol.bound && std::abs(double(a) - double(e)) <= tol.bound(i))
      continue;
    return fmt::format(
        "element {}: {} vs {} ({} ulp apart{})", i, a, e, ulpDistance(a, e),
        tol.bound ? fmt::format(", bound {}", tol.bound(i)) : std::string());
  }
  return "";
}

// "" if `actual` is acceptable, else where it is not.
std::string compare(const Tensor &actual, const Tensor &expected,
                    const Tolerance &tol) {
  if (actual.getType() != expected.getType())
    return "type " + actual.getType().toString() + " vs " +
           expected.getType().toString();
  if (!tol.any() || !isFloatType(actual.elementType()))
    return actual.bitwiseEqual(expected) ? ""
                                         : describeMismatch(actual, expected);
  if (actual.elementType() == DataType::Float32)
    return compareFloats(actual.as<float>(), expected.as<float>(),
                         actual.numElements(), tol);
  return compareFloats(actual.as<double>(), expected.as<double>(),
                       actual.numElements(), tol);
}

// The tolerance of output `index` for given inputs (at -O2).
using ToleranceFn = std::function<Tolerance(
    size_t index, llvm::ArrayRef<Tensor> inputs, const Graph &graph)>;

// Runs `graph` with the JIT and the interpreter and compares: bit for bit
// at -O0, within `tolerance` (if any) at -O2. With `sums`, any two NaNs are
// equal at every level: when two NaNs meet in an addition (an input NaN
// and the one inf - inf makes), IEEE-754 leaves open which one results, and
// compilers commute the operands of an fadd.
void expectAgrees(const Graph &graph, llvm::ArrayRef<Tensor> inputs,
                  unsigned optLevel, const std::string &what,
                  const ToleranceFn &tolerance = {}, bool sums = false) {
  SCOPED_TRACE(what + " at -O" + std::to_string(optLevel) + "\n" +
               graph.toString());
  auto outputs = runJitAndInterpreter(graph, inputs, optLevel);
  if (!outputs)
    return;
  for (size_t i = 0; i < outputs->actual.size(); ++i) {
    Tolerance tol;
    if (optLevel > 0 && tolerance)
      tol = tolerance(i, inputs, graph);
    tol.nanPayload |= sums;
    std::string mismatch =
        compare(outputs->actual[i], outputs->expected[i], tol);
    EXPECT_EQ(mismatch, "") << "output " << i;
  }
}

void expectAgreesAtAllLevels(const Graph &graph, llvm::ArrayRef<Tensor> inputs,
                             const std::string &what,
                             const ToleranceFn &tolerance = {},
                             bool sums = false) {
  for (unsigned opt : kOptLevels)
    expectAgrees(graph, inputs, opt, what, tolerance, sums);
}

double epsilonOf(DataType type) {
  return type == DataType::Float32 ? double(FLT_EPSILON) : DBL_EPSILON;
}

// A double view of element `i` of a float tensor.
double valueAt(const Tensor &t, int64_t i) {
  return t.elementType() == DataType::Float32 ? double(t.as<float>()[i])
                                              : t.as<double>()[i];
}

Tolerance ulpTolerance(double ulps) {
  Tolerance tol;
  tol.ulps = ulps;
  return tol;
}

//===-- Graphs ------------------------------------------------------------===//

std::vector<std::vector<Shape>> unaryShapes() {
  std::vector<std::vector<Shape>> shapes;
  for (int64_t n : kSizes)
    shapes.push_back({Shape{n}});
  for (Shape s : {Shape{3, 5}, Shape{2, 3, 17}, Shape{1, 1, 16}, Shape{0},
                  Shape{4, 0, 2}, Shape{}})
    shapes.push_back({s});
  return shapes;
}

// Binary shapes: equal ones of every size, and broadcasting pairs.
std::vector<std::vector<Shape>> binaryShapes() {
  std::vector<std::vector<Shape>> shapes;
  for (int64_t n : kSizes)
    shapes.push_back({Shape{n}, Shape{n}});
  const std::vector<std::vector<Shape>> pairs = {{{3, 1}, {1, 4}},
                                                 {{}, {17}},
                                                 {{17}, {}},
                                                 {{5, 1, 7}, {7}},
                                                 {{2, 16, 1}, {2, 1, 17}},
                                                 {{1, 999}, {3, 1}},
                                                 {{0, 3}, {1, 3}},
                                                 {{}, {}}};
  shapes.insert(shapes.end(), pairs.begin(), pairs.end());
  return shapes;
}

//===-- Elementwise math
//---------------------------------------------------===//

TEST(JitOps, ExactUnaryOps) {
  struct Case {
    OpKind kind;
    AttrList attrs;
    llvm::ArrayRef<DataType> types;
  };
  const Case cases[] = {
      {OpKind::Sqrt, {}, kFloatTypes},
      {OpKind::Square, {}, kNumericTypes},
      {OpKind::LeakyReLU, {}, kFloatTypes},
      {OpKind::LeakyReLU, {{"alpha", 0.2}}, kFloatTypes},
      {OpKind::LeakyReLU, {{"alpha", -1.5}}, kFloatTypes},
      {OpKind::Clamp, {{"min", -1.5}, {"max", 2.25}}, kFloatTypes},
      {OpKind::Clamp, {{"min", 0.0}}, kFloatTypes},
      {OpKind::Clamp, {{"max", -0.0}}, kFloatTypes},
      {OpKind::Clamp, {{"min", 1e-40}, {"max", 1e30}}, kFloatTypes},
  };
  for (const Case &c : cases)
    for (DataType type : c.types) {
      Graph graph = manyShapesGraph(c.kind, type, unaryShapes(), c.attrs);
      expectAgreesAtAllLevels(graph, randomInputs(graph, kSalted),
                              graph.getName().str());
    }
}

TEST(JitOps, IntegerClamp) {
  struct Case {
    DataType type;
    AttrList attrs;
  };
  const Case cases[] = {
      {DataType::Int8, {{"min", int64_t(-7)}, {"max", int64_t(9)}}},
      {DataType::Int8, {{"min", int64_t(-128)}}},
      {DataType::UInt8, {{"min", int64_t(3)}, {"max", int64_t(200)}}},
      {DataType::UInt8, {{"max", int64_t(15)}}},
      {DataType::Int16, {{"min", int64_t(-300)}, {"max", int64_t(5)}}},
      {DataType::Int32, {{"min", int64_t(-2147483648LL)}, {"max", int64_t(0)}}},
      {DataType::Int64,
       {{"min", int64_t(-3000000000LL)}, {"max", int64_t(4000000000LL)}}},
      {DataType::Int64, {{"max", int64_t(-1)}}},
  };
  for (const Case &c : cases) {
    Graph graph =
        manyShapesGraph(OpKind::Clamp, c.type, unaryShapes(), c.attrs);
    expectAgreesAtAllLevels(graph, randomInputs(graph, kSalted),
                            graph.getName().str());
  }
}

TEST(JitOps, TranscendentalUnaryOps) {
  // libmvec's documented bound (<= 4 ulp) between vector and scalar calls.
  const double kUlps = 4;
  for (OpKind kind : {OpKind::Exp, OpKind::Log, OpKind::Sigmoid, OpKind::Tanh})
    for (DataType type : kFloatTypes) {
      Graph graph = manyShapesGraph(kind, type, unaryShapes());
      // Logarithms of positive numbers mostly, tiny to huge.
      FillOptions fill = kSalted;
      if (kind == OpKind::Exp || kind == OpKind::Sigmoid)
        fill.range = 90; // both sides of expf's overflow at 88.7
      expectAgreesAtAllLevels(
          graph, randomInputs(graph, fill), graph.getName().str(),
          [&](size_t, llvm::ArrayRef<Tensor>, const Graph &) {
            return ulpTolerance(kUlps);
          });
      if (kind == OpKind::Log) {
        std::vector<Tensor> positive;
        for (ValueId v : graph.getInputs()) {
          Tensor t = randomTensor(graph.getType(v), {1e3, 0, 0, 1});
          for (int64_t i = 0; i < t.numElements(); ++i) {
            double x = std::abs(valueAt(t, i)) * (i % 3 ? 1.0 : 1e-30);
            if (type == DataType::Float32)
              t.as<float>()[i] = float(x);
            else
              t.as<double>()[i] = x;
          }
          positive.push_back(std::move(t));
        }
        expectAgreesAtAllLevels(
            graph, positive, "log of positive numbers",
            [&](size_t, llvm::ArrayRef<Tensor>, const Graph &) {
              return ulpTolerance(kUlps);
            });
      }
    }
}

TEST(JitOps, GELU) {
  for (const char *approximate : {"none", "tanh"})
    for (DataType type : kFloatTypes) {
      Graph graph =
          manyShapesGraph(OpKind::GELU, type, unaryShapes(),
                          {{"approximate", Attribute::enumValue(approximate)}});
      for (FillOptions fill : {kSalted, FillOptions{6, 0, 0, 1}}) {
        std::vector<Tensor> inputs = randomInputs(graph, fill);
        // GELU = 0.5 x (1 + f) with f = erf or tanh within 4 ulp (<= 4 eps
        // absolute, |f| <= 1): a difference of 2 eps |x| at most however
        // much 1 + f cancels, doubled for the roundings around it.
        ToleranceFn tolerance = [type](size_t index, llvm::ArrayRef<Tensor> in,
                                       const Graph &) {
          Tolerance tol = ulpTolerance(4);
          const Tensor &x = in[index];
          double eps = epsilonOf(type);
          tol.bound = [&x, eps](int64_t i) {
            return 4 * eps * std::abs(valueAt(x, i));
          };
          return tol;
        };
        expectAgreesAtAllLevels(graph, inputs,
                                fmt::format("GELU {}", approximate), tolerance);
      }
    }
}

TEST(JitOps, Power) {
  for (DataType type : kFloatTypes) {
    Graph graph = manyShapesGraph(OpKind::Power, type, binaryShapes());
    // Bases and exponents of moderate size (and ties: half-integers), so
    // that most results are finite; negative bases give NaN unless the
    // exponent is an integer.
    for (FillOptions fill :
         {FillOptions{4, 0.15, 0.2, 1}, FillOptions{30, 0.05, 0, 1}}) {
      expectAgreesAtAllLevels(graph, randomInputs(graph, fill),
                              graph.getName().str(),
                              [](size_t, llvm::ArrayRef<Tensor>,
                                 const Graph &) { return ulpTolerance(4); });
    }
  }
}

//===-- Quantize / Dequantize
//----------------------------------------------===//

struct QuantCase {
  Shape shape;
  AttrList attrs; // scale, zero_point, axis
};

std::vector<QuantCase> quantCases(DataType intType) {
  int64_t qmin = intType == DataType::Int8    ? -128
                 : intType == DataType::UInt8 ? 0
                                              : INT32_MIN;
  int64_t qmax = intType == DataType::Int8    ? 127
                 : intType == DataType::UInt8 ? 255
                                              : INT32_MAX;
  std::vector<QuantCase> cases;
  for (int64_t n : {1, 15, 16, 17, 999})
    for (double s : {0.05, 1.0, 1e-3, 7.3, 1e-30})
      for (int64_t zp : {int64_t(0), qmin, qmax, (qmin + qmax) / 2 + 3})
        cases.push_back({{n}, {{"scale", s}, {"zero_point", zp}}});
  struct Layout {
    Shape shape;
    int64_t axis;
  };
  const Layout layouts[] = {{{4, 7}, 0},     {{4, 7}, 1},     {{3, 5, 6}, 1},
                            {{3, 5, 6}, -3}, {{2, 3, 17}, 2}, {{1, 16}, 1},
                            {{33}, 0},       {{5, 1, 3}, 1},  {{2, 0, 3}, 2}};
  for (const Layout &l : layouts) {
    int64_t rank = l.shape.size();
    int64_t c = l.shape[l.axis < 0 ? l.axis + rank : l.axis];
    std::vector<double> scales;
    std::vector<int64_t> zps;
    const double pool[] = {0.05, 0.5, 1.0, 0.3, 1e-3, 7.0, 0.125, 2.5};
    for (int64_t i = 0; i < c; ++i) {
      scales.push_back(pool[i % 8]);
      zps.push_back(i % 3 == 0 ? qmin : i % 3 == 1 ? qmax : 0);
    }
    cases.push_back(
        {l.shape, {{"scale", scales}, {"zero_point", zps}, {"axis", l.axis}}});
    cases.push_back({l.shape, {{"scale", scales}, {"axis", l.axis}}});
  }
  return cases;
}

std::string describe(const AttrList &attrs) {
  std::string text;
  for (const NamedAttribute &a : attrs)
    text += a.name + "=" + a.value.toString() + " ";
  return text;
}

TEST(JitOps, Quantize) {
  for (DataType intType : {DataType::Int8, DataType::UInt8, DataType::Int32})
    for (const QuantCase &c : quantCases(intType)) {
      AttrList attrs = c.attrs;
      attrs.push_back(
          {"dtype", Attribute::enumValue(dataTypeName(intType).str())});
      Graph graph = singleOpGraph(OpKind::Quantize,
                                  {typeOf(DataType::Float32, c.shape)}, attrs);
      // Ties at the scale (roundeven), huge values (saturation), NaN.
      double s = c.attrs[0].value.isFloat() ? c.attrs[0].value.getFloat() : 0.5;
      FillOptions fill = {300 * s, 0.15, 0.3, s, 300};
      expectAgreesAtAllLevels(graph, randomInputs(graph, fill),
                              describe(attrs));
      expectAgreesAtAllLevels(graph, randomInputs(graph, {3e9, 0.1, 0, 1}),
                              describe(attrs) + " wide range");
    }
}

TEST(JitOps, Dequantize) {
  for (DataType intType : {DataType::Int8, DataType::UInt8, DataType::Int32})
    for (const QuantCase &c : quantCases(intType)) {
      Graph graph = singleOpGraph(OpKind::Dequantize,
                                  {typeOf(intType, c.shape)}, c.attrs);
      expectAgreesAtAllLevels(graph, randomInputs(graph, kSalted),
                              describe(c.attrs));
    }
}

//===-- Shape ops
//----------------------------------------------------------===//

TEST(JitOps, Transpose) {
  struct Case {
    Shape shape;
    std::vector<std::vector<int64_t>> perms; // empty list: the default
  };
  const Case cases[] = {
      {{}, {{}}},
      {{17}, {{}, {0}}},
      {{3, 4}, {{}, {0, 1}, {1, 0}}},
      {{17, 33}, {{1, 0}}},
      // Tiled (tiles of 16 to 64 elements, partial ones at the edges).
      {{40, 70}, {{1, 0}}},
      {{3, 65, 130}, {{0, 2, 1}, {2, 1, 0}}},
      {{2, 3, 5},
       {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}},
      {{2, 1, 3, 16}, {{3, 2, 1, 0}, {0, 2, 1, 3}, {1, 0, 3, 2}, {2, 3, 0, 1}}},
      {{0, 3}, {{1, 0}}},
      {{1, 1, 5}, {{2, 0, 1}}},
  };
  for (DataType type : kAllTypes)
    for (const Case &c : cases)
      for (const std::vector<int64_t> &perm : c.perms) {
        AttrList attrs; // an empty list: the default (reversed) order
        if (!perm.empty())
          attrs.push_back({"perm", perm});
        Graph graph =
            singleOpGraph(OpKind::Transpose, {typeOf(type, c.shape)}, attrs);
        expectAgreesAtAllLevels(graph, randomInputs(graph, kSalted),
                                dataTypeName(type).str());
      }
}

TEST(JitOps, Broadcast) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{}, {5}},        {{1}, {17}},
      {{3, 1}, {3, 4}}, {{1, 4}, {2, 3, 4}},
      {{5}, {2, 1, 5}}, {{2, 1, 3}, {2, 16, 3}},
      {{1, 1}, {0, 3}}, {{17, 1}, {17, 33}},
      {{4}, {4}},       {{1, 3, 1}, {2, 3, 999}}};
  for (DataType type : kAllTypes)
    for (const auto &[in, out] : cases) {
      Graph graph = singleOpGraph(
          OpKind::Broadcast, {typeOf(type, in)},
          {{"shape", std::vector<int64_t>(out.begin(), out.end())}});
      expectAgreesAtAllLevels(graph, randomInputs(graph, kSalted),
                              shapeToString(in) + " -> " + shapeToString(out));
    }
}

TEST(JitOps, Concat) {
  struct Case {
    std::vector<Shape> shapes;
    int64_t axis;
  };
  const Case cases[] = {
      {{{5}}, 0},
      {{{5}, {0}, {17}}, 0},
      {{{2, 3}, {2, 5}, {2, 1}, {2, 16}}, 1},
      {{{2, 3}, {4, 3}}, 0},
      {{{2, 3, 4}, {2, 1, 4}, {2, 0, 4}}, -2},
      {{{3, 4, 5}, {3, 4, 17}}, -1},
      {{{1, 999}, {1, 1}}, 1},
  };
  for (DataType type : kAllTypes)
    for (const Case &c : cases) {
      std::vector<TensorType> inputs;
      for (const Shape &s : c.shapes)
        inputs.push_back(typeOf(type, s));
      Graph graph = singleOpGraph(OpKind::Concat, inputs, {{"axis", c.axis}});
      expectAgreesAtAllLevels(graph, randomInputs(graph, kSalted),
                              fmt::format("axis {}", c.axis));
    }
}

TEST(JitOps, Slice) {
  struct Case {
    Shape shape;
    std::vector<int64_t> starts, ends, steps;
  };
  const int64_t kEnd = std::numeric_limits<int64_t>::max();
  const Case cases[] = {
      {{10}, {2}, {9}, {3}},
      {{10}, {-3}, {kEnd}, {1}},
      {{999}, {1}, {998}, {1}},
      {{999}, {0}, {kEnd}, {16}},
      {{10}, {7}, {3}, {1}}, // empty
      {{4, 5, 6}, {1, 0, 2}, {4, 5, 6}, {2, 1, 3}},
      {{4, 5, 6}, {0, -2, 0}, {kEnd, kEnd, -1}, {1, 1, 1}},
      {{3, 17}, {0, 1}, {3, 17}, {1, 1}},
      {{2, 1, 33}, {-5, 0, -100}, {100, 1, 100}, {1, 1, 2}},
  };
  for (DataType type : kAllTypes)
    for (const Case &c : cases) {
      Graph graph = singleOpGraph(
          OpKind::Slice, {typeOf(type, c.shape)},
          {{"starts", c.starts}, {"ends", c.ends}, {"steps", c.steps}});
      expectAgreesAtAllLevels(graph, randomInputs(graph, kSalted),
                              shapeToString(c.shape));
    }
}

TEST(JitOps, ReshapeViewsAndCopies) {
  // Views of an input, of a constant, of intermediates (chained, used
  // after their root's other uses); a Reshape returned (a copy into the
  // output buffer), one of an output, one never used.
  Graph g("reshapes");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {4, 6});
  auto c = b.constant(typeOf(DataType::Float32, {2, 3}),
                      Attribute(std::vector<double>{1, -2, 3.5, -0.0, 5, 6}));
  ASSERT_OK(c);
  auto shape = [](std::vector<int64_t> s) {
    return AttrList{{"shape", Attribute(std::move(s))}};
  };
  auto t1 = b.create(OpKind::Abs, {x});
  auto v1 = b.create(OpKind::Reshape, {*t1}, shape({6, 4}));
  auto v2 = b.create(OpKind::Reshape, {*v1}, shape({24}));
  auto t2 = b.create(OpKind::Negate, {x});
  auto v3 = b.create(OpKind::Reshape, {*t2}, shape({24}));
  auto t3 = b.create(OpKind::Add, {*v2, *v3});
  auto vx = b.create(OpKind::Reshape, {x}, shape({3, 8}));
  auto vc = b.create(OpKind::Reshape, {*c}, shape({6}));
  auto t4 = b.create(OpKind::Reshape, {*t3}, shape({2, -1}));
  auto dead = b.create(OpKind::Reshape, {*t2}, shape({-1}));
  auto t5 = b.create(OpKind::Square, {*vx});
  auto t6 = b.create(OpKind::Reshape, {*t5}, shape({24}));
  auto t7 = b.create(OpKind::Subtract, {*t6, *v2});
  ASSERT_TRUE(t1 && v1 && v2 && t2 && v3 && t3 && vx && vc && t4 && dead &&
              t5 && t6 && t7);
  b.setOutputs({*t4, *vx, *vc, *t5, *t6, *t7, *v1});
  expectAgreesAtAllLevels(g, randomInputs(g, kSalted), "reshapes");
}

TEST(JitOps, ReshapeOfBoolAndEveryType) {
  for (DataType type : kAllTypes) {
    Graph g("reshape");
    Builder b(g);
    ValueId x = b.addInput(type, {3, 5});
    auto r =
        b.create(OpKind::Reshape, {x}, {{"shape", std::vector<int64_t>{5, 3}}});
    auto t = b.create(OpKind::Transpose, {*r});
    ASSERT_TRUE(r && t);
    b.setOutputs({*t, *r});
    expectAgreesAtAllLevels(g, randomInputs(g, kSalted),
                            dataTypeName(type).str());
  }
}

TEST(JitOps, ReshapeViewTakesNoWorkspace) {
  // Abs -> Reshape -> Negate: the view shares Abs's block, so one block of
  // 1000 floats (4032 bytes, 64-byte aligned) and no copy kernel.
  Graph g("view");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {10, 100});
  auto t1 = b.create(OpKind::Abs, {x});
  auto v =
      b.create(OpKind::Reshape, {*t1}, {{"shape", std::vector<int64_t>{1000}}});
  auto t2 = b.create(OpKind::Negate, {*v});
  ASSERT_TRUE(t1 && v && t2);
  b.setOutputs({*t2});
  auto compiled = jitAt(2).compile(g);
  ASSERT_OK(compiled);
  EXPECT_EQ((*compiled)->getWorkspaceSize(), 4032u);
  auto ir = jitAt(0).emitLLVMIR(g);
  ASSERT_OK(ir);
  EXPECT_EQ(ir->find("Reshape"), std::string::npos) << *ir;
  expectAgreesAtAllLevels(g, randomInputs(g, kSalted), "view");
}

//===-- Reductions
//---------------------------------------------------------===//

struct ReduceCase {
  Shape shape;
  std::vector<int64_t> axes; // empty: all
  bool keepDims;
};

std::vector<ReduceCase> reduceCases(bool allowEmptyReduction) {
  std::vector<ReduceCase> cases = {
      {{999}, {}, false},
      {{999}, {0}, true},
      {{1}, {}, false},
      {{15}, {}, false},
      {{16}, {0}, false},
      {{17}, {}, true},
      {{15, 17}, {0}, false},
      {{15, 17}, {1}, true},
      {{15, 17}, {0, 1}, false},
      {{15, 17}, {-1}, false},
      {{2, 3, 4, 5}, {1, 3}, false},
      {{2, 3, 4, 5}, {0, 2}, true},
      {{2, 3, 4, 5}, {0, 1}, false},
      {{2, 3, 4, 5}, {2, 3}, false},
      {{2, 3, 4, 5}, {1, 2}, false},
      {{2, 3, 4, 5}, {0, 3}, true},
      {{4, 1, 5}, {1}, false},
      {{1, 16, 1}, {0, 2}, false},
      {{3, 33, 2}, {1}, false},
      {{64, 3}, {0}, false},
      {{}, {}, false},
      {{0, 3}, {1}, false},
  };
  if (allowEmptyReduction) {
    cases.push_back({{3, 0, 4}, {1}, false});
    cases.push_back({{0}, {}, false});
    cases.push_back({{0, 3}, {0}, true});
  }
  return cases;
}

AttrList reduceAttrs(const ReduceCase &c) {
  AttrList attrs;
  if (!c.axes.empty())
    attrs.push_back({"axes", c.axes});
  if (c.keepDims)
    attrs.push_back({"keep_dims", true});
  return attrs;
}

// The sums of |x| over each result's elements, in double: the scale of a
// summation's rounding error.
std::vector<double> absoluteSums(const Tensor &x, const Operation &op) {
  llvm::ArrayRef<int64_t> shape = x.shape();
  auto axes = llvm::cantFail(getReduceAxes(op, shape.size()));
  int64_t results = 1;
  for (size_t d = 0; d < shape.size(); ++d)
    if (!llvm::is_contained(axes, int64_t(d)))
      results *= shape[d];
  std::vector<double> sums(results, 0.0);
  for (int64_t i = 0; i < x.numElements(); ++i) {
    int64_t rest = i, index = 0, stride = 1;
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      int64_t coord = rest % shape[d];
      rest /= shape[d];
      if (llvm::is_contained(axes, d))
        continue;
      index += coord * stride;
      stride *= shape[d];
    }
    sums[index] += std::abs(valueAt(x, i));
  }
  return sums;
}

TEST(JitOps, Reductions) {
  for (OpKind kind : {OpKind::ReduceSum, OpKind::ReduceMean, OpKind::ReduceMax,
                      OpKind::ReduceMin}) {
    bool isSum = kind == OpKind::ReduceSum || kind == OpKind::ReduceMean;
    for (DataType type : kNumericTypes) {
      if (kind == OpKind::ReduceMean && !isFloatType(type))
        continue;
      for (const ReduceCase &c : reduceCases(isSum)) {
        Graph graph =
            singleOpGraph(kind, {typeOf(type, c.shape)}, reduceAttrs(c));
        const Operation &op = graph.getOps().back();
        ToleranceFn tolerance;
        if (isSum && isFloatType(type)) {
          // Two summation orders of n terms differ by at most
          // 2 (n + 1) eps sum |x_i| (no overflow: skipped when sum |x_i|
          // exceeds the type's range; NaN must stay NaN); Mean divides it
          // by n and rounds once more.
          tolerance = [&op, kind, type](size_t, llvm::ArrayRef<Tensor> in,
                                        const Graph &) {
            auto sums =
                std::make_shared<std::vector<double>>(absoluteSums(in[0], op));
            int64_t n = in[0].numElements() / std::max<size_t>(sums->size(), 1);
            double eps = epsilonOf(type);
            double limit = type == DataType::Float32 ? FLT_MAX : DBL_MAX;
            Tolerance tol = ulpTolerance(kind == OpKind::ReduceMean ? 1 : 0);
            tol.bound = [=](int64_t i) {
              double s = (*sums)[i];
              if (std::isnan(s))
                return 0.0; // NaN in, NaN out whatever the order
              if (!(s <= limit))
                return std::numeric_limits<double>::infinity();
              double bound = 2 * (n + 1) * eps * s;
              return kind == OpKind::ReduceMean ? bound / n + eps * s / n
                                                : bound;
            };
            return tol;
          };
        }
        std::string what = fmt::format(
            "{} {} axes {}{}", opName(kind).str(), shapeToString(c.shape),
            shapeToString(c.axes), c.keepDims ? " keep" : "");
        expectAgreesAtAllLevels(graph, randomInputs(graph, kSalted), what,
                                tolerance, isSum);
        if (isFloatType(type))
          expectAgreesAtAllLevels(graph, randomInputs(graph, {3, 0, 0, 1}),
                                  what + " clean", tolerance, isSum);
      }
    }
  }
}

//===-- Softmax
//------------------------------------------------------------===//

TEST(JitOps, SoftmaxAndLogSoftmax) {
  struct Case {
    Shape shape;
    int64_t axis;
  };
  const Case cases[] = {{{10}, 0},     {{4, 10, 3}, 1}, {{3, 999}, -1},
                        {{999, 3}, 0}, {{2, 3, 17}, 2}, {{2, 16, 5}, 1},
                        {{5, 1}, 1},   {{1, 16}, 0},    {{0, 5}, 1},
                        {{7, 15}, -1}, {{1}, 0}};
  for (OpKind kind : {OpKind::Softmax, OpKind::LogSoftmax})
    for (DataType type : kFloatTypes)
      for (const Case &c : cases) {
        Graph graph =
            singleOpGraph(kind, {typeOf(type, c.shape)}, {{"axis", c.axis}});
        int64_t rank = c.shape.size();
        int64_t n = c.shape[c.axis < 0 ? c.axis + rank : c.axis];
        // The sum s of n exponentials, each within 4 ulp, in another order:
        // relative error (n + 8) eps at most. Softmax e / s inherits it
        // (plus a few denormal steps where e underflows); LogSoftmax
        // (x - m) - log(s) has it as an absolute error (plus 4 ulp of
        // log(s) <= log(n)) on top of the final rounding.
        ToleranceFn full = [=](size_t, llvm::ArrayRef<Tensor> in,
                               const Graph &g) {
          auto results = interpret(g, in);
          auto expected = std::make_shared<Tensor>(std::move((*results)[0]));
          double eps = epsilonOf(type), rel = (n + 8) * eps;
          double tiny = type == DataType::Float32
                            ? double(std::numeric_limits<float>::denorm_min())
                            : std::numeric_limits<double>::denorm_min();
          Tolerance tol = ulpTolerance(4);
          tol.bound = [=](int64_t i) {
            double e = std::abs(valueAt(*expected, i));
            return kind == OpKind::Softmax
                       ? 64 * tiny + rel * e
                       : rel * (1 + std::log(n + 1.0)) + 4 * eps * e;
          };
          return tol;
        };
        std::string what = fmt::format("{} {} axis {}", opName(kind).str(),
                                       shapeToString(c.shape), c.axis);
        expectAgreesAtAllLevels(graph, randomInputs(graph, kSalted), what, full,
                                /*sums=*/true);
        expectAgreesAtAllLevels(graph, randomInputs(graph, {5, 0, 0, 1}),
                                what + " clean", full, /*sums=*/true);
      }
}

//===-- Pooling
//------------------------------------------------------------===//

TEST(JitOps, Pooling) {
  struct Case {
    Shape shape;
    AttrList attrs;
  };
  using L = std::vector<int64_t>;
  const Case cases[] = {
      {{2, 3, 7, 9}, {{"kernel_size", 2}}},
      {{2, 3, 7, 9}, {{"kernel_size", 3}, {"stride", 1}, {"padding", 1}}},
      {{2, 3, 7, 9},
       {{"kernel_size", L{2, 3}}, {"stride", L{1, 2}}, {"padding", L{1, 0}}}},
      {{1, 1, 1, 1}, {{"kernel_size", 1}}},
      {{1, 2, 16, 17}, {{"kernel_size", 3}, {"stride", 2}, {"padding", 1}}},
      {{2, 1, 5, 33}, {{"kernel_size", L{1, 3}}, {"stride", L{1, 3}}}},
      {{1, 2, 6, 40},
       {{"kernel_size", L{3, 5}}, {"stride", 1}, {"padding", L{1, 2}}}},
      {{1, 1, 4, 4}, {{"kernel_size", 4}, {"padding", 2}}},
  };
  for (OpKind kind : {OpKind::MaxPool2D, OpKind::AvgPool2D})
    for (DataType type : kNumericTypes) {
      if (kind == OpKind::AvgPool2D && !isFloatType(type))
        continue;
      for (const Case &c : cases)
        for (bool includePad : {true, false}) {
          AttrList attrs = c.attrs;
          if (kind == OpKind::AvgPool2D)
            attrs.push_back({"count_include_pad", includePad});
          else if (!includePad)
            continue;
          Graph graph = singleOpGraph(kind, {typeOf(type, c.shape)}, attrs);
          // Each window is summed in the interpreter's order: bit for bit
          // (up to the NaN that results when two meet).
          expectAgreesAtAllLevels(graph, randomInputs(graph, kSalted),
                                  describe(attrs), {},
                                  kind == OpKind::AvgPool2D);
        }
    }
}

//===-- Hand-derived values
//-------------------------------------------------===//

// Runs a one-op graph with the JIT at -O2 and returns output 0.
Tensor runJit(const Graph &graph, std::vector<Tensor> inputs) {
  auto outputs = jitOutputs(graph, inputs);
  if (!outputs)
    return Tensor(graph.getType(graph.getOutputs()[0]));
  return std::move((*outputs)[0]);
}

template <typename T>
Tensor tensorOf(DataType type, Shape shape, std::vector<T> values) {
  Tensor t(typeOf(type, shape));
  for (size_t i = 0; i < values.size(); ++i)
    t.as<T>()[i] = values[i];
  return t;
}

TEST(JitOpValues, QuantizePerAxis) {
  // Channel 0: s = 0.5, zp = 10; channel 1: s = 2, zp = -3.
  // 1.25 / 0.5 = 2.5 -> 2 (ties to even) + 10 = 12;  -0.25 / 0.5 = -0.5 ->
  // -0 + 10 = 10;  100 / 0.5 = 200 -> 127;  NaN -> -128;
  // 3 / 2 = 1.5 -> 2 - 3 = -1;  -1000 / 2 -> -503 -> -128;  5 / 2 = 2.5 ->
  // 2 - 3 = -1;  inf -> 127.
  Graph g = singleOpGraph(OpKind::Quantize, {typeOf(DataType::Float32, {2, 4})},
                          {{"scale", std::vector<double>{0.5, 2}},
                           {"zero_point", std::vector<int64_t>{10, -3}},
                           {"axis", 0},
                           {"dtype", Attribute::enumValue("Int8")}});
  float nan = std::numeric_limits<float>::quiet_NaN();
  float inf = std::numeric_limits<float>::infinity();
  Tensor q =
      runJit(g, {tensorOf<float>(DataType::Float32, {2, 4},
                                 {1.25f, -0.25f, 100, nan, 3, -1000, 5, inf})});
  std::vector<int8_t> expected = {12, 10, 127, -128, -1, -128, -1, 127};
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(q.as<int8_t>()[i], expected[i]) << i;
}

TEST(JitOpValues, QuantizeInt32Saturates) {
  // s = 1: 2^31 and above -> INT32_MAX, -2^31 stays, below -> INT32_MIN.
  Graph g =
      singleOpGraph(OpKind::Quantize, {typeOf(DataType::Float32, {5})},
                    {{"scale", 1.0}, {"dtype", Attribute::enumValue("Int32")}});
  Tensor q = runJit(g, {tensorOf<float>(DataType::Float32, {5},
                                        {0x1p31f, -0x1p31f, -0x1p40f,
                                         2147483520.0f, 1e30f})});
  std::vector<int32_t> expected = {INT32_MAX, INT32_MIN, INT32_MIN, 2147483520,
                                   INT32_MAX};
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(q.as<int32_t>()[i], expected[i]) << i;
}

TEST(JitOpValues, DequantizeUInt8) {
  // (q - 128) * 0.5.
  Graph g = singleOpGraph(OpKind::Dequantize, {typeOf(DataType::UInt8, {4})},
                          {{"scale", 0.5}, {"zero_point", int64_t(128)}});
  Tensor y =
      runJit(g, {tensorOf<uint8_t>(DataType::UInt8, {4}, {0, 128, 255, 129})});
  std::vector<float> expected = {-64, 0, 63.5f, 0.5f};
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(y.as<float>()[i], expected[i]) << i;
}

TEST(JitOpValues, SoftmaxOfLogs) {
  // softmax(log 1, log 2, log 5) = (1, 2, 5) / 8; log_softmax = log of it.
  std::vector<float> x = {0, std::log(2.0f), std::log(5.0f)};
  for (OpKind kind : {OpKind::Softmax, OpKind::LogSoftmax}) {
    Graph g = singleOpGraph(kind, {typeOf(DataType::Float32, {3})});
    Tensor y = runJit(g, {tensorOf<float>(DataType::Float32, {3}, x)});
    double expected[] = {1 / 8.0, 2 / 8.0, 5 / 8.0};
    for (int i = 0; i < 3; ++i) {
      double want =
          kind == OpKind::Softmax ? expected[i] : std::log(expected[i]);
      EXPECT_NEAR(y.as<float>()[i], want, 1e-6) << i;
    }
  }
}

TEST(JitOpValues, ReduceMaxPropagatesNaNAndOrdersZeros) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  Graph g =
      singleOpGraph(OpKind::ReduceMax, {typeOf(DataType::Float32, {3, 17})},
                    {{"axes", std::vector<int64_t>{1}}});
  std::vector<float> x(51, -5.0f);
  x[3] = nan;        // row 0: NaN
  x[17 + 4] = -0.0f; // row 1: max(-5, ..., -0.0, +0.0) = +0.0
  x[17 + 9] = 0.0f;
  x[34 + 16] = -0.0f; // row 2: -0.0
  Tensor y = runJit(g, {tensorOf<float>(DataType::Float32, {3, 17}, x)});
  EXPECT_TRUE(std::isnan(y.as<float>()[0]));
  EXPECT_EQ(bitsOf(y.as<float>()[1]), bitsOf(0.0f));
  EXPECT_EQ(bitsOf(y.as<float>()[2]), bitsOf(-0.0f));
}

TEST(JitOpValues, AvgPoolDivisors) {
  // A 3x3 window, stride 1, padding 1 over a 2x2 input of ones: every
  // window holds the 4 real cells. With count_include_pad the corner
  // divisor is (min(-1 + 3, 2 + 1) - -1) * (same) = 9, so 4/9; without, 1.
  for (bool includePad : {true, false}) {
    Graph g = singleOpGraph(OpKind::AvgPool2D,
                            {typeOf(DataType::Float32, {1, 1, 2, 2})},
                            {{"kernel_size", 3},
                             {"stride", 1},
                             {"padding", 1},
                             {"count_include_pad", includePad}});
    Tensor y = runJit(
        g, {tensorOf<float>(DataType::Float32, {1, 1, 2, 2}, {1, 1, 1, 1})});
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(y.as<float>()[i], includePad ? 4.0f / 9.0f : 1.0f) << i;
  }
}

TEST(JitOpValues, TransposeAndSlice) {
  // [[0, 1, 2], [3, 4, 5]]^T = [[0, 3], [1, 4], [2, 5]]; then rows 2, 0
  // backwards is not expressible (steps > 0): take rows 0 and 2, column 1.
  Graph g("ts");
  Builder b(g);
  ValueId x = b.addInput(DataType::Int16, {2, 3});
  auto t = b.create(OpKind::Transpose, {x});
  auto s = b.create(OpKind::Slice, {*t},
                    {{"starts", std::vector<int64_t>{0, 1}},
                     {"ends", std::vector<int64_t>{3, 2}},
                     {"steps", std::vector<int64_t>{2, 1}}});
  ASSERT_TRUE(t && s);
  b.setOutputs({*t, *s});
  auto compiled = jitAt(2).compile(g);
  ASSERT_OK(compiled);
  auto out = (*compiled)->run(
      {tensorOf<int16_t>(DataType::Int16, {2, 3}, {0, 1, 2, 3, 4, 5})});
  ASSERT_OK(out);
  std::vector<int16_t> transposed = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ((*out)[0].as<int16_t>()[i], transposed[i]);
  EXPECT_EQ((*out)[1].as<int16_t>()[0], 3);
  EXPECT_EQ((*out)[1].as<int16_t>()[1], 5);
}

} // namespace
