//===- HostFeaturesTest.cpp - QJIT_HOST_FEATURES narrows the host ---------===//
//
// The variable takes features away from the host the JIT sees: the default
// target drops them (no AVX-512 instruction in the code under -avx512f),
// code for a CPU that has them is refused, explicit CPUs still emit their
// own code, and only known names with '-' are accepted.
//
//===----------------------------------------------------------------------===//
#include "JitTestSupport.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Regex.h"
#include "llvm/TargetParser/Host.h"
#include <cstdlib>
#include <optional>

using namespace qjit;
using namespace qjit::test;

namespace {

// Sets QJIT_HOST_FEATURES for one scope and puts the old value back (the
// whole binary may run under it: ctest's avx2 label).
class ScopedHostFeatures {
public:
  explicit ScopedHostFeatures(const char *value) {
    if (const char *old = std::getenv(kName))
      saved = old;
    if (value)
      setenv(kName, value, 1);
    else
      unsetenv(kName);
  }
  ~ScopedHostFeatures() {
    if (saved)
      setenv(kName, saved->c_str(), 1);
    else
      unsetenv(kName);
  }

private:
  static constexpr const char *kName = "QJIT_HOST_FEATURES";
  std::optional<std::string> saved;
};

// A fake quantization over enough floats for the vectorizer.
Graph fakeQuantGraph() {
  Graph g("fq");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {1024});
  auto y = b.create(OpKind::FakeQuantization, {x}, {{"scale", 0.05}});
  EXPECT_OK(y);
  b.setOutputs({*y});
  return g;
}

// AVX-512 registers in AT&T assembly: zmm, and the mask registers k0..k7
// (which only AVX-512 has; EVEX-encoded ymm code writes them too).
bool usesAvx512Registers(const std::string &assembly) {
  return llvm::Regex("%(zmm[0-9]|k[0-7]\\b)").match(assembly);
}

bool hostHas(const char *feature) {
  return llvm::sys::getHostCPUFeatures().lookup(feature);
}

TEST(HostFeatures, RemovingAvx512fLeavesNoAvx512Instruction) {
  ScopedHostFeatures narrowed("-avx512f");
  auto jit = Jit::create();
  ASSERT_OK(jit);
  EXPECT_EQ((*jit)->getMissingHostFeature(), "");
  auto assembly = (*jit)->emitAssembly(fakeQuantGraph());
  ASSERT_OK(assembly);
  EXPECT_FALSE(usesAvx512Registers(*assembly)) << *assembly;
  auto ir = (*jit)->emitLLVMIR(fakeQuantGraph());
  ASSERT_OK(ir);
  EXPECT_EQ(ir->find("<16 x float>"), std::string::npos);
  if (hostHas("avx2")) {
    EXPECT_NE(ir->find("<8 x float>"), std::string::npos);
  }
  // The code runs, and gives the interpreter's bytes.
  Graph g = fakeQuantGraph();
  std::vector<Tensor> inputs = randomInputs(g, {.specialFraction = 0.1});
  auto compiled = (*jit)->compile(g);
  ASSERT_OK(compiled);
  auto actual = (*compiled)->run(inputs);
  ASSERT_OK(actual);
  auto expected = interpret(g, inputs);
  ASSERT_OK(expected);
  EXPECT_TRUE((*actual)[0].bitwiseEqual((*expected)[0]));
}

TEST(HostFeatures, WithoutTheVariableAnAvx512HostUsesAvx512) {
  // The control of the test above: its register check can fail.
  if (!hostHas("avx512f"))
    GTEST_SKIP() << "the host has no AVX-512F";
  ScopedHostFeatures unset(nullptr);
  auto jit = Jit::create();
  ASSERT_OK(jit);
  auto assembly = (*jit)->emitAssembly(fakeQuantGraph());
  ASSERT_OK(assembly);
  EXPECT_TRUE(usesAvx512Registers(*assembly));
}

TEST(HostFeatures, CodeNeedingARemovedFeatureIsRefused) {
  ScopedHostFeatures narrowed("-avx512f");
  // An explicit CPU keeps its own features: 16 floats per vector.
  auto avx512 = Jit::create(JitOptions{2, "skylake-avx512", ""});
  ASSERT_OK(avx512);
  auto ir = (*avx512)->emitLLVMIR(fakeQuantGraph());
  ASSERT_OK(ir);
  EXPECT_NE(ir->find("<16 x float>"), std::string::npos);
  // But this host, as narrowed, cannot run that code. (The first feature
  // missing is named: avx512f here, avx512bw on a host without AVX-512.)
  std::string missing = (*avx512)->getMissingHostFeature().str();
  EXPECT_TRUE(llvm::StringRef(missing).starts_with("avx512")) << missing;
  EXPECT_ERROR_CONTAINS((*avx512)->compile(fakeQuantGraph()),
                        "the host lacks '" + missing + "'");
  // Nor code that adds the feature back to the host's.
  auto readded = Jit::create(JitOptions{2, "", "+avx512f"});
  ASSERT_OK(readded);
  EXPECT_EQ((*readded)->getMissingHostFeature(), "avx512f");
}

TEST(HostFeatures, OnlyRemovalsOfKnownFeatures) {
  {
    ScopedHostFeatures adding("+avx2");
    EXPECT_ERROR_CONTAINS(Jit::create(),
                          "QJIT_HOST_FEATURES: bad CPU feature '+avx2': "
                          "want -name with a feature of");
  }
  {
    ScopedHostFeatures unknown("-avx512f,-no-such-feature");
    EXPECT_ERROR_CONTAINS(Jit::create(),
                          "bad CPU feature '-no-such-feature'");
  }
  {
    // Checked for explicit CPUs too, where it only decides refusals.
    ScopedHostFeatures bare("avx2");
    EXPECT_ERROR_CONTAINS(Jit::create(JitOptions{2, "haswell", ""}),
                          "QJIT_HOST_FEATURES: bad CPU feature 'avx2'");
  }
  {
    ScopedHostFeatures spaces(" -avx512f , ");
    EXPECT_OK(Jit::create());
  }
  ScopedHostFeatures empty("");
  EXPECT_OK(Jit::create());
}

} // namespace
