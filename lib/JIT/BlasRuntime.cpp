//===- BlasRuntime.cpp - The BLAS routines JIT-compiled code calls --------===//
#include "BlasRuntime.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include <cblas.h>
#include <mutex>

using namespace llvm;

namespace qjit {

Error addBlasRuntime(orc::LLJIT &jit) {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });

  orc::SymbolMap symbols;
  auto define = [&](StringRef name, auto *fn) {
    symbols[jit.mangleAndIntern(name)] = {orc::ExecutorAddr::fromPtr(fn),
                                          JITSymbolFlags::Exported |
                                              JITSymbolFlags::Callable};
  };
  define("cblas_sgemm", &cblas_sgemm);
  define("cblas_dgemm", &cblas_dgemm);
  return jit.getMainJITDylib().define(orc::absoluteSymbols(std::move(symbols)));
}

} // namespace qjit
