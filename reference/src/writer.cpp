#include "slm/writer.h"

#include <algorithm>

#include "slm/bytes.h"
#include "slm/checksum.h"
#include "slm/decode.h"
#include "slm/xxh64.h"

namespace slm {
namespace {

std::uint64_t align_up(std::uint64_t v) { return (v + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace

std::vector<std::uint8_t> write_model(const ModelDescription& model) {
  const std::vector<std::uint8_t> tokenizer = encode_tokenizer(model.tokenizer);
  const std::uint64_t directory_offset = align_up(kHeaderLength + tokenizer.size());
  const std::uint64_t directory_length = model.tensors.size() * kDirectoryEntrySize;
  const std::uint64_t data_offset = directory_offset + directory_length;

  // Directory entries with canonical offsets: each tensor at the next multiple of 64.
  std::vector<std::uint8_t> directory(static_cast<std::size_t>(directory_length));
  std::uint64_t data_length = 0, parameters = 0;
  std::vector<std::uint64_t> offsets;
  for (std::size_t i = 0; i < model.tensors.size(); ++i) {
    const TensorData& td = model.tensors[i];
    TensorEntry e;
    e.name = td.name;
    e.dtype = td.dtype;
    e.rank = static_cast<std::uint32_t>(std::min<std::size_t>(td.shape.size(), kMaxRank));
    std::copy_n(td.shape.begin(), e.rank, e.dims.begin());
    e.offset = align_up(data_length);
    e.byte_size = td.bytes.size();
    encode_directory_entry(e, directory.data() + i * kDirectoryEntrySize);
    offsets.push_back(e.offset);
    data_length = e.offset + e.byte_size;
    parameters += e.elements();
  }
  data_length = align_up(data_length);

  std::vector<std::uint8_t> file(static_cast<std::size_t>(data_offset + data_length), 0);
  std::uint8_t* h = file.data();
  std::copy(kMagic.begin(), kMagic.end(), h);
  store_u32(h + hdr::kVersion, kFormatVersion);
  store_u32(h + hdr::kHeaderLength, kHeaderLength);
  store_u32(h + hdr::kFlags, model.untied_output ? kFlagUntiedOutput : 0);
  store_u64(h + hdr::kFileLength, file.size());
  const Hyperparameters& hp = model.hparams;
  store_u32(h + hdr::kVocabSize, hp.vocab_size);
  store_u32(h + hdr::kDim, hp.dim);
  store_u32(h + hdr::kHiddenDim, hp.hidden_dim);
  store_u32(h + hdr::kLayers, hp.n_layers);
  store_u32(h + hdr::kHeads, hp.n_heads);
  store_u32(h + hdr::kKvHeads, hp.n_kv_heads);
  store_u32(h + hdr::kMaxSeqLen, hp.max_seq_len);
  store_f32(h + hdr::kNormEps, hp.norm_eps);
  store_f32(h + hdr::kRopeTheta, hp.rope_theta);
  store_u64(h + hdr::kParamCount, parameters);
  store_u32(h + hdr::kTensorCount, static_cast<std::uint32_t>(model.tensors.size()));
  store_u64(h + hdr::kLayoutChecksum, xxh64(directory));
  store_u64(h + hdr::kTokenizerChecksum, xxh64(tokenizer));
  store_u64(h + hdr::kTokenizerOffset, kHeaderLength);
  store_u64(h + hdr::kTokenizerLength, tokenizer.size());
  store_u64(h + hdr::kDirectoryOffset, directory_offset);
  store_u64(h + hdr::kDirectoryLength, directory_length);
  store_u64(h + hdr::kDataOffset, data_offset);
  store_u64(h + hdr::kDataLength, data_length);

  std::copy(tokenizer.begin(), tokenizer.end(), file.begin() + kHeaderLength);
  std::copy(directory.begin(), directory.end(), file.begin() + static_cast<std::ptrdiff_t>(directory_offset));
  for (std::size_t i = 0; i < model.tensors.size(); ++i) {
    const auto& bytes = model.tensors[i].bytes;
    std::copy(bytes.begin(), bytes.end(), file.begin() + static_cast<std::ptrdiff_t>(data_offset + offsets[i]));
  }
  reseal(file);
  return file;
}

Result<ModelDescription> read_model(std::span<const std::uint8_t> file) {
  auto info = validate_model(file);
  if (!info.ok()) return info.status();
  ModelDescription model;
  model.hparams = info->header.hparams;
  model.untied_output = (info->header.flags & kFlagUntiedOutput) != 0;
  model.tokenizer = info->tokenizer;
  for (const auto& t : info->tensors) {
    const auto begin = file.begin() + static_cast<std::ptrdiff_t>(info->header.data.offset + t.offset);
    model.tensors.push_back({t.name, t.dtype, t.shape(), {begin, begin + static_cast<std::ptrdiff_t>(t.byte_size)}});
  }
  return model;
}

}  // namespace slm
