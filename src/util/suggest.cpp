// SPDX-License-Identifier: MIT
#include "util/suggest.hpp"

#include <algorithm>

namespace strata::util {

// One row of the table at a time: each row needs only the one above it.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// A suggestion is only useful when it is plausibly what was meant: up to a third of the typed
// word's length in edits, but never fewer than 2 so that short typos still get one.
std::string closest_match(std::string_view word, const std::vector<std::string_view>& valid) {
    const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
    std::string_view best;
    std::size_t best_distance = limit + 1;
    for (std::string_view candidate : valid) {
        const std::size_t distance = edit_distance(word, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return std::string(best);
}

} // namespace strata::util
