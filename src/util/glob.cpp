// SPDX-License-Identifier: MIT
#include "util/glob.hpp"

#include <cstddef>

namespace strata::util {
namespace {

constexpr std::size_t k_none = std::string_view::npos;

// Matches `c` against the set that starts at pattern[at] ('['); returns the index after its
// ']', or k_none when the set is not closed (the '[' is then an ordinary character, as in the
// shell).
std::size_t match_set(std::string_view pattern, std::size_t at, char c, bool& matched) {
    std::size_t i = at + 1;
    bool negate = false;
    if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
        negate = true;
        ++i;
    }
    const auto u = static_cast<unsigned char>(c);
    bool found = false;
    for (bool first = true; i < pattern.size(); ++i, first = false) {
        if (pattern[i] == ']' && !first) {
            matched = found != negate;
            return i + 1;
        }
        const auto low = static_cast<unsigned char>(pattern[i]);
        if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
            const auto high = static_cast<unsigned char>(pattern[i + 2]);
            found = found || (low <= u && u <= high);
            i += 2;
        } else {
            found = found || low == u;
        }
    }
    return k_none;
}

} // namespace

bool glob_matches(std::string_view pattern, std::string_view name) {
    if (!name.empty() && name.front() == '.' && (pattern.empty() || pattern.front() != '.'))
        return false;
    // On a mismatch, only the latest '*' takes one more character: linear in practice, never
    // exponential, and the same answers as trying every split.
    std::size_t p = 0;
    std::size_t n = 0;
    std::size_t star_p = k_none;
    std::size_t star_n = 0;
    while (n < name.size()) {
        if (p < pattern.size()) {
            const char c = pattern[p];
            if (c == '*') {
                star_p = p++;
                star_n = n;
                continue;
            }
            if (c == '?') {
                ++p;
                ++n;
                continue;
            }
            bool matched = false;
            std::size_t after = k_none;
            if (c == '[')
                after = match_set(pattern, p, name[n], matched);
            if (after != k_none) {
                if (matched) {
                    p = after;
                    ++n;
                    continue;
                }
            } else {
                const std::size_t literal = c == '\\' && p + 1 < pattern.size() ? p + 1 : p;
                if (pattern[literal] == name[n]) {
                    p = literal + 1;
                    ++n;
                    continue;
                }
            }
        }
        if (star_p == k_none)
            return false;
        p = star_p + 1;
        n = ++star_n;
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

bool has_glob_characters(std::string_view component) {
    return component.find_first_of("*?[\\") != std::string_view::npos;
}

} // namespace strata::util
