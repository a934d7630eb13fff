//===- BundleTest.cpp - The C++ API of AOT bundles ------------------------===//
//
// What iropt cannot reach: names that the text format does not allow, and
// the API's own errors. Running a bundle from C is examples/bundle's test,
// iropt --emit=bundle is test/iropt/emit-bundle*.qir.
//
//===----------------------------------------------------------------------===//
#include "TestHelpers.h"
#include "qjit/IR/Builder.h"
#include "qjit/JIT/Bundle.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace qjit;
using namespace qjit::test;

namespace {

Graph absGraph(std::string name) {
  Graph g(std::move(name));
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {3});
  auto y = b.create(OpKind::Abs, {x});
  EXPECT_OK(y);
  b.setOutputs({*y});
  return g;
}

TEST(Bundle, CNamesAreIdentifiers) {
  EXPECT_EQ(bundleCName("relu_fq"), "relu_fq");
  EXPECT_EQ(bundleCName("torch-jit-export"), "torch_jit_export");
  EXPECT_EQ(bundleCName("a.b$c"), "a_b_c");
  EXPECT_EQ(bundleCName("1st"), "graph_1st");
  EXPECT_EQ(bundleCName("_Reserved"), "graph__Reserved");
  EXPECT_EQ(bundleCName("qjit_sgemm"), "graph_qjit_sgemm");
  EXPECT_EQ(bundleCName("QJIT_X"), "graph_QJIT_X");
  EXPECT_EQ(bundleCName("int"), "int_");
  EXPECT_EQ(bundleCName("class"), "class_");
  EXPECT_EQ(bundleCName("main"), "main_");
  EXPECT_EQ(bundleCName(""), "graph");
  EXPECT_EQ(bundleCName("caf\xc3\xa9"), "caf__");
}

TEST(Bundle, FilesOfAGraphWithAnyName) {
  Graph g = absGraph("my graph/1");
  auto files = compileBundle({&g}, "my-model", JitOptions{});
  ASSERT_OK(files);
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].name, "my_model.o");
  EXPECT_EQ((*files)[1].name, "my_model.h");
  EXPECT_TRUE(llvm::StringRef((*files)[0].contents).starts_with("\x7f" "ELF"));
  const std::string &header = (*files)[1].contents;
  EXPECT_NE(header.find("int my_graph_1(const void *const *inputs"),
            std::string::npos)
      << header;
  EXPECT_NE(header.find("#define my_graph_1_INPUT0_SHAPE {3}"),
            std::string::npos);
  // The graph's name, in a comment, cannot end it.
  Graph tricky = absGraph("x*/y");
  auto trickyFiles = compileBundle({&tricky}, "t", JitOptions{});
  ASSERT_OK(trickyFiles);
  EXPECT_NE((*trickyFiles)[1].contents.find("/* Graph @x* /y:"),
            std::string::npos);
}

TEST(Bundle, Errors) {
  EXPECT_ERROR_CONTAINS(compileBundle({}, "b", JitOptions{}),
                        "a bundle needs at least one graph");
  Graph a = absGraph("a-b"), b = absGraph("a+b");
  EXPECT_ERROR_CONTAINS(compileBundle({&a, &b}, "b", JitOptions{}),
                        "graphs @a-b and @a+b would both be the bundle's C "
                        "function 'a_b'");
  JitOptions badFeature;
  badFeature.features = "+no-such-feature";
  EXPECT_ERROR_CONTAINS(compileBundle({&a}, "b", badFeature),
                        "bad CPU feature '+no-such-feature'");
  // A graph that does not verify (an output that is not a value).
  Graph broken("broken");
  Builder builder(broken);
  builder.addInput(DataType::Float32, {2});
  broken.setOutputs({ValueId(7)});
  EXPECT_FALSE(static_cast<bool>(compileBundle({&broken}, "b", JitOptions{})));
}

TEST(Bundle, JitWritesTheDirectory) {
  llvm::SmallString<128> dir, prefix;
  llvm::sys::path::system_temp_directory(/*erasedOnReboot=*/true, prefix);
  llvm::sys::path::append(prefix, "qjit-bundle-test");
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory(prefix, dir));
  llvm::SmallString<128> bundleDir(dir);
  llvm::sys::path::append(bundleDir, "out");
  auto jit = Jit::create();
  ASSERT_OK(jit);
  Graph g = absGraph("abs");
  ASSERT_OK((*jit)->emitBundle({&g}, bundleDir, "abs_bundle"));
  for (const char *name : {"abs_bundle.o", "abs_bundle.h"}) {
    llvm::SmallString<128> path(bundleDir);
    llvm::sys::path::append(path, name);
    auto file = llvm::MemoryBuffer::getFile(path);
    ASSERT_TRUE(bool(file)) << path.str().str();
    EXPECT_GT((*file)->getBufferSize(), 100u);
  }
  // A file where the directory should be.
  llvm::SmallString<128> header(bundleDir);
  llvm::sys::path::append(header, "abs_bundle.h");
  EXPECT_ERROR_CONTAINS((*jit)->emitBundle({&g}, header, "abs_bundle"),
                        "it exists and is not a directory");
  EXPECT_ERROR_CONTAINS(writeBundle({}, ""), "directory name is empty");
  llvm::sys::fs::remove_directories(dir);
}

} // namespace
