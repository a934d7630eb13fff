//===- IntegerRuntime.cpp - The integer kernels JIT-compiled code calls ---===//
#include "IntegerRuntime.h"
#include "Runtime/QGemm.h"
#include "Runtime/ThreadScratch.h"
#include "Runtime/TransposeBytes.h"
#include "RuntimeSymbols.h"

using namespace llvm;

namespace qjit {

Error addIntegerRuntime(orc::LLJIT &jit) {
  using orc::ExecutorAddr;
  return defineRuntimeSymbols(
      jit, {{"qjit_qgemm_pack", ExecutorAddr::fromPtr(&qjit_qgemm_pack)},
            {"qjit_qgemm_rows", ExecutorAddr::fromPtr(&qjit_qgemm_rows)},
            {"qjit_qconv_to_nhwc", ExecutorAddr::fromPtr(&qjit_qconv_to_nhwc)},
            {"qjit_qconv_tasks", ExecutorAddr::fromPtr(&qjit_qconv_tasks)},
            {"qjit_qconv_task_region",
             ExecutorAddr::fromPtr(&qjit_qconv_task_region)},
            {"qjit_transpose_bytes",
             ExecutorAddr::fromPtr(&qjit_transpose_bytes)},
            {"qjit_thread_scratch",
             ExecutorAddr::fromPtr(&qjit_thread_scratch)}});
}

} // namespace qjit
