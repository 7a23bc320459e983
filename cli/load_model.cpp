// slm generate and slm eval: the model to run, or the descendant its adapters make
// (slm::load_descendant, the one library path), with the file at fault named on failure.
#include "commands.h"

#include "report.h"
#include "slm/descendant.h"

namespace slmcli {

slm::Result<LoadedStack> load_with_adapters(const std::string& model, const std::vector<std::string>& adapter_paths,
                                            std::string& failed_file) {
  std::size_t failed = slm::kNoAdapter;
  auto loaded = slm::load_descendant(model, adapter_paths, &failed);
  failed_file = failed < adapter_paths.size() ? adapter_label(adapter_paths[failed], failed, adapter_paths.size()) : model;
  if (!loaded.ok()) return loaded.status();
  return LoadedStack{loaded->model, loaded->lineage};
}

}  // namespace slmcli
