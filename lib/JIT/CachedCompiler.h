//===- CachedCompiler.h - Compiling through the disk cache ------*- C++ -*-===//
#ifndef QJIT_LIB_JIT_CACHEDCOMPILER_H
#define QJIT_LIB_JIT_CACHEDCOMPILER_H

#include "DiskCache.h"
#include "qjit/IR/DenseData.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class TargetMachine;
}

namespace qjit {

// A graph's code in an ORC session: what a CompiledGraph is made of.
struct CompiledCode {
  llvm::orc::ExecutorAddr entry;
  uint64_t workspaceSize = 0; // bytes
  bool usesThreads = false;   // calls the parallel runtime
  // The buffers after the workspace (CodeGen.h), in order.
  std::vector<std::shared_ptr<const DenseData>> data;
};

// A Jit's disk cache in front of its session. compile() is not thread safe
// (the Jit calls it under its own lock); getStats() is.
class CachedCompiler {
public:
  // Watches the objects `session` links (through its object transform
  // layer) to keep those a compile makes.
  CachedCompiler(std::string directory, llvm::orc::LLJIT &session);

  // Adds the code of `graph` (verified) to the session with an entry symbol
  // named `entryName`, and reports where it is.
  using CompileFn =
      llvm::function_ref<llvm::Expected<CompiledCode>(llvm::StringRef)>;

  // The code of `graph` for `tm` with `settings` (the Jit's other options
  // that change the code): from its entry in the cache when there is a
  // usable one (no passes, lowering or optimization), else from
  // `compileInSession`, whose object files are then written to the cache.
  // Entry symbols are named `entryBase` and the key.
  llvm::Expected<CompiledCode> compile(const Graph &graph,
                                       const llvm::TargetMachine &tm,
                                       llvm::StringRef settings,
                                       llvm::StringRef entryBase,
                                       CompileFn compileInSession);

  DiskCacheStats getStats() const { return cache.getStats(); }

private:
  struct ObjectCapture;

  // Adds a parsed entry's objects to the session; nothing (with the entry
  // counted as rejected) if it does not fit `graph` or the target.
  llvm::Expected<std::optional<CompiledCode>>
  loadEntry(const Graph &graph, const llvm::TargetMachine &tm,
            const DiskCacheKey &key, const DiskCacheEntry &entry);
  // The entry describing `code`, compiled for `graph` into `objects`
  // (which it points into, as into `code`'s data).
  DiskCacheEntry describe(const Graph &graph, llvm::StringRef entryName,
                          const CompiledCode &code,
                          llvm::ArrayRef<std::string> objects) const;

  DiskCache cache;
  llvm::orc::LLJIT &session;
  std::shared_ptr<ObjectCapture> capture; // shared with the session's layer
  // Entry symbols already defined in the session, with the key of the code
  // they name: an object is added once, and a name is never reused.
  struct Defined {
    DiskCacheKey key;
    llvm::orc::ExecutorAddr address;
  };
  llvm::StringMap<Defined> defined;
};

} // namespace qjit

#endif
