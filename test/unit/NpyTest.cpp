//===- NpyTest.cpp - Reading and writing .npy files -----------------------===//
#include "qjit/Support/Npy.h"
#include "TestHelpers.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <cstring>
#include <gtest/gtest.h>

using namespace qjit;

namespace {

// Reference files written by NumPy 1.24 (data/npy/generate.py).
std::string dataPath(llvm::StringRef name) {
  return (llvm::Twine(QJIT_NPY_DATA_DIR) + "/" + name).str();
}

std::string readBytes(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  EXPECT_TRUE(bool(buffer)) << path;
  return buffer ? (*buffer)->getBuffer().str() : std::string();
}

template <typename T> std::string bytesOf(std::initializer_list<T> values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  if (values.size())
    std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}

std::string dataOf(const NpyArray &array) {
  return std::string(array.data.begin(), array.data.end());
}

// The header NumPy writes for `dict`: a 1.0 prefix, then the dict padded
// with spaces and a '\n' to `total` bytes in all (prefix included).
std::string withHeader(llvm::StringRef dict, size_t total) {
  size_t headerLength = total - 10;
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(headerLength & 0xff);
  out += static_cast<char>(headerLength >> 8);
  out += dict;
  out.append(headerLength - dict.size() - 1, ' ');
  out += '\n';
  return out;
}

std::string errorOf(llvm::StringRef bytes) {
  auto array = parseNpy(bytes, "x.npy");
  if (array)
    return "<no error>";
  return llvm::toString(array.takeError());
}

//===----------------------------------------------------------------------===//
// Files written by NumPy.
//===----------------------------------------------------------------------===//

struct Reference {
  const char *file;
  const char *descr;
  std::vector<int64_t> shape;
  std::string data;
};

std::vector<Reference> references() {
  return {
      {"f4_3.npy", "<f4", {3}, bytesOf<float>({1.5f, -2.0f, 0.1f})},
      {"f8_2x3.npy",
       "<f8",
       {2, 3},
       bytesOf<double>({0.0, 0.25, 0.5, 0.75, 1.0, 1.25})},
      {"i1_scalar.npy", "|i1", {}, bytesOf<int8_t>({-7})},
      {"u1_0.npy", "|u1", {0}, ""},
      {"i2_2x0x3.npy", "<i2", {2, 0, 3}, ""},
      {"i4_4.npy",
       "<i4",
       {4},
       bytesOf<int32_t>({1, -2, INT32_MAX, INT32_MIN})},
      {"i8_2x2.npy",
       "<i8",
       {2, 2},
       bytesOf<int64_t>({1, -1, int64_t(1) << 62, INT64_MIN})},
      {"b1_5.npy", "|b1", {5}, std::string("\1\0\1\1\0", 5)},
  };
}

TEST(NpyTest, ReadsFilesWrittenByNumPy) {
  for (const Reference &ref : references()) {
    SCOPED_TRACE(ref.file);
    auto array = readNpyFile(dataPath(ref.file));
    ASSERT_OK(array);
    EXPECT_EQ(array->descr, ref.descr);
    EXPECT_EQ(std::vector<int64_t>(array->shape.begin(), array->shape.end()),
              ref.shape);
    EXPECT_EQ(dataOf(*array), ref.data);
  }
}

TEST(NpyTest, WritesTheBytesNumPyWrites) {
  for (const Reference &ref : references()) {
    SCOPED_TRACE(ref.file);
    EXPECT_EQ(serializeNpy(ref.descr, ref.shape, ref.data),
              readBytes(dataPath(ref.file)));
  }
}

TEST(NpyTest, ReadsFormatVersions2And3) {
  auto v2 = readNpyFile(dataPath("f4_v2.npy"));
  ASSERT_OK(v2);
  EXPECT_EQ(v2->descr, "<f4");
  EXPECT_EQ(v2->shape, llvm::SmallVector<int64_t>({2}));
  EXPECT_EQ(dataOf(*v2), bytesOf<float>({1.0f, 2.0f}));

  auto v3 = readNpyFile(dataPath("f4_v3.npy"));
  ASSERT_OK(v3);
  EXPECT_EQ(v3->shape, llvm::SmallVector<int64_t>({1}));
  EXPECT_EQ(dataOf(*v3), bytesOf<float>({3.0f}));
}

TEST(NpyTest, RejectsFortranOrderAndBigEndianFiles) {
  EXPECT_ERROR_CONTAINS(readNpyFile(dataPath("f4_fortran.npy")),
                        "f4_fortran.npy: Fortran-order arrays are not "
                        "supported");
  EXPECT_ERROR_CONTAINS(readNpyFile(dataPath("f4_bigendian.npy")),
                        "big-endian dtype '>f4' is not supported");
}

//===----------------------------------------------------------------------===//
// Hand-written headers.
//===----------------------------------------------------------------------===//

TEST(NpyTest, ParsesTheClassicHeader) {
  // As NumPy < 1.24 wrote it: 118 header bytes, data at offset 128.
  std::string bytes = withHeader(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 128);
  ASSERT_EQ(bytes.substr(0, 10), std::string("\x93NUMPY\x01\x00v\x00", 10));
  bytes += bytesOf<float>({1.0f, 2.0f, 3.0f});
  auto array = parseNpy(bytes, "x.npy");
  ASSERT_OK(array);
  EXPECT_EQ(array->descr, "<f4");
  EXPECT_EQ(array->shape, llvm::SmallVector<int64_t>({3}));
  EXPECT_EQ(dataOf(*array), bytesOf<float>({1.0f, 2.0f, 3.0f}));
}

TEST(NpyTest, ParsesHeaderVariants) {
  struct Case {
    const char *dict;
    const char *descr;
    std::vector<int64_t> shape;
  };
  const Case cases[] = {
      // Keys in any order, either quote, no trailing comma.
      {"{'shape': (2, 3), 'fortran_order': False, 'descr': '<i4'}", "<i4",
       {2, 3}},
      {"{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": ()}", "<f8",
       {}},
      // Tight and loose spacing, trailing commas inside the tuple.
      {"{'descr':'|u1','fortran_order':False,'shape':(2,3,),}", "|u1",
       {2, 3}},
      {"  {  'descr' : '<i2' ,\n 'fortran_order' : False , 'shape' : ( 4 , ) "
       "}",
       "<i2",
       {4}},
      // Python 2 long integers.
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 1L), }", "<f4",
       {2, 1}},
      // Native and unprefixed descrs; single bytes are spelled with '|'.
      {"{'descr': '=i8', 'fortran_order': False, 'shape': (1,), }", "<i8",
       {1}},
      {"{'descr': 'f4', 'fortran_order': False, 'shape': (1,), }", "<f4",
       {1}},
      {"{'descr': '<b1', 'fortran_order': False, 'shape': (1,), }", "|b1",
       {1}},
      {"{'descr': '>u1', 'fortran_order': False, 'shape': (1,), }", "|u1",
       {1}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.dict);
    size_t itemSize = c.descr[2] - '0';
    int64_t count = 1;
    for (int64_t d : c.shape)
      count *= d;
    std::string bytes = withHeader(c.dict, 192) +
                        std::string(count * itemSize, '\x5a');
    auto array = parseNpy(bytes, "x.npy");
    ASSERT_OK(array);
    EXPECT_EQ(array->descr, c.descr);
    EXPECT_EQ(std::vector<int64_t>(array->shape.begin(), array->shape.end()),
              c.shape);
    EXPECT_EQ(array->data.size(), count * itemSize);
  }
}

TEST(NpyTest, ReportsBadHeaders) {
  struct Case {
    const char *dict;
    const char *message;
  };
  const Case cases[] = {
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }",
       "x.npy: Fortran-order arrays are not supported"},
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
       "x.npy: big-endian dtype '>f4' is not supported; convert the array "
       "with .astype('<f4') first"},
      {"{'descr': '>i8', 'fortran_order': False, 'shape': (1,), }",
       "x.npy: big-endian dtype '>i8' is not supported"},
      {"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
       "x.npy: unsupported dtype '|O'"},
      {"{'descr': '<U5', 'fortran_order': False, 'shape': (1,), }",
       "x.npy: unsupported dtype '<U5'"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
       "x.npy: structured dtypes are not supported"},
      {"{'descr': '<f4', 'fortran_order': False, }",
       "x.npy: header has no 'shape' key"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
       "x.npy: unexpected key 'x'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': "
       "(1,)}",
       "x.npy: key 'descr' appears twice"},
      {"{'descr': '<f4', 'fortran_order': false, 'shape': (1,), }",
       "x.npy: expected True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
       "x.npy: negative dimension in the shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1 2), }",
       "x.npy: expected ',' or ')' in the shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': "
       "(99999999999999999999,), }",
       "x.npy: dimension does not fit in 64 bits"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, "
       "4294967296), }",
       "x.npy: shape (4294967296, 4294967296) is too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x",
       "x.npy: unexpected text after the header dict"},
      {"{'descr: '<f4'", "x.npy: expected ':' after 'descr: '"},
      {"['descr', '<f4']", "x.npy: expected '{'"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.dict);
    std::string message = errorOf(withHeader(c.dict, 192) + "abcd");
    EXPECT_EQ(message.rfind(c.message, 0), 0u) << message;
  }
}

TEST(NpyTest, ChecksTheDataLength) {
  std::string header = withHeader(
      "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }", 128);
  EXPECT_EQ(errorOf(header + std::string(11, 'x')),
            "x.npy: has 11 bytes of data, but shape (2, 3) of '<i2' needs 12");
  EXPECT_EQ(errorOf(header + std::string(13, 'x')),
            "x.npy: has 13 bytes of data, but shape (2, 3) of '<i2' needs 12");
  EXPECT_OK(parseNpy(header + std::string(12, 'x'), "x.npy"));

  // A scalar holds one element; a 0-size array none.
  std::string scalar = withHeader(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 128);
  EXPECT_EQ(errorOf(scalar),
            "x.npy: has 0 bytes of data, but shape () of '<f8' needs 8");
  std::string empty = withHeader(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 0), }", 128);
  EXPECT_EQ(errorOf(empty + "x"),
            "x.npy: has 1 bytes of data, but shape (3, 0) of '<f8' needs 0");
}

TEST(NpyTest, ReportsBadPrefixes) {
  EXPECT_EQ(errorOf(""), "x.npy: not a .npy file (no \\x93NUMPY magic)");
  EXPECT_EQ(errorOf("PK\x03\x04"),
            "x.npy: not a .npy file (no \\x93NUMPY magic)");
  EXPECT_EQ(errorOf(std::string("\x93NUMPY\x04\x00\x10\x00", 10)),
            "x.npy: unsupported .npy format version 4.0");
  EXPECT_EQ(errorOf(std::string("\x93NUMPY\x01\x01\x10\x00", 10)),
            "x.npy: unsupported .npy format version 1.1");
  EXPECT_EQ(errorOf(std::string("\x93NUMPY\x01\x00\x10", 9)),
            "x.npy: file ends inside the header length");
  EXPECT_EQ(errorOf(std::string("\x93NUMPY\x02\x00\x10\x00\x00", 11)),
            "x.npy: file ends inside the header length");
  EXPECT_EQ(errorOf(std::string("\x93NUMPY\x01\x00\x10\x00{}", 12)),
            "x.npy: file ends inside the header (2 of 16 bytes)");
}

// Every truncation of a valid file is an error, never a crash or a read
// past the end (the bytes are copied to an exactly-sized buffer).
TEST(NpyTest, EveryTruncationIsAnError) {
  std::string full = serializeNpy("<f4", {2, 3}, std::string(24, '\1'));
  for (size_t n = 0; n < full.size(); ++n) {
    std::unique_ptr<char[]> exact(new char[n ? n : 1]);
    std::memcpy(exact.get(), full.data(), n);
    EXPECT_FALSE(bool(parseNpy(llvm::StringRef(exact.get(), n), "x.npy")))
        << "prefix of " << n << " bytes";
  }
  EXPECT_OK(parseNpy(full, "x.npy"));
}

//===----------------------------------------------------------------------===//
// Writing.
//===----------------------------------------------------------------------===//

TEST(NpyTest, RoundTripsEveryDtypeAndShape) {
  const std::pair<const char *, size_t> dtypes[] = {
      {"<f4", 4}, {"<f8", 8}, {"|i1", 1}, {"|u1", 1},
      {"<i2", 2}, {"<i4", 4}, {"<i8", 8}, {"|b1", 1}};
  const std::vector<int64_t> shapes[] = {
      {}, {0}, {1}, {7}, {2, 3}, {2, 0, 3}, {1, 1, 1, 1}, {3, 1, 2, 1, 2}};
  unsigned seed = 1;
  for (auto [descr, itemSize] : dtypes) {
    for (const std::vector<int64_t> &shape : shapes) {
      SCOPED_TRACE(testing::Message() << descr << " rank " << shape.size());
      int64_t count = 1;
      for (int64_t d : shape)
        count *= d;
      std::string data(count * itemSize, '\0');
      for (char &c : data) {
        seed = seed * 1103515245 + 12345;
        c = static_cast<char>(seed >> 16);
      }
      std::string bytes = serializeNpy(descr, shape, data);
      // Format 1.0, the data aligned to 64 bytes, the header ending in '\n'.
      EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
      size_t dataStart = bytes.size() - data.size();
      EXPECT_EQ(dataStart % 64, 0u);
      EXPECT_EQ(bytes[dataStart - 1], '\n');
      size_t headerLength = uint8_t(bytes[8]) | uint8_t(bytes[9]) << 8;
      EXPECT_EQ(10 + headerLength, dataStart);

      auto array = parseNpy(bytes, "x.npy");
      ASSERT_OK(array);
      EXPECT_EQ(array->descr, descr);
      EXPECT_EQ(std::vector<int64_t>(array->shape.begin(), array->shape.end()),
                shape);
      EXPECT_EQ(dataOf(*array), data);
    }
  }
}

TEST(NpyTest, UsesFormat2WhenTheHeaderIsLarge) {
  // 30000 dimensions of 1 print as "(1, 1, ...)": a header > 65535 bytes.
  std::vector<int64_t> shape(30000, 1);
  std::string bytes = serializeNpy("<f4", shape, bytesOf<float>({2.5f}));
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x02\x00", 8));
  uint32_t headerLength = 0;
  for (int i = 3; i >= 0; --i)
    headerLength = headerLength << 8 | uint8_t(bytes[8 + i]);
  EXPECT_GT(headerLength, 65535u);
  EXPECT_EQ(12 + headerLength, bytes.size() - 4);
  EXPECT_EQ((12 + headerLength) % 64, 0u);
  auto array = parseNpy(bytes, "x.npy");
  ASSERT_OK(array);
  EXPECT_EQ(array->shape.size(), 30000u);
  EXPECT_EQ(dataOf(*array), bytesOf<float>({2.5f}));
}

class NpyFileTest : public testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(
        llvm::sys::fs::createUniqueDirectory("qjit-npy-test", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(llvm::StringRef name) const {
    return (dir + "/" + name).str();
  }
  std::vector<std::string> listDir() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec))
      names.push_back(llvm::sys::path::filename(it->path()).str());
    std::sort(names.begin(), names.end());
    return names;
  }

  llvm::SmallString<128> dir;
};

TEST_F(NpyFileTest, WritesAndReadsBack) {
  std::string data = bytesOf<int32_t>({1, 2, 3, 4, 5, 6});
  ASSERT_OK(writeNpyFile(path("a.npy"), "<i4", {3, 2}, data));
  auto array = readNpyFile(path("a.npy"));
  ASSERT_OK(array);
  EXPECT_EQ(array->descr, "<i4");
  EXPECT_EQ(array->shape, llvm::SmallVector<int64_t>({3, 2}));
  EXPECT_EQ(dataOf(*array), data);
  EXPECT_EQ(readBytes(path("a.npy")), serializeNpy("<i4", {3, 2}, data));

  // Overwriting replaces the file; no temporary file is left behind.
  ASSERT_OK(writeNpyFile(path("a.npy"), "|u1", {}, "\x07"));
  EXPECT_EQ(readBytes(path("a.npy")), serializeNpy("|u1", {}, "\x07"));
  EXPECT_EQ(listDir(), std::vector<std::string>({"a.npy"}));
}

TEST_F(NpyFileTest, FailedWritesLeaveNoFile) {
  llvm::Error err = writeNpyFile(path("a.npy"), "<f4", {3}, "12345678");
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "cannot write '" + path("a.npy") +
                "': 8 bytes of data for shape (3,) of '<f4', which needs 12");
  err = writeNpyFile(path("b.npy"), ">f8", {1}, "12345678");
  ASSERT_TRUE(bool(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("big-endian"),
            std::string::npos);
  err = writeNpyFile(path("c.npy"), "<f4", {-1}, "");
  ASSERT_TRUE(bool(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("negative dimension -1"),
            std::string::npos);
  EXPECT_EQ(listDir(), std::vector<std::string>());

  // A directory that does not exist.
  err = writeNpyFile(path("missing/a.npy"), "<f4", {1}, "1234");
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)).rfind(
                "cannot write '" + path("missing/a.npy") + "'", 0),
            0u);
  EXPECT_EQ(listDir(), std::vector<std::string>());
}

TEST_F(NpyFileTest, ReportsUnreadableFiles) {
  auto missing = readNpyFile(path("none.npy"));
  ASSERT_FALSE(bool(missing));
  EXPECT_EQ(llvm::toString(missing.takeError()).rfind(
                "cannot read '" + path("none.npy") + "': ", 0),
            0u);
}

} // namespace
