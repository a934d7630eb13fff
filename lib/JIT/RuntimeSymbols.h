//===- RuntimeSymbols.h - C functions JIT-compiled code calls ---*- C++ -*-===//
#ifndef QJIT_LIB_JIT_RUNTIMESYMBOLS_H
#define QJIT_LIB_JIT_RUNTIMESYMBOLS_H

#include "llvm/ExecutionEngine/Orc/LLJIT.h"

namespace qjit {

// A function of this process that generated code calls by name.
struct RuntimeSymbol {
  llvm::StringRef name;
  llvm::orc::ExecutorAddr address; // ExecutorAddr::fromPtr(&function)
};

// Defines `symbols` in `jit`'s main JITDylib at their addresses in this
// process, so they resolve however the program was linked or loaded (no
// reliance on dlsym of the global scope).
llvm::Error defineRuntimeSymbols(llvm::orc::LLJIT &jit,
                                 llvm::ArrayRef<RuntimeSymbol> symbols);

} // namespace qjit

#endif
