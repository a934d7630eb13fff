//===- SplitCompile.h - Optimize and compile a graph's module on threads --===//
//
// A large graph's kernels are optimized one by one anyway (each is kept out
// of the entry, see optimizeModule), so its module can be cut into parts
// that are optimized and compiled to machine code at the same time, each in
// its own LLVMContext on its own thread, as LLVM's LTO does for parallel
// code generation. The parts are linked back together by the JIT's linker.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_JIT_SPLITCOMPILE_H
#define QJIT_LIB_JIT_SPLITCOMPILE_H

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <vector>

namespace qjit {

// Target machines for the threads of a split compile: one per part, since
// code generation keeps state in its TargetMachine. Made on first use and
// kept for the next compile.
class TargetMachinePool {
public:
  explicit TargetMachinePool(llvm::orc::JITTargetMachineBuilder builder)
      : builder(std::move(builder)) {}
  // At least `count` machines, the first `count` of them returned.
  llvm::Expected<std::vector<llvm::TargetMachine *>> get(size_t count);

private:
  llvm::orc::JITTargetMachineBuilder builder;
  std::vector<std::unique_ptr<llvm::TargetMachine>> machines;
};

// The number of parts `module` (lowered, not yet optimized) is worth cutting
// into for `threads` threads: 1 (compile it whole) unless its kernels are
// kept apart (decideKernelInlining) and there are enough of them to share;
// up to two per thread, so that a thread done early takes another.
unsigned splitCompileParts(llvm::Module &module, unsigned threads);

// Cuts `module` into `parts` parts (splitCompileParts) and optimizes and
// compiles them on up to `threads` threads, one object file per part. Its internal
// symbols become hidden ones named after `entryName`, which is unique in
// the session the objects go to. `module` is left in an unspecified state.
llvm::Expected<std::vector<std::unique_ptr<llvm::MemoryBuffer>>>
splitCompile(llvm::Module &module, llvm::StringRef entryName, unsigned parts,
             unsigned threads, TargetMachinePool &machines, unsigned optLevel);

} // namespace qjit

#endif
