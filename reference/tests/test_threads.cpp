// Threads and batched prompts change who computes what, never how (spec/runtime.md, RT-FWD-001):
// logits bit for bit the same for 1 to 4 threads, a prompt's batch the same as its tokens one at a
// time, and the batched matrix product the same as matvec, on random models of every dtype whose
// row counts (odd vocabularies, odd f32 hidden sizes) leave the threads uneven shares.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <vector>

#include "slm/kernels.h"
#include "slm/quant.h"
#include "slm/thread_pool.h"
#include "slm/transformer.h"
#include "slm/writer.h"
#include "slmgen/recipe.h"

namespace {

std::shared_ptr<const slm::LoadedModel> model_from(const slmgen::ModelRecipe& recipe) {
  auto options = slmgen::resolve_recipe(recipe);
  RC_ASSERT(options.ok());
  auto model = slm::load_model(slm::write_model(slmgen::generate_model(options.value())));
  RC_ASSERT(model.ok());
  return model.value();
}

// A random model of the "small" preset's kind (BPE, 128 positions) in `dtype`: 1-2 layers, an odd
// vocabulary, grouped-query attention, and for f32 row lengths that are not multiples of 8 (the
// dot's tail) and an odd hidden size. Big enough that every matrix product is split among threads.
std::shared_ptr<const slm::LoadedModel> random_model(const std::string& dtype) {
  slmgen::ModelRecipe r;
  r.preset = "small";
  r.dtype = dtype;
  r.seed = *rc::gen::inRange<std::uint64_t>(1, 1000000);
  r.layers = *rc::gen::inRange<std::uint32_t>(1, 3);
  r.vocab = 2 * *rc::gen::inRange<std::uint32_t>(130, 300) + 1;
  r.untied = *rc::gen::arbitrary<bool>();
  const std::uint32_t heads = *rc::gen::element<std::uint32_t>(2, 3, 4);
  r.heads = heads;
  r.kv_heads = heads == 4 ? *rc::gen::element<std::uint32_t>(1, 2, 4) : *rc::gen::element<std::uint32_t>(1, heads);
  if (dtype == "f32") {
    r.dim = heads * 2 * *rc::gen::inRange<std::uint32_t>(9, 17);  // head_dim 18..32
    r.hidden_dim = *rc::gen::inRange<std::uint32_t>(60, 200);
  } else {
    r.dim = heads == 3 ? 96 : 32 * *rc::gen::inRange<std::uint32_t>(2, 5);  // rows of 32-element blocks
    r.hidden_dim = 32 * *rc::gen::inRange<std::uint32_t>(2, 7);
  }
  return model_from(r);
}

std::vector<std::uint32_t> random_tokens(std::size_t n, std::uint32_t vocab) {
  std::vector<std::uint32_t> tokens(n);
  for (auto& t : tokens) t = *rc::gen::inRange<std::uint32_t>(0, vocab);
  return tokens;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::unique_ptr<slm::Transformer> transformer(const std::shared_ptr<const slm::LoadedModel>& model, std::uint32_t threads) {
  auto t = slm::Transformer::create(model, 0, threads);
  RC_ASSERT(t.ok());
  return std::move(t.value());
}

}  // namespace

TEST(Threads, ChunksCoverTheRangeInOrder) {
  for (std::size_t n : std::initializer_list<std::size_t>{0, 1, 7, 8, 9, 63, 64, 65, 259, 1000}) {
    for (std::size_t grain : std::initializer_list<std::size_t>{1, 4, 8}) {
      for (std::uint32_t parts = 1; parts <= 5; ++parts) {
        std::size_t next = 0;
        for (std::uint32_t p = 0; p < parts; ++p) {
          const auto [begin, end] = slm::ThreadPool::chunk(n, grain, p, parts);
          EXPECT_EQ(begin, next) << n << " " << grain << " " << parts;
          EXPECT_LE(begin, end);
          if (end < n) {
            EXPECT_EQ(end % grain, 0u);
          }
          next = end;
        }
        EXPECT_EQ(next, n);
      }
    }
  }
}

TEST(Threads, PoolRunsEveryPartOnce) {
  for (std::uint32_t threads : {1u, 2u, 3u, 4u}) {
    slm::ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int job = 0; job < 200; ++job) {
      std::vector<int> runs(pool.size(), 0);
      pool.run([&](std::uint32_t part) { ++runs[part]; });
      for (int r : runs) ASSERT_EQ(r, 1);
    }
  }
  EXPECT_GE(slm::ThreadPool(0).size(), 1u);
  EXPECT_EQ(slm::ThreadPool(1000).size(), slm::ThreadPool::kMaxThreads);
}

// Several steps of a generation (a prompt through prefill, then tokens one at a time) at 1, 2, 3
// and 4 threads: every logit of every step the same bits.
RC_GTEST_PROP(Threads, LogitsDoNotDependOnTheThreadCount, ()) {
  const std::string dtype = *rc::gen::element<std::string>("f32", "q8_0", "q4_0");
  const auto model = random_model(dtype);
  const std::uint32_t vocab = model->info().header.hparams.vocab_size;
  const auto prompt = random_tokens(*rc::gen::inRange<std::size_t>(1, 80), vocab);
  const auto steps = random_tokens(4, vocab);
  std::vector<float> single;
  for (std::uint32_t threads = 1; threads <= 4; ++threads) {
    auto t = transformer(model, threads);
    RC_ASSERT(t->threads() == threads);
    std::vector<float> all = t->prefill(prompt, 0);
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const auto& logits = t->forward(steps[i], static_cast<std::uint32_t>(prompt.size() + i));
      all.insert(all.end(), logits.begin(), logits.end());
    }
    if (threads == 1) {
      single = all;
    } else {
      RC_ASSERT(same_bits(all, single));
    }
  }
}

// A prompt as batches (in one prefill, or two with the first one's logits skipped) against its
// tokens one at a time: the last token's logits and, through the KV cache, the next step's.
RC_GTEST_PROP(Prefill, BatchEqualsTokenAtATime, ()) {
  const std::string dtype = *rc::gen::element<std::string>("f32", "q8_0", "q4_0");
  const auto model = random_model(dtype);
  const auto& hp = model->info().header.hparams;
  const std::uint32_t context = hp.max_seq_len;
  const auto length = *rc::gen::oneOf(rc::gen::just<std::uint32_t>(1), rc::gen::just(context),
                                      rc::gen::inRange<std::uint32_t>(1, context + 1));
  const auto tokens = random_tokens(length, hp.vocab_size);
  const auto next = *rc::gen::inRange<std::uint32_t>(0, hp.vocab_size);
  const std::uint32_t threads = *rc::gen::inRange<std::uint32_t>(1, 5);

  auto one = transformer(model, threads);
  std::vector<float> expected;
  for (std::uint32_t pos = 0; pos < length; ++pos) expected = one->forward(tokens[pos], pos);
  auto batch = transformer(model, threads);
  RC_ASSERT(batch->batch() <= context);
  const auto split = *rc::gen::inRange<std::uint32_t>(0, length);  // 0: one call
  const std::span<const std::uint32_t> all(tokens);
  if (split > 0) batch->prefill(all.first(split), 0, false);
  RC_ASSERT(same_bits(batch->prefill(all.subspan(split), split), expected));
  if (length < context) RC_ASSERT(same_bits(batch->forward(next, length), one->forward(next, length)));
}

// The batched product (any row range, vector count and strides) against matvec, vector by vector.
RC_GTEST_PROP(Kernels, MatmulRowsEqualsMatvec, ()) {
  const auto dtype = *rc::gen::element(slm::DType::F32, slm::DType::Q8_0, slm::DType::Q4_0);
  const std::uint64_t rows = *rc::gen::inRange<std::uint64_t>(1, 40);
  const std::uint64_t cols = dtype == slm::DType::F32 ? *rc::gen::inRange<std::uint64_t>(1, 100)
                                                      : 32 * *rc::gen::inRange<std::uint64_t>(1, 5);
  const std::size_t n = *rc::gen::inRange<std::size_t>(1, 12);
  const std::size_t x_stride = static_cast<std::size_t>(cols) + *rc::gen::inRange<std::size_t>(0, 5);
  const std::size_t out_stride = static_cast<std::size_t>(rows) + *rc::gen::inRange<std::size_t>(0, 5);
  const std::uint64_t begin = *rc::gen::inRange<std::uint64_t>(0, rows), end = *rc::gen::inRange<std::uint64_t>(begin, rows + 1);
  std::vector<float> values(static_cast<std::size_t>(rows * cols)), x(n * x_stride);
  for (auto& v : values) v = static_cast<float>(*rc::gen::inRange(-100000, 100000)) * 3.1e-5f;
  for (auto& v : x) v = static_cast<float>(*rc::gen::inRange(-100000, 100000)) * 7.3e-5f;
  const auto bytes = slm::encode_tensor(dtype, values);
  slm::TensorEntry entry;
  entry.dtype = dtype;
  entry.rank = 2;
  entry.dims[0] = rows;
  entry.dims[1] = cols;
  const slm::TensorView view{&entry, bytes};
  std::vector<float> scratch(slm::kMatmulScratchRows * static_cast<std::size_t>(cols));
  std::vector<float> out(n * out_stride, -7.0f), want(static_cast<std::size_t>(rows));
  slm::matmul_rows(view, x.data(), x_stride, n, out.data(), out_stride, begin, end, scratch.data());
  for (std::size_t t = 0; t < n; ++t) {
    slm::matvec(view, x.data() + t * x_stride, want.data());
    for (std::size_t r = 0; r < out_stride; ++r) {
      const float got = out[t * out_stride + r];
      if (r >= begin && r < end) {
        RC_ASSERT(std::memcmp(&got, &want[r], 4) == 0);
      } else {
        RC_ASSERT(got == -7.0f);  // rows outside the range are not written
      }
    }
  }
}
