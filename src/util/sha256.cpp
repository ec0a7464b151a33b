// SPDX-License-Identifier: MIT
#include "util/sha256.hpp"

// OpenSSL's libcrypto: its SHA-256 uses the CPU's SHA instructions (x86 SHA-NI, ARMv8's crypto
// extension). OpenSSL 3 marks the low-level functions deprecated in favour of EVP, whose
// providers would bring most of libcrypto into a static binary and read openssl.cnf at the first
// hash; SHA256_Init/Update/Final alone are a few kilobytes and read nothing. (Not the one-call
// SHA256() either: in OpenSSL 3 that one goes through EVP.)
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace strata::util {

struct Sha256::State {
    SHA256_CTX context;
};

Sha256::Sha256() : m_state(std::make_unique<State>()) {
    SHA256_Init(&m_state->context);
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view data) {
    SHA256_Update(&m_state->context, data.data(), data.size());
}

namespace {

std::string final_hex(SHA256_CTX& context) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_Final(digest, &context);
    static const char digits[] = "0123456789abcdef";
    std::string out(std::size_t{2} * SHA256_DIGEST_LENGTH, '0');
    for (std::size_t i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
        out[2 * i] = digits[digest[i] >> 4];
        out[2 * i + 1] = digits[digest[i] & 0xF];
    }
    return out;
}

} // namespace

std::string Sha256::hex() {
    return final_hex(m_state->context);
}

std::string sha256_hex(std::string_view data) {
    // On the stack: a run hashes every migration, and a heap state each time is measurable.
    SHA256_CTX context;
    SHA256_Init(&context);
    SHA256_Update(&context, data.data(), data.size());
    return final_hex(context);
}

} // namespace strata::util
