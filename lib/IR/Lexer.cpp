//===- Lexer.cpp - Tokens of the .qir text form ---------------------------===//
#include "Lexer.h"
#include "llvm/ADT/StringExtras.h"
#include <fmt/format.h>

namespace qjit {

namespace {
bool isIdentifierStart(char c) { return llvm::isAlpha(c) || c == '_'; }
bool isIdentifierChar(char c) { return llvm::isAlnum(c) || c == '_'; }
// Graph names also allow '.' and '$' (as MLIR symbol names do).
bool isGraphNameChar(char c) {
  return isIdentifierChar(c) || c == '.' || c == '$';
}

std::string describeChar(char c) {
  if (llvm::isPrint(c))
    return fmt::format("'{}'", c);
  return fmt::format("'\\x{:02x}'", static_cast<unsigned char>(c));
}
} // namespace

std::string clipForMessage(llvm::StringRef text) {
  constexpr size_t kMaxShown = 64;
  if (text.size() <= kMaxShown)
    return text.str();
  return text.take_front(kMaxShown).str() + "...";
}

std::string quoteForMessage(llvm::StringRef text) {
  std::string quoted(1, '\'');
  quoted += clipForMessage(text);
  quoted += '\'';
  return quoted;
}

Token Lexer::error(const char *start, std::string message) {
  errorMessage = std::move(message);
  return make(Token::Error, start);
}

void Lexer::skipWhitespaceAndComments() {
  while (cur != end) {
    if (*cur == ' ' || *cur == '\t' || *cur == '\n' || *cur == '\r') {
      ++cur;
    } else if (*cur == '/' && cur + 1 != end && cur[1] == '/') {
      while (cur != end && *cur != '\n')
        ++cur;
    } else {
      return;
    }
  }
}

Token Lexer::lex() {
  skipWhitespaceAndComments();
  const char *start = cur;
  if (cur == end)
    return make(Token::Eof, start);
  char c = *cur++;
  switch (c) {
  case '(':
    return make(Token::LParen, start);
  case ')':
    return make(Token::RParen, start);
  case '{':
    return make(Token::LBrace, start);
  case '}':
    return make(Token::RBrace, start);
  case '[':
    return make(Token::LSquare, start);
  case ']':
    return make(Token::RSquare, start);
  case ',':
    return make(Token::Comma, start);
  case ':':
    return make(Token::Colon, start);
  case '=':
    return make(Token::Equal, start);
  case '@':
    return lexGraphName(start);
  case '%':
    return lexDataName(start);
  case '"':
    return lexString(start);
  case '-':
    return lexNumber(start);
  default:
    break;
  }
  if (llvm::isDigit(c))
    return lexNumber(start);
  if (isIdentifierStart(c))
    return lexIdentifier(start);
  return error(start, "unexpected character " + describeChar(c));
}

Token Lexer::lexIdentifier(const char *start) {
  while (cur != end && isIdentifierChar(*cur))
    ++cur;
  return make(Token::Identifier, start);
}

Token Lexer::lexGraphName(const char *start) {
  while (cur != end && isGraphNameChar(*cur))
    ++cur;
  if (cur == start + 1)
    return error(start, "expected a graph name after '@'");
  return make(Token::GraphName, start);
}

Token Lexer::lexDataName(const char *start) {
  while (cur != end && isIdentifierChar(*cur))
    ++cur;
  if (cur == start + 1)
    return error(start, "expected a data name after '%'");
  return make(Token::DataName, start);
}

// A string ends on its line: data sections hold one string per line.
Token Lexer::lexString(const char *start) {
  while (cur != end && *cur != '"' && *cur != '\n')
    ++cur;
  if (cur == end || *cur != '"')
    return error(start, "missing '\"' at the end of the string");
  ++cur;
  return make(Token::String, start);
}

// -?digits(.digits)?([eE][+-]?digits)?, or -inf / -nan. `cur` is one past
// the first character ('-' or a digit).
Token Lexer::lexNumber(const char *start) {
  auto skipDigits = [&] {
    const char *from = cur;
    while (cur != end && llvm::isDigit(*cur))
      ++cur;
    return cur != from;
  };
  // Consumes what is left of a malformed literal so the message quotes it.
  auto invalid = [&]() {
    while (cur != end && (isIdentifierChar(*cur) || *cur == '.'))
      ++cur;
    return error(start, "invalid number " +
                            quoteForMessage(llvm::StringRef(start, cur - start)));
  };

  if (*start == '-') {
    if (cur != end && isIdentifierStart(*cur)) {
      const char *word = cur;
      while (cur != end && isIdentifierChar(*cur))
        ++cur;
      llvm::StringRef name(word, cur - word);
      if (name == "inf" || name == "nan")
        return make(Token::Float, start);
      return invalid();
    }
    if (!skipDigits())
      return error(start, "expected a number after '-'");
  } else {
    skipDigits();
  }

  bool isFloat = false;
  if (cur != end && *cur == '.') {
    ++cur;
    isFloat = true;
    if (!skipDigits())
      return invalid();
  }
  if (cur != end && (*cur == 'e' || *cur == 'E')) {
    ++cur;
    isFloat = true;
    if (cur != end && (*cur == '+' || *cur == '-'))
      ++cur;
    if (!skipDigits())
      return invalid();
  }
  if (cur != end && (isIdentifierChar(*cur) || *cur == '.'))
    return invalid();
  return make(isFloat ? Token::Float : Token::Integer, start);
}

} // namespace qjit
