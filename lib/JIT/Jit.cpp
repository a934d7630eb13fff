//===- Jit.cpp - An ORC LLJIT session with a compile cache ----------------===//
#include "qjit/JIT/Jit.h"
#include "BlasRuntime.h"
#include "CachedCompiler.h"
#include "IntegerRuntime.h"
#include "ParallelRuntime.h"
#include "PerfMap.h"
#include "Runtime/ParallelFor.h"
#include "SplitCompile.h"
#include "TargetSelection.h"
#include "qjit/CodeGen/CodeGen.h"
#include "qjit/IR/StructuralHash.h"
#include "qjit/IR/Verifier.h"
#include "qjit/Transforms/PassRegistry.h"
#include "qjit/Support/Error.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdlib>
#include <map>
#include <mutex>
#include <tuple>
#include "Support/MakeError.h"

using namespace llvm;

namespace qjit {
namespace {

void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
    InitializeNativeTargetAsmParser();
  });
}

// A C identifier made of the graph's name, for readable symbols.
std::string symbolName(StringRef graphName) {
  std::string name = "qjit_";
  for (char c : graphName)
    name += isAlnum(c) ? c : '_';
  return name;
}

// Vectorized loops call the _ZGV* functions of glibc's libmvec
// (_ZGVdN8v_expf, ...), which the process need not have loaded.
Error addVectorMathLibrary(orc::LLJIT &jit, const TargetMachine &tm) {
  StringRef library = vectorMathLibrary(tm);
  if (library.empty())
    return Error::success();
  auto generator = orc::DynamicLibrarySearchGenerator::Load(
      library.str().c_str(), jit.getDataLayout().getGlobalPrefix(),
      [](const orc::SymbolStringPtr &name) {
        return (*name).starts_with("_ZGV");
      });
  if (!generator)
    return makeError("cannot load {}, the vector math library: {}",
                     library.str(), toString(generator.takeError()));
  jit.getMainJITDylib().addGenerator(std::move(*generator));
  return Error::success();
}

} // namespace

struct Jit::Impl {
  // Everything that changes the machine code of one graph.
  using CacheKey =
      std::tuple<uint64_t, unsigned, std::string, std::string, bool>;

  JitOptions options;
  // Shared with every CompiledGraph, whose code lives in it: compiled
  // graphs stay callable after the Jit is gone.
  std::shared_ptr<orc::LLJIT> session;
  // For the pass pipeline's cost model and for emitting files; the same CPU
  // and features as the session's own code generator.
  std::unique_ptr<TargetMachine> tm;
  // The threads' own machines when a compile is split (SplitCompile.h).
  std::unique_ptr<TargetMachinePool> partMachines;
  std::string missingFeature; // why this host cannot run the code, if any
  std::mutex mutex;           // guards everything below and `tm`
  std::map<CacheKey, std::shared_ptr<const CompiledGraph>> cache;
  uint64_t compiled = 0; // numbers the entry symbols
  // If options.cacheDir is set; consulted after `cache` misses. Its
  // counters may be read without `mutex`.
  std::unique_ptr<CachedCompiler> diskCache;

  CacheKey key(const Graph &graph) const {
    return {structuralHash(graph), options.optLevel, options.cpu,
            options.features, runsDefaultPasses()};
  }
  bool runsDefaultPasses() const {
    return options.defaultPasses && options.optLevel >= 1;
  }
  // The options besides the target that change the code, for the disk
  // cache's key.
  std::string codeSettings() const {
    return fmt::format("O{} default-passes={}", options.optLevel,
                       runsDefaultPasses());
  }
  // Lowers a verified `graph` into `ctx`, after the default passes.
  Expected<LoweredGraph> lowerOnly(const Graph &graph, LLVMContext &ctx,
                                   StringRef entryName);
  // Lowers and optimizes a verified `graph` into `ctx`.
  Expected<LoweredGraph> lower(const Graph &graph, LLVMContext &ctx,
                               StringRef entryName);
  // Adds the lowered module to the session, optimized and compiled in parts
  // on several threads when it is large enough, else whole.
  Error addToSession(LoweredGraph &lowered, std::unique_ptr<LLVMContext> ctx,
                     StringRef entryName);
  // Lowers, optimizes and adds a verified `graph` to the session.
  Expected<CompiledCode> compileInSession(const Graph &graph,
                                          StringRef entryName);
  Expected<std::string> emitFile(const Graph &graph, CodeGenFileType type);
};

Jit::Jit(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Jit::~Jit() = default;

Expected<std::unique_ptr<Jit>> Jit::create(JitOptions options) {
  initializeNativeTarget();
  Expected<orc::JITTargetMachineBuilder> builder = selectTarget(options);
  if (!builder)
    return builder.takeError();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);

  Expected<std::unique_ptr<TargetMachine>> tm = builder->createTargetMachine();
  if (!tm)
    return tm.takeError();
  impl->tm = std::move(*tm);
  impl->partMachines = std::make_unique<TargetMachinePool>(*builder);
  Expected<std::string> missing = featureMissingOnHost(*impl->tm);
  if (!missing)
    return missing.takeError();
  impl->missingFeature = std::move(*missing);

  Expected<std::unique_ptr<orc::LLJIT>> session =
      orc::LLJITBuilder().setJITTargetMachineBuilder(*builder).create();
  if (!session)
    return session.takeError();
  impl->session = std::move(*session);
  addPerfMapIfRequested(*impl->session);
  if (Error err = addBlasRuntime(*impl->session))
    return err;
  if (Error err = addParallelRuntime(*impl->session))
    return err;
  if (Error err = addIntegerRuntime(*impl->session))
    return err;
  if (Error err = addVectorMathLibrary(*impl->session, *impl->tm))
    return err;
  if (impl->options.cacheDir.empty())
    if (const char *dir = std::getenv("QJIT_CACHE_DIR"))
      impl->options.cacheDir = dir;
  if (!impl->options.cacheDir.empty())
    impl->diskCache = std::make_unique<CachedCompiler>(impl->options.cacheDir,
                                                       *impl->session);
  return std::unique_ptr<Jit>(new Jit(std::move(impl)));
}

const JitOptions &Jit::getOptions() const { return impl->options; }

StringRef Jit::getMissingHostFeature() const { return impl->missingFeature; }

size_t Jit::cacheSize() const {
  std::lock_guard<std::mutex> lock(impl->mutex);
  return impl->cache.size();
}

DiskCacheStats Jit::diskCacheStats() const {
  // Not under `mutex`, which a compile holds: set once by create(), the
  // disk cache guards its counters itself.
  return impl->diskCache ? impl->diskCache->getStats() : DiskCacheStats{};
}

Expected<LoweredGraph> Jit::Impl::lowerOnly(const Graph &graph,
                                            LLVMContext &ctx,
                                            StringRef entryName) {
  // The default passes transform a copy: the caller's graph is const, and
  // the cache is keyed by it.
  Module transformed;
  const Graph *toLower = &graph;
  if (runsDefaultPasses()) {
    Expected<PassPipeline> pipeline = parsePassPipeline(defaultPipeline());
    if (!pipeline)
      return pipeline.takeError();
    toLower = &transformed.addGraph(graph);
    if (Error err = pipeline->run(transformed))
      return err;
  }
  return lowerGraph(*toLower, ctx, *tm, entryName);
}

Expected<LoweredGraph> Jit::Impl::lower(const Graph &graph, LLVMContext &ctx,
                                        StringRef entryName) {
  Expected<LoweredGraph> lowered = lowerOnly(graph, ctx, entryName);
  if (!lowered)
    return lowered.takeError();
  optimizeModule(*lowered->module, *tm, options.optLevel);
  return lowered;
}

Error Jit::Impl::addToSession(LoweredGraph &lowered,
                              std::unique_ptr<LLVMContext> ctx,
                              StringRef entryName) {
  unsigned threads = options.compileThreads ? options.compileThreads
                                            : defaultThreadCount();
  unsigned parts = splitCompileParts(*lowered.module, threads);
  if (parts == 1) {
    optimizeModule(*lowered.module, *tm, options.optLevel);
    return session->addIRModule(
        orc::ThreadSafeModule(std::move(lowered.module), std::move(ctx)));
  }
  Expected<std::vector<std::unique_ptr<MemoryBuffer>>> objects = splitCompile(
      *lowered.module, entryName, parts, threads, *partMachines,
      options.optLevel);
  lowered.module.reset(); // before its context goes
  if (!objects)
    return objects.takeError();
  for (std::unique_ptr<MemoryBuffer> &object : *objects)
    if (Error err = session->addObjectFile(std::move(object)))
      return err;
  return Error::success();
}

Expected<std::shared_ptr<const CompiledGraph>>
Jit::compile(const Graph &graph) {
  std::lock_guard<std::mutex> lock(impl->mutex);
  if (Error err = verifyGraph(graph))
    return err;
  Impl::CacheKey key = impl->key(graph);
  if (auto it = impl->cache.find(key); it != impl->cache.end())
    return it->second;
  if (!impl->missingFeature.empty())
    return makeError("cannot run code for CPU '{}' here: the host lacks '{}'",
                     impl->tm->getTargetCPU().str(), impl->missingFeature);

  std::string base = symbolName(graph.getName());
  auto inSession = [&](StringRef entryName) {
    return impl->compileInSession(graph, entryName);
  };
  // With a disk cache, entries are named after their key (CachedCompiler).
  Expected<CompiledCode> code =
      impl->diskCache
          ? impl->diskCache->compile(graph, *impl->tm, impl->codeSettings(),
                                     base, inSession)
          : inSession(base + "_" + std::to_string(impl->compiled++));
  if (!code)
    return code.takeError();

  std::vector<TensorType> inputTypes, outputTypes;
  for (ValueId v : graph.getInputs())
    inputTypes.push_back(graph.getType(v));
  for (ValueId v : graph.getOutputs())
    outputTypes.push_back(graph.getType(v));
  // The CompiledGraph and a reference to the session in one allocation; the
  // pointer handed out aliases the graph.
  struct Owned {
    std::shared_ptr<orc::LLJIT> session;
    CompiledGraph graph;
  };
  auto owned = std::make_shared<Owned>(Owned{
      impl->session, CompiledGraph(graph.getName().str(), std::move(inputTypes),
                                   std::move(outputTypes), code->workspaceSize,
                                   code->entry.toPtr<CompiledGraph::EntryFn>(),
                                   code->usesThreads, std::move(code->data))});
  std::shared_ptr<const CompiledGraph> result(owned, &owned->graph);
  impl->cache.emplace(key, result);
  return result;
}

Expected<CompiledCode> Jit::Impl::compileInSession(const Graph &graph,
                                                   StringRef entryName) {
  // One context per module: ORC owns it with the module from here on.
  auto ctx = std::make_unique<LLVMContext>();
  Expected<LoweredGraph> lowered = lowerOnly(graph, *ctx, entryName);
  if (!lowered)
    return lowered.takeError();
  CompiledCode code;
  code.workspaceSize = lowered->workspaceSize;
  code.data = std::move(lowered->data);
  // Runs of code without parallel loops skip the thread pool.
  const Function *parallelFor =
      lowered->module->getFunction("qjit_parallel_for");
  code.usesThreads = parallelFor && !parallelFor->use_empty();
  if (Error err = addToSession(*lowered, std::move(ctx), entryName))
    return err;
  Expected<orc::ExecutorAddr> address = session->lookup(entryName);
  if (!address)
    return address.takeError();
  code.entry = *address;
  return code;
}

Expected<std::string> Jit::emitLLVMIR(const Graph &graph) {
  std::lock_guard<std::mutex> lock(impl->mutex);
  if (Error err = verifyGraph(graph))
    return err;
  LLVMContext ctx;
  Expected<LoweredGraph> lowered =
      impl->lower(graph, ctx, symbolName(graph.getName()));
  if (!lowered)
    return lowered.takeError();
  std::string text;
  raw_string_ostream os(text);
  lowered->module->print(os, nullptr);
  return text;
}

Expected<std::string> Jit::Impl::emitFile(const Graph &graph,
                                          CodeGenFileType type) {
  std::lock_guard<std::mutex> lock(mutex);
  if (Error err = verifyGraph(graph))
    return err;
  LLVMContext ctx;
  Expected<LoweredGraph> lowered =
      lower(graph, ctx, symbolName(graph.getName()));
  if (!lowered)
    return lowered.takeError();
  SmallString<0> buffer;
  raw_svector_ostream os(buffer);
  legacy::PassManager codegen;
  if (tm->addPassesToEmitFile(codegen, os, nullptr, type))
    return makeError("the target cannot emit this file type");
  codegen.run(*lowered->module);
  return std::string(buffer.str());
}

Expected<std::string> Jit::emitAssembly(const Graph &graph) {
  return impl->emitFile(graph, CodeGenFileType::AssemblyFile);
}

Expected<std::string> Jit::emitObject(const Graph &graph) {
  return impl->emitFile(graph, CodeGenFileType::ObjectFile);
}

} // namespace qjit
