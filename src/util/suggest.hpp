// SPDX-License-Identifier: MIT
// "Did you mean ...?": the closest of a set of valid words to one that was mistyped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace strata::util {

// Levenshtein distance: the fewest single-character insertions, deletions and substitutions
// that turn `a` into `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The entry of `valid` closest to `word`, or "" when none is within max(2, word's length / 3)
// edits. Ties go to the earlier entry, so callers state their preference by order.
std::string closest_match(std::string_view word, const std::vector<std::string_view>& valid);

} // namespace strata::util
