// SPDX-License-Identifier: MIT
#include "util/glob.hpp"

#include <cstddef>

namespace util {
namespace {

// Matches the set that starts at pattern[at] ('['), and returns the index after its ']', or
// npos when the set is not closed (the '[' is then an ordinary character, as in the shell).
std::size_t match_set(std::string_view pattern, std::size_t at, char c, bool& matched) {
    std::size_t i = at + 1;
    bool negate = false;
    if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
        negate = true;
        ++i;
    }
    bool found = false;
    bool first = true;
    for (; i < pattern.size(); ++i) {
        if (pattern[i] == ']' && !first) {
            matched = found != negate;
            return i + 1;
        }
        first = false;
        const unsigned char low = static_cast<unsigned char>(pattern[i]);
        if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
            const unsigned char high = static_cast<unsigned char>(pattern[i + 2]);
            const unsigned char u = static_cast<unsigned char>(c);
            found = found || (low <= u && u <= high);
            i += 2;
        } else {
            found = found || low == static_cast<unsigned char>(c);
        }
    }
    return std::string_view::npos;
}

} // namespace

bool glob_matches(std::string_view pattern, std::string_view name) {
    if (!name.empty() && name.front() == '.' && (pattern.empty() || pattern.front() != '.'))
        return false;
    // Backtracking over the last '*' only: linear in practice, never exponential.
    std::size_t p = 0, n = 0;
    std::size_t star_p = std::string_view::npos, star_n = 0;
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
            if (c == '[') {
                bool matched = false;
                const std::size_t after = match_set(pattern, p, name[n], matched);
                if (after != std::string_view::npos) {
                    if (matched) {
                        p = after;
                        ++n;
                        continue;
                    }
                } else if (name[n] == '[') {
                    ++p;
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
        if (star_p == std::string_view::npos)
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

} // namespace util
