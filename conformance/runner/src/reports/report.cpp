// Writes the four reports. Each goes through a temporary file and a rename, so a reader (or a
// web server publishing the folder) never sees half a report.
#include <filesystem>
#include <system_error>

#include "slm/output_set.h"
#include "slmconf/results.h"

namespace slmconf {

slm::Status write_reports(const Run& run, const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return slm::make_error(slm::ErrorCode::E_IO_WRITE, slm::kNoOffset, dir + ": " + error.message());
  const std::filesystem::path folder(dir);
  const std::pair<const char*, std::string> reports[] = {
      {"results.jsonl", results_jsonl(run)},
      {"summary.md", summary_markdown(run)},
      {"index.html", index_html(run)},
      {"junit.xml", junit_xml(run)},
  };
  for (const auto& [name, text] : reports) {
    if (auto status = slm::write_text_atomically((folder / name).string(), text); !status.ok()) return status;
  }
  return slm::Status::success();
}

}  // namespace slmconf
