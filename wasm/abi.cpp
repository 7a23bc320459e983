// The raw WASM ABI of spec/wasm-abi.md over the reference library: memory blocks, runtime handles,
// a model loaded once, adapters applied and rolled back, sampling, whole and streaming generation,
// results, diagnostics, eval sidecars and the last error. Every export checks its arguments and the
// call order and answers with a code of errors.def; the checks are in the order the spec lists.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "slm/adapter.h"
#include "slm/descendant.h"
#include "slm/generate.h"
#include "slm/model_file.h"
#include "slm/sha256.h"
#include "slm/tokenizer.h"
#include "slm/validate.h"
#include "slmconf/identity_json.h"
#include "slmeval/eval.h"

#define SLM_EXPORT extern "C" __attribute__((used, visibility("default")))

namespace {

using slm::ErrorCode;
using Bytes = std::span<const std::uint8_t>;
constexpr std::uint32_t kAbiVersion = 1;
constexpr std::uint32_t kMaxAllocation = 0x80000000u;  // 2 GiB: one block, wasm32 (SLM-ABI-004)
constexpr std::uint32_t kMaxStack = 64;                 // adapters per slm_adapter_apply

// The last error (wasm-abi.md section 6). Every export that returns a code sets it.
struct LastError {
  slm::Status status;
  std::int32_t index = -1;  // the failing adapter of slm_adapter_apply, -1: none or the parent
} g_error;

std::uint32_t fail(ErrorCode code, std::string message, std::uint64_t offset = slm::kNoOffset, std::int32_t index = -1) {
  g_error = {slm::make_error(code, offset, std::move(message)), index};
  return static_cast<std::uint32_t>(code);
}
std::uint32_t fail(const slm::Status& status, std::int32_t index = -1) {
  g_error = {status, index};
  return static_cast<std::uint32_t>(status.code);
}
std::uint32_t ok() {
  g_error = {};
  return 0;
}

// Live blocks from slm_alloc: start -> size. Every (ptr, len) argument must lie in one of them
// (SLM-ABI-001), so no call can read or write the runtime's own memory through a stray pointer.
std::map<std::uint32_t, std::uint32_t> g_blocks;

std::uint32_t address(const void* p) { return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(p)); }
const std::uint8_t* pointer(std::uint32_t a) { return reinterpret_cast<const std::uint8_t*>(static_cast<std::uintptr_t>(a)); }

bool in_a_block(std::uint32_t ptr, std::uint32_t len) {
  if (len == 0) return true;  // the empty string, wherever ptr points
  auto it = g_blocks.upper_bound(ptr);
  if (it == g_blocks.begin()) return false;
  --it;
  return static_cast<std::uint64_t>(ptr) + len <= static_cast<std::uint64_t>(it->first) + it->second;
}

// Checks a (ptr, len) argument; `what` names it in the message.
std::optional<std::uint32_t> bad_span(std::uint32_t ptr, std::uint32_t len, const char* what) {
  if (in_a_block(ptr, len)) return std::nullopt;
  return fail(ErrorCode::E_ABI_POINTER, std::string(what) + ": [" + std::to_string(ptr) + ", +" + std::to_string(len) +
                                            ") does not lie inside one block from slm_alloc");
}

enum class Mode { NONE, TOKENIZE, GENERATE };

struct Runtime {
  std::shared_ptr<slm::LoadedModel> parent;
  // The parent's digest was recomputed (check 50): adapters bind to it. A flag, not a second ModelInfo:
  // the check reads the same bytes, so its result equals parent->info() (and 32000 pieces are MiBs).
  bool parent_verified = false;
  std::shared_ptr<slm::LoadedModel> descendant;
  std::optional<slm::Lineage> lineage;
  slm::SamplingConfig sampling;
  Mode mode = Mode::NONE;
  std::unique_ptr<slm::Generation> generation;
  std::vector<std::uint32_t> tokenized;  // slm_tokenize's ids
  std::string decoded;                   // and their decoding
  std::string output;                    // JSON of slm_model_info, slm_diagnostics, slm_eval

  std::shared_ptr<slm::LoadedModel> current() const { return descendant ? descendant : parent; }
  void forget_results() {
    mode = Mode::NONE;
    generation.reset();
    tokenized.clear();
    decoded.clear();
  }
};

std::map<std::uint32_t, std::unique_ptr<Runtime>> g_runtimes;
std::uint32_t g_next_handle = 1;  // handles are never reused within an instance

Runtime* find(std::uint32_t handle) {
  auto it = g_runtimes.find(handle);
  return it == g_runtimes.end() ? nullptr : it->second.get();
}

// The checks every runtime call starts with: the handle, then (need_model) a loaded model.
Runtime* runtime_or_fail(std::uint32_t handle, bool need_model, std::uint32_t& code) {
  Runtime* rt = find(handle);
  if (!rt) {
    code = fail(ErrorCode::E_ABI_HANDLE, "no runtime has handle " + std::to_string(handle));
    return nullptr;
  }
  if (need_model && !rt->parent) {
    code = fail(ErrorCode::E_ABI_ORDER, "no model is loaded (call slm_load first)");
    return nullptr;
  }
  return rt;
}

// The parent fully validated, computed once: adapters bind to its content digest (adapters.md).
slm::Status verify_parent(Runtime& rt) {
  if (rt.parent_verified) return {};
  auto info = slm::validate_model(rt.parent->file_bytes(), {.verify_digest = true});
  if (!info.ok()) return info.status();
  rt.parent_verified = true;
  return {};
}

// The adapter table: count entries of (ptr u32, len u32), each checked (SLM-ABI-001).
std::optional<std::vector<Bytes>> read_table(std::uint32_t table, std::uint32_t count, std::uint32_t& code) {
  if (count == 0 || count > kMaxStack) {
    code = fail(ErrorCode::E_ABI_ARGUMENT, "count is " + std::to_string(count) + ", not in [1, 64]");
    return std::nullopt;
  }
  if (auto bad = bad_span(table, 8 * count, "table")) {
    code = *bad;
    return std::nullopt;
  }
  std::vector<Bytes> out;
  for (std::uint32_t k = 0; k < count; ++k) {
    std::uint32_t ptr = 0, len = 0;
    __builtin_memcpy(&ptr, pointer(table) + 8 * k, 4);  // wasm32 is little-endian
    __builtin_memcpy(&len, pointer(table) + 8 * k + 4, 4);
    if (auto bad = bad_span(ptr, len, ("adapter " + std::to_string(k)).c_str())) {
      code = *bad;
      g_error.index = static_cast<std::int32_t>(k);
      return std::nullopt;
    }
    out.emplace_back(pointer(ptr), len);
  }
  return out;
}

std::string text_of(std::uint32_t ptr, std::uint32_t len) {
  return len == 0 ? std::string() : std::string(reinterpret_cast<const char*>(pointer(ptr)), len);
}

nlohmann::ordered_json model_info_json(const slm::LoadedModel& model, const std::optional<slm::Lineage>& lineage) {
  nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
  for (const auto& v : model.tensors()) {
    tensors.push_back({{"name", v.entry->name},
                       {"dtype", slm::dtype_name(v.entry->dtype)},
                       {"shape", v.entry->shape()},
                       {"sha256", slm::to_hex(slm::sha256(v.bytes))}});
  }
  return {{"identity", slmconf::identity_json(model.info().header.identity)},
          {"hyperparameters", slmconf::hyperparameters_json(model.info().header.hparams)},
          {"file_bytes", model.file_bytes().size()},
          {"tensors", tensors},
          {"lineage", lineage ? slmconf::lineage_json(*lineage) : nlohmann::ordered_json(nullptr)}};
}

const slm::GenerateResult* generated(std::uint32_t handle) {
  const Runtime* rt = find(handle);
  return rt && rt->mode == Mode::GENERATE ? &rt->generation->result() : nullptr;
}

}  // namespace

// ---- Section 3: version and memory --------------------------------------------------------------

SLM_EXPORT std::uint32_t slm_abi_version() { return kAbiVersion; }

SLM_EXPORT std::uint32_t slm_alloc(std::uint32_t size) {
  if (size == 0 || size > kMaxAllocation) {
    fail(ErrorCode::E_ABI_ARGUMENT, "size " + std::to_string(size) + " is not in [1, 2^31]");
    return 0;
  }
  // 16-aligned so that f32 tensors and SIMD loads need no copy; the size rounded up for aligned_alloc
  void* p = std::aligned_alloc(16, (static_cast<std::size_t>(size) + 15) & ~static_cast<std::size_t>(15));
  if (!p) {
    fail(ErrorCode::E_ABI_MEMORY, "memory cannot grow by " + std::to_string(size) + " bytes");
    return 0;
  }
  g_blocks[address(p)] = size;
  ok();
  return address(p);
}

SLM_EXPORT std::uint32_t slm_free(std::uint32_t ptr) {
  if (ptr == 0) return ok();
  auto it = g_blocks.find(ptr);
  if (it == g_blocks.end()) return fail(ErrorCode::E_ABI_POINTER, "slm_free: " + std::to_string(ptr) + " is not a live block");
  g_blocks.erase(it);
  std::free(const_cast<std::uint8_t*>(pointer(ptr)));
  return ok();
}

// ---- Section 4: runtimes and models -------------------------------------------------------------

SLM_EXPORT std::uint32_t slm_runtime_new() {
  const std::uint32_t handle = g_next_handle++;
  g_runtimes[handle] = std::make_unique<Runtime>();
  ok();
  return handle;
}

SLM_EXPORT std::uint32_t slm_runtime_free(std::uint32_t handle) {
  if (!find(handle)) return fail(ErrorCode::E_ABI_HANDLE, "no runtime has handle " + std::to_string(handle));
  g_runtimes.erase(handle);
  return ok();
}

SLM_EXPORT std::uint32_t slm_load(std::uint32_t handle, std::uint32_t ptr, std::uint32_t len, std::uint32_t flags) {
  std::uint32_t code = 0;
  Runtime* rt = runtime_or_fail(handle, false, code);
  if (!rt) return code;
  auto block = g_blocks.find(ptr);
  if (len != 0 && (block == g_blocks.end() || len > block->second)) {
    return fail(ErrorCode::E_ABI_POINTER, "slm_load: [" + std::to_string(ptr) + ", +" + std::to_string(len) +
                                              ") is not the start of a live block of at least len bytes");
  }
  if (flags & ~1u) return fail(ErrorCode::E_ABI_ARGUMENT, "flags has unknown bits set: " + std::to_string(flags));
  // The block passes to the model only on success: until then the caller still owns it.
  struct Taken {
    std::uint32_t ptr = 0;
    bool owned = false;
    ~Taken() {
      if (owned) std::free(const_cast<std::uint8_t*>(pointer(ptr)));
    }
  };
  auto taken = std::make_shared<Taken>();
  taken->ptr = ptr;
  auto loaded = slm::load_owned(taken, Bytes(pointer(ptr), len), {.validate = {.verify_digest = (flags & 1u) != 0}});
  if (!loaded.ok()) return fail(loaded.status());
  taken->owned = true;  // len > 0 here: no valid model is empty
  g_blocks.erase(block);
  rt->forget_results();
  rt->descendant.reset();
  rt->lineage.reset();
  rt->parent_verified = false;
  rt->parent = loaded.value();
  rt->parent_verified = (flags & 1u) != 0;
  return ok();
}

SLM_EXPORT std::uint32_t slm_unload(std::uint32_t handle) {
  std::uint32_t code = 0;
  Runtime* rt = runtime_or_fail(handle, true, code);
  if (!rt) return code;
  rt->forget_results();
  rt->output.clear();
  rt->descendant.reset();
  rt->lineage.reset();
  rt->parent_verified = false;
  rt->parent.reset();
  return ok();
}

SLM_EXPORT std::uint32_t slm_model_info(std::uint32_t handle) {
  std::uint32_t code = 0;
  Runtime* rt = runtime_or_fail(handle, true, code);
  if (!rt) return code;
  rt->output = model_info_json(*rt->current(), rt->lineage).dump();
  return ok();
}

// ---- Section 5: adapters ------------------------------------------------------------------------

SLM_EXPORT std::uint32_t slm_adapter_validate(std::uint32_t handle, std::uint32_t ptr, std::uint32_t len) {
  std::uint32_t code = 0;
  Runtime* rt = runtime_or_fail(handle, true, code);
  if (!rt) return code;
  if (auto bad = bad_span(ptr, len, "adapter")) return *bad;
  if (auto s = verify_parent(*rt); !s.ok()) return fail(s, -1);
  auto adapter = slm::validate_adapter(Bytes(pointer(ptr), len), rt->parent->info());
  if (!adapter.ok()) return fail(adapter.status());
  return ok();
}

SLM_EXPORT std::uint32_t slm_adapter_apply(std::uint32_t handle, std::uint32_t table, std::uint32_t count) {
  std::uint32_t code = 0;
  Runtime* rt = runtime_or_fail(handle, true, code);
  if (!rt) return code;
  auto stack = read_table(table, count, code);
  if (!stack) return code;
  if (auto s = verify_parent(*rt); !s.ok()) return fail(s, -1);
  std::size_t failed = slm::kNoAdapter;
  auto made = slm::descend(rt->parent->file_bytes(), rt->parent->info(), *stack, &failed);
  if (!made.ok()) return fail(made.status(), failed == slm::kNoAdapter ? -1 : static_cast<std::int32_t>(failed));
  // All or nothing: only now does the descendant replace the previous one (and its results).
  rt->forget_results();
  rt->descendant = made->model;
  rt->lineage = made->lineage;
  return ok();
}

SLM_EXPORT std::uint32_t slm_rollback(std::uint32_t handle) {
  std::uint32_t code = 0;
  Runtime* rt = runtime_or_fail(handle, true, code);
  if (!rt) return code;
  if (rt->descendant) rt->forget_results();
  rt->descendant.reset();
  rt->lineage.reset();
  return ok();
}

// ---- Section 6: sampling, tokenizing, generating ------------------------------------------------

SLM_EXPORT std::uint32_t slm_sampling(std::uint32_t handle, float temperature, std::uint32_t top_k, float top_p,
                                      std::uint32_t seed_low, std::uint32_t seed_high) {
  std::uint32_t code = 0;
  Runtime* rt = runtime_or_fail(handle, false, code);
  if (!rt) return code;
  if (!std::isfinite(temperature) || !std::isfinite(top_p)) {
    return fail(ErrorCode::E_ABI_ARGUMENT, "temperature and top_p must be finite");
  }
  rt->sampling = {temperature, top_k, top_p, (static_cast<std::uint64_t>(seed_high) << 32) | seed_low};
  return ok();
}

SLM_EXPORT std::uint32_t slm_tokenize(std::uint32_t handle, std::uint32_t ptr, std::uint32_t len, std::uint32_t add_bos) {
  std::uint32_t code = 0;
  Runtime* rt = runtime_or_fail(handle, true, code);
  if (!rt) return code;
  if (auto bad = bad_span(ptr, len, "text")) return *bad;
  if (add_bos > 1) return fail(ErrorCode::E_ABI_ARGUMENT, "add_bos must be 0 or 1");
  const slm::TokenizerRuntime tokenizer(rt->current()->info().tokenizer);
  rt->forget_results();
  rt->tokenized = tokenizer.encode(text_of(ptr, len), add_bos == 1, false);
  rt->decoded = tokenizer.decode(rt->tokenized);
  rt->mode = Mode::TOKENIZE;
  return ok();
}

SLM_EXPORT std::uint32_t slm_begin(std::uint32_t handle, std::uint32_t ptr, std::uint32_t len, std::uint32_t max_tokens,
                                   std::uint32_t logit_steps) {
  std::uint32_t code = 0;
  Runtime* rt = runtime_or_fail(handle, true, code);
  if (!rt) return code;
  if (auto bad = bad_span(ptr, len, "prompt")) return *bad;
  slm::GenerateRequest request;
  request.prompt = text_of(ptr, len);
  request.max_tokens = max_tokens;
  request.sampling = rt->sampling;
  request.record_logits = logit_steps;
  auto run = slm::Generation::begin(rt->current(), request);
  if (!run.ok()) return fail(run.status());  // the previous results stay (RT-ABI-001)
  rt->forget_results();
  rt->generation = std::move(run.value());
  rt->mode = Mode::GENERATE;
  return ok();
}

SLM_EXPORT std::uint32_t slm_next(std::uint32_t handle) {
  std::uint32_t code = 0;
  Runtime* rt = runtime_or_fail(handle, true, code);
  if (!rt) return code;
  if (rt->mode != Mode::GENERATE || rt->generation->done()) {
    return fail(ErrorCode::E_ABI_ORDER, "no generation is running (slm_begin starts one)");
  }
  rt->generation->step();
  return ok();
}

SLM_EXPORT std::uint32_t slm_generate(std::uint32_t handle, std::uint32_t ptr, std::uint32_t len, std::uint32_t max_tokens,
                                      std::uint32_t logit_steps) {
  if (std::uint32_t code = slm_begin(handle, ptr, len, max_tokens, logit_steps); code != 0) return code;
  Runtime* rt = find(handle);
  while (rt->generation->step()) {
  }
  return ok();
}

// ---- Section 7: results (never change the last error; 0 for an unknown handle) -----------------

SLM_EXPORT std::uint32_t slm_result_prompt_tokens(std::uint32_t handle) {
  const auto* r = generated(handle);
  return r ? address(r->prompt_tokens.data()) : 0;
}
SLM_EXPORT std::uint32_t slm_result_prompt_token_count(std::uint32_t handle) {
  const auto* r = generated(handle);
  return r ? static_cast<std::uint32_t>(r->prompt_tokens.size()) : 0;
}
SLM_EXPORT std::uint32_t slm_result_tokens(std::uint32_t handle) {
  const Runtime* rt = find(handle);
  if (rt && rt->mode == Mode::TOKENIZE) return address(rt->tokenized.data());
  const auto* r = generated(handle);
  return r ? address(r->tokens.data()) : 0;
}
SLM_EXPORT std::uint32_t slm_result_token_count(std::uint32_t handle) {
  const Runtime* rt = find(handle);
  if (rt && rt->mode == Mode::TOKENIZE) return static_cast<std::uint32_t>(rt->tokenized.size());
  const auto* r = generated(handle);
  return r ? static_cast<std::uint32_t>(r->tokens.size()) : 0;
}
SLM_EXPORT std::uint32_t slm_result_text(std::uint32_t handle) {
  const Runtime* rt = find(handle);
  if (rt && rt->mode == Mode::TOKENIZE) return address(rt->decoded.data());
  const auto* r = generated(handle);
  return r ? address(r->text.data()) : 0;
}
SLM_EXPORT std::uint32_t slm_result_text_len(std::uint32_t handle) {
  const Runtime* rt = find(handle);
  if (rt && rt->mode == Mode::TOKENIZE) return static_cast<std::uint32_t>(rt->decoded.size());
  const auto* r = generated(handle);
  return r ? static_cast<std::uint32_t>(r->text.size()) : 0;
}
SLM_EXPORT std::uint32_t slm_result_piece(std::uint32_t handle) {
  const Runtime* rt = find(handle);
  return rt && rt->mode == Mode::GENERATE ? address(rt->generation->piece().data()) : 0;
}
SLM_EXPORT std::uint32_t slm_result_piece_len(std::uint32_t handle) {
  const Runtime* rt = find(handle);
  return rt && rt->mode == Mode::GENERATE ? static_cast<std::uint32_t>(rt->generation->piece().size()) : 0;
}
// 0 running (or no generation), 1 eos, 2 max_tokens, 3 context.
SLM_EXPORT std::uint32_t slm_result_stop_reason(std::uint32_t handle) {
  const auto* r = generated(handle);
  if (!r || r->stop_reason.empty()) return 0;
  return r->stop_reason == "eos" ? 1 : r->stop_reason == "max_tokens" ? 2 : 3;
}
SLM_EXPORT std::uint32_t slm_result_logit_steps(std::uint32_t handle) {
  const auto* r = generated(handle);
  return r ? static_cast<std::uint32_t>(r->logits.size()) : 0;
}
SLM_EXPORT std::uint32_t slm_result_logits(std::uint32_t handle, std::uint32_t step) {
  const auto* r = generated(handle);
  return r && step < r->logits.size() ? address(r->logits[step].data()) : 0;
}
SLM_EXPORT std::uint32_t slm_result_vocab_size(std::uint32_t handle) {
  const Runtime* rt = find(handle);
  return rt && rt->parent ? rt->current()->info().header.hparams.vocab_size : 0;
}

SLM_EXPORT std::uint32_t slm_diagnostics(std::uint32_t handle) {
  std::uint32_t code = 0;
  Runtime* rt = runtime_or_fail(handle, true, code);
  if (!rt) return code;
  if (rt->mode != Mode::GENERATE) return fail(ErrorCode::E_ABI_ORDER, "no generation to describe (slm_begin or slm_generate first)");
  slm::Diagnostics d = rt->generation->result().diagnostics;
  d.adapter_count = rt->lineage ? static_cast<std::uint32_t>(rt->lineage->steps.size()) : 0;
  rt->output = slmconf::diagnostics_json(d).dump();
  return ok();
}

// ---- Section 8: eval ----------------------------------------------------------------------------

SLM_EXPORT std::uint32_t slm_eval(std::uint32_t handle, std::uint32_t set_ptr, std::uint32_t set_len, std::uint32_t policy_ptr,
                                  std::uint32_t policy_len, std::uint32_t baseline_ptr, std::uint32_t baseline_len) {
  std::uint32_t code = 0;
  Runtime* rt = runtime_or_fail(handle, true, code);
  if (!rt) return code;
  if (auto bad = bad_span(set_ptr, set_len, "set")) return *bad;
  if (auto bad = bad_span(policy_ptr, policy_len, "policy")) return *bad;
  if (auto bad = bad_span(baseline_ptr, baseline_len, "baseline")) return *bad;
  auto set = slmeval::parse_set(text_of(set_ptr, set_len));
  if (!set.ok()) return fail(set.status());
  slmeval::Policy policy;
  if (policy_len > 0) {
    auto parsed = slmeval::parse_policy(text_of(policy_ptr, policy_len), set.value());
    if (!parsed.ok()) return fail(parsed.status());
    policy = parsed.value();
  }
  std::optional<slmeval::Baseline> baseline;
  if (baseline_len > 0) {
    auto view = slmeval::parse_sidecar(text_of(baseline_ptr, baseline_len));
    if (!view.ok()) return fail(view.status());
    baseline = view->as_baseline;
  }
  auto evidence = slmeval::run_eval(rt->current(), rt->lineage, set.value(), policy, baseline);
  if (!evidence.ok()) return fail(evidence.status());
  rt->output = slmeval::sidecar_text(evidence.value(), "slm-wasm", SLM_WASM_VERSION);
  return ok();
}

// ---- Section 7: output and errors ---------------------------------------------------------------

SLM_EXPORT std::uint32_t slm_output(std::uint32_t handle) {
  const Runtime* rt = find(handle);
  return rt ? address(rt->output.data()) : 0;
}
SLM_EXPORT std::uint32_t slm_output_len(std::uint32_t handle) {
  const Runtime* rt = find(handle);
  return rt ? static_cast<std::uint32_t>(rt->output.size()) : 0;
}

SLM_EXPORT std::uint32_t slm_error_code() { return static_cast<std::uint32_t>(g_error.status.code); }
SLM_EXPORT std::uint32_t slm_error_name() { return address(slm::error_info(g_error.status.code).name.data()); }
SLM_EXPORT std::uint32_t slm_error_rule() { return address(slm::error_info(g_error.status.code).rule.data()); }
SLM_EXPORT std::int64_t slm_error_offset() {
  return g_error.status.has_offset() ? static_cast<std::int64_t>(g_error.status.offset) : -1;
}
SLM_EXPORT std::int32_t slm_error_index() { return g_error.index; }
SLM_EXPORT std::uint32_t slm_error_message() { return address(g_error.status.message.c_str()); }
