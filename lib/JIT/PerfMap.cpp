//===- PerfMap.cpp - Names of JIT-compiled functions for perf -------------===//
#include "PerfMap.h"
#include "llvm/ExecutionEngine/JITLink/JITLink.h"
#include "llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdlib>
#include <mutex>
#include <unistd.h>

using namespace llvm;

namespace qjit {
namespace {

class PerfMapPlugin : public orc::ObjectLinkingLayer::Plugin {
public:
  void modifyPassConfig(orc::MaterializationResponsibility &,
                        jitlink::LinkGraph &,
                        jitlink::PassConfiguration &config) override {
    config.PostFixupPasses.push_back(
        [this](jitlink::LinkGraph &graph) { return write(graph); });
  }
  Error notifyFailed(orc::MaterializationResponsibility &) override {
    return Error::success();
  }
  Error notifyRemovingResources(orc::JITDylib &, orc::ResourceKey) override {
    return Error::success();
  }
  void notifyTransferringResources(orc::JITDylib &, orc::ResourceKey,
                                   orc::ResourceKey) override {}

private:
  Error write(jitlink::LinkGraph &graph) {
    std::string lines;
    raw_string_ostream os(lines);
    for (jitlink::Symbol *sym : graph.defined_symbols())
      if (sym->isCallable() && sym->hasName() && sym->getSize())
        os << format("%llx %llx ",
                     (unsigned long long)sym->getAddress().getValue(),
                     (unsigned long long)sym->getSize())
           << sym->getName() << '\n';
    std::lock_guard<std::mutex> lock(mutex);
    std::error_code ec;
    raw_fd_ostream map(("/tmp/perf-" + Twine(getpid()) + ".map").str(), ec,
                       sys::fs::OF_Append);
    if (!ec)
      map << lines;
    return Error::success(); // a profiling aid: never fails a link
  }
  std::mutex mutex;
};

} // namespace

void addPerfMapIfRequested(orc::LLJIT &jit) {
  if (!std::getenv("QJIT_PERF_MAP"))
    return;
  if (auto *layer =
          dyn_cast<orc::ObjectLinkingLayer>(&jit.getObjLinkingLayer()))
    layer->addPlugin(std::make_unique<PerfMapPlugin>());
}

} // namespace qjit
