// Proven bounds: no declared size makes the validator allocate. Global operator new is replaced in
// this test binary to measure the peak number of live heap bytes during one call.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>

#include "slm/adapter.h"
#include "slm/descendant.h"
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
    // Only the allocation is measured here; the verdicts are checked by test_negatives.cpp.
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
    // Only the allocation is measured here; the verdicts are checked by test_adapter_decode.cpp.
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
  auto options = slmgen::resolve_recipe(recipe);
  ASSERT_TRUE(options.ok()) << options.status().message;
  const auto bytes = slm::write_model(slmgen::generate_model(options.value()));
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

TEST(MemoryBounds, ApplyingAStackDoesNotGrowWithTensorData) {
  // A dense adapter on every tensor of a ~5 MB f32 model: apply_stack holds no copy of the parent,
  // of the adapter's payload (read in place), of an intermediate model or of a whole tensor. Bound
  // on the heap it allocates beyond the caller's parent and adapter bytes: 512 KiB, for the entry
  // headers, the directory copies, the two 64 KiB chunk buffers and the outcome.
  slmgen::ModelOptions options = *slmgen::preset("small");
  options.hparams.dim = 256;
  options.hparams.hidden_dim = 512;
  options.hparams.n_layers = 2;
  const std::vector<std::uint8_t> parent = slm::write_model(slmgen::generate_model(options));
  const auto info = slm::validate_model(parent, {.verify_digest = true});
  ASSERT_TRUE(info.ok());
  slmgen::AdapterOptions o;
  o.kind = slm::AdapterKind::DENSE;
  o.entries = 100000;  // every tensor
  const std::vector<std::uint8_t> adapter = slm::write_adapter(slmgen::generate_adapter(info.value(), o));
  std::size_t decoded = 0;
  {
    const auto a = slm::decode_adapter(adapter);
    ASSERT_TRUE(a.ok());
    ASSERT_EQ(a->entries.size(), info->tensors.size());
    for (const auto& e : a->entries) decoded += e.values.size() * sizeof(float);
  }
  ASSERT_GT(parent.size(), 4000000u);
  const std::vector<std::span<const std::uint8_t>> stack = {adapter};

  class CountingSink final : public slm::ByteSink {
  public:
    slm::Status append(std::span<const std::uint8_t> bytes) override { return n_ += bytes.size(), slm::Status::success(); }
    slm::Status patch(std::uint64_t offset, std::span<const std::uint8_t> bytes) override {
      return offset >= 24 && offset + bytes.size() <= 64 ? slm::Status::success() : slm::make_error(slm::ErrorCode::E_IO_WRITE, offset);
    }
    std::uint64_t size() const override { return n_; }

  private:
    std::uint64_t n_ = 0;
  };
  std::uint64_t file_length = 0;
  const std::size_t peak_null = peak_allocation([&] {
    auto r = slm::apply_stack(parent, info.value(), stack, nullptr);
    file_length = r.ok() ? r->file_length : 0;
  });
  CountingSink sink;
  bool written = false;
  const std::size_t peak_sink = peak_allocation([&] { written = slm::apply_stack(parent, info.value(), stack, &sink).ok(); });
  ASSERT_TRUE(written);
  EXPECT_EQ(sink.size(), file_length);
  const std::size_t held = parent.size() + adapter.size();
  for (const std::size_t peak : {peak_null, peak_sink}) {
    EXPECT_LE(peak, 512u << 10) << "apply_stack allocated " << peak << " bytes; the decoded entries would be " << decoded;
    EXPECT_LE(2 * (held + peak), 3 * held) << "within 1.5 x (parent + adapter) with the caller's buffers";
  }
  std::printf("[ apply_stack ] parent %zu B, adapter %zu B, decoded entries %zu B; peak extra heap: null sink %zu B, "
              "counting sink %zu B\n", parent.size(), adapter.size(), decoded, peak_null, peak_sink);
}

}  // namespace
