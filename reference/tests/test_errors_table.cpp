// errors.def, the generated enum and its name table agree; codes and rules are well-formed.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

#include "slm/errors.h"

namespace {

struct Row {
  std::string code, phase, rule;
};

std::vector<Row> parse_errors_def() {
  std::ifstream in(std::string(SLM_SOURCE_DIR) + "/spec/errors.def");
  const std::regex row(R"re(^SLM_ERROR\((\w+),\s*(\w+),\s*"([^"]+)",\s*"[^"]*"\)\s*$)re");
  std::vector<Row> rows;
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_match(line, m, row)) rows.push_back({m[1], m[2], m[3]});
  }
  return rows;
}

TEST(ErrorsTable, EnumMatchesErrorsDefText) {
  const auto rows = parse_errors_def();
  const auto table = slm::all_errors();
  ASSERT_GT(rows.size(), 40u);
  ASSERT_EQ(rows.size(), table.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].code, table[i].name);
    EXPECT_EQ(rows[i].phase, slm::phase_name(table[i].phase));
    EXPECT_EQ(rows[i].rule, table[i].rule);
    EXPECT_EQ(static_cast<std::size_t>(table[i].code), i + 1);
  }
}

TEST(ErrorsTable, CodesAndRulesAreWellFormedAndUnique) {
  std::set<std::string> codes, rules;
  for (const auto& row : slm::all_errors()) {
    EXPECT_TRUE(std::regex_match(std::string(row.name), std::regex("E_[A-Z0-9]+(_[A-Z0-9]+)+"))) << row.name;
    EXPECT_TRUE(std::regex_match(std::string(row.rule), std::regex("SLM-[A-Z]+-[0-9]{3}"))) << row.rule;
    EXPECT_TRUE(codes.insert(std::string(row.name)).second) << row.name;
    EXPECT_TRUE(rules.insert(std::string(row.rule)).second) << row.rule << " backs two codes";
    EXPECT_FALSE(row.message.empty());
  }
}

TEST(ErrorsTable, ParseRoundTrips) {
  for (const auto& row : slm::all_errors()) {
    slm::ErrorCode code{};
    ASSERT_TRUE(slm::parse_error_code(row.name, code));
    EXPECT_EQ(code, row.code);
  }
  slm::ErrorCode code{};
  EXPECT_FALSE(slm::parse_error_code("E_NOT_A_CODE", code));
}

}  // namespace
