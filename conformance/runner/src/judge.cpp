// Comparing an answer with a case's expectation, level by level (spec/protocol.md, "Levels").
#include <algorithm>
#include <cmath>

#include "slmconf/runner.h"

namespace slmconf {

namespace {

std::string describe(bool accepted, const std::string& code, const std::optional<std::uint64_t>& offset) {
  if (accepted) return "accept";
  std::string s = "reject " + (code.empty() ? std::string("(no code)") : code);
  if (offset) s += " @" + std::to_string(*offset);
  return s;
}

std::string describe_expectation(const Expectation& e) {
  if (e.accept) return "accept";
  std::string codes;
  for (const auto& c : e.codes) codes += (codes.empty() ? "" : "|") + c;
  return describe(false, codes, e.offset);
}

// "identity.flags is 1, expected 0" for the first identity field that differs.
std::string identity_difference(const Identity& got, const Identity& want) {
  const auto field = [](const char* name, const std::string& g, const std::string& w) {
    return std::string("identity.") + name + " is " + g + ", expected " + w;
  };
  if (got.parameter_count != want.parameter_count) {
    return field("parameter_count", std::to_string(got.parameter_count), std::to_string(want.parameter_count));
  }
  if (got.tensor_count != want.tensor_count) return field("tensor_count", std::to_string(got.tensor_count), std::to_string(want.tensor_count));
  if (got.flags != want.flags) return field("flags", std::to_string(got.flags), std::to_string(want.flags));
  if (got.layout_checksum != want.layout_checksum) return field("layout_checksum", got.layout_checksum, want.layout_checksum);
  if (got.tokenizer_checksum != want.tokenizer_checksum) {
    return field("tokenizer_checksum", got.tokenizer_checksum, want.tokenizer_checksum);
  }
  return field("content_digest", got.content_digest, want.content_digest);
}

// L3 for an accepted file: identity fields, and tensor digests when the runtime reports them.
bool identity_matches(const Expectation& e, const Answer& a, std::string& reason) {
  if (!e.identity) return true;
  if (!a.identity) {
    reason = "no identity reported";
    return false;
  }
  if (!(*a.identity == *e.identity)) {
    reason = identity_difference(*a.identity, *e.identity);
    return false;
  }
  if (a.tensors.empty()) return true;
  if (a.tensors.size() != e.tensors.size()) {
    reason = "reported " + std::to_string(a.tensors.size()) + " tensors, expected " + std::to_string(e.tensors.size());
    return false;
  }
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    if (a.tensors[i].name != e.tensors[i].name) {
      reason = "tensor " + std::to_string(i) + " is named " + a.tensors[i].name + ", expected " + e.tensors[i].name;
      return false;
    }
    if (a.tensors[i].sha256 != e.tensors[i].sha256) {
      reason = "tensor " + e.tensors[i].name + " has sha256 " + a.tensors[i].sha256 + ", expected " + e.tensors[i].sha256;
      return false;
    }
  }
  return true;
}

// "lineage.steps[1].descendant_digest is X, expected Y"
std::string lineage_difference(const std::optional<Lineage>& got, const Lineage& want) {
  if (!got) return "no lineage reported";
  if (got->parent_digest != want.parent_digest) {
    return "lineage.parent_digest is " + got->parent_digest + ", expected " + want.parent_digest;
  }
  if (got->steps.size() != want.steps.size()) {
    return "lineage has " + std::to_string(got->steps.size()) + " steps, expected " + std::to_string(want.steps.size());
  }
  for (std::size_t k = 0; k < want.steps.size(); ++k) {
    const auto& g = got->steps[k];
    const auto& w = want.steps[k];
    const std::string at = "lineage.steps[" + std::to_string(k) + "].";
    if (g.kind != w.kind) return at + "kind is " + g.kind + ", expected " + w.kind;
    if (g.adapter_digest != w.adapter_digest) return at + "adapter_digest is " + g.adapter_digest + ", expected " + w.adapter_digest;
    if (g.descendant_digest != w.descendant_digest) {
      return at + "descendant_digest is " + g.descendant_digest + ", expected " + w.descendant_digest;
    }
  }
  return "lineage differs";
}

// Ids [from, to) of `t`, with "..." where the list goes on.
std::string tokens_window(const std::vector<std::uint32_t>& t, std::size_t from, std::size_t to) {
  std::string s = from > 0 ? "... " : "";
  for (std::size_t i = from; i < to && i < t.size(); ++i) s += (i > from ? " " : "") + std::to_string(t[i]);
  return s + (to < t.size() ? " ..." : "");
}

std::string tokens_text(const std::vector<std::uint32_t>& t) { return tokens_window(t, 0, 12); }

// Both lists' lengths, the first differing index and a window of ids around it in each list.
std::string first_difference(const char* what, const std::vector<std::uint32_t>& want, const std::vector<std::uint32_t>& got) {
  std::size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  const std::size_t from = i > 4 ? i - 4 : 0, to = i + 5;
  const std::string at = i < want.size() && i < got.size()
                             ? "first difference at index " + std::to_string(i) + " (got " + std::to_string(got[i]) +
                                   ", expected " + std::to_string(want[i]) + ")"
                             : "equal up to index " + std::to_string(i) + ", where one list ends";
  return std::string(what) + " differ: got " + std::to_string(got.size()) + " ids, expected " + std::to_string(want.size()) +
         "; " + at + "; got [" + tokens_window(got, from, to) + "], expected [" + tokens_window(want, from, to) + "]";
}

// L4: token streams exactly, text and stop reason when recorded, logits within the case's tolerance.
bool generation_matches(const GenerationExpectation& e, const Answer& a, std::string& reason) {
  if (!e.prompt_tokens.empty() && a.prompt_tokens != e.prompt_tokens) {
    reason = first_difference("prompt tokens", e.prompt_tokens, a.prompt_tokens);
    return false;
  }
  if (a.tokens != e.tokens) {
    reason = first_difference("tokens", e.tokens, a.tokens);
    return false;
  }
  if (e.text && a.text != e.text) {
    reason = "text is \"" + a.text.value_or("(none)").substr(0, 60) + "\", expected \"" + e.text->substr(0, 60) + "\"";
    return false;
  }
  if (!e.stop_reason.empty() && a.stop_reason != e.stop_reason) {
    reason = "stop reason " + (a.stop_reason.empty() ? std::string("(none)") : a.stop_reason) + ", expected " + e.stop_reason;
    return false;
  }
  for (const auto& step : e.logits) {
    if (step.step >= a.logits.size()) {
      reason = "no logits reported for step " + std::to_string(step.step);
      return false;
    }
    const auto& got = a.logits[step.step];
    for (const auto& [token, want] : step.top) {
      const double tolerance = e.logit_abs_tolerance + e.logit_rel_tolerance * std::fabs(static_cast<double>(want));
      if (token >= got.size() || !(std::fabs(static_cast<double>(got[token]) - want) <= tolerance)) {
        reason = "step " + std::to_string(step.step) + " logit of token " + std::to_string(token) + " is " +
                 (token < got.size() ? std::to_string(got[token]) : std::string("missing")) + ", expected " +
                 std::to_string(want) + " +- " + std::to_string(tolerance);
        return false;
      }
    }
  }
  return true;
}

}  // namespace

CaseResult judge(const Case& c, const Attempt& attempt) {
  CaseResult r;
  r.test = &c;
  r.expected = describe_expectation(c.expect);
  r.stderr_text = attempt.stderr_text;
  const int top = static_cast<int>(c.level);
  auto set_all = [&](int v) {
    for (int k = 1; k <= top; ++k) r.levels[static_cast<Level>(k)] = v;
  };
  switch (attempt.kind) {
    case Attempt::Kind::TIMEOUT: r.outcome = Outcome::TIMEOUT; break;
    case Attempt::Kind::CRASH: r.outcome = Outcome::CRASH; break;
    case Attempt::Kind::GARBAGE: r.outcome = Outcome::GARBAGE; break;
    case Attempt::Kind::ANSWER: break;
  }
  if (attempt.kind != Attempt::Kind::ANSWER) {
    set_all(0);
    r.reason = attempt.detail;
    r.got = outcome_name(r.outcome);
    return r;
  }
  const Answer& a = attempt.answer;
  if (a.kind == Answer::Kind::SKIPPED) {
    set_all(-1);
    r.outcome = Outcome::SKIPPED;
    r.got = "skipped";
    r.reason = a.message;
    return r;
  }
  if (a.kind == Answer::Kind::ERRORED) {
    set_all(0);
    r.outcome = Outcome::ERRORED;
    r.got = "errored";
    r.reason = a.message;
    return r;
  }
  r.got = describe(a.accepted, a.code, a.offset);
  if (c.expect.generation) {
    r.expected = "tokens [" + tokens_text(c.expect.generation->tokens) + "]";
    if (a.accepted) r.got = "tokens [" + tokens_text(a.tokens) + "]";
  }
  const bool l1 = a.accepted == c.expect.accept;
  bool l2 = l1, l3 = true;
  std::string reason = l1 ? "" : (a.accepted ? "accepted an invalid file" : "rejected a valid file");
  if (l1 && !c.expect.accept) {
    l2 = std::find(c.expect.codes.begin(), c.expect.codes.end(), a.code) != c.expect.codes.end();
    if (!l2) {
      std::string codes;
      for (const auto& code : c.expect.codes) codes += (codes.empty() ? "" : " or ") + code;
      reason = a.code.empty() ? "no error code reported, expected " + codes : "error code " + a.code + ", expected " + codes;
    }
  }
  if (top >= 3) {
    if (!l2) {
      l3 = false;
    } else if (c.expect.accept) {
      l3 = identity_matches(c.expect, a, reason);
      if (l3 && c.expect.lineage && a.lineage != c.expect.lineage) {
        l3 = false;
        reason = lineage_difference(a.lineage, *c.expect.lineage);
      }
    } else if (c.expect.offset) {
      l3 = a.offset == c.expect.offset;
      if (!l3) {
        reason = a.offset ? "offset " + std::to_string(*a.offset) + ", expected " + std::to_string(*c.expect.offset)
                          : "no offset reported, expected " + std::to_string(*c.expect.offset);
      }
    }
  }
  bool l4 = true;
  if (top >= 4) {
    if (!(l2 && l3)) {
      l4 = false;
    } else if (c.expect.accept && c.expect.generation) {
      l4 = generation_matches(*c.expect.generation, a, reason);
    }
  }
  r.levels[Level::L1] = l1;
  if (top >= 2) r.levels[Level::L2] = l2;
  if (top >= 3) r.levels[Level::L3] = l3;
  if (top >= 4) r.levels[Level::L4] = l4;
  const bool pass = l1 && (top < 2 || l2) && (top < 3 || l3) && (top < 4 || l4);
  r.outcome = pass ? Outcome::PASS : Outcome::FAIL;
  r.reason = reason;
  return r;
}

}  // namespace slmconf
