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

// L3 for an accepted file: identity fields, and tensor digests when the runtime reports them.
bool identity_matches(const Expectation& e, const Answer& a, std::string& reason) {
  if (!e.identity) return true;
  if (!a.identity) {
    reason = "no identity reported";
    return false;
  }
  if (!(*a.identity == *e.identity)) {
    reason = "identity differs (e.g. layout_checksum " + a.identity->layout_checksum + ", expected " +
             e.identity->layout_checksum + ")";
    return false;
  }
  if (a.tensors.empty()) return true;
  if (a.tensors.size() != e.tensors.size()) {
    reason = "reported " + std::to_string(a.tensors.size()) + " tensors, expected " + std::to_string(e.tensors.size());
    return false;
  }
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    if (a.tensors[i].name != e.tensors[i].name || a.tensors[i].sha256 != e.tensors[i].sha256) {
      reason = "tensor " + e.tensors[i].name + " differs";
      return false;
    }
  }
  return true;
}

std::string tokens_text(const std::vector<std::uint32_t>& t) {
  std::string s;
  for (std::size_t i = 0; i < t.size() && i < 12; ++i) s += (i ? " " : "") + std::to_string(t[i]);
  return s + (t.size() > 12 ? " ..." : "");
}

std::string first_difference(const char* what, const std::vector<std::uint32_t>& want, const std::vector<std::uint32_t>& got) {
  std::size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  return std::string(what) + " differ at index " + std::to_string(i) + ": got [" + tokens_text(got) + "], expected [" +
         tokens_text(want) + "]";
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
    reason = "text differs: got \"" + a.text.value_or("(none)").substr(0, 60) + "\"";
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
    if (!l2) reason = a.code.empty() ? "no error code reported" : "wrong error code";
  }
  if (top >= 3) {
    if (!l2) {
      l3 = false;
    } else if (c.expect.accept) {
      l3 = identity_matches(c.expect, a, reason);
      if (l3 && c.expect.lineage && a.lineage != c.expect.lineage) {
        l3 = false;
        reason = a.lineage ? "lineage differs" : "no lineage reported";
      }
    } else if (c.expect.offset) {
      l3 = a.offset == c.expect.offset;
      if (!l3) reason = a.offset ? "wrong offset" : "no offset reported";
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
