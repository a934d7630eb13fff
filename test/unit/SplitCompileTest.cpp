//===- SplitCompileTest.cpp - Large graphs compiled in parts on threads ---===//
//
// A graph with more kernels than optimizeModule inlines is cut into parts
// optimized and compiled on several threads (lib/JIT/SplitCompile.h). The
// parts must link (kernels, their parallel loop bodies and the constants
// they share end up in different objects), give the interpreter's bytes for
// any thread count, and not clash with another graph's parts in the same
// session.
//
//===----------------------------------------------------------------------===//
#include "JIT/SplitCompile.h"
#include "JIT/TargetSelection.h"
#include "JitTestSupport.h"
#include "qjit/CodeGen/CodeGen.h"
#include "llvm/Support/TargetSelect.h"

namespace qjit::test {
namespace {

const FillOptions kSalted = {/*range=*/100, /*specialFraction=*/0.1,
                             /*tieFraction=*/0.2, /*tieScale=*/0.05};

// A chain of `links` x 3 ops on tensors of `size` elements, compiled
// without the default passes (which would fuse it): multiply, fake-quantize
// (a parallel loop body when `size` is large) and add, with every fifth
// fake-quantized value an output too. Equal ops share a kernel: the chain
// has `links` fake quantization kernels (each has its own scale) and a few
// multiply and add kernels (buffers of other alignments).
Graph chainGraph(const std::string &name, int64_t size, int links) {
  Graph graph(name);
  Builder b(graph);
  ValueId x = b.addInput(DataType::Float32, {size});
  ValueId y = b.addInput(DataType::Float32, {size});
  ValueId value = x;
  std::vector<ValueId> outputs;
  for (int i = 0; i < links; ++i) {
    auto product = b.create(OpKind::Multiply, {value, y});
    auto quantized = b.create(OpKind::FakeQuantization, {*product},
                              {{"scale", 0.05 + 0.001 * i},
                               {"symmetric", false},
                               {"zero_point", int64_t(i % 5)}});
    auto sum = b.create(OpKind::Add, {*quantized, x});
    if (!expectOk(product) || !expectOk(quantized) || !expectOk(sum))
      return graph;
    if (i % 5 == 0)
      outputs.push_back(*quantized);
    value = *sum;
  }
  outputs.push_back(value);
  b.setOutputs(outputs);
  return graph;
}

std::unique_ptr<Jit> jitWithCompileThreads(unsigned threads) {
  JitOptions options{2, "", ""};
  options.defaultPasses = false;
  options.compileThreads = threads;
  auto jit = Jit::create(options);
  if (!expectOk(jit))
    return nullptr;
  return std::move(*jit);
}

std::unique_ptr<llvm::TargetMachine> hostTargetMachine() {
  llvm::InitializeNativeTarget();
  auto builder = selectTarget(JitOptions{2, "", ""});
  if (!expectOk(builder))
    return nullptr;
  auto tm = builder->createTargetMachine();
  if (!expectOk(tm))
    return nullptr;
  return std::move(*tm);
}

void expectInterpretersBytes(Jit &jit, const Graph &graph,
                             const std::string &what) {
  SCOPED_TRACE(what);
  auto compiled = jit.compile(graph);
  ASSERT_OK(compiled);
  std::vector<Tensor> inputs = randomInputs(graph, kSalted);
  auto expected = interpret(graph, inputs);
  ASSERT_OK(expected);
  for (unsigned runThreads : {1u, 2u}) {
    auto actual = (*compiled)->run(inputs, RunOptions{runThreads});
    ASSERT_OK(actual);
    ASSERT_EQ(actual->size(), expected->size());
    for (size_t i = 0; i < actual->size(); ++i)
      EXPECT_TRUE((*actual)[i].bitwiseEqual((*expected)[i]))
          << "output " << i << " with " << runThreads << " run threads: "
          << describeMismatch((*actual)[i], (*expected)[i]);
  }
}

TEST(SplitCompile, PartsFollowTheKernelsAndTheThreads) {
  llvm::LLVMContext ctx;
  auto tm = hostTargetMachine();
  ASSERT_TRUE(tm);
  auto partsOf = [&](const Graph &graph, unsigned threads) -> unsigned {
    auto lowered = lowerGraph(graph, ctx, *tm, "entry");
    if (!expectOk(lowered))
      return 0;
    return splitCompileParts(*lowered->module, threads);
  };
  // Fewer than 32 kernels are inlined into the entry: compiled whole.
  EXPECT_EQ(partsOf(chainGraph("small", 1001, 20), 4), 1u);
  // Over 36 kernels are kept apart: two parts per thread, and at least
  // eight functions a part (the first graph's module defines 40 to 47, the
  // second's 64 to 71).
  Graph large = chainGraph("large", 1001, 36);
  EXPECT_EQ(partsOf(large, 1), 1u);
  EXPECT_EQ(partsOf(large, 2), 4u);
  EXPECT_EQ(partsOf(large, 3), 5u);
  Graph larger = chainGraph("larger", 1001, 60);
  EXPECT_EQ(partsOf(larger, 3), 6u);
  EXPECT_EQ(partsOf(larger, 16), 8u);
}

// Large tensors: the fake quantizations are parallel loop bodies, which go
// with their kernels. 36 links: over 36 kernels, past the inlining limit.
TEST(SplitCompile, EveryThreadCountGivesTheInterpretersBytes) {
  Graph graph = chainGraph("chain", 70001, 36);
  for (unsigned threads : {1u, 2u, 3u, 5u}) {
    std::unique_ptr<Jit> jit = jitWithCompileThreads(threads);
    ASSERT_TRUE(jit);
    expectInterpretersBytes(*jit, graph,
                            "compile threads " + std::to_string(threads));
  }
}

TEST(SplitCompile, GraphsInOneSessionKeepTheirOwnKernels) {
  // Equal kernel names in both modules ("Multiply.0", ...): made hidden
  // symbols of each entry's own, they must not clash or be mixed up.
  std::unique_ptr<Jit> jit = jitWithCompileThreads(3);
  ASSERT_TRUE(jit);
  expectInterpretersBytes(*jit, chainGraph("g", 1001, 36), "first");
  expectInterpretersBytes(*jit, chainGraph("g", 1003, 36), "same name");
  expectInterpretersBytes(*jit, chainGraph("h", 70001, 40), "another");
  EXPECT_EQ(jit->cacheSize(), 3u);
}

} // namespace
} // namespace qjit::test
