// slm::Result: reading the value of an error is a programming error. It aborts with the status on
// stderr in every build type: this binary is built RelWithDebInfo, i.e. with NDEBUG, like the tools.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "slm/errors.h"

namespace {

struct Point {
  int x = 0;
};

slm::Result<std::vector<int>> numbers(bool fail) {
  if (fail) return slm::make_error(slm::ErrorCode::E_HDR_MAGIC, 0, "not an SLM file");
  return std::vector<int>{1, 2, 3};
}

TEST(Result, ValueOfASuccess) {
  auto r = numbers(false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(r.value().size(), 3u);
  EXPECT_EQ(r->back(), 3);
  r.value().push_back(4);
  EXPECT_EQ(r->size(), 4u);
  const slm::Result<Point> p = Point{7};
  EXPECT_EQ(p->x, 7);
  slm::Result<std::unique_ptr<int>> owned = std::make_unique<int>(5);  // move-only values
  EXPECT_EQ(*owned.value(), 5);
}

TEST(Result, AnErrorKeepsItsStatus) {
  const auto r = numbers(true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code, slm::ErrorCode::E_HDR_MAGIC);
  EXPECT_EQ(r.status().offset, 0u);
  EXPECT_EQ(r.status().message, "not an SLM file");
}

TEST(ResultDeathTest, ValueOfAnErrorAbortsWithTheStatus) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto r = numbers(true);
        r.value().push_back(4);  // a caller that forgot to check ok()
      },
      "Result::value\\(\\) read on an error .*: E_HDR_MAGIC \\[SLM-HDR-001\\] at offset 0: not an SLM file");
  EXPECT_DEATH((void)numbers(true).value().size(), "E_HDR_MAGIC");  // on a temporary too
}

TEST(ResultDeathTest, ArrowOnAnErrorAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const slm::Result<Point> p = slm::make_error(slm::ErrorCode::E_IO_READ, slm::kNoOffset, "no such file");
  EXPECT_DEATH((void)p->x, "E_IO_READ \\[SLM-IO-001\\]: no such file");  // no offset: none printed
  // A Result made from a success Status holds no value either: still an error to read it.
  slm::Result<Point> empty = slm::Status::success();
  EXPECT_DEATH(empty->x = 1, "OK");
}

}  // namespace
