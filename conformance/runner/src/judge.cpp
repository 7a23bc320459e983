// Comparing an answer with a case's expectation, level by level (spec/protocol.md, "Levels").
#include <algorithm>

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
    } else if (c.expect.offset) {
      l3 = a.offset == c.expect.offset;
      if (!l3) reason = a.offset ? "wrong offset" : "no offset reported";
    }
  }
  r.levels[Level::L1] = l1;
  if (top >= 2) r.levels[Level::L2] = l2;
  if (top >= 3) r.levels[Level::L3] = l3;
  const bool pass = l1 && (top < 2 || l2) && (top < 3 || l3);
  r.outcome = pass ? Outcome::PASS : Outcome::FAIL;
  r.reason = reason;
  return r;
}

}  // namespace slmconf
