// SPDX-License-Identifier: MIT
// The slug of a migration's name ("<id>_<slug>"): what the loader accepts, what `new` makes.
#pragma once

#include <string>
#include <string_view>

namespace strata::util {

// Whether `c` may appear in a slug: an ASCII letter, a digit, '_' or '-'.
bool is_slug_char(char c);

// Whether `text` is a slug: not empty, and made only of slug characters.
bool is_slug(std::string_view text);

// The slug `new` gives a description: lower case, Latin letters with accents written without
// them ("Café" -> "cafe", "ß" -> "ss"), every run of other characters than a-z and 0-9 turned
// into one '_', with no '_' at either end. "Create Users!" -> "create_users".
// Its result is always a slug (or empty when the description has no letter or digit).
std::string slugify(std::string_view description);

} // namespace strata::util
