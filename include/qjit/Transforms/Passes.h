//===- Passes.h - Factories of every registered pass ------------*- C++ -*-===//
#ifndef QJIT_TRANSFORMS_PASSES_H
#define QJIT_TRANSFORMS_PASSES_H

#include "qjit/Transforms/Pass.h"
#include <memory>

namespace qjit {

#define QJIT_PASS(Name, Factory, Description) std::unique_ptr<Pass> Factory();
#include "qjit/Transforms/PassRegistry.def"

} // namespace qjit

#endif
