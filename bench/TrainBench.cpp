//===- TrainBench.cpp - One QAT training step: forward + backward ---------===//
//
// The quantization-aware MLP 784 -> 512 -> 10 on a batch of 256, built
// through the C++ API (trainable weights are graph inputs, not constants):
//
//   h    = FQ_h(ReLU(FQ_x(x) FQ_w1(W1) + b1))
//   loss = ReduceSum(h FQ_w2(W2) + b2)
//
// every FakeQuantization per tensor with a fixed scale and the clipped
// gradient (dx = dy * mask, what torch.fake_quantize_per_tensor_affine's
// backward computes):
//   FQ_x   x in [-1, 1): 8-bit asymmetric, scale 0.01, zero point 128
//   FQ_w1  8-bit symmetric, scale 0.0005 (W1 uniform in [-0.05, 0.05))
//   FQ_h   8-bit asymmetric, scale 0.01, zero point 0
//   FQ_w2  8-bit symmetric, scale 0.001 (W2 uniform in [-0.1, 0.1))
//
// The autodiff pass adds @f_grad (inputs x, W1, b1, W2, b2 and d loss;
// outputs the gradients of the five inputs, the forward recomputed inside),
// then fuse-elementwise, cse and dce; the JIT compiles that graph and each
// iteration runs it once:
//   BM_TrainStep/threads        @f_grad as autodiff builds it: the gradients
//                               of every input, dx too (3 GEMMs of 256 x 784
//                               x 512, 2 small ones)
//   BM_TrainStepParams/threads  the same graph returning only the weight and
//                               bias gradients (dce drops dx and its GEMM):
//                               what a training step needs
// Before measuring, the JIT's gradients (every thread count) are compared
// with the interpreter's on a small version of the graph (batch 9, 30 -> 20
// -> 5) and on the measured one, within a float tolerance: the GEMMs sum in
// another order than the interpreter's loops.
//
//===----------------------------------------------------------------------===//
#include "BenchSupport.h"
#include "qjit/IR/Builder.h"
#include "qjit/Interpreter/Interpreter.h"
#include "qjit/Transforms/Autodiff.h"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

using namespace qjit;
using namespace qjit::bench;

namespace {

constexpr int64_t kBatch = 256, kIn = 784, kHidden = 512, kOut = 10;

Attribute enumAttr(const char *name) { return Attribute(EnumValue{name}); }

AttrList fakeQuant(double scale, bool symmetric, int64_t zeroPoint) {
  return {{"num_bits", Attribute(int64_t(8))},
          {"symmetric", Attribute(symmetric)},
          {"scale", Attribute(scale)},
          {"zero_point", Attribute(zeroPoint)},
          {"gradient", enumAttr("clipped")}};
}

// The forward graph f(x, W1, b1, W2, b2) -> loss.
Graph buildForward(int64_t batch, int64_t in, int64_t hidden, int64_t out) {
  Graph g("f");
  Builder b(g);
  ValueId x = b.addInput(DataType::Float32, {batch, in});
  ValueId w1 = b.addInput(DataType::Float32, {in, hidden});
  ValueId b1 = b.addInput(DataType::Float32, {hidden});
  ValueId w2 = b.addInput(DataType::Float32, {hidden, out});
  ValueId b2 = b.addInput(DataType::Float32, {out});
  auto op = [&](OpKind kind, llvm::ArrayRef<ValueId> operands,
                AttrList attrs = {}) {
    return orFail(b.create(kind, operands, std::move(attrs)));
  };
  ValueId qx = op(OpKind::FakeQuantization, {x}, fakeQuant(0.01, false, 128));
  ValueId qw1 =
      op(OpKind::FakeQuantization, {w1}, fakeQuant(0.0005, true, 0));
  ValueId h = op(OpKind::ReLU, {op(OpKind::Add, {op(OpKind::MatMul, {qx, qw1}),
                                                 b1})});
  ValueId qh = op(OpKind::FakeQuantization, {h}, fakeQuant(0.01, false, 0));
  ValueId qw2 = op(OpKind::FakeQuantization, {w2}, fakeQuant(0.001, true, 0));
  ValueId y = op(OpKind::Add, {op(OpKind::MatMul, {qh, qw2}), b2});
  b.setOutputs({op(OpKind::ReduceSum, {y})});
  return g;
}

// A compiled gradient graph with its inputs and output buffers.
struct Step {
  Graph graph{"f_grad"};
  std::vector<Tensor> inputs, outputs;
  std::shared_ptr<const CompiledGraph> compiled;

  void run(unsigned threads) {
    std::vector<TensorRef> in, out;
    for (Tensor &t : inputs)
      in.push_back(t.ref());
    for (Tensor &t : outputs)
      out.push_back(t.ref());
    bench::run(*compiled, in, out, threads);
  }
};

Tensor uniform(const TensorType &type, float lo, float hi, unsigned seed) {
  Tensor t(type);
  fillUniform(t.as<float>(), t.numElements(), lo, hi, seed);
  return t;
}

// @f_grad of the MLP after fuse-elementwise, cse and dce; with
// `paramsOnly`, returning the gradients of W1, b1, W2, b2 alone.
std::unique_ptr<Step> makeStep(int64_t batch, int64_t in, int64_t hidden,
                               int64_t out, bool paramsOnly) {
  auto s = std::make_unique<Step>();
  Graph grad = orFail(buildGradientGraph(buildForward(batch, in, hidden, out)));
  if (paramsOnly) {
    std::vector<ValueId> outs(grad.getOutputs().begin() + 1,
                              grad.getOutputs().end());
    Builder(grad).setOutputs(outs);
  }
  s->graph = runPasses(grad, "fuse-elementwise,cse,dce");
  s->inputs = {uniform({DataType::Float32, {batch, in}}, -1.0f, 1.0f, 1),
               uniform({DataType::Float32, {in, hidden}}, -0.05f, 0.05f, 2),
               uniform({DataType::Float32, {hidden}}, -0.1f, 0.1f, 3),
               uniform({DataType::Float32, {hidden, out}}, -0.1f, 0.1f, 4),
               uniform({DataType::Float32, {out}}, -0.1f, 0.1f, 5)};
  Tensor dloss(TensorType{DataType::Float32, {}});
  dloss.as<float>()[0] = 1.0f;
  s->inputs.push_back(std::move(dloss));
  for (ValueId v : s->graph.getOutputs())
    s->outputs.emplace_back(s->graph.getType(v));
  s->compiled = compile(s->graph);
  return s;
}

Step &step(bool paramsOnly) {
  static std::unique_ptr<Step> all, params;
  std::unique_ptr<Step> &slot = paramsOnly ? params : all;
  if (!slot)
    slot = makeStep(kBatch, kIn, kHidden, kOut, paramsOnly);
  return *slot;
}

void setFlops(benchmark::State &state, bool paramsOnly) {
  // Multiply-adds of the GEMMs: forward (2), dW1, dW2, dh and (all) dx.
  double big = double(kBatch) * kIn * kHidden;
  double small = double(kBatch) * kHidden * kOut;
  double macs = (paramsOnly ? 2 : 3) * big + 3 * small;
  state.counters["GFLOP/s"] = benchmark::Counter(
      2 * macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_TrainStep(benchmark::State &state) {
  unsigned threads = unsigned(state.range(0));
  Step &s = step(false);
  measure(state, [&] { s.run(threads); });
  setFlops(state, false);
}

void BM_TrainStepParams(benchmark::State &state) {
  unsigned threads = unsigned(state.range(0));
  Step &s = step(true);
  measure(state, [&] { s.run(threads); });
  setFlops(state, true);
}

BENCHMARK(BM_TrainStep)->Apply(eachThreadCount)->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TrainStepParams)->Apply(eachThreadCount)->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Every gradient within |a - e| <= tol * (|e| + max |e|) of the
// interpreter's, on every thread count. The sums of the GEMMs differ in
// their last bits from the interpreter's loops; where such a difference
// moves a hidden value across a rounding boundary of FQ_h, that element
// takes the neighbouring grid value (one step, 0.01) and its clipped mask
// can change, which moves the sums of the gradients that read it by a few
// 1e-5 relative: tol is 1e-4.
void checkStep(Step &s, const std::string &what) {
  constexpr double tol = 1e-4;
  std::vector<Tensor> expected = orFail(interpret(s.graph, s.inputs));
  for (unsigned threads : threadCounts()) {
    for (Tensor &t : s.outputs)
      std::fill_n(t.as<float>(), t.numElements(), std::nanf(""));
    s.run(threads);
    for (size_t o = 0; o < expected.size(); ++o) {
      const float *a = s.outputs[o].as<float>(), *e = expected[o].as<float>();
      int64_t n = expected[o].numElements();
      double floor = 0;
      for (int64_t i = 0; i < n; ++i)
        floor = std::max(floor, std::fabs(double(e[i])));
      for (int64_t i = 0; i < n; ++i)
        if (!(std::fabs(double(a[i]) - e[i]) <=
              tol * (std::fabs(double(e[i])) + floor)))
          fail(fmt::format("{}, {} thread(s): output {} element {} is {}, "
                           "the interpreter's {}",
                           what, threads, o, i, a[i], e[i]));
    }
  }
}

// MatMul ops in `graph` and in its fused bodies (fuse-elementwise puts a
// MatMul and its elementwise epilogue in one FusedElementwise op).
size_t countMatMuls(const Graph &graph) {
  size_t count = 0;
  for (const Operation &op : graph.getOps())
    count += op.getBody() ? countMatMuls(*op.getBody())
                          : op.getKind() == OpKind::MatMul;
  return count;
}

void checkResults() {
  // The graph must be what it claims: two GEMMs forward, three backward.
  Step &all = step(false);
  size_t matmuls = countMatMuls(all.graph);
  if (matmuls != 5)
    fail(fmt::format("@f_grad has {} MatMul ops, expected 5", matmuls));
  checkStep(*makeStep(9, 30, 20, 5, false), "small MLP 9 x 30 -> 20 -> 5");
  checkStep(*makeStep(9, 30, 20, 5, true),
            "small MLP 9 x 30 -> 20 -> 5, weight gradients");
  checkStep(all, "MLP 256 x 784 -> 512 -> 10");
  checkStep(step(true), "MLP 256 x 784 -> 512 -> 10, weight gradients");
  std::fprintf(stderr, "TrainBench: JIT gradients equal the interpreter's "
                       "within 1e-4 (relative to each output's largest)\n");
}

} // namespace

int main(int argc, char **argv) {
  if (argc > 1 && std::string(argv[1]) == "--print-graph") {
    std::printf("%s\n", step(false).graph.toString().c_str());
    return 0;
  }
  return benchmarkMain(argc, argv, checkResults);
}
