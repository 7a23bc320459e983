// XXH64 against published vectors, streaming-split invariance, and the xxhsum tool when installed.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slm/xxh64.h"

namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The buffer of xxhsum's built-in self-test (cli/xsum_sanity_check.c, XSUM_fillTestBuffer).
std::vector<std::uint8_t> xxhsum_sanity_buffer(std::size_t len) {
  std::vector<std::uint8_t> buffer(len);
  std::uint64_t generator = 2654435761U;
  for (auto& byte : buffer) {
    byte = static_cast<std::uint8_t>(generator >> 56);
    generator *= 11400714785074694797ULL;
  }
  return buffer;
}

// Feeds `data` in the given chunk sizes (clamped to what is left), then the remainder in one call.
std::uint64_t digest_in_chunks(std::span<const std::uint8_t> data, const std::vector<std::size_t>& chunks,
                               std::uint64_t seed) {
  slm::Xxh64 state(seed);
  std::size_t pos = 0;
  for (const std::size_t chunk : chunks) {
    const std::size_t take = std::min(chunk, data.size() - pos);
    state.update(data.subspan(pos, take));
    pos += take;
  }
  state.update(data.subspan(pos));
  return state.digest();
}

std::string run_and_capture(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char chunk[256];
  while (std::fgets(chunk, sizeof chunk, pipe) != nullptr) output += chunk;
  pclose(pipe);
  return output;
}

}  // namespace

TEST(Xxh64Vectors, EmptyInput) {
  EXPECT_EQ(slm::xxh64({}), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(slm::Xxh64().digest(), 0xEF46DB3751D8E999ULL);
}

// Short strings: values published in several xxHash ports' test suites; confirmed with `xxhsum -H1`.
TEST(Xxh64Vectors, ShortStrings) {
  EXPECT_EQ(slm::xxh64(bytes_of("a")), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(slm::xxh64(bytes_of("abc")), 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(slm::xxh64(bytes_of("xxhash")), 0x32DD38952C4BC720ULL);
  EXPECT_EQ(slm::xxh64(bytes_of("abcdefghijklmnopqrstuvwxyz12345")), 0x467605901B01D6F6ULL);  // 31 bytes
}

// The XXH64 table of xxhsum's self-test (Cyan4973/xxHash cli/xsum_sanity_check.c): lengths 0..222
// cover the short path, the 8/4/1-byte tails and, at 222, six full stripes plus a 30-byte tail.
TEST(Xxh64Vectors, XxhsumSanityTable) {
  constexpr std::uint64_t kPrime32 = 2654435761U;
  struct Case {
    std::size_t length;
    std::uint64_t seed;
    std::uint64_t expected;
  };
  constexpr Case kCases[] = {
      {0, 0, 0xEF46DB3751D8E999ULL},   {0, kPrime32, 0xAC75FDA2929B17EFULL},
      {1, 0, 0xE934A84ADB052768ULL},   {1, kPrime32, 0x5014607643A9B4C3ULL},
      {4, 0, 0x9136A0DCA57457EEULL},   {14, 0, 0x8282DCC4994E35C8ULL},
      {14, kPrime32, 0xC3BD6BF63DEB6DF0ULL}, {222, 0, 0xB641AE8CB691C174ULL},
      {222, kPrime32, 0x20CB8AB7AE10C14AULL},
  };
  const std::vector<std::uint8_t> buffer = xxhsum_sanity_buffer(222);
  for (const Case& c : kCases) {
    const std::span<const std::uint8_t> input(buffer.data(), c.length);
    EXPECT_EQ(slm::xxh64(input, c.seed), c.expected) << "length " << c.length << " seed " << c.seed;

    slm::Xxh64 byte_at_a_time(c.seed);
    for (std::size_t i = 0; i < c.length; ++i) byte_at_a_time.update(input.subspan(i, 1));
    EXPECT_EQ(byte_at_a_time.digest(), c.expected) << "bytewise, length " << c.length << " seed " << c.seed;
  }
}

TEST(Xxh64Streaming, DigestDoesNotConsumeState) {
  const std::vector<std::uint8_t> buffer = xxhsum_sanity_buffer(222);
  slm::Xxh64 state;
  state.update(std::span(buffer).first(100));
  EXPECT_EQ(state.digest(), slm::xxh64(std::span(buffer).first(100)));
  state.update(std::span(buffer).subspan(100));
  EXPECT_EQ(state.digest(), 0xB641AE8CB691C174ULL);
}

RC_GTEST_PROP(Xxh64Streaming, AnySplitMatchesOneShot, (std::uint64_t seed)) {
  const auto length = *rc::gen::inRange<std::size_t>(0, 300);
  const auto data = *rc::gen::container<std::vector<std::uint8_t>>(length, rc::gen::arbitrary<std::uint8_t>());
  const auto chunks = *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, 80));
  RC_ASSERT(digest_in_chunks(data, chunks, seed) == slm::xxh64(data, seed));
}

TEST(Xxh64Tool, MatchesXxhsum) {
  const std::filesystem::path tool = "/usr/bin/xxhsum";
  if (!std::filesystem::exists(tool)) GTEST_SKIP() << "/usr/bin/xxhsum not installed; cross-check skipped";

  std::vector<std::size_t> lengths = {0, 1, 3, 4, 7, 8, 31, 32, 33, 63, 64, 65, 127, 999, 1000, 100 * 1024 + 7};
  std::mt19937_64 rng(20240607);
  for (int i = 0; i < 8; ++i) lengths.push_back(std::uniform_int_distribution<std::size_t>(0, 1000)(rng));

  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("slm_xxh64_" + std::to_string(std::random_device{}()) + ".bin");
  std::uniform_int_distribution<int> byte(0, 255);
  for (const std::size_t length : lengths) {
    std::vector<std::uint8_t> data(length);
    for (auto& b : data) b = static_cast<std::uint8_t>(byte(rng));
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(data.data()),
                                                static_cast<std::streamsize>(data.size()));

    const std::string output = run_and_capture(tool.string() + " -H1 '" + file.string() + "'");
    ASSERT_GE(output.size(), 16U) << "unexpected xxhsum output: " << output;
    const std::uint64_t expected = std::stoull(output.substr(0, 16), nullptr, 16);
    EXPECT_EQ(slm::xxh64(data), expected) << "length " << length;
  }
  std::filesystem::remove(file);
}
