//===- RunFailureTest.cpp - Runtime failures fail the run, not the process ===//
//
// The runtime functions compiled kernels call (per-thread scratch, integer
// GEMM panels) report a failed allocation to the run (Runtime/RunFailure.h):
// CompiledGraph::run returns an error, the process goes on, and the next run
// with memory to spare computes what the run before the failure computed.
//
//===----------------------------------------------------------------------===//
#include "Runtime/ParallelFor.h"
#include "Runtime/RunFailure.h"
#include "JitTestSupport.h"
#include "TestHelpers.h"
#include "qjit/IR/Parser.h"
#include "qjit/JIT/Jit.h"
#include <chrono>
#include <gtest/gtest.h>
#include <mutex>
#include <set>
#include <thread>

namespace qjit {
namespace {

// While alive, every scratch and panel request of the runtime fails.
class FailingScratch {
public:
  FailingScratch() { setScratchAllocationsFailForTesting(true); }
  ~FailingScratch() { setScratchAllocationsFailForTesting(false); }
};

void expectRunFailsThenRecovers(const char *text, unsigned threads,
                                const char *what) {
  auto module = parseAndVerify(text);
  ASSERT_TRUE(test::expectOk(module, text));
  const Graph &graph = module->getGraphs().front();
  auto compiled = test::jitAt(2).compile(graph);
  ASSERT_TRUE(test::expectOk(compiled));
  std::vector<Tensor> inputs = test::randomInputs(graph);
  auto before = (*compiled)->run(inputs, RunOptions{threads});
  ASSERT_TRUE(test::expectOk(before));
  // Several runs, so that oneTBB's workers (started on first use) take
  // some of the tasks: their failures must reach the run too.
  for (int repeat = 0; repeat < 20; ++repeat) {
    FailingScratch failing;
    auto outputs = (*compiled)->run(inputs, RunOptions{threads});
    ASSERT_FALSE(bool(outputs)) << "the run did not fail";
    std::string message = test::errorText(outputs.takeError());
    EXPECT_NE(message.find("could not run: cannot allocate"), std::string::npos)
        << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
  }
  auto after = (*compiled)->run(inputs, RunOptions{threads});
  ASSERT_TRUE(test::expectOk(after));
  EXPECT_TRUE((*after)[0].bitwiseEqual((*before)[0]));
}

TEST(RunFailure, IntegerGemmPanel) {
  for (unsigned threads : {1u, 2u})
    expectRunFailsThenRecovers(R"(
graph @f(t0: Int8 [96, 70], t1: Int8 [70, 40]) {
  t2 = QLinearMatMul(t0, t1, x_scale=0.1, w_scale=0.05, y_scale=0.2) : UInt8 [96, 40]
  return t2
}
)",
                               threads, "panel of an integer GEMM");
}

// Bands of a float convolution on several threads take per-thread scratch.
TEST(RunFailure, ConvolutionScratchOnWorkerThreads) {
  expectRunFailsThenRecovers(R"(
graph @f(t0: Float32 [4, 16, 64, 64], t1: Float32 [32, 16, 3, 3]) {
  t2 = Conv2D(t0, t1, padding=1) : Float32 [4, 32, 64, 64]
  return t2
}
)",
                             2, "per-thread scratch");
}

// The chunks of a parallel loop report to the run they work for, on
// whichever thread runs them (a failing chunk on a worker with no run to
// report to would stop the process).
TEST(RunFailure, ReachesEveryThreadOfTheRun) {
  if (defaultThreadCount() < 2)
    GTEST_SKIP() << "one core: no worker threads to check";
  struct Chunks {
    RunFailure *expected;
    std::mutex mutex;
    std::set<std::thread::id> threads;
    int wrong = 0;
  };
  RunFailure failure;
  RunFailureScope scope(&failure);
  Chunks chunks{&failure, {}, {}, 0};
  // Slow chunks, so that a worker takes some; until one has.
  for (int attempt = 0; attempt < 50 && chunks.threads.size() < 2; ++attempt)
    runWithThreads(2, [&] {
      qjit_parallel_for(
          [](void *ctx, int64_t, int64_t) {
            auto &c = *static_cast<Chunks *>(ctx);
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            std::lock_guard<std::mutex> lock(c.mutex);
            c.threads.insert(std::this_thread::get_id());
            c.wrong += currentRunFailure() != c.expected;
          },
          &chunks, 64, 1);
    });
  EXPECT_EQ(chunks.threads.size(), 2u) << "no worker thread ran a chunk";
  EXPECT_EQ(chunks.wrong, 0) << "chunks that did not see the run's failure";
}

} // namespace
} // namespace qjit
