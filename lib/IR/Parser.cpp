//===- Parser.cpp - Reading the .qir text form ----------------------------===//
//
//   module    ::= (graph | data)*
//   graph     ::= 'graph' @name '(' (input (',' input)*)? ')' '{' op* return
//   '}' input     ::= value ':' type op        ::= value (',' value)* '='
//   OpName '(' (arg (',' arg)*)? ')'
//                 ':' type (',' type)* body?
//   body      ::= '{' op* return '}'   (FusedElementwise: inputs = operands)
//   arg       ::= value | name '=' attrValue   (operands before attributes)
//   return    ::= 'return' (value (',' value)*)?
//   type      ::= TypeName '[' (int (',' int)*)? ']'
//   attrValue ::= int | float | 'true' | 'false' | identifier
//               | '[' (number (',' number)*)? ']' | dataName
//   data      ::= 'data' '{' (dataName '=' string)* '}'
//   dataName  ::= '%' identifier-chars      (names bytes: %w0)
//   string    ::= '"0x' hex-digit-pairs '"'  (the bytes in memory order)
//
// Data names are global to the file and may be used before the data section
// defining them (the printer writes it last). Each name is defined once, its
// bytes must be as many as each Constant using it needs, and data no op uses
// is dropped: it is not an error, so that removing a Constant by hand does
// not force an edit of the data section.
// The parser stops at the first error. It checks what the text alone can
// tell (syntax, op and attribute names, attribute kinds, one type per
// result, no value defined twice); uses of undefined values and every type
// rule are left to the verifier.
//===----------------------------------------------------------------------===//
#include "qjit/IR/Parser.h"
#include "Lexer.h"
#include "qjit/IR/DenseData.h"
#include "qjit/IR/Verifier.h"
#include "qjit/Support/Error.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include <charconv>
#include <cmath>
#include <limits>
#include "Support/MakeError.h"

namespace qjit {

namespace {

class Parser {
public:
  explicit Parser(llvm::StringRef buffer) : lexer(buffer) { consume(); }

  llvm::Expected<Module> parseModule();

private:
  void consume() {
    prevEnd = tok.getEndLoc();
    tok = lexer.lex();
  }

  // An error at the current token: the lexer's message if the token is bad,
  // otherwise "expected <what>".
  llvm::Error expected(llvm::StringRef what) {
    if (tok.is(Token::Error))
      return makeLocatedError(tok.getLoc(), "{}", lexer.getErrorMessage());
    return makeLocatedError(tok.getLoc(), "expected {}", what.str());
  }
  llvm::Error parseToken(Token::Kind kind, llvm::StringRef what) {
    if (!tok.is(kind))
      return expected(what);
    consume();
    return llvm::Error::success();
  }

  static bool isValueName(const Token &t) {
    return t.is(Token::Identifier) && t.text.size() > 1 && t.text[0] == 't' &&
           llvm::all_of(t.text.drop_front(), llvm::isDigit);
  }

  llvm::Error parseGraph(Module &module);
  llvm::Error parseDataSection();
  llvm::Expected<std::shared_ptr<const DenseData>> parseHexData(const Token &t);
  llvm::Error resolveDataUses();
  llvm::Error parseInput(Graph &graph);
  llvm::Error parseOp(Graph &graph);
  llvm::Error parseResultNames(const Graph &graph,
                               llvm::SmallVectorImpl<ValueId> &results,
                               llvm::SmallVectorImpl<llvm::SMLoc> &resultLocs);
  llvm::Error
  parseOperandsAndAttributes(Operation &op,
                             llvm::SmallVectorImpl<ValueId> &operands,
                             llvm::SmallVectorImpl<llvm::SMLoc> &operandLocs,
                             std::optional<Token> &dataUse);
  llvm::Error parseResultTypes(llvm::ArrayRef<ValueId> results,
                               llvm::SmallVectorImpl<TensorType> &types);
  llvm::Expected<std::shared_ptr<Graph>>
  parseBody(const Graph &graph, llvm::ArrayRef<ValueId> operands,
            llvm::ArrayRef<llvm::SMLoc> operandLocs, llvm::SMLoc opLoc);
  llvm::Error parseReturn(Graph &graph);
  llvm::Expected<ValueId> parseValueName(const Token &name);
  llvm::Expected<TensorType> parseType();
  llvm::Error parseAttribute(const Token &name, Operation &op,
                             std::optional<Token> &dataUse);
  llvm::Expected<Attribute> parseAttrValue();
  llvm::Expected<Attribute> parseList();
  llvm::Expected<int64_t> parseInteger(const Token &t);
  llvm::Expected<double> parseFloat(const Token &t);

  Lexer lexer;
  Token tok;
  llvm::SMLoc prevEnd; // one past the last consumed token

  // The data section's definitions, and the ops using data, whose `data`
  // attribute is set once the whole file is read.
  struct DataDef {
    std::shared_ptr<const DenseData> data;
    llvm::SMLoc loc;
  };
  llvm::StringMap<DataDef> dataDefs;
  struct DataUse {
    Graph *graph;
    size_t opIndex;
    Token name;
  };
  std::vector<DataUse> dataUses;
  unsigned bodyDepth = 0; // > 0 inside an op's body
};

llvm::Expected<Module> Parser::parseModule() {
  Module module;
  while (!tok.is(Token::Eof)) {
    llvm::Error err =
        tok.isIdentifier("data") ? parseDataSection() : parseGraph(module);
    if (err)
      return err;
  }
  if (auto err = resolveDataUses())
    return err;
  return module;
}

// `data { %w0 = "0x..." ... }`.
llvm::Error Parser::parseDataSection() {
  consume(); // 'data'
  if (auto err = parseToken(Token::LBrace, "'{' after 'data'"))
    return err;
  while (!tok.is(Token::RBrace)) {
    if (!tok.is(Token::DataName))
      return expected("a data name like %w0, or '}'");
    Token name = tok;
    consume();
    if (auto err = parseToken(Token::Equal, "'=' after the data name"))
      return err;
    if (!tok.is(Token::String))
      return expected("the bytes as a string of hex digits like \"0x00FF\"");
    if (auto it = dataDefs.find(name.text.drop_front()); it != dataDefs.end())
      return makeLocatedError(name.getLoc(), "redefinition of data {}",
                              name.text.str());
    auto data = parseHexData(tok);
    if (!data)
      return data.takeError();
    dataDefs[name.text.drop_front()] = {std::move(*data), name.getLoc()};
    consume();
  }
  consume(); // '}'
  return llvm::Error::success();
}

// "0x" and two hex digits per byte, either case.
llvm::Expected<std::shared_ptr<const DenseData>>
Parser::parseHexData(const Token &t) {
  llvm::StringRef text = t.text.drop_front().drop_back(); // the quotes
  if (!text.consume_front("0x"))
    return makeLocatedError(t.getLoc(), "the data must start with '0x'");
  if (text.size() % 2)
    return makeLocatedError(t.getLoc(),
                            "the data has an odd number of hex digits ({}): "
                            "two per byte",
                            text.size());
  return DenseData::create(text.size() / 2, [&](char *out) -> llvm::Error {
    for (size_t i = 0; i < text.size(); i += 2) {
      unsigned hi = llvm::hexDigitValue(text[i]);
      unsigned lo = llvm::hexDigitValue(text[i + 1]);
      if (hi > 15 || lo > 15) {
        size_t bad = hi > 15 ? i : i + 1;
        return makeLocatedError(llvm::SMLoc::getFromPointer(text.data() + bad),
                                "bad hex digit {} in the data",
                                quoteForMessage(text.substr(bad, 1)));
      }
      out[i / 2] = static_cast<char>(hi << 4 | lo);
    }
    return llvm::Error::success();
  });
}

// Sets the `data` attribute of every op naming data, once every data
// section has been read.
llvm::Error Parser::resolveDataUses() {
  for (const DataUse &use : dataUses) {
    auto def = dataDefs.find(use.name.text.drop_front());
    if (def == dataDefs.end())
      return makeLocatedError(use.name.getLoc(),
                              "unknown data {}: no data section defines it",
                              use.name.text.str());
    Operation &op = use.graph->getOps()[use.opIndex];
    const std::shared_ptr<const DenseData> &data = def->second.data;
    // The size must be the result type's (a wrong result count or type is
    // the verifier's to report).
    if (op.getNumResults() == 1 && use.graph->hasValue(op.getResult())) {
      const TensorType &type = use.graph->getType(op.getResult());
      if (llvm::Error err = type.check())
        llvm::consumeError(std::move(err));
      else if (type.sizeInBytes() != data->size())
        return makeLocatedError(use.name.getLoc(),
                                "data {} has {} bytes, but {} needs {}",
                                use.name.text.str(), data->size(),
                                type.toString(), type.sizeInBytes());
    }
    op.setAttr("data", Attribute(data));
  }
  return llvm::Error::success();
}

llvm::Error Parser::parseGraph(Module &module) {
  if (!tok.isIdentifier("graph"))
    return expected("'graph'");
  consume();
  if (!tok.is(Token::GraphName))
    return expected("a graph name like @main after 'graph'");
  Graph &graph = module.addGraph(Graph(tok.text.drop_front().str()));
  graph.setLoc(tok.getLoc());
  consume();

  if (auto err = parseToken(Token::LParen, "'(' after the graph name"))
    return err;
  if (!tok.is(Token::RParen)) {
    while (true) {
      if (auto err = parseInput(graph))
        return err;
      if (!tok.is(Token::Comma))
        break;
      consume();
    }
  }
  if (auto err = parseToken(Token::RParen, "')' after the graph inputs"))
    return err;
  if (auto err = parseToken(Token::LBrace, "'{' before the graph body"))
    return err;
  while (!tok.isIdentifier("return"))
    if (auto err = parseOp(graph))
      return err;
  return parseReturn(graph);
}

// Value ids are limited to int32's range: the two largest ValueIds are the
// empty and tombstone keys of the DenseMaps that index values, and the id
// after the largest one must still be usable.
constexpr uint64_t kMaxValueId = std::numeric_limits<int32_t>::max();

llvm::Expected<ValueId> Parser::parseValueName(const Token &name) {
  uint64_t id = 0;
  if (name.text.drop_front().getAsInteger(10, id) || id > kMaxValueId)
    return makeLocatedError(name.getLoc(),
                            "value id of {} is too large (the largest is {})",
                            quoteForMessage(name.text), kMaxValueId);
  return static_cast<ValueId>(id);
}

llvm::Error Parser::parseInput(Graph &graph) {
  if (!isValueName(tok))
    return expected("an input value like t0");
  Token name = tok;
  auto id = parseValueName(name);
  if (!id)
    return id.takeError();
  consume();
  if (auto err = parseToken(Token::Colon, "':' and a type after the input"))
    return err;
  auto type = parseType();
  if (!type)
    return type.takeError();
  if (!graph.defineValue(*id, std::move(*type)))
    return makeLocatedError(name.getLoc(), "redefinition of value t{}", *id);
  graph.addInput(*id);
  return llvm::Error::success();
}

// `t1, t2 =`: the op's results, new values.
llvm::Error
Parser::parseResultNames(const Graph &graph,
                         llvm::SmallVectorImpl<ValueId> &results,
                         llvm::SmallVectorImpl<llvm::SMLoc> &resultLocs) {
  while (true) {
    if (!isValueName(tok))
      return expected(results.empty() ? "an op result like t1 or 'return'"
                                      : "a result value like t1");
    auto id = parseValueName(tok);
    if (!id)
      return id.takeError();
    if (graph.hasValue(*id) || llvm::is_contained(results, *id))
      return makeLocatedError(tok.getLoc(), "redefinition of value t{}", *id);
    results.push_back(*id);
    resultLocs.push_back(tok.getLoc());
    consume();
    if (!tok.is(Token::Comma))
      break;
    consume();
  }
  return parseToken(Token::Equal, "'=' after the op results");
}

// `(t0, t1, name=value, ...)`: operands first, then attributes, which are
// collected in `op`.
llvm::Error Parser::parseOperandsAndAttributes(
    Operation &op, llvm::SmallVectorImpl<ValueId> &operands,
    llvm::SmallVectorImpl<llvm::SMLoc> &operandLocs,
    std::optional<Token> &dataUse) {
  if (auto err = parseToken(Token::LParen, "'(' after the op name"))
    return err;
  bool sawAttribute = false;
  if (!tok.is(Token::RParen)) {
    while (true) {
      if (!tok.is(Token::Identifier))
        return expected("an operand or attribute");
      Token name = tok;
      consume();
      if (tok.is(Token::Equal)) {
        consume();
        if (auto err = parseAttribute(name, op, dataUse))
          return err;
        sawAttribute = true;
      } else {
        if (!isValueName(name))
          return makeLocatedError(name.getLoc(),
                                  "expected an operand or attribute");
        if (sawAttribute)
          return makeLocatedError(name.getLoc(),
                                  "operands must come before attributes");
        auto id = parseValueName(name);
        if (!id)
          return id.takeError();
        operands.push_back(*id);
        operandLocs.push_back(name.getLoc());
      }
      if (!tok.is(Token::Comma))
        break;
      consume();
    }
  }
  return parseToken(Token::RParen, sawAttribute ? "')' after attributes"
                                                : "')' after operands");
}

// `: type, type`: one type per result.
llvm::Error Parser::parseResultTypes(llvm::ArrayRef<ValueId> results,
                                     llvm::SmallVectorImpl<TensorType> &types) {
  if (auto err = parseToken(Token::Colon, "':' and the result type after ')'"))
    return err;
  while (true) {
    if (types.size() == results.size())
      return makeLocatedError(tok.getLoc(),
                              "too many result types: the op has {} result{}",
                              results.size(), results.size() == 1 ? "" : "s");
    auto type = parseType();
    if (!type)
      return type.takeError();
    types.push_back(std::move(*type));
    if (!tok.is(Token::Comma))
      break;
    consume();
  }
  if (types.size() < results.size())
    return makeLocatedError(prevEnd, "expected ',' and a type for result t{}",
                            results[types.size()]);
  return llvm::Error::success();
}

// `t1 = Op(operands, attributes) : types { body }`.
llvm::Error Parser::parseOp(Graph &graph) {
  llvm::SmallVector<ValueId, 1> results;
  llvm::SmallVector<llvm::SMLoc, 1> resultLocs;
  if (auto err = parseResultNames(graph, results, resultLocs))
    return err;

  if (!tok.is(Token::Identifier))
    return expected("an op name");
  std::optional<OpKind> kind = parseOpKind(tok.text);
  if (!kind)
    return makeLocatedError(tok.getLoc(), "unknown op {}",
                            quoteForMessage(tok.text));
  // Collects the attributes (in declared order) until the operands are known.
  Operation op(*kind, {}, {}, {}, tok.getLoc());
  consume();
  llvm::SmallVector<ValueId, 4> operands;
  llvm::SmallVector<llvm::SMLoc, 4> operandLocs;
  std::optional<Token> dataUse;
  if (auto err = parseOperandsAndAttributes(op, operands, operandLocs, dataUse))
    return err;
  llvm::SmallVector<TensorType, 1> types;
  if (auto err = parseResultTypes(results, types))
    return err;

  std::shared_ptr<Graph> body;
  if (tok.is(Token::LBrace)) {
    auto parsed = parseBody(graph, operands, operandLocs, op.getLoc());
    if (!parsed)
      return parsed.takeError();
    body = std::move(*parsed);
  }

  for (size_t i = 0; i < results.size(); ++i)
    if (!graph.defineValue(results[i], std::move(types[i])))
      return makeLocatedError(resultLocs[i], "redefinition of value t{}",
                              results[i]);
  Operation &added =
      graph.addOp(Operation(op.getKind(), std::move(operands),
                            std::move(results), op.getAttrs(), op.getLoc()));
  if (body)
    added.setBody(std::move(body));
  if (dataUse)
    dataUses.push_back({&graph, graph.getOps().size() - 1, *dataUse});
  return llvm::Error::success();
}

// A body's inputs are the op's operands, so they must be defined (with their
// types) before the op, and distinct.
llvm::Expected<std::shared_ptr<Graph>>
Parser::parseBody(const Graph &graph, llvm::ArrayRef<ValueId> operands,
                  llvm::ArrayRef<llvm::SMLoc> operandLocs, llvm::SMLoc opLoc) {
  consume(); // '{'
  auto body = std::make_shared<Graph>(graph.getName().str());
  ++bodyDepth;
  auto leave = llvm::make_scope_exit([&] { --bodyDepth; });
  body->setLoc(opLoc);
  for (size_t i = 0; i < operands.size(); ++i) {
    if (!graph.hasValue(operands[i]))
      return makeLocatedError(operandLocs[i],
                              "operand t{} of an op with a body must be "
                              "defined before it",
                              operands[i]);
    if (!body->defineValue(operands[i], graph.getType(operands[i])))
      return makeLocatedError(operandLocs[i],
                              "operand t{} is given twice; the operands of an "
                              "op with a body are its inputs",
                              operands[i]);
    body->addInput(operands[i]);
  }
  while (!tok.isIdentifier("return"))
    if (auto err = parseOp(*body))
      return err;
  if (auto err = parseReturn(*body))
    return err;
  return body;
}

llvm::Error Parser::parseReturn(Graph &graph) {
  graph.setReturnLoc(tok.getLoc());
  consume();
  llvm::SmallVector<ValueId, 4> outputs;
  // `return` alone is syntax the verifier rejects with a better message.
  if (!tok.is(Token::RBrace)) {
    while (true) {
      if (!isValueName(tok))
        return expected("a returned value like t1");
      auto id = parseValueName(tok);
      if (!id)
        return id.takeError();
      outputs.push_back(*id);
      consume();
      if (!tok.is(Token::Comma))
        break;
      consume();
    }
  }
  graph.setOutputs(outputs);
  return parseToken(Token::RBrace, "'}' after the returned values");
}

llvm::Expected<TensorType> Parser::parseType() {
  if (!tok.is(Token::Identifier))
    return expected("a type like Float32 [2, 3]");
  std::optional<DataType> elementType = parseDataType(tok.text);
  if (!elementType)
    return makeLocatedError(tok.getLoc(), "unknown type {}",
                            quoteForMessage(tok.text));
  consume();
  llvm::SMLoc shapeLoc = tok.getLoc();
  if (auto err = parseToken(Token::LSquare, "'[' and a shape after the type"))
    return err;
  TensorType type{*elementType, {}};
  int64_t elements = 1; // of the non-zero dimensions, to catch overflow
  if (!tok.is(Token::RSquare)) {
    while (true) {
      if (tok.is(Token::Float))
        return makeLocatedError(tok.getLoc(),
                                "dimension must be an integer, got {}",
                                clipForMessage(tok.text));
      if (!tok.is(Token::Integer))
        return expected("a dimension");
      auto dim = parseInteger(tok);
      if (!dim)
        return dim.takeError();
      if (*dim < 0)
        return makeLocatedError(tok.getLoc(),
                                "dimension must be non-negative, got {}", *dim);
      if (*dim != 0 && llvm::MulOverflow(elements, *dim, elements))
        return makeLocatedError(shapeLoc,
                                "shape has more than 2^63 - 1 elements");
      type.shape.push_back(*dim);
      consume();
      if (!tok.is(Token::Comma))
        break;
      consume();
    }
  }
  if (auto err = parseToken(Token::RSquare, "',' or ']' in the shape"))
    return err;
  return type;
}

llvm::Error Parser::parseAttribute(const Token &name, Operation &op,
                                   std::optional<Token> &dataUse) {
  const AttrSpec *spec = findAttrSpec(op.getKind(), name.text);
  if (!spec)
    return makeLocatedError(name.getLoc(), "'{}' has no attribute {}",
                            op.getName().str(), quoteForMessage(name.text));
  if (op.hasAttr(name.text))
    return makeLocatedError(name.getLoc(), "attribute '{}' is given twice",
                            name.text.str());
  llvm::SMLoc valueLoc = tok.getLoc();
  if (spec->kind == AttrKind::Data && tok.is(Token::DataName)) {
    if (bodyDepth)
      return makeLocatedError(tok.getLoc(),
                              "data cannot be used in the body of an op");
    dataUse = tok; // the attribute is set when the data is known
  }
  auto value = parseAttrValue();
  if (!value)
    return value.takeError();
  if (!coerceAttribute(spec->kind, *value)) {
    llvm::StringRef written(valueLoc.getPointer(),
                            prevEnd.getPointer() - valueLoc.getPointer());
    return makeLocatedError(valueLoc, "attribute '{}' must be {}, got {}",
                            name.text.str(),
                            attrKindDescription(spec->kind).str(),
                            clipForMessage(written));
  }
  op.setAttr(name.text, std::move(*value));
  return llvm::Error::success();
}

llvm::Expected<Attribute> Parser::parseAttrValue() {
  switch (tok.kind) {
  case Token::Integer: {
    auto value = parseInteger(tok);
    if (!value)
      return value.takeError();
    consume();
    return Attribute(*value);
  }
  case Token::Float: {
    auto value = parseFloat(tok);
    if (!value)
      return value.takeError();
    consume();
    return Attribute(*value);
  }
  case Token::Identifier: {
    Attribute value;
    if (tok.text == "true" || tok.text == "false") {
      value = Attribute(tok.text == "true");
    } else if (tok.text == "inf" || tok.text == "nan") {
      auto number = parseFloat(tok);
      if (!number)
        return number.takeError();
      value = Attribute(*number);
    } else {
      value = Attribute::enumValue(tok.text);
    }
    consume();
    return value;
  }
  case Token::LSquare:
    return parseList();
  case Token::DataName:
    consume();
    return Attribute(std::shared_ptr<const DenseData>()); // set later
  default:
    return expected("an attribute value");
  }
}

// A list of numbers: an Int list unless some element is a float, in which
// case every element is converted to double.
llvm::Expected<Attribute> Parser::parseList() {
  consume(); // '['
  std::vector<int64_t> ints;
  std::vector<double> floats;
  bool anyFloat = false;
  if (!tok.is(Token::RSquare)) {
    while (true) {
      if (tok.is(Token::Integer)) {
        auto value = parseInteger(tok);
        if (!value)
          return value.takeError();
        ints.push_back(*value);
        floats.push_back(static_cast<double>(*value));
      } else if (tok.is(Token::Float) || tok.isIdentifier("inf") ||
                 tok.isIdentifier("nan")) {
        auto value = parseFloat(tok);
        if (!value)
          return value.takeError();
        anyFloat = true;
        floats.push_back(*value);
      } else {
        return expected("a number in the list");
      }
      consume();
      if (!tok.is(Token::Comma))
        break;
      consume();
    }
  }
  if (auto err = parseToken(Token::RSquare, "',' or ']' in the list"))
    return err;
  if (anyFloat)
    return Attribute(std::move(floats));
  return Attribute(std::move(ints));
}

llvm::Expected<int64_t> Parser::parseInteger(const Token &t) {
  int64_t value = 0;
  if (t.text.getAsInteger(10, value))
    return makeLocatedError(t.getLoc(), "integer {} does not fit in 64 bits",
                            quoteForMessage(t.text));
  return value;
}

llvm::Expected<double> Parser::parseFloat(const Token &t) {
  llvm::StringRef text = t.text;
  bool negative = text.consume_front("-");
  double value = 0;
  if (text == "inf") {
    value = std::numeric_limits<double>::infinity();
  } else if (text == "nan") {
    value = std::numeric_limits<double>::quiet_NaN();
  } else {
    // from_chars is exact and ignores the locale, unlike strtod.
    auto [ptr, ec] = std::from_chars(text.begin(), text.end(), value);
    if (ec == std::errc::result_out_of_range)
      return makeLocatedError(t.getLoc(),
                              "number {} is out of the range of a double",
                              quoteForMessage(t.text));
    if (ec != std::errc() || ptr != text.end())
      return makeLocatedError(t.getLoc(), "invalid number {}",
                              quoteForMessage(t.text));
  }
  return negative ? -value : value;
}

// Renders every error of `err` as the tools print them, into one message.
llvm::Error renderErrors(llvm::SourceMgr &srcMgr, llvm::StringRef name,
                         llvm::Error err) {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto print = [&](llvm::SMLoc loc, const std::string &message) {
    if (loc.isValid() && srcMgr.FindBufferContainingLoc(loc))
      srcMgr.PrintMessage(os, loc, llvm::SourceMgr::DK_Error, message);
    else
      os << name << ": error: " << message << '\n';
  };
  llvm::handleAllErrors(
      std::move(err),
      [&](const LocatedError &e) { print(e.getLoc(), e.getMessage()); },
      [&](const llvm::ErrorInfoBase &e) { print({}, e.message()); });
  llvm::StringRef message(text);
  return makeError("{}", message.rtrim('\n').str());
}

// parseAndVerify's buffer dies with it, so the locations it returns must not
// point into it.
void forgetLocations(Graph &graph) {
  graph.setLoc({});
  graph.setReturnLoc({});
  for (Operation &op : graph.getOps()) {
    op.setLoc({});
    if (const Graph *body = op.getBody()) {
      auto copy = std::make_shared<Graph>(*body);
      forgetLocations(*copy);
      op.setBody(std::move(copy));
    }
  }
}

void forgetLocations(Module &module) {
  for (Graph &graph : module.getGraphs())
    forgetLocations(graph);
}

} // namespace

llvm::Expected<Module> parseModule(llvm::SourceMgr &srcMgr, unsigned bufferId) {
  return Parser(srcMgr.getMemoryBuffer(bufferId)->getBuffer()).parseModule();
}

llvm::Expected<Module> parseAndVerify(llvm::StringRef text,
                                      llvm::StringRef name) {
  llvm::SourceMgr srcMgr;
  unsigned bufferId = srcMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, name), llvm::SMLoc());
  auto module = parseModule(srcMgr, bufferId);
  if (!module)
    return renderErrors(srcMgr, name, module.takeError());
  if (auto err = verifyModule(*module))
    return renderErrors(srcMgr, name, std::move(err));
  forgetLocations(*module);
  return std::move(*module);
}

} // namespace qjit
