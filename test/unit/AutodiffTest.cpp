//===- AutodiffTest.cpp - The autodiff pass, checked numerically ----------===//
//
// For every differentiable op, on random shapes (broadcasting included):
// - the interpreter's gradient in Float64 equals central finite differences
//   of L = sum_j <dy_j, out_j> (inputs kept away from kinks and ties);
// - the JIT runs the backward graph (Float32 and Float64) like the
//   interpreter: bit for bit, or within a relative tolerance when the graph
//   holds an op whose sums or libm calls may differ (the documented list, plus
//   their gradients).
// Plus: accumulation, the structure of the gradient graph, the errors, and
// docs/fake-quantization.md's gradient vectors for ste, clipped and lsq, per
// tensor and per channel, through autodiff graphs on the interpreter and the
// JIT.
//
//===----------------------------------------------------------------------===//
#include "qjit/Transforms/Autodiff.h"
#include "JitTestSupport.h"
#include "qjit/IR/Builder.h"
#include "qjit/IR/Parser.h"
#include "qjit/IR/Printer.h"
#include "qjit/IR/Verifier.h"
#include "qjit/Interpreter/Interpreter.h"
#include "qjit/JIT/Jit.h"
#include "qjit/Transforms/PassRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include <cmath>
#include <fmt/format.h>
#include <functional>
#include <gtest/gtest.h>
#include <numeric>
#include <random>

namespace qjit {
namespace {

using test::errorText;
using test::expectOk;
using test::jitAt;
using test::runJitAndInterpreter;
using test::singleOpGraph;
using Rng = std::mt19937_64;
using Values = std::vector<double>;
// The values of one input of n elements.
using Gen = std::function<Values(Rng &, int64_t n)>;
using Outputs = llvm::SmallVector<ValueId, 2>;
// Adds f's ops on its inputs and returns its outputs.
using BuildFn =
    std::function<llvm::Expected<Outputs>(Builder &, llvm::ArrayRef<ValueId>)>;

Gen uniform(double lo, double hi) {
  return [=](Rng &rng, int64_t n) {
    std::uniform_real_distribution<double> d(lo, hi);
    Values v(n);
    for (double &x : v)
      x = d(rng);
    return v;
  };
}

// Uniform in [lo, hi] but at least `gap` from every kink.
Gen awayFrom(double lo, double hi, std::vector<double> kinks,
             double gap = 0.05) {
  return [=](Rng &rng, int64_t n) {
    std::uniform_real_distribution<double> d(lo, hi);
    Values v(n);
    for (double &x : v)
      do
        x = d(rng);
      while (
          llvm::any_of(kinks, [&](double k) { return std::abs(x - k) < gap; }));
    return v;
  };
}

// offset + k * step for random integers k in [kmin, kmax]: two operands on
// interleaved grids never tie.
Gen grid(double offset, double step, int kmin, int kmax) {
  return [=](Rng &rng, int64_t n) {
    std::uniform_int_distribution<int> d(kmin, kmax);
    Values v(n);
    for (double &x : v)
      x = offset + step * d(rng);
    return v;
  };
}

// A random permutation of lo, lo + step, ...: all values distinct, so a
// maximum is never tied.
Gen distinct(double lo, double step) {
  return [=](Rng &rng, int64_t n) {
    Values v(n);
    for (int64_t i = 0; i < n; ++i)
      v[i] = lo + step * double(i);
    std::shuffle(v.begin(), v.end(), rng);
    return v;
  };
}

int64_t randomInt(Rng &rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

Shape randomShape(Rng &rng, int64_t minRank, int64_t maxRank,
                  int64_t maxDim = 4) {
  Shape shape(randomInt(rng, minRank, maxRank));
  for (int64_t &d : shape)
    d = randomInt(rng, 1, maxDim);
  return shape;
}

// A shape that broadcasts with `shape` to `shape`: some dimensions 1, maybe
// fewer leading ones.
Shape broadcastPartner(Rng &rng, llvm::ArrayRef<int64_t> shape) {
  Shape partner(shape.begin(), shape.end());
  for (int64_t &d : partner)
    if (randomInt(rng, 0, 2) == 0)
      d = 1;
  int64_t drop = randomInt(rng, 0, partner.size());
  partner.erase(partner.begin(), partner.begin() + drop);
  return partner;
}

struct Problem {
  std::vector<Shape> inputs;
  std::vector<Gen> gens; // one per input
  BuildFn build;
};

// A problem of one op applied to all inputs.
BuildFn oneOp(OpKind kind, AttrList attrs = {}) {
  return
      [=](Builder &b, llvm::ArrayRef<ValueId> in) -> llvm::Expected<Outputs> {
        auto r = b.create(kind, in, attrs);
        if (!r)
          return r.takeError();
        return Outputs{*r};
      };
}

Graph makeForward(const Problem &p, DataType type) {
  Graph f("f");
  Builder b(f);
  llvm::SmallVector<ValueId, 4> ins;
  for (const Shape &s : p.inputs)
    ins.push_back(b.addInput(type, s));
  auto outs = p.build(b, ins);
  if (!expectOk(outs, "building f"))
    return f;
  b.setOutputs(*outs);
  expectOk(verifyGraph(f), "verifying f");
  return f;
}

Tensor makeTensor(const TensorType &type, const Values &values) {
  Tensor t(type);
  for (size_t i = 0; i < values.size(); ++i) {
    if (type.elementType == DataType::Float64)
      t.as<double>()[i] = values[i];
    else
      t.as<float>()[i] = static_cast<float>(values[i]);
  }
  return t;
}

double valueAt(const Tensor &t, int64_t i) {
  return t.elementType() == DataType::Float64 ? t.as<double>()[i]
                                              : t.as<float>()[i];
}

// Inputs of f (from the generators) and of f_grad (those, then random
// output gradients).
struct Data {
  std::vector<Values> inputs, outputGrads;
};

Data randomData(const Problem &p, const Graph &f, Rng &rng) {
  Data d;
  for (size_t i = 0; i < p.inputs.size(); ++i)
    d.inputs.push_back(p.gens[i](rng, numElements(p.inputs[i])));
  for (ValueId out : f.getOutputs())
    d.outputGrads.push_back(uniform(-1, 1)(rng, f.getType(out).numElements()));
  return d;
}

std::vector<Tensor> tensorsOf(const Graph &g, const std::vector<Values> &a,
                              const std::vector<Values> &b = {}) {
  std::vector<Tensor> ts;
  llvm::ArrayRef<ValueId> ins = g.getInputs();
  for (size_t i = 0; i < a.size(); ++i)
    ts.push_back(makeTensor(g.getType(ins[i]), a[i]));
  for (size_t j = 0; j < b.size(); ++j)
    ts.push_back(makeTensor(g.getType(ins[a.size() + j]), b[j]));
  return ts;
}

// L = sum_j <dy_j, out_j>, evaluated in double.
double objective(const Graph &f, const std::vector<Values> &inputs,
                 const std::vector<Values> &outputGrads) {
  auto outs = interpret(f, tensorsOf(f, inputs));
  if (!expectOk(outs))
    return 0;
  double sum = 0;
  for (size_t j = 0; j < outs->size(); ++j)
    for (int64_t k = 0; k < (*outs)[j].numElements(); ++k)
      sum += outputGrads[j][k] * valueAt((*outs)[j], k);
  return sum;
}

void checkFiniteDifferences(const Problem &p, Rng &rng) {
  Graph f = makeForward(p, DataType::Float64);
  auto g = buildGradientGraph(f);
  ASSERT_OK(g);
  SCOPED_TRACE(g->toString());
  ASSERT_EQ(g->getInputs().size(),
            f.getInputs().size() + f.getOutputs().size());
  ASSERT_EQ(g->getOutputs().size(), f.getInputs().size());

  Data d = randomData(p, f, rng);
  auto grads = interpret(*g, tensorsOf(*g, d.inputs, d.outputGrads));
  ASSERT_OK(grads);
  const double h = 1e-6;
  for (size_t i = 0; i < d.inputs.size(); ++i) {
    ASSERT_EQ((*grads)[i].getType(), f.getType(f.getInputs()[i]));
    for (size_t k = 0; k < d.inputs[i].size(); ++k) {
      double saved = d.inputs[i][k];
      d.inputs[i][k] = saved + h;
      double up = objective(f, d.inputs, d.outputGrads);
      d.inputs[i][k] = saved - h;
      double down = objective(f, d.inputs, d.outputGrads);
      d.inputs[i][k] = saved;
      double numeric = (up - down) / (2 * h);
      double analytic = valueAt((*grads)[i], k);
      EXPECT_NEAR(analytic, numeric, 1e-6 * (1 + std::abs(numeric)))
          << "input " << i << " element " << k;
    }
  }
}

// Ops whose sums may be ordered differently by the JIT or that call libm
// (vector variants): compared within a tolerance. The other gradient ops,
// GradConv2DInput/Weight and GradAvgPool2D included, sum in the
// interpreter's order and must match bit for bit.
bool needsTolerance(const Graph &g) {
  static const OpKind kinds[] = {
      OpKind::MatMul,     OpKind::Conv2D,    OpKind::ReduceSum,
      OpKind::ReduceMean, OpKind::AvgPool2D, OpKind::Softmax,
      OpKind::LogSoftmax, OpKind::Exp,       OpKind::Log,
      OpKind::Power,      OpKind::Sigmoid,   OpKind::Tanh,
      OpKind::GELU,       OpKind::GradGELU};
  return llvm::any_of(g.getOps(), [](const Operation &op) {
    return llvm::is_contained(kinds, op.getKind());
  });
}

std::string valuesText(const Tensor &t) {
  std::string text = "[";
  for (int64_t k = 0; k < t.numElements(); ++k)
    text += (k ? ", " : "") + fmt::format("{}", valueAt(t, k));
  return text + "]";
}

void expectJitMatchesInterpreter(const Graph &g,
                                 const std::vector<Tensor> &inputs) {
  auto outputs = runJitAndInterpreter(g, inputs, 2);
  if (!outputs)
    return;
  bool tolerant = needsTolerance(g);
  for (size_t i = 0; i < outputs->expected.size(); ++i) {
    const Tensor &e = outputs->expected[i], &a = outputs->actual[i];
    ASSERT_EQ(a.getType(), e.getType());
    if (!tolerant) {
      EXPECT_TRUE(a.bitwiseEqual(e))
          << "output " << i << ": JIT " << valuesText(a) << ", interpreter "
          << valuesText(e);
      continue;
    }
    double scale = 1;
    for (int64_t k = 0; k < e.numElements(); ++k)
      scale = std::max(scale, std::abs(valueAt(e, k)));
    for (int64_t k = 0; k < e.numElements(); ++k)
      EXPECT_NEAR(valueAt(a, k), valueAt(e, k), 2e-5 * scale)
          << "output " << i << " element " << k;
  }
}

void checkJit(const Problem &p, Rng &rng, DataType type) {
  Graph f = makeForward(p, type);
  auto g = buildGradientGraph(f);
  ASSERT_OK(g);
  SCOPED_TRACE(g->toString());
  Data d = randomData(p, f, rng);
  expectJitMatchesInterpreter(*g, tensorsOf(*g, d.inputs, d.outputGrads));
}

// A named problem maker: random shapes and attributes from the rng.
struct OpCase {
  std::string name;
  std::function<Problem(Rng &)> make;
};

void PrintTo(const OpCase &c, std::ostream *os) { *os << c.name; }

class AutodiffOpTest : public testing::TestWithParam<OpCase> {};

TEST_P(AutodiffOpTest, FiniteDifferencesInFloat64) {
  for (unsigned seed = 0; seed < 4; ++seed) {
    Rng rng(1000 + seed);
    Problem p = GetParam().make(rng);
    SCOPED_TRACE("seed " + std::to_string(seed));
    checkFiniteDifferences(p, rng);
  }
}

TEST_P(AutodiffOpTest, JitMatchesInterpreterOnTheBackwardGraph) {
  for (unsigned seed = 0; seed < 4; ++seed) {
    Rng rng(2000 + seed);
    Problem p = GetParam().make(rng);
    SCOPED_TRACE("seed " + std::to_string(seed));
    for (DataType type : {DataType::Float32, DataType::Float64}) {
      SCOPED_TRACE(dataTypeName(type).str());
      checkJit(p, rng, type);
    }
  }
}

OpCase binaryCase(const std::string &name, OpKind kind, Gen a, Gen b) {
  return {name, [=](Rng &rng) {
            Shape full = randomShape(rng, 0, 3);
            Shape partner = broadcastPartner(rng, full);
            Problem p;
            if (randomInt(rng, 0, 1))
              p.inputs = {full, partner};
            else
              p.inputs = {partner, full};
            p.gens = {a, b};
            p.build = oneOp(kind);
            return p;
          }};
}

OpCase unaryCase(const std::string &name, OpKind kind, Gen gen,
                 AttrList attrs = {}) {
  return {name, [=](Rng &rng) {
            Problem p;
            p.inputs = {randomShape(rng, 0, 3)};
            p.gens = {gen};
            p.build = oneOp(kind, attrs);
            return p;
          }};
}

OpCase matMulCase() {
  return {"MatMul", [](Rng &rng) {
            int64_t m = randomInt(rng, 1, 4), k = randomInt(rng, 1, 4),
                    n = randomInt(rng, 1, 4);
            Shape batch = randomShape(rng, 0, 2, 3);
            Shape a = broadcastPartner(rng, batch),
                  b = broadcastPartner(rng, batch);
            a.append({m, k});
            b.append({k, n});
            Problem p;
            p.inputs = {a, b};
            p.gens = {uniform(-1, 1), uniform(-1, 1)};
            p.build = oneOp(OpKind::MatMul);
            return p;
          }};
}

OpCase transposeCase() {
  return {"Transpose", [](Rng &rng) {
            Shape s = randomShape(rng, 1, 4);
            std::vector<int64_t> perm(s.size());
            std::iota(perm.begin(), perm.end(), 0);
            std::shuffle(perm.begin(), perm.end(), rng);
            Problem p;
            p.inputs = {s};
            p.gens = {uniform(-1, 1)};
            p.build = oneOp(OpKind::Transpose, {{"perm", perm}});
            return p;
          }};
}

// With a bias, the backward sums it with ReduceSum (compared within a
// tolerance); without, GradConv2DInput/Weight alone must match exactly.
OpCase conv2DCase(const std::string &name, bool bias) {
  return {name, [=](Rng &rng) {
            int64_t groups = randomInt(rng, 1, 2);
            int64_t cin = groups * randomInt(rng, 1, 2);
            int64_t cout = groups * randomInt(rng, 1, 2);
            int64_t kh = randomInt(rng, 1, 3), kw = randomInt(rng, 1, 3);
            int64_t sh = randomInt(rng, 1, 2), sw = randomInt(rng, 1, 2);
            int64_t ph = randomInt(rng, 0, 1), pw = randomInt(rng, 0, 1);
            int64_t dh = randomInt(rng, 1, 2), dw = randomInt(rng, 1, 2);
            int64_t h = dh * (kh - 1) + 1 + randomInt(rng, 0, 3);
            int64_t w = dw * (kw - 1) + 1 + randomInt(rng, 0, 3);
            Problem p;
            p.inputs = {{randomInt(rng, 1, 2), cin, h, w},
                        {cout, cin / groups, kh, kw}};
            p.gens = {uniform(-1, 1), uniform(-1, 1)};
            if (bias) {
              p.inputs.push_back({cout});
              p.gens.push_back(uniform(-1, 1));
            }
            p.build = oneOp(OpKind::Conv2D,
                            {{"stride", std::vector<int64_t>{sh, sw}},
                             {"padding", std::vector<int64_t>{ph, pw}},
                             {"dilation", std::vector<int64_t>{dh, dw}},
                             {"groups", groups}});
            return p;
          }};
}

OpCase poolCase(const std::string &name, OpKind kind, bool countIncludePad) {
  return {name, [=](Rng &rng) {
            int64_t kh = randomInt(rng, 1, 3), kw = randomInt(rng, 1, 3);
            int64_t ph = randomInt(rng, 0, kh / 2),
                    pw = randomInt(rng, 0, kw / 2);
            AttrList attrs = {
                {"kernel_size", std::vector<int64_t>{kh, kw}},
                {"stride", std::vector<int64_t>{randomInt(rng, 1, 2),
                                                randomInt(rng, 1, 2)}},
                {"padding", std::vector<int64_t>{ph, pw}}};
            if (kind == OpKind::AvgPool2D)
              attrs.push_back({"count_include_pad", countIncludePad});
            Problem p;
            p.inputs = {{randomInt(rng, 1, 2), randomInt(rng, 1, 2),
                         kh + randomInt(rng, 0, 3), kw + randomInt(rng, 0, 3)}};
            // Distinct values: no window has a tied maximum.
            p.gens = {kind == OpKind::MaxPool2D ? distinct(-2, 0.1)
                                                : uniform(-1, 1)};
            p.build = oneOp(kind, attrs);
            return p;
          }};
}

OpCase reduceCase(const std::string &name, OpKind kind) {
  return {
      name, [=](Rng &rng) {
        Shape s = randomShape(rng, 1, 3);
        AttrList attrs;
        if (randomInt(rng, 0, 3) != 0) {
          std::vector<int64_t> axes;
          for (int64_t d = 0; d < int64_t(s.size()); ++d)
            if (randomInt(rng, 0, 1))
              axes.push_back(randomInt(rng, 0, 1) ? d - int64_t(s.size()) : d);
          if (axes.empty())
            axes.push_back(0);
          attrs.push_back({"axes", axes});
        }
        attrs.push_back({"keep_dims", bool(randomInt(rng, 0, 1))});
        Problem p;
        p.inputs = {s};
        bool extremum = kind == OpKind::ReduceMax || kind == OpKind::ReduceMin;
        p.gens = {extremum ? distinct(-2, 0.1) : uniform(-1, 1)};
        p.build = oneOp(kind, attrs);
        return p;
      }};
}

OpCase softmaxCase(const std::string &name, OpKind kind) {
  return {name, [=](Rng &rng) {
            Shape s = randomShape(rng, 1, 3);
            Problem p;
            p.inputs = {s};
            p.gens = {uniform(-2, 2)};
            p.build = oneOp(kind, {{"axis", randomInt(rng, -int64_t(s.size()),
                                                      int64_t(s.size()) - 1)}});
            return p;
          }};
}

OpCase reshapeCase() {
  return {"Reshape", [](Rng &rng) {
            Shape s = randomShape(rng, 0, 3);
            int64_t n = numElements(s);
            std::vector<int64_t> target = randomInt(rng, 0, 1)
                                              ? std::vector<int64_t>{n, 1}
                                              : std::vector<int64_t>{1, -1};
            Problem p;
            p.inputs = {s};
            p.gens = {uniform(-1, 1)};
            p.build = oneOp(OpKind::Reshape, {{"shape", target}});
            return p;
          }};
}

OpCase broadcastCase() {
  return {"Broadcast", [](Rng &rng) {
            Shape full = randomShape(rng, 1, 3);
            Problem p;
            p.inputs = {broadcastPartner(rng, full)};
            p.gens = {uniform(-1, 1)};
            p.build = oneOp(
                OpKind::Broadcast,
                {{"shape", std::vector<int64_t>(full.begin(), full.end())}});
            return p;
          }};
}

OpCase concatCase() {
  return {"Concat", [](Rng &rng) {
            Shape s = randomShape(rng, 1, 3);
            int64_t axis = randomInt(rng, 0, s.size() - 1);
            Problem p;
            for (int64_t i = 0, n = randomInt(rng, 2, 3); i < n; ++i) {
              Shape part = s;
              part[axis] = randomInt(rng, 1, 3);
              p.inputs.push_back(part);
              p.gens.push_back(uniform(-1, 1));
            }
            p.build = oneOp(OpKind::Concat, {{"axis", axis}});
            return p;
          }};
}

OpCase sliceCase() {
  return {"Slice", [](Rng &rng) {
            Shape s = randomShape(rng, 1, 3, 6);
            std::vector<int64_t> starts, ends, steps;
            for (int64_t d : s) {
              int64_t start = randomInt(rng, 0, d - 1);
              starts.push_back(randomInt(rng, 0, 1) ? start - d : start);
              ends.push_back(randomInt(rng, start + 1, d + 2));
              steps.push_back(randomInt(rng, 1, 2));
            }
            Problem p;
            p.inputs = {s};
            p.gens = {uniform(-1, 1)};
            p.build =
                oneOp(OpKind::Slice,
                      {{"starts", starts}, {"ends", ends}, {"steps", steps}});
            return p;
          }};
}

// A value used several times, several outputs, an output that is an input.
OpCase compositeCase() {
  return {"Composite", [](Rng &rng) {
            Shape s = randomShape(rng, 1, 2);
            Problem p;
            p.inputs = {s, broadcastPartner(rng, s)};
            p.gens = {uniform(-1, 1), uniform(0.5, 1.5)};
            p.build =
                [](Builder &b,
                   llvm::ArrayRef<ValueId> in) -> llvm::Expected<Outputs> {
              ValueId x = in[0], w = in[1];
              auto xx = b.create(OpKind::Multiply, {x, x});
              if (!xx)
                return xx.takeError();
              auto e = b.create(OpKind::Tanh, {x});
              if (!e)
                return e.takeError();
              auto s1 = b.create(OpKind::Add, {*xx, *e});
              if (!s1)
                return s1.takeError();
              auto q = b.create(OpKind::Divide, {*s1, w});
              if (!q)
                return q.takeError();
              auto r = b.create(OpKind::Sigmoid, {*q});
              if (!r)
                return r.takeError();
              return Outputs{*r, *q, w, *r};
            };
            return p;
          }};
}

std::vector<OpCase> allCases() {
  Gen any = uniform(-2, 2);
  Gen nonZero = awayFrom(-2, 2, {0});
  return {
      binaryCase("Add", OpKind::Add, any, any),
      binaryCase("Subtract", OpKind::Subtract, any, any),
      binaryCase("Multiply", OpKind::Multiply, any, any),
      binaryCase("Divide", OpKind::Divide, any, awayFrom(-2, 2, {0}, 0.5)),
      binaryCase("Maximum", OpKind::Maximum, grid(0.05, 0.2, -8, 8),
                 grid(0.15, 0.2, -8, 8)),
      binaryCase("Minimum", OpKind::Minimum, grid(0.05, 0.2, -8, 8),
                 grid(0.15, 0.2, -8, 8)),
      binaryCase("Power", OpKind::Power, uniform(0.5, 2), uniform(-2, 2)),
      unaryCase("Negate", OpKind::Negate, any),
      unaryCase("Abs", OpKind::Abs, nonZero),
      unaryCase("ReLU", OpKind::ReLU, nonZero),
      unaryCase("Exp", OpKind::Exp, any),
      unaryCase("Log", OpKind::Log, uniform(0.2, 3)),
      unaryCase("Sqrt", OpKind::Sqrt, uniform(0.2, 3)),
      unaryCase("Square", OpKind::Square, any),
      unaryCase("Sigmoid", OpKind::Sigmoid, uniform(-3, 3)),
      unaryCase("Tanh", OpKind::Tanh, uniform(-3, 3)),
      unaryCase("LeakyReLU", OpKind::LeakyReLU, nonZero, {{"alpha", 0.2}}),
      unaryCase("GELU", OpKind::GELU, uniform(-3, 3)),
      unaryCase("GELUTanh", OpKind::GELU, uniform(-3, 3),
                {{"approximate", Attribute::enumValue("tanh")}}),
      unaryCase("Clamp", OpKind::Clamp, awayFrom(-2, 2, {-0.5, 0.7}),
                {{"min", -0.5}, {"max", 0.7}}),
      unaryCase("ClampMin", OpKind::Clamp, awayFrom(-2, 2, {-0.5}),
                {{"min", -0.5}}),
      unaryCase("ClampMax", OpKind::Clamp, awayFrom(-2, 2, {0.7}),
                {{"max", 0.7}}),
      matMulCase(),
      transposeCase(),
      conv2DCase("Conv2D", true),
      conv2DCase("Conv2DNoBias", false),
      poolCase("MaxPool2D", OpKind::MaxPool2D, false),
      poolCase("AvgPool2D", OpKind::AvgPool2D, true),
      poolCase("AvgPool2DNoPad", OpKind::AvgPool2D, false),
      reduceCase("ReduceSum", OpKind::ReduceSum),
      reduceCase("ReduceMean", OpKind::ReduceMean),
      reduceCase("ReduceMax", OpKind::ReduceMax),
      reduceCase("ReduceMin", OpKind::ReduceMin),
      softmaxCase("Softmax", OpKind::Softmax),
      softmaxCase("LogSoftmax", OpKind::LogSoftmax),
      reshapeCase(),
      broadcastCase(),
      concatCase(),
      sliceCase(),
      compositeCase(),
  };
}

INSTANTIATE_TEST_SUITE_P(AllOps, AutodiffOpTest, testing::ValuesIn(allCases()),
                         [](const testing::TestParamInfo<OpCase> &info) {
                           return info.param.name;
                         });

//===----------------------------------------------------------------------===//
// The gradient graph itself.
//===----------------------------------------------------------------------===//

Module parse(llvm::StringRef text) {
  llvm::SourceMgr srcMgr;
  unsigned id = srcMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "test.qir"), llvm::SMLoc());
  auto module = parseModule(srcMgr, id);
  if (!expectOk(module))
    return Module();
  return std::move(*module);
}

TEST(AutodiffTest, AccumulatesTheGradientsOfAValueUsedTwice) {
  // f(x) = x + x: dx = dy + dy, exactly 2 * dy.
  Graph f("twice");
  Builder b(f);
  ValueId x = b.addInput(DataType::Float32, {3});
  auto y = b.create(OpKind::Add, {x, x});
  ASSERT_OK(y);
  b.setOutputs({*y});
  auto g = buildGradientGraph(f);
  ASSERT_OK(g);
  EXPECT_EQ(g->getName(), "twice_grad");
  // The forward Add is dead in the backward; the two gradients are added.
  ASSERT_EQ(g->getOps().size(), 1u);
  const Operation &add = g->getOps()[0];
  EXPECT_EQ(add.getKind(), OpKind::Add);
  EXPECT_EQ(add.getOperand(0), g->getInputs()[1]);
  EXPECT_EQ(add.getOperand(1), g->getInputs()[1]);
  std::vector<Tensor> in;
  in.push_back(Tensor({3}, llvm::ArrayRef<float>{1, 2, 3}));
  in.push_back(Tensor({3}, llvm::ArrayRef<float>{0.5f, -1.5f, 4}));
  auto dx = interpret(*g, in);
  ASSERT_OK(dx);
  EXPECT_EQ((*dx)[0].values<float>(), llvm::ArrayRef<float>({1, -3, 8}));
}

TEST(AutodiffTest, KeepsForwardIdsAndPutsOutputGradientsAfterTheInputs) {
  Module m = parse(R"(
graph @f(t0: Float32 [2, 3], t1: Float32 [3]) {
  t2 = Multiply(t0, t1) : Float32 [2, 3]
  t3 = ReLU(t2) : Float32 [2, 3]
  return t3, t2
}
)");
  auto g = addGradientGraph(m, "f");
  ASSERT_OK(g);
  EXPECT_EQ(m.getGraphs().size(), 2u);
  EXPECT_EQ(&*g, m.findGraph("f_grad"));
  EXPECT_EQ(g->getInputs(), llvm::ArrayRef<ValueId>({0, 1, 4, 5}));
  // t2 is recomputed under its own id; GradReLU reads it.
  const Operation *mul = g->getDefiningOp(2);
  ASSERT_NE(mul, nullptr);
  EXPECT_EQ(mul->getKind(), OpKind::Multiply);
  EXPECT_TRUE(llvm::any_of(g->getOps(), [](const Operation &op) {
    return op.getKind() == OpKind::GradReLU && op.getOperand(1) == 2 &&
           op.getOperand(0) == 4;
  }));
  // The second output's gradient t5 is added to what flows back to t2.
  EXPECT_TRUE(llvm::any_of(g->getOps(), [](const Operation &op) {
    return op.getKind() == OpKind::Add &&
           llvm::is_contained(op.getOperands(), ValueId(5));
  }));
  EXPECT_OK(verifyModule(m));
  // A second run refuses to overwrite the gradient graph.
  auto again = addGradientGraph(m, "f");
  EXPECT_ERROR_CONTAINS(again.takeError(), "graph @f_grad exists already");
  EXPECT_ERROR_CONTAINS(addGradientGraph(m, "nope").takeError(),
                        "no graph @nope");
}

TEST(AutodiffTest, QuantizeOnTheGradientPathIsAnErrorNamingIt) {
  Module m = parse(R"(
graph @f(t0: Float32 [4]) {
  t1 = Abs(t0) : Float32 [4]
  t2 = Quantize(t1, scale=0.5, dtype=Int8) : Int8 [4]
  t3 = Dequantize(t2, scale=0.5) : Float32 [4]
  return t3
}
)");
  EXPECT_ERROR_CONTAINS(addGradientGraph(m, "f").takeError(),
                        "'Quantize' op (t2) has no gradient");
}

TEST(AutodiffTest, GradientsStopSilentlyWhereNothingNeedsThem) {
  // Quantize off the gradient path, an integer input through Dequantize and
  // an unused input: zero gradients, no error.
  Module m = parse(R"(
graph @f(t0: Float32 [4], t1: Int8 [4], t2: Float32 [2]) {
  t3 = Quantize(t0, scale=0.5, dtype=Int8) : Int8 [4]
  t4 = Dequantize(t1, scale=0.25) : Float32 [4]
  t5 = Multiply(t0, t4) : Float32 [4]
  return t5, t3
}
)");
  auto g = addGradientGraph(m, "f");
  ASSERT_OK(g);
  EXPECT_FALSE(llvm::any_of(g->getOps(), [](const Operation &op) {
    return op.getKind() == OpKind::Quantize;
  }));
  std::vector<Tensor> in;
  in.push_back(Tensor({4}, llvm::ArrayRef<float>{1, 2, 3, 4}));
  in.push_back(Tensor({4}, llvm::ArrayRef<int8_t>{4, -8, 0, 1}));
  in.push_back(Tensor({2}, llvm::ArrayRef<float>{7, 7}));
  in.push_back(Tensor({4}, llvm::ArrayRef<float>{1, 1, 2, 1}));
  in.push_back(Tensor({4}, llvm::ArrayRef<int8_t>{9, 9, 9, 9}));
  auto out = interpret(*g, in);
  ASSERT_OK(out);
  EXPECT_EQ((*out)[0].values<float>(), llvm::ArrayRef<float>({1, -2, 0, 0.25}));
  EXPECT_EQ((*out)[1].values<int8_t>(), llvm::ArrayRef<int8_t>({0, 0, 0, 0}));
  EXPECT_EQ((*out)[2].values<float>(), llvm::ArrayRef<float>({0, 0}));
}

TEST(AutodiffTest, GradientOpsHaveNoGradient) {
  Module m = parse(R"(
graph @f(t0: Float32 [4], t1: Float32 [4]) {
  t2 = GradReLU(t0, t1) : Float32 [4]
  return t2
}
)");
  EXPECT_ERROR_CONTAINS(addGradientGraph(m, "f").takeError(),
                        "'GradReLU' op (t2) has no gradient");
}

TEST(AutodiffTest, ThePassDifferentiatesEveryGraphOfTheModule) {
  Module m = parse(R"(
graph @a(t0: Float32 [2]) {
  t1 = Exp(t0) : Float32 [2]
  return t1
}
graph @b(t0: Float32 [2]) {
  t1 = Square(t0) : Float32 [2]
  return t1
}
)");
  auto pipeline = parsePassPipeline("autodiff");
  ASSERT_OK(pipeline);
  ASSERT_OK(pipeline->run(m));
  ASSERT_EQ(m.getGraphs().size(), 4u);
  EXPECT_NE(m.findGraph("a_grad"), nullptr);
  EXPECT_NE(m.findGraph("b_grad"), nullptr);
}

TEST(AutodiffTest, AGraphWithoutInputsHasNoGradient) {
  Module m = parse(R"(
graph @c() {
  t0 = Constant(values=1.0) : Float32 [2]
  return t0
}
)");
  EXPECT_ERROR_CONTAINS(addGradientGraph(m, "c").takeError(),
                        "graph @c has no inputs to differentiate");
  // The pass skips it.
  auto pipeline = parsePassPipeline("autodiff");
  ASSERT_OK(pipeline);
  EXPECT_OK(pipeline->run(m));
  EXPECT_EQ(m.getGraphs().size(), 1u);
}

//===----------------------------------------------------------------------===//
// Ties, zeros and NaN: PyTorch 1.13's gradients (torch.autograd on the same
// inputs), through autodiff graphs on the interpreter and the JIT.
//===----------------------------------------------------------------------===//

std::vector<Tensor> runGradient(const Graph &f,
                                const std::vector<Tensor> &inputs);

// Bit patterns, so that -0.0 and +0.0 differ and NaN equals NaN.
std::vector<uint32_t> bitsOf(llvm::ArrayRef<float> values) {
  std::vector<uint32_t> bits;
  for (float v : values)
    bits.push_back(std::isnan(v) ? 0x7fc00000u : test::bitsOf(v));
  return bits;
}

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(AutodiffPyTorchTest, MaximumAndMinimumShareTiesAndPassNaN) {
  std::vector<float> a = {1, 2, 3, kNaN, 1, -0.0f, 0.0f};
  std::vector<float> b = {1, 3, 2, 1, kNaN, 0.0f, -0.0f};
  TensorType t{DataType::Float32, {7}};
  for (OpKind kind : {OpKind::Maximum, OpKind::Minimum}) {
    std::vector<Tensor> in;
    in.push_back(Tensor({7}, llvm::ArrayRef<float>(a)));
    in.push_back(Tensor({7}, llvm::ArrayRef<float>(b)));
    in.push_back(Tensor({7}, llvm::ArrayRef<float>({1, 1, 1, 1, 1, 1, 1})));
    std::vector<Tensor> out = runGradient(singleOpGraph(kind, {t, t}), in);
    ASSERT_EQ(out.size(), 2u);
    std::vector<float> winner = {0.5f, 0, 1, 1, 1, 0.5f, 0.5f};
    std::vector<float> loser = {0.5f, 1, 0, 1, 1, 0.5f, 0.5f};
    bool isMax = kind == OpKind::Maximum;
    EXPECT_EQ(bitsOf(out[0].values<float>()), bitsOf(isMax ? winner : loser));
    EXPECT_EQ(bitsOf(out[1].values<float>()), bitsOf(isMax ? loser : winner));
  }
}

TEST(AutodiffPyTorchTest, AbsReLULeakyReLUAndClampAtZeroBoundsAndNaN) {
  struct Case {
    OpKind kind;
    AttrList attrs;
    std::vector<float> x;
    float dy;
    std::vector<float> dx;
  };
  std::vector<Case> cases = {
      {OpKind::Abs, {}, {-1, 0, -0.0f, 2, kNaN}, 3, {-3, 0, 0, 3, 0}},
      {OpKind::Abs,
       {},
       {-1, 0, -0.0f, 2, kNaN},
       -3,
       {3, -0.0f, -0.0f, -3, -0.0f}},
      {OpKind::ReLU, {}, {-1, 0, 1, 2, 3, kNaN}, -1, {0, 0, -1, -1, -1, -1}},
      {OpKind::LeakyReLU,
       {{"alpha", 0.1}},
       {-1, 0, 1, 2, 3, kNaN},
       -1,
       {-0.1f, -0.1f, -1, -1, -1, -0.1f}},
      {OpKind::Clamp,
       {{"min", 0.0}, {"max", 2.0}},
       {-1, 0, 1, 2, 3, kNaN},
       -1,
       {0, -1, -1, -1, 0, 0}},
      {OpKind::Clamp,
       {{"min", 0.0}},
       {-1, 0, 1, 2, 3, kNaN},
       -1,
       {0, -1, -1, -1, -1, 0}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(opName(c.kind).str());
    int64_t n = c.x.size();
    std::vector<Tensor> in;
    in.push_back(Tensor({n}, llvm::ArrayRef<float>(c.x)));
    in.push_back(
        Tensor({n}, llvm::ArrayRef<float>(std::vector<float>(n, c.dy))));
    std::vector<Tensor> out = runGradient(
        singleOpGraph(c.kind, {{DataType::Float32, {n}}}, c.attrs), in);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(bitsOf(out[0].values<float>()), bitsOf(c.dx));
  }
}

TEST(AutodiffPyTorchTest, ReduceMaxSharesTiesAndMaxPoolTakesTheFirstMaximum) {
  // torch.amax(x, 1): ties share dy; a NaN row gets NaN everywhere.
  std::vector<Tensor> in;
  in.push_back(
      Tensor({2, 4}, llvm::ArrayRef<float>({1, 3, 3, 2, kNaN, 1, 2, kNaN})));
  in.push_back(Tensor({2}, llvm::ArrayRef<float>({1, 1})));
  std::vector<Tensor> out = runGradient(
      singleOpGraph(OpKind::ReduceMax, {{DataType::Float32, {2, 4}}},
                    {{"axes", std::vector<int64_t>{1}}}),
      in);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(bitsOf(out[0].values<float>()),
            bitsOf({0, 0.5f, 0.5f, 0, kNaN, kNaN, kNaN, kNaN}));

  // max_pool2d(kernel 2, stride 1): overlapping windows, each window's first
  // maximum gets its dy.
  std::vector<Tensor> pool;
  pool.push_back(
      Tensor({1, 1, 3, 3}, llvm::ArrayRef<float>({1, 3, 3, 3, 2, 1, 0, 0, 0})));
  pool.push_back(Tensor({1, 1, 2, 2}, llvm::ArrayRef<float>({1, 1, 1, 1})));
  std::vector<Tensor> dx = runGradient(
      singleOpGraph(OpKind::MaxPool2D, {{DataType::Float32, {1, 1, 3, 3}}},
                    {{"kernel_size", 2}, {"stride", 1}}),
      pool);
  ASSERT_EQ(dx.size(), 1u);
  EXPECT_EQ(bitsOf(dx[0].values<float>()), bitsOf({0, 2, 0, 1, 1, 0, 0, 0, 0}));
}

TEST(AutodiffPyTorchTest, GELUGradientsAreTorchs) {
  // torch.nn.functional.gelu(x, approximate=...).backward(ones), Float64.
  const double x[] = {-3.0, -1.5, -0.5, 0.0, 0.25, 1.0, 2.5};
  const double exact[] = {
      -0.01194564720418392, -0.1274691922299796, 0.13250487534383712, 0.5,
      0.695373354883636,    1.0833154705876864,  1.037611085908145};
  const double tanh[] = {
      -0.011584166630969648, -0.12771079315143308, 0.13263009646535764, 0.5,
      0.6953540951510604,    1.0829640838457826,   1.037951576212666};
  for (DataType type : {DataType::Float64, DataType::Float32}) {
    for (bool approximate : {false, true}) {
      SCOPED_TRACE(std::string(dataTypeName(type)) +
                   (approximate ? " tanh" : " none"));
      AttrList attrs;
      if (approximate)
        attrs.push_back({"approximate", Attribute::enumValue("tanh")});
      Graph f = singleOpGraph(OpKind::GELU, {{type, {7}}}, attrs);
      auto g = buildGradientGraph(f);
      ASSERT_OK(g);
      std::vector<Tensor> in =
          tensorsOf(*g, {Values(std::begin(x), std::end(x))}, {Values(7, 1.0)});
      // The JIT agrees with the interpreter (within libm's ulps).
      expectJitMatchesInterpreter(*g, in);
      auto dx = interpret(*g, in);
      ASSERT_OK(dx);
      double tolerance = type == DataType::Float64 ? 1e-14 : 2e-6;
      for (int i = 0; i < 7; ++i)
        EXPECT_NEAR(valueAt((*dx)[0], i), approximate ? tanh[i] : exact[i],
                    tolerance)
            << "x = " << x[i];
    }
  }
}

//===----------------------------------------------------------------------===//
// FakeQuantization's mask result: one pass, the interpreter's values.
//===----------------------------------------------------------------------===//

// The forward with its mask on values that hit every case of
// docs/fake-quantization.md (ties, the grid's edges, NaN, infinities, -0.0),
// per tensor, per channel and with the observer: the JIT's y and mask are the
// interpreter's.
TEST(AutodiffFakeQuantTest, MaskResultMatchesTheInterpreter) {
  const char *variants[] = {
      "scale=0.5, gradient=clipped",
      "symmetric=false, scale=0.25, zero_point=7, gradient=clipped",
      "num_bits=4, axis=1, scale=[0.5, 1.0, 0.125], gradient=clipped",
      "symmetric=false, gradient=clipped", "axis=0, gradient=clipped"};
  float inf = std::numeric_limits<float>::infinity();
  float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> special = {2.5f, -2.5f, 127.5f, -128.5f, -128.6f, 63.75f,
                                nan,  inf,   -inf,   -0.0f,   0.0f,    1000};
  for (const char *attrs : variants) {
    std::string text = fmt::format(R"(
graph @f(t0: Float32 [{0}, 3]) {{
  t1, t2 = FakeQuantization(t0, {1}) : Float32 [{0}, 3], Bool [{0}, 3]
  return t1, t2
}}
)",
                                   64, attrs);
    Module m = parse(text);
    const Graph *f = m.findGraph("f");
    ASSERT_NE(f, nullptr) << text;
    SCOPED_TRACE(attrs);
    Rng rng(7);
    Values v = uniform(-70, 70)(rng, 64 * 3);
    for (size_t i = 0; i < special.size(); ++i)
      v[i * 13 % v.size()] = special[i];
    std::vector<Tensor> in;
    in.push_back(makeTensor(f->getType(0), v));
    expectJitMatchesInterpreter(*f, in);
    // The mask is where qmin <= qf <= qmax: NaN and infinities are outside.
    auto out = interpret(*f, in);
    ASSERT_OK(out);
    llvm::ArrayRef<bool> mask = (*out)[1].values<bool>();
    for (size_t i = 0; i < v.size(); ++i) {
      if (!std::isfinite(v[i])) {
        EXPECT_FALSE(mask[i]) << "element " << i;
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// docs/fake-quantization.md's gradient vectors through autodiff graphs.
//===----------------------------------------------------------------------===//

// Runs f_grad of `f` on the interpreter and the JIT (which must agree bit
// for bit) and returns the interpreter's outputs.
std::vector<Tensor> runGradient(const Graph &f,
                                const std::vector<Tensor> &inputs) {
  auto g = buildGradientGraph(f);
  if (!expectOk(g))
    return {};
  auto outputs = runJitAndInterpreter(*g, inputs, 2);
  if (!outputs)
    return {};
  for (size_t i = 0; i < outputs->actual.size(); ++i)
    EXPECT_TRUE(outputs->actual[i].bitwiseEqual(outputs->expected[i]))
        << "JIT output " << i << " differs from the interpreter's";
  return std::move(outputs->expected);
}

Graph fakeQuantGraph(const TensorType &x, AttrList attrs,
                     llvm::ArrayRef<TensorType> params = {}) {
  Graph f("fq");
  Builder b(f);
  llvm::SmallVector<ValueId, 3> ins{b.addInput(x)};
  for (const TensorType &t : params)
    ins.push_back(b.addInput(t));
  auto y = b.create(OpKind::FakeQuantization, ins, std::move(attrs));
  if (expectOk(y))
    b.setOutputs({*y});
  return f;
}

struct ClippedVector {
  AttrList grid; // scale, zero point and grid of the P-rows
  float x, dx;
};

std::vector<ClippedVector> clippedVectors() {
  AttrList p1 = {{"scale", 1.0}};
  AttrList p2 = {{"symmetric", false}, {"scale", 0.5}, {"zero_point", 10}};
  AttrList p3 = {{"symmetric", false}, {"scale", 0.5}, {"zero_point", 11}};
  AttrList p4 = {{"symmetric", false}, {"scale", double(0.3f)}};
  float inf = std::numeric_limits<float>::infinity();
  float nan = std::numeric_limits<float>::quiet_NaN();
  return {
      {p1, 2.5f, 1},    {p1, 3.5f, 1},    {p1, -2.5f, 1},   {p1, -0.5f, 1},
      {p1, 127.5f, 0},  {p1, -128.5f, 1}, {p1, -128.6f, 0}, {p1, 1000, 0},
      {p1, inf, 0},     {p1, nan, 0},     {p2, 1.25f, 1},   {p2, -5.75f, 0},
      {p2, 122.75f, 0}, {p3, 1.25f, 1},   {p3, -1.25f, 1},  {p4, 74.25f, 1}};
}

TEST(AutodiffFakeQuantTest, ClippedAndSteGradientsPerTensor) {
  for (const ClippedVector &v : clippedVectors()) {
    for (const char *rule : {"clipped", "ste"}) {
      AttrList attrs = v.grid;
      attrs.push_back({"gradient", Attribute::enumValue(rule)});
      Graph f = fakeQuantGraph({DataType::Float32, {1}}, attrs);
      std::vector<Tensor> in;
      in.push_back(Tensor({1}, llvm::ArrayRef<float>{v.x}));
      in.push_back(Tensor({1}, llvm::ArrayRef<float>{1.0f}));
      std::vector<Tensor> out = runGradient(f, in);
      ASSERT_EQ(out.size(), 1u);
      float expected = std::string(rule) == "ste" ? 1.0f : v.dx;
      EXPECT_EQ(out[0].values<float>()[0], expected)
          << rule << " at x = " << v.x;
    }
  }
}

TEST(AutodiffFakeQuantTest, ClippedUsesTheForwardMaskAndKeepsItsSign) {
  // The clipped backward reads the mask of the forward pass, not x.
  Graph f = fakeQuantGraph(
      {DataType::Float32, {3}},
      {{"scale", 1.0}, {"gradient", Attribute::enumValue("clipped")}});
  auto g = buildGradientGraph(f);
  ASSERT_OK(g);
  ASSERT_EQ(g->getOps().size(), 2u);
  const Operation &fq = g->getOps()[0], &grad = g->getOps()[1];
  EXPECT_EQ(fq.getKind(), OpKind::FakeQuantization);
  ASSERT_EQ(fq.getNumResults(), 2u);
  EXPECT_EQ(g->getType(fq.getResult(1)).elementType, DataType::Bool);
  EXPECT_EQ(grad.getKind(), OpKind::GradFakeQuantization);
  EXPECT_EQ(grad.getOperand(1), fq.getResult(1));
  // dy * mask: -0.0 off the grid for a negative dy, NaN dy stays NaN.
  std::vector<Tensor> in;
  in.push_back(Tensor({3}, llvm::ArrayRef<float>{500, 500, 1}));
  float nan = std::numeric_limits<float>::quiet_NaN();
  in.push_back(Tensor({3}, llvm::ArrayRef<float>{-2, nan, -3}));
  std::vector<Tensor> out = runGradient(f, in);
  ASSERT_EQ(out.size(), 1u);
  llvm::ArrayRef<float> dx = out[0].values<float>();
  EXPECT_EQ(test::bitsOf(dx[0]), test::bitsOf(-0.0f));
  EXPECT_TRUE(std::isnan(dx[1]));
  EXPECT_EQ(dx[2], -3.0f);
}

TEST(AutodiffFakeQuantTest, ClippedPerChannel) {
  // axis 0, s = [1, 0.5], zp = [0, 3], int8 grid: every dX is 1.
  for (const char *rule : {"clipped", "ste"}) {
    Graph f = fakeQuantGraph({DataType::Float32, {2, 2}},
                             {{"quant_min", -128},
                              {"quant_max", 127},
                              {"scale", std::vector<double>{1.0, 0.5}},
                              {"zero_point", std::vector<int64_t>{0, 3}},
                              {"axis", 0},
                              {"gradient", Attribute::enumValue(rule)}});
    std::vector<Tensor> in;
    in.push_back(
        Tensor({2, 2}, llvm::ArrayRef<float>{0.5f, 1.5f, 0.75f, -0.25f}));
    in.push_back(Tensor({2, 2}, llvm::ArrayRef<float>{1, 1, 1, 1}));
    std::vector<Tensor> out = runGradient(f, in);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].values<float>(), llvm::ArrayRef<float>({1, 1, 1, 1}));
  }
  // Off the grid in one channel only: channel 1 (s = 0.5, zp = 3) clips
  // 64 * 2 + 3 = 131 > 127, channel 0 (s = 1) does not.
  Graph f = fakeQuantGraph({DataType::Float32, {2, 2}},
                           {{"quant_min", -128},
                            {"quant_max", 127},
                            {"scale", std::vector<double>{1.0, 0.5}},
                            {"zero_point", std::vector<int64_t>{0, 3}},
                            {"axis", 0},
                            {"gradient", Attribute::enumValue("clipped")}});
  std::vector<Tensor> in;
  in.push_back(Tensor({2, 2}, llvm::ArrayRef<float>{64, -100, 64, -60}));
  in.push_back(Tensor({2, 2}, llvm::ArrayRef<float>{1, 1, 1, 1}));
  std::vector<Tensor> out = runGradient(f, in);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].values<float>(), llvm::ArrayRef<float>({1, 1, 0, 1}));
}

struct LsqVector {
  float x, dx, ds, dz;
};

// s = 0.5, zp = 0, grid [-8, 7], g = 1, dy = 1.
const LsqVector kLsqVectors[] = {{1.2f, 1, -0.400000095f, 0},
                                 {1.25f, 1, -0.5f, 0},
                                 {5.0f, 0, 7, -0.5f},
                                 {-5.0f, 0, -8, -0.5f}};

AttrList lsqAttrs(std::optional<int64_t> axis) {
  AttrList attrs = {{"symmetric", false},
                    {"quant_min", -8},
                    {"quant_max", 7},
                    {"gradient", Attribute::enumValue("lsq")}};
  if (axis)
    attrs.push_back({"axis", *axis});
  return attrs;
}

TEST(AutodiffFakeQuantTest, LsqPerTensor) {
  for (const LsqVector &v : kLsqVectors) {
    Graph f =
        fakeQuantGraph({DataType::Float32, {1}}, lsqAttrs(std::nullopt),
                       {{DataType::Float32, {}}, {DataType::Float32, {}}});
    std::vector<Tensor> in;
    in.push_back(Tensor({1}, llvm::ArrayRef<float>{v.x}));
    in.push_back(Tensor({}, llvm::ArrayRef<float>{0.5f}));
    in.push_back(Tensor({}, llvm::ArrayRef<float>{0.0f}));
    in.push_back(Tensor({1}, llvm::ArrayRef<float>{1.0f}));
    std::vector<Tensor> out = runGradient(f, in);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].values<float>()[0], v.dx) << "x = " << v.x;
    EXPECT_EQ(out[1].values<float>()[0], v.ds) << "x = " << v.x;
    EXPECT_EQ(out[2].values<float>()[0], v.dz) << "x = " << v.x;
  }
}

TEST(AutodiffFakeQuantTest, LsqPerChannel) {
  // One channel per vector (axis 1 of [1, 4]): the per-channel sums are the
  // table's rows.
  Graph f =
      fakeQuantGraph({DataType::Float32, {1, 4}}, lsqAttrs(1),
                     {{DataType::Float32, {4}}, {DataType::Float32, {4}}});
  std::vector<Tensor> in;
  std::vector<float> xs;
  for (const LsqVector &v : kLsqVectors)
    xs.push_back(v.x);
  in.push_back(Tensor({1, 4}, llvm::ArrayRef<float>(xs)));
  in.push_back(Tensor({4}, llvm::ArrayRef<float>{0.5f, 0.5f, 0.5f, 0.5f}));
  in.push_back(Tensor({4}, llvm::ArrayRef<float>{0, 0, 0, 0}));
  in.push_back(Tensor({1, 4}, llvm::ArrayRef<float>{1, 1, 1, 1}));
  std::vector<Tensor> out = runGradient(f, in);
  ASSERT_EQ(out.size(), 3u);
  for (size_t c = 0; c < 4; ++c) {
    EXPECT_EQ(out[0].values<float>()[c], kLsqVectors[c].dx) << "channel " << c;
    EXPECT_EQ(out[1].values<float>()[c], kLsqVectors[c].ds) << "channel " << c;
    EXPECT_EQ(out[2].values<float>()[c], kLsqVectors[c].dz) << "channel " << c;
  }
  // Summed per tensor, the same four elements give the rows' sums.
  Graph sum =
      fakeQuantGraph({DataType::Float32, {4}}, lsqAttrs(std::nullopt),
                     {{DataType::Float32, {}}, {DataType::Float32, {}}});
  std::vector<Tensor> in2;
  in2.push_back(Tensor({4}, llvm::ArrayRef<float>(xs)));
  in2.push_back(Tensor({}, llvm::ArrayRef<float>{0.5f}));
  in2.push_back(Tensor({}, llvm::ArrayRef<float>{0.0f}));
  in2.push_back(Tensor({4}, llvm::ArrayRef<float>{1, 1, 1, 1}));
  std::vector<Tensor> total = runGradient(sum, in2);
  ASSERT_EQ(total.size(), 3u);
  float ds = 0, dz = 0;
  for (const LsqVector &v : kLsqVectors)
    ds += v.ds, dz += v.dz;
  EXPECT_EQ(total[1].values<float>()[0], ds);
  EXPECT_EQ(total[2].values<float>()[0], dz);
}

} // namespace
} // namespace qjit
