//===- SplitCompile.cpp ---------------------------------------------------===//

#include "SplitCompile.h"

#include "Runtime/TsanEdges.h"
#include "qjit/CodeGen/CodeGen.h"

#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/ExecutionEngine/Orc/CompileUtils.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/LLVMContext.h"

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <numeric>

using namespace llvm;

namespace qjit {

Expected<std::vector<TargetMachine *>> TargetMachinePool::get(size_t count) {
  while (machines.size() < count) {
    Expected<std::unique_ptr<TargetMachine>> tm =
        builder.createTargetMachine();
    if (!tm)
      return tm.takeError();
    machines.push_back(std::move(*tm));
  }
  std::vector<TargetMachine *> result;
  for (size_t i = 0; i < count; ++i)
    result.push_back(machines[i].get());
  return result;
}

namespace {

// Fewer kernels per part than this and the threads' start, the bitcode and
// the extra link cost more than the part saves.
constexpr unsigned kMinKernelsPerPart = 8;
// Parts per thread, taken by the threads as they come free: instruction
// counts predict a part's compile time loosely (one of two parts of
// MobileNetV2 took 310-360 ms, the other 410-520), and smaller modules cost
// less in all (four parts of it took 5-10% less CPU time than two).
constexpr unsigned kPartsPerThread = 2;

// The functions `module` defines, in module order.
std::vector<Function *> definedFunctions(llvm::Module &module) {
  std::vector<Function *> functions;
  for (Function &fn : module)
    if (!fn.isDeclaration())
      functions.push_back(&fn);
  return functions;
}

// Which part defines each function, by name: a kernel goes with the
// functions it refers to (its parallel loop bodies, which only it calls),
// and the groups are dealt largest first to the part with the fewest
// instructions so far.
StringMap<unsigned> assignParts(llvm::Module &module, const Function &entry,
                                unsigned parts) {
  std::vector<Function *> functions = definedFunctions(module);
  EquivalenceClasses<const Function *> groups;
  for (Function *fn : functions) {
    groups.insert(fn);
    for (const User *user : fn->users())
      if (auto *inst = dyn_cast<Instruction>(user)) {
        const Function *referrer = inst->getFunction();
        if (referrer != &entry)
          groups.unionSets(fn, referrer);
      }
  }
  struct Group {
    const Function *leader;
    size_t size = 0;
  };
  std::vector<Group> sized;
  DenseMap<const Function *, size_t> indexOfLeader;
  for (Function *fn : functions) {
    const Function *leader = groups.getLeaderValue(fn);
    auto [it, inserted] = indexOfLeader.try_emplace(leader, sized.size());
    if (inserted)
      sized.push_back({leader});
    sized[it->second].size += fn->getInstructionCount();
  }
  // Stable: equal sizes keep module order, so the parts do not depend on
  // pointer values.
  std::stable_sort(sized.begin(), sized.end(),
                   [](const Group &a, const Group &b) { return a.size > b.size; });
  std::vector<size_t> load(parts, 0);
  DenseMap<const Function *, unsigned> partOfLeader;
  for (const Group &group : sized) {
    unsigned part = std::min_element(load.begin(), load.end()) - load.begin();
    load[part] += group.size;
    partOfLeader[group.leader] = part;
  }
  StringMap<unsigned> partOf;
  for (Function *fn : functions)
    partOf[fn->getName()] = partOfLeader[groups.getLeaderValue(fn)];
  return partOf;
}

// Gives every internal function a hidden, session-unique name, so that a
// part can call a function another part defines. Internal constants stay
// internal: each part that uses one gets its own copy.
void externalizeFunctions(llvm::Module &module, StringRef entryName) {
  for (Function &fn : module) {
    if (fn.isDeclaration() || !fn.hasLocalLinkage())
      continue;
    std::string name =
        (entryName + "." + (fn.hasName() ? fn.getName() : "fn")).str();
    fn.setName(name); // made unique if taken
    fn.setLinkage(GlobalValue::ExternalLinkage);
    fn.setVisibility(GlobalValue::HiddenVisibility);
    fn.setDSOLocal(true);
  }
}

// Keeps in `module` (a copy of the whole) only what `part` defines: other
// functions become declarations, constants no part of it uses go.
void keepPart(llvm::Module &module, const StringMap<unsigned> &partOf,
              unsigned part) {
  for (Function &fn : module) {
    auto it = partOf.find(fn.getName());
    if (!fn.isDeclaration() && it != partOf.end() && it->second != part) {
      fn.deleteBody();
      fn.setVisibility(GlobalValue::HiddenVisibility);
      fn.setDSOLocal(true);
    }
  }
  for (GlobalVariable &global : make_early_inc_range(module.globals())) {
    global.removeDeadConstantUsers();
    if (global.hasLocalLinkage() && global.use_empty())
      global.eraseFromParent();
  }
}

// Optimizes and compiles one part, parsed from the whole module's bitcode
// into a context of its own.
Expected<std::unique_ptr<MemoryBuffer>>
compilePart(StringRef bitcode, const StringMap<unsigned> &partOf,
            unsigned part, TargetMachine &tm, unsigned optLevel) {
  LLVMContext ctx;
  Expected<std::unique_ptr<llvm::Module>> module =
      parseBitcodeFile(MemoryBufferRef(bitcode, "split-compile"), ctx);
  if (!module)
    return module.takeError();
  keepPart(**module, partOf, part);
  optimizeModule(**module, tm, optLevel);
  orc::SimpleCompiler compile(tm);
  return compile(**module);
}

} // namespace

unsigned splitCompileParts(llvm::Module &module, unsigned threads) {
  if (threads < 2 || !keepsKernelsApart(module))
    return 1;
  size_t functions = definedFunctions(module).size();
  return std::clamp<size_t>(functions / kMinKernelsPerPart, 1,
                            size_t(threads) * kPartsPerThread);
}

Expected<std::vector<std::unique_ptr<MemoryBuffer>>>
splitCompile(llvm::Module &module, StringRef entryName, unsigned parts,
             unsigned threads, TargetMachinePool &machines, unsigned optLevel) {
  Function *entry = module.getFunction(entryName);
  if (!entry || entry->isDeclaration())
    return createStringError(inconvertibleErrorCode(),
                             "the module has no entry function " + entryName);
  // Decided on the whole module: within a part, the kernels are no longer
  // internal functions only the entry calls.
  if (optLevel >= 1)
    decideKernelInlining(module);
  externalizeFunctions(module, entryName);
  StringMap<unsigned> partOf = assignParts(module, *entry, parts);

  SmallVector<char, 0> bitcode;
  {
    raw_svector_ostream os(bitcode);
    WriteBitcodeToFile(module, os);
  }
  Expected<std::vector<TargetMachine *>> tms = machines.get(parts);
  if (!tms)
    return tms.takeError();

  std::vector<std::unique_ptr<MemoryBuffer>> objects(parts);
  std::vector<std::string> failures(parts);
  StringRef bitcodeRef(bitcode.data(), bitcode.size());
  // One part per task. oneTBB's spawn and join, stated for TSan
  // (Runtime/TsanEdges.h), as qjit_parallel_for does: the body oneTBB copies
  // reaches the edges before it reads anything else.
  ForkJoinEdges edges;
  auto compileParts = [&](const oneapi::tbb::blocked_range<unsigned> &range) {
    edges.started();
    for (unsigned part = range.begin(); part != range.end(); ++part) {
      Expected<std::unique_ptr<MemoryBuffer>> object =
          compilePart(bitcodeRef, partOf, part, *(*tms)[part], optLevel);
      if (object)
        objects[part] = std::move(*object);
      else
        failures[part] = toString(object.takeError());
    }
    edges.finished();
  };
  // At most `threads` at once: an arena of that many slots, the caller's
  // included, and no more than the cores (oneTBB warns on stderr when an
  // arena asks for more workers than it has).
  oneapi::tbb::task_arena arena(
      std::clamp(int(threads), 1, oneapi::tbb::info::default_concurrency()));
  edges.fork();
  arena.execute([&] {
    oneapi::tbb::parallel_for(
        oneapi::tbb::blocked_range<unsigned>(0, parts, 1), compileParts,
        oneapi::tbb::simple_partitioner());
  });
  edges.joined();
  for (const std::string &failure : failures)
    if (!failure.empty())
      return createStringError(inconvertibleErrorCode(), failure);
  return objects;
}

} // namespace qjit
