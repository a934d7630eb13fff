//===- PerfMapTest.cpp - QJIT_PERF_MAP names compiled kernels for perf ----===//
#include "JitTestSupport.h"
#include "llvm/Support/MemoryBuffer.h"
#include <cstdlib>
#include <string>
#include <unistd.h>

using namespace qjit;
using namespace qjit::test;

namespace {

std::string mapPath() {
  return "/tmp/perf-" + std::to_string(getpid()) + ".map";
}

TEST(PerfMap, NamesEveryLinkedKernelWhenAsked) {
  std::remove(mapPath().c_str());
  Graph graph = singleOpGraph(OpKind::Exp, {{DataType::Float32, {1000}}});
  {
    // Without the variable, no map.
    unsetenv("QJIT_PERF_MAP");
    auto jit = Jit::create();
    ASSERT_OK(jit);
    ASSERT_OK((*jit)->compile(graph));
    EXPECT_FALSE(llvm::MemoryBuffer::getFile(mapPath()));
  }
  setenv("QJIT_PERF_MAP", "1", 1);
  auto jit = Jit::create();
  unsetenv("QJIT_PERF_MAP");
  ASSERT_OK(jit);
  ASSERT_OK((*jit)->compile(graph));
  auto map = llvm::MemoryBuffer::getFile(mapPath());
  ASSERT_TRUE(bool(map)) << mapPath() << " was not written";
  std::remove(mapPath().c_str());
  // "<hex address> <hex size> <name>" lines, the graph's entry among them.
  llvm::SmallVector<llvm::StringRef> lines;
  (*map)->getBuffer().split(lines, '\n', -1, false);
  ASSERT_FALSE(lines.empty());
  bool kernelNamed = false;
  for (llvm::StringRef line : lines) {
    llvm::SmallVector<llvm::StringRef, 3> fields;
    line.split(fields, ' ');
    ASSERT_EQ(fields.size(), 3u) << line.str();
    uint64_t address, size;
    EXPECT_FALSE(fields[0].getAsInteger(16, address)) << line.str();
    EXPECT_FALSE(fields[1].getAsInteger(16, size)) << line.str();
    EXPECT_GT(size, 0u);
    kernelNamed |= fields[2].starts_with("qjit_single"); // the entry
  }
  EXPECT_TRUE(kernelNamed) << (*map)->getBuffer().str();
}

} // namespace
