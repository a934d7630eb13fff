//===- ParserTest.cpp - The .qir parser -----------------------------------===//
#include "qjit/IR/Parser.h"
#include "TestHelpers.h"
#include "qjit/IR/Builder.h"
#include "qjit/IR/StructuralHash.h"
#include "qjit/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <limits>
#include <random>

using namespace qjit;
using qjit::test::expectOk;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Parses `text` without verifying it, keeping the buffer alive so that the
// locations of the result (or of the error) can be checked.
class ParsedText {
public:
  explicit ParsedText(llvm::StringRef text) {
    bufferId = srcMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(text, "test.qir"), llvm::SMLoc());
    auto parsed = parseModule(srcMgr, bufferId);
    if (parsed) {
      module = std::move(*parsed);
      return;
    }
    llvm::handleAllErrors(
        parsed.takeError(),
        [&](const LocatedError &e) {
          error += lineCol(e.getLoc()) + ": " + e.getMessage();
        },
        [&](const llvm::ErrorInfoBase &e) {
          error += "<no location>: " + e.message();
        });
  }

  bool ok() const { return module.has_value(); }
  Module &get() { return *module; }
  const std::string &getError() const { return error; }

  // "line:col", or a note when `loc` is not in the buffer.
  std::string lineCol(llvm::SMLoc loc) const {
    if (!loc.isValid())
      return "<invalid loc>";
    if (srcMgr.FindBufferContainingLoc(loc) != bufferId)
      return "<loc outside the buffer>";
    auto [line, col] = srcMgr.getLineAndColumn(loc, bufferId);
    return fmt::format("{}:{}", line, col);
  }

private:
  llvm::SourceMgr srcMgr;
  unsigned bufferId;
  std::optional<Module> module;
  std::string error;
};

// Attribute equality that tells NaNs and -0.0 apart.
bool sameBits(double a, double b) { return !std::memcmp(&a, &b, sizeof a); }
bool sameBits(const Attribute &a, const Attribute &b) {
  if (a.storage().index() != b.storage().index())
    return false;
  if (a.isFloat())
    return sameBits(a.getFloat(), b.getFloat());
  if (a.isFloatList()) {
    auto x = a.getFloatList(), y = b.getFloatList();
    if (x.size() != y.size())
      return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (!sameBits(x[i], y[i]))
        return false;
    return true;
  }
  return a == b;
}

void expectSameGraph(const Graph &a, const Graph &b) {
  EXPECT_EQ(a.getName(), b.getName());
  EXPECT_EQ(a.getInputs(), b.getInputs());
  EXPECT_EQ(a.getOutputs(), b.getOutputs());
  for (ValueId id : a.getInputs())
    EXPECT_EQ(a.getType(id), b.getType(id));
  ASSERT_EQ(a.getOps().size(), b.getOps().size());
  for (size_t i = 0; i < a.getOps().size(); ++i) {
    const Operation &x = a.getOps()[i], &y = b.getOps()[i];
    SCOPED_TRACE(a.opToString(x));
    EXPECT_EQ(x.getKind(), y.getKind());
    EXPECT_EQ(x.getOperands(), y.getOperands());
    EXPECT_EQ(x.getResults(), y.getResults());
    for (ValueId id : x.getResults())
      EXPECT_EQ(a.getType(id), b.getType(id));
    ASSERT_EQ(x.getAttrs().size(), y.getAttrs().size());
    for (size_t j = 0; j < x.getAttrs().size(); ++j) {
      EXPECT_EQ(x.getAttrs()[j].name, y.getAttrs()[j].name);
      EXPECT_TRUE(sameBits(x.getAttrs()[j].value, y.getAttrs()[j].value))
          << x.getAttrs()[j].value.toString() << " vs "
          << y.getAttrs()[j].value.toString();
    }
  }
}

// print -> parse reproduces the module exactly.
void expectRoundTrip(const Module &module) {
  std::string text = module.toString();
  auto parsed = parseAndVerify(text, "roundtrip.qir");
  ASSERT_OK(parsed) << "\n" << text;
  EXPECT_EQ(parsed->toString(), text);
  ASSERT_EQ(parsed->getGraphs().size(), module.getGraphs().size());
  for (size_t i = 0; i < module.getGraphs().size(); ++i) {
    expectSameGraph(module.getGraphs()[i], parsed->getGraphs()[i]);
    EXPECT_EQ(structuralHash(module.getGraphs()[i]),
              structuralHash(parsed->getGraphs()[i]));
  }
}

template <typename T> T check(llvm::Expected<T> value) {
  if (!expectOk(value))
    return T();
  return std::move(*value);
}

//===----------------------------------------------------------------------===//
// Round trips of graphs built through the API.
//===----------------------------------------------------------------------===//

TEST(ParserRoundTripTest, ElementwiseOpsOfEveryType) {
  Module module;
  const DataType numeric[] = {DataType::Float32, DataType::Float64,
                              DataType::Int8,    DataType::UInt8,
                              DataType::Int16,   DataType::Int32,
                              DataType::Int64};
  for (DataType type : numeric) {
    Graph &g = module.addGraph(Graph(("ops_" + dataTypeName(type)).str()));
    Builder b(g);
    ValueId x = b.addInput(type, {4, 1});
    ValueId y = b.addInput(type, {3});
    llvm::SmallVector<ValueId> outs;
    for (OpKind kind : {OpKind::Add, OpKind::Subtract, OpKind::Multiply,
                        OpKind::Maximum, OpKind::Minimum})
      outs.push_back(check(b.create(kind, {x, y})));
    if (isFloatType(type))
      outs.push_back(check(b.create(OpKind::Divide, {outs[0], y})));
    for (OpKind kind : {OpKind::Negate, OpKind::Abs, OpKind::ReLU})
      outs.push_back(check(b.create(kind, {outs.back()})));
    b.setOutputs(outs);
  }
  // Bool values only pass through; a scalar input.
  Graph &g = module.addGraph(Graph("pass_through"));
  Builder b(g);
  ValueId flag = b.addInput(DataType::Bool, {2, 2});
  ValueId s = b.addInput(DataType::Float32, {});
  b.setOutputs({s, flag, s});
  expectRoundTrip(module);
}

TEST(ParserRoundTripTest, ConstantsNeedingEveryDigit) {
  Module module;
  Graph &g = module.addGraph(Graph("constants"));
  Builder b(g);
  std::vector<double> floats = {
      0.1,
      0.1 + 0.2, // 0.30000000000000004: 17 significant digits
      1.0 / 3.0,
      1e-45,
      std::numeric_limits<double>::denorm_min(),
      std::numeric_limits<double>::min(),
      std::numeric_limits<double>::max(),
      -std::numeric_limits<double>::max(),
      -0.0,
      0.0,
      kInf,
      -kInf,
      kNaN,
      123456789012345678.0,
      double(std::numeric_limits<float>::denorm_min()),
      double(0.1f),
      -2.5e-300,
  };
  llvm::SmallVector<ValueId> outs;
  outs.push_back(check(b.constant(
      TensorType{DataType::Float64, {int64_t(floats.size())}}, floats)));
  outs.push_back(check(b.constant(TensorType{DataType::Float32, {2, 2}},
                                  std::vector<double>{kNaN, -kInf, 1e-45,
                                                      3.4028234663852886e38})));
  // Splats of every scalar kind, an empty constant, integer extremes.
  outs.push_back(check(b.constant(TensorType{DataType::Float32, {3}}, 0.5)));
  outs.push_back(check(b.constant(TensorType{DataType::Float32, {}}, kNaN)));
  outs.push_back(check(b.constant(TensorType{DataType::Float64, {}}, -0.0)));
  outs.push_back(check(b.constant(TensorType{DataType::Int32, {}}, 7)));
  outs.push_back(
      check(b.constant(TensorType{DataType::Int8, {2}}, Attribute(-3))));
  // An empty list reads back as an (empty) Int list, so write it as one.
  outs.push_back(check(b.constant(TensorType{DataType::Float32, {0}},
                                  std::vector<int64_t>{})));
  outs.push_back(check(b.constant(TensorType{DataType::Int64, {0, 3}},
                                  std::vector<int64_t>{})));
  outs.push_back(check(b.constant(
      TensorType{DataType::Int64, {3}},
      std::vector<int64_t>{std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max(), 0})));
  outs.push_back(check(
      b.constant(TensorType{DataType::UInt8, {2, 1}},
                 std::vector<int64_t>{0, 255})));
  b.setOutputs(outs);
  expectRoundTrip(module);
}

TEST(ParserRoundTripTest, FakeQuantizationWithEveryAttributeKind) {
  Module module;
  Graph &g = module.addGraph(Graph("fq"));
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {2, 3});
  // Int, Bool, Float, IntOrList (scalar), Enum.
  ValueId perTensor = check(b.create(
      OpKind::FakeQuantization, {x},
      {{"num_bits", 4},
       {"symmetric", false},
       {"narrow_range", false},
       {"scale", 0.05},
       {"zero_point", 3},
       {"gradient", Attribute::enumValue("clipped")},
       {"grad_factor", 0.30000000000000004}}));
  // FloatOrList and IntOrList as lists, an explicit grid, a negative axis.
  ValueId perChannel = check(b.create(
      OpKind::FakeQuantization, {perTensor},
      {{"symmetric", false},
       {"quant_min", -8},
       {"quant_max", 7},
       {"scale", std::vector<double>{0.1, 1e-3, 0.30000000000000004}},
       {"zero_point", std::vector<int64_t>{-8, 0, 7}},
       {"axis", -1}}));
  // An integer scale is coerced to a float (printed 2.0).
  ValueId coerced =
      check(b.create(OpKind::FakeQuantization, {perChannel},
                     {{"scale", 2}, {"narrow_range", true}}));
  // Scale from data, with a tiny grad_factor.
  ValueId observed =
      check(b.create(OpKind::FakeQuantization, {coerced},
                     {{"num_bits", 2}, {"grad_factor", 1e-45}}));
  b.setOutputs({observed});
  expectRoundTrip(module);

  const Operation &op = g.getOps()[2];
  ASSERT_TRUE(op.getAttr("scale") && op.getAttr("scale")->isFloat());
}

TEST(ParserRoundTripTest, SeveralResultsAndTensorParameters) {
  Module module;
  Graph &g = module.addGraph(Graph("lsq"));
  Builder b(g);
  ValueId dy = b.addInput(DataType::Float32, {8});
  ValueId x = b.addInput(DataType::Float32, {8});
  ValueId scale = b.addInput(DataType::Float32, {});
  ValueId zp = b.addInput(DataType::Float32, {});
  ValueId y = check(b.create(OpKind::FakeQuantization, {x, scale, zp},
                             {{"gradient", Attribute::enumValue("lsq")}}));
  auto grads = check(b.createMulti(
      OpKind::GradFakeQuantization, {dy, x, scale, zp},
      {{"num_bits", 8}, {"gradient", Attribute::enumValue("lsq")}}));
  ASSERT_EQ(grads.size(), 3u);
  b.setOutputs({y, grads[0], grads[1], grads[2]});
  expectRoundTrip(module);
  EXPECT_NE(module.toString().find(
                "t5, t6, t7 = GradFakeQuantization(t0, t1, t2, t3, "
                "num_bits=8, gradient=lsq) : Float32 [8], Float32 [], "
                "Float32 []"),
            std::string::npos)
      << module.toString();
}

TEST(ParserRoundTripTest, KeepsValueIdsAndGraphNames) {
  // Ids need not be dense nor increasing; the parser keeps them as written.
  Module module;
  for (const char *name : {"main", "f_grad", "a.b$c", "_x9"}) {
    Graph &g = module.addGraph(Graph(name));
    TensorType type{DataType::Float32, {3}};
    ASSERT_TRUE(g.defineValue(40, type));
    g.addInput(40);
    ASSERT_TRUE(g.defineValue(7, type));
    g.addOp(Operation(OpKind::Negate, {40}, {7}));
    ASSERT_TRUE(g.defineValue(2147483647u, type));
    g.addOp(Operation(OpKind::Add, {7, 40}, {2147483647u}));
    g.setOutputs({2147483647u, 7});
  }
  expectRoundTrip(module);
  EXPECT_NE(module.toString().find("t2147483647 = Add(t7, t40)"),
            std::string::npos);
}

TEST(ParserRoundTripTest, EmptyModuleAndGraphWithoutInputs) {
  expectRoundTrip(Module());
  Module module;
  Graph &g = module.addGraph(Graph("no_inputs"));
  Builder b(g);
  b.setOutputs({check(b.constant(TensorType{DataType::Float32, {}}, 1.5))});
  expectRoundTrip(module);
}

//===----------------------------------------------------------------------===//
// Parsing hand-written text.
//===----------------------------------------------------------------------===//

const char *kCanonical = "graph @f(t0: Float32 [2, 3], t1: Float32 [3]) {\n"
                         "  t2 = Add(t0, t1) : Float32 [2, 3]\n"
                         "  return t2\n"
                         "}\n";

TEST(ParserTest, AcceptsWhitespaceAndCommentVariants) {
  const char *variants[] = {
      kCanonical,
      // No optional whitespace at all.
      "graph @f(t0:Float32[2,3],t1:Float32[3]){t2=Add(t0,t1):Float32[2,3]"
      "return t2}",
      // Tabs, CRLF, comments everywhere, a final comment without newline.
      "// leading comment: graph @g() { return }\r\n"
      "graph\t@f(\tt0 : Float32 [ 2 , 3 ] , // inputs\r\n"
      "\t t1: Float32 [3]) { // body\r\n"
      "\tt2 = Add( t0 , t1 ) : Float32 [2, 3] // an op\r\n"
      "\treturn t2 // done\r\n"
      "} // end",
      // One token per line.
      "graph\n@f\n(\nt0\n:\nFloat32\n[\n2\n,\n3\n]\n,\nt1\n:\nFloat32\n[\n3\n]"
      "\n)\n{\nt2\n=\nAdd\n(\nt0\n,\nt1\n)\n:\nFloat32\n[\n2\n,\n3\n]\nreturn"
      "\nt2\n}\n\n\n",
  };
  for (const char *text : variants) {
    SCOPED_TRACE(text);
    auto parsed = parseAndVerify(text);
    ASSERT_OK(parsed);
    EXPECT_EQ(parsed->toString(), kCanonical);
  }
}

TEST(ParserTest, ParsesSeveralGraphs) {
  auto parsed = parseAndVerify("// two graphs\n"
                               "graph @first(t0: Int32 [4]) {\n"
                               "  t1 = Negate(t0) : Int32 [4]\n"
                               "  return t1, t0\n"
                               "}\n"
                               "\n"
                               "graph @second(t5: Float64 []) {\n"
                               "  return t5\n"
                               "}\n");
  ASSERT_OK(parsed);
  ASSERT_EQ(parsed->getGraphs().size(), 2u);
  const Graph &first = parsed->getGraphs()[0];
  const Graph &second = parsed->getGraphs()[1];
  EXPECT_EQ(first.getName(), "first");
  EXPECT_EQ(first.getOutputs(), llvm::ArrayRef<ValueId>({1, 0}));
  EXPECT_EQ(first.getType(1), (TensorType{DataType::Int32, {4}}));
  EXPECT_EQ(second.getName(), "second");
  EXPECT_EQ(second.getInputs(), llvm::ArrayRef<ValueId>({5}));
  EXPECT_EQ(second.getType(5), (TensorType{DataType::Float64, {}}));
  EXPECT_TRUE(second.getOps().empty());
  // parseAndVerify's buffer is gone: no location may point into it.
  EXPECT_FALSE(first.getLoc().isValid());
  EXPECT_FALSE(first.getReturnLoc().isValid());
  EXPECT_FALSE(first.getOps()[0].getLoc().isValid());
}

TEST(ParserTest, AttributeValuesAreKeptAsWritten) {
  ParsedText parsed(
      "graph @f(t0: Float32 [3]) {\n"
      "  t1 = FakeQuantization(t0, scale=1, quant_max=9223372036854775807, "
      "quant_min=-9223372036854775808, num_bits=-3, grad_factor=1E3, "
      "gradient=some_rule) : Float32 [3]\n"
      "  t2 = Constant(values=[1, 2.5]) : Float32 [2]\n"
      "  t3 = Constant(values=[1, -2]) : Int32 [2]\n"
      "  t4 = Constant(values=[]) : Float32 [0]\n"
      "  t5 = Constant(values=-0.0) : Float32 []\n"
      "  t6 = Constant(values=[inf, -inf, nan, 1e-45, -1.5e+2]) : Float32 [5]\n"
      "  t7 = Constant(values=nan) : Float32 []\n"
      "  t8 = FakeQuantization(t0, scale=[1, 2], zero_point=[3, -4], "
      "symmetric=true) : Float32 [3]\n"
      "  t9 = Constant(values=4.9406564584124654e-324) : Float64 []\n"
      "  t10 = Constant(values=[0.1, 1.7976931348623157e308]) : Float64 [2]\n"
      "  return t1\n"
      "}\n");
  ASSERT_TRUE(parsed.ok()) << parsed.getError();
  const auto &ops = parsed.get().getGraphs()[0].getOps();
  ASSERT_EQ(ops.size(), 10u);

  // Declared order, whatever the written order; Float attributes coerced.
  const Operation &fq = ops[0];
  std::vector<std::string> names;
  for (const NamedAttribute &a : fq.getAttrs())
    names.push_back(a.name);
  EXPECT_EQ(names, (std::vector<std::string>{"num_bits", "quant_min",
                                             "quant_max", "scale", "gradient",
                                             "grad_factor"}));
  EXPECT_TRUE(sameBits(*fq.getAttr("scale"), Attribute(1.0)));
  EXPECT_EQ(*fq.getAttr("quant_max"),
            Attribute(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(*fq.getAttr("quant_min"),
            Attribute(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(*fq.getAttr("num_bits"), Attribute(-3));
  EXPECT_TRUE(sameBits(*fq.getAttr("grad_factor"), Attribute(1000.0)));
  EXPECT_EQ(*fq.getAttr("gradient"), Attribute::enumValue("some_rule"));

  // Constant keeps what was written: mixed lists become float lists.
  EXPECT_TRUE(sameBits(*ops[1].getAttr("values"),
                       Attribute(std::vector<double>{1.0, 2.5})));
  EXPECT_EQ(*ops[2].getAttr("values"),
            Attribute(std::vector<int64_t>{1, -2}));
  EXPECT_EQ(*ops[3].getAttr("values"), Attribute(std::vector<int64_t>{}));
  EXPECT_TRUE(sameBits(*ops[4].getAttr("values"), Attribute(-0.0)));
  EXPECT_TRUE(sameBits(*ops[5].getAttr("values"),
                       Attribute(std::vector<double>{kInf, -kInf, kNaN, 1e-45,
                                                     -150.0})));
  EXPECT_TRUE(sameBits(*ops[6].getAttr("values"), Attribute(kNaN)));
  EXPECT_TRUE(sameBits(*ops[7].getAttr("scale"),
                       Attribute(std::vector<double>{1.0, 2.0})));
  EXPECT_EQ(*ops[7].getAttr("zero_point"),
            Attribute(std::vector<int64_t>{3, -4}));
  EXPECT_EQ(*ops[7].getAttr("symmetric"), Attribute(true));
  EXPECT_TRUE(
      sameBits(*ops[8].getAttr("values"),
               Attribute(std::numeric_limits<double>::denorm_min())));
  EXPECT_TRUE(sameBits(
      *ops[9].getAttr("values"),
      Attribute(std::vector<double>{0.1, std::numeric_limits<double>::max()})));
}

TEST(ParserTest, RecordsLocations) {
  ParsedText parsed("// a comment\n"
                    "graph @main(t0: Float32 [2]) {\n"
                    "  t1 = Negate(t0) : Float32 [2]\n"
                    "    t2, t3 =   FakeQuantization(t1) : Float32 [2], "
                    "Float32 [2]\n"
                    "   return t1\n"
                    "}\n"
                    "graph @g() { t0 = Constant(values=1) : Int8 [] return t0 }");
  ASSERT_TRUE(parsed.ok()) << parsed.getError();
  const Graph &main = parsed.get().getGraphs()[0];
  EXPECT_EQ(parsed.lineCol(main.getLoc()), "2:7");
  EXPECT_EQ(parsed.lineCol(main.getOps()[0].getLoc()), "3:8");
  EXPECT_EQ(parsed.lineCol(main.getOps()[1].getLoc()), "4:16");
  EXPECT_EQ(parsed.lineCol(main.getReturnLoc()), "5:4");
  const Graph &g = parsed.get().getGraphs()[1];
  EXPECT_EQ(parsed.lineCol(g.getLoc()), "7:7");
  EXPECT_EQ(parsed.lineCol(g.getOps()[0].getLoc()), "7:19");
  EXPECT_EQ(parsed.lineCol(g.getReturnLoc()), "7:48");
  // The parser records operands without checking them.
  EXPECT_EQ(main.getOps()[1].getResults(), llvm::ArrayRef<ValueId>({2, 3}));
}

TEST(ParserTest, LeavesUndefinedValuesToTheVerifier) {
  const char *text = "graph @f(t0: Float32 [2]) {\n"
                     "  t1 = Add(t0, t7) : Float32 [2]\n"
                     "  return t1, t9\n"
                     "}\n";
  ParsedText parsed(text);
  ASSERT_TRUE(parsed.ok()) << parsed.getError();
  EXPECT_EQ(parsed.get().getGraphs()[0].getOps()[0].getOperands(),
            llvm::ArrayRef<ValueId>({0, 7}));

  // Both errors, rendered with the file name, line, source and caret.
  EXPECT_ERROR_CONTAINS_ALL(parseAndVerify(text, "undef.qir"),
                            "undef.qir:2:8: error: ", "t7",
                            "\n  t1 = Add(t0, t7) : Float32 [2]\n       ^",
                            "undef.qir:3:3: error: ", "\n  return t1, t9\n  ^");
}

TEST(ParserTest, RendersParseErrors) {
  auto parsed = parseAndVerify("graph @f(t0: Float32 [2]) {\n"
                               "  t1 = Foo(t0) : Float32 [2]\n"
                               "  return t1\n"
                               "}\n",
                               "bad.qir");
  ASSERT_FALSE(bool(parsed));
  EXPECT_EQ(llvm::toString(parsed.takeError()),
            "bad.qir:2:8: error: unknown op 'Foo'\n"
            "  t1 = Foo(t0) : Float32 [2]\n"
            "       ^");
}

//===----------------------------------------------------------------------===//
// Errors: message and line:col.
//===----------------------------------------------------------------------===//

// `text` with a '`' where the error is expected; returns "line:col: message"
// for the text with the marker removed, and the expected "line:col".
struct ErrorCase {
  std::string text;
  std::string message;
};

std::string expectedLineCol(llvm::StringRef marked) {
  size_t at = marked.find('`');
  EXPECT_NE(at, llvm::StringRef::npos) << "no marker in " << marked.str();
  llvm::StringRef before = marked.take_front(at);
  size_t line = before.count('\n') + 1;
  size_t lineStart = before.rfind('\n');
  size_t col = lineStart == llvm::StringRef::npos ? at + 1 : at - lineStart;
  return fmt::format("{}:{}", line, col);
}

void expectError(const ErrorCase &c) {
  SCOPED_TRACE(c.text);
  std::string text = c.text;
  std::string where = expectedLineCol(text);
  text.erase(text.find('`'), 1);
  ParsedText parsed(text);
  EXPECT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.getError(), where + ": " + c.message);
}

// A graph with `body` as its one op line.
std::string inGraph(llvm::StringRef body) {
  return ("graph @f(t0: Float32 [2]) {\n  " + body + "\n  return t1\n}\n")
      .str();
}

TEST(ParserErrorTest, NamesAndKinds) {
  const ErrorCase cases[] = {
      {inGraph("t1 = `Foo(t0) : Float32 [2]"), "unknown op 'Foo'"},
      {inGraph("t1 = `add(t0, t0) : Float32 [2]"), "unknown op 'add'"},
      {"graph @f(t0: `Float16 [2]) {\n  return t0\n}",
       "unknown type 'Float16'"},
      {inGraph("t1 = Negate(t0) : `Int4 [2]"), "unknown type 'Int4'"},
      {inGraph("t1 = FakeQuantization(t0, `bits=8) : Float32 [2]"),
       "'FakeQuantization' has no attribute 'bits'"},
      {inGraph("t1 = Add(t0, t0, `num_bits=8) : Float32 [2]"),
       "'Add' has no attribute 'num_bits'"},
      {inGraph("t1 = FakeQuantization(t0, num_bits=`0.5) : Float32 [2]"),
       "attribute 'num_bits' must be an integer, got 0.5"},
      {inGraph("t1 = FakeQuantization(t0, num_bits=`[8]) : Float32 [2]"),
       "attribute 'num_bits' must be an integer, got [8]"},
      {inGraph("t1 = FakeQuantization(t0, symmetric=`1) : Float32 [2]"),
       "attribute 'symmetric' must be true or false, got 1"},
      {inGraph("t1 = FakeQuantization(t0, gradient=`[1, 2]) : Float32 [2]"),
       "attribute 'gradient' must be an identifier, got [1, 2]"},
      {inGraph("t1 = FakeQuantization(t0, gradient=`true) : Float32 [2]"),
       "attribute 'gradient' must be an identifier, got true"},
      {inGraph("t1 = FakeQuantization(t0, zero_point=`[0.5, 1]) : "
               "Float32 [2]"),
       "attribute 'zero_point' must be an integer or a list of integers, "
       "got [0.5, 1]"},
      {inGraph("t1 = FakeQuantization(t0, zero_point=`-inf) : Float32 [2]"),
       "attribute 'zero_point' must be an integer or a list of integers, "
       "got -inf"},
      {inGraph("t1 = FakeQuantization(t0, scale=`clipped) : Float32 [2]"),
       "attribute 'scale' must be a number or a list of numbers, got "
       "clipped"},
      {inGraph("t1 = FakeQuantization(t0, grad_factor=`[1.0]) : Float32 [2]"),
       "attribute 'grad_factor' must be a number, got [1.0]"},
      {inGraph("t1 = Constant(values=`false) : Float32 [2]"),
       "attribute 'values' must be a number or a list of numbers, got false"},
      {inGraph("t1 = FakeQuantization(t0, num_bits=8, `num_bits=4) : "
               "Float32 [2]"),
       "attribute 'num_bits' is given twice"},
  };
  for (const ErrorCase &c : cases)
    expectError(c);
}

TEST(ParserErrorTest, Syntax) {
  const ErrorCase cases[] = {
      {inGraph("t1 = Add(t0 `t0) : Float32 [2]"), "expected ')' after operands"},
      {inGraph("t1 = FakeQuantization(t0, num_bits=8 `t0) : Float32 [2]"),
       "expected ')' after attributes"},
      {inGraph("t1 = FakeQuantization(t0, num_bits=8, `t0) : Float32 [2]"),
       "operands must come before attributes"},
      {inGraph("t1 = Add(t0, `x) : Float32 [2]"),
       "expected an operand or attribute"},
      {inGraph("t1 = Add(t0, `5) : Float32 [2]"),
       "expected an operand or attribute"},
      {inGraph("t1 = Add(t0, `) : Float32 [2]"),
       "expected an operand or attribute"},
      {inGraph("t1 `Negate(t0) : Float32 [2]"),
       "expected '=' after the op results"},
      {inGraph("t1 = `(t0) : Float32 [2]"), "expected an op name"},
      {inGraph("t1 = Negate `t0 : Float32 [2]"),
       "expected '(' after the op name"},
      {inGraph("t1 = Negate(t0) `Float32 [2]"),
       "expected ':' and the result type after ')'"},
      {inGraph("t1 = Negate(t0) : `[2]"), "expected a type like Float32 [2, 3]"},
      {inGraph("t1 = Negate(t0) : Float32 `2"),
       "expected '[' and a shape after the type"},
      {inGraph("t1 = Negate(t0) : Float32 [2 `3]"),
       "expected ',' or ']' in the shape"},
      {inGraph("t1 = Negate(t0) : Float32 [2, `]"), "expected a dimension"},
      {inGraph("t1, `= Negate(t0) : Float32 [2]"),
       "expected a result value like t1"},
      {inGraph("t1 = FakeQuantization(t0, scale=`) : Float32 [2]"),
       "expected an attribute value"},
      {inGraph("t1 = Constant(values=[`[1]]) : Float32 [2]"),
       "expected a number in the list"},
      {inGraph("t1 = Constant(values=[1, `true]) : Float32 [2]"),
       "expected a number in the list"},
      {inGraph("t1 = Constant(values=[1, `]) : Float32 [2]"),
       "expected a number in the list"},
      {inGraph("t1 = Constant(values=[1, 2 `3]) : Float32 [2]"),
       "expected ',' or ']' in the list"},
      {"`function @f() {}", "expected 'graph'"},
      {"graph `main() {}", "expected a graph name like @main after 'graph'"},
      {"graph @f `t0", "expected '(' after the graph name"},
      {"graph @f(`x: Float32 [2]) {}", "expected an input value like t0"},
      {"graph @f(t0 `Float32 [2]) {}", "expected ':' and a type after the input"},
      {"graph @f(t0: Float32 [2] `t1: Float32 [2]) {}",
       "expected ')' after the graph inputs"},
      {"graph @f() `return t0", "expected '{' before the graph body"},
      {"graph @f() {\n`}", "expected an op result like t1 or 'return'"},
      {"graph @f() {\n  `Negate(t0)\n}",
       "expected an op result like t1 or 'return'"},
      {"graph @f(t0: Float32 [2]) {\n  return t0 `t1\n}",
       "expected '}' after the returned values"},
      {"graph @f(t0: Float32 [2]) {\n  return t0, `}",
       "expected a returned value like t1"},
      {"graph @f(t0: Float32 [2]) {\n  return t0\n}\ngraph @g() {\n  return "
       "`x\n}",
       "expected a returned value like t1"},
  };
  for (const ErrorCase &c : cases)
    expectError(c);
}

TEST(ParserErrorTest, Definitions) {
  const ErrorCase cases[] = {
      {"graph @f(t0: Float32 [2]) {\n  t1 = Negate(t0) : Float32 [2]\n  `t1 = "
       "Abs(t0) : Float32 [2]\n  return t1\n}",
       "redefinition of value t1"},
      {"graph @f(t0: Float32 [2], `t0: Float32 [3]) {\n  return t0\n}",
       "redefinition of value t0"},
      {inGraph("`t0 = Negate(t0) : Float32 [2]"), "redefinition of value t0"},
      {inGraph("t1, `t1 = Negate(t0) : Float32 [2], Float32 [2]"),
       "redefinition of value t1"},
      {inGraph("t1, t2 = Negate(t0) : Float32 [2]`"),
       "expected ',' and a type for result t2"},
      {inGraph("t1, t2, t3 = Negate(t0) : Float32 [2], Int8 []`"),
       "expected ',' and a type for result t3"},
      {inGraph("t1 = Negate(t0) : Float32 [2], `Float32 [2]"),
       "too many result types: the op has 1 result"},
      {inGraph("t1, t2 = Negate(t0) : Float32 [2], Float32 [2], `Bool [2]"),
       "too many result types: the op has 2 results"},
      // Value ids are limited to 2^31 - 1 (t2147483647 is tested above).
      {inGraph("`t2147483648 = Negate(t0) : Float32 [2]"),
       "value id of 't2147483648' is too large (the largest is 2147483647)"},
      {inGraph("`t4294967295 = Negate(t0) : Float32 [2]"),
       "value id of 't4294967295' is too large (the largest is 2147483647)"},
      {inGraph("t1 = Negate(`t99999999999999999999999) : Float32 [2]"),
       "value id of 't99999999999999999999999' is too large (the largest is "
       "2147483647)"},
      {"graph @f(t0: Float32 [2]) {\n  return `t4294967296\n}",
       "value id of 't4294967296' is too large (the largest is 2147483647)"},
  };
  for (const ErrorCase &c : cases)
    expectError(c);
}

TEST(ParserErrorTest, Literals) {
  const ErrorCase cases[] = {
      {inGraph("t1 = FakeQuantization(t0, num_bits=`99999999999999999999) : "
               "Float32 [2]"),
       "integer '99999999999999999999' does not fit in 64 bits"},
      {inGraph("t1 = FakeQuantization(t0, num_bits=`-9223372036854775809) : "
               "Float32 [2]"),
       "integer '-9223372036854775809' does not fit in 64 bits"},
      {inGraph("t1 = Constant(values=[1, `9223372036854775808]) : Int64 [2]"),
       "integer '9223372036854775808' does not fit in 64 bits"},
      {inGraph("t1 = Negate(t0) : Float32 [`-1]"),
       "dimension must be non-negative, got -1"},
      {inGraph("t1 = Negate(t0) : Float32 [2, `2.5]"),
       "dimension must be an integer, got 2.5"},
      {inGraph("t1 = Negate(t0) : Float32 [`18446744073709551616]"),
       "integer '18446744073709551616' does not fit in 64 bits"},
      {inGraph("t1 = Negate(t0) : Float32 `[4294967296, 4294967296]"),
       "shape has more than 2^63 - 1 elements"},
      {inGraph("t1 = FakeQuantization(t0, scale=`1e400) : Float32 [2]"),
       "number '1e400' is out of the range of a double"},
      {inGraph("t1 = FakeQuantization(t0, scale=`-1e-400) : Float32 [2]"),
       "number '-1e-400' is out of the range of a double"},
      {inGraph("t1 = FakeQuantization(t0, scale=`1.) : Float32 [2]"),
       "invalid number '1.'"},
      {inGraph("t1 = FakeQuantization(t0, scale=`1e) : Float32 [2]"),
       "invalid number '1e'"},
      {inGraph("t1 = FakeQuantization(t0, scale=`1.5.2) : Float32 [2]"),
       "invalid number '1.5.2'"},
      {inGraph("t1 = FakeQuantization(t0, scale=`8bits) : Float32 [2]"),
       "invalid number '8bits'"},
      {inGraph("t1 = FakeQuantization(t0, scale=`-infinity) : Float32 [2]"),
       "invalid number '-infinity'"},
      {inGraph("t1 = FakeQuantization(t0, scale=`- 1) : Float32 [2]"),
       "expected a number after '-'"},
      {inGraph("t1 = FakeQuantization(t0, scale=`+1) : Float32 [2]"),
       "unexpected character '+'"},
      {inGraph("t1 = Add(t0, t0) `; Float32 [2]"), "unexpected character ';'"},
      {"`/ not a comment", "unexpected character '/'"},
      {"graph `@(t0: Float32 [2]) {}", "expected a graph name after '@'"},
      {"graph @f(t0: Float32 [2]) {`\xc3\xa9", "unexpected character '\\xc3'"},
  };
  for (const ErrorCase &c : cases)
    expectError(c);
}

TEST(ParserErrorTest, NulBytesAreCharactersNotTheEnd) {
  static const char kText[] = "graph @f() {`\0 return }";
  std::string text(kText, sizeof kText - 1);
  std::string where = expectedLineCol(text);
  text.erase(text.find('`'), 1);
  ParsedText parsed(text);
  EXPECT_EQ(parsed.getError(), where + ": unexpected character '\\x00'");

  // Inside a comment a NUL is harmless.
  static const char kCommented[] =
      "// a \0 b\ngraph @f(t0: Int8 []) { return t0 }";
  std::string commented(kCommented, sizeof kCommented - 1);
  ParsedText ok(commented);
  EXPECT_TRUE(ok.ok()) << ok.getError();
}

TEST(ParserErrorTest, OverlongTokensGiveShortMessages) {
  std::string longName(100000, 'A');
  ParsedText parsed(inGraph("t1 = " + longName + "(t0) : Float32 [2]"));
  EXPECT_EQ(parsed.getError(),
            "2:8: unknown op '" + std::string(64, 'A') + "...'");

  std::string longNumber(100000, '7');
  ParsedText number(inGraph("t1 = FakeQuantization(t0, num_bits=" +
                            longNumber + ") : Float32 [2]"));
  EXPECT_EQ(number.getError(), "2:38: integer '" + std::string(64, '7') +
                                   "...' does not fit in 64 bits");

  // A float with many digits is still exact.
  ParsedText digits(inGraph("t1 = FakeQuantization(t0, scale=0." +
                            std::string(5000, '0') + "1e5000) : Float32 [2]"));
  ASSERT_TRUE(digits.ok()) << digits.getError();
  EXPECT_TRUE(sameBits(
      *digits.get().getGraphs()[0].getOps()[0].getAttr("scale"),
      Attribute(0.1)));
}

TEST(ParserErrorTest, ErrorsAtTheEndOfInput) {
  const ErrorCase cases[] = {
      {"graph`", "expected a graph name like @main after 'graph'"},
      {"graph @f(t0: Float32 [2]) {\n  return t0\n`",
       "expected '}' after the returned values"},
      {"graph @f(t0: Float32 [2]) {\n  t1 = Negate(t0) : Float32 [2], `",
       "too many result types: the op has 1 result"},
      {"graph @f(t0: Float32 [2]) {\n  t1 = Negate(t0) : Float32 [2]\n`",
       "expected an op result like t1 or 'return'"},
      {"graph @f(t0: Float32 [2]) {\n  t1 = Constant(values=[1, 2`",
       "expected ',' or ']' in the list"},
      {"graph @f(t0: Float32 [2]) { // unterminated\n`",
       "expected an op result like t1 or 'return'"},
  };
  for (const ErrorCase &c : cases)
    expectError(c);
}

//===----------------------------------------------------------------------===//
// Robustness: no input may crash the parser.
//===----------------------------------------------------------------------===//

const char *kEverySyntax =
    "// every construct\n"
    "graph @a.b(t0: Float32 [2, 3], t1: Float32 []) {\n"
    "  t2 = Add(t0, t1) : Float32 [2, 3]\n"
    "  t3 = FakeQuantization(t2, num_bits=8, symmetric=false, "
    "scale=[0.5, 1e-3], zero_point=[-1, 2], axis=0, gradient=clipped, "
    "grad_factor=-inf) : Float32 [2, 3]\n"
    "  t4 = Constant(values=[1, 2.5, nan]) : Float64 [3]\n"
    "  t5, t6 = GradFakeQuantization(t2, t3) : Float32 [2, 3], Bool []\n"
    "  return t3, t4\n"
    "}\n"
    "graph @g() { return }\n";

TEST(ParserRobustnessTest, EveryPrefixFailsCleanly) {
  llvm::StringRef full(kEverySyntax);
  ParsedText whole(full);
  ASSERT_TRUE(whole.ok()) << whole.getError();
  size_t firstGraph = full.find("graph @a.b");
  size_t firstEnd = full.find("\n}\n") + 2;
  size_t secondGraph = full.find("graph @g");
  size_t secondEnd = full.rfind('}') + 1;
  for (size_t n = 0; n < full.size(); ++n) {
    SCOPED_TRACE(n);
    ParsedText parsed(full.take_front(n));
    bool insideGraph = (n > firstGraph && n < firstEnd) ||
                       (n > secondGraph && n < secondEnd);
    if (insideGraph) {
      EXPECT_FALSE(parsed.ok());
    }
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.getError().find("<"), std::string::npos)
          << parsed.getError();
    }
  }
}

TEST(ParserRobustnessTest, NulAtEveryPosition) {
  std::string full(kEverySyntax);
  for (size_t i = 0; i < full.size(); ++i) {
    std::string text = full;
    text[i] = '\0';
    ParsedText parsed(text);
    // Only the comment may hold a NUL (not in place of its "//").
    if (i >= 2 && i < full.find('\n')) {
      EXPECT_TRUE(parsed.ok()) << i << ": " << parsed.getError();
    } else {
      EXPECT_FALSE(parsed.ok()) << i;
      EXPECT_EQ(parsed.getError().find("<"), std::string::npos)
          << parsed.getError();
    }
  }
}

TEST(ParserRobustnessTest, RandomMutations) {
  // Mutations biased towards the language's own characters find more of
  // its corners than uniform bytes do.
  static const char kAlphabet[] = "()[]{},:=@-.eE0123456789t_ \n/\0\xff"
                                  "abcdefghijklmnopqrstuvwxyz";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);
  std::mt19937 rng(12345);
  std::string full(kEverySyntax);
  int parsedOk = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string text = full;
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % text.size();
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
      case 0:
        text[pos] = c;
        break;
      case 1:
        text.insert(text.begin() + pos, c);
        break;
      case 2:
        text.erase(pos, 1 + rng() % 8);
        break;
      }
      if (text.empty())
        text.assign(1, 'x');
    }
    ParsedText parsed(text);
    if (parsed.ok()) {
      ++parsedOk;
    } else {
      EXPECT_EQ(parsed.getError().find("<"), std::string::npos)
          << parsed.getError();
    }
    // Verification of whatever parsed must not crash either.
    auto verified = parseAndVerify(text, "mutant.qir");
    if (!verified)
      llvm::consumeError(verified.takeError());
  }
  EXPECT_GT(parsedOk, 0);
}

} // namespace
