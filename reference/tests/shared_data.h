// Test data shared between projects, kept outside this repository (../shared/data; see its README.md
// files). A test that needs such a file skips, with a message naming the path, on a developer's
// machine where the data is absent; under CI (the environment variable CI set, as CI services set
// it: CI=true) it fails instead, so that a run never reports success while a test did not run.
// SLM_SHARED_DATA_DIR in the environment overrides the directory compiled in (CMake's
// SLM_SHARED_DATA_DIR definition), for a checkout that keeps the data elsewhere.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace slmtest {

inline std::string shared_data_dir() {
  if (const char* dir = std::getenv("SLM_SHARED_DATA_DIR"); dir != nullptr && *dir != '\0') return dir;
  return SLM_SHARED_DATA_DIR;
}

// The path of a shared data file, e.g. shared_data_file("llama2c/tokenizer.bin").
inline std::string shared_data_file(const std::string& relative) { return shared_data_dir() + "/" + relative; }

// CI is set to anything but "", "0" or "false".
inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  if (ci == nullptr) return false;
  const std::string v = ci;
  return !(v.empty() || v == "0" || v == "false" || v == "False" || v == "FALSE");
}

inline bool shared_data_present(const std::string& path) { return std::ifstream(path, std::ios::binary).good(); }

}  // namespace slmtest

// Use at the top of a test body: when PATH cannot be read, the test fails under CI and skips
// elsewhere, naming the path either way.
#define SLM_REQUIRE_SHARED_DATA(path)                                                                           \
  do {                                                                                                          \
    const std::string slm_shared_path_ = (path);                                                                \
    if (!slmtest::shared_data_present(slm_shared_path_)) {                                                      \
      if (slmtest::running_in_ci()) {                                                                           \
        FAIL() << "shared test data " << slm_shared_path_                                                       \
               << " is missing, and CI is set: a CI run must have it (see ../shared/data; "                     \
                  "SLM_SHARED_DATA_DIR overrides the directory)";                                               \
      }                                                                                                         \
      GTEST_SKIP() << "shared test data " << slm_shared_path_                                                   \
                   << " is absent; skipped (set SLM_SHARED_DATA_DIR, see ../shared/data; under CI this fails)"; \
    }                                                                                                           \
  } while (0)
