//===- RuntimeSymbols.cpp - C functions JIT-compiled code calls -----------===//
#include "RuntimeSymbols.h"
#include "llvm/ExecutionEngine/Orc/Core.h"

namespace qjit {

llvm::Error defineRuntimeSymbols(llvm::orc::LLJIT &jit,
                                 llvm::ArrayRef<RuntimeSymbol> symbols) {
  llvm::orc::SymbolMap map;
  for (const RuntimeSymbol &symbol : symbols)
    map[jit.mangleAndIntern(symbol.name)] = {
        symbol.address,
        llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable};
  return jit.getMainJITDylib().define(
      llvm::orc::absoluteSymbols(std::move(map)));
}

} // namespace qjit
