//===- CachedCompiler.cpp -------------------------------------------------===//
#include "CachedCompiler.h"
#include "llvm/ExecutionEngine/Orc/ObjectTransformLayer.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Target/TargetMachine.h"
#include <unordered_map>
#include "Support/MakeError.h"

using namespace llvm;

namespace qjit {

// The object files the session links while a compile is in progress: ORC
// compiles a module when its entry is looked up, and every object it makes
// passes through the object transform layer on its way to the linker.
struct CachedCompiler::ObjectCapture {
  std::mutex mutex; // ORC may compile on its own threads
  bool active = false;
  std::vector<std::string> objects;
};

CachedCompiler::CachedCompiler(std::string directory, orc::LLJIT &session)
    : cache(std::move(directory)), session(session),
      capture(std::make_shared<ObjectCapture>()) {
  session.getObjTransformLayer().setTransform(
      [capture = capture](std::unique_ptr<MemoryBuffer> object)
          -> Expected<std::unique_ptr<MemoryBuffer>> {
        std::lock_guard<std::mutex> lock(capture->mutex);
        if (capture->active)
          capture->objects.push_back(object->getBuffer().str());
        return object;
      });
}

namespace {

// Why `object` cannot hold the code of an entry named `symbol` for `tm`, or
// "" if it can.
std::string checkObject(MemoryBufferRef object, StringRef symbol,
                        const TargetMachine &tm, bool &definesSymbol) {
  Expected<std::unique_ptr<object::ObjectFile>> file =
      object::ObjectFile::createObjectFile(object);
  if (!file)
    return "its object file does not parse: " + toString(file.takeError());
  if ((*file)->getArch() != tm.getTargetTriple().getArch())
    return "its object file is for another architecture";
  for (const object::SymbolRef &sym : (*file)->symbols()) {
    Expected<StringRef> name = sym.getName();
    Expected<uint32_t> flags = sym.getFlags();
    if (!name || !flags) {
      consumeError(name.takeError());
      consumeError(flags.takeError());
      return "its object file's symbol table does not parse";
    }
    if (*name == symbol && (*flags & object::SymbolRef::SF_Global) &&
        !(*flags & object::SymbolRef::SF_Undefined))
      definesSymbol = true;
  }
  return "";
}

} // namespace

Expected<std::optional<CompiledCode>>
CachedCompiler::loadEntry(const Graph &graph, const TargetMachine &tm,
                          const DiskCacheKey &key,
                          const DiskCacheEntry &entry) {
  auto reject = [&](const Twine &why) -> std::optional<CompiledCode> {
    cache.noteRejected(key, why.str());
    return std::nullopt;
  };
  CompiledCode code;
  code.workspaceSize = entry.workspaceSize;
  code.usesThreads = entry.usesThreads;
  std::vector<std::shared_ptr<const DenseData>> graphData = distinctData(graph);
  for (const DiskCacheEntry::DataSlot &slot : entry.data) {
    if (!slot.inGraph) {
      Expected<std::shared_ptr<const DenseData>> bytes =
          DenseData::copy(slot.bytes);
      if (!bytes)
        return bytes.takeError();
      code.data.push_back(std::move(*bytes));
      continue;
    }
    if (slot.graphIndex >= graphData.size() ||
        graphData[slot.graphIndex]->size() != slot.size ||
        graphData[slot.graphIndex]->contentHash() != slot.contentHash)
      return reject("its data slots do not match the graph's constants");
    code.data.push_back(graphData[slot.graphIndex]);
  }

  if (auto it = defined.find(entry.entryName); it != defined.end()) {
    if (it->second.key != key)
      return reject("its entry symbol " + entry.entryName +
                    " names another graph's code in this session");
    code.entry = it->second.address;
    return code;
  }
  // The name in the object file (the prefix is '\0' for ELF: none).
  std::string symbol = entry.entryName;
  if (char prefix = session.getDataLayout().getGlobalPrefix())
    symbol.insert(symbol.begin(), prefix);
  if (entry.objects.empty())
    return reject("it holds no object file");
  // Copies: an object within the entry need not be aligned as ELF wants.
  std::vector<std::unique_ptr<MemoryBuffer>> objects;
  bool definesSymbol = false;
  for (StringRef object : entry.objects) {
    objects.push_back(
        MemoryBuffer::getMemBufferCopy(object, cache.pathOf(key)));
    if (std::string problem = checkObject(objects.back()->getMemBufferRef(),
                                          symbol, tm, definesSymbol);
        !problem.empty())
      return reject(problem);
  }
  if (!definesSymbol)
    return reject("its object files do not define " + entry.entryName);

  // From here on the session holds the code: a failure is an error, not a
  // recompile (which would define the same symbols again).
  for (std::unique_ptr<MemoryBuffer> &object : objects)
    if (Error err = session.addObjectFile(std::move(object)))
      return err;
  Expected<orc::ExecutorAddr> address = session.lookup(entry.entryName);
  if (!address)
    return address.takeError();
  code.entry = *address;
  defined[entry.entryName] = {key, *address};
  return code;
}

DiskCacheEntry CachedCompiler::describe(const Graph &graph, StringRef entryName,
                                        const CompiledCode &code,
                                        ArrayRef<std::string> objects) const {
  DiskCacheEntry entry;
  entry.entryName = entryName.str();
  entry.workspaceSize = code.workspaceSize;
  entry.usesThreads = code.usesThreads;
  entry.objects.assign(objects.begin(), objects.end());
  // A slot whose bytes the graph holds refers to them; others (made by the
  // lowering) are stored.
  std::vector<std::shared_ptr<const DenseData>> graphData = distinctData(graph);
  std::unordered_multimap<uint64_t, size_t> byHash;
  for (size_t i = 0; i < graphData.size(); ++i)
    byHash.emplace(graphData[i]->contentHash(), i);
  for (const std::shared_ptr<const DenseData> &bytes : code.data) {
    DiskCacheEntry::DataSlot slot;
    slot.size = bytes->size();
    slot.contentHash = bytes->contentHash();
    slot.inGraph = false;
    auto [begin, end] = byHash.equal_range(bytes->contentHash());
    for (auto it = begin; it != end && !slot.inGraph; ++it)
      if (graphData[it->second]->sameBytes(*bytes)) {
        slot.inGraph = true;
        slot.graphIndex = it->second;
      }
    if (!slot.inGraph)
      slot.bytes = bytes->getBytes();
    entry.data.push_back(std::move(slot));
  }
  return entry;
}

Expected<CompiledCode> CachedCompiler::compile(const Graph &graph,
                                               const TargetMachine &tm,
                                               StringRef settings,
                                               StringRef entryBase,
                                               CompileFn compileInSession) {
  DiskCacheKey key = computeDiskCacheKey(graph, tm, settings);
  if (std::optional<DiskCache::Loaded> entry = cache.load(key)) {
    Expected<std::optional<CompiledCode>> loaded =
        loadEntry(graph, tm, key, entry->entry);
    if (!loaded)
      return loaded.takeError();
    if (*loaded) {
      cache.noteHit();
      return std::move(**loaded);
    }
  }

  // The key in the name keeps entry symbols of different graphs apart when
  // one session loads objects compiled by many processes.
  std::string entryName = (entryBase + "_" + toHex(key).substr(0, 16)).str();
  if (defined.count(entryName)) {
    entryName += '_';
    entryName += std::to_string(defined.size());
  }
  {
    std::lock_guard<std::mutex> lock(capture->mutex);
    capture->active = true;
    capture->objects.clear();
  }
  Expected<CompiledCode> code = compileInSession(entryName);
  std::vector<std::string> objects;
  {
    std::lock_guard<std::mutex> lock(capture->mutex);
    capture->active = false;
    objects = std::move(capture->objects);
    capture->objects.clear();
  }
  if (!code)
    return code.takeError();
  cache.noteMiss();
  defined[entryName] = {key, code->entry};
  if (objects.empty())
    cache.noteWriteFailure(key, "ORC compiled no object file");
  else
    cache.store(key, describe(graph, entryName, *code, objects));
  return code;
}

} // namespace qjit
