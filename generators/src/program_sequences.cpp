#include "program_sequences.h"

#include <algorithm>
#include <map>

#include "slm/tokenizer.h"

namespace slmgen {

namespace {

std::string describe(const slm::TokenizerRuntime& rt, std::uint32_t token) {
  if (token == rt.bos_id()) return "<s>";
  if (token == rt.eos_id()) return "</s>";
  return "'" + std::string(rt.token_bytes(token)) + "'";
}

}  // namespace

slm::Result<ProgramContexts> program_contexts(const ModelProgram& p, const slm::Tokenizer& tokenizer) {
  if (p.entries.empty()) return program_invalid("the program has no entries");
  const slm::TokenizerRuntime rt(tokenizer);
  slm::Tokenizer raw = tokenizer;
  raw.flags &= ~slm::kTokFlagDummyPrefix;
  const slm::TokenizerRuntime rt_raw(raw);

  std::map<std::pair<std::uint32_t, std::uint32_t>, std::pair<std::uint32_t, std::size_t>> seen;  // -> next, entry
  ProgramContexts out;
  for (std::size_t e = 0; e < p.entries.size(); ++e) {
    ProgramOutcome stream;
    stream.prompt_tokens = rt.encode(p.entries[e].prompt, true, false);
    stream.continuation_tokens = rt_raw.encode(p.entries[e].continuation, false, true);
    std::vector<std::uint32_t> all = stream.prompt_tokens;
    all.insert(all.end(), stream.continuation_tokens.begin(), stream.continuation_tokens.end());
    if (all.size() - 1 > p.max_seq_len) {
      return program_invalid("entry " + std::to_string(e) + " needs " + std::to_string(all.size() - 1) +
                             " positions; max_seq_len is " + std::to_string(p.max_seq_len));
    }
    for (std::size_t i = stream.prompt_tokens.size() - 1; i + 1 < all.size(); ++i) {
      const ProgramContext c{all[i == 0 ? 0 : i - 1], all[i], all[i + 1]};
      const auto [it, inserted] = seen.try_emplace({c.previous, c.current}, c.next, e);
      if (!inserted) {
        if (it->second.first == c.next) continue;
        return program_invalid("ambiguous program: after " + describe(rt, c.previous) + " " + describe(rt, c.current) +
                               " entry " + std::to_string(it->second.second) + " continues with " +
                               describe(rt, it->second.first) + " and entry " + std::to_string(e) + " with " +
                               describe(rt, c.next) + " (a programmed model sees two tokens of context)");
      }
      out.contexts.push_back(c);
      for (auto t : {c.previous, c.current, c.next}) {
        if (std::find(out.used_tokens.begin(), out.used_tokens.end(), t) == out.used_tokens.end()) out.used_tokens.push_back(t);
      }
    }
    out.streams.push_back(std::move(stream));
  }
  return out;
}

}  // namespace slmgen
