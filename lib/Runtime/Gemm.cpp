//===- Gemm.cpp - Float GEMM routines for compiled kernels ----------------===//
//
// Float32 products call oneDNN's dnnl_sgemm: on this machine class (Xeon with
// AVX-512, which Debian's OpenBLAS 0.3.21 does not recognize and runs with
// its Prescott kernels) it is 3.2x to 6.7x faster on one thread, and it picks
// its kernels from the CPU's features rather than from a table of models
// (bench/README.md, GemmEngineBench). Float64 stays on OpenBLAS.
//
// Debian builds oneDNN's CPU engine on OpenMP (libgomp): a dnnl_sgemm call
// may start a team of omp_get_max_threads() threads, that limit being per
// calling thread and defaulting to every core. qjit's own oneTBB threads
// each run a band, so each call is held to one thread: the calling thread's
// limit is set to 1 for the call and put back after it (the caller's own
// OpenMP code on that thread keeps its setting). Inside an OpenMP parallel
// region oneDNN runs single-threaded by itself.
//
//===----------------------------------------------------------------------===//
#include "Gemm.h"
#include "RunFailure.h"
#include <cblas.h>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <oneapi/dnnl/dnnl.h>

#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
// libgomp's (omp.h is not installed with every compiler: clang's needs libomp).
extern "C" int omp_get_max_threads(void);
extern "C" void omp_set_num_threads(int);
#elif DNNL_CPU_THREADING_RUNTIME != DNNL_RUNTIME_SEQ
#error                                                                         \
    "oneDNN is held to one thread per call on OpenMP or sequential builds only"
#endif

extern "C" void qjit_sgemm(int64_t m, int64_t n, int64_t k, const float *a,
                           int64_t lda, const float *b, int64_t ldb, float beta,
                           float *c, int64_t ldc) {
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
  int saved = omp_get_max_threads();
  if (saved != 1)
    omp_set_num_threads(1);
#endif
  dnnl_status_t status =
      dnnl_sgemm('N', 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
  if (saved != 1)
    omp_set_num_threads(saved);
#endif
  // The kernels pass valid arguments (MatMulGemm.cpp); what is left is
  // oneDNN failing to allocate its packing buffers: the run fails.
  if (status != dnnl_success) {
    char what[128];
    std::snprintf(what, sizeof what,
                  "dnnl_sgemm failed (status %d, m=%lld n=%lld k=%lld)",
                  int(status), (long long)m, (long long)n, (long long)k);
    qjit_run_failed(what);
  }
}

extern "C" void qjit_dgemm(int64_t m, int64_t n, int64_t k, const double *a,
                           int64_t lda, const double *b, int64_t ldb,
                           double beta, double *c, int64_t ldc) {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n),
              int(k), 1.0, a, int(lda), b, int(ldb), beta, c, int(ldc));
}
