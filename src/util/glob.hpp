// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

namespace strata::util {

// Whether `name` (one path component) matches `pattern` as a shell matches a file name: `*` any
// run of characters, `?` one character, `[abc]`, `[a-z]` and `[!abc]` one of (or none of) a
// set; `\` makes the next character literal. A leading dot must be matched by a literal dot.
bool glob_matches(std::string_view pattern, std::string_view name);

// Whether `component` holds a character glob_matches treats specially (`*`, `?`, `[`, `\`).
bool has_glob_characters(std::string_view component);

} // namespace strata::util
