//===- Driver.h - What iropt does with one input case -----------*- C++ -*-===//
#ifndef QJIT_TOOLS_IROPT_DRIVER_H
#define QJIT_TOOLS_IROPT_DRIVER_H

#include "DiskCacheReport.h"
#include "qjit/IR/Graph.h"
#include "qjit/JIT/Jit.h"
#include "qjit/Transforms/PassRegistry.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/SourceMgr.h"
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace qjit {

enum class EmitKind { IR, LLVM, Assembly, Object, Bundle };
enum class Engine { JIT, Interpreter };

// iropt's command line, checked for consistency by the caller.
struct DriverOptions {
  EmitKind emit = EmitKind::IR;
  JitOptions jit;
  std::string graphName; // empty: the first graph
  bool run = false;
  Engine engine = Engine::JIT;
  std::vector<std::string> inputFiles;
  uint64_t seed = 0;
  std::string outputDir; // empty: print the outputs
  unsigned repeat = 0;
  RunOptions runOptions; // for the JIT's runs (threads: 0 = all cores)
  bool timeCompile = false;
  bool verifyDiagnostics = false;
  // --emit=bundle: the directory (-o) and the bundle's name.
  std::string bundleDir, bundleName;
};

// What a case prints: `output` goes to -o (or stdout), `reports` (timings)
// to stdout.
struct CaseOutput {
  std::string output;
  std::string reports;
  // (path, contents) of the .npy files --output-dir asks for; written by
  // the caller with -o's file, all or none.
  std::vector<std::pair<std::string, std::string>> files;
};

class Driver {
public:
  Driver(DriverOptions options, PassPipeline pipeline);
  ~Driver();

  // Parses, verifies, transforms and emits or runs the case held in buffer
  // `bufferId`. Errors are printed through `srcMgr` (or, with
  // verifyDiagnostics, checked against the buffer's expected-error
  // comments). Returns whether the case succeeded; `out` is only filled then.
  bool processCase(llvm::SourceMgr &srcMgr, unsigned bufferId, CaseOutput &out);

  // Loads a module that has no source text with `load` (an ONNX import;
  // `name` names it in messages), then verifies, transforms and emits or
  // runs it. Errors are printed; returns whether it succeeded, `out` being
  // filled only then.
  bool processModule(llvm::function_ref<llvm::Expected<Module>()> load,
                     llvm::StringRef name, CaseOutput &out);

private:
  llvm::Error runModule(Module &module, llvm::SourceMgr &srcMgr,
                        llvm::StringRef bufferName,
                        std::chrono::steady_clock::time_point start,
                        CaseOutput &out);
  llvm::Error runCase(llvm::SourceMgr &srcMgr, unsigned bufferId,
                      CaseOutput &out);
  llvm::Expected<const Graph &> selectGraph(const Module &module,
                                            llvm::StringRef bufferName);
  // Prints `module` (or `graph`, if one was chosen with --graph) as --emit
  // asks.
  llvm::Error emit(const Module &module, const Graph *graph, CaseOutput &out);
  // Runs `graph` with `compiled`, or with the interpreter if it is null.
  llvm::Error runGraph(const Graph &graph, const CompiledGraph *compiled,
                       CaseOutput &out);
  llvm::Expected<Jit &> getJit();

  DriverOptions options;
  PassPipeline pipeline;
  std::unique_ptr<Jit> jit; // created on first use, shared by all cases
  DiskCacheReporter cacheReporter;
};

} // namespace qjit

#endif
