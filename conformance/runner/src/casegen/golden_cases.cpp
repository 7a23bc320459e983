// `slm gen cases`, level L4: tokenize/ and generate/ goldens. Expectations come from the reference,
// but every programmed-model case is also checked against the text its program promises, an oracle
// that does not depend on the reference being right.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <optional>

#include "case_files.h"
#include "slm/output_set.h"
#include "slmconf/programs.h"
#include "slmconf/recipe_json.h"
#include "slm/checksum.h"
#include "slm/errors.h"
#include "slm/generate.h"
#include "slm/model_file.h"
#include "slm/quant.h"
#include "slm/sha256.h"
#include "slm/validate.h"
#include "slm/writer.h"
#include "slmconf/program_json.h"
#include "slmconf/protocol.h"
#include "slmconf/reference_runtime.h"
#include "ops/op.h"
#include "slmgen/program.h"
#include "slmgen/recipe.h"
#include "slmgen/toy_vocabulary.h"

namespace slmconf {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

constexpr std::uint32_t kLogitSteps = 2;    // first steps whose logits are recorded
constexpr std::size_t kTopLogits = 8;       // per recorded step, the largest logits
constexpr double kLogitAbsTolerance = 1e-3;  // |got - want| <= abs + rel * |want|
constexpr double kLogitRelTolerance = 1e-4;

// The toy-vocabulary cases share the model committed in this one's folder.
constexpr const char* kToyModelCase = "tokenize/toy-t1-empty";

struct Golden {
  std::string id, description;
  OpParams params;                            // tokenize or generate, and its request
  std::optional<slmgen::ModelRecipe> recipe;  // input: a generated random-weight model, or
  std::optional<slmgen::ModelProgram> program;  // or a programmed model (dtype, tokenizer override it)
  std::string dtype, tokenizer;               // program overrides
  GenerateParams& gen() { return std::get<ops::Generate::Params>(params).generate; }
  const GenerateParams& gen() const { return std::get<ops::Generate::Params>(params).generate; }
  bool generates() const { return std::holds_alternative<ops::Generate::Params>(params); }
  std::vector<std::string> rules;
  std::optional<std::string> promised;  // what the program says the continuation is
  bool toy = false;                     // input: the toy-vocabulary model (runtime-tokenizer.md 6.2)
  std::optional<std::vector<std::uint32_t>> spec_ids;  // the ids the spec's hand-computed vector gives
  bool bit_exact = false;  // the case is about the last bit of f32 arithmetic (tagged "bit-exact")
  // input: the recipe's model with these bytes changed (then resealed), committed as model.slm
  std::function<void(std::vector<std::uint8_t>&)> edit;
};

struct ScaleEdit {
  std::uint64_t row, block;
  std::uint16_t half;
};

// The matrix `name` of a valid model: its directory entry and the file offset of its first byte, or
// nothing (then an edit changes nothing, and write_golden refuses the case).
std::optional<std::pair<slm::TensorEntry, std::uint64_t>> matrix(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  const auto info = slm::validate_model(bytes);
  if (!info.ok()) return std::nullopt;
  for (const auto& t : info->tensors) {
    if (t.name == name && t.rank == 2) return std::pair{t, info->header.data.offset + t.offset};
  }
  return std::nullopt;
}

// Copies row `from` of the f32 matrix `name` over row `to`: the two logits it feeds are then equal to
// the bit (the same dot product).
void copy_row(std::vector<std::uint8_t>& bytes, const std::string& name, std::uint64_t from, std::uint64_t to) {
  const auto m = matrix(bytes, name);
  if (!m || m->first.dtype != slm::DType::F32) return;
  const std::uint64_t row_bytes = m->first.dims[1] * 4;
  std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(m->second + from * row_bytes), row_bytes,
              bytes.begin() + static_cast<std::ptrdiff_t>(m->second + to * row_bytes));
}

// Sets fp16 block scales of the q8_0/q4_0 matrix `name` (format.md allows any fp16 scale; the quants
// stay as they are). The caller reseals the file.
void set_block_scales(std::vector<std::uint8_t>& bytes, const std::string& name, const std::vector<ScaleEdit>& edits) {
  const auto m = matrix(bytes, name);
  if (!m || (m->first.dtype != slm::DType::Q8_0 && m->first.dtype != slm::DType::Q4_0)) return;
  const std::uint64_t block_bytes = m->first.dtype == slm::DType::Q8_0 ? slm::kQ8_0BlockBytes : slm::kQ4_0BlockBytes;
  const std::uint64_t blocks_per_row = m->first.dims[1] / slm::kBlockSize;
  for (const auto& e : edits) {
    const std::uint64_t at = m->second + (e.row * blocks_per_row + e.block) * block_bytes;
    bytes[at] = static_cast<std::uint8_t>(e.half & 0xFF);
    bytes[at + 1] = static_cast<std::uint8_t>(e.half >> 8);
  }
}

slmgen::ModelRecipe recipe(std::string preset, std::uint64_t seed, std::string tokenizer = "", std::string dtype = "") {
  slmgen::ModelRecipe r;
  r.preset = std::move(preset);
  r.seed = seed;
  r.tokenizer = std::move(tokenizer);
  r.dtype = std::move(dtype);
  return r;
}

// conformance/programs/hello.json, compiled in (a broken built-in program aborts the generator).
slmgen::ModelProgram hello_program() { return builtin_program("hello").value(); }

// What hello.json programs `prompt` to continue with.
std::string hello_continuation(const std::string& prompt) {
  for (const auto& e : hello_program().entries) {
    if (e.prompt == prompt) return e.continuation;
  }
  return {};
}

std::vector<Golden> goldens() {
  std::vector<Golden> out;
  auto tokenize = [&](std::string id, std::string description, slmgen::ModelRecipe r, std::string text, bool add_bos,
                      std::vector<std::string> rules) {
    Golden g;
    g.id = "tokenize/" + id;
    g.description = std::move(description);
    g.params = ops::Tokenize::Params{std::move(text), add_bos};
    g.recipe = std::move(r);
    g.rules = std::move(rules);
    out.push_back(std::move(g));
  };
  const auto byte = recipe("tiny", 3, "byte");
  const auto bpe = recipe("tiny", 4, "bpe");
  const auto bpe512 = recipe("small", 1);
  tokenize("byte-ascii", "byte tokenizer: one token per byte, id = byte + 3, BOS first", byte, "Hello, world!", true,
           {"RT-TOK-001", "RT-TOK-003", "RT-TOK-005"});
  tokenize("byte-utf8", "byte tokenizer on multi-byte UTF-8", byte, "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x99\x82", true,
           {"RT-TOK-003", "RT-TOK-010"});
  tokenize("byte-no-bos", "add_bos false: no BOS", byte, "abc", false, {"RT-TOK-005"});
  tokenize("bpe-merges", "BPE merges by score, leftmost pair on ties, dummy prefix", bpe512, "the rain in spain stays", true,
           {"RT-TOK-001", "RT-TOK-002", "RT-TOK-004"});
  tokenize("bpe-byte-fallback", "characters without a piece fall back to byte tokens and never merge", bpe,
           "Z\xc3\xbcrich 2026!", true, {"RT-TOK-003", "RT-TOK-006"});
  tokenize("bpe-spaces", "runs of spaces, leading and trailing", bpe512, "  two  spaces ", true, {"RT-TOK-002", "RT-TOK-004"});
  tokenize("bpe-empty", "empty text: BOS only, no dummy prefix", bpe, "", true, {"RT-TOK-002", "RT-TOK-005"});
  // The spec's hand-computed vectors T1-T10 on the toy vocabulary: score ties, merge chains, byte
  // fallback, invalid UTF-8 (sent as text_hex), special-looking texts. The spec is the oracle.
  struct Toy {
    const char* id;
    const char* description;
    std::string text;
    std::vector<std::uint32_t> ids;
    std::vector<std::string> rules;
  };
  const Toy toys[] = {
      {"t1-empty", "T1: empty text, no dummy prefix", "", {1}, {"RT-TOK-002", "RT-TOK-005"}},
      {"t2-tie-leftmost", "T2: equal scores, the leftmost pair wins", "abc", {1, 259, 263, 262}, {"RT-TOK-004"}},
      {"t3-score-beats-left", "T3: a higher score beats a pair further left", "bca", {1, 259, 261, 265}, {"RT-TOK-004"}},
      {"t4-merge-chain", "T4: merged pieces merge again (a piece reachable only through merges)", "abab", {1, 259, 267},
       {"RT-TOK-004"}},
      {"t5-multibyte-fallback", "T5: a multi-byte unit and byte fallback for a missing one", "\xC3\xA9\xE2\x82\xAC",
       {1, 259, 268, 229, 133, 175}, {"RT-TOK-002", "RT-TOK-003"}},
      {"t6-invalid-utf8", "T6: invalid UTF-8 (text_hex); fallback bytes never merge", "a\x80\xFF\xFE", {1, 259, 100, 131, 258, 257},
       {"RT-TOK-002", "RT-TOK-003", "RT-TOK-004"}},
      {"t7-leading-continuation", "T7: continuation bytes first (text_hex); the dummy space is its own unit", "\x80\x80" "ab",
       {1, 259, 131, 131, 263}, {"RT-TOK-002"}},
      {"t8-unit-stops-at-4", "T8: a unit stops at 4 bytes (text_hex)", "\xF0\x9F\x98\x80\x80", {1, 259, 274, 131}, {"RT-TOK-002"}},
      {"t9-special-text", "T9: a special piece's text stays text", "<s>", {1, 259, 272, 271}, {"RT-TOK-004"}},
      {"t10-byte-piece-name", "T10: a byte piece's name stays text", "<0x41>", {1, 259, 269, 51, 123, 55, 52, 271},
       {"RT-TOK-003"}},
  };
  for (const Toy& t : toys) {
    Golden g;
    g.id = std::string("tokenize/toy-") + t.id;
    g.description = t.description;
    g.params = ops::Tokenize::Params{t.text, true};
    g.toy = true;
    g.spec_ids = t.ids;
    g.rules = t.rules;
    out.push_back(std::move(g));
  }
  tokenize("bpe-leading-space-decode", "decode drops the dummy space after BOS only", bpe512, " leading", true,
           {"RT-TOK-011", "RT-TOK-013"});
  tokenize("bpe-no-bos-keeps-dummy-space", "add_bos false: no BOS, so decode keeps the dummy space (text \" no bos\")",
           bpe512, "no bos", false, {"RT-TOK-005", "RT-TOK-011"});
  // The merge vocabulary (generators.md 2.1): 4096 pieces, 3794 merges with scores tied in threes.
  // Each text below was chosen so that a plausible misreading of RT-TOK-002..006 gives other ids;
  // conformance/tests/test_tokenize_goldens.py checks that each misreading fails some case here.
  const auto merges = recipe("tiny", 5, "bpe-merges");
  struct Merge {
    const char* id;
    const char* description;
    std::string text;
    std::vector<std::string> rules;
    bool add_bos = true;
  };
  const std::vector<std::string> M = {"RT-TOK-004"}, U = {"RT-TOK-002", "RT-TOK-003"};
  const Merge merge_cases[] = {
      // equal scores: the leftmost pair, never the rightmost, never the lowest id
      {"tie-leftmost-kkkgz", "tied scores: the leftmost pair merges first (kk k, not k kk)", "kkkgz", M},
      {"tie-leftmost-ppooo", "tied scores: the leftmost pair merges first", "ppooo", M},
      {"tie-leftmost-syyym", "tied scores: the leftmost pair merges first", "syyym", M},
      {"tie-not-lowest-id-wskar", "tied scores: position decides, not the merged piece's id", "wskar", M},
      {"tie-not-lowest-id-qubf", "tied scores: position decides, not the merged piece's id", "qubf", M},
      {"tie-not-lowest-id-oaf", "tied scores: position decides, not the merged piece's id", "oaf", M},
      {"tie-not-lowest-id-nkzrubf", "tied scores: position decides, not the merged piece's id", "nkzrubf", M},
      // scores decide, not ids: every 97th merge outscores older ones
      {"score-not-id-day-and", "a later piece with a higher score merges first: ids do not rank merges", "day and", M},
      {"score-not-id-at-day", "a later piece with a higher score merges first", "at day at for", M},
      {"score-not-id-xojtcdqn", "a later piece with a higher score merges first", "xojtcdqn", M},
      // pair merges, not longest match
      {"not-longest-match-little", "merging pairs is not taking the longest piece at each position", "little said in and", M},
      {"not-longest-match-csjqp", "merging pairs is not taking the longest piece at each position", "csjqp", M},
      {"unreachable-hello", "HELLO is a piece, but H E L L O have none: byte fallback, and bytes never merge", "HELLO",
       {"RT-TOK-003", "RT-TOK-004"}},
      {"unreachable-space-hello", "\" HELLO\" is a piece no merge reaches", "say HELLO", {"RT-TOK-003", "RT-TOK-004"}},
      {"fallback-never-merges-qq", "QQ is a piece; the byte tokens of Q Q never merge into it", "QQ", {"RT-TOK-004", "RT-TOK-006"}},
      {"fallback-never-merges-qqq", "byte-fallback tokens never merge, on either side", "QQQ and QQ", {"RT-TOK-004", "RT-TOK-006"}},
      // long merge chains: aa, aaaa, a^8, a^16 share the top score
      {"chain-16", "a^16: four levels of merges of tied pieces down to one piece", std::string(16, 'a'), M},
      {"chain-17", "a^17: the chain, then a leftover a", std::string(17, 'a'), M},
      {"chain-7", "a^7: aaaa aa a", std::string(7, 'a'), M},
      {"chain-37", "a^32, a space, a^5", std::string(32, 'a') + " " + std::string(5, 'a'), M},
      // whitespace
      {"spaces-two", "a run of two spaces between words", "a  b", {"RT-TOK-002", "RT-TOK-004"}},
      {"spaces-only", "spaces only: the dummy space and three more", "   ", {"RT-TOK-002", "RT-TOK-004"}},
      {"newlines", "runs of newlines", "\n\n\nx\n", {"RT-TOK-002", "RT-TOK-004"}},
      {"space-newline-mix", "spaces and newlines mixed", "x \n y \n\n z", {"RT-TOK-002", "RT-TOK-004"}},
      {"trailing-spaces", "trailing spaces", "end   ", {"RT-TOK-002", "RT-TOK-004"}},
      {"leading-spaces", "leading spaces after the dummy space", "   start", {"RT-TOK-002", "RT-TOK-004"}},
      // multi-byte UTF-8: pieces for \u00e9 \u20ac \u65e5 \u672c \U0001F600, byte fallback for the rest
      {"utf8-cafe", "a two-byte piece inside a word", "caf\xC3\xA9", {"RT-TOK-002", "RT-TOK-004"}},
      {"utf8-nihon", "two three-byte pieces", "\xE6\x97\xA5\xE6\x9C\xAC", {"RT-TOK-002", "RT-TOK-004"}},
      {"utf8-nihongo", "two pieces, then a code point without one: three byte tokens", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", U},
      {"utf8-emoji", "a four-byte piece three times", "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80", {"RT-TOK-002", "RT-TOK-004"}},
      {"utf8-euro", "euro signs and an e-acute among ASCII", "\xE2\x82\xAC\xE2\x82\xAC and \xC3\xA9", {"RT-TOK-002", "RT-TOK-004"}},
      {"utf8-fallback-in-word", "u-umlaut has no piece: two byte tokens inside a word", "Z\xC3\xBCrich \xC3\xBC", U},
      {"digits", "digits and punctuation without pieces fall back to bytes", "in 2026, 42.", U},
      {"capitals", "capital letters fall back to bytes", "Hello World", U},
      // the first and last id of each range
      {"id-first-byte-piece", "NUL: byte piece <0x00>, id 3", std::string(1, '\0'), {"RT-TOK-003"}},
      {"id-last-byte-piece", "0xFF (text_hex): byte piece <0xFF>, id 258", "\xFF", {"RT-TOK-002", "RT-TOK-003"}},
      {"id-first-normal-piece", "\" \" is id 259, the first normal piece (the dummy space, alone)", "Q", {"RT-TOK-002", "RT-TOK-003"}},
      {"id-first-merge", "\"iz\" is id 302, the first merged piece", "iz", M},
      {"id-last-piece", "\"mbf.sn\" is id 4095, the last piece", "mbf.sn", M},
      // invalid UTF-8, sent as text_hex
      {"invalid-unit-stops-at-4", "a continuation run: a unit takes at most 4 bytes", "a\x80\x80\x80\x80" "b", U},
      {"invalid-lead-then-ascii", "a lead byte followed by ASCII is a unit of its own", "\xC3" "A\xC3", U},
      {"invalid-truncated", "a three-byte sequence cut after two bytes", "\xE6\x97x\xE6\x97\xA5", U},
      {"invalid-continuation-first", "continuation bytes first: a unit of their own after the dummy space", "\x80\x80" "ab", U},
      // BOS
      {"no-bos", "add_bos false: the same merges, no BOS", "the rain", {"RT-TOK-005"}, false},
      {"empty-no-bos", "empty text, add_bos false: no ids at all", "", {"RT-TOK-002", "RT-TOK-005"}, false},
      // prose
      {"sentence-lily", "a sentence", "once upon a time, there was a little girl named lily.", M},
      {"sentence-ball", "a sentence", "she liked to play outside in the sun. one day, she saw a big, red ball.", M},
      {"apostrophes", "apostrophes have a piece; the question mark falls back", "it's lily's ball, isn't it?", M},
      {"paragraph", "a paragraph mixing everything above",
       "the little dog ran to the park.\n\nhe saw a ball, a stick and a caf\xC3\xA9 that sold \xE2\x82\xAC" "5 tea.  "
       "\"wow,\" he said.  aaaaaaaa! \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\n",
       {"RT-TOK-002", "RT-TOK-003", "RT-TOK-004"}},
  };
  for (const Merge& m : merge_cases) {
    tokenize(std::string("merges-") + m.id, std::string("merge vocabulary: ") + m.description, merges, m.text, m.add_bos, m.rules);
  }

  auto generate = [&](std::string id, std::string description, std::vector<std::string> rules) -> Golden& {
    Golden g;
    g.id = "generate/" + id;
    g.description = std::move(description);
    g.params = ops::Generate::Params{};
    g.rules = std::move(rules);
    g.gen().logit_steps = kLogitSteps;
    out.push_back(std::move(g));
    return out.back();
  };
  for (const char* tokenizer : {"byte", "bpe"}) {
    for (const char* dtype : {"f32", "q8_0", "q4_0"}) {
      auto& g = generate(std::string("programmed-") + tokenizer + "-" + dtype,
                         std::string("programmed model (") + tokenizer + ", every matrix " + dtype +
                             "): greedy continuation of \"Once upon\" is \" a time.\" then EOS",
                         {"RT-FWD-001", "RT-SMP-001", "RT-TOK-012"});
      g.program = hello_program();
      g.tokenizer = tokenizer;
      g.dtype = dtype;
      g.gen().prompt = "Once upon";
      g.promised = hello_continuation("Once upon");
    }
  }
  {
    auto& g = generate("programmed-sampled", "programmed model, temperature 0.8, top-k 4, top-p 0.9, seed 42: the margins make sampling pick the programmed text",
                       {"RT-SMP-002", "RT-FWD-001"});
    g.program = hello_program();
    g.gen().prompt = "Hello";
    g.promised = hello_continuation("Hello");
    g.gen().temperature = 0.8f;
    g.gen().top_k = 4;
    g.gen().top_p = 0.9f;
    g.gen().seed = 42;
  }
  for (const char* dtype : {"f32", "q8_0", "q4_0"}) {
    auto& g = generate(std::string("random-greedy-") + dtype,
                       std::string("random tiny model (") + dtype + "), greedy, 12 tokens: exact arithmetic order decides",
                       {"RT-FWD-001", "RT-ARI-001", "RT-ARI-002", "RT-SMP-001"});
    g.recipe = recipe("tiny", 11, "byte", dtype);
    g.recipe->layers = 2;
    g.recipe->heads = 4;
    g.recipe->kv_heads = 2;
    g.gen().prompt = "The quick";
    g.gen().max_tokens = 12;
  }
  {  // rmsnorm's ss / n (runtime.md 2): at dim 48, ss * (1/48) differs from it in the last bit
    auto& g = generate("random-greedy-rmsnorm-dim48",
                       "random tiny model at dim 48 (not a power of two), greedy: rmsnorm divides ss by n as f32 "
                       "values, never multiplies by 1/n; the logits' XXH64 tells the two apart",
                       {"RT-FWD-001"});
    g.recipe = recipe("tiny", 14, "byte", "f32");
    g.recipe->dim = 48;
    g.gen().prompt = "rmsnorm";
    g.gen().max_tokens = 8;
    g.bit_exact = true;
  }
  {  // a prompt of several tokens is one matrix-matrix product per weight; head_dim 6 and one KV head
     // give wk and wv 6 rows, not a multiple of the 4-row blocks a vectorised kernel is likely to use
    auto& g = generate("random-greedy-kv-rows6",
                       "random q8_0 model with dim 96, 16 heads of 6 and 1 KV head (wk and wv have 6 rows), a 9-token "
                       "prompt, greedy: quantized rows left over after blocks of 4 are computed like the others",
                       {"RT-FWD-001", "RT-ARI-001"});
    g.recipe = recipe("tiny", 16, "byte", "q8_0");
    g.recipe->dim = 96;
    g.recipe->heads = 16;
    g.recipe->kv_heads = 1;
    g.gen().prompt = "leftovers";
    g.gen().max_tokens = 6;
  }
  {  // rows of 36 values: not a multiple of 8 lanes, so every dot product has a tail
    auto& g = generate("random-greedy-dim36",
                       "random f32 model with dim 36 (6 heads of 6, 3 KV heads), a 9-token prompt, greedy: each dot product "
                       "ends with 4 values after its groups of 8, added in lane order",
                       {"RT-FWD-001", "RT-ARI-001"});
    g.recipe = recipe("tiny", 17, "byte", "f32");
    g.recipe->dim = 36;
    g.recipe->heads = 6;
    g.recipe->kv_heads = 3;
    g.gen().prompt = "leftovers";
    g.gen().max_tokens = 6;
  }
  struct Sampling {
    const char* id;
    float temperature;
    std::uint32_t top_k;
    float top_p;
    std::uint64_t seed;
  };
  for (const Sampling s : {Sampling{"temperature", 1.0f, 0, 1.0f, 7}, Sampling{"top-k", 0.9f, 5, 1.0f, 8},
                           // two candidates at a high temperature: the second, the last kept one, is drawn often
                           Sampling{"top-k-2", 2.0f, 2, 1.0f, 10},
                           Sampling{"top-p", 1.1f, 0, 0.7f, 9}, Sampling{"seed-zero", 1.0f, 0, 1.0f, 0}}) {
    auto& g = generate(std::string("random-sampled-") + s.id,
                       std::string("random tiny model, seeded sampling (") + s.id + "): xorshift64*, one draw per token",
                       {"RT-SMP-002", "RT-FWD-001"});
    g.recipe = recipe("tiny", 12, "bpe", "f32");
    g.gen().prompt = "once upon a time";
    g.gen().max_tokens = 16;
    g.gen().temperature = s.temperature;
    g.gen().top_k = s.top_k;
    g.gen().top_p = s.top_p;
    g.gen().seed = s.seed;
  }
  {  // fp16 scales the quantizers never write: zero over non-zero quants, and the smallest subnormal
    auto& g = generate("random-greedy-q8_0-special-scales",
                       "random q8_0 model whose first w2 row has block scales 0x0000 (zero, over non-zero quants) and "
                       "0x0001 (2^-24, subnormal): they dequantize to exactly 0 and 2^-24 * q; bit-exact logits",
                       {"RT-ARI-001", "RT-FWD-001"});
    g.recipe = recipe("tiny", 18, "byte", "q8_0");
    g.gen().prompt = "scales";
    g.gen().max_tokens = 6;
    g.bit_exact = true;
    g.edit = [](std::vector<std::uint8_t>& b) {
      set_block_scales(b, "layers.0.feed_forward.w2.weight", {{0, 0, 0x0000}, {1, 0, 0x0001}});
    };
  }
  {  // an infinite fp16 scale (format.md allows it): the logit it feeds is NaN, and a NaN never wins
    auto& g = generate("random-greedy-q8_0-infinite-scale",
                       "random q8_0 model with its own classifier, whose row 200 has block scale +inf (0x7C00): logit 200 "
                       "is non-finite (null) at every step and never chosen; every other logit as usual",
                       {"RT-ARI-001", "RT-FWD-001", "RT-SMP-001"});
    g.recipe = recipe("tiny", 19, "byte", "q8_0");
    g.recipe->untied = true;
    g.gen().prompt = "inf";
    g.gen().max_tokens = 6;
    g.edit = [](std::vector<std::uint8_t>& b) { set_block_scales(b, "output.weight", {{200, 0, 0x7C00}}); };
  }
  {  // an exact tie at the top: tokens 233 and 250 have the same classifier row. At temperature 0.002
     // every other logit (at least 0.247 lower at step 0) gets probability exactly 0 and the two get
     // exactly 0.5 each, so top-p 0.5 keeps the lower id alone (cumulative >= top_p, not >)
    auto& g = generate("random-sampled-top-p-tie",
                       "random f32 model whose classifier rows 233 and 250 are equal: an exact tie at p = 0.5 each; "
                       "top_p 0.5 keeps only 233, the lower id (runtime.md 4: the shortest prefix reaching top_p)",
                       {"RT-SMP-002", "RT-FWD-001"});
    g.recipe = recipe("tiny", 21, "byte", "f32");
    g.recipe->untied = true;
    g.gen().prompt = "tie";
    g.gen().max_tokens = 8;
    g.gen().temperature = 0.002f;
    g.gen().top_p = 0.5f;
    g.gen().seed = 1;
    g.edit = [](std::vector<std::uint8_t>& b) { copy_row(b, "output.weight", 233, 250); };
  }
  {
    auto& g = generate("stops-at-context", "greedy run that reaches the context: it stops with reason \"context\"",
                       {"RT-GEN-001", "RT-FWD-001"});
    g.recipe = recipe("tiny", 13, "byte", "f32");
    g.gen().prompt = "abcdefghij";
    g.gen().max_tokens = 64;
  }
  {
    auto& g = generate("prompt-too-long", "a prompt longer than the context is rejected before any step",
                       {"SLM-GEN-001"});
    g.program = hello_program();
    g.gen().prompt = std::string(80, 'a');
  }
  return out;
}

// The model bytes a golden runs on, and its input object for expected.json.
slm::Status materialise(const Golden& g, const fs::path& dir, std::vector<std::uint8_t>& bytes, json& input,
                        std::string& program_text) {
  if (g.toy) {
    // One committed model, in the first toy case's folder; the others name it relatively.
    bytes = slm::write_model(slmgen::toy_vocabulary_model());
    const std::string first(kToyModelCase);
    input = {{"file", g.id == first ? std::string("model.slm") : "../" + first.substr(first.find('/') + 1) + "/model.slm"}};
  } else if (g.recipe) {
    const auto options = slmgen::resolve_recipe(*g.recipe);
    if (!options.ok()) return options.status();
    bytes = slm::write_model(slmgen::generate_model(options.value()));
    const json r = recipe_to_json(*g.recipe);
    input = {{"generate", r}};
    if (g.edit) {
      const auto unedited = bytes;
      g.edit(bytes);
      if (bytes == unedited) return case_error(g.id + ": the edit changed nothing");
      slm::reseal_identity(bytes);
      slm::reseal(bytes);
      if (!slm::validate_model(bytes, {.verify_digest = true}).ok()) return case_error(g.id + ": the edited model is not valid");
      input = {{"file", "model.slm"}};
    }
  } else {
    slmgen::ModelProgram p = *g.program;
    if (!g.dtype.empty()) p.dtype = g.dtype;
    if (!g.tokenizer.empty()) p.tokenizer = g.tokenizer;
    program_text = program_to_json_text(p);
    const auto model = slmgen::build_programmed_model(p);
    if (!model.ok()) return model.status();
    bytes = slm::write_model(model.value());
    if (auto checked = slmgen::check_programmed_model(p, bytes); !checked.ok()) return checked.status();
    input = {{"program", "program.json"}};
  }
  input["sha256"] = slm::to_hex(slm::sha256(bytes));
  (void)dir;
  return slm::Status::success();
}

slm::Status write_golden(const fs::path& root, const Golden& g, const fs::path& scratch) {
  std::vector<std::uint8_t> bytes;
  json input;
  std::string program_text;
  if (auto s = materialise(g, root / g.id, bytes, input, program_text); !s.ok()) return in_case(g.id, s);
  const fs::path model_path = scratch / (slm::to_hex(slm::sha256(bytes)) + ".slm");
  if (auto s = slm::write_file_atomically(model_path.string(), bytes); !s.ok()) return s;

  Request r;
  r.path = model_path.string();
  r.params = g.params;
  const Answer a = reference_answer(r);
  if (a.kind != Answer::Kind::RESULT) return case_error(g.id + ": the reference did not answer: " + a.message);
  // What the reference produced, whichever of the two operations the golden runs.
  GenerationOutput out;
  if (a.accepted && g.generates()) {
    out = std::get<ops::Generate::Output>(a.output).generation;
  } else if (a.accepted) {
    const auto& t = std::get<ops::Tokenize::Output>(a.output);
    out.tokens = t.tokens;
    out.text = t.text;
  }

  json expect;
  std::string level = "L4";
  if (!a.accepted) {
    slm::ErrorCode code{};
    if (!slm::parse_error_code(a.code, code)) return case_error(g.id + ": unknown code " + a.code);
    const auto& row = slm::error_info(code);
    expect = {{"outcome", "reject"}, {"codes", {a.code}}, {"rule", row.rule}, {"phase", slm::phase_name(row.phase)},
              {"offset", a.offset ? json(*a.offset) : json(nullptr)}};
    level = "L3";  // the offset, or null when the code has none
  } else {
    expect = {{"outcome", "accept"}};
    if (!out.prompt_tokens.empty()) expect["prompt_tokens"] = out.prompt_tokens;
    expect["tokens"] = out.tokens;
    // Only texts that survive JSON (valid UTF-8) are recorded; tokens are always exact.
    if (out.text && is_utf8(*out.text)) expect["text"] = *out.text;
    if (g.spec_ids && out.tokens != *g.spec_ids) {
      return case_error(g.id + ": the reference's ids differ from the spec's hand-computed vector (runtime-tokenizer.md 6.2)");
    }
    if (g.promised && out.text != g.promised) {
      return case_error(g.id + ": the reference continues with \"" + out.text.value_or("") + "\", the program promises \"" + *g.promised + "\"");
    }
    if (!out.stop_reason.empty()) expect["stop_reason"] = out.stop_reason;
    if (g.generates()) {
      // The smallest margin by which a chosen token beat the runner-up: how robust the case is.
      float min_margin = INFINITY;
      // Only a greedy run has one: a sampled token need not be the largest logit.
      Request greedy = r;
      GenerateParams& gp = std::get<ops::Generate::Params>(greedy.params).generate;
      gp.temperature = 0;
      gp.logit_steps = static_cast<std::uint32_t>(out.tokens.size());
      const Answer greedy_answer = reference_answer(greedy);
      if (!greedy_answer.accepted) return case_error(g.id + ": the greedy rerun is rejected: " + greedy_answer.code);
      const GenerationOutput& all = std::get<ops::Generate::Output>(greedy_answer.output).generation;
      for (std::size_t s = 0; s < all.logits.size() && s < out.tokens.size(); ++s) {
        const auto& l = all.logits[s];
        float best_other = -INFINITY;
        for (std::uint32_t i = 0; i < l.size(); ++i) if (i != out.tokens[s]) best_other = std::max(best_other, l[i]);
        min_margin = std::min(min_margin, l[out.tokens[s]] - best_other);
        if (all.tokens.size() <= s || all.tokens[s] != out.tokens[s]) break;  // sampled runs diverge from greedy
      }
      if (g.gen().temperature == 0 && std::isfinite(min_margin)) expect["min_margin"] = min_margin;
      if (g.gen().temperature > 0) {
        // How close each draw came to picking a neighbour, as a fraction of the kept mass.
        auto model = slm::load_model_file(r.path);
        slm::GenerateRequest request;
        request.prompt = g.gen().prompt;
        request.max_tokens = g.gen().max_tokens;
        request.sampling = {g.gen().temperature, g.gen().top_k, g.gen().top_p, g.gen().seed};
        auto run = model.ok() ? slm::generate(model.value(), request) : slm::Result<slm::GenerateResult>(model.status());
        if (!run.ok() || run->tokens != out.tokens) return case_error(g.id + ": the sampled run does not repeat");
        float slack = INFINITY;
        for (const auto& step : run->steps) slack = std::min(slack, step.sampling_slack);
        if (std::isfinite(slack)) expect["min_sampling_slack"] = slack;
      }
      expect["logits"] = logits_expectation(out.logits);
    }
  }
  // The case's request section holds the request line's fields of the operation.
  json request = json::object();
  std::visit([&](const auto& p) { Behaviour<OpOf<decltype(p)>>::write_params(p, request); }, g.params);
  // Sampled runs on random models hinge on draws ~1e-4 of the mass from a boundary: only a runtime
  // that claims bit-exactness reproduces them (spec/protocol.md 1.1).
  const std::string op(op_name(g.params));
  json tags = {op, g.program ? "programmed" : "generated-input"};
  if (g.bit_exact || (g.generates() && g.gen().temperature > 0 && !g.program)) tags.push_back("bit-exact");
  const json expected = {{"id", g.id},
                         {"spec_version", kCaseSpecVersion},
                         {"description", g.description},
                         {"op", op},
                         {"level", level},
                         {"input", input},
                         {"options", {{"verify_digest", false}}},
                         {"request", request},
                         {"expect", expect},
                         {"rules", g.rules},
                         {"tags", tags}};
  const bool commit_model = (g.toy && g.id == kToyModelCase) || g.edit;
  if (auto s = write_case(root / g.id, expected, commit_model ? &bytes : nullptr); !s.ok()) return s;
  if (!program_text.empty()) {
    if (auto s = slm::write_text_atomically((root / g.id / "program.json").string(), program_text); !s.ok()) return s;
  }
  return slm::Status::success();
}

}  // namespace


json logits_expectation(const std::vector<std::vector<float>>& logits) {
  json steps = json::array();
  for (std::size_t s = 0; s < logits.size(); ++s) {
    std::vector<std::uint32_t> order(logits[s].size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    // Largest first; a NaN is no logit's rival (it never wins, runtime.md 4), so it sorts last and
    // stays out of the top (its entry in values is null).
    std::stable_sort(order.begin(), order.end(), [&](auto x, auto y) {
      const float a = logits[s][x], b = logits[s][y];
      return !std::isnan(a) && (std::isnan(b) || a > b);
    });
    json top = json::array();
    for (std::size_t k = 0; k < kTopLogits && k < order.size() && std::isfinite(logits[s][order[k]]); ++k) {
      top.push_back({order[k], logits[s][order[k]]});
    }
    // The whole vector and its XXH64: every logit is judged, the digest in bit-exact cases.
    steps.push_back({{"step", s}, {"xxh64", logits_xxh64(logits[s])}, {"top", top}, {"values", logits[s]}});
  }
  return {{"abs_tolerance", kLogitAbsTolerance}, {"rel_tolerance", kLogitRelTolerance}, {"steps", steps}};
}

slm::Status write_golden_cases(const fs::path& root) {
  std::error_code ec;
  const fs::path scratch = fs::temp_directory_path(ec) / "slm-gen-goldens";
  fs::create_directories(scratch, ec);
  for (const auto& g : goldens()) {
    if (auto s = write_golden(root, g, scratch); !s.ok()) return s;
  }
  return slm::Status::success();
}

}  // namespace slmconf
