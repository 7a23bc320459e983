// The output-safety layer (spec/tools.md, SLM-TOOL-001..005, SLM-IO-002): refusals before any work,
// staged outputs that appear together or not at all.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>

#include "slm/output_set.h"
#include "test_helpers.h"

namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::set<std::string> listing(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

std::string code_of(const slm::Status& s) { return std::string(slm::error_info(s.code).name); }

// prepare() of one input and one output. (These tests only ask prepare() for its verdict, so the
// output ids that output() returns are dropped with (void).)
slm::Status prepare_pair(const std::string& in, const std::string& out_path) {
  slm::OutputSet out;
  out.input(in);
  (void)out.output(out_path);
  return out.prepare();
}

TEST(OutputSet, ReplacesContentWhole) {
  slmtest::TempDir dir;
  const auto path = dir.file("out.bin");
  ASSERT_TRUE(slm::write_text_atomically(path, std::string(10000, 'a')).ok());
  ASSERT_TRUE(slm::write_text_atomically(path, "short").ok());
  EXPECT_EQ(slurp(path), "short");
  EXPECT_EQ(listing(dir.file("")), std::set<std::string>{"out.bin"});
}

TEST(OutputSet, RefusesAnOutputThatIsAnInput) {
  slmtest::TempDir dir;
  const auto in = dir.file("in.slm");
  put(in, "input bytes");
  fs::create_symlink(in, dir.file("link.slm"));
  fs::create_hard_link(in, dir.file("hard.slm"));
  fs::create_directory(dir.file("sub"));
  for (const auto& alias : {in, dir.file("link.slm"), dir.file("hard.slm"), dir.file("sub/../in.slm")}) {
    EXPECT_EQ(code_of(prepare_pair(in, alias)), "E_OUT_IS_INPUT") << alias;
  }
  // Declared through a link, the input is still itself.
  EXPECT_EQ(code_of(prepare_pair(dir.file("link.slm"), in)), "E_OUT_IS_INPUT");
  EXPECT_EQ(slurp(in), "input bytes");
}

TEST(OutputSet, RefusesTwoOutputsThatAreOneFile) {
  slmtest::TempDir dir;
  fs::create_directory(dir.file("sub"));
  {
    slm::OutputSet out;
    (void)out.output(dir.file("a.json"));
    (void)out.output(dir.file("sub/../a.json"));  // not there yet: the same name in the same directory
    EXPECT_EQ(code_of(out.prepare()), "E_OUT_CLASH");
  }
  put(dir.file("x"), "x");
  fs::create_hard_link(dir.file("x"), dir.file("y"));
  slm::OutputSet out;
  (void)out.output(dir.file("x"));
  (void)out.output(dir.file("y"));
  EXPECT_EQ(code_of(out.prepare()), "E_OUT_CLASH");
  EXPECT_EQ(listing(dir.file("")), (std::set<std::string>{"sub", "x", "y"}));
}

TEST(OutputSet, RefusesAMissingDirectoryAndSpecialFiles) {
  slmtest::TempDir dir;
  EXPECT_EQ(code_of(prepare_pair("", dir.file("no/such/dir/x"))), "E_OUT_NO_DIRECTORY");
  put(dir.file("file"), "f");
  EXPECT_EQ(code_of(prepare_pair("", dir.file("file/x"))), "E_OUT_NO_DIRECTORY");  // a file is no directory
  fs::create_directory(dir.file("taken"));
  put(dir.file("taken/keep.txt"), "kept");
  EXPECT_EQ(code_of(prepare_pair("", dir.file("taken"))), "E_OUT_NOT_REGULAR");
  EXPECT_EQ(code_of(prepare_pair("", dir.file("taken/"))), "E_OUT_NOT_REGULAR");
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0644), 0);
  EXPECT_EQ(code_of(prepare_pair("", dir.file("fifo"))), "E_OUT_NOT_REGULAR");
  EXPECT_EQ(code_of(prepare_pair("", "/dev/null")), "E_OUT_NOT_REGULAR");  // never renamed over a device
  EXPECT_EQ(code_of(prepare_pair("", "")), "E_ARG_VALUE");
  EXPECT_EQ(slurp(dir.file("taken/keep.txt")), "kept");
}

TEST(OutputSet, MustBeNewRefusesAnExistingFileOrLink) {
  slmtest::TempDir dir;
  put(dir.file("key"), "secret");
  fs::create_symlink(dir.file("nowhere"), dir.file("dangling"));
  for (const auto& name : {"key", "dangling"}) {
    slm::OutputSet out;
    (void)out.output(dir.file(name), {.must_be_new = true});
    EXPECT_EQ(code_of(out.prepare()), "E_OUT_EXISTS") << name;
  }
  EXPECT_EQ(slurp(dir.file("key")), "secret");
}

TEST(OutputSet, PrivateFilesAreOwnerOnly) {
  slmtest::TempDir dir;
  slm::OutputSet out;
  const auto id = out.output(dir.file("key"), {.private_file = true, .must_be_new = true});
  ASSERT_TRUE(out.prepare().ok());
  ASSERT_TRUE(out.write(id, std::string("k")).ok());
  ASSERT_TRUE(out.commit().ok());
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(OutputSet, NothingAppearsBeforeCommitAndNothingStaysWithoutIt) {
  slmtest::TempDir dir;
  put(dir.file("old.slm"), "old");
  {
    slm::OutputSet out;
    const auto a = out.output(dir.file("old.slm"));
    const auto b = out.output(dir.file("new.json"));
    ASSERT_TRUE(out.prepare().ok());
    ASSERT_TRUE(out.write(a, std::string(100000, 'n')).ok());
    ASSERT_TRUE(out.write(b, std::string("{}")).ok());
    EXPECT_EQ(listing(dir.file("")), std::set<std::string>{"old.slm"});
    EXPECT_EQ(slurp(dir.file("old.slm")), "old");
  }  // no commit: a failed command
  EXPECT_EQ(listing(dir.file("")), std::set<std::string>{"old.slm"});
  EXPECT_EQ(slurp(dir.file("old.slm")), "old");
}

TEST(OutputSet, AFailedWriteOfOneOutputLeavesEveryFileAsItWas) {
  slmtest::TempDir dir;
  put(dir.file("first.slm"), "first, as it was");
  // An injected write failure: the file size limit (EFBIG with SIGXFSZ ignored) in the second output.
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto* previous = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  slm::Status appended, committed;
  {
    slm::OutputSet out;
    const auto a = out.output(dir.file("first.slm"));
    const auto b = out.output(dir.file("second.json"));
    ASSERT_TRUE(out.prepare().ok());
    appended = out.write(a, std::string(1000, 'a'));
    const auto failed = out.write(b, std::string(10000, 'b'));
    EXPECT_EQ(code_of(failed), "E_IO_WRITE");
    EXPECT_EQ(failed.offset, 4096u) << "the offset of the failed write";
    committed = out.commit();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous);
  EXPECT_TRUE(appended.ok());
  EXPECT_EQ(code_of(committed), "E_IO_WRITE");
  EXPECT_EQ(listing(dir.file("")), std::set<std::string>{"first.slm"});
  EXPECT_EQ(slurp(dir.file("first.slm")), "first, as it was");
}

TEST(OutputSet, AFailedRenamePutsBackWhatWasAlreadyReplaced) {
  slmtest::TempDir dir;
  put(dir.file("a"), "a as it was");
  slm::OutputSet out;
  const auto a = out.output(dir.file("a"));
  const auto b = out.output(dir.file("b"));
  ASSERT_TRUE(out.prepare().ok());
  ASSERT_TRUE(out.write(a, std::string("new a")).ok());
  ASSERT_TRUE(out.write(b, std::string("new b")).ok());
  fs::create_directory(dir.file("b"));  // taken by someone else after the checks: its rename fails
  put(dir.file("b/inside"), "x");
  EXPECT_EQ(code_of(out.commit()), "E_IO_WRITE");
  EXPECT_EQ(slurp(dir.file("a")), "a as it was");
  EXPECT_EQ(listing(dir.file("")), (std::set<std::string>{"a", "b"}));
}

TEST(OutputSet, StreamsAndPatches) {
  slmtest::TempDir dir;
  slm::OutputSet out;
  const auto id = out.output(dir.file("x.bin"));
  ASSERT_TRUE(out.prepare().ok());
  auto& sink = out.sink(id);
  ASSERT_TRUE(sink.append(std::vector<std::uint8_t>(8, 0)).ok());
  ASSERT_TRUE(sink.append(std::vector<std::uint8_t>{'t', 'a', 'i', 'l'}).ok());
  ASSERT_TRUE(sink.patch(2, std::vector<std::uint8_t>{'h', 'i'}).ok());
  EXPECT_EQ(code_of(sink.patch(10, std::vector<std::uint8_t>(3, 'x'))), "E_IO_WRITE");
  EXPECT_EQ(code_of(out.commit()), "E_IO_WRITE") << "a failed patch makes the output incomplete";
  EXPECT_FALSE(fs::exists(dir.file("x.bin")));
}

}  // namespace
