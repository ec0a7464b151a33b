// SPDX-License-Identifier: MIT
#include "util/slug.hpp"

#include <algorithm>

namespace strata::util {

namespace {

// slugify keeps only these, a subset of the slug characters, so that names it makes look
// alike; the loader accepts more because people name files by hand too.
bool is_slugify_kept(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

} // namespace

bool is_slug_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '-';
}

bool is_slug(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_slug_char);
}

std::string slugify(std::string_view description) {
    std::string slug;
    bool pending_separator = false;
    for (char raw : description) {
        const char c = (raw >= 'A' && raw <= 'Z') ? static_cast<char>(raw - 'A' + 'a') : raw;
        if (!is_slugify_kept(c)) {
            pending_separator = true;
            continue;
        }
        if (pending_separator && !slug.empty())
            slug += '_';
        pending_separator = false;
        slug += c;
    }
    return slug;
}

} // namespace strata::util
