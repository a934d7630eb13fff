//===- SplitInput.h - Cases of a --split-input-file buffer ------*- C++ -*-===//
#ifndef QJIT_TOOLS_IROPT_SPLITINPUT_H
#define QJIT_TOOLS_IROPT_SPLITINPUT_H

#include "llvm/ADT/StringRef.h"
#include <string>
#include <vector>

namespace qjit {

// The separator line between cases, in the input and in iropt's output.
inline constexpr llvm::StringLiteral kSplitMarker = "// -----";

// Splits `text` at lines that are exactly kSplitMarker (surrounding blanks
// ignored). Each case's text is preceded by as many newlines as lines came
// before it, so diagnostics of a case name their real line in the file.
std::vector<std::string> splitInputFile(llvm::StringRef text);

} // namespace qjit

#endif
