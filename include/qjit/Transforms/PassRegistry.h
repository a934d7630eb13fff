//===- PassRegistry.h - Looking up passes and running pipelines -*- C++ -*-===//
#ifndef QJIT_TRANSFORMS_PASSREGISTRY_H
#define QJIT_TRANSFORMS_PASSREGISTRY_H

#include "qjit/Transforms/Pass.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"
#include <memory>
#include <vector>

namespace qjit {

struct PassInfo {
  llvm::StringRef name;
  llvm::StringRef description;
  std::unique_ptr<Pass> (*create)();
};

// Every pass of PassRegistry.def, in its order.
llvm::ArrayRef<PassInfo> registeredPasses();
// The pass called `name`, or nullptr.
const PassInfo *findPass(llvm::StringRef name);
// One line per pass: its name and description (iropt --print-passes).
void printPasses(llvm::raw_ostream &os);

// Passes run in order over a module.
class PassPipeline {
public:
  void addPass(std::unique_ptr<Pass> pass) {
    passes.push_back(std::move(pass));
  }
  bool empty() const { return passes.empty(); }
  size_t size() const { return passes.size(); }

  // After each pass the module is verified (unless disabled), so a pass that
  // breaks the IR is named instead of failing somewhere later.
  void setVerifyEach(bool verify) { verifyEach = verify; }
  // Every pass's remarks go to `handler`.
  void setRemarkHandler(const RemarkHandler &handler) {
    for (std::unique_ptr<Pass> &pass : passes)
      pass->setRemarkHandler(handler);
  }

  llvm::Error run(Module &module) const;

private:
  std::vector<std::unique_ptr<Pass>> passes;
  bool verifyEach = true;
};

// Parses a comma-separated list of pass names ("dce,cse"; spaces around names
// are ignored). An unknown or empty name is an error that lists the known
// passes.
llvm::Expected<PassPipeline> parsePassPipeline(llvm::StringRef text);

// The graph passes Jit::compile (and iropt's --run and --emit=llvm|asm|obj)
// runs before lowering at -O1 and above: passes that make the code faster
// and leave the outputs as they were (up to fusion's two documented
// exceptions; README, "The default pipeline").
llvm::StringRef defaultPipeline();

} // namespace qjit

#endif
