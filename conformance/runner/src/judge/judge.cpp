// Comparing an answer with a case's expectation, level by level (spec/protocol.md, "Levels"): the
// verdict, code, offset and failing step here; what an acceptance must show, by its operation.
#include <algorithm>

#include "ops/op.h"
#include "slmconf/runner.h"

namespace slmconf {

using wire::json;
using wire::ordered;

namespace {

std::string describe(bool accepted, const std::string& code, const std::optional<std::uint64_t>& offset) {
  if (accepted) return "accept";
  std::string s = "reject " + (code.empty() ? std::string("(no code)") : code);
  if (offset) s += " @" + std::to_string(*offset);
  return s;
}

std::string codes_text(const Expectation& e) {
  std::string codes;
  for (const auto& c : e.codes) codes += (codes.empty() ? "" : " or ") + c;
  return codes;
}

}  // namespace

CaseResult judge(const Case& c, const Attempt& attempt) {
  CaseResult r;
  r.test = &c;
  r.stderr_text = attempt.stderr_text;
  if (c.expect.accept) {
    r.expected = std::visit([](const auto& e) { return Behaviour<OpOf<decltype(e)>>::describe(e); }, c.expect.on_accept);
  } else {
    std::string codes;
    for (const auto& code : c.expect.codes) codes += (codes.empty() ? "" : "|") + code;
    r.expected = describe(false, codes, c.expect.offset);
  }
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
  r.got = a.accepted ? std::visit([](const auto& o) { return Behaviour<OpOf<decltype(o)>>::describe(o); }, a.output)
                     : describe(false, a.code, a.offset);
  const bool l1 = a.accepted == c.expect.accept;
  bool l2 = l1, l3 = true, l4 = true, l5 = true;
  std::string reason = l1 ? "" : (a.accepted ? "accepted an invalid input" : "rejected a valid input");
  if (l1 && !c.expect.accept) {
    l2 = std::find(c.expect.codes.begin(), c.expect.codes.end(), a.code) != c.expect.codes.end();
    if (!l2) reason = a.code.empty() ? "no error code reported, expected " + codes_text(c.expect) : "error code " + a.code + ", expected " + codes_text(c.expect);
  }
  if (top >= 3) {
    if (!l2) {
      l3 = false;
    } else if (c.expect.accept) {
      // The operation judges what an acceptance shows (L3 and L4); the output is the request's op.
      const Judgement j = std::visit(
          [&](const auto& e) -> Judgement {
            using OutputT = typename OpOf<decltype(e)>::Output;
            const auto* o = std::get_if<OutputT>(&a.output);
            if (!o) return {Mismatch{"the answer carries another operation's outputs"}, std::nullopt, std::nullopt};
            return Behaviour<OpOf<decltype(e)>>::judge(e, *o, c.level);
          },
          c.expect.on_accept);
      // The first mismatch, in level order, is the reason shown.
      l3 = !j.l3;
      l4 = !j.l4;
      l5 = !j.l5;
      reason = j.l3 ? j.l3->reason : j.l4 ? j.l4->reason : j.l5 ? j.l5->reason : "";
    } else {
      if (c.expect.offset && a.offset != c.expect.offset) {
        l3 = false;
        reason = a.offset ? "offset " + std::to_string(*a.offset) + ", expected " + std::to_string(*c.expect.offset)
                          : "no offset reported, expected " + std::to_string(*c.expect.offset);
      }
      // A code the spec gives no offset answers with offset null (protocol.md section 3).
      if (c.expect.no_offset && a.offset) {
        l3 = false;
        reason = "offset " + std::to_string(*a.offset) + " reported, expected null (" + a.code + " has no offset)";
      }
      // A stack's failing step is part of the answer where the case records it (protocol.md 1.2).
      if (l3 && c.expect.step && a.step != c.expect.step) {
        l3 = false;
        reason = a.step ? "step " + std::to_string(*a.step) + ", expected " + std::to_string(*c.expect.step)
                        : "no step reported, expected " + std::to_string(*c.expect.step);
      }
    }
  }
  if (top >= 4) l4 = l4 && l2 && l3;
  if (top >= 5) l5 = l5 && l2 && l3 && l4;
  r.levels[Level::L1] = l1;
  if (top >= 2) r.levels[Level::L2] = l2;
  if (top >= 3) r.levels[Level::L3] = l3;
  if (top >= 4) r.levels[Level::L4] = l4;
  if (top >= 5) r.levels[Level::L5] = l5;
  const bool pass = l1 && (top < 2 || l2) && (top < 3 || l3) && (top < 4 || l4) && (top < 5 || l5);
  r.outcome = pass ? Outcome::PASS : Outcome::FAIL;
  r.reason = reason;
  return r;
}

}  // namespace slmconf
