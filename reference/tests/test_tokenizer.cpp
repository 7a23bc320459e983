// Tokenizer runtime and llama2.c tokenizer.bin import/export (spec/runtime-tokenizer.md): the
// published llama2.c vector on the real Llama 2 vocabulary, the spec's hand-computed vectors on the
// toy vocabulary of section 8.2, properties (round trip for every byte string, no stray specials, ids
// in range, decode total), a differential check against a port of llama2.c's encoder, and the
// SLM-CNV-001 import errors.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "slmgen/toy_vocabulary.h"
#include "slm/bytes.h"
#include "slm/decode.h"
#include "slm/llama2c.h"
#include "slm/tokenizer.h"
#include "slm/validate.h"
#include "shared_data.h"

namespace {

using Ids = std::vector<std::uint32_t>;

constexpr std::uint32_t kLlamaVocab = 32000;
// ../shared/data/llama2c/tokenizer.bin (shared_data.h: skipped where absent, a failure under CI).
const std::string& llama_path() {
  static const std::string path = slmtest::shared_data_file("llama2c/tokenizer.bin");
  return path;
}

std::optional<std::vector<std::uint8_t>> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The imported Llama 2 vocabulary, read once; nullopt when the data file is absent.
const std::optional<slm::Tokenizer>& llama_tokenizer() {
  static const std::optional<slm::Tokenizer> tokenizer = []() -> std::optional<slm::Tokenizer> {
    const auto file = read_file(llama_path());
    if (!file) return std::nullopt;
    auto imported = slm::import_llama2c_tokenizer(*file, kLlamaVocab);
    if (!imported.ok()) return std::nullopt;
    return imported.value();
  }();
  return tokenizer;
}

#define SKIP_WITHOUT_LLAMA_FILE() SLM_REQUIRE_SHARED_DATA(llama_path())

// A BPE tokenizer: <unk> <s> </s>, the 256 byte pieces, then `normal` from id 259 on.
slm::Tokenizer bpe_tokenizer(const std::vector<slm::TokenizerPiece>& normal, std::uint32_t flags) {
  slm::Tokenizer t;
  t.kind = slm::TokenizerKind::BPE;
  t.flags = flags;
  t.pieces = {{"<unk>", 0}, {"<s>", 0}, {"</s>", 0}};
  static const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) t.pieces.push_back({{'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'}, 0});
  t.pieces.insert(t.pieces.end(), normal.begin(), normal.end());
  t.n_pieces = static_cast<std::uint32_t>(t.pieces.size());
  return t;
}

slm::Tokenizer byte_tokenizer(std::uint32_t flags) {
  slm::Tokenizer t;
  t.kind = slm::TokenizerKind::BYTE;
  t.flags = flags;
  t.n_pieces = slm::kByteVocabSize;
  return t;
}


// The tokenizer survives a trip through the SLM tokenizer section and passes checks 15-20, 38-42.
void expect_valid_section(const slm::Tokenizer& t) {
  const auto bytes = slm::encode_tokenizer(t);
  slm::DecodedTokenizer decoded;
  const auto s = slm::decode_tokenizer(bytes, 256, decoded);
  ASSERT_TRUE(s.ok()) << s.message;
  slm::Hyperparameters hp;
  hp.vocab_size = t.n_pieces;
  const auto v = slm::validate_tokenizer(decoded, hp, 256);
  EXPECT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(decoded.tokenizer, t);
}

// ---------------------------------------------------------------------------------------------------
// The Llama 2 vocabulary from llama2.c (spec section 8.1)

TEST(Llama2cVocabulary, PublishedVector) {
  SKIP_WITHOUT_LLAMA_FILE();
  ASSERT_TRUE(llama_tokenizer().has_value());
  const slm::TokenizerRuntime rt(*llama_tokenizer());
  EXPECT_EQ(rt.vocab_size(), kLlamaVocab);
  const Ids ids = rt.encode("I believe the meaning of life is", true, false);
  EXPECT_EQ(ids, (Ids{1, 306, 4658, 278, 6593, 310, 2834, 338}));
  EXPECT_EQ(rt.decode(ids), "I believe the meaning of life is");
}

TEST(Llama2cVocabulary, MoreVectors) {
  SKIP_WITHOUT_LLAMA_FILE();
  ASSERT_TRUE(llama_tokenizer().has_value());
  const slm::TokenizerRuntime rt(*llama_tokenizer());
  const std::vector<std::pair<std::string, Ids>> vectors = {
      {"", {1}},
      {"hello\nworld", {1, 22172, 13, 11526}},
      {"<s>", {1, 529, 29879, 29958}},
      {"<0x41>", {1, 529, 29900, 29916, 29946, 29896, 29958}},
      {"  x", {1, 259, 921}},
      {"caf\xC3\xA9", {1, 274, 28059}},
      {"\x80" "abc", {1, 29871, 131, 10736}},
      {"\xF0\x9F\x98\x80!", {1, 29871, 243, 162, 155, 131, 29991}},
  };
  for (const auto& [text, want] : vectors) {
    const Ids ids = rt.encode(text, true, false);
    EXPECT_EQ(ids, want) << "text: " << testing::PrintToString(text);
    EXPECT_EQ(rt.decode(ids), text);
  }
}

TEST(Llama2cVocabulary, ImportedTokenizerIsAValidSection) {
  SKIP_WITHOUT_LLAMA_FILE();
  ASSERT_TRUE(llama_tokenizer().has_value()) << "import failed";
  const slm::Tokenizer& t = *llama_tokenizer();
  EXPECT_EQ(t.kind, slm::TokenizerKind::BPE);
  EXPECT_EQ(t.flags, slm::kTokFlagDummyPrefix);
  EXPECT_EQ(t.n_pieces, kLlamaVocab);
  EXPECT_EQ(t.bos_id, 1u);
  EXPECT_EQ(t.eos_id, 2u);
  EXPECT_EQ(t.pieces[1].bytes, "\n<s>\n");  // llama2.c's export spells BOS and EOS this way
  EXPECT_EQ(t.pieces[2].bytes, "\n</s>\n");
  EXPECT_EQ(t.pieces[29871].bytes, " ");     // "▁" became a space
  expect_valid_section(t);
}

TEST(Llama2cVocabulary, ExportIsByteIdentical) {
  SKIP_WITHOUT_LLAMA_FILE();
  const auto file = read_file(llama_path());
  const auto imported = slm::import_llama2c_tokenizer(*file, kLlamaVocab);
  ASSERT_TRUE(imported.ok()) << imported.status().message;
  EXPECT_TRUE(slm::export_llama2c_tokenizer(imported.value()) == *file);
}

TEST(Llama2cVocabulary, WrongVocabSizeIsRejected) {
  SKIP_WITHOUT_LLAMA_FILE();
  const auto file = read_file(llama_path());
  const auto fewer = slm::import_llama2c_tokenizer(*file, kLlamaVocab - 1);
  EXPECT_EQ(fewer.status().code, slm::ErrorCode::E_CONVERT_INPUT);  // trailing bytes
  EXPECT_LT(fewer.status().offset, file->size());
  const auto more = slm::import_llama2c_tokenizer(*file, kLlamaVocab + 1);
  EXPECT_EQ(more.status().code, slm::ErrorCode::E_CONVERT_INPUT);  // truncated
  EXPECT_EQ(more.status().offset, file->size());
}

// A port of llama2.c's encode() (run.c): C strings, lookups over the whole vocabulary (specials and
// byte pieces included, byte tokens spelled "<0xHH>"), best score starting at -1e10.
Ids llama2c_encode(const slm::Tokenizer& t, const std::unordered_map<std::string, std::uint32_t>& vocab,
                   std::string text, bool bos) {
  text = text.substr(0, text.find('\0'));
  auto lookup = [&](const std::string& s) -> long {
    const auto it = vocab.find(s);
    return it == vocab.end() ? -1 : static_cast<long>(it->second);
  };
  Ids tokens;
  if (bos) tokens.push_back(1);
  if (!text.empty()) tokens.push_back(static_cast<std::uint32_t>(lookup(" ")));
  std::string buffer;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) buffer.clear();
    buffer += text[i];
    if (i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80 && buffer.size() < 4) continue;
    const long id = lookup(buffer);
    if (id != -1) {
      tokens.push_back(static_cast<std::uint32_t>(id));
    } else {
      for (char c : buffer) tokens.push_back(static_cast<unsigned char>(c) + 3u);
    }
    buffer.clear();
  }
  for (;;) {
    float best_score = -1e10f;
    long best_id = -1;
    std::size_t best_index = 0;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
      const long id = lookup(t.pieces[tokens[i]].bytes + t.pieces[tokens[i + 1]].bytes);
      if (id != -1 && t.pieces[static_cast<std::size_t>(id)].score > best_score) {
        best_score = t.pieces[static_cast<std::size_t>(id)].score;
        best_id = id;
        best_index = i;
      }
    }
    if (best_id == -1) break;
    tokens[best_index] = static_cast<std::uint32_t>(best_id);
    tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(best_index) + 1);
  }
  return tokens;
}

// Text over an alphabet that reaches merges, byte fallback and broken UTF-8 (no NUL: llama2.c stops there).
rc::Gen<std::string> tricky_text() {
  static const std::vector<std::string> alphabet = {
      "a", "b", "e", "t", "h", " ", "  ", "<", ">", "s", "/", "0", "x", "4", "1", "A", "\n", "\t", "\x01",
      "unk", "the", "<s>", "</s>", "<unk>", "<0x41>", "\x80", "\xBF", "\xC3", "\xA9", "\xC3\xA9",
      "\xE2\x82\xAC", "\xF0", "\xF0\x9F\x98\x80", "\xFF"};
  return rc::gen::map(rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(alphabet)),
                      [](const std::vector<std::string>& parts) {
                        std::string s;
                        for (const auto& part : parts) s += part;
                        return s;
                      });
}

TEST(Llama2cVocabulary, MatchesLlama2cEncoder) {
  SKIP_WITHOUT_LLAMA_FILE();
  ASSERT_TRUE(llama_tokenizer().has_value());
  const slm::Tokenizer& t = *llama_tokenizer();
  const slm::TokenizerRuntime rt(t);
  std::unordered_map<std::string, std::uint32_t> vocab;
  for (std::uint32_t id = 0; id < t.pieces.size(); ++id) vocab.emplace(t.pieces[id].bytes, id);
  EXPECT_TRUE(rc::check("SLM encode equals llama2.c encode on the Llama 2 vocabulary (text without NUL)", [&] {
    const std::string text = *tricky_text();
    const bool bos = *rc::gen::arbitrary<bool>();
    const Ids ids = rt.encode(text, bos, false);
    RC_ASSERT(ids == llama2c_encode(t, vocab, text, bos));
    RC_ASSERT(rt.decode(ids) == (bos ? text : (text.empty() ? "" : " " + text)));
  }));
}

TEST(Llama2cVocabulary, RoundTripsArbitraryBytes) {
  SKIP_WITHOUT_LLAMA_FILE();
  ASSERT_TRUE(llama_tokenizer().has_value());
  const slm::TokenizerRuntime rt(*llama_tokenizer());
  EXPECT_TRUE(rc::check("decode(encode(s)) == s on the Llama 2 vocabulary", [&](const std::string& text) {
    RC_ASSERT(rt.decode(rt.encode(text, true, false)) == text);
  }));
}

// ---------------------------------------------------------------------------------------------------
// Hand-computed vectors on the toy vocabulary (spec section 8.2; T1..T10 are the spec's numbers)

struct Vector {
  const char* name;
  std::string text;
  Ids ids;
};

TEST(ToyVocabulary, SpecVectors) {
  const slm::Tokenizer rt_vocabulary = slmgen::toy_vocabulary();
  const slm::TokenizerRuntime rt(rt_vocabulary);
  EXPECT_EQ(rt.vocab_size(), 275u);
  const std::vector<Vector> vectors = {
      {"T1 empty text: no dummy prefix", "", {1}},
      {"T2 tie: leftmost pair wins", "abc", {1, 259, 263, 262}},
      {"T3 higher score wins over leftmost", "bca", {1, 259, 261, 265}},
      {"T4 merged pieces merge again", "abab", {1, 259, 267}},
      {"T5 multi-byte unit; byte fallback for a missing unit", "\xC3\xA9\xE2\x82\xAC", {1, 259, 268, 229, 133, 175}},
      {"T6 invalid UTF-8; fallback bytes never merge", "a\x80\xFF\xFE", {1, 259, 100, 131, 258, 257}},
      {"T7 lone continuation bytes; dummy space is its own unit", "\x80\x80" "ab", {1, 259, 131, 131, 263}},
      {"T8 a unit stops at 4 bytes", "\xF0\x9F\x98\x80\x80", {1, 259, 274, 131}},
      {"T9 special piece text stays literal", "<s>", {1, 259, 272, 271}},
      {"T10 byte piece text stays literal", "<0x41>", {1, 259, 269, 51, 123, 55, 52, 271}},
      {"text starting with a space", " a", {1, 259, 266}},
  };
  for (const auto& v : vectors) {
    const Ids ids = rt.encode(v.text, true, false);
    EXPECT_EQ(ids, v.ids) << v.name;
    EXPECT_EQ(rt.decode(ids), v.text) << v.name;
  }
}

TEST(ToyVocabulary, BosAndEos) {
  const slm::Tokenizer rt_vocabulary = slmgen::toy_vocabulary();
  const slm::TokenizerRuntime rt(rt_vocabulary);
  EXPECT_EQ(rt.encode("", true, true), (Ids{1, 2}));
  EXPECT_EQ(rt.encode("", false, false), Ids{});
  EXPECT_EQ(rt.encode("abc", false, true), (Ids{259, 263, 262, 2}));
  EXPECT_EQ(rt.decode(Ids{1, 259, 263, 262, 2}), "abc");
}

TEST(ToyVocabulary, WithoutDummyPrefix) {
  const slm::Tokenizer rt_vocabulary = slmgen::toy_vocabulary(0);
  const slm::TokenizerRuntime rt(rt_vocabulary);
  EXPECT_EQ(rt.encode("abc", true, false), (Ids{1, 263, 262}));
  EXPECT_EQ(rt.encode(" a", true, false), (Ids{1, 266}));
  EXPECT_EQ(rt.decode(Ids{1, 266}), " a");  // no flag: nothing is stripped
}

TEST(ToyVocabulary, LeadingSpaceRule) {
  const slm::Tokenizer rt_vocabulary = slmgen::toy_vocabulary();
  const slm::TokenizerRuntime rt(rt_vocabulary);
  EXPECT_EQ(rt.decode(Ids{1, 266}), "a");         // after BOS: one space dropped
  EXPECT_EQ(rt.decode(Ids{266}), " a");           // first token of a sequence without BOS keeps it
  EXPECT_EQ(rt.decode(Ids{1, 259, 259}), " ");    // only the token right after BOS loses it
  EXPECT_EQ(rt.decode(Ids{1, 35, 260}), "a");     // also the byte piece <0x20>
  EXPECT_EQ(rt.decode(Ids{260, 1, 266}), "a" "a");  // BOS anywhere
  EXPECT_EQ(rt.decode_piece(1, 266), "a");
  EXPECT_EQ(rt.decode_piece(260, 266), " a");
  EXPECT_EQ(rt.decode_piece(2, 266), " a");
  EXPECT_EQ(rt.encode("abc", false, false), (Ids{259, 263, 262}));
  EXPECT_EQ(rt.decode(rt.encode("abc", false, false)), " abc");  // documented: without BOS the space stays
}

TEST(ToyVocabulary, SpecialsAndUnknownIdsDecodeToNothing) {
  const slm::Tokenizer rt_vocabulary = slmgen::toy_vocabulary();
  const slm::TokenizerRuntime rt(rt_vocabulary);
  EXPECT_EQ(rt.decode(Ids{0, 1, 2, 275, 99999, 0xFFFFFFFFu}), "");
  EXPECT_EQ(rt.decode_piece(1, 275), "");
  EXPECT_EQ(rt.decode(Ids{3, 68, 258}), std::string("\x00" "A" "\xFF", 3));
  EXPECT_EQ(rt.decode(Ids{}), "");
}

TEST(ByteTokenizer, Vectors) {
  const slm::Tokenizer with_prefix_vocabulary = byte_tokenizer(slm::kTokFlagDummyPrefix);
  const slm::TokenizerRuntime with_prefix(with_prefix_vocabulary);
  const slm::Tokenizer without_vocabulary = byte_tokenizer(0);
  const slm::TokenizerRuntime without(without_vocabulary);
  EXPECT_EQ(with_prefix.vocab_size(), 259u);
  EXPECT_EQ(with_prefix.encode("Hi", true, true), (Ids{1, 35, 75, 108, 2}));
  EXPECT_EQ(without.encode("Hi", true, true), (Ids{1, 75, 108, 2}));
  EXPECT_EQ(with_prefix.encode("", true, false), (Ids{1}));
  EXPECT_EQ(with_prefix.decode(Ids{1, 35, 75, 108, 2}), "Hi");
  EXPECT_EQ(without.encode("<s>", false, false), (Ids{63, 118, 65}));
  EXPECT_EQ(without.decode(Ids{259, 0, 1, 2}), "");
}

// ---------------------------------------------------------------------------------------------------
// Properties

// A random valid BPE vocabulary over a small alphabet (so merges happen), scores from a small set
// (so ties happen).
slm::Tokenizer random_bpe(std::uint32_t flags) {
  static const std::vector<std::string> alphabet = {"a", "b", " ", "<", "s", ">", "\xC3", "\xA9", "\x80", "\xFF"};
  const auto count = *rc::gen::inRange(0, 40);
  std::set<std::string> seen = {"<unk>", "<s>", "</s>"};
  std::vector<slm::TokenizerPiece> normal;
  for (int i = 0; i < count; ++i) {
    const auto parts = *rc::gen::container<std::vector<std::string>>(*rc::gen::inRange<std::size_t>(1, 5),
                                                                     rc::gen::elementOf(alphabet));
    std::string bytes;
    for (const auto& part : parts) bytes += part;
    if (!seen.insert(bytes).second) continue;
    normal.push_back({bytes, static_cast<float>(*rc::gen::inRange(-4, 1))});
  }
  return bpe_tokenizer(normal, flags);
}

rc::Gen<std::string> any_text() {
  return rc::gen::oneOf(rc::gen::arbitrary<std::string>(), tricky_text(),
                        rc::gen::container<std::string>(rc::gen::elementOf(std::string("ab <s>\xC3\xA9\x80\xFF"))));
}

std::uint32_t any_flags() { return *rc::gen::element(0u, slm::kTokFlagDummyPrefix); }

RC_GTEST_PROP(TokenizerProperties, ByteTokenizerRoundTrips, ()) {
  const slm::Tokenizer rt_vocabulary = byte_tokenizer(any_flags());
  const slm::TokenizerRuntime rt(rt_vocabulary);
  const std::string text = *any_text();
  const Ids ids = rt.encode(text, true, false);
  RC_ASSERT(rt.decode(ids) == text);
  RC_ASSERT(ids.size() == 1 + text.size() + (rt.add_dummy_prefix() && !text.empty() ? 1 : 0));
}

RC_GTEST_PROP(TokenizerProperties, BpeTokenizerRoundTrips, ()) {
  const slm::Tokenizer t = random_bpe(any_flags());
  const slm::TokenizerRuntime rt(t);
  const std::string text = *any_text();
  RC_ASSERT(rt.decode(rt.encode(text, true, false)) == text);
  RC_ASSERT(rt.decode(rt.encode(text, true, true)) == text);
}

RC_GTEST_PROP(TokenizerProperties, ToyTokenizerRoundTrips, ()) {
  const slm::Tokenizer rt_vocabulary = slmgen::toy_vocabulary(any_flags());
  const slm::TokenizerRuntime rt(rt_vocabulary);
  const std::string text = *any_text();
  RC_ASSERT(rt.decode(rt.encode(text, true, false)) == text);
}

RC_GTEST_PROP(TokenizerProperties, RandomVocabulariesAreValidSections, ()) {
  const slm::Tokenizer t = random_bpe(any_flags());
  const auto bytes = slm::encode_tokenizer(t);
  slm::DecodedTokenizer decoded;
  RC_ASSERT(slm::decode_tokenizer(bytes, 256, decoded).ok());
  slm::Hyperparameters hp;
  hp.vocab_size = t.n_pieces;
  RC_ASSERT(slm::validate_tokenizer(decoded, hp, 256).ok());
}

RC_GTEST_PROP(TokenizerProperties, EncodeEmitsOnlyRequestedSpecialsAndIdsInRange, ()) {
  const bool bpe = *rc::gen::arbitrary<bool>();
  const slm::Tokenizer t = bpe ? random_bpe(any_flags()) : byte_tokenizer(any_flags());
  const slm::TokenizerRuntime rt(t);
  const std::string text = *any_text();
  const bool bos = *rc::gen::arbitrary<bool>(), eos = *rc::gen::arbitrary<bool>();
  const Ids ids = rt.encode(text, bos, eos);
  const std::size_t first = bos ? 1 : 0, last = ids.size() - (eos ? 1 : 0);
  RC_ASSERT(ids.size() >= first + (eos ? 1u : 0u));
  if (bos) RC_ASSERT(ids.front() == rt.bos_id());
  if (eos) RC_ASSERT(ids.back() == rt.eos_id());
  for (std::size_t i = first; i < last; ++i) RC_ASSERT(ids[i] >= slm::kFirstBytePiece);
  for (std::uint32_t id : ids) RC_ASSERT(id < rt.vocab_size());
  RC_ASSERT(text.empty() == (last == first));
}

RC_GTEST_PROP(TokenizerProperties, DecodeIsTotalAndStreamsLikeDecode, ()) {
  const slm::Tokenizer rt_vocabulary = slmgen::toy_vocabulary(any_flags());
  const slm::TokenizerRuntime rt(rt_vocabulary);
  // Specials, pieces with and without a leading space, the last id, unknown ids, and anything.
  const Ids ids = *rc::gen::container<Ids>(rc::gen::oneOf(
      rc::gen::element<std::uint32_t>(0, 1, 1, 2, 35, 259, 266, 260, 268, 274, 275, 0xFFFFFFFFu),
      rc::gen::inRange<std::uint32_t>(0, 280), rc::gen::arbitrary<std::uint32_t>()));
  const std::string whole = rt.decode(ids);
  std::string streamed;
  for (std::size_t i = 0; i < ids.size(); ++i) streamed += rt.decode_piece(i == 0 ? 3 : ids[i - 1], ids[i]);
  RC_ASSERT(whole == streamed);
}

// ---------------------------------------------------------------------------------------------------
// llama2.c tokenizer.bin import errors (SLM-CNV-001) and synthetic round trips

std::vector<std::uint8_t> llama2c_file(const slm::Tokenizer& t) { return slm::export_llama2c_tokenizer(t); }

void patch_i32(std::vector<std::uint8_t>& f, std::size_t at, std::int32_t v) {
  slm::store_u32(f.data() + at, static_cast<std::uint32_t>(v));
}

TEST(Llama2cImport, SyntheticRoundTrip) {
  const slm::Tokenizer t = slmgen::toy_vocabulary();
  const auto file = llama2c_file(t);
  ASSERT_EQ(slm::load_u32(file.data()), 6u);  // "<unk>" and the byte pieces are the longest: 6 bytes
  const auto imported = slm::import_llama2c_tokenizer(file, t.n_pieces);
  ASSERT_TRUE(imported.ok()) << imported.status().message;
  EXPECT_EQ(imported.value(), t);
  EXPECT_EQ(llama2c_file(imported.value()), file);
  expect_valid_section(imported.value());
}

TEST(Llama2cImport, ByteTokenizerExportsNothing) {
  EXPECT_TRUE(slm::export_llama2c_tokenizer(byte_tokenizer(1)).empty());
}

TEST(Llama2cImport, RejectsMalformedInput) {
  const slm::Tokenizer t = slmgen::toy_vocabulary();
  const std::uint32_t n = t.n_pieces;
  const auto good = llama2c_file(t);
  const std::size_t r5 = 4 + 8 + 5 + 8 + 3 + 8 + 4 + 2 * (8 + 6);  // record of piece 5 (<0x02>)
  ASSERT_EQ(slm::load_u32(good.data() + r5 + 4), 6u);
  ASSERT_EQ(good.size(), 3781u);  // the numbers of spec/runtime-tokenizer.md section 6.4
  struct Case {
    const char* name;
    std::vector<std::uint8_t> file;
    std::uint32_t vocab;
    std::uint64_t offset;
  };
  std::vector<Case> cases;
  cases.push_back({"vocab below 259", good, 258, slm::kNoOffset});
  cases.push_back({"vocab above 2^20", good, (1u << 20) + 1, slm::kNoOffset});
  cases.push_back({"empty file", {}, n, 0});
  cases.push_back({"file ends in max_token_length", {6, 0, 0}, n, 3});
  cases.push_back({"file ends in a record header", {good.begin(), good.begin() + 4 + 8 + 5 + 7}, n, 4 + 8 + 5 + 7});
  cases.push_back({"file ends in piece bytes", {good.begin(), good.begin() + r5 + 8 + 3}, n, r5 + 8 + 3});
  {
    auto f = good;
    patch_i32(f, r5 + 4, -1);
    cases.push_back({"negative length", f, n, r5 + 4});
    patch_i32(f, r5 + 4, 0);
    cases.push_back({"zero length", f, n, r5 + 4});
    patch_i32(f, r5 + 4, 0x7FFFFFFF);
    cases.push_back({"huge length", f, n, r5 + 4});
  }
  {
    auto f = good;
    slm::store_u32(f.data(), 5);  // max_token_length below the 6-byte pieces: piece 3 <0x00> fails
    cases.push_back({"length above max_token_length", f, n, r5 - 2 * (8 + 6) + 4});
  }
  {
    auto f = good;
    slm::store_f32(f.data() + r5, std::numeric_limits<float>::quiet_NaN());
    cases.push_back({"NaN score", f, n, r5});
  }
  {
    auto f = good;
    f.push_back(0);
    cases.push_back({"trailing byte", f, n, good.size()});
    cases.push_back({"vocab_size one too small", good, n - 1, good.size() - (8 + 4)});
    cases.push_back({"vocab_size one too large", good, n + 1, good.size()});
  }
  {
    auto f = good;
    f[r5 + 8 + 4] = 'a';  // piece 5: <0x02> -> <0x0a>
    cases.push_back({"byte piece spelled wrong", f, n, r5});
  }
  {
    slm::Tokenizer dup = t;
    dup.pieces[263].bytes = "ca";  // 263 "ab" -> "ca": piece 265 now repeats it
    cases.push_back({"duplicate piece", llama2c_file(dup), n, 0});
    const auto f = llama2c_file(dup);
    std::uint64_t r = 4;
    for (std::uint32_t i = 0; i < 265; ++i) r += 8 + slm::load_u32(f.data() + r + 4);
    cases.back().offset = r;
    EXPECT_EQ(r, 3680u);
  }
  for (const auto& c : cases) {
    const auto result = slm::import_llama2c_tokenizer(c.file, c.vocab);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.status().code, slm::ErrorCode::E_CONVERT_INPUT) << c.name;
    EXPECT_EQ(result.status().offset, c.offset) << c.name << ": " << result.status().message;
  }
}

TEST(Llama2cImport, DeclaredCountDoesNotAllocate) {
  // 2^20 declared pieces and a 12-byte file: rejected at the first record, nothing reserved up front.
  const std::vector<std::uint8_t> file = {6, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0};
  const auto result = slm::import_llama2c_tokenizer(file, 1u << 20);
  EXPECT_EQ(result.status().code, slm::ErrorCode::E_CONVERT_INPUT);
  EXPECT_EQ(result.status().offset, 12u);
}

RC_GTEST_PROP(Llama2cImport, NeverCrashesOnArbitraryBytes, (const std::vector<std::uint8_t>& tail)) {
  // A valid prefix (max_token_length and a few records) then arbitrary bytes.
  auto file = llama2c_file(slmgen::toy_vocabulary());
  file.resize(*rc::gen::inRange<std::size_t>(0, file.size()));
  file.insert(file.end(), tail.begin(), tail.end());
  const auto result = slm::import_llama2c_tokenizer(file, *rc::gen::inRange<std::uint32_t>(0, 400));
  if (!result.ok()) {
    RC_ASSERT(result.status().code == slm::ErrorCode::E_CONVERT_INPUT);
    RC_ASSERT(!result.status().has_offset() || result.status().offset <= file.size());
  }
}

}  // namespace
