// slm key gen, slm packet build | sign | verify | show (spec/packet.md).
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "report.h"
#include "slm/output_set.h"
#include "slmeval/eval.h"
#include "slmpacket/packet.h"

namespace slmcli {

namespace {

constexpr std::uint64_t kMaxKeyBytes = 1u << 16, kMaxPacketBytes = 256ull << 20;

slm::Result<slmpacket::Key> read_key(const std::string& path, bool want_private) {
  auto text = slmeval::read_bounded(path, kMaxKeyBytes, slm::ErrorCode::E_PKT_KEY);
  if (!text.ok()) return text.status();
  return want_private ? slmpacket::Key::from_private_pem(text.value()) : slmpacket::Key::from_public_pem(text.value());
}

slm::Result<std::string> read_packet(const std::string& path) {
  return slmeval::read_bounded(path, kMaxPacketBytes, slm::ErrorCode::E_PKT_FORMAT);
}

std::string folder_of(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

int run_key_gen(const KeyGenArgs& args) {
  if (args.output.empty()) return refuse("key gen", slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, "-o is empty"));
  auto key = slmpacket::Key::generate();
  if (!key.ok()) return refuse("key gen", key.status());
  // Both files new; the private one 0600 (spec/packet.md 2).
  slm::OutputSet out;
  const auto priv = out.output(args.output, {.private_file = true, .must_be_new = true});
  const auto pub = out.output(args.output + ".pub", {.must_be_new = true});
  if (auto s = out.prepare(); !s.ok()) return refuse("key gen", s);
  if (auto s = out.write(priv, key->private_pem()); !s.ok()) return refuse("key gen", s);
  if (auto s = out.write(pub, key->public_pem()); !s.ok()) return refuse("key gen", s);
  if (auto s = out.commit(); !s.ok()) return refuse("key gen", s);
  std::cout << "key id " << key->key_id() << "\n" << args.output << " (private, 0600)\n" << args.output << ".pub\n";
  return kExitOk;
}

int run_packet_build(const PacketArgs& args) {
  std::vector<std::string> inputs = {args.parent, args.key};
  for (const auto* list : {&args.adapters, &args.sets, &args.sidecars, &args.baselines}) inputs.insert(inputs.end(), list->begin(), list->end());
  if (!args.policy.empty()) inputs.push_back(args.policy);
  slm::OutputSet out;
  for (const auto& p : inputs) out.input(p);
  const auto id = out.output(args.output);
  if (auto s = out.prepare(); !s.ok()) return refuse("packet build", s);
  auto key = read_key(args.key, true);
  if (!key.ok()) return report_failure("packet build", args.key, key.status());
  slmpacket::BuildInputs in;
  in.parent = args.parent;
  in.adapters = args.adapters;
  in.sets = args.sets;
  if (!args.policy.empty()) in.policy = args.policy;
  in.sidecars = args.sidecars;
  in.baselines = args.baselines;
  in.packet_dir = folder_of(args.output);
  auto packet = slmpacket::build_packet(in, key.value());
  if (!packet.ok()) return refuse("packet build", packet.status());
  if (auto s = out.write(id, packet.value()); !s.ok()) return refuse("packet build", s);
  if (auto s = out.commit(); !s.ok()) return refuse("packet build", s);
  std::cout << args.output << "\n";
  return kExitOk;
}

int run_packet_sign(const PacketArgs& args) {
  if (args.approve && args.reject) return refuse("packet sign", slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, "--approve or --reject, not both"));
  if (!args.note.empty() && !args.approve && !args.reject) {
    return refuse("packet sign", slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, "--note goes with --approve or --reject"));
  }
  slm::OutputSet out;  // declared and checked before anything is read (tools.md 2)
  out.input(args.packet);
  out.input(args.key);
  const auto id = out.output(args.output);
  if (auto s = out.prepare(); !s.ok()) return refuse("packet sign", s);
  auto key = read_key(args.key, true);
  if (!key.ok()) return report_failure("packet sign", args.key, key.status());
  auto text = read_packet(args.packet);
  if (!text.ok()) return report_failure("packet sign", args.packet, text.status());
  auto signed_packet = args.approve || args.reject ? slmpacket::add_review(text.value(), key.value(), args.approve, args.note)
                                                   : slmpacket::add_signature(text.value(), key.value());
  if (!signed_packet.ok()) return report_failure("packet sign", args.packet, signed_packet.status());
  if (auto s = out.write(id, signed_packet.value()); !s.ok()) return refuse("packet sign", s);
  if (auto s = out.commit(); !s.ok()) return refuse("packet sign", s);
  std::cout << args.output << "\n";
  return kExitOk;
}

int run_packet_verify(const PacketArgs& args) {
  std::vector<slmpacket::Key> trusted;
  for (const auto& p : args.pubkeys) {
    auto key = read_key(p, false);
    if (!key.ok()) return report_failure("packet verify", p, key.status());
    trusted.push_back(std::move(key.value()));
  }
  auto text = read_packet(args.packet);
  if (!text.ok()) return report_failure("packet verify", args.packet, text.status());
  const auto report = slmpacket::verify_packet(text.value(), folder_of(args.packet), trusted,
                                               {.rerun = args.rerun, .require_approval = args.require_approval});
  if (args.json) {
    std::cout << report.json();
  } else {
    std::cout << args.packet << ": " << (report.verified() ? "verified" : "FAILED " + std::string(slm::error_info(report.code()).name))
              << "\n  packet digest " << report.packet_digest << "\n" << report.text();
  }
  return report.verified() ? kExitOk : kExitRejected;
}

int run_packet_show(const PacketArgs& args) {
  std::filesystem::path html(args.output);
  html.replace_extension(".html");
  if (html.string() == args.output) html += ".html";
  slm::OutputSet out;
  out.input(args.packet);
  const auto md_id = out.output(args.output);
  const auto html_id = out.output(html.string());
  if (auto s = out.prepare(); !s.ok()) return refuse("packet show", s);
  auto text = read_packet(args.packet);
  if (!text.ok()) return report_failure("packet show", args.packet, text.status());
  auto md = slmpacket::show_markdown(text.value());
  if (!md.ok()) return report_failure("packet show", args.packet, md.status());
  auto page = slmpacket::show_html(text.value());
  if (!page.ok()) return report_failure("packet show", args.packet, page.status());
  if (auto s = out.write(md_id, md.value()); !s.ok()) return refuse("packet show", s);
  if (auto s = out.write(html_id, page.value()); !s.ok()) return refuse("packet show", s);
  if (auto s = out.commit(); !s.ok()) return refuse("packet show", s);
  std::cout << args.output << "\n" << html.string() << "\n";
  return kExitOk;
}

}  // namespace slmcli
