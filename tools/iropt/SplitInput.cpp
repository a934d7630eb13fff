//===- SplitInput.cpp -----------------------------------------------------===//
#include "SplitInput.h"

namespace qjit {

std::vector<std::string> splitInputFile(llvm::StringRef text) {
  std::vector<std::string> cases;
  std::string current;
  size_t lineNo = 0; // lines consumed so far
  while (!text.empty()) {
    auto [line, rest] = text.split('\n');
    bool hadNewline = line.size() < text.size();
    ++lineNo;
    if (line.trim() == kSplitMarker) {
      cases.push_back(std::move(current));
      // The next case starts on line lineNo + 1.
      current.assign(lineNo, '\n');
    } else {
      current += line;
      if (hadNewline)
        current += '\n';
    }
    text = rest;
  }
  cases.push_back(std::move(current));
  return cases;
}

} // namespace qjit
