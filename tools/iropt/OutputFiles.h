//===- OutputFiles.h - Files iropt writes, all or none ----------*- C++ -*-===//
#ifndef QJIT_TOOLS_IROPT_OUTPUTFILES_H
#define QJIT_TOOLS_IROPT_OUTPUTFILES_H

#include "llvm/Support/Error.h"
#include <string>
#include <utility>
#include <vector>

namespace qjit {

// The files one iropt invocation writes (-o, --output-dir's .npy files).
// commit() writes each to a temporary file beside its destination and only
// when every one is complete renames them into place, so a failure leaves
// every destination as it was (and removes a directory it created).
class OutputFiles {
public:
  // `createDirectory`: make the file's directory if it does not exist
  // (--output-dir); otherwise a missing directory is an error (-o).
  void add(std::string path, std::string contents,
           bool createDirectory = false) {
    files.push_back({std::move(path), std::move(contents), createDirectory});
  }
  llvm::Error commit();

private:
  struct File {
    std::string path, contents;
    bool createDirectory;
  };
  std::vector<File> files;
};

} // namespace qjit

#endif
