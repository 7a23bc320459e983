// Raw wasm32 exports of the reference library (no JS glue). The ABI is still minimal: allocate,
// validate a buffer, read back the result; a forward-pass fingerprint; applying adapters.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "slm/adapter.h"
#include "slm/generate.h"
#include "slm/model_file.h"
#include "slm/transformer.h"
#include "slm/validate.h"
#include "slm/writer.h"
#include "slm/xxh64.h"

namespace {
slm::Status g_last;  // the result of the last call, read back through the accessors below
std::vector<std::uint32_t> g_tokens;  // the last generation: prompt tokens then generated tokens
std::vector<float> g_first_logits;    // and the logits of its first step
std::uint32_t g_prompt_count = 0;
}

#define SLM_EXPORT extern "C" __attribute__((used, visibility("default")))

SLM_EXPORT void* slm_alloc(std::uint32_t size) { return std::malloc(size == 0 ? 1 : size); }
SLM_EXPORT void slm_free(void* p) { std::free(p); }

// Returns the numeric error code (0 = accepted); flags bit 0 = also verify the content digest.
SLM_EXPORT std::uint32_t slm_validate(const std::uint8_t* data, std::uint32_t size, std::uint32_t flags) {
  auto result = slm::validate_model(std::span<const std::uint8_t>(data, size), {.verify_digest = (flags & 1u) != 0});
  g_last = result.status();
  return static_cast<std::uint32_t>(g_last.code);
}

// Name of the last code ("OK", "E_HDR_MAGIC", ...) as a NUL-terminated string in wasm memory.
SLM_EXPORT const char* slm_last_code_name() { return slm::error_info(g_last.code).name.data(); }
SLM_EXPORT const char* slm_last_rule() { return slm::error_info(g_last.code).rule.data(); }
// The byte offset of the last error, or -1 when it has none.
SLM_EXPORT double slm_last_offset() { return g_last.has_offset() ? static_cast<double>(g_last.offset) : -1.0; }

// XXH64 of the logits of `steps` forward steps feeding token (pos * 37 + 1) mod vocab at position
// pos: the same run as the native test Generate.BitIdenticalAcrossBuilds, so the two can be
// compared bit for bit. 0 when the model does not load.
SLM_EXPORT std::uint64_t slm_forward_fingerprint(const std::uint8_t* data, std::uint32_t size, std::uint32_t steps) {
  auto model = slm::load_model(std::vector<std::uint8_t>(data, data + size));
  if (!model.ok()) return 0;
  auto transformer = slm::Transformer::create(model.value(), 0);
  if (!transformer.ok()) return 0;
  const std::uint32_t vocab = model.value()->info().header.hparams.vocab_size;
  slm::Xxh64 h;
  for (std::uint32_t pos = 0; pos < steps && pos < transformer.value()->context(); ++pos) {
    const auto& logits = transformer.value()->forward((pos * 37 + 1) % vocab, pos);
    h.update({reinterpret_cast<const std::uint8_t*>(logits.data()), logits.size() * 4});
  }
  return h.digest();
}


// Applies `count` adapters (pointers and sizes in two u32 arrays) to a parent, all or nothing
// (spec/adapters.md): returns the error code (0 = applied) and, on success, writes the
// descendant's 32-byte content digest to digest_out, so wasm and native descendants can be compared.
SLM_EXPORT std::uint32_t slm_apply_adapters(const std::uint8_t* parent, std::uint32_t parent_size,
                                            const std::uint32_t* adapter_ptrs, const std::uint32_t* adapter_sizes,
                                            std::uint32_t count, std::uint8_t* digest_out) {
  const std::span<const std::uint8_t> parent_bytes(parent, parent_size);
  auto validated = slm::validate_model(parent_bytes, {.verify_digest = true});
  g_last = validated.status();
  if (!validated.ok()) return static_cast<std::uint32_t>(g_last.code);
  auto model = slm::read_model(parent_bytes);
  g_last = model.status();
  if (!model.ok()) return static_cast<std::uint32_t>(g_last.code);
  std::vector<std::span<const std::uint8_t>> stack;
  for (std::uint32_t k = 0; k < count; ++k) {
    stack.emplace_back(reinterpret_cast<const std::uint8_t*>(static_cast<std::uintptr_t>(adapter_ptrs[k])), adapter_sizes[k]);
  }
  auto applied = slm::apply_adapters(model.value(), stack);
  g_last = applied.status();
  if (!applied.ok()) return static_cast<std::uint32_t>(g_last.code);
  std::copy(applied->identity.content_digest.begin(), applied->identity.content_digest.end(), digest_out);
  return 0;
}

// Generates as spec/runtime.md section 5 says (BOS added, stop at EOS, context = max_seq_len).
// Returns the number of generated tokens, or -1 with the error in the accessors. The prompt tokens
// then the generated ones are at slm_last_tokens() (slm_last_prompt_count() of them first), the
// first step's logits at slm_first_logits() (vocab_size floats).
SLM_EXPORT std::int32_t slm_generate(const std::uint8_t* data, std::uint32_t size, const char* prompt,
                                     std::uint32_t prompt_size, std::uint32_t max_tokens, float temperature,
                                     std::uint32_t top_k, float top_p, std::uint32_t seed_low, std::uint32_t seed_high) {
  g_tokens.clear();
  g_first_logits.clear();
  auto model = slm::load_model(std::vector<std::uint8_t>(data, data + size));
  g_last = model.status();
  if (!model.ok()) return -1;
  slm::GenerateRequest request;
  request.prompt.assign(prompt, prompt_size);
  request.max_tokens = max_tokens;
  request.sampling = {temperature, top_k, top_p, (static_cast<std::uint64_t>(seed_high) << 32) | seed_low};
  request.record_logits = 1;
  auto run = slm::generate(model.value(), request);
  g_last = run.status();
  if (!run.ok()) return -1;
  g_tokens = run->prompt_tokens;
  g_tokens.insert(g_tokens.end(), run->tokens.begin(), run->tokens.end());
  g_prompt_count = static_cast<std::uint32_t>(run->prompt_tokens.size());
  if (!run->logits.empty()) g_first_logits = run->logits.front();
  return static_cast<std::int32_t>(run->tokens.size());
}
SLM_EXPORT const std::uint32_t* slm_last_tokens() { return g_tokens.data(); }
SLM_EXPORT std::uint32_t slm_last_prompt_count() { return g_prompt_count; }
SLM_EXPORT const float* slm_first_logits() { return g_first_logits.data(); }
SLM_EXPORT std::uint32_t slm_first_logits_count() { return static_cast<std::uint32_t>(g_first_logits.size()); }
