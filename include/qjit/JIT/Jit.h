//===- Jit.h - Compiling graphs to native functions -------------*- C++ -*-===//
#ifndef QJIT_JIT_JIT_H
#define QJIT_JIT_JIT_H

#include "qjit/IR/Graph.h"
#include "qjit/IR/Tensor.h"
#include "llvm/Support/Error.h"
#include <memory>
#include <string>
#include <vector>

namespace qjit {

// Every field that changes the generated code must also be in the disk
// cache's key (lib/JIT/DiskCacheKey.cpp).
struct JitOptions {
  unsigned optLevel = 2;  // LLVM -O0..-O3
  std::string cpu;        // empty: the host CPU (see QJIT_HOST_FEATURES)
  std::string features;   // empty: the host's features; else "+avx2,-avx512f"
  // At -O1 and above, compile() and the emit functions first run
  // defaultPipeline() (PassRegistry.h) over a copy of the graph. False
  // lowers the graph exactly as given (for callers that run their own
  // passes).
  bool defaultPasses = true;
  // A directory where compiled graphs are kept across processes
  // (docs/compile-cache.md); empty: $QJIT_CACHE_DIR if set, else none.
  // (An initializer, so JitOptions{2, "", ""} draws no missing-initializer
  // warning.)
  std::string cacheDir = {};
  // Threads a compile may use: a graph with many kernels is cut into parts
  // optimized and compiled at the same time (lib/JIT/SplitCompile.h).
  // 0: all cores. The code computes the same results for any count.
  unsigned compileThreads = 0;
};

// What a Jit's disk compile cache has done (all zero without one).
struct DiskCacheStats {
  uint64_t hits = 0;          // compiles answered by an entry
  uint64_t misses = 0;        // compiles that lowered and optimized
  uint64_t rejected = 0;      // entries found unusable (truncated, corrupt,
                              // another format): recompiled and rewritten
  uint64_t writeFailures = 0; // entries not written (the compile succeeded)
  std::string lastProblem;    // the latest rejection or write failure
};

// How one run of a compiled graph may execute. Not part of the compile
// cache key: the same code runs with any of these.
struct RunOptions {
  RunOptions() = default;
  explicit RunOptions(unsigned threads, MemoryLimits limits = {})
      : threads(threads), limits(limits) {}

  // Threads the kernels may use; 0: all cores (more are not used). Only
  // loops over large tensors are split; results are the same for any count.
  unsigned threads = 0;
  // What the run may use: its buffers and the workspace of intermediate
  // values, checked before the workspace (and the outputs, when run()
  // allocates them) is allocated.
  MemoryLimits limits;
};

class Jit;

// A graph compiled to native code (made by Jit::compile). Immutable; run()
// may be called from several threads at once.
class CompiledGraph {
public:
  using EntryFn = void (*)(void *const *buffers);

  llvm::ArrayRef<TensorType> getInputTypes() const { return inputTypes; }
  llvm::ArrayRef<TensorType> getOutputTypes() const { return outputTypes; }
  uint64_t getWorkspaceSize() const { return workspaceSize; }
  // The native entry (CodeGen.h's ABI). Called directly, its parallel loops
  // use every core; run() applies RunOptions::threads. A direct caller
  // passes getDataPointers() after the workspace.
  EntryFn getEntry() const { return entry; }
  // Whether the code has parallel loops (large tensors); if not, runs never
  // touch the thread pool.
  bool usesThreads() const { return threaded; }
  // The addresses of the data constants' bytes, in the order the entry
  // reads them (CodeGen.h).
  llvm::ArrayRef<void *> getDataPointers() const { return dataPointers; }

  // The first checks run() makes: the number of inputs and outputs and
  // their types and shapes, with run()'s messages. For callers that prepare
  // buffers (copies, allocations) before they can call run().
  llvm::Error checkTypes(llvm::ArrayRef<TensorType> inputs,
                         llvm::ArrayRef<TensorType> outputs) const;

  // Runs on caller-owned buffers after checking their count, types, shapes
  // and that no two overlap; on error nothing is written.
  llvm::Error run(llvm::ArrayRef<TensorRef> inputs,
                  llvm::ArrayRef<TensorRef> outputs,
                  RunOptions options = {}) const;
  // Allocates the outputs.
  llvm::Expected<std::vector<Tensor>> run(llvm::ArrayRef<Tensor> inputs,
                                          RunOptions options = {}) const;

private:
  friend class Jit; // the only maker of compiled graphs
  llvm::Error checkCounts(size_t inputs, size_t outputs) const;
  llvm::Error checkType(const TensorType &type, size_t index,
                        bool isInput) const;
  CompiledGraph(std::string graphName, std::vector<TensorType> inputTypes,
                std::vector<TensorType> outputTypes, uint64_t workspaceSize,
                EntryFn entry, bool usesThreads,
                std::vector<std::shared_ptr<const DenseData>> data);

  std::string graphName;
  std::vector<TensorType> inputTypes;
  std::vector<TensorType> outputTypes;
  uint64_t workspaceSize;
  EntryFn entry;
  bool threaded;
  // The bytes of the data constants, which the code reads through the
  // buffer table (after the workspace): kept alive as long as the code.
  std::vector<std::shared_ptr<const DenseData>> data;
  std::vector<void *> dataPointers;
};

// One ORC LLJIT session for the host (or the chosen CPU) with a compile
// cache keyed by the graph's structural hash and the options. Thread safe.
class Jit {
public:
  static llvm::Expected<std::unique_ptr<Jit>> create(JitOptions options = {});
  ~Jit();

  const JitOptions &getOptions() const;
  // A feature the chosen CPU has and the host lacks (or QJIT_HOST_FEATURES
  // takes away), for which compile() refuses to run code here; empty when
  // the host can run it. Emitting IR, assembly or objects works either way.
  llvm::StringRef getMissingHostFeature() const;
  // Verifies, lowers, optimizes and compiles `graph`, or returns the cached
  // result of an identical earlier compile.
  llvm::Expected<std::shared_ptr<const CompiledGraph>>
  compile(const Graph &graph);
  size_t cacheSize() const;
  // The disk cache's counters; getOptions().cacheDir names its directory
  // (after $QJIT_CACHE_DIR), empty without one.
  DiskCacheStats diskCacheStats() const;

  // The optimized LLVM IR, host assembly or object file of `graph`.
  llvm::Expected<std::string> emitLLVMIR(const Graph &graph);
  llvm::Expected<std::string> emitAssembly(const Graph &graph);
  llvm::Expected<std::string> emitObject(const Graph &graph);
  // Writes an AOT bundle of `graphs` for this Jit's CPU, features and -O
  // level into `dir` (qjit/JIT/Bundle.h; defined in lib/JIT/Bundle.cpp).
  llvm::Error emitBundle(llvm::ArrayRef<const Graph *> graphs,
                         llvm::StringRef dir, llvm::StringRef name) const;

private:
  struct Impl;
  explicit Jit(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace qjit

#endif
