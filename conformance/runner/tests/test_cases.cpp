// Reading the case tree: annotated hex and malformed input never crash or allocate on trust.
#include <gtest/gtest.h>

#include "slmconf/cases.h"

namespace {

TEST(AnnotatedHex, BytesRepeatsAndComments) {
  std::vector<std::uint8_t> out;
  std::string error;
  ASSERT_TRUE(slmconf::parse_annotated_hex("53 4c # magic\n00*3 FF  # tail\n", out, error)) << error;
  EXPECT_EQ(out, (std::vector<std::uint8_t>{0x53, 0x4c, 0, 0, 0, 0xff}));
}

TEST(AnnotatedHex, MalformedTokensAreErrors) {
  for (const char* text : {"5", "533", "zz", "00*", "00*x", "00*0", "00*-1", "00*99999999999999999999999"}) {
    std::vector<std::uint8_t> out;
    std::string error;
    EXPECT_FALSE(slmconf::parse_annotated_hex(text, out, error)) << text;
    EXPECT_FALSE(error.empty());
  }
}

TEST(AnnotatedHex, RepeatBombIsRejected) {
  // corpus/regressions/protocol/hex-repeat-bomb.txt: 32 bytes of text asking for 42 MB
  std::vector<std::uint8_t> out;
  std::string error;
  EXPECT_FALSE(slmconf::parse_annotated_hex("# header\n53 4C 4D 4D*42672951  3", out, error));
  EXPECT_LE(out.size(), 16u << 20);
  out.clear();
  EXPECT_TRUE(slmconf::parse_annotated_hex("00*16777216", out, error)) << error;  // exactly the limit
  EXPECT_FALSE(slmconf::parse_annotated_hex("00", out, error));                  // one more
}

}  // namespace
