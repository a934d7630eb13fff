//===- TestHelpers.h - Small helpers shared by the unit tests ---*- C++ -*-===//
#ifndef QJIT_TEST_UNIT_TESTHELPERS_H
#define QJIT_TEST_UNIT_TESTHELPERS_H

#include "llvm/Support/Error.h"
#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
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

// Checks that an Error / Expected failed with a message containing `text`.
#define EXPECT_ERROR_CONTAINS(expr, text)                                      \
  do {                                                                         \
    std::string qjitErrorText_ = ::qjit::test::errorText(expr);                \
    EXPECT_NE(qjitErrorText_.find(text), std::string::npos)                    \
        << "error text: " << qjitErrorText_                                    \
        << "\nexpected to contain: " << (text);                                \
  } while (false)

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
