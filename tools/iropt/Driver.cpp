//===- Driver.cpp - Parse, verify, transform, emit or run one case --------===//
#include "Driver.h"
#include "Inputs.h"
#include "TensorFormat.h"
#include "qjit/IR/Parser.h"
#include "qjit/IR/Printer.h"
#include "qjit/IR/Verifier.h"
#include "qjit/Interpreter/Interpreter.h"
#include "qjit/Support/Diagnostics.h"
#include "qjit/Support/Error.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/WithColor.h"
#include <algorithm>
#include <chrono>
#include "Support/MakeError.h"

namespace qjit {

namespace {

using Clock = std::chrono::steady_clock;

int64_t nanosecondsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() -
                                                              start)
      .count();
}

int64_t median(std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

} // namespace

Driver::Driver(DriverOptions options, PassPipeline pipeline)
    : options(std::move(options)), pipeline(std::move(pipeline)) {}

Driver::~Driver() = default;

bool Driver::processCase(llvm::SourceMgr &srcMgr, unsigned bufferId,
                         CaseOutput &out) {
  CaseOutput produced;
  llvm::Error err = runCase(srcMgr, bufferId, produced);
  bool ok;
  if (options.verifyDiagnostics) {
    // Errors are what the case is about: they must match its comments.
    DiagnosticVerifier verifier(srcMgr, bufferId);
    bool failed = static_cast<bool>(err);
    verifier.consume(std::move(err));
    ok = verifier.verify();
    if (failed)
      produced = {}; // a case that failed prints nothing, as it would without
  } else {
    ok = !reportErrors(srcMgr, std::move(err));
  }
  if (ok)
    out = std::move(produced);
  return ok;
}

llvm::Expected<Jit &> Driver::getJit() {
  if (!jit) {
    auto created = Jit::create(options.jit);
    if (!created)
      return created.takeError();
    jit = std::move(*created);
  }
  return *jit;
}

llvm::Error Driver::runCase(llvm::SourceMgr &srcMgr, unsigned bufferId,
                            CaseOutput &out) {
  bool compile =
      (options.run && options.engine == Engine::JIT) || options.timeCompile;
  // The JIT session is set up before the clock starts: --time-compile
  // measures what each graph costs, from its text to a callable function.
  if (compile || options.emit != EmitKind::IR)
    if (auto j = getJit(); !j)
      return j.takeError();
  Clock::time_point start = Clock::now();

  auto module = parseModule(srcMgr, bufferId);
  if (!module)
    return module.takeError();
  return runModule(
      *module, srcMgr,
      srcMgr.getMemoryBuffer(bufferId)->getBufferIdentifier(), start, out);
}

bool Driver::processModule(llvm::function_ref<llvm::Expected<Module>()> load,
                           llvm::StringRef name, CaseOutput &out) {
  llvm::SourceMgr srcMgr; // no text: messages have no locations
  CaseOutput produced;
  bool loadFailed = false;
  llvm::Error err = [&]() -> llvm::Error {
    bool compile =
        (options.run && options.engine == Engine::JIT) || options.timeCompile;
    if (compile || options.emit != EmitKind::IR)
      if (auto j = getJit(); !j)
        return j.takeError();
    // As for text, --time-compile counts from the file to a callable.
    Clock::time_point start = Clock::now();
    auto module = load();
    if (!module) {
      loadFailed = true;
      return module.takeError();
    }
    // The import alone too: compile-ns below counts it.
    if (options.timeCompile)
      produced.reports +=
          fmt::format("import-ns: {}\n", nanosecondsSince(start));
    return runModule(*module, srcMgr, name, start, produced);
  }();
  if (loadFailed) {
    // "iropt: error: m.onnx: node 'conv' (Conv): ...", as the driver's own.
    llvm::WithColor::error(llvm::errs(), "iropt")
        << llvm::toString(std::move(err)) << '\n';
    return false;
  }
  if (reportErrors(srcMgr, std::move(err)))
    return false;
  out = std::move(produced);
  return true;
}

llvm::Error Driver::runModule(Module &moduleRef, llvm::SourceMgr &srcMgr,
                              llvm::StringRef bufferName,
                              std::chrono::steady_clock::time_point start,
                              CaseOutput &out) {
  bool compile =
      (options.run && options.engine == Engine::JIT) || options.timeCompile;
  Module *module = &moduleRef;
  if (llvm::Error err = verifyModule(*module))
    return err;
  pipeline.setRemarkHandler([&](llvm::SMLoc loc, const std::string &text) {
    srcMgr.PrintMessage(llvm::errs(), loc, llvm::SourceMgr::DK_Remark, text);
  });
  if (llvm::Error err = pipeline.run(*module))
    return err;

  bool needGraph = options.run || options.emit != EmitKind::IR ||
                   options.timeCompile || !options.graphName.empty();
  const Graph *graph = nullptr;
  if (needGraph) {
    auto selected = selectGraph(*module, bufferName);
    if (!selected)
      return selected.takeError();
    graph = &*selected;
  }

  std::shared_ptr<const CompiledGraph> compiled;
  if (compile) {
    DiskCacheStats before = jit->diskCacheStats();
    auto result = jit->compile(*graph);
    if (!result)
      return result.takeError();
    compiled = std::move(*result);
    if (options.timeCompile)
      out.reports += fmt::format("compile-ns: {}\n", nanosecondsSince(start));
    std::string cacheLine =
        cacheReporter.report(before, jit->diskCacheStats(), llvm::errs());
    if (options.timeCompile && !jit->getOptions().cacheDir.empty())
      out.reports += cacheLine;
  }

  if (!options.run)
    return emit(*module, graph, out);
  return runGraph(*graph, compiled.get(), out);
}

llvm::Error Driver::runGraph(const Graph &graph, const CompiledGraph *compiled,
                             CaseOutput &out) {
  llvm::SmallVector<TensorType, 4> types;
  for (ValueId id : graph.getInputs())
    types.push_back(graph.getType(id));
  uint64_t used = 0; // bytes the run allocates, within its limits
  const MemoryLimits &limits = options.runOptions.limits;
  auto inputs =
      prepareInputs(types, options.inputFiles, options.seed, limits, used);
  if (!inputs)
    return inputs.takeError();

  // One run whose outputs are kept (the warm-up), then --repeat timed runs.
  std::vector<Tensor> outputs;
  std::vector<int64_t> times;
  if (compiled) {
    auto result = compiled->run(*inputs, options.runOptions);
    if (!result)
      return result.takeError();
    outputs = std::move(*result);
    std::vector<TensorRef> inRefs, outRefs;
    for (Tensor &t : *inputs)
      inRefs.push_back(t.ref());
    // Timed runs write into buffers of their own so the printed outputs
    // come from the first run whatever happens later.
    std::vector<Tensor> scratch;
    used += compiled->getWorkspaceSize();
    for (const Tensor &t : outputs)
      used += t.sizeInBytes();
    for (size_t i = 0; options.repeat && i < outputs.size(); ++i) {
      if (auto err = limits.reserve(outputs[i].getType(),
                                    fmt::format("--repeat's copy of output {}", i),
                                    used))
        return err;
      auto copy = Tensor::allocate(outputs[i].getType());
      if (!copy)
        return copy.takeError();
      scratch.push_back(std::move(*copy));
    }
    // After the vector stops growing: growing copies its tensors.
    for (Tensor &t : scratch)
      outRefs.push_back(t.ref());
    for (unsigned i = 0; i < options.repeat; ++i) {
      Clock::time_point runStart = Clock::now();
      if (llvm::Error err = compiled->run(inRefs, outRefs, options.runOptions))
        return err;
      times.push_back(nanosecondsSince(runStart));
    }
  } else {
    auto result = interpret(graph, *inputs, limits);
    if (!result)
      return result.takeError();
    outputs = std::move(*result);
    for (unsigned i = 0; i < options.repeat; ++i) {
      Clock::time_point runStart = Clock::now();
      auto again = interpret(graph, *inputs, limits);
      if (!again)
        return again.takeError();
      times.push_back(nanosecondsSince(runStart));
    }
  }

  if (!options.outputDir.empty()) {
    out.files = npyOutputFiles(options.outputDir, outputs);
  } else {
    llvm::raw_string_ostream os(out.output);
    for (size_t i = 0; i < outputs.size(); ++i) {
      os << "output" << i << ": " << outputs[i].getType().toString() << '\n';
      printTensorValues(os, outputs[i]);
    }
  }
  if (!times.empty())
    out.reports += fmt::format("run-median-ns: {}\n", median(times));
  return llvm::Error::success();
}

llvm::Expected<const Graph &> Driver::selectGraph(const Module &module,
                                                  llvm::StringRef bufferName) {
  if (module.getGraphs().empty())
    return makeError("{} holds no graph", bufferName.str());
  if (options.graphName.empty())
    return module.getGraphs().front();
  if (const Graph *g = module.findGraph(options.graphName))
    return *g;
  std::string names;
  llvm::ListSeparator sep(", ");
  for (const Graph &g : module.getGraphs())
    names += (llvm::Twine(sep) + "@" + g.getName()).str();
  return makeError("{} has no graph @{} (it has {})", bufferName.str(),
                   options.graphName, names);
}

llvm::Error Driver::emit(const Module &module, const Graph *graph,
                         CaseOutput &out) {
  llvm::Expected<std::string> text = std::string();
  switch (options.emit) {
  case EmitKind::IR: {
    llvm::raw_string_ostream os(*text);
    if (graph && !options.graphName.empty())
      printGraph(os, *graph);
    else
      printModule(os, module);
    break;
  }
  case EmitKind::LLVM:
    text = jit->emitLLVMIR(*graph);
    break;
  case EmitKind::Assembly:
    text = jit->emitAssembly(*graph);
    break;
  case EmitKind::Object:
    text = jit->emitObject(*graph);
    break;
  case EmitKind::Bundle: {
    // Every graph of the module, or the one --graph names.
    std::vector<const Graph *> graphs;
    if (!options.graphName.empty())
      graphs.push_back(graph);
    else
      for (const Graph &g : module.getGraphs())
        graphs.push_back(&g);
    return jit->emitBundle(graphs, options.bundleDir, options.bundleName);
  }
  }
  if (!text)
    return text.takeError();
  out.output += *text;
  return llvm::Error::success();
}

} // namespace qjit
