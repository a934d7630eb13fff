//===- TestHelpers.h - Small helpers shared by the unit tests ---*- C++ -*-===//
#ifndef QJIT_TEST_UNIT_TESTHELPERS_H
#define QJIT_TEST_UNIT_TESTHELPERS_H

#include "llvm/Support/Error.h"
#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <initializer_list>
#include <source_location>
#include <string>
#include <string_view>
#include <type_traits>

namespace qjit::test {

// The text of a failure; "<success>" if there was none (so a test that
// expects a message containing some text fails readably).
inline std::string errorText(llvm::Error err) {
  if (!err)
    return "<success>";
  return llvm::toString(std::move(err));
}
template <typename T> std::string errorText(llvm::Expected<T> value) {
  if (value)
    return "<success>";
  return llvm::toString(value.takeError());
}

//===-- Checking llvm::Error and llvm::Expected ---------------------------===//
//
// ASSERT_OK(x) / EXPECT_OK(x): `x`, an llvm::Error or llvm::Expected<T>,
// holds no error. On failure the message names the expression and gives
// llvm::toString of the error; more text can be streamed (`<< text`). The
// error is consumed either way, and an Expected keeps its value for use
// after the check. For a helper that must return a value instead,
// `if (!expectOk(x)) return ...;`. For an expected failure,
// EXPECT_ERROR_CONTAINS.

inline ::testing::AssertionResult isOk(const char *expr, llvm::Error &&err) {
  if (!err)
    return ::testing::AssertionSuccess();
  ::testing::AssertionResult failure = ::testing::AssertionFailure();
  if (*expr)
    failure << expr << " failed: ";
  return failure << llvm::toString(std::move(err));
}
inline ::testing::AssertionResult isOk(const char *expr, llvm::Error &err) {
  return isOk(expr, std::move(err));
}
template <typename T>
::testing::AssertionResult isOk(const char *expr, llvm::Expected<T> &value) {
  if (value)
    return ::testing::AssertionSuccess();
  return isOk(expr, value.takeError());
}
template <typename T>
::testing::AssertionResult isOk(const char *expr, llvm::Expected<T> &&value) {
  return isOk(expr, value);
}

#define ASSERT_OK(x) ASSERT_PRED_FORMAT1(::qjit::test::isOk, x)
#define EXPECT_OK(x) EXPECT_PRED_FORMAT1(::qjit::test::isOk, x)

// EXPECT_OK that returns whether `x` succeeded, for helpers that return a
// value: a failure is recorded at the caller's line ("<what> failed: " and
// the error's text).
template <typename E>
bool expectOk(E &&x, const std::string &what = "",
              std::source_location where = std::source_location::current()) {
  ::testing::AssertionResult ok = isOk(what.c_str(), std::forward<E>(x));
  if (!ok)
    ADD_FAILURE_AT(where.file_name(), where.line()) << ok.message();
  return bool(ok);
}

// Checks that an Error / Expected failed with a message containing `text`.
#define EXPECT_ERROR_CONTAINS(expr, text)                                      \
  do {                                                                         \
    std::string qjitErrorText_ = ::qjit::test::errorText(expr);                \
    EXPECT_NE(qjitErrorText_.find(text), std::string::npos)                    \
        << "error text: " << qjitErrorText_                                    \
        << "\nexpected to contain: " << (text);                                \
  } while (false)

// EXPECT_ERROR_CONTAINS for several pieces of one error's message: fails
// naming each piece the message lacks.
inline ::testing::AssertionResult
containsAll(const std::string &text,
            std::initializer_list<std::string_view> pieces) {
  ::testing::AssertionResult result = ::testing::AssertionSuccess();
  for (std::string_view piece : pieces)
    if (text.find(piece) == std::string::npos)
      result = ::testing::AssertionFailure()
               << result.message() << "\nexpected to contain: " << piece;
  if (!result)
    result << "\nerror text: " << text;
  return result;
}
#define EXPECT_ERROR_CONTAINS_ALL(expr, ...)                                   \
  EXPECT_TRUE(                                                                 \
      ::qjit::test::containsAll(::qjit::test::errorText(expr), {__VA_ARGS__}))

inline uint32_t bitsOf(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}
inline uint64_t bitsOf(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}
inline float floatFromBits(uint32_t bits) {
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// Bitwise equality of two floats of the same type (so +0.0 != -0.0 and a
// NaN equals only the same NaN), printing both on failure.
template <typename A, typename E>
::testing::AssertionResult sameBits(A actual, E expected) {
  static_assert(std::is_same_v<A, E>, "compare values of one type");
  if (bitsOf(actual) == bitsOf(expected))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "actual " << actual << " (bits 0x" << std::hex << bitsOf(actual)
         << "), expected " << expected << " (bits 0x" << bitsOf(expected)
         << ")";
}
#define EXPECT_SAME_FLOAT(actual, expected)                                    \
  EXPECT_TRUE(::qjit::test::sameBits(actual, expected))

} // namespace qjit::test

#endif
