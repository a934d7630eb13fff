//===- Bundle.cpp - Ahead-of-time compiled graphs -------------------------===//
//
// Each graph is transformed by the default passes (at -O1 and above, unless
// JitOptions::defaultPasses is off), lowered and optimized exactly as
// Jit::compile does it, then given its C entry (BundleEntry.cpp); the
// modules are linked into one and compiled to a position-independent object
// for the Jit's CPU and features.
// The object references only the runtime's C functions (lib/Runtime), libm
// and libmvec and libc: no LLVM.
//
//===----------------------------------------------------------------------===//
#include "qjit/JIT/Bundle.h"
#include "BundleParts.h"
#include "TargetSelection.h"
#include "qjit/IR/DenseData.h"
#include "qjit/IR/Verifier.h"
#include "qjit/Transforms/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include <mutex>
#include "Support/MakeError.h"

using namespace llvm;

namespace qjit {
namespace {

// C11/C23 and C++ keywords: a function may not be named after one, in a
// header that C and C++ include.
bool isKeyword(StringRef name) {
  static const StringSet<> keywords = {
      "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic",
      "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local",
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand",
      "bitor", "bool", "break", "case", "catch", "char", "char8_t",
      "char16_t", "char32_t", "class", "compl", "concept", "const",
      "consteval", "constexpr", "constinit", "const_cast", "continue",
      "co_await", "co_return", "co_yield", "decltype", "default", "delete",
      "do", "double", "dynamic_cast", "else", "enum", "explicit", "export",
      "extern", "false", "float", "for", "friend", "goto", "if", "inline",
      "int", "long", "main", "mutable", "namespace", "new", "noexcept", "not",
      "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected",
      "public", "register", "reinterpret_cast", "requires", "restrict",
      "return", "short", "signed", "sizeof", "static", "static_assert",
      "static_cast", "struct", "switch", "template", "this", "thread_local",
      "throw", "true", "try", "typedef", "typeid", "typename", "typeof",
      "typeof_unqual", "union", "unsigned", "using", "virtual", "void",
      "volatile", "wchar_t", "while", "xor", "xor_eq"};
  return keywords.contains(name);
}

void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
  });
}

// A bundle's object is linked into programs, usually position-independent
// executables: PIC, small code model (code and data within 2 GiB).
constexpr uint64_t kMaxDataBytes = uint64_t(1) << 30;

Expected<std::unique_ptr<TargetMachine>>
bundleTargetMachine(const JitOptions &options) {
  initializeNativeTarget();
  Expected<orc::JITTargetMachineBuilder> builder = selectTarget(options);
  if (!builder)
    return builder.takeError();
  builder->setRelocationModel(Reloc::PIC_);
  builder->setCodeModel(CodeModel::Small);
  return builder->createTargetMachine();
}

} // namespace

std::string bundleCName(StringRef text) {
  std::string name;
  for (char c : text)
    name += isAlnum(c) || c == '_' ? c : '_';
  if (name.empty())
    return "graph";
  StringRef ref(name);
  if (isDigit(name[0]) || name[0] == '_' || ref.starts_with("qjit_") ||
      ref.starts_with("QJIT_"))
    name = "graph_" + name;
  if (isKeyword(name))
    name += '_';
  return name;
}

Expected<std::vector<BundleFile>>
compileBundle(ArrayRef<const Graph *> graphs, StringRef name,
              const JitOptions &options) {
  if (graphs.empty())
    return makeError("a bundle needs at least one graph");
  auto tm = bundleTargetMachine(options);
  if (!tm)
    return tm.takeError();

  StringMap<const Graph *> byCName;
  std::vector<BundleGraph> described;
  for (const Graph *graph : graphs) {
    if (Error err = verifyGraph(*graph))
      return err;
    std::string cName = bundleCName(graph->getName());
    auto [it, inserted] = byCName.try_emplace(cName, graph);
    if (!inserted)
      return makeError("graphs @{} and @{} would both be the bundle's C "
                       "function '{}'; rename one",
                       it->second->getName().str(), graph->getName().str(),
                       cName);
    described.push_back({graph, cName, 0});
  }

  LLVMContext ctx;
  std::unique_ptr<llvm::Module> linked;
  uint64_t dataBytes = 0;
  bool defaultPasses = options.defaultPasses && options.optLevel >= 1;
  for (BundleGraph &g : described) {
    // As Jit::compile: the default passes run over a copy of the graph.
    Module transformed;
    const Graph *toLower = g.graph;
    if (defaultPasses) {
      Expected<PassPipeline> pipeline = parsePassPipeline(defaultPipeline());
      if (!pipeline)
        return pipeline.takeError();
      toLower = &transformed.addGraph(*g.graph);
      if (Error err = pipeline->run(transformed))
        return err;
    }
    Expected<LoweredGraph> lowered =
        lowerGraph(*toLower, ctx, **tm, "qjit." + g.cName);
    if (!lowered)
      return lowered.takeError();
    optimizeModule(*lowered->module, **tm, options.optLevel);
    for (const std::shared_ptr<const DenseData> &bytes : lowered->data)
      dataBytes += bytes->size();
    if (dataBytes > kMaxDataBytes)
      return makeError("the bundle's data constants take more than the "
                       "{} bytes an object file of the small code model may "
                       "hold",
                       kMaxDataBytes);
    addBundleEntry(*toLower, *lowered, g.cName);
    g.workspaceSize = lowered->workspaceSize;
    if (!linked)
      linked = std::move(lowered->module);
    else if (Linker::linkModules(*linked, std::move(lowered->module)))
      return makeError("internal error: cannot link the module of graph @{} "
                       "into the bundle",
                       g.graph->getName().str());
  }
  if (llvm::verifyModule(*linked, &errs()))
    return makeError("internal error: the bundle's LLVM IR is invalid");

  SmallString<0> object;
  raw_svector_ostream os(object);
  legacy::PassManager codegen;
  if ((*tm)->addPassesToEmitFile(codegen, os, nullptr,
                                 CodeGenFileType::ObjectFile))
    return makeError("the target cannot emit object files");
  codegen.run(*linked);

  std::string bundleName = bundleCName(name);
  return std::vector<BundleFile>{
      {bundleName + ".o", std::string(object.str())},
      {bundleName + ".h",
       bundleHeader(bundleName, described, **tm, options.optLevel)}};
}

Error writeBundle(ArrayRef<BundleFile> files, StringRef dir) {
  if (dir.empty())
    return makeError("the bundle's directory name is empty");
  bool created = false;
  if (sys::fs::exists(dir)) {
    if (!sys::fs::is_directory(dir))
      return makeError("cannot write the bundle into '{}': it exists and is "
                       "not a directory",
                       dir.str());
  } else if (std::error_code ec = sys::fs::create_directory(dir)) {
    return makeError("cannot create the bundle's directory '{}': {}",
                     dir.str(), ec.message());
  } else {
    created = true;
  }

  std::vector<sys::fs::TempFile> written;
  auto discardAll = [&] {
    for (sys::fs::TempFile &t : written)
      consumeError(t.discard());
    if (created)
      sys::fs::remove(dir);
  };
  std::vector<std::string> paths;
  for (const BundleFile &file : files) {
    SmallString<256> path(dir);
    sys::path::append(path, file.name);
    paths.push_back(path.str().str());
    if (sys::fs::is_directory(path)) {
      discardAll();
      return makeError("cannot write '{}': it is a directory", paths.back());
    }
    auto temp = sys::fs::TempFile::create(path + ".tmp-%%%%%%%%");
    if (!temp) {
      discardAll();
      return makeError("cannot write '{}': {}", paths.back(),
                       toString(temp.takeError()));
    }
    raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os << file.contents;
    os.flush();
    if (os.has_error()) {
      std::string message = os.error().message();
      os.clear_error();
      consumeError(temp->discard());
      discardAll();
      return makeError("cannot write '{}': {}", paths.back(), message);
    }
    written.push_back(std::move(*temp));
  }
  // Every file is complete: move them into place.
  for (size_t i = 0; i < written.size(); ++i)
    if (Error err = written[i].keep(paths[i])) {
      for (size_t j = i + 1; j < written.size(); ++j)
        consumeError(written[j].discard());
      return makeError("cannot write '{}': {}", paths[i],
                       toString(std::move(err)));
    }
  return Error::success();
}

Error emitBundle(ArrayRef<const Graph *> graphs, StringRef dir, StringRef name,
                 const JitOptions &options) {
  auto files = compileBundle(graphs, name, options);
  if (!files)
    return files.takeError();
  return writeBundle(*files, dir);
}

Error Jit::emitBundle(ArrayRef<const Graph *> graphs, StringRef dir,
                      StringRef name) const {
  return qjit::emitBundle(graphs, dir, name, getOptions());
}

} // namespace qjit
