//===- AttributeTest.cpp - Float printing and attribute coercion ----------===//
#include "qjit/IR/Attribute.h"
#include "TestHelpers.h"
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>

using namespace qjit;
using qjit::test::bitsOf;

namespace {

double parse(const std::string &text) {
  char *end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  EXPECT_EQ(*end, '\0') << "trailing text in " << text;
  return v;
}

// Significant decimal digits of a number's text ("0.050" -> 1, "1.25e-3" ->
// 3): the digits of the mantissa without leading and trailing zeros.
int significantDigits(const std::string &text) {
  std::string digits;
  for (char c : text.substr(0, text.find_first_of("eE")))
    if (c >= '0' && c <= '9')
      digits += c;
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos)
    return 1; // zero
  size_t last = digits.find_last_not_of('0');
  return static_cast<int>(last - first + 1);
}

// The fewest significant digits of any decimal that reads back as `v`.
int shortestDigits(double v) {
  for (int precision = 1; precision < 17; ++precision) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, v);
    if (bitsOf(std::strtod(buffer, nullptr)) == bitsOf(v))
      return precision;
  }
  return 17;
}

// formatFloat(v) reads back as exactly v, reads as a float (has '.' or an
// exponent), and has no more digits than needed.
void checkRoundTrip(double v) {
  std::string text = formatFloat(v);
  SCOPED_TRACE(text);
  EXPECT_EQ(bitsOf(parse(text)), bitsOf(v));
  EXPECT_NE(text.find_first_of(".eE"), std::string::npos);
  // No more digits than the fewest that %.Ng finds (shortest algorithms
  // may even beat %.Ng next to a power of two).
  EXPECT_LE(significantDigits(text), shortestDigits(v));
}

TEST(FormatFloatTest, KnownTexts) {
  EXPECT_EQ(formatFloat(0.1), "0.1");
  EXPECT_EQ(formatFloat(0.05), "0.05");
  EXPECT_EQ(formatFloat(1.0), "1.0");
  EXPECT_EQ(formatFloat(-2.0), "-2.0");
  EXPECT_EQ(formatFloat(0.0), "0.0");
  EXPECT_EQ(formatFloat(-0.0), "-0.0");
  EXPECT_EQ(formatFloat(1e300), "1e+300");
  EXPECT_EQ(formatFloat(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(formatFloat(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(formatFloat(std::nan("")), "nan");
  // float32's 0.3 printed as a double: all the digits it needs.
  EXPECT_EQ(formatFloat(double(0.3f)), "0.30000001192092896");
}

TEST(FormatFloatTest, SpecialValuesRoundTrip) {
  const double values[] = {
      0.1,
      0.3,
      1e300,
      -1e300,
      0.0,
      -0.0,
      1.0 / 3.0,
      2.0 / 3.0,
      1e23, // the classic shortest-digits trap
      9007199254740993.0,
      1e16,
      123456789.0,
      DBL_MAX,
      -DBL_MAX,
      DBL_MIN,                      // smallest normal
      std::nextafter(DBL_MIN, 0.0), // largest denormal
      std::numeric_limits<double>::denorm_min(),
      -std::numeric_limits<double>::denorm_min(),
      3 * std::numeric_limits<double>::denorm_min(),
      double(FLT_MIN),
      double(FLT_MAX),
      double(1.1920929e-7f),
      5e-324,
  };
  for (double v : values)
    checkRoundTrip(v);
}

TEST(FormatFloatTest, RandomBitPatternsRoundTrip) {
  std::mt19937_64 rng(20240611);
  int checked = 0, denormals = 0;
  while (checked < 20000) {
    uint64_t bits = rng();
    // Every fourth draw is a denormal (exponent field 0).
    if (checked % 4 == 3)
      bits &= 0x800FFFFFFFFFFFFFull;
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v))
      continue;
    denormals += std::fpclassify(v) == FP_SUBNORMAL;
    checkRoundTrip(v);
    ++checked;
  }
  EXPECT_GT(denormals, 4000);
}

TEST(FormatFloatTest, RandomFloat32AndUnitValuesRoundTrip) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_real_distribution<float> wide(-1e6f, 1e6f);
  for (int i = 0; i < 10000; ++i) {
    checkRoundTrip(unit(rng));
    checkRoundTrip(double(wide(rng)));
  }
}

//===----------------------------------------------------------------------===//
// coerceAttribute
//===----------------------------------------------------------------------===//

// The coerced value, or nullopt if `kind` rejects `value`.
std::optional<Attribute> coerced(AttrKind kind, Attribute value) {
  if (!coerceAttribute(kind, value))
    return std::nullopt;
  return value;
}

const Attribute kInt(3);
const Attribute kFloat(2.5);
const Attribute kBool(true);
const Attribute kEnum = Attribute::enumValue("clipped");
const Attribute kIntList(std::vector<int64_t>{1, 2});
const Attribute kFloatList(std::vector<double>{0.5, 1.5});

TEST(CoerceAttributeTest, Int) {
  EXPECT_EQ(coerced(AttrKind::Int, kInt), kInt);
  EXPECT_EQ(coerced(AttrKind::Int, Attribute(2.0)), std::nullopt);
  EXPECT_EQ(coerced(AttrKind::Int, kBool), std::nullopt);
  EXPECT_EQ(coerced(AttrKind::Int, kIntList), std::nullopt);
  EXPECT_EQ(coerced(AttrKind::Int, kEnum), std::nullopt);
}

TEST(CoerceAttributeTest, FloatTakesIntegers) {
  std::optional<Attribute> a = coerced(AttrKind::Float, kInt);
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->isFloat());
  EXPECT_EQ(a->getFloat(), 3.0);
  EXPECT_EQ(coerced(AttrKind::Float, kFloat), kFloat);
  EXPECT_EQ(coerced(AttrKind::Float, kBool), std::nullopt);
  EXPECT_EQ(coerced(AttrKind::Float, kFloatList), std::nullopt);
  EXPECT_EQ(coerced(AttrKind::Float, kEnum), std::nullopt);
}

TEST(CoerceAttributeTest, BoolAndEnum) {
  EXPECT_EQ(coerced(AttrKind::Bool, kBool), kBool);
  EXPECT_EQ(coerced(AttrKind::Bool, Attribute(1)), std::nullopt);
  EXPECT_EQ(coerced(AttrKind::Bool, kEnum), std::nullopt);
  EXPECT_EQ(coerced(AttrKind::Enum, kEnum), kEnum);
  EXPECT_EQ(coerced(AttrKind::Enum, kBool), std::nullopt);
  EXPECT_EQ(coerced(AttrKind::Enum, kInt), std::nullopt);
}

TEST(CoerceAttributeTest, IntOrList) {
  EXPECT_EQ(coerced(AttrKind::IntOrList, kInt), kInt);
  EXPECT_EQ(coerced(AttrKind::IntOrList, kIntList), kIntList);
  EXPECT_EQ(coerced(AttrKind::IntOrList, kFloat), std::nullopt);
  EXPECT_EQ(coerced(AttrKind::IntOrList, kFloatList), std::nullopt);
  EXPECT_EQ(coerced(AttrKind::IntOrList, kBool), std::nullopt);
}

TEST(CoerceAttributeTest, FloatOrListTakesIntegers) {
  std::optional<Attribute> one = coerced(AttrKind::FloatOrList, kInt);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(*one, Attribute(3.0));
  std::optional<Attribute> list = coerced(AttrKind::FloatOrList, kIntList);
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(*list, Attribute(std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(coerced(AttrKind::FloatOrList, kFloatList), kFloatList);
  EXPECT_EQ(coerced(AttrKind::FloatOrList, kFloat), kFloat);
  EXPECT_EQ(coerced(AttrKind::FloatOrList, kBool), std::nullopt);
  EXPECT_EQ(coerced(AttrKind::FloatOrList, kEnum), std::nullopt);
}

TEST(CoerceAttributeTest, IntList) {
  EXPECT_EQ(coerced(AttrKind::IntList, kIntList), kIntList);
  EXPECT_EQ(coerced(AttrKind::IntList, kInt), std::nullopt);
  EXPECT_EQ(coerced(AttrKind::IntList, kFloatList), std::nullopt);
}

TEST(CoerceAttributeTest, NumbersKeepWhatWasWritten) {
  for (const Attribute &a : {kInt, kFloat, kIntList, kFloatList})
    EXPECT_EQ(coerced(AttrKind::Numbers, a), a) << a.toString();
  EXPECT_EQ(coerced(AttrKind::Numbers, kBool), std::nullopt);
  EXPECT_EQ(coerced(AttrKind::Numbers, kEnum), std::nullopt);
}

TEST(AttributeTest, TextForms) {
  EXPECT_EQ(kInt.toString(), "3");
  EXPECT_EQ(Attribute(int64_t(-7)).toString(), "-7");
  EXPECT_EQ(kFloat.toString(), "2.5");
  EXPECT_EQ(Attribute(4.0).toString(), "4.0");
  EXPECT_EQ(kBool.toString(), "true");
  EXPECT_EQ(Attribute(false).toString(), "false");
  EXPECT_EQ(kEnum.toString(), "clipped");
  EXPECT_EQ(kIntList.toString(), "[1, 2]");
  EXPECT_EQ(Attribute(std::vector<double>{1.0, 0.5}).toString(), "[1.0, 0.5]");
  EXPECT_EQ(Attribute(std::vector<int64_t>{}).toString(), "[]");
}

TEST(AttributeTest, KindsAreDistinct) {
  EXPECT_NE(Attribute(1), Attribute(1.0));
  EXPECT_NE(Attribute(1), Attribute(true));
  EXPECT_NE(Attribute(std::vector<int64_t>{1}), Attribute(1));
  EXPECT_EQ(Attribute(std::vector<int64_t>{1, 2}).getNumbers(),
            (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(kFloat.getNumbers(), std::vector<double>{2.5});
  EXPECT_EQ(kInt.getNumber(), 3.0);
}

} // namespace
