//===- Diagnostics.cpp ----------------------------------------------------===//
#include "qjit/Support/Diagnostics.h"
#include "qjit/Support/Error.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/WithColor.h"

namespace qjit {

namespace {
void printOne(llvm::raw_ostream &os, llvm::SourceMgr &srcMgr, llvm::SMLoc loc,
              const std::string &message) {
  if (loc.isValid())
    srcMgr.PrintMessage(os, loc, llvm::SourceMgr::DK_Error, message);
  else
    llvm::WithColor::error(os) << message << '\n';
}
} // namespace

bool reportErrors(llvm::SourceMgr &srcMgr, llvm::Error err) {
  return printErrors(llvm::errs(), srcMgr, std::move(err));
}

bool printErrors(llvm::raw_ostream &os, llvm::SourceMgr &srcMgr,
                 llvm::Error err) {
  bool any = false;
  llvm::handleAllErrors(
      std::move(err),
      [&](const LocatedError &e) {
        any = true;
        printOne(os, srcMgr, e.getLoc(), e.getMessage());
      },
      [&](const llvm::ErrorInfoBase &e) {
        any = true;
        printOne(os, srcMgr, {}, e.message());
      });
  return any;
}

DiagnosticVerifier::DiagnosticVerifier(llvm::SourceMgr &srcMgr,
                                       unsigned bufferId)
    : srcMgr(srcMgr), bufferId(bufferId) {
  const llvm::MemoryBuffer *buffer = srcMgr.getMemoryBuffer(bufferId);
  llvm::StringRef text = buffer->getBuffer();
  // expected-error [@+N|@-N] {{text}}
  llvm::Regex pattern("expected-error *(@[+-][0-9]+)? *\\{\\{(.*)\\}\\}");
  unsigned lineNo = 0;
  while (!text.empty()) {
    ++lineNo;
    auto [line, rest] = text.split('\n');
    llvm::SmallVector<llvm::StringRef, 3> m;
    if (pattern.match(line, &m)) {
      int target = static_cast<int>(lineNo);
      if (!m[1].empty()) {
        int offset = 0;
        m[1].drop_front(m[1][1] == '+' ? 2 : 1).getAsInteger(10, offset);
        target += offset;
      }
      expected.push_back({llvm::SMLoc::getFromPointer(m[0].data()),
                          static_cast<unsigned>(target), m[2].str()});
    }
    text = rest;
  }
}

void DiagnosticVerifier::consume(llvm::Error err) {
  llvm::handleAllErrors(
      std::move(err),
      [&](const LocatedError &e) { seen.push_back({e.getLoc(), e.getMessage()}); },
      [&](const llvm::ErrorInfoBase &e) { seen.push_back({{}, e.message()}); });
}

bool DiagnosticVerifier::verify() {
  bool ok = true;
  for (const Seen &s : seen) {
    unsigned line =
        s.loc.isValid() ? srcMgr.FindLineNumber(s.loc, bufferId) : 0;
    auto match = llvm::find_if(expected, [&](const Expected &e) {
      return !e.matched && e.line == line &&
             llvm::StringRef(s.message).contains(e.text);
    });
    if (match != expected.end()) {
      match->matched = true;
      continue;
    }
    ok = false;
    printOne(llvm::errs(), srcMgr, s.loc, "unexpected error: " + s.message);
  }
  for (const Expected &e : expected) {
    if (e.matched)
      continue;
    ok = false;
    srcMgr.PrintMessage(e.commentLoc, llvm::SourceMgr::DK_Error,
                        "expected error \"" + e.text + "\" was not produced");
  }
  return ok;
}

} // namespace qjit
