//===- Lexer.h - Tokens of the .qir text form -------------------*- C++ -*-===//
//
// Private to the parser. The lexer works on a whole buffer and never reads
// past its end, so embedded NUL bytes are ordinary (bad) characters rather
// than an early end of input.
//
//===----------------------------------------------------------------------===//
#ifndef QJIT_LIB_IR_LEXER_H
#define QJIT_LIB_IR_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"
#include <string>

namespace qjit {

struct Token {
  enum Kind {
    Eof,
    Error,      // a bad character or literal; see Lexer::getErrorMessage
    Identifier, // graph, return, Add, Float32, num_bits, t3, true, inf ...
    GraphName,  // @name (the text includes the '@')
    DataName,   // %w0, a data constant's bytes (the text includes the '%')
    String,     // "0x00FF" (the text includes the quotes; no escapes)
    Integer,    // 8, -3 (the text includes the sign)
    Float,      // 0.5, -1e-45, -inf, -nan
    LParen,
    RParen,
    LBrace,
    RBrace,
    LSquare,
    RSquare,
    Comma,
    Colon,
    Equal,
  };

  Kind kind = Eof;
  llvm::StringRef text;

  bool is(Kind k) const { return kind == k; }
  bool isIdentifier(llvm::StringRef name) const {
    return kind == Identifier && text == name;
  }
  llvm::SMLoc getLoc() const { return llvm::SMLoc::getFromPointer(text.data()); }
  // One past the token's last character.
  llvm::SMLoc getEndLoc() const {
    return llvm::SMLoc::getFromPointer(text.data() + text.size());
  }
};

// `text` for a message, cut short if overlong so that a megabyte-long token
// does not make a megabyte-long message; quoteForMessage adds single quotes.
std::string clipForMessage(llvm::StringRef text);
std::string quoteForMessage(llvm::StringRef text);

class Lexer {
public:
  explicit Lexer(llvm::StringRef buffer)
      : cur(buffer.begin()), end(buffer.end()) {}

  Token lex();
  // Why the last Error token was produced.
  const std::string &getErrorMessage() const { return errorMessage; }

private:
  Token make(Token::Kind kind, const char *start) {
    return {kind, llvm::StringRef(start, cur - start)};
  }
  Token error(const char *start, std::string message);
  void skipWhitespaceAndComments();
  Token lexIdentifier(const char *start);
  Token lexGraphName(const char *start);
  Token lexDataName(const char *start);
  Token lexString(const char *start);
  Token lexNumber(const char *start);

  const char *cur;
  const char *end;
  std::string errorMessage;
};

} // namespace qjit

#endif
