//===- BlasRuntime.cpp - The GEMM routines JIT-compiled code calls --------===//
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
#include "BlasRuntime.h"
#include "RuntimeSymbols.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/Support/ErrorHandling.h"
#include <cblas.h>
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

using namespace llvm;

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
  // oneDNN failing to allocate its packing buffers, and the kernels have no
  // way to report an error: stop, as OpenBLAS does in that case.
  if (status != dnnl_success)
    report_fatal_error("dnnl_sgemm failed (status " + Twine(int(status)) +
                           ", m=" + Twine(m) + " n=" + Twine(n) +
                           " k=" + Twine(k) + ")",
                       /*gen_crash_diag=*/false);
}

namespace qjit {

Error addBlasRuntime(orc::LLJIT &jit) {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });

  return defineRuntimeSymbols(
      jit, {{"qjit_sgemm", orc::ExecutorAddr::fromPtr(&qjit_sgemm)},
            {"cblas_dgemm", orc::ExecutorAddr::fromPtr(&cblas_dgemm)}});
}

} // namespace qjit
