//===- Npy.cpp - Reading and writing NumPy .npy files ---------------------===//
//
// The format (numpy/lib/format.py): the magic "\x93NUMPY", a major and a
// minor version byte, the header length (2 bytes little-endian in 1.0, 4 in
// 2.0 and 3.0), then the header: a Python dict literal with the keys 'descr',
// 'fortran_order' and 'shape', padded with spaces and a final '\n' so that
// the data starts at a multiple of 64 bytes. The data follows, raw.
//===----------------------------------------------------------------------===//
#include "qjit/Support/Npy.h"
#include "qjit/Support/Error.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SwapByteOrder.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/ADT/STLExtras.h"
#include "Support/MakeError.h"

namespace qjit {

namespace {

constexpr llvm::StringLiteral kMagic("\x93NUMPY");
constexpr size_t kPrefixSize = 8; // magic + 2 version bytes
constexpr size_t kAlignment = 64;
// NumPy leaves room for the first dimension to grow to this many digits.
constexpr size_t kGrowthAxisMaxDigits = 21;

// A descr reduced to what the data needs: NumPy's canonical spelling ('|'
// for single bytes, '<' otherwise) and the element size.
struct ElementFormat {
  std::string descr;
  size_t itemSize;
};

llvm::Expected<ElementFormat> parseDescr(llvm::StringRef descr) {
  llvm::StringRef rest = descr;
  char order = '|';
  if (!rest.empty() && llvm::StringRef("<>|=").contains(rest.front())) {
    order = rest.front();
    rest = rest.drop_front();
  }
  if (order == '=' && !llvm::sys::IsLittleEndianHost)
    order = '>';
  if (rest.empty() || !llvm::StringRef("biufc").contains(rest.front()))
    return makeError("unsupported dtype '{}' (only booleans, integers and "
                     "floats are supported)",
                     descr.str());
  char kind = rest.front();
  unsigned itemSize = 0;
  if (rest.drop_front().getAsInteger(10, itemSize) || itemSize == 0 ||
      itemSize > 32)
    return makeError("unsupported dtype '{}'", descr.str());
  if (order == '>' && itemSize > 1)
    return makeError("big-endian dtype '{}' is not supported; convert the "
                     "array with .astype('<{}{}') first",
                     descr.str(), kind, itemSize);
  std::string canonical =
      itemSize == 1 ? fmt::format("|{}1", kind)
                    : fmt::format("<{}{}", kind, itemSize);
  return ElementFormat{std::move(canonical), itemSize};
}

// Python's repr of a shape tuple: (), (5,), (2, 3).
std::string shapeRepr(llvm::ArrayRef<int64_t> shape) {
  if (shape.size() == 1)
    return fmt::format("({},)", shape[0]);
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + ")";
}

// Product of `shape` times `itemSize`, or an error on negative dimensions
// or overflow.
llvm::Expected<uint64_t> dataSize(llvm::ArrayRef<int64_t> shape,
                                  size_t itemSize) {
  for (int64_t d : shape)
    if (d < 0)
      return makeError("shape has a negative dimension {}", d);
  if (llvm::is_contained(shape, 0))
    return uint64_t(0);
  int64_t size = static_cast<int64_t>(itemSize);
  for (int64_t d : shape)
    if (llvm::MulOverflow(size, d, size))
      return makeError("shape {} is too large", shapeRepr(shape));
  return static_cast<uint64_t>(size);
}

// Reads the header dict, a Python literal. It accepts what any NumPy
// version writes and what Python would evaluate to the same dict: keys in
// any order, either quote, any whitespace, trailing commas, and the 'L'
// suffix Python 2 wrote after long integers.
class HeaderParser {
public:
  explicit HeaderParser(llvm::StringRef text) : text(text) {}

  llvm::Error parse(std::string &descr, bool &fortranOrder,
                    llvm::SmallVectorImpl<int64_t> &shape) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    if (!consume('{'))
      return fail("expected '{'");
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      auto key = parseString();
      if (!key)
        return key.takeError();
      skipSpace();
      if (!consume(':'))
        return fail(fmt::format("expected ':' after '{}'", *key));
      skipSpace();
      bool *seen = *key == "descr"           ? &haveDescr
                   : *key == "fortran_order" ? &haveOrder
                   : *key == "shape"         ? &haveShape
                                             : nullptr;
      if (!seen)
        return fail(fmt::format("unexpected key '{}'", *key));
      if (*seen)
        return fail(fmt::format("key '{}' appears twice", *key));
      *seen = true;
      llvm::Error err = llvm::Error::success();
      if (*key == "descr")
        err = parseDescrValue(descr);
      else if (*key == "fortran_order")
        err = parseBool(fortranOrder);
      else
        err = parseShape(shape);
      if (err)
        return err;
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume('}'))
        break;
      return fail("expected ',' or '}'");
    }
    skipSpace();
    if (pos != text.size())
      return fail("unexpected text after the header dict");
    for (auto [have, key] : {std::pair{haveDescr, "descr"},
                             std::pair{haveOrder, "fortran_order"},
                             std::pair{haveShape, "shape"}})
      if (!have)
        return makeError("header has no '{}' key", key);
    return llvm::Error::success();
  }

private:
  llvm::Error fail(const std::string &message) {
    return makeError("{} at offset {} of the header", message, pos);
  }
  bool peek(char c) const { return pos < text.size() && text[pos] == c; }
  bool consume(char c) {
    if (!peek(c))
      return false;
    ++pos;
    return true;
  }
  bool consumeWord(llvm::StringRef word) {
    if (!text.substr(pos).starts_with(word))
      return false;
    pos += word.size();
    return true;
  }
  void skipSpace() {
    while (pos < text.size() && llvm::isSpace(text[pos]))
      ++pos;
  }

  llvm::Expected<std::string> parseString() {
    if (!peek('\'') && !peek('"'))
      return fail("expected a quoted string");
    char quote = text[pos++];
    size_t start = pos;
    while (pos < text.size() && text[pos] != quote) {
      if (text[pos] == '\\' || text[pos] == '\n')
        return fail("unsupported character in a string");
      ++pos;
    }
    if (pos == text.size())
      return fail("unterminated string");
    return text.slice(start, pos++).str();
  }

  llvm::Error parseDescrValue(std::string &descr) {
    if (peek('[') || peek('{'))
      return fail("structured dtypes are not supported");
    auto value = parseString();
    if (!value)
      return value.takeError();
    descr = std::move(*value);
    return llvm::Error::success();
  }

  llvm::Error parseBool(bool &value) {
    if (consumeWord("True"))
      value = true;
    else if (consumeWord("False"))
      value = false;
    else
      return fail("expected True or False");
    return llvm::Error::success();
  }

  llvm::Error parseShape(llvm::SmallVectorImpl<int64_t> &shape) {
    if (!consume('('))
      return fail("expected a tuple for the shape");
    while (true) {
      skipSpace();
      if (consume(')'))
        return llvm::Error::success();
      if (peek('-'))
        return fail("negative dimension in the shape");
      size_t start = pos;
      while (pos < text.size() && llvm::isDigit(text[pos]))
        ++pos;
      int64_t dim = 0;
      if (pos == start)
        return fail("expected a dimension");
      if (text.slice(start, pos).getAsInteger(10, dim))
        return fail("dimension does not fit in 64 bits");
      consume('L');
      shape.push_back(dim);
      skipSpace();
      if (consume(')'))
        return llvm::Error::success();
      if (!consume(','))
        return fail("expected ',' or ')' in the shape");
    }
  }

  llvm::StringRef text;
  size_t pos = 0;
};

llvm::Expected<NpyArray> parseNpyBytes(llvm::StringRef bytes) {
  if (!bytes.starts_with(kMagic))
    return makeError("not a .npy file (no \\x93NUMPY magic)");
  if (bytes.size() < kPrefixSize)
    return makeError("file ends inside the version");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  unsigned minor = static_cast<unsigned char>(bytes[7]);
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    return makeError("unsupported .npy format version {}.{}", major, minor);
  size_t lengthSize = major == 1 ? 2 : 4;
  if (bytes.size() < kPrefixSize + lengthSize)
    return makeError("file ends inside the header length");
  const char *lengthBytes = bytes.data() + kPrefixSize;
  uint64_t headerLength =
      major == 1 ? llvm::support::endian::read16le(lengthBytes)
                 : llvm::support::endian::read32le(lengthBytes);
  size_t headerStart = kPrefixSize + lengthSize;
  if (bytes.size() - headerStart < headerLength)
    return makeError("file ends inside the header ({} of {} bytes)",
                     bytes.size() - headerStart, headerLength);
  llvm::StringRef header = bytes.substr(headerStart, headerLength);

  NpyArray array;
  bool fortranOrder = false;
  if (auto err = HeaderParser(header).parse(array.descr, fortranOrder,
                                            array.shape))
    return err;
  if (fortranOrder)
    return makeError("Fortran-order arrays are not supported; save a C-order "
                     "array (numpy.ascontiguousarray)");
  auto format = parseDescr(array.descr);
  if (!format)
    return format.takeError();
  array.descr = format->descr;
  auto size = dataSize(array.shape, format->itemSize);
  if (!size)
    return size.takeError();
  llvm::StringRef data = bytes.substr(headerStart + headerLength);
  if (data.size() != *size)
    return makeError("has {} bytes of data, but shape {} of '{}' needs {}",
                     data.size(), shapeRepr(array.shape), array.descr, *size);
  array.data.assign(data.begin(), data.end());
  return array;
}

} // namespace

llvm::Expected<NpyArray> parseNpy(llvm::StringRef bytes, llvm::StringRef name) {
  auto array = parseNpyBytes(bytes);
  if (!array)
    return makeError("{}: {}", name.str(), llvm::toString(array.takeError()));
  return array;
}

llvm::Expected<NpyArray> readNpyFile(llvm::StringRef path,
                                     uint64_t maxDataBytes) {
  // Only a regular file has a size to check before reading: /dev/zero never
  // ends and a FIFO without a writer blocks forever.
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return makeError("cannot read '{}': {}", path.str(), ec.message());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return makeError("cannot read '{}': not a regular file", path.str());
  // The header of a valid file is under 64 KiB (format 1.0) or 4 GiB (2.0,
  // never written for real arrays); the data must fit the limit.
  if (status.getSize() > maxDataBytes &&
      status.getSize() - maxDataBytes > (uint64_t(1) << 16))
    return makeError("'{}' has {} bytes, more than the limit of {} bytes of "
                     "data",
                     path.str(), status.getSize(), maxDataBytes);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError("cannot read '{}': {}", path.str(),
                     buffer.getError().message());
  return parseNpy((*buffer)->getBuffer(), path);
}

std::string serializeNpy(llvm::StringRef descr, llvm::ArrayRef<int64_t> shape,
                         llvm::StringRef data) {
  // Exactly what numpy.save writes (NumPy >= 1.24): sorted keys, room for
  // the first dimension to grow, then padding to the alignment.
  std::string dict =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                  descr.str(), shapeRepr(shape));
  if (!shape.empty())
    dict.append(kGrowthAxisMaxDigits - std::to_string(shape[0]).size(), ' ');
  // The header plus its '\n'; NumPy always pads (1 to 64 spaces).
  size_t headerLength = dict.size() + 1;
  auto padding = [&](size_t lengthSize) {
    return kAlignment -
           (kPrefixSize + lengthSize + headerLength) % kAlignment;
  };
  unsigned major = headerLength + padding(2) <= 0xffff ? 1 : 2;
  size_t lengthSize = major == 1 ? 2 : 4;
  size_t padded = headerLength + padding(lengthSize);

  std::string out;
  out.reserve(kPrefixSize + lengthSize + padded + data.size());
  out += kMagic;
  out += static_cast<char>(major);
  out += '\0';
  char length[4];
  if (major == 1)
    llvm::support::endian::write16le(length, static_cast<uint16_t>(padded));
  else
    llvm::support::endian::write32le(length, static_cast<uint32_t>(padded));
  out.append(length, lengthSize);
  out += dict;
  out.append(padded - headerLength, ' ');
  out += '\n';
  out += data;
  return out;
}

llvm::Error writeNpyFile(llvm::StringRef path, llvm::StringRef descr,
                         llvm::ArrayRef<int64_t> shape, llvm::StringRef data) {
  auto format = parseDescr(descr);
  if (!format)
    return makeError("cannot write '{}': {}", path.str(),
                     llvm::toString(format.takeError()));
  auto size = dataSize(shape, format->itemSize);
  if (!size)
    return makeError("cannot write '{}': {}", path.str(),
                     llvm::toString(size.takeError()));
  if (data.size() != *size)
    return makeError("cannot write '{}': {} bytes of data for shape {} of "
                     "'{}', which needs {}",
                     path.str(), data.size(), shapeRepr(shape), descr.str(),
                     *size);
  std::string bytes = serializeNpy(format->descr, shape, data);

  // A temporary file in the same directory, renamed over `path` once
  // complete: readers never see a partial file, and a failure leaves none.
  auto temp = llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%%%");
  if (!temp)
    return makeError("cannot write '{}': {}", path.str(),
                     llvm::toString(temp.takeError()));
  std::error_code writeError;
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os << bytes;
    os.flush();
    writeError = os.error();
    os.clear_error();
  }
  if (writeError) {
    llvm::consumeError(temp->discard());
    return makeError("cannot write '{}': {}", path.str(),
                     writeError.message());
  }
  if (auto err = temp->keep(path))
    return makeError("cannot write '{}': {}", path.str(),
                     llvm::toString(std::move(err)));
  return llvm::Error::success();
}

} // namespace qjit
