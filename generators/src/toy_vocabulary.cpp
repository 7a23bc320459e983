#include "slmgen/toy_vocabulary.h"

#include "slmgen/model_gen.h"

namespace slmgen {

slm::Tokenizer toy_vocabulary(std::uint32_t flags) {
  slm::Tokenizer t;
  t.kind = slm::TokenizerKind::BPE;
  t.flags = flags;
  t.pieces = {{"<unk>", 0}, {"<s>", 0}, {"</s>", 0}};
  static const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) t.pieces.push_back({{'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'}, 0});
  const slm::TokenizerPiece normal[] = {
      {" ", -10},        // 259
      {"a", -10},        // 260
      {"b", -10},        // 261
      {"c", -10},        // 262
      {"ab", -1},        // 263: ties with 264, the leftmost pair wins (T2)
      {"bc", -1},        // 264
      {"ca", -0.5f},     // 265
      {" a", -3},        // 266
      {"abab", -0.25f},  // 267: reachable only by merging merges (T4)
      {"\xC3\xA9", -10},          // 268 e-acute
      {"<", -10},                 // 269
      {"s", -10},                 // 270
      {">", -10},                 // 271
      {"<s", -2},                 // 272
      {"s>", -2},                 // 273
      {"\xF0\x9F\x98\x80", -10},  // 274 U+1F600
  };
  t.pieces.insert(t.pieces.end(), std::begin(normal), std::end(normal));
  t.n_pieces = static_cast<std::uint32_t>(t.pieces.size());
  return t;
}

slm::ModelDescription toy_vocabulary_model() {
  ModelOptions o = *preset("tiny");
  o.tokenizer = slm::TokenizerKind::BPE;
  o.hparams.vocab_size = 275;
  o.embedding_dtype = o.attention_dtype = o.ffn_dtype = o.output_dtype = slm::DType::F32;
  o.seed = 6;
  slm::ModelDescription m = generate_model(o);
  m.tokenizer = toy_vocabulary();  // the same piece count: only the pieces and scores change
  return m;
}

}  // namespace slmgen
