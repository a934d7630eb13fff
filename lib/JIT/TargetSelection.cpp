//===- TargetSelection.cpp - The CPU a Jit compiles for -------------------===//
#include "TargetSelection.h"
#include "qjit/Support/Error.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/TargetParser/Host.h"
#include <cstdlib>
#include <memory>
#include "Support/MakeError.h"

using namespace llvm;

namespace qjit {

namespace {

// Checks a comma-separated list of +name/-name features against `generic`'s
// table, so a typo is an error rather than LLVM's warning on stderr.
// `source` names where the list came from; `removalsOnly` refuses +name.
Expected<std::vector<std::string>>
checkFeatureList(StringRef list, const MCSubtargetInfo &generic,
                 const Triple &triple, StringRef source, bool removalsOnly) {
  SmallVector<StringRef> features;
  SplitString(list, features, ",");
  std::vector<std::string> checked;
  for (StringRef feature : features) {
    feature = feature.trim();
    if (feature.empty()) // "-avx512f, " ends in one
      continue;
    StringRef name = feature.drop_front();
    bool known =
        any_of(generic.getAllProcessorFeatures(),
               [&](const SubtargetFeatureKV &kv) { return name == kv.Key; });
    bool signOk = feature.starts_with("-") ||
                  (!removalsOnly && feature.starts_with("+"));
    if (!signOk || !known)
      return makeError("{}bad CPU feature '{}': want {} with a feature of {}",
                       source.str(), feature.str(),
                       removalsOnly ? "-name" : "+name or -name",
                       triple.str());
    checked.push_back(feature.str());
  }
  return checked;
}

std::unique_ptr<MCSubtargetInfo> genericSubtarget(const Target &target,
                                                  const Triple &triple) {
  return std::unique_ptr<MCSubtargetInfo>(
      target.createMCSubtargetInfo(triple.str(), "", ""));
}

// QJIT_HOST_FEATURES's features, checked.
Expected<std::vector<std::string>>
hostFeatureRemovals(const Target &target, const Triple &triple) {
  const char *list = std::getenv(kHostFeaturesVariable);
  if (!list || !*list)
    return std::vector<std::string>();
  return checkFeatureList(list, *genericSubtarget(target, triple), triple,
                          std::string(kHostFeaturesVariable) + ": ",
                          /*removalsOnly=*/true);
}

} // namespace

Expected<orc::JITTargetMachineBuilder> selectTarget(const JitOptions &options) {
  if (options.optLevel > 3)
    return makeError("optimization level must be 0 to 3, got {}",
                     options.optLevel);
  Expected<orc::JITTargetMachineBuilder> builder =
      orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();

  const Triple &triple = builder->getTargetTriple();
  std::string lookupError;
  const Target *target =
      TargetRegistry::lookupTarget(triple.str(), lookupError);
  if (!target)
    return makeError("no target for {}: {}", triple.str(), lookupError);
  std::unique_ptr<MCSubtargetInfo> generic = genericSubtarget(*target, triple);
  Expected<std::vector<std::string>> removals =
      hostFeatureRemovals(*target, triple);
  if (!removals)
    return removals.takeError();
  if (!options.cpu.empty()) {
    if (!generic->isCPUStringValid(options.cpu))
      return makeError("unknown CPU '{}' for {}", options.cpu, triple.str());
    builder->setCPU(options.cpu);
    builder->setFeatures("");
  } else {
    // The host as QJIT_HOST_FEATURES describes it; the options' features
    // come after, so they have the last word.
    builder->addFeatures(*removals);
  }
  Expected<std::vector<std::string>> features =
      checkFeatureList(options.features, *generic, triple, "",
                       /*removalsOnly=*/false);
  if (!features)
    return features.takeError();
  builder->addFeatures(*features);
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

Expected<std::string> featureMissingOnHost(const TargetMachine &tm) {
  StringMap<bool> host = sys::getHostCPUFeatures();
  const Triple &triple = tm.getTargetTriple();
  Expected<std::vector<std::string>> removals =
      hostFeatureRemovals(tm.getTarget(), triple);
  if (!removals)
    return removals.takeError();
  // A removed feature's dependents (avx512bw without avx512f, ...) need not
  // be removed here: code using one has the feature it depends on too.
  for (StringRef removal : *removals)
    host[removal.drop_front()] = false;
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
