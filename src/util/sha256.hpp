// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace strata::util {

// SHA-256, fed in pieces: what migration checksums, bundles and database snapshots hash with.
class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(std::string_view data);
    // The digest of everything fed so far, as 64 lower-case hex digits. Call once.
    std::string hex();

  private:
    struct State;
    std::unique_ptr<State> m_state;
};

// The SHA-256 of `data` as 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);

} // namespace strata::util
