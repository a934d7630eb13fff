//===- OutputFiles.cpp ----------------------------------------------------===//
#include "OutputFiles.h"
#include "Support/MakeError.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace qjit {

namespace {

// A temporary file beside `path` holding `contents`.
llvm::Expected<llvm::sys::fs::TempFile> writeTemporary(llvm::StringRef path,
                                                       llvm::StringRef contents) {
  auto temp = llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%%%");
  if (!temp)
    return makeError("cannot write '{}': {}", path.str(),
                     llvm::toString(temp.takeError()));
  llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
  os << contents;
  os.flush();
  if (os.has_error()) {
    std::string message = os.error().message();
    os.clear_error();
    llvm::consumeError(temp->discard());
    return makeError("cannot write '{}': {}", path.str(), message);
  }
  return std::move(*temp);
}

} // namespace

llvm::Error OutputFiles::commit() {
  std::vector<llvm::sys::fs::TempFile> written;
  std::vector<std::string> createdDirectories;
  auto discardAll = [&] {
    for (llvm::sys::fs::TempFile &t : written)
      llvm::consumeError(t.discard());
    for (const std::string &dir : createdDirectories)
      llvm::sys::fs::remove(dir); // only if still empty
  };
  for (const File &file : files) {
    llvm::StringRef dir = llvm::sys::path::parent_path(file.path);
    if (file.createDirectory && !dir.empty() && !llvm::sys::fs::exists(dir)) {
      if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
        discardAll();
        return makeError("cannot create directory '{}': {}", dir.str(),
                         ec.message());
      }
      createdDirectories.push_back(dir.str());
    }
    auto temp = writeTemporary(file.path, file.contents);
    if (!temp) {
      discardAll();
      return temp.takeError();
    }
    written.push_back(std::move(*temp));
  }
  // A directory in a destination's place would fail its rename after
  // others were renamed: refuse before renaming any.
  for (const File &file : files)
    if (llvm::sys::fs::is_directory(file.path)) {
      discardAll();
      return makeError("cannot write '{}': it is a directory", file.path);
    }
  // Every file is complete: move them into place.
  for (size_t i = 0; i < written.size(); ++i)
    if (llvm::Error err = written[i].keep(files[i].path)) {
      for (size_t j = i + 1; j < written.size(); ++j)
        llvm::consumeError(written[j].discard());
      return makeError("cannot write '{}': {}", files[i].path,
                       llvm::toString(std::move(err)));
    }
  files.clear();
  return llvm::Error::success();
}

} // namespace qjit
