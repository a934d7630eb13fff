//===- FusionTest.cpp - fuse-elementwise, checked against the unfused graph -===//
//
// Each graph is fused, the fused graph is checked to hold the expected
// FusedElementwise ops, and its JIT results must equal, bit for bit, the
// interpreter's results of the graph before fusion (and the JIT's own
// unfused results) on random inputs salted with NaN, infinities, -0.0 and
// ties, at odd sizes with vector tails and with broadcasting.
//
//===----------------------------------------------------------------------===//
#include "JitTestSupport.h"
#include "qjit/IR/Parser.h"
#include "qjit/IR/StructuralHash.h"
#include "qjit/IR/Verifier.h"
#include "qjit/Transforms/PassRegistry.h"

namespace qjit::test {
namespace {

Module parse(llvm::StringRef text) {
  auto module = parseAndVerify(text, "fusion-test");
  if (!expectOk(module))
    return Module();
  return std::move(*module);
}

Module fuse(const Module &module) {
  Module fused = module;
  auto pipeline = parsePassPipeline("fuse-elementwise");
  EXPECT_OK(pipeline);
  expectOk(pipeline->run(fused));
  return fused;
}

// A JIT that compiles graphs as given: Jit::compile's default passes would
// fuse the reference too.
Jit &asGivenJit(unsigned optLevel = 2) {
  static std::unique_ptr<Jit> sessions[4];
  std::unique_ptr<Jit> &jit = sessions[optLevel];
  if (!jit) {
    JitOptions options;
    options.optLevel = optLevel;
    options.defaultPasses = false;
    auto created = Jit::create(options);
    if (!expectOk(created, "creating the JIT"))
      std::abort();
    jit = std::move(*created);
  }
  return *jit;
}

size_t countFused(const Graph &graph) {
  return llvm::count_if(graph.getOps(), [](const Operation &op) {
    return op.getKind() == OpKind::FusedElementwise;
  });
}

// Fuses `text`'s only graph, expects `fusedOps` FusedElementwise ops and no
// other op kinds than `kept` others, then compares on random inputs.
void expectFusedMatches(llvm::StringRef text, size_t fusedOps,
                        size_t otherOps, const FillOptions &fill) {
  Module original = parse(text);
  ASSERT_EQ(original.getGraphs().size(), 1u);
  Module fused = fuse(original);
  const Graph &before = original.getGraphs().front();
  const Graph &after = fused.getGraphs().front();
  SCOPED_TRACE("fused:\n" + after.toString());
  ASSERT_OK(verifyGraph(after));
  EXPECT_EQ(countFused(after), fusedOps);
  EXPECT_EQ(after.getOps().size(), fusedOps + otherOps);
  EXPECT_NE(structuralHash(before), structuralHash(after));

  for (int trial = 0; trial < 3; ++trial) {
    std::vector<Tensor> inputs = randomInputs(before, fill);
    auto expected = interpret(before, inputs);
    ASSERT_OK(expected);
    for (unsigned optLevel : {0u, 2u}) {
      SCOPED_TRACE("-O" + std::to_string(optLevel));
      auto unfused = asGivenJit(optLevel).compile(before);
      auto compiled = jitAt(optLevel).compile(after);
      ASSERT_OK(unfused);
      ASSERT_OK(compiled);
      auto viaUnfused = (*unfused)->run(inputs);
      auto actual = (*compiled)->run(inputs);
      ASSERT_OK(viaUnfused);
      ASSERT_OK(actual);
      ASSERT_EQ(actual->size(), expected->size());
      for (size_t i = 0; i < actual->size(); ++i) {
        EXPECT_TRUE((*actual)[i].bitwiseEqual((*expected)[i]))
            << "output " << i << " vs the interpreter: "
            << describeMismatch((*actual)[i], (*expected)[i]);
        EXPECT_TRUE((*actual)[i].bitwiseEqual((*viaUnfused)[i]))
            << "output " << i << " vs the unfused JIT: "
            << describeMismatch((*actual)[i], (*viaUnfused)[i]);
      }
    }
  }
}

FillOptions salted(double tieScale = 0.05) {
  FillOptions fill;
  fill.range = 20;
  fill.specialFraction = 0.05;
  fill.tieFraction = 0.2;
  fill.tieScale = tieScale;
  return fill;
}

TEST(FuseElementwise, QuantizationAwareTrainingChain) {
  // x * a + b with a and b broadcast along rows, ReLU, fake quantization
  // with its mask; 37 x 29 leaves vector tails in every row.
  expectFusedMatches(R"(
graph @chain(t0: Float32 [37, 29], t1: Float32 [29], t2: Float32 [29]) {
  t3 = Multiply(t0, t1) : Float32 [37, 29]
  t4 = Add(t3, t2) : Float32 [37, 29]
  t5 = ReLU(t4) : Float32 [37, 29]
  t6, t7 = FakeQuantization(t5, num_bits=8, symmetric=true, scale=0.05) : Float32 [37, 29], Bool [37, 29]
  return t6, t7
})",
                     1, 0, salted());
}

TEST(FuseElementwise, ForwardAndBackwardWithOperandParameters) {
  // Scale and zero point as operands (Int32 zero point), the forward's mask
  // feeding the clipped gradient, the clipped gradient from x and the
  // straight-through one, all in one loop.
  expectFusedMatches(R"(
graph @fq(t0: Float32 [1001], t1: Float32 [], t2: Int32 [], t3: Float32 [1001]) {
  t4 = Negate(t0) : Float32 [1001]
  t5, t6 = FakeQuantization(t4, t1, t2, num_bits=8) : Float32 [1001], Bool [1001]
  t7 = GradFakeQuantization(t3, t6, gradient=clipped) : Float32 [1001]
  t8 = GradFakeQuantization(t7, t4, t1, t2, num_bits=8, gradient=clipped) : Float32 [1001]
  t9 = GradFakeQuantization(t8, t4, t1, t2, num_bits=8) : Float32 [1001]
  t10 = Multiply(t9, t5) : Float32 [1001]
  return t10, t7
})",
                     1, 0, salted(0.25));
}

TEST(FuseElementwise, ElementwiseGradients) {
  expectFusedMatches(R"(
graph @grads(t0: Float64 [3, 5, 7], t1: Float64 [3, 5, 7], t2: Float64 [5, 1]) {
  t3 = GradReLU(t0, t1) : Float64 [3, 5, 7]
  t4 = GradLeakyReLU(t3, t1, alpha=0.125) : Float64 [3, 5, 7]
  t5 = GradClamp(t4, t1, min=-1, max=2) : Float64 [3, 5, 7]
  t6 = GradAbs(t5, t1) : Float64 [3, 5, 7]
  t7, t8 = GradMaximum(t6, t1, t2) : Float64 [3, 5, 7], Float64 [3, 5, 7]
  t9, t10 = GradMinimum(t7, t2, t1) : Float64 [3, 5, 7], Float64 [3, 5, 7]
  t11 = Add(t8, t10) : Float64 [3, 5, 7]
  return t9, t11
})",
                     1, 0, salted(1.0));
}

TEST(FuseElementwise, IntegersAndScalars) {
  expectFusedMatches(R"(
graph @ints(t0: Int32 [4, 1, 9], t1: Int32 [6, 1], t2: Int32 []) {
  t3 = Multiply(t0, t1) : Int32 [4, 6, 9]
  t4 = Maximum(t3, t2) : Int32 [4, 6, 9]
  t5 = Abs(t4) : Int32 [4, 6, 9]
  t6 = Clamp(t5, min=-100, max=1000) : Int32 [4, 6, 9]
  t7 = Negate(t2) : Int32 []
  t8 = Square(t7) : Int32 []
  return t6, t8
})",
                     2, 0, FillOptions{});
}

TEST(FuseElementwise, EmptyTensors) {
  expectFusedMatches(R"(
graph @empty(t0: Float32 [0, 5], t1: Float32 [5]) {
  t2 = Subtract(t0, t1) : Float32 [0, 5]
  t3 = FakeQuantization(t2, num_bits=4, scale=0.5) : Float32 [0, 5]
  return t3
})",
                     1, 0, FillOptions{});
}

TEST(FuseElementwise, IntermediateReadOutsideTheGroup) {
  // t3 feeds a reduction between the fused ops: it is a result of the first
  // fused op and the reduction moves after it.
  expectFusedMatches(R"(
graph @mixed(t0: Float32 [17, 3], t1: Float32 [17, 3]) {
  t2 = Add(t0, t1) : Float32 [17, 3]
  t3 = Maximum(t2, t0) : Float32 [17, 3]
  t4 = ReduceMax(t3, axes=[1], keep_dims=true) : Float32 [17, 1]
  t5 = Subtract(t3, t1) : Float32 [17, 3]
  t6 = Subtract(t5, t4) : Float32 [17, 3]
  t7 = Minimum(t6, t5) : Float32 [17, 3]
  return t7, t3
})",
                     2, 1, salted(1.0));
}

// Above the parallel grain the loop is split over threads; every thread
// count gives the interpreter's bits (operand parameters are captured by the
// chunks; the broadcast nest splits along its rows, the flat one along
// aligned element ranges).
TEST(FuseElementwise, SplitOverThreads) {
  Module module = fuse(parse(R"(
graph @rows(t0: Float32 [700, 301], t1: Float32 [301], t2: Float32 [], t3: Int32 []) {
  t4 = Multiply(t0, t1) : Float32 [700, 301]
  t5 = ReLU(t4) : Float32 [700, 301]
  t6, t7 = FakeQuantization(t5, t2, t3, num_bits=8) : Float32 [700, 301], Bool [700, 301]
  return t6, t7
}
graph @flat(t0: Float32 [200003], t1: Float32 [200003], t2: Float32 []) {
  t3 = Subtract(t0, t1) : Float32 [200003]
  t4 = FakeQuantization(t3, t2, num_bits=4, symmetric=true) : Float32 [200003]
  t5 = GradFakeQuantization(t1, t3, t2, num_bits=4, symmetric=true, gradient=clipped) : Float32 [200003]
  return t4, t5
})"));
  for (const Graph &graph : module.getGraphs()) {
    SCOPED_TRACE(graph.toString());
    ASSERT_EQ(countFused(graph), 1u);
    std::vector<Tensor> inputs = randomInputs(graph, salted(0.25));
    // Scales must be positive and finite.
    inputs[2].as<float>()[0] = 0.25f;
    auto expected = interpret(graph, inputs);
    ASSERT_OK(expected);
    auto compiled = jitAt(2).compile(graph);
    ASSERT_OK(compiled);
    for (unsigned threads : {1u, 2u, 3u, 0u}) {
      auto actual = (*compiled)->run(inputs, RunOptions{threads});
      ASSERT_OK(actual);
      for (size_t i = 0; i < actual->size(); ++i)
        EXPECT_TRUE((*actual)[i].bitwiseEqual((*expected)[i]))
            << threads << " threads, output " << i << ": "
            << describeMismatch((*actual)[i], (*expected)[i]);
    }
  }
}

// A dense layer's MatMul or a Conv2D anchors its epilogue: the product is
// computed in bands of rows (split over threads) or image by image, and the
// elementwise ops run on each band (a large image's split over threads).
// Sums are the GEMM library's, so the reference is the unfused JIT (the same
// GEMM per element, bit for bit) at every thread count; and, where the
// product is also returned, the interpreter's epilogue applied to it. The
// factors are finite: whether inf * 0 in a sum gives NaN depends on the
// GEMM's code path (zero entries may be skipped), which the band size picks.
TEST(FuseElementwise, MatMulAndConvolutionEpilogues) {
  Module original = parse(R"(
graph @bands(t0: Float32 [1000, 64], t1: Float32 [64, 300], t2: Float32 [300]) {
  t3 = MatMul(t0, t1) : Float32 [1000, 300]
  t4 = Add(t3, t2) : Float32 [1000, 300]
  t5 = ReLU(t4) : Float32 [1000, 300]
  t6, t7 = FakeQuantization(t5, num_bits=8, scale=0.02) : Float32 [1000, 300], Bool [1000, 300]
  return t6, t7
}
graph @batched(t0: Float64 [3, 50, 33], t1: Float64 [33, 70], t2: Float64 [50, 70]) {
  t3 = MatMul(t0, t1) : Float64 [3, 50, 70]
  t4 = Subtract(t3, t2) : Float64 [3, 50, 70]
  t5 = Clamp(t4, min=-3, max=4.5) : Float64 [3, 50, 70]
  return t5
}
graph @mask_only(t0: Float32 [517, 128], t1: Float32 [128, 1000]) {
  t2 = MatMul(t0, t1) : Float32 [517, 1000]
  t3, t4 = FakeQuantization(t2, num_bits=4, scale=0.5) : Float32 [517, 1000], Bool [517, 1000]
  return t4
}
graph @conv(t0: Float32 [3, 8, 13, 11], t1: Float32 [16, 8, 3, 3], t2: Float32 [16], t3: Float32 [16, 1, 1]) {
  t4 = Conv2D(t0, t1, t2, padding=1) : Float32 [3, 16, 13, 11]
  t5 = Multiply(t4, t3) : Float32 [3, 16, 13, 11]
  t6 = ReLU(t5) : Float32 [3, 16, 13, 11]
  t7 = FakeQuantization(t6, num_bits=8, scale=0.1) : Float32 [3, 16, 13, 11]
  return t7
}
graph @depthwise(t0: Float32 [2, 8, 9, 9], t1: Float32 [8, 1, 3, 3]) {
  t2 = Conv2D(t0, t1, stride=2, padding=1, groups=8) : Float32 [2, 8, 5, 5]
  t3, t4 = FakeQuantization(t2, num_bits=8, scale=0.25) : Float32 [2, 8, 5, 5], Bool [2, 8, 5, 5]
  return t4, t3
}
graph @large_image(t0: Float32 [2, 3, 130, 131], t1: Float32 [16, 3, 3, 3], t2: Float32 [2, 16, 130, 131]) {
  t3 = Conv2D(t0, t1, padding=1) : Float32 [2, 16, 130, 131]
  t4 = Add(t3, t2) : Float32 [2, 16, 130, 131]
  t5 = FakeQuantization(t4, num_bits=8, scale=0.1) : Float32 [2, 16, 130, 131]
  return t5
}
graph @pointwise(t0: Float64 [2, 16, 7, 7], t1: Float64 [4, 16, 1, 1], t2: Float64 [2, 4, 7, 7]) {
  t3 = Conv2D(t0, t1) : Float64 [2, 4, 7, 7]
  t4 = Add(t3, t2) : Float64 [2, 4, 7, 7]
  t5 = Clamp(t4, min=0, max=6) : Float64 [2, 4, 7, 7]
  return t5
})");
  Module fused = fuse(original);
  for (size_t g = 0; g < original.getGraphs().size(); ++g) {
    const Graph &before = original.getGraphs()[g];
    const Graph &after = fused.getGraphs()[g];
    SCOPED_TRACE(after.toString());
    ASSERT_EQ(after.getOps().size(), 1u);
    OpKind anchor = after.getOps()[0].getBody()->getOps()[0].getKind();
    ASSERT_TRUE(anchor == OpKind::MatMul || anchor == OpKind::Conv2D);
    std::vector<Tensor> inputs = randomInputs(before, salted(0.02));
    FillOptions finite = salted(0.02);
    finite.specialFraction = 0;
    for (size_t i : {0, 1, 2})
      if (i < inputs.size())
        inputs[i] = randomTensor(before.getType(before.getInputs()[i]), finite);
    auto unfused = asGivenJit().compile(before);
    auto compiled = jitAt(2).compile(after);
    ASSERT_OK(unfused);
    ASSERT_OK(compiled);
    auto expected = (*unfused)->run(inputs, RunOptions{1});
    ASSERT_OK(expected);
    for (unsigned threads : {1u, 2u}) {
      auto actual = (*compiled)->run(inputs, RunOptions{threads});
      ASSERT_OK(actual);
      for (size_t i = 0; i < actual->size(); ++i)
        EXPECT_TRUE(equalUpToNaNPayload((*actual)[i], (*expected)[i]))
            << threads << " threads, output " << i << ": "
            << describeMismatch((*actual)[i], (*expected)[i]);
    }
  }

  // The epilogue on the product the fused kernel computed, bit for bit.
  Module withProduct = fuse(parse(R"(
graph @g(t0: Float32 [777, 40], t1: Float32 [40, 96], t2: Float32 [96]) {
  t3 = MatMul(t0, t1) : Float32 [777, 96]
  t4 = Add(t3, t2) : Float32 [777, 96]
  t5, t6 = FakeQuantization(t4, num_bits=8, scale=0.05) : Float32 [777, 96], Bool [777, 96]
  return t5, t6, t3
})"));
  Module epilogue = parse(R"(
graph @e(t3: Float32 [777, 96], t2: Float32 [96]) {
  t4 = Add(t3, t2) : Float32 [777, 96]
  t5, t6 = FakeQuantization(t4, num_bits=8, scale=0.05) : Float32 [777, 96], Bool [777, 96]
  return t5, t6
})");
  const Graph &graph = withProduct.getGraphs().front();
  ASSERT_EQ(countFused(graph), 1u);
  std::vector<Tensor> inputs = randomInputs(graph, salted(0.05));
  auto compiled = jitAt(2).compile(graph);
  ASSERT_OK(compiled);
  auto actual = (*compiled)->run(inputs, RunOptions{2});
  ASSERT_OK(actual);
  auto expected =
      interpret(epilogue.getGraphs().front(), {(*actual)[2], inputs[2]});
  ASSERT_OK(expected);
  for (size_t i = 0; i < 2; ++i)
    EXPECT_TRUE((*actual)[i].bitwiseEqual((*expected)[i]))
        << "output " << i << ": "
        << describeMismatch((*actual)[i], (*expected)[i]);
}

TEST(FuseElementwise, ErrorsOfHandWrittenBodies) {
  auto parseBad = [](llvm::StringRef text) {
    return parseAndVerify(text, "bad.qir");
  };
  EXPECT_ERROR_CONTAINS(parseBad(R"(
graph @g(t0: Float32 [4]) {
  t2 = FusedElementwise(t0) : Float32 [4] {
    t1 = Softmax(t0, axis=0) : Float32 [4]
    t2 = Exp(t1) : Float32 [4]
    return t2
  }
  return t2
})"),
                        "'Softmax' cannot be fused");
  EXPECT_ERROR_CONTAINS(parseBad(R"(
graph @g(t0: Float32 [4]) {
  t1 = FusedElementwise(t0) : Float32 [4] {
    return t0
  }
  return t1
})"),
                        "body returns its input t0");
  EXPECT_ERROR_CONTAINS(parseBad(R"(
graph @g(t0: Float32 [4], t1: Float32 []) {
  t3 = FusedElementwise(t0, t1) : Float32 [4] {
    t2 = Exp(t1) : Float32 []
    t3 = Add(t0, t2) : Float32 [4]
    return t3
  }
  return t3
})"),
                        "not the iteration shape [4]");
}

} // namespace
} // namespace qjit::test
