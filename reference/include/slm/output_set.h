// The one output-safety layer (spec/tools.md): every tool that writes files declares its inputs and
// outputs first; the set refuses, before any work, an output that is an input, two outputs that are
// one file, an output into a missing directory and an output that exists but is not a regular file.
// Outputs are then staged as unnamed temporary files in their target directories and renamed into
// place together by commit(), only when every one is complete and flushed. Until then no target
// changes; a failure, an early return or a kill leaves every file as it was.
//
//   OutputSet out;
//   out.input(model_path);
//   const auto id = out.output(output_path);
//   if (auto s = out.prepare(); !s.ok()) return refuse(s);   // SLM-TOOL-001..005, nothing written
//   ... work, then out.sink(id).append(bytes) ...            // staged, invisible
//   if (auto s = out.commit(); !s.ok()) return fail(s);      // all outputs appear, or none
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "slm/byte_sink.h"
#include "slm/errors.h"

namespace slm {

struct OutputOptions {
  bool private_file = false;  // mode 0600 (private keys); otherwise 0666 minus the umask
  bool must_be_new = false;   // refuse (E_OUT_EXISTS) when the target exists already
};

class OutputSet {
public:
  using Id = std::size_t;

  OutputSet();
  ~OutputSet();  // discards whatever was staged and not committed
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  // Declarations: call before prepare(). Inputs that do not exist are ignored here (reading them
  // reports E_IO_READ); an empty path is not declared.
  void input(const std::string& path);
  Id output(const std::string& path, OutputOptions options = {});

  // The checks of spec/tools.md section 2, in order, for each output in declaration order, then
  // opens one staging file per output. Nothing visible is created.
  [[nodiscard]] Status prepare();

  // Where output `id` is streamed (after a successful prepare()). A failed append is remembered:
  // commit() then refuses.
  [[nodiscard]] ByteSink& sink(Id id);
  // Convenience: the whole content of output `id` at once.
  [[nodiscard]] Status write(Id id, std::span<const std::uint8_t> bytes);
  [[nodiscard]] Status write(Id id, const std::string& text);

  // Flushes every staged output, then renames all of them over their targets. If any step fails,
  // targets already replaced get their previous content back and new ones are removed.
  [[nodiscard]] Status commit();

  const std::string& path(Id id) const;

private:
  struct Staged;
  std::vector<std::string> inputs_;
  std::vector<std::unique_ptr<Staged>> outputs_;
  bool prepared_ = false, committed_ = false;
};

// One output, no declared inputs: the common case of generators and reports.
[[nodiscard]] Status write_file_atomically(const std::string& path, std::span<const std::uint8_t> bytes);
[[nodiscard]] Status write_text_atomically(const std::string& path, const std::string& text);

}  // namespace slm
