// The signing primitives of release packets (spec/packet.md sections 1-3): Ed25519 through
// OpenSSL's libcrypto (no hand-written cryptography), PEM key files, key ids, strict Base64 and
// DSSE's pre-authentication encoding. No OpenSSL types cross this header.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slm/errors.h"

namespace slmpacket {

using PublicKeyBytes = std::array<std::uint8_t, 32>;
using SignatureBytes = std::array<std::uint8_t, 64>;

// An Ed25519 key: a private one can sign, every key can verify.
class Key {
public:
  Key();  // an empty key (no key material): only for Result<Key>'s error state
  ~Key();
  Key(Key&&) noexcept;
  Key& operator=(Key&&) noexcept;

  static slm::Result<Key> generate();
  // RFC 8032's 32-byte secret (the "seed"); the site kit's demo key is made this way.
  static slm::Result<Key> from_seed(std::span<const std::uint8_t> seed);
  // A PEM file's text: PKCS #8 private key, or SubjectPublicKeyInfo public key (E_PKT_KEY otherwise).
  static slm::Result<Key> from_private_pem(std::string_view pem);
  static slm::Result<Key> from_public_pem(std::string_view pem);
  static slm::Result<Key> from_public_bytes(std::span<const std::uint8_t> raw);

  bool has_private() const { return private_; }
  const PublicKeyBytes& public_bytes() const { return public_; }
  std::string key_id() const;  // SHA-256 of the raw public key, 64 hex
  std::string private_pem() const;
  std::string public_pem() const;

  slm::Result<SignatureBytes> sign(std::span<const std::uint8_t> message) const;
  bool verify(std::span<const std::uint8_t> message, std::span<const std::uint8_t> signature) const;

  struct Impl;  // opaque: the OpenSSL key, defined in crypto.cpp

private:
  // Wraps a key OpenSSL made and reads its raw public key: every factory ends here.
  static slm::Result<Key> adopt(std::unique_ptr<Impl> impl, bool is_private);
  std::unique_ptr<Impl> impl_;
  PublicKeyBytes public_{};
  bool private_ = false;
};

// RFC 4648 section 4, with padding; decode refuses anything else (whitespace, bad padding).
std::string base64_encode(std::span<const std::uint8_t> bytes);
bool base64_decode(std::string_view text, std::vector<std::uint8_t>& out);

// DSSE v1: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body.
std::vector<std::uint8_t> pae(std::string_view payload_type, std::span<const std::uint8_t> payload);

}  // namespace slmpacket
