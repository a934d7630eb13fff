//===- NpyFuzzer.cpp - libFuzzer target: the .npy reader ------------------===//
//
// Feeds the input bytes to qjit::parseNpy (the in-memory reader behind
// readNpyFile). A successful parse must describe exactly the data it holds;
// serializing it again and parsing that must give the same array.
//
//===----------------------------------------------------------------------===//
#include "qjit/Support/Npy.h"
#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto array = qjit::parseNpy(bytes, "fuzz.npy");
  if (!array) {
    llvm::consumeError(array.takeError());
    return 0;
  }
  // The data cannot be larger than the file it came from.
  if (array->data.size() > size)
    abort();
  std::string again = qjit::serializeNpy(
      array->descr, array->shape,
      llvm::StringRef(array->data.data(), array->data.size()));
  auto reparsed = qjit::parseNpy(again, "reserialized.npy");
  if (!reparsed) {
    llvm::consumeError(reparsed.takeError());
    abort(); // what parseNpy accepted, serializeNpy must write readably
  }
  if (reparsed->descr != array->descr || reparsed->shape != array->shape ||
      reparsed->data != array->data)
    abort();
  return 0;
}
