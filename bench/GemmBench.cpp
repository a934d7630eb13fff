//===- GemmBench.cpp - JIT MatMul and Conv2D vs GEMM libraries and loops --===//
//
// Float32, single thread (the JIT holds each GEMM call to its thread):
//   BM_MatMulJit/S     MatMul [S, S] x [S, S] through the JIT (which calls
//                      oneDNN's dnnl_sgemm)
//   BM_MatMulOneDnn/S  dnnl_sgemm on the same buffers, called directly
//   BM_MatMulCblas/S   OpenBLAS's cblas_sgemm, called directly
//   BM_MatMulLoops/S   the plain i-k-j triple loop, g++ -O3 -march=native
//   BM_MatMulJitInt32/S  the JIT's own loops on Int32 (no BLAS)
//   BM_Conv2DJit       Conv2D of a ResNet layer: N=1, 64 -> 64 channels,
//                      56x56, 3x3, padding 1, with bias
//   BM_Conv2DGemmOnly  the product alone (dnnl_sgemm, as the JIT) on a
//                      prebuilt im2col matrix ([64, 576] x [576, 3136]): the
//                      bound for im2col+GEMM
//   BM_DepthwiseJit    Conv2D depthwise 3x3, 64 channels, 56x56, padding 1
// and, on 1 and all cores (argument threads):
//   BM_MatMulJitThreads/1024  MatMul 1024^3 through the JIT, in bands of
//                      rows on the run's threads
// Before measuring, the JIT's results are checked against cblas_sgemm and a
// direct convolution loop (relative bound 1e-5, the test suite's). Counter
// GFLOP/s counts 2 flops per multiply-add.
//
//===----------------------------------------------------------------------===//
#include "BenchSupport.h"
#include "GemmLoops.h"
#include "qjit/IR/Builder.h"
#include "qjit/JIT/Jit.h"
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.h>
#include <random>

// libgomp's: oneDNN runs on OpenMP here (lib/JIT/BlasRuntime.cpp).
extern "C" void omp_set_num_threads(int);

using namespace qjit;
using bench::compile;
using bench::fail;
using bench::measure;
using bench::orFail;

namespace {

Tensor randomTensor(TensorType type, unsigned seed) {
  Tensor t(std::move(type));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  if (t.elementType() == DataType::Int32)
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.as<int32_t>()[i] = int32_t(rng() % 201) - 100;
  else
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.as<float>()[i] = dist(rng);
  return t;
}

// One thread, as the OpenBLAS calls it is compared with.
void run(const CompiledGraph &compiled, llvm::ArrayRef<TensorRef> inputs,
         TensorRef output) {
  bench::run(compiled, inputs, {output}, 1);
}

// |a - e| <= 1e-5 * (|e| + max |e|) everywhere.
void expectClose(const float *actual, const float *expected, int64_t n,
                 const char *what) {
  double floor = 0;
  for (int64_t i = 0; i < n; ++i)
    floor = std::max(floor, std::fabs(double(expected[i])));
  for (int64_t i = 0; i < n; ++i)
    if (!(std::fabs(double(actual[i]) - expected[i]) <=
          1e-5 * (std::fabs(double(expected[i])) + floor)))
      fail(std::string(what) + ": element " + std::to_string(i) + " is " +
           std::to_string(actual[i]) + ", expected " +
           std::to_string(expected[i]));
}

//===----------------------------------------------------------------------===//
// MatMul.
//===----------------------------------------------------------------------===//

struct MatMulCase {
  MatMulCase(int64_t size, DataType type)
      : size(size), a(randomTensor({type, {size, size}}, 1)),
        b(randomTensor({type, {size, size}}, 2)), c({type, {size, size}}) {
    Graph graph("matmul");
    Builder builder(graph);
    ValueId x = builder.addInput(a.getType());
    ValueId y = builder.addInput(b.getType());
    builder.setOutputs({orFail(builder.create(OpKind::MatMul, {x, y}))});
    compiled = compile(graph);
  }
  void runJit(unsigned threads = 1) {
    bench::run(*compiled, {a.ref(), b.ref()}, {c.ref()}, threads);
  }
  void runOneDnn(float *out) {
    if (dnnl_sgemm('N', 'N', size, size, size, 1.0f, a.as<float>(), size,
                   b.as<float>(), size, 0.0f, out, size) != dnnl_success)
      fail("dnnl_sgemm failed");
  }
  void runCblas(float *out) {
    int n = int(size);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                a.as<float>(), n, b.as<float>(), n, 0.0f, out, n);
  }

  int64_t size;
  Tensor a, b, c;
  std::shared_ptr<const CompiledGraph> compiled;
};

MatMulCase &matMulCase(int64_t size, DataType type = DataType::Float32) {
  static std::map<std::pair<int64_t, DataType>, std::unique_ptr<MatMulCase>>
      cases;
  auto &slot = cases[{size, type}];
  if (!slot)
    slot = std::make_unique<MatMulCase>(size, type);
  return *slot;
}

void setFlops(benchmark::State &state, double flopsPerIteration) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      flopsPerIteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MatMulJit(benchmark::State &state) {
  MatMulCase &c = matMulCase(state.range(0));
  measure(state, [&] { c.runJit(); });
  setFlops(state, 2.0 * c.size * c.size * c.size);
}

void BM_MatMulJitThreads(benchmark::State &state) {
  MatMulCase &c = matMulCase(state.range(0));
  unsigned threads = unsigned(state.range(1));
  measure(state, [&] { c.runJit(threads); });
  setFlops(state, 2.0 * c.size * c.size * c.size);
}

void BM_MatMulOneDnn(benchmark::State &state) {
  MatMulCase &c = matMulCase(state.range(0));
  measure(state, [&] { c.runOneDnn(c.c.as<float>()); });
  setFlops(state, 2.0 * c.size * c.size * c.size);
}

void BM_MatMulCblas(benchmark::State &state) {
  MatMulCase &c = matMulCase(state.range(0));
  measure(state, [&] { c.runCblas(c.c.as<float>()); });
  setFlops(state, 2.0 * c.size * c.size * c.size);
}

void BM_MatMulLoops(benchmark::State &state) {
  MatMulCase &c = matMulCase(state.range(0));
  measure(state, [&] {
    bench::matMulLoops(c.a.as<float>(), c.b.as<float>(), c.c.as<float>(),
                       c.size, c.size, c.size);
  });
  setFlops(state, 2.0 * c.size * c.size * c.size);
}

void BM_MatMulJitInt32(benchmark::State &state) {
  MatMulCase &c = matMulCase(state.range(0), DataType::Int32);
  measure(state, [&] { c.runJit(); });
  setFlops(state, 2.0 * c.size * c.size * c.size);
}

//===----------------------------------------------------------------------===//
// Conv2D.
//===----------------------------------------------------------------------===//

struct ConvCase {
  ConvCase(int64_t channels, int64_t outChannels, int64_t groups)
      : x(randomTensor({DataType::Float32, {1, channels, kSize, kSize}}, 3)),
        w(randomTensor(
            {DataType::Float32, {outChannels, channels / groups, 3, 3}}, 4)),
        bias(randomTensor({DataType::Float32, {outChannels}}, 5)),
        y({DataType::Float32, {1, outChannels, kSize, kSize}}), groups(groups) {
    Graph graph("conv");
    Builder builder(graph);
    ValueId xv = builder.addInput(x.getType());
    ValueId wv = builder.addInput(w.getType());
    ValueId bv = builder.addInput(bias.getType());
    builder.setOutputs({orFail(builder.create(
        OpKind::Conv2D, {xv, wv, bv}, {{"padding", 1}, {"groups", groups}}))});
    compiled = compile(graph);
  }
  void runJit() { run(*compiled, {x.ref(), w.ref(), bias.ref()}, y.ref()); }
  double flops() const { return 2.0 * y.numElements() * w.shape()[1] * 9; }

  static constexpr int64_t kSize = 56;
  Tensor x, w, bias, y;
  int64_t groups;
  std::shared_ptr<const CompiledGraph> compiled;
};

ConvCase &resNetLayer() {
  static ConvCase layer(64, 64, 1);
  return layer;
}

ConvCase &depthwiseLayer() {
  static ConvCase layer(64, 64, 64);
  return layer;
}

void BM_Conv2DJit(benchmark::State &state) {
  ConvCase &c = resNetLayer();
  measure(state, [&] { c.runJit(); });
  setFlops(state, c.flops());
}

void BM_Conv2DGemmOnly(benchmark::State &state) {
  ConvCase &c = resNetLayer();
  int m = 64, k = 64 * 9, n = int(ConvCase::kSize * ConvCase::kSize);
  std::vector<float> col(size_t(k) * n, 0.5f);
  measure(state, [&] {
    if (dnnl_sgemm('N', 'N', m, n, k, 1.0f, c.w.as<float>(), k, col.data(), n,
                   0.0f, c.y.as<float>(), n) != dnnl_success)
      fail("dnnl_sgemm failed");
  });
  setFlops(state, c.flops());
}

void BM_DepthwiseJit(benchmark::State &state) {
  ConvCase &c = depthwiseLayer();
  measure(state, [&] { c.runJit(); });
  setFlops(state, c.flops());
}

BENCHMARK(BM_MatMulJit)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatMulOneDnn)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatMulCblas)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatMulLoops)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatMulJitInt32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Conv2DJit)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Conv2DGemmOnly)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DepthwiseJit)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatMulJitThreads)
    ->ArgNames({"", "threads"})
    ->Apply([](benchmark::internal::Benchmark *b) {
      for (unsigned threads : bench::threadCounts())
        b->Args({1024, threads});
    })
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void checkResults() {
  // Creating the Jit sets OpenBLAS to one thread, for the direct calls too;
  // the direct oneDNN calls run on this thread's OpenMP limit.
  bench::sharedJit();
  omp_set_num_threads(1);
  for (int64_t size : {128, 512, 1024}) {
    MatMulCase &c = matMulCase(size);
    std::vector<float> expected(size * size);
    c.runCblas(expected.data());
    for (unsigned threads : bench::threadCounts()) {
      c.runJit(threads);
      expectClose(c.c.as<float>(), expected.data(), size * size, "MatMul");
    }
    c.runOneDnn(c.c.as<float>());
    expectClose(c.c.as<float>(), expected.data(), size * size, "dnnl_sgemm");
  }
  for (ConvCase *c : {&resNetLayer(), &depthwiseLayer()}) {
    c->runJit();
    std::vector<float> expected(c->y.numElements());
    bench::conv2DLoops(c->x.as<float>(), c->w.as<float>(), c->bias.as<float>(),
                       expected.data(), c->x.shape()[1], c->y.shape()[1],
                       ConvCase::kSize, c->groups);
    expectClose(c->y.as<float>(), expected.data(), c->y.numElements(),
                "Conv2D");
  }
  std::fprintf(stderr,
               "GemmBench: JIT results agree with cblas_sgemm and the direct "
               "convolution; OpenBLAS %s, %d thread(s); oneDNN ISA 0x%x "
               "(dnnl_cpu_isa_t)\n",
               openblas_get_corename(), openblas_get_num_threads(),
               unsigned(dnnl_get_effective_cpu_isa()));
}

} // namespace

int main(int argc, char **argv) {
  return bench::benchmarkMain(argc, argv, checkResults);
}
