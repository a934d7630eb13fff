//===- TargetSelection.cpp - The CPU a Jit compiles for -------------------===//
#include "TargetSelection.h"
#include "qjit/Support/Error.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/TargetParser/Host.h"
#include <memory>
#include "Support/MakeError.h"

using namespace llvm;

namespace qjit {

Expected<orc::JITTargetMachineBuilder> selectTarget(const JitOptions &options) {
  if (options.optLevel > 3)
    return makeError("optimization level must be 0 to 3, got {}",
                     options.optLevel);
  Expected<orc::JITTargetMachineBuilder> builder =
      orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();

  // Check the names against the target's tables so a typo is an error
  // rather than LLVM's warning on stderr.
  const Triple &triple = builder->getTargetTriple();
  std::string lookupError;
  const Target *target =
      TargetRegistry::lookupTarget(triple.str(), lookupError);
  if (!target)
    return makeError("no target for {}: {}", triple.str(), lookupError);
  std::unique_ptr<MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(triple.str(), "", ""));
  if (!options.cpu.empty()) {
    if (!generic->isCPUStringValid(options.cpu))
      return makeError("unknown CPU '{}' for {}", options.cpu, triple.str());
    builder->setCPU(options.cpu);
    builder->setFeatures("");
  }
  if (!options.features.empty()) {
    SmallVector<StringRef> features;
    SplitString(options.features, features, ",");
    std::vector<std::string> checked;
    for (StringRef feature : features) {
      feature = feature.trim();
      StringRef name = feature.drop_front();
      bool known =
          any_of(generic->getAllProcessorFeatures(),
                 [&](const SubtargetFeatureKV &kv) { return name == kv.Key; });
      if ((!feature.starts_with("+") && !feature.starts_with("-")) || !known)
        return makeError("bad CPU feature '{}': want +name or -name with a "
                         "feature of {}",
                         feature.str(), triple.str());
      checked.push_back(feature.str());
    }
    builder->addFeatures(checked);
  }
  builder->setCodeGenOptLevel(options.optLevel == 0   ? CodeGenOptLevel::None
                              : options.optLevel == 1 ? CodeGenOptLevel::Less
                              : options.optLevel == 2
                                  ? CodeGenOptLevel::Default
                                  : CodeGenOptLevel::Aggressive);
  return std::move(*builder);
}

// Whether code generated for a target with `feature` may contain its
// instructions: the vector, arithmetic and bit-manipulation extensions.
// System features (pku, sgx, xsave, rdrnd, ...) are emitted only through
// their own intrinsics, which qjit never uses, and hypervisors often hide
// them, so they are not required of the host.
bool changesGeneratedCode(StringRef feature) {
  static constexpr StringLiteral prefixes[] = {
      "sse", "ssse3", "avx", "fma", "f16c", "bmi", "lzcnt", "popcnt",
      "movbe", "cx16", "sahf", "adx", "aes", "pclmul", "vpclmulqdq", "gfni",
      "vaes", "sha", "amx", "xop", "tbm", "cmov", "mmx", "cx8", "evex512",
      "prfchw"};
  return any_of(prefixes,
                [&](StringLiteral prefix) { return feature.starts_with(prefix); });
}

std::string featureMissingOnHost(const TargetMachine &tm) {
  StringMap<bool> host = sys::getHostCPUFeatures();
  const MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  for (const SubtargetFeatureKV &kv : sti->getAllProcessorFeatures()) {
    if (!sti->getFeatureBits().test(kv.Value) ||
        !changesGeneratedCode(kv.Key))
      continue;
    // The host map lists ISA features only; tuning flags are not in it.
    auto it = host.find(kv.Key);
    if (it != host.end() && !it->second)
      return kv.Key;
  }
  return "";
}

} // namespace qjit
