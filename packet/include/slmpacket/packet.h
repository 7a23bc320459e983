// Release packets (spec/packet.md): build one from a parent, adapters and eval sets; sign it as its
// builder or review it; verify every claim against the files it names; show it to people.
// Packets cross this header as text: nlohmann/json stays in packet.cpp.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "slm/errors.h"
#include "slmpacket/crypto.h"

namespace slmpacket {

struct BuildInputs {
  std::string parent;
  std::vector<std::string> adapters;  // the stack, in order
  std::vector<std::string> sets;      // eval sets, in order
  std::optional<std::string> policy;  // one policy for every set (the default without)
  std::vector<std::string> sidecars;  // the descendant's sidecars, one per set; empty: run the eval
  std::vector<std::string> baselines; // the sidecars those name as baselines, any order
  std::string packet_dir;             // the packet's folder: every path is recorded relative to it
  std::string descendant_name = "descendant.slm";
};

// The packet file (section 4): the release statement, signed by `builder`, no reviews.
[[nodiscard]] slm::Result<std::string> build_packet(const BuildInputs& in, const Key& builder);

// A new packet file text with one more builder signature, or one more review (section 6).
[[nodiscard]] slm::Result<std::string> add_signature(std::string_view packet, const Key& key);
[[nodiscard]] slm::Result<std::string> add_review(std::string_view packet, const Key& reviewer, bool approve,
                                                  const std::string& note);

struct VerifyOptions {
  bool rerun = false;             // check 10
  bool require_approval = false;  // check 3's stricter form
};

struct Check {
  std::string name;
  slm::ErrorCode code = slm::ErrorCode::OK;  // the code this check fails with
  bool passed = true;
  std::string detail;
};

struct VerifyReport {
  std::vector<Check> checks;  // in section 7's order
  std::string packet_digest;
  std::string signatures_json = "[]", reviews_json = "[]";
  bool verified() const;
  slm::ErrorCode code() const;  // the first failing check's, OK when verified
  std::string json() const;
  std::string text() const;  // one line per check, for people
};

VerifyReport verify_packet(std::string_view packet, const std::string& packet_dir, const std::vector<Key>& trusted,
                           const VerifyOptions& options = {});

// slm packet show: Markdown, and a self-contained HTML page with the lineage as an SVG graph.
[[nodiscard]] slm::Result<std::string> show_markdown(std::string_view packet);
[[nodiscard]] slm::Result<std::string> show_html(std::string_view packet);

// The demo key of the site kit: derived from a public string, so anyone can sign with it. Named so.
slm::Result<Key> demo_key(std::string_view role);

}  // namespace slmpacket
