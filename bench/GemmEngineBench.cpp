//===- GemmEngineBench.cpp - OpenBLAS vs oneDNN GEMM ----------------------===//
//
// The libraries alone, no JIT: each shape M x K x N (C[M, N] = A[M, K] *
// B[K, N], row-major, no transposition) is timed on one thread with
//   sgemm/OpenBLAS      cblas_sgemm (openblas_set_num_threads(1))
//   sgemm/oneDNN        dnnl_sgemm (omp_set_num_threads(1) on this thread)
// registered next to each other per shape, so one run compares them under
// the same machine load. Shapes: 64^3, 512^3, 1024^3; a band of 128 rows of
// the 1024^3 product (what MatMul hands one thread, lib/CodeGen/MatMul.cpp);
// Conv2D of a 64 -> 64 channel 3x3 layer on 56x56 as qjit's im2col lays it
// out (M = 64 output channels, K = 576, N = 3136 pixels) and as a
// pixels-major im2col would (M = 3136, K = 576, N = 64); a batch-1 Linear
// layer 1 x 512 x 1000 (M = 1).
//
//   u8s8s32/oneDNN      dnnl_gemm_u8s8s32 at 512^3 and 1024^3: the int8
//                       anchor for qjit's own integer kernels; and 1024^3
//                       on two threads (real time), the machine's own
//                       two-thread speedup for that product
//
// The ISA each library uses follows the environment, read once at load or
// first call: ONEDNN_MAX_CPU_ISA=AVX2 and OPENBLAS_CORETYPE=Haswell restrict
// both to AVX2 (the check line printed first names what is in use).
// Before measuring, dnnl_sgemm is checked against cblas_sgemm for every
// shape (relative bound 1e-5, as GemmBench), and dnnl_gemm_u8s8s32 against
// a plain integer loop (exact). GFLOP/s counts 2 operations per
// multiply-add (GOP/s for int8, same counter).
//
//===----------------------------------------------------------------------===//
#include "BenchSupport.h"
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.h>
#include <random>
#include <string>
#include <tuple>
#include <vector>

extern "C" void omp_set_num_threads(int); // libgomp, oneDNN's runtime here

using qjit::bench::fail;
using qjit::bench::measure;

namespace {

struct Shape {
  int64_t m, k, n;
  const char *what;
};

const Shape kShapes[] = {
    {64, 64, 64, "small"},
    {512, 512, 512, "square"},
    {1024, 1024, 1024, "square"},
    {128, 1024, 1024, "MatMul band of 1024^3"},
    {64, 576, 3136, "Conv2D im2col, qjit layout"},
    {3136, 576, 64, "Conv2D im2col, pixels-major"},
    {1, 512, 1000, "Linear, batch 1"},
};

// Deterministic operands of one shape, created on first use.
struct FloatCase {
  explicit FloatCase(const Shape &s)
      : shape(s), a(size_t(s.m * s.k)), b(size_t(s.k * s.n)),
        c(size_t(s.m * s.n)) {
    std::mt19937 rng(unsigned(s.m * 31 + s.k * 7 + s.n));
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (float &x : a)
      x = dist(rng);
    for (float &x : b)
      x = dist(rng);
  }
  void openBlas(float *out) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(shape.m),
                int(shape.n), int(shape.k), 1.0f, a.data(), int(shape.k),
                b.data(), int(shape.n), 0.0f, out, int(shape.n));
  }
  void oneDnn(float *out) {
    if (dnnl_sgemm('N', 'N', shape.m, shape.n, shape.k, 1.0f, a.data(), shape.k,
                   b.data(), shape.n, 0.0f, out, shape.n) != dnnl_success)
      fail("dnnl_sgemm failed");
  }
  Shape shape;
  std::vector<float> a, b, c;
};

FloatCase &floatCase(const Shape &s) {
  static std::map<std::tuple<int64_t, int64_t, int64_t>,
                  std::unique_ptr<FloatCase>>
      cases;
  auto &slot = cases[{s.m, s.k, s.n}];
  if (!slot)
    slot = std::make_unique<FloatCase>(s);
  return *slot;
}

// dnnl_gemm_u8s8s32(transa, transb, offsetc, M, N, K, alpha, A, lda, ao, B,
//                   ldb, bo, beta, C, ldc, co) computes
//   C = alpha * (A - ao) * (B - bo) + beta * C + co
// with A uint8 [M, K], B int8 [K, N] and C int32 [M, N] row-major; ao and bo
// are A's and B's zero points (one each, per tensor), subtracted from every
// element before the product. offsetc says what co points to: 'F' one value
// added everywhere, 'C' one per column (n values), 'R' one per row (m
// values); that is where a requantized layer folds its bias and the
// zero-point cross terms. alpha and beta are floats: with alpha 1 and beta
// 0, C is the exact int32 sum (of int32 products, without the intermediate
// int16 saturation of AVX2/AVX-512 without VNNI: operands here stay small
// enough, A in [0, 127] and B in [-64, 63], that no ISA saturates).
// Measured as a quantized layer calls it: ao = 128 (an asymmetric uint8
// activation), bo = 0 (symmetric int8 weights), co = 0 ('F').
struct Int8Case {
  explicit Int8Case(int64_t size)
      : size(size), a(size_t(size * size)), b(size_t(size * size)),
        c(size_t(size * size)) {
    std::mt19937 rng(static_cast<unsigned>(size));
    for (uint8_t &x : a)
      x = uint8_t(rng() % 128);
    for (int8_t &x : b)
      x = int8_t(int(rng() % 128) - 64);
  }
  void oneDnn(int32_t *out) {
    const int32_t co = 0;
    if (dnnl_gemm_u8s8s32('N', 'N', 'F', size, size, size, 1.0f, a.data(), size,
                          kAZeroPoint, b.data(), size, 0, 0.0f, out, size,
                          &co) != dnnl_success)
      fail("dnnl_gemm_u8s8s32 failed");
  }
  static constexpr uint8_t kAZeroPoint = 128;
  int64_t size;
  std::vector<uint8_t> a;
  std::vector<int8_t> b;
  std::vector<int32_t> c;
};

Int8Case &int8Case(int64_t size) {
  static std::map<int64_t, std::unique_ptr<Int8Case>> cases;
  auto &slot = cases[size];
  if (!slot)
    slot = std::make_unique<Int8Case>(size);
  return *slot;
}

void setFlops(benchmark::State &state, double flopsPerIteration) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      flopsPerIteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

std::string shapeName(const Shape &s) {
  return std::to_string(s.m) + "x" + std::to_string(s.k) + "x" +
         std::to_string(s.n);
}

void registerAll() {
  for (const Shape &shape : kShapes) {
    double flops = 2.0 * shape.m * shape.k * shape.n;
    benchmark::RegisterBenchmark(("sgemm/OpenBLAS/" + shapeName(shape)).c_str(),
                                 [shape, flops](benchmark::State &state) {
                                   FloatCase &c = floatCase(shape);
                                   measure(state,
                                           [&] { c.openBlas(c.c.data()); });
                                   setFlops(state, flops);
                                 })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("sgemm/oneDNN/" + shapeName(shape)).c_str(),
                                 [shape, flops](benchmark::State &state) {
                                   FloatCase &c = floatCase(shape);
                                   measure(state,
                                           [&] { c.oneDnn(c.c.data()); });
                                   setFlops(state, flops);
                                 })
        ->Unit(benchmark::kMicrosecond);
  }
  for (int64_t size : {512, 1024})
    benchmark::RegisterBenchmark(
        ("u8s8s32/oneDNN/" + std::to_string(size) + "x" + std::to_string(size) +
         "x" + std::to_string(size))
            .c_str(),
        [size](benchmark::State &state) {
          Int8Case &c = int8Case(size);
          measure(state, [&] { c.oneDnn(c.c.data()); });
          setFlops(state, 2.0 * size * size * size);
        })
        ->Unit(benchmark::kMicrosecond);
  // What two threads give the library on this machine: the reference for
  // QLinearMatMul's two-thread speedup at 1024^3 (QLinearBench).
  benchmark::RegisterBenchmark(
      "u8s8s32/oneDNN/1024x1024x1024/threads:2",
      [](benchmark::State &state) {
        Int8Case &c = int8Case(1024);
        omp_set_num_threads(2);
        measure(state, [&] { c.oneDnn(c.c.data()); });
        omp_set_num_threads(1);
        setFlops(state, 2.0 * 1024 * 1024 * 1024);
      })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
}

// |a - e| <= 1e-5 * (|e| + max |e|) everywhere.
void expectClose(const float *actual, const float *expected, size_t n,
                 const std::string &what) {
  double floor = 0;
  for (size_t i = 0; i < n; ++i)
    floor = std::max(floor, std::fabs(double(expected[i])));
  for (size_t i = 0; i < n; ++i)
    if (!(std::fabs(double(actual[i]) - expected[i]) <=
          1e-5 * (std::fabs(double(expected[i])) + floor)))
      fail(what + ": element " + std::to_string(i) + " is " +
           std::to_string(actual[i]) + ", expected " +
           std::to_string(expected[i]));
}

const char *isaName(dnnl_cpu_isa_t isa) {
  switch (isa) {
  case dnnl_cpu_isa_sse41:
    return "sse41";
  case dnnl_cpu_isa_avx:
    return "avx";
  case dnnl_cpu_isa_avx2:
    return "avx2";
  case dnnl_cpu_isa_avx2_vnni:
    return "avx2_vnni";
  case dnnl_cpu_isa_avx512_core:
    return "avx512_core";
  case dnnl_cpu_isa_avx512_core_vnni:
    return "avx512_core_vnni";
  case dnnl_cpu_isa_avx512_core_bf16:
    return "avx512_core_bf16";
  case dnnl_cpu_isa_avx512_core_amx:
    return "avx512_core_amx";
  default:
    return "other";
  }
}

// The threads of this process now.
int processThreads() {
  int threads = 0;
  for ([[maybe_unused]] const auto &entry :
       std::filesystem::directory_iterator("/proc/self/task"))
    ++threads;
  return threads;
}

void checkResults() {
  openblas_set_num_threads(1);
  omp_set_num_threads(1); // this thread's OpenMP limit: the one that runs
  int threadsBefore = processThreads();
  for (const Shape &shape : kShapes) {
    FloatCase &c = floatCase(shape);
    std::vector<float> expected(c.c.size());
    c.openBlas(expected.data());
    c.oneDnn(c.c.data());
    expectClose(c.c.data(), expected.data(), c.c.size(),
                "dnnl_sgemm " + shapeName(shape));
  }
  for (int64_t size : {512}) {
    Int8Case &c = int8Case(size);
    c.oneDnn(c.c.data());
    for (int64_t i = 0; i < size; ++i)
      for (int64_t j = 0; j < size; ++j) {
        int32_t sum = 0;
        for (int64_t k = 0; k < size; ++k)
          sum += (int32_t(c.a[i * size + k]) - Int8Case::kAZeroPoint) *
                 int32_t(c.b[k * size + j]);
        if (c.c[i * size + j] != sum)
          fail("dnnl_gemm_u8s8s32 " + std::to_string(size) + "^3: element " +
               std::to_string(i * size + j) + " is " +
               std::to_string(c.c[i * size + j]) + ", expected " +
               std::to_string(sum));
      }
  }
  // oneDNN started no threads of its own (OpenMP's workers).
  int dnnlThreads = processThreads() - threadsBefore;
  const dnnl_version_t *v = dnnl_version();
  std::fprintf(stderr,
               "GemmEngineBench: dnnl_sgemm agrees with cblas_sgemm, "
               "dnnl_gemm_u8s8s32 with the integer loop; OpenBLAS %s, %d "
               "thread(s); oneDNN %d.%d.%d, ISA %s, started %d thread(s)\n",
               openblas_get_corename(), openblas_get_num_threads(), v->major,
               v->minor, v->patch, isaName(dnnl_get_effective_cpu_isa()),
               dnnlThreads);
}

} // namespace

int main(int argc, char **argv) {
  registerAll();
  return qjit::bench::benchmarkMain(argc, argv, checkResults);
}
