//===- IntegerRuntime.cpp - The integer kernels JIT-compiled code calls ---===//
#include "IntegerRuntime.h"
#include "Runtime/QGemm.h"
#include "llvm/ExecutionEngine/Orc/Core.h"

using namespace llvm;

namespace qjit {

Error addIntegerRuntime(orc::LLJIT &jit) {
  orc::SymbolMap symbols;
  auto define = [&](StringRef name, auto *fn) {
    symbols[jit.mangleAndIntern(name)] = {orc::ExecutorAddr::fromPtr(fn),
                                          JITSymbolFlags::Exported |
                                              JITSymbolFlags::Callable};
  };
  define("qjit_qgemm_pack", &qjit_qgemm_pack);
  define("qjit_qgemm_rows", &qjit_qgemm_rows);
  define("qjit_qconv_to_nhwc", &qjit_qconv_to_nhwc);
  define("qjit_qconv_tasks", &qjit_qconv_tasks);
  return jit.getMainJITDylib().define(orc::absoluteSymbols(std::move(symbols)));
}

} // namespace qjit
