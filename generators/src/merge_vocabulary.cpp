#include "slmgen/merge_vocabulary.h"

#include <set>
#include <string>
#include <vector>

#include "slmgen/prng.h"

namespace slmgen {

slm::Tokenizer merge_vocabulary() {
  slm::Tokenizer t;
  t.kind = slm::TokenizerKind::BPE;
  t.flags = slm::kTokFlagDummyPrefix;
  t.pieces = {{"<unk>", 0.0f}, {"<s>", 0.0f}, {"</s>", 0.0f}};
  static const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) t.pieces.push_back({std::string{'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'}, 0.0f});
  std::set<std::string> present;
  const auto add = [&](const std::string& piece, float score) {
    t.pieces.push_back({piece, score});
    present.insert(piece);
  };
  // Units (ids 259..294): what a text's code points look up. No digits, no upper case: byte fallback.
  std::vector<std::string> units = {" "};
  for (char c = 'a'; c <= 'z'; ++c) units.emplace_back(1, c);
  for (const char* u : {"\n", ".", ",", "'", "\xC3\xA9", "\xE2\x82\xAC", "\xE6\x97\xA5", "\xE6\x9C\xAC", "\xF0\x9F\x98\x80"}) {
    units.emplace_back(u);  // ... é € 日 本 😀
  }
  for (const auto& u : units) add(u, 0.0f);
  // A doubling chain (ids 295..298), all of score 10: above every other merge, tied with each other.
  for (const char* c : {"aa", "aaaa", "aaaaaaaa", "aaaaaaaaaaaaaaaa"}) add(c, 10.0f);
  // Pieces no merge reaches (ids 299..301): their characters have no piece, so they fall back to
  // bytes, which never merge. A longest-match tokenizer would use them.
  for (const char* c : {"HELLO", " HELLO", "QQ"}) add(c, 20.0f);
  std::vector<std::string> reachable(units);
  for (const char* c : {"aa", "aaaa", "aaaaaaaa", "aaaaaaaaaaaaaaaa"}) reachable.emplace_back(c);
  // Merges: two reachable pieces joined, a unit half the time; scores fall by one every three merges
  // (ties in threes), and every 97th merge scores 5 (above all but the chain: ids do not rank merges).
  SplitMix64 rng(2026);
  std::uint64_t merges = 0;
  const auto pick = [&]() -> const std::string& {
    const std::uint64_t r = rng.next();
    return (r & 1) ? units[(r >> 1) % units.size()] : reachable[(r >> 1) % reachable.size()];
  };
  while (t.pieces.size() < kMergeVocabularySize) {
    const std::string& x = pick();
    const std::string& y = pick();
    const std::string piece = x + y;
    if (piece.size() > 16 || present.count(piece) || piece.find_first_not_of('a') == std::string::npos) continue;
    const float score = merges % 97 == 96 ? 5.0f : -static_cast<float>(merges / 3);
    add(piece, score);
    reachable.push_back(piece);
    ++merges;
  }
  t.n_pieces = static_cast<std::uint32_t>(t.pieces.size());
  return t;
}

}  // namespace slmgen
