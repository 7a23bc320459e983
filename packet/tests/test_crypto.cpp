// Ed25519 against RFC 8032 section 7.1 (TEST 1-3), DSSE's PAE vector, strict Base64 and PEM keys.
#include <gtest/gtest.h>

#include "slm/sha256.h"
#include "slmpacket/crypto.h"

namespace {

std::vector<std::uint8_t> unhex(const std::string& h) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
  return out;
}

struct Vector {
  const char *secret, *public_key, *message, *signature;
};

// RFC 8032 section 7.1
const Vector kRfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(Ed25519, Rfc8032VectorsSignAndVerify) {
  for (const auto& v : kRfc8032) {
    auto key = slmpacket::Key::from_seed(unhex(v.secret));
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(slm::to_hex(key->public_bytes()), v.public_key);
    const auto message = unhex(v.message);
    auto sig = key->sign(message);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(slm::to_hex(sig.value()), v.signature);
    auto pub = slmpacket::Key::from_public_bytes(unhex(v.public_key));
    ASSERT_TRUE(pub.ok());
    EXPECT_TRUE(pub->verify(message, unhex(v.signature)));
    auto flipped = unhex(v.signature);
    flipped[7] ^= 1;
    EXPECT_FALSE(pub->verify(message, flipped));
    auto longer = message;
    longer.push_back(0);
    EXPECT_FALSE(pub->verify(longer, unhex(v.signature)));
  }
}

TEST(Ed25519, KeyIdIsTheSha256OfTheRawPublicKey) {
  auto pub = slmpacket::Key::from_public_bytes(unhex(kRfc8032[0].public_key));
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->key_id(), slm::to_hex(slm::sha256(unhex(kRfc8032[0].public_key))));
}

TEST(Ed25519, PemRoundTripAndWrongKinds) {
  auto key = slmpacket::Key::generate();
  ASSERT_TRUE(key.ok());
  const std::string priv = key->private_pem(), pub = key->public_pem();
  EXPECT_NE(priv.find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_NE(pub.find("BEGIN PUBLIC KEY"), std::string::npos);
  auto again = slmpacket::Key::from_private_pem(priv);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->key_id(), key->key_id());
  auto public_only = slmpacket::Key::from_public_pem(pub);
  ASSERT_TRUE(public_only.ok());
  EXPECT_FALSE(public_only->has_private());
  EXPECT_FALSE(public_only->sign(std::vector<std::uint8_t>{1}).ok());
  // a public key where a private one is needed, garbage, an empty file: E_PKT_KEY
  EXPECT_EQ(slmpacket::Key::from_private_pem(pub).status().code, slm::ErrorCode::E_PKT_KEY);
  EXPECT_EQ(slmpacket::Key::from_public_pem("not a key").status().code, slm::ErrorCode::E_PKT_KEY);
  EXPECT_EQ(slmpacket::Key::from_public_pem("").status().code, slm::ErrorCode::E_PKT_KEY);
}

TEST(Dsse, PreAuthenticationEncodingVector) {
  const std::string body = "hello world";
  const auto out = slmpacket::pae("http://example.com/HelloWorld", {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
  EXPECT_EQ(std::string(out.begin(), out.end()), "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
}

TEST(Base64, Rfc4648VectorsAndStrictDecoding) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, coded] : vectors) {
    EXPECT_EQ(slmpacket::base64_encode({reinterpret_cast<const std::uint8_t*>(plain.data()), plain.size()}), coded);
    std::vector<std::uint8_t> back;
    ASSERT_TRUE(slmpacket::base64_decode(coded, back)) << coded;
    EXPECT_EQ(std::string(back.begin(), back.end()), plain);
  }
  std::vector<std::uint8_t> out;
  for (const char* bad : {"Zg=", "Zh==", "Zm9v\n", "Zm 9v", "Z===", "Zm9v====", "Zm-v"}) EXPECT_FALSE(slmpacket::base64_decode(bad, out)) << bad;
}

}  // namespace
