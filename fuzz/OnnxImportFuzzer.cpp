//===- OnnxImportFuzzer.cpp - libFuzzer target: the ONNX importer ---------===//
//
// Feeds the input bytes to qjit::importOnnxBuffer (the in-memory reader
// behind importOnnx). An imported module is verified by the importer; it
// must also print to text that parses and verifies again (so every graph the
// importer builds is one the text format can carry).
//
//===----------------------------------------------------------------------===//
#include "qjit/IR/Parser.h"
#include "qjit/IR/Printer.h"
#include "qjit/Import/Onnx.h"
#include "llvm/Support/raw_ostream.h"
#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto module = qjit::importOnnxBuffer(bytes, "fuzz.onnx");
  if (!module) {
    llvm::consumeError(module.takeError());
    return 0;
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  qjit::printModule(os, *module);
  auto reparsed = qjit::parseAndVerify(text, "imported.qir");
  if (!reparsed) {
    llvm::consumeError(reparsed.takeError());
    abort(); // the importer built a graph its own text form cannot carry
  }
  return 0;
}
