// SHA-256 against the FIPS 180-4 / NIST example vectors, streaming-split invariance, and sha256sum.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slm/sha256.h"

namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string hex_sha256(std::string_view s) { return slm::to_hex(slm::sha256(bytes_of(s))); }

std::string finish_hex(slm::Sha256& state) {
  const slm::Digest256 digest = state.finish();
  return slm::to_hex(digest);
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

// NIST CSRC "Example Algorithms" SHA256.pdf and FIPS 180-2 appendix B (the same messages).
TEST(Sha256Vectors, Empty) {
  EXPECT_EQ(hex_sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Vectors, Abc) {
  EXPECT_EQ(hex_sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Vectors, TwoBlockMessage448Bits) {
  // 56 bytes: the length field no longer fits the first block, so padding spills into a second.
  EXPECT_EQ(hex_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Vectors, Message896Bits) {
  EXPECT_EQ(hex_sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                       "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256Vectors, OneMillionA) {
  constexpr std::string_view kExpected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  const std::string million(1000000, 'a');
  EXPECT_EQ(hex_sha256(million), kExpected);

  slm::Sha256 streamed;
  for (int i = 0; i < 1000; ++i) streamed.update(bytes_of(std::string_view(million).substr(0, 1000)));
  EXPECT_EQ(finish_hex(streamed), kExpected);
}

TEST(Sha256Hex, LowercaseTwoDigitsPerByte) {
  const std::uint8_t bytes[] = {0x00, 0x0f, 0xab, 0xff};
  EXPECT_EQ(slm::to_hex(bytes), "000fabff");
  EXPECT_EQ(slm::to_hex({}), "");
}

RC_GTEST_PROP(Sha256Streaming, AnySplitMatchesOneShot, ()) {
  const auto length = *rc::gen::inRange<std::size_t>(0, 300);
  const auto data = *rc::gen::container<std::vector<std::uint8_t>>(length, rc::gen::arbitrary<std::uint8_t>());
  const auto chunks = *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, 150));

  slm::Sha256 state;
  const std::span<const std::uint8_t> all(data);
  std::size_t pos = 0;
  for (const std::size_t chunk : chunks) {
    const std::size_t take = std::min(chunk, all.size() - pos);
    state.update(all.subspan(pos, take));
    pos += take;
  }
  state.update(all.subspan(pos));
  RC_ASSERT(state.finish() == slm::sha256(data));
}

TEST(Sha256Tool, MatchesSha256sum) {
  const std::filesystem::path tool = "/usr/bin/sha256sum";
  if (!std::filesystem::exists(tool)) GTEST_SKIP() << "/usr/bin/sha256sum not installed; cross-check skipped";

  // Every length around the padding boundaries (55/56/64 mod 64), plus random and one large input.
  std::vector<std::size_t> lengths = {0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 100 * 1024 + 7};
  std::mt19937_64 rng(20240607);
  for (int i = 0; i < 8; ++i) lengths.push_back(std::uniform_int_distribution<std::size_t>(0, 1000)(rng));

  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("slm_sha256_" + std::to_string(std::random_device{}()) + ".bin");
  std::uniform_int_distribution<int> byte(0, 255);
  for (const std::size_t length : lengths) {
    std::vector<std::uint8_t> data(length);
    for (auto& b : data) b = static_cast<std::uint8_t>(byte(rng));
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(data.data()),
                                                static_cast<std::streamsize>(data.size()));

    const std::string output = run_and_capture(tool.string() + " '" + file.string() + "'");
    ASSERT_GE(output.size(), 64U) << "unexpected sha256sum output: " << output;
    EXPECT_EQ(slm::to_hex(slm::sha256(data)), output.substr(0, 64)) << "length " << length;
  }
  std::filesystem::remove(file);
}

// The native path (libcrypto where the build has it) against the portable one, on random lengths
// from 0 to 1 MiB fed in random pieces: the same digest, whichever path Sha256 takes.
TEST(Sha256, MatchesPortableOnRandomLengths) {
  std::mt19937_64 rng(20261130);
  std::vector<std::uint8_t> data(1u << 20);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  std::vector<std::size_t> lengths = {0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1u << 20};
  for (int i = 0; i < 40; ++i) lengths.push_back(static_cast<std::size_t>(rng() % ((1u << 20) + 1)));
  for (std::size_t n : lengths) {
    slm::Sha256 native;
    slm::PortableSha256 portable;
    for (std::size_t at = 0; at < n;) {
      const std::size_t piece = std::min<std::size_t>(n - at, 1 + rng() % 70000);
      native.update({data.data() + at, piece});
      portable.update({data.data() + at, piece});
      at += piece;
    }
    EXPECT_EQ(slm::to_hex(native.finish()), slm::to_hex(portable.finish())) << "length " << n;
  }
  std::cout << "Sha256 uses libcrypto: " << (slm::Sha256::uses_libcrypto() ? "yes" : "no") << "\n";
}
