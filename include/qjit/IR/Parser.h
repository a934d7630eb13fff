//===- Parser.h - Reading the .qir text form --------------------*- C++ -*-===//
#ifndef QJIT_IR_PARSER_H
#define QJIT_IR_PARSER_H

#include "qjit/IR/Graph.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/SourceMgr.h"

namespace qjit {

// Parses every graph of buffer `bufferId`. Syntax errors, unknown ops and
// attributes, and attribute values of the wrong kind are LocatedErrors; the
// graph rules (types, shapes, definitions) are the Verifier's. Locations of
// ops point into the buffer, so `srcMgr` must outlive their use.
llvm::Expected<Module> parseModule(llvm::SourceMgr &srcMgr, unsigned bufferId);

// Convenience for tests and API users: parses `text` (named `name` in
// messages) and verifies it. Errors are rendered to text with locations.
// The text is not kept, so the returned graphs carry no source locations.
llvm::Expected<Module> parseAndVerify(llvm::StringRef text,
                                      llvm::StringRef name = "<string>");

} // namespace qjit

#endif
