//===- DataConstantTest.cpp - Constants that carry their bytes ------------===//
//
// Every layer of a data constant: the builder, the verifier, print/parse
// round trips and the parser's located errors, the structural hash, cse,
// .npy files, autodiff, and the JIT against the interpreter.
//
//===----------------------------------------------------------------------===//
#include "JitTestSupport.h"
#include "qjit/IR/DenseData.h"
#include "qjit/IR/Parser.h"
#include "qjit/IR/StructuralHash.h"
#include "qjit/IR/Verifier.h"
#include "qjit/Support/Error.h"
#include "qjit/Support/Npy.h"
#include "qjit/Transforms/Autodiff.h"
#include "qjit/Transforms/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace qjit;
using namespace qjit::test;

namespace {

// x: Float32 [4, 5] -> x * W + b, W: [4, 5] and b: [5] data constants,
// and W returned as it is. (Elementwise, so the JIT's bytes must equal the
// interpreter's; a GEMM library may order a product's sums its own way.)
Graph denseGraph(const Tensor &weight, const Tensor &bias) {
  Graph g("dense");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {4, 5});
  auto w = b.constant(weight);
  auto c = b.constant(bias);
  EXPECT_OK(w);
  EXPECT_OK(c);
  auto y = b.create(OpKind::Multiply, {x, *w});
  EXPECT_OK(y);
  auto z = b.create(OpKind::Add, {*y, *c});
  EXPECT_OK(z);
  b.setOutputs({*z, *w});
  return g;
}

TEST(DenseDataTest, AlignedCopyWithContentHash) {
  std::string bytes = "\x01\x02\x03";
  auto a = DenseData::copy(bytes);
  auto b = DenseData::copy(bytes);
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ((*a)->getBytes(), bytes);
  EXPECT_EQ(reinterpret_cast<uintptr_t>((*a)->data()) % 64, 0u);
  EXPECT_EQ((*a)->contentHash(), (*b)->contentHash());
  EXPECT_TRUE((*a)->sameBytes(**b));
  auto empty = DenseData::copy("");
  ASSERT_OK(empty);
  EXPECT_EQ((*empty)->size(), 0u);
  EXPECT_ERROR_CONTAINS(
      DenseData::create(uint64_t(1) << 50,
                        [](char *) { return llvm::Error::success(); }),
      "more than a tensor may have");
}

TEST(DataConstantTest, BuilderChecksTheByteSize) {
  Graph g("bad");
  Builder b(g);
  auto data = DenseData::copy(std::string(12, '\0'));
  ASSERT_OK(data);
  EXPECT_ERROR_CONTAINS(b.constant(TensorType{DataType::Float32, {4}}, *data),
                        "has 12 bytes of data, but Float32 [4] needs 16");
  EXPECT_OK(b.constant(TensorType{DataType::Float32, {3}}, *data));
  EXPECT_OK(b.constant(TensorType{DataType::Int8, {2, 6}}, *data));
  EXPECT_ERROR_CONTAINS(b.constant(TensorType{DataType::Float32, {3}}, nullptr),
                        "null");
  // Bool data must be 0 or 1.
  auto bools = DenseData::copy(std::string("\x01\x00\x02", 3));
  ASSERT_OK(bools);
  EXPECT_ERROR_CONTAINS(b.constant(TensorType{DataType::Bool, {3}}, *bools),
                        "byte 2 is 2");
  // Not both values and data.
  EXPECT_ERROR_CONTAINS(
      parseAndVerify("graph @g() {\n"
                     "  t0 = Constant(values=1, data=%w0) : Int8 [1]\n"
                     "  return t0\n}\ndata {\n  %w0 = \"0x01\"\n}\n"),
      "has both 'values' and 'data'");
}

TEST(DataConstantTest, StructuralHashSeesEveryByte) {
  Tensor w = randomTensor(typeOf(DataType::Float32, {4, 5}));
  Tensor bias = randomTensor(typeOf(DataType::Float32, {5}));
  Graph g1 = denseGraph(w, bias);
  Graph g2 = denseGraph(w, bias); // equal bytes, other DenseData objects
  EXPECT_EQ(structuralHash(g1), structuralHash(g2));
  for (size_t byte : {size_t(0), size_t(37), w.sizeInBytes() - 1}) {
    Tensor changed = w;
    static_cast<unsigned char *>(changed.data())[byte] ^= 1;
    EXPECT_NE(structuralHash(denseGraph(changed, bias)), structuralHash(g1))
        << "byte " << byte;
  }
  // The same bytes as values are another constant.
  Graph g3("dense");
  Builder b(g3);
  EXPECT_OK(b.constant(typeOf(DataType::Float32, {2}), Attribute(1.0)));
  Graph g4("dense");
  Builder b4(g4);
  EXPECT_OK(b4.constant(Tensor({2}, llvm::ArrayRef<float>({1.0f, 1.0f}))));
  EXPECT_NE(structuralHash(g3), structuralHash(g4));
}

TEST(DataConstantTest, PrintParseRoundTrip) {
  Tensor w = randomTensor(typeOf(DataType::Float32, {4, 5}),
                          FillOptions{100, 0.3}); // NaNs, -0.0, infinities
  Tensor bias = randomTensor(typeOf(DataType::Float32, {5}));
  Module module;
  module.addGraph(denseGraph(w, bias));
  // A second graph reusing W's bytes (one name) and an Int8 constant.
  Graph &g = module.addGraph(Graph("other"));
  Builder b(g);
  auto w2 = b.constant(w);
  auto q = b.constant(Tensor({3}, llvm::ArrayRef<int8_t>({-128, 0, 127})));
  auto e = b.constant(Tensor(typeOf(DataType::Float32, {0, 3})));
  ASSERT_OK(w2);
  ASSERT_OK(q);
  ASSERT_OK(e);
  b.setOutputs({*w2, *q, *e});

  std::string text = module.toString();
  EXPECT_NE(text.find("t1 = Constant(data=%w0) : Float32 [4, 5]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\ndata {\n  %w0 = \"0x"), std::string::npos) << text;
  EXPECT_EQ(text.find("%w4"), std::string::npos) << text; // W named once
  EXPECT_NE(text.find("%w2 = \"0x80007F\""), std::string::npos) << text;
  EXPECT_NE(text.find("= \"0x\"\n"), std::string::npos) << text; // empty

  auto parsed = parseAndVerify(text, "roundtrip.qir");
  ASSERT_OK(parsed) << text;
  EXPECT_EQ(parsed->toString(), text);
  for (size_t i = 0; i < 2; ++i)
    EXPECT_EQ(structuralHash(parsed->getGraphs()[i]),
              structuralHash(module.getGraphs()[i]));
  const Attribute *data = parsed->getGraphs()[1].getOps()[0].getAttr("data");
  ASSERT_TRUE(data && data->isData());
  EXPECT_EQ(
      data->getData()->getBytes(),
      llvm::StringRef(static_cast<const char *>(w.data()), w.sizeInBytes()));
  // A graph printed alone is a whole file too.
  auto alone = parseAndVerify(module.getGraphs()[0].toString());
  ASSERT_OK(alone);
  EXPECT_EQ(structuralHash(alone->getGraphs()[0]),
            structuralHash(module.getGraphs()[0]));
}

// The error of parsing `text` as "line:col: message".
std::string parseError(llvm::StringRef text) {
  llvm::SourceMgr srcMgr;
  unsigned id = srcMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "test.qir"), llvm::SMLoc());
  auto parsed = parseModule(srcMgr, id);
  if (parsed)
    return "<success>";
  std::string out;
  llvm::handleAllErrors(
      parsed.takeError(),
      [&](const LocatedError &e) {
        auto [line, col] = srcMgr.getLineAndColumn(e.getLoc(), id);
        out = fmt::format("{}:{}: {}", line, col, e.getMessage());
      },
      [&](const llvm::ErrorInfoBase &e) {
        out = "<no location>: " + e.message();
      });
  return out;
}

constexpr llvm::StringLiteral kGraph = "graph @g() {\n"
                                       "  t0 = Constant(data=%w0) : Int16 [2]\n"
                                       "  return t0\n"
                                       "}\n";

TEST(DataConstantTest, ParserErrorsAreLocated) {
  EXPECT_EQ(parseError((kGraph + "data {\n  %w0 = \"0x01000200\"\n}\n").str()),
            "<success>");
  EXPECT_EQ(parseError(kGraph), "2:22: unknown data %w0: no data section "
                                "defines it");
  EXPECT_EQ(parseError((kGraph + "data {\n  %w0 = \"0x010002\"\n}\n").str()),
            "2:22: data %w0 has 3 bytes, but Int16 [2] needs 4");
  EXPECT_EQ(parseError((kGraph + "data {\n  %w0 = \"0x01000g00\"\n}\n").str()),
            "6:17: bad hex digit 'g' in the data");
  EXPECT_EQ(parseError((kGraph + "data {\n  %w0 = \"0x0100020\"\n}\n").str()),
            "6:9: the data has an odd number of hex digits (7): two per byte");
  EXPECT_EQ(parseError((kGraph + "data {\n  %w0 = \"01000200\"\n}\n").str()),
            "6:9: the data must start with '0x'");
  EXPECT_EQ(parseError((kGraph + "data {\n  %w0 = \"0x01000200\"\n"
                                 "  %w0 = \"0x01000200\"\n}\n")
                           .str()),
            "7:3: redefinition of data %w0");
  EXPECT_EQ(parseError((kGraph + "data {\n  %w0 = \"0x0100\n}\n").str()),
            "6:9: missing '\"' at the end of the string");
  EXPECT_EQ(parseError((kGraph + "data {\n  %w0 = 12\n}\n").str()),
            "6:9: expected the bytes as a string of hex digits like "
            "\"0x00FF\"");
  EXPECT_EQ(parseError("data {\n  w0 = \"0x00\"\n}\n"),
            "2:3: expected a data name like %w0, or '}'");
  EXPECT_EQ(parseError("graph @g(t0: Float32 [2]) {\n"
                       "  t1 = FakeQuantization(t0, scale=%w0) : Float32 [2]\n"
                       "  return t1\n}\n"),
            "2:35: attribute 'scale' must be a number or a list of numbers, "
            "got %w0");
  // An unused blob is fine (and dropped).
  EXPECT_EQ(parseError("data {\n  %unused = \"0xFF\"\n}\n"), "<success>");
}

TEST(DataConstantTest, CseMergesEqualBytesOnly) {
  Tensor w = randomTensor(typeOf(DataType::Float32, {2, 3}));
  Tensor other = w;
  static_cast<char *>(other.data())[5] ^= 4;
  Module module;
  Graph &g = module.addGraph(Graph("cse"));
  Builder b(g);
  auto c1 = b.constant(w);
  auto c2 = b.constant(w); // another DenseData, the same bytes
  auto c3 = b.constant(other);
  ASSERT_OK(c1);
  ASSERT_OK(c2);
  ASSERT_OK(c3);
  auto s1 = b.create(OpKind::Add, {*c1, *c2});
  auto s2 = b.create(OpKind::Add, {*s1, *c3});
  ASSERT_OK(s2);
  b.setOutputs({*s2});
  auto cse = parsePassPipeline("cse,dce");
  ASSERT_OK(cse);
  ASSERT_OK(cse->run(module));
  size_t constants = llvm::count_if(g.getOps(), [](const Operation &op) {
    return op.getKind() == OpKind::Constant;
  });
  EXPECT_EQ(constants, 2u) << g.toString();
}

TEST(DataConstantTest, JitMatchesInterpreter) {
  Tensor w = randomTensor(typeOf(DataType::Float32, {4, 5}));
  Tensor bias =
      randomTensor(typeOf(DataType::Float32, {5}), FillOptions{100, 0.3});
  Graph g = denseGraph(w, bias);
  ASSERT_OK(verifyGraph(g));
  for (unsigned level : kOptLevels)
    expectMatchesInterpreter(g, randomInputs(g), level, "dense", {0});

  // Every element type, each returned directly and through a Reshape view.
  for (DataType type : {DataType::Float64, DataType::Int8, DataType::UInt8,
                        DataType::Int16, DataType::Int32, DataType::Int64}) {
    Graph h("types");
    Builder b(h);
    ValueId x = b.addInput(type, {3, 2});
    auto c = b.constant(randomTensor(typeOf(type, {3, 2})));
    ASSERT_OK(c);
    auto r =
        b.create(OpKind::Reshape, {*c}, {{"shape", std::vector<int64_t>{6}}});
    auto r2 = b.create(OpKind::Reshape, {*r},
                       {{"shape", std::vector<int64_t>{2, 3}}});
    auto t = b.create(OpKind::Transpose, {*r2});
    auto s = b.create(OpKind::Add, {x, *t});
    ASSERT_OK(s);
    b.setOutputs({*s, *c, *r});
    for (unsigned level : kOptLevels)
      expectMatchesInterpreter(h, randomInputs(h), level,
                               dataTypeName(type).str());
  }
  // Bool data.
  Graph h("bools");
  Builder b(h);
  auto c =
      b.constant(Tensor({4}, llvm::ArrayRef<bool>({true, false, false, true})));
  ASSERT_OK(c);
  b.setOutputs({*c});
  expectMatchesInterpreter(h, {}, 2, "bool");
}

TEST(DataConstantTest, CompiledGraphOwnsTheBytesAndTheCacheSeesThem) {
  auto jit = Jit::create();
  ASSERT_OK(jit);
  Tensor w = randomTensor(typeOf(DataType::Float32, {4, 5}));
  Tensor bias = randomTensor(typeOf(DataType::Float32, {5}));
  std::shared_ptr<const CompiledGraph> compiled;
  {
    Graph g = denseGraph(w, bias);
    auto c = (*jit)->compile(g);
    ASSERT_OK(c);
    compiled = *c;
    // Equal bytes in other objects: the cached code.
    auto again = (*jit)->compile(denseGraph(w, bias));
    ASSERT_OK(again);
    EXPECT_EQ(again->get(), compiled.get());
  } // the graphs, and their references to the bytes, are gone
  Tensor changed = w;
  static_cast<char *>(changed.data())[0] ^= 1;
  auto other = (*jit)->compile(denseGraph(changed, bias));
  ASSERT_OK(other);
  EXPECT_NE(other->get(), compiled.get());
  EXPECT_EQ(compiled->getDataPointers().size(), 2u);

  Tensor x = randomTensor(typeOf(DataType::Float32, {4, 5}));
  auto out = compiled->run({x});
  ASSERT_OK(out);
  EXPECT_TRUE((*out)[1].bitwiseEqual(w));
  auto expected = interpret(denseGraph(w, bias), {x});
  ASSERT_OK(expected);
  EXPECT_TRUE(equalUpToNaNPayload((*out)[0], (*expected)[0]));
}

TEST(DataConstantTest, LoadsAreNotFoldedIntoTheModule) {
  auto jit = Jit::create();
  ASSERT_OK(jit);
  Tensor w = randomTensor(typeOf(DataType::Float32, {64, 64}));
  Graph g("fold");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {64, 64});
  auto c = b.constant(w);
  ASSERT_OK(c);
  auto y = b.create(OpKind::Multiply, {x, *c});
  ASSERT_OK(y);
  b.setOutputs({*y});
  auto ir = (*jit)->emitLLVMIR(g);
  ASSERT_OK(ir);
  // No global holds the 16 KiB: the entry loads the address from the table.
  EXPECT_LT(ir->size(), 16000u * 2);
  EXPECT_NE(ir->find("%data0 = load ptr"), std::string::npos) << *ir;
}

TEST(DataConstantTest, FromNpyFiles) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qjit-data", dir));
  std::string path = (dir + "/w.npy").str();
  Tensor w = randomTensor(typeOf(DataType::Int32, {3, 2}));
  ASSERT_OK(
      writeNpyFile(path, "<i4", {3, 2},
                   {static_cast<const char *>(w.data()), w.sizeInBytes()}));
  Graph g("npy");
  Builder b(g);
  auto c = b.constantFromNpy(path);
  ASSERT_OK(c);
  EXPECT_EQ(g.getType(*c), w.getType());
  b.setOutputs({*c});
  auto out = interpret(g, {});
  ASSERT_OK(out);
  EXPECT_TRUE((*out)[0].bitwiseEqual(w));
  // The size limit is checked before reading.
  EXPECT_ERROR_CONTAINS(b.constantFromNpy(path, 8), "more than the limit");
  EXPECT_ERROR_CONTAINS(b.constantFromNpy((dir + "/none.npy").str()),
                        "cannot read");
  llvm::sys::fs::remove(path);
  llvm::sys::fs::remove(dir);
}

TEST(DataConstantTest, AutodiffGivesNoGradientToData) {
  Tensor w = randomTensor(typeOf(DataType::Float32, {4, 5}));
  Tensor bias = randomTensor(typeOf(DataType::Float32, {5}));
  Graph f = denseGraph(w, bias);
  f.setOutputs({f.getOutputs()[0]});
  auto grad = buildGradientGraph(f);
  ASSERT_OK(grad);
  // dx = dy * W^T: the backward reads W's bytes.
  for (unsigned level : kOptLevels)
    expectMatchesInterpreter(*grad, randomInputs(*grad), level, "grad", {0});
  std::string text = grad->toString();
  EXPECT_NE(text.find("Constant(data=%w0)"), std::string::npos) << text;
  auto reparsed = parseAndVerify(text);
  ASSERT_OK(reparsed);
  EXPECT_EQ(structuralHash(reparsed->getGraphs()[0]), structuralHash(*grad));
}

} // namespace
