// Proven bounds: no declared size makes the validator allocate. Global operator new is replaced in
// this test binary to measure the peak number of live heap bytes during one call.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>

#include "slm/adapter.h"
#include "slm/validate.h"
#include "slm/writer.h"
#include "slmgen/adapter_gen.h"
#include "slmgen/negatives.h"
#include "slmgen/recipe.h"
#include "test_helpers.h"

namespace {

std::atomic<std::size_t> g_live{0}, g_peak{0};
constexpr std::size_t kHeader = 16;  // keeps the user pointer 16-byte aligned

void* counted_alloc(std::size_t n) {
  auto* p = static_cast<unsigned char*>(std::malloc(n + kHeader));
  if (!p) throw std::bad_alloc();
  *reinterpret_cast<std::size_t*>(p) = n;
  const std::size_t live = g_live.fetch_add(n) + n;
  for (std::size_t peak = g_peak.load(); live > peak && !g_peak.compare_exchange_weak(peak, live);) {
  }
  return p + kHeader;
}

void counted_free(void* user) {
  if (!user) return;
  auto* p = static_cast<unsigned char*>(user) - kHeader;
  g_live.fetch_sub(*reinterpret_cast<std::size_t*>(p));
  std::free(p);
}

// Peak live heap bytes allocated while fn runs, above what was live before.
template <class F>
std::size_t peak_allocation(F&& fn) {
  const std::size_t before = g_live.load();
  g_peak.store(before);
  fn();
  return g_peak.load() - before;
}

}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }

namespace {

TEST(MemoryBounds, SizeBombsAllocateNoMoreThanTheirInput) {
  // Every negative declares something it does not hold (2^32 tensors, 2^62-byte tensors, 2^20
  // pieces, a 16 MiB tokenizer...). The validator's memory is bounded by the input it was given.
  std::size_t checked = 0;
  for (const auto& c : slmgen::make_negatives()) {
    std::size_t peak = peak_allocation([&] { (void)slm::validate_model(c.bytes, {.verify_digest = true}); });
    EXPECT_LE(peak, 3 * c.bytes.size() + 64 * 1024) << c.id << " allocated " << peak << " bytes";
    ++checked;
  }
  EXPECT_GT(checked, 60u);
}

TEST(MemoryBounds, AdapterSizeBombsAllocateNoMoreThanTheirInput) {
  // Adapter negatives declare 2^32 entries, 2^62 elements, 8288 sparse pairs in 24 bytes, a rank of
  // 2^32 - 1...: the walk (spec/adapters.md A12-A19) rejects them before anything is sized by them.
  std::size_t checked = 0;
  for (const auto& c : slmgen::make_adapter_negatives()) {
    const std::size_t peak = peak_allocation([&] { (void)slm::decode_adapter(c.bytes); });
    EXPECT_LE(peak, 2 * c.bytes.size() + 16 * 1024) << c.id << " allocated " << peak << " bytes";
    ++checked;
  }
  EXPECT_GT(checked, 40u);
}

TEST(MemoryBounds, StreamingValidationDoesNotGrowWithTensorData) {
  slmgen::ModelRecipe recipe;
  recipe.preset = "small";
  recipe.layers = 40;  // ~8 MB of f32 weights
  slmgen::ModelOptions options;
  std::string error;
  ASSERT_TRUE(slmgen::resolve_recipe(recipe, options, error)) << error;
  const auto bytes = slm::write_model(slmgen::generate_model(options));
  ASSERT_GT(bytes.size(), 8000000u);
  slmtest::TempDir dir;
  const auto path = dir.file("big.slm");
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  auto source = slm::FileSource::open(path);
  ASSERT_TRUE(source.ok());
  bool ok = false;
  const std::size_t peak = peak_allocation([&] { ok = slm::validate_model(*source.value(), {.verify_digest = true}).ok(); });
  EXPECT_TRUE(ok);
  // header + tokenizer (~4 KB) + directory (363 entries) + decoded entries + one 256 KiB chunk
  EXPECT_LT(peak, 1u << 20) << "validation allocated " << peak << " bytes for a " << bytes.size() << "-byte file";
}

}  // namespace
