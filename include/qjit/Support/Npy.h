//===- Npy.h - Reading and writing NumPy .npy files -------------*- C++ -*-===//
#ifndef QJIT_SUPPORT_NPY_H
#define QJIT_SUPPORT_NPY_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <string>
#include <vector>

namespace qjit {

// An array as stored in a .npy file: little-endian or byte-sized elements in
// C order. `descr` is NumPy's type string ("<f4", "|i1", ...).
struct NpyArray {
  std::string descr;
  llvm::SmallVector<int64_t, 4> shape;
  std::vector<char> data;
};

// Parses .npy format 1.0, 2.0 or 3.0. Fortran order and big-endian data are
// errors.
llvm::Expected<NpyArray> parseNpy(llvm::StringRef bytes, llvm::StringRef name);
// Reads a regular file (not a device or a FIFO) of at most about
// `maxDataBytes` of data, checked against its size before it is read.
llvm::Expected<NpyArray>
readNpyFile(llvm::StringRef path, uint64_t maxDataBytes = UINT64_MAX);
// Serializes as format 1.0 (2.0 if the header does not fit).
std::string serializeNpy(llvm::StringRef descr, llvm::ArrayRef<int64_t> shape,
                         llvm::StringRef data);
// Writes atomically: a temporary file renamed over `path`, so a failure never
// leaves a partial file.
llvm::Error writeNpyFile(llvm::StringRef path, llvm::StringRef descr,
                         llvm::ArrayRef<int64_t> shape, llvm::StringRef data);

} // namespace qjit

#endif
