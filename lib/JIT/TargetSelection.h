//===- TargetSelection.h - The CPU a Jit compiles for -----------*- C++ -*-===//
#ifndef QJIT_LIB_JIT_TARGETSELECTION_H
#define QJIT_LIB_JIT_TARGETSELECTION_H

#include "qjit/JIT/Jit.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Target/TargetMachine.h"

namespace qjit {

// The environment variable that narrows the host the JIT sees: a list of
// features to take away ("-avx512f"), as if the CPU lacked them. The
// default target (JitOptions::cpu empty) drops them, and code that needs
// them is refused as code for a CPU the host cannot run. Only removals are
// allowed, so it can never make the JIT emit instructions the CPU lacks.
inline constexpr const char kHostFeaturesVariable[] = "QJIT_HOST_FEATURES";

// The host's triple with the CPU and features of `options`: the host's own
// less kHostFeaturesVariable's when the CPU is empty (plus any listed
// features), else that CPU's defaults and the listed features. Unknown CPU
// or feature names, here or in the variable, are errors.
llvm::Expected<llvm::orc::JITTargetMachineBuilder>
selectTarget(const JitOptions &options);

// Whether code generated for a target with `feature` may contain its
// instructions (vector, arithmetic and bit-manipulation extensions; not
// system features such as pku, nor tuning flags).
bool changesGeneratedCode(llvm::StringRef feature);

// Names a feature `tm` uses that the host CPU lacks, or that
// kHostFeaturesVariable takes away (code for `tm` would fault here, or
// should be treated so), or returns an empty string.
llvm::Expected<std::string> featureMissingOnHost(const llvm::TargetMachine &tm);

} // namespace qjit

#endif
