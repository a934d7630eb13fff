//===- ParserFuzzer.cpp - libFuzzer target: .qir parser + verifier --------===//
//
// Feeds the input bytes to qjit::parseAndVerify. Any outcome but a crash, a
// hang or a sanitizer report is fine: errors are expected and dropped.
//
//===----------------------------------------------------------------------===//
#include "qjit/IR/Parser.h"
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  auto module = qjit::parseAndVerify(text, "fuzz.qir");
  if (!module)
    llvm::consumeError(module.takeError());
  return 0;
}
