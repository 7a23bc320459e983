// Outputs are written through a temporary file and a rename: a failure leaves what was there.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "slm/atomic_file.h"
#include "test_helpers.h"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(AtomicFile, ReplacesContentWhole) {
  slmtest::TempDir dir;
  const auto path = dir.file("out.bin");
  ASSERT_TRUE(slm::write_text_atomically(path, std::string(10000, 'a')).ok());
  ASSERT_TRUE(slm::write_text_atomically(path, "short").ok());
  EXPECT_EQ(slurp(path), "short");
}

TEST(AtomicFile, FailureLeavesNoPartialOutput) {
  slmtest::TempDir dir;
  // The target is an existing directory: the rename fails after the temporary file was written.
  const auto target = dir.file("taken");
  std::filesystem::create_directory(target);
  std::ofstream(target + "/keep.txt") << "kept";
  const auto status = slm::write_text_atomically(target, "new content");
  EXPECT_EQ(slm::error_info(status.code).name, "E_IO_WRITE");
  EXPECT_EQ(slurp(target + "/keep.txt"), "kept");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.file(""))) ++entries;
  EXPECT_EQ(entries, 1u) << "temporary file left behind";
  // A parent that does not exist fails before anything is written.
  EXPECT_EQ(slm::error_info(slm::write_text_atomically(dir.file("no/such/dir/x"), "x").code).name, "E_IO_WRITE");
}

}  // namespace
