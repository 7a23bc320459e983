// Names, chapters and counts that every report shares, so the four reports never disagree.
#include "slmconf/results.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <utility>

namespace slmconf {
namespace {

struct ChapterName {
  std::string_view code, title;
};

// In the order of the spec, which is the order the reports list chapters in.
constexpr std::array<ChapterName, 18> kChapters = {{
    {"HDR", "Header"},
    {"LIM", "Limits"},
    {"SEC", "Section table"},
    {"TOK", "Tokenizer"},
    {"DIR", "Tensor directory"},
    {"PAD", "Padding"},
    {"CHK", "Checksum"},
    {"HPA", "Hyperparameters"},
    {"MOD", "Architecture"},
    {"ID", "Identity"},
    {"DIG", "Content digest"},
    {"IO", "I/O"},
    {"FWD", "Forward pass"},
    {"SMP", "Sampling"},
    {"GEN", "Generation"},
    {"ADP", "Adapters"},
    {"EVAL", "Evaluation"},
    {"OTHER", "Other"},
}};

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Known chapters by spec position, unknown ones after them, OTHER last.
std::size_t chapter_rank(const std::string& code) {
  for (std::size_t i = 0; i + 1 < kChapters.size(); ++i) {
    if (kChapters[i].code == code) return i;
  }
  return code == "OTHER" ? kChapters.size() : kChapters.size() - 1;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the well-formed UTF-8 sequence starting at text[at], or 0 if it is not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the first continuation byte
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4;
  else return 0;
  if (lead == 0xE0) low = 0xA0;       // overlong
  if (lead == 0xED) high = 0x9F;      // surrogates
  if (lead == 0xF0) low = 0x90;       // overlong
  if (lead == 0xF4) high = 0x8F;      // above U+10FFFF
  if (at + length > text.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
  }
  return length;
}

// Code points HTML calls parse errors and XML 1.0 forbids or discourages: C0 controls other than
// tab, newline and carriage return, DEL, C1 controls (U+0080-U+009F) and U+FFFE, U+FFFF.
bool is_unprintable(std::string_view sequence) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(sequence[i]); };
  if (sequence.size() == 1) {
    const unsigned char c = byte(0);
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
  }
  if (sequence.size() == 2) return byte(0) == 0xC2 && byte(1) <= 0x9F;
  return sequence.size() == 3 && byte(0) == 0xEF && byte(1) == 0xBF && byte(2) >= 0xBE;
}

}  // namespace

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::PASS: return "PASS";
    case Outcome::FAIL: return "FAIL";
    case Outcome::SKIPPED: return "SKIPPED";
    case Outcome::ERRORED: return "ERRORED";
    case Outcome::TIMEOUT: return "TIMEOUT";
    case Outcome::CRASH: return "CRASH";
    case Outcome::GARBAGE: return "GARBAGE";
  }
  return "UNKNOWN";
}

std::optional<Outcome> parse_outcome(std::string_view lower_name) {
  for (const Outcome outcome : kAllOutcomes) {
    const std::string_view name = outcome_name(outcome);
    if (std::ranges::equal(name, lower_name, [](char upper, char lower) { return std::tolower(static_cast<unsigned char>(upper)) == lower; })) {
      return outcome;
    }
  }
  return std::nullopt;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::L1: return "L1";
    case Level::L2: return "L2";
    case Level::L3: return "L3";
    case Level::L4: return "L4";
    case Level::L5: return "L5";
  }
  return "L?";
}

const char* level_title(Level level) {
  switch (level) {
    case Level::L1: return "Verdict";
    case Level::L2: return "Error code";
    case Level::L3: return "Identity and offsets";
    case Level::L4: return "Generation";
    case Level::L5: return "Eval";
  }
  return "?";
}

std::string runtime_title(const RunInfo& info) {
  return info.runtime_name.empty() ? info.runtime : info.runtime_name;
}

std::string shard_note(const RunInfo& info) {
  if (!info.shard) return "";
  return "shard " + std::to_string(info.shard->shard.index) + "/" + std::to_string(info.shard->shard.count) + " of " +
         std::to_string(info.shard->selected) + " selected cases";
}

// SLM-<CHAPTER>-nnn (format rules with an error code) and RT-<CHAPTER>-nnn (runtime rules).
std::string rule_chapter(const std::string& rule) {
  const std::string_view text = rule;
  const std::string_view prefix = text.starts_with("SLM-") ? "SLM-" : text.starts_with("RT-") ? "RT-" : "";
  if (prefix.empty()) return "OTHER";
  const std::size_t dash = text.find('-', prefix.size());
  if (dash == std::string_view::npos) return "OTHER";
  const std::string_view chapter = text.substr(prefix.size(), dash - prefix.size());
  const std::string_view number = text.substr(dash + 1);
  if (chapter.empty() || number.empty() || !std::ranges::all_of(chapter, is_upper) ||
      !std::ranges::all_of(number, is_digit)) {
    return "OTHER";
  }
  return std::string(chapter);
}

std::string chapter_title(const std::string& chapter) {
  for (const auto& known : kChapters) {
    if (known.code == chapter) return std::string(known.title);
  }
  return chapter;  // a chapter newer than this runner: its code is the best title there is
}

bool is_failure(Outcome outcome) {
  return outcome != Outcome::PASS && outcome != Outcome::SKIPPED;
}

bool counts_toward(const CaseResult& result, Level level) {
  return result.outcome != Outcome::SKIPPED && result.test->level >= level;
}

bool passed_level(const CaseResult& result, Level level) {
  const auto found = result.levels.find(level);
  return found != result.levels.end() && found->second == 1;
}

void Counts::add(const CaseResult& result) {
  ++total;
  ++outcomes[result.outcome];
  for (const Level level : kAllLevels) {
    if (!counts_toward(result, level)) continue;
    LevelCount& count = levels[level];
    ++count.total;
    if (passed_level(result, level)) ++count.passed;
  }
}

int Counts::of(Outcome outcome) const {
  const auto found = outcomes.find(outcome);
  return found == outcomes.end() ? 0 : found->second;
}

LevelCount Counts::of(Level level) const {
  const auto found = levels.find(level);
  return found == levels.end() ? LevelCount{} : found->second;
}

int Counts::failures() const {
  int n = 0;
  for (const auto& [outcome, count] : outcomes) {
    if (is_failure(outcome)) n += count;
  }
  return n;
}

Counts count_results(const std::vector<CaseResult>& results) {
  Counts counts;
  for (const CaseResult& result : results) counts.add(result);
  return counts;
}

bool run_passes(const Counts& counts, std::optional<Level> required) {
  if (!required) return counts.failures() == 0;
  for (const Level level : kAllLevels) {
    const LevelCount count = counts.of(level);
    if (level <= *required && count.passed != count.total) return false;
  }
  return true;
}

std::string case_chapter(const Case& test) {
  if (!test.rules.empty()) return rule_chapter(test.rules.front());
  if (!test.expect.rule.empty()) return rule_chapter(test.expect.rule);
  return "OTHER";
}

std::vector<Chapter> chapters_of(const Run& run) {
  std::vector<Chapter> chapters;
  for (const CaseResult& result : run.results) {
    const std::string code = case_chapter(*result.test);
    auto chapter = std::ranges::find(chapters, code, &Chapter::code);
    if (chapter == chapters.end()) chapter = chapters.insert(chapters.end(), Chapter{code, {}, {}});
    chapter->results.push_back(&result);
    chapter->counts.add(result);
  }
  std::ranges::stable_sort(chapters, [](const Chapter& a, const Chapter& b) {
    return std::pair(chapter_rank(a.code), a.code) < std::pair(chapter_rank(b.code), b.code);
  });
  return chapters;
}

std::vector<Level> reported_levels(const Run& run) {
  Level highest = Level::L3;
  for (const CaseResult& result : run.results) highest = std::max(highest, result.test->level);
  std::vector<Level> levels;
  for (const Level level : kAllLevels) {
    if (level <= highest) levels.push_back(level);
  }
  return levels;
}

std::string printable_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = utf8_sequence_length(text, at);
    const std::string_view sequence = text.substr(at, length == 0 ? 1 : length);
    out += length == 0 || is_unprintable(sequence) ? kReplacement : sequence;
    at += sequence.size();
  }
  return out;
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = utf8_sequence_length(text, at);
    out += length == 0 ? kReplacement : text.substr(at, length);
    at += length == 0 ? 1 : length;
  }
  return out;
}

std::string terminal_safe(std::string_view text) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = utf8_sequence_length(text, at);
    if (length == 0) {
      out += kReplacement;
      ++at;
      continue;
    }
    const std::string_view sequence = text.substr(at, length);
    const auto first = static_cast<unsigned char>(sequence[0]);
    // C1 controls U+0080..U+009F are the two bytes C2 80..C2 9F
    const bool c1 = length == 2 && first == 0xC2 && static_cast<unsigned char>(sequence[1]) < 0xA0;
    if (length == 1 && (first < 0x20 || first == 0x7F)) {
      out += std::string("\\x") + hex[first >> 4] + hex[first & 15];
    } else if (c1) {
      const auto second = static_cast<unsigned char>(sequence[1]);
      out += std::string("\\u00") + hex[second >> 4] + hex[second & 15];
    } else {
      out += sequence;
    }
    at += length;
  }
  return out;
}

std::string clip_text(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not mid-character
  return std::string(text.substr(0, cut)) + "\n[clipped: " + std::to_string(text.size() - cut) + " more bytes]";
}

}  // namespace slmconf
