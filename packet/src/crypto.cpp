#include "slmpacket/crypto.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "slm/sha256.h"

namespace slmpacket {

namespace {

slm::Status key_error(const std::string& message) { return slm::make_error(slm::ErrorCode::E_PKT_KEY, slm::kNoOffset, message); }

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

struct Key::Impl {
  Pkey pkey;
};

namespace {
std::unique_ptr<Key::Impl> impl_of(Pkey pkey) {
  auto impl = std::make_unique<Key::Impl>();
  impl->pkey = std::move(pkey);
  return impl;
}
}  // namespace

Key::Key() = default;
Key::~Key() = default;
Key::Key(Key&&) noexcept = default;
Key& Key::operator=(Key&&) noexcept = default;

slm::Result<Key> Key::adopt(std::unique_ptr<Impl> impl, bool is_private) {
  Key k;
  k.impl_ = std::move(impl);
  k.private_ = is_private;
  std::size_t len = k.public_.size();
  if (EVP_PKEY_get_raw_public_key(k.impl_->pkey.get(), k.public_.data(), &len) != 1 || len != 32) return key_error("no public key");
  return k;
}

slm::Result<Key> Key::generate() {
  Pkey pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!pkey) return key_error("Ed25519 key generation failed");
  return adopt(impl_of(std::move(pkey)), true);
}

slm::Result<Key> Key::from_seed(std::span<const std::uint8_t> seed) {
  if (seed.size() != 32) return key_error("an Ed25519 seed has 32 bytes");
  Pkey pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!pkey) return key_error("not an Ed25519 seed");
  return adopt(impl_of(std::move(pkey)), true);
}

slm::Result<Key> Key::from_public_bytes(std::span<const std::uint8_t> raw) {
  if (raw.size() != 32) return key_error("an Ed25519 public key has 32 bytes");
  Pkey pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
  if (!pkey) return key_error("not an Ed25519 public key");
  return adopt(impl_of(std::move(pkey)), false);
}

namespace {
// Reads one PEM object of the wanted kind; only Ed25519 keys are accepted.
slm::Result<Pkey> read_pem(std::string_view pem, bool want_private) {
  if (pem.size() > (1u << 16)) return key_error("a key file is a few hundred bytes, not " + std::to_string(pem.size()));
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return key_error("out of memory");
  Pkey pkey(want_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                         : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) return key_error(want_private ? "not a PEM private key (BEGIN PRIVATE KEY)" : "not a PEM public key (BEGIN PUBLIC KEY)");
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_ED25519) return key_error("the key is not an Ed25519 key");
  return pkey;
}
}  // namespace

slm::Result<Key> Key::from_private_pem(std::string_view pem) {
  auto pkey = read_pem(pem, true);
  if (!pkey.ok()) return pkey.status();
  return adopt(impl_of(std::move(pkey.value())), true);
}

slm::Result<Key> Key::from_public_pem(std::string_view pem) {
  auto pkey = read_pem(pem, false);
  if (!pkey.ok()) return pkey.status();
  return adopt(impl_of(std::move(pkey.value())), false);
}

std::string Key::key_id() const { return slm::to_hex(slm::sha256(public_)); }

std::string Key::private_pem() const {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (!private_ || !bio || PEM_write_bio_PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) return {};
  return bio_text(bio.get());
}

std::string Key::public_pem() const {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), impl_->pkey.get()) != 1) return {};
  return bio_text(bio.get());
}

slm::Result<SignatureBytes> Key::sign(std::span<const std::uint8_t> message) const {
  if (!private_) return key_error("a public key cannot sign");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  SignatureBytes sig{};
  std::size_t len = sig.size();
  // Ed25519 hashes internally: no digest is named (RFC 8032 "pure" Ed25519)
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1 || len != sig.size()) {
    return key_error("signing failed");
  }
  return sig;
}

bool Key::verify(std::span<const std::uint8_t> message, std::span<const std::uint8_t> signature) const {
  if (signature.size() != 64) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, impl_->pkey.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
}

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{bytes[i]} << 16) | (i + 1 < bytes.size() ? std::uint32_t{bytes[i + 1]} << 8 : 0u) |
                            (i + 2 < bytes.size() ? std::uint32_t{bytes[i + 2]} : 0u);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

bool base64_decode(std::string_view text, std::vector<std::uint8_t>& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int pad = last ? (text[i + 3] == '=' ? (text[i + 2] == '=' ? 2 : 1) : 0) : 0;
    int v[4] = {0, 0, 0, 0};
    for (int j = 0; j < 4 - pad; ++j) {
      v[j] = sextet(text[i + static_cast<std::size_t>(j)]);
      if (v[j] < 0) return false;
    }
    const std::uint32_t n = (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
                            (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
    // canonical: the bits the padding drops are zero
    if ((pad == 1 && (n & 0xFF) != 0) || (pad == 2 && (n & 0xFFFF) != 0)) return false;
    out.push_back(static_cast<std::uint8_t>(n >> 16));
    if (pad < 2) out.push_back(static_cast<std::uint8_t>(n >> 8));
    if (pad < 1) out.push_back(static_cast<std::uint8_t>(n));
  }
  return true;
}

std::vector<std::uint8_t> pae(std::string_view payload_type, std::span<const std::uint8_t> payload) {
  const std::string head = "DSSEv1 " + std::to_string(payload_type.size()) + " " + std::string(payload_type) + " " +
                           std::to_string(payload.size()) + " ";
  std::vector<std::uint8_t> out(head.begin(), head.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

}  // namespace slmpacket
