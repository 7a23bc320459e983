// Shared fixtures for the reference tests.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "slm/writer.h"
#include "slmgen/model_gen.h"

namespace slmtest {

// The smallest valid package the tests mutate exhaustively: 1 layer, dim 32, byte tokenizer, q4_0
// matrices (so every dtype path but f32 matrices is present; norms are f32).
inline std::vector<std::uint8_t> smallest_valid_model() {
  slmgen::ModelOptions o = *slmgen::preset("tiny");
  o.hparams.hidden_dim = 32;
  o.embedding_dtype = o.attention_dtype = o.ffn_dtype = slm::DType::Q4_0;
  return slm::write_model(slmgen::generate_model(o));
}

// A scratch directory removed at the end of the test.
class TempDir {
public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("slm-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path path_;
};

}  // namespace slmtest
