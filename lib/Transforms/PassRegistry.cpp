//===- PassRegistry.cpp - Pass table, pipelines and their parser ----------===//
#include "qjit/Transforms/PassRegistry.h"
#include "qjit/IR/Verifier.h"
#include "Support/MakeError.h"
#include "qjit/Support/Error.h"
#include "qjit/Transforms/Passes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace qjit {

Pass::~Pass() = default;

llvm::Error GraphPass::runOnModule(Module &module) {
  for (Graph &graph : module.getGraphs())
    if (llvm::Error err = runOnGraph(graph))
      return err;
  return llvm::Error::success();
}

llvm::ArrayRef<PassInfo> registeredPasses() {
  static const PassInfo passes[] = {
#define QJIT_PASS(Name, Factory, Description) {Name, Description, &Factory},
#include "qjit/Transforms/PassRegistry.def"
  };
  return passes;
}

const PassInfo *findPass(llvm::StringRef name) {
  for (const PassInfo &info : registeredPasses())
    if (info.name == name)
      return &info;
  return nullptr;
}

void printPasses(llvm::raw_ostream &os) {
  size_t width = 0;
  for (const PassInfo &info : registeredPasses())
    width = std::max(width, info.name.size());
  for (const PassInfo &info : registeredPasses())
    os << "  " << llvm::left_justify(info.name, width) << "  "
       << info.description << '\n';
  os << "default pipeline (-O1 and above): " << defaultPipeline() << '\n';
}

llvm::Error PassPipeline::run(Module &module) const {
  for (const std::unique_ptr<Pass> &pass : passes) {
    if (llvm::Error err = pass->runOnModule(module))
      return attachLocation(std::move(err), {},
                            "pass '" + pass->getName().str() + "': ");
    if (!verifyEach)
      continue;
    if (llvm::Error err = verifyModule(module))
      return attachLocation(std::move(err), {},
                            "pass '" + pass->getName().str() +
                                "' produced invalid IR: ");
  }
  return llvm::Error::success();
}

llvm::StringRef defaultPipeline() { return "cse,dce,fuse-elementwise"; }

llvm::Expected<PassPipeline> parsePassPipeline(llvm::StringRef text) {
  auto known = [] {
    std::string names;
    llvm::ListSeparator sep(", ");
    for (const PassInfo &info : registeredPasses())
      names += (llvm::Twine(sep) + info.name).str();
    return names;
  };
  PassPipeline pipeline;
  if (text.trim().empty())
    return pipeline;
  llvm::SmallVector<llvm::StringRef, 8> names;
  text.split(names, ',');
  for (llvm::StringRef name : names) {
    name = name.trim();
    if (name.empty())
      return makeError("empty pass name in pipeline '{}'; known passes: {}",
                       text.str(), known());
    const PassInfo *info = findPass(name);
    if (!info)
      return makeError("unknown pass '{}'; known passes: {}", name.str(),
                       known());
    pipeline.addPass(info->create());
  }
  return pipeline;
}

} // namespace qjit
