// The reference as a runtime: in-process (`ref`) and as a protocol speaker (`slm protocol`).
#include "slmconf/reference_runtime.h"

#include <atomic>
#include <iostream>
#include <string>

#include "ops/op.h"

namespace slmconf {

using wire::json;
using wire::ordered;

namespace {
std::atomic<std::uint32_t> g_reference_threads{0};
}  // namespace

void set_reference_threads(std::uint32_t threads) { g_reference_threads.store(threads, std::memory_order_relaxed); }
std::uint32_t reference_threads() { return g_reference_threads.load(std::memory_order_relaxed); }

Hello reference_hello() {
  std::vector<std::string> capabilities;
  [&]<class... Op>(ops::List<Op...>) { (capabilities.emplace_back(Op::name), ...); }(ops::All{});
  return {kProtocolName, "slm-reference", "0.1.0", "1", capabilities};
}

Answer reference_answer(const Request& request) {
  return std::visit([&](const auto& p) { return Behaviour<OpOf<decltype(p)>>::reference(request.path, p); }, request.params);
}

int run_protocol_speaker(std::istream& in, std::ostream& out, std::uint32_t threads) {
  set_reference_threads(threads);
  out << hello_line(reference_hello()) << std::endl;
  for (std::string line; std::getline(in, line);) {
    std::optional<std::uint64_t> seq;
    const auto parsed = parse_request(line, &seq);
    if (parsed.ok() && parsed->bye) return 0;
    // Every line gets an answer, so no client waits forever: a refused line is errored with its
    // seq when it has one, else with "seq": null (spec/protocol.md, SLM-HAR-002).
    Answer answer;
    if (!parsed.ok()) {
      answer.kind = Answer::Kind::ERRORED;
      answer.message = std::string(slm::error_info(parsed.status().code).name) + ": malformed request: " + parsed.status().message;
    } else {
      seq = parsed->request.seq;
      answer = reference_answer(parsed->request);
    }
    std::string text = seq ? answer_line(*seq, answer) : answer_line_without_seq(answer);
    if (text.size() > kMaxLineBytes) {  // e.g. the logits of many steps of a large vocabulary
      Answer too_long;
      too_long.kind = Answer::Kind::ERRORED;
      too_long.message = "the answer would be " + std::to_string(text.size()) + " bytes, over the 1 MiB line limit";
      text = answer_line(*seq, too_long);
    }
    out << text << std::endl;
  }
  return 0;
}

}  // namespace slmconf
