//===- StressTest.cpp - Many threads compiling and running on one Jit -----===//
//
// Eight threads compile and run different graphs on one Jit (cold compiles,
// cache hits and runs with 1, 2 or all kernel threads interleaved) for
// QJIT_STRESS_SECONDS (default 3; the hardening issue's check is a minute:
// QJIT_STRESS_SECONDS=60 build/test/unit/JitTests --gtest_filter=Stress*),
// and every result must equal the single-threaded run of the same graph.
//
//===----------------------------------------------------------------------===//
#include "TestHelpers.h"
#include "qjit/IR/Builder.h"
#include "qjit/JIT/Jit.h"
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <gtest/gtest.h>
#include <thread>

namespace qjit {
namespace {

using test::isOk;

// Graph `index` of a family of 48: fake quantization and elementwise
// chains of different sizes and parameters, some fused, some large enough
// for parallel loops.
Graph stressGraph(unsigned index) {
  Graph graph("stress" + std::to_string(index));
  Builder b(graph);
  int64_t n = (index % 3 == 0) ? 70000 + index : 1000 + 37 * index;
  ValueId x = b.addInput(DataType::Float32, {n});
  ValueId y = b.addInput(DataType::Float32, {n});
  ValueId v = llvm::cantFail(b.create(OpKind::Multiply, {x, y}));
  if (index % 2)
    v = llvm::cantFail(b.create(OpKind::ReLU, {v}));
  if (index % 4 == 1)
    v = llvm::cantFail(b.create(OpKind::HardSwish, {v}));
  v = llvm::cantFail(b.create(
      OpKind::FakeQuantization, {v},
      {{"num_bits", int64_t(4 + index % 5)}, {"scale", 0.01 * (1 + index)}}));
  b.setOutputs({v});
  return graph;
}

std::vector<Tensor> stressInputs(const Graph &graph) {
  std::vector<Tensor> inputs;
  for (ValueId id : graph.getInputs()) {
    Tensor t(graph.getType(id));
    float *data = t.as<float>();
    for (int64_t i = 0; i < t.numElements(); ++i)
      data[i] = float((i * 7919 + id * 104729) % 2001 - 1000) / 128.0f;
    inputs.push_back(std::move(t));
  }
  return inputs;
}

TEST(Stress, EightThreadsCompileAndRunOnOneJit) {
  constexpr unsigned kGraphs = 48, kThreads = 8;
  double seconds = 3;
  if (const char *env = std::getenv("QJIT_STRESS_SECONDS"))
    seconds = std::atof(env);

  // The references: one thread, a Jit of their own.
  std::vector<Graph> graphs;
  std::vector<std::vector<Tensor>> inputs, expected;
  {
    auto reference = Jit::create();
    ASSERT_OK(reference);
    for (unsigned g = 0; g < kGraphs; ++g) {
      graphs.push_back(stressGraph(g));
      inputs.push_back(stressInputs(graphs.back()));
      auto compiled = (*reference)->compile(graphs.back());
      ASSERT_OK(compiled);
      auto outputs = (*compiled)->run(inputs.back(), RunOptions(1));
      ASSERT_OK(outputs);
      expected.push_back(std::move(*outputs));
    }
  }

  auto jit = Jit::create();
  ASSERT_OK(jit);
  std::atomic<unsigned> failures{0}, runs{0};
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (unsigned round = 0; std::chrono::steady_clock::now() < deadline;
           ++round) {
        unsigned g = (t * 7 + round * 5) % kGraphs;
        auto compiled = (*jit)->compile(graphs[g]);
        if (!compiled) {
          llvm::consumeError(compiled.takeError());
          ++failures;
          continue;
        }
        unsigned kernelThreads = round % 3 == 0 ? 0 : 1 + round % 2;
        auto outputs = (*compiled)->run(inputs[g], RunOptions(kernelThreads));
        if (!outputs) {
          llvm::consumeError(outputs.takeError());
          ++failures;
          continue;
        }
        if (!(*outputs)[0].bitwiseEqual(expected[g][0]))
          ++failures;
        ++runs;
      }
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_GE(runs.load(), kGraphs) << "too few runs to cover every graph";
  EXPECT_LE((*jit)->cacheSize(), kGraphs);
}

} // namespace
} // namespace qjit
