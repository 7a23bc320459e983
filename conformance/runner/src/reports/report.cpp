// Writes the four reports through one slm::OutputSet: staged beside their targets and renamed into
// place together, so a reader (or a web server publishing the folder) never sees half a report, a
// failure leaves the folder as it was, and no report is written over a declared input.
#include <filesystem>
#include <system_error>

#include "slm/output_set.h"
#include "slmconf/results.h"

namespace slmconf {

slm::Status write_reports(const Run& run, const std::string& dir, const std::vector<std::string>& inputs) {
  const std::filesystem::path folder(dir);
  slm::OutputSet out;
  for (const auto& input : inputs) out.input(input);
  const std::pair<const char*, std::string> reports[] = {
      {"results.jsonl", results_jsonl(run)},
      {"summary.md", summary_markdown(run)},
      {"index.html", index_html(run)},
      {"junit.xml", junit_xml(run)},
  };
  std::vector<slm::OutputSet::Id> ids;
  for (const auto& report : reports) ids.push_back(out.output((folder / report.first).string()));
  std::error_code error;
  const bool created = !std::filesystem::exists(folder, error) && std::filesystem::create_directories(folder, error);
  if (error) return slm::make_error(slm::ErrorCode::E_IO_WRITE, slm::kNoOffset, dir + ": " + error.message());
  if (!std::filesystem::is_directory(folder, error)) {
    return slm::make_error(slm::ErrorCode::E_IO_WRITE, slm::kNoOffset, dir + ": exists and is not a folder");
  }
  slm::Status status = out.prepare();
  for (std::size_t i = 0; i < ids.size() && status.ok(); ++i) status = out.write(ids[i], reports[i].second);
  if (status.ok()) status = out.commit();
  if (!status.ok() && created) std::filesystem::remove(folder, error);  // only if empty: the folder it made
  return status;
}

}  // namespace slmconf
