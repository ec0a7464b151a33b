// SPDX-License-Identifier: MIT
#include "util/slug.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace strata::util {

namespace {

// slugify keeps only these, a subset of the slug characters, so that names it makes look
// alike; the loader accepts more because people name files by hand too.
bool is_slugify_kept(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// The Latin letters with diacritics (Latin-1 Supplement and Latin Extended-A, U+00C0 to
// U+017F) as the ASCII letters a reader would write instead, lower case. "" for the two
// symbols in that block (multiplication and division signs).
struct Transliteration {
    char32_t first;
    char32_t last;
    std::string_view ascii;
};

constexpr std::array<Transliteration, 50> k_transliterations{{
    {0xC0, 0xC5, "a"},   {0xC6, 0xC6, "ae"},   {0xC7, 0xC7, "c"},   {0xC8, 0xCB, "e"},
    {0xCC, 0xCF, "i"},   {0xD0, 0xD0, "d"},    {0xD1, 0xD1, "n"},   {0xD2, 0xD6, "o"},
    {0xD7, 0xD7, ""},    {0xD8, 0xD8, "o"},    {0xD9, 0xDC, "u"},   {0xDD, 0xDD, "y"},
    {0xDE, 0xDE, "th"},  {0xDF, 0xDF, "ss"},   {0xE0, 0xE5, "a"},   {0xE6, 0xE6, "ae"},
    {0xE7, 0xE7, "c"},   {0xE8, 0xEB, "e"},    {0xEC, 0xEF, "i"},   {0xF0, 0xF0, "d"},
    {0xF1, 0xF1, "n"},   {0xF2, 0xF6, "o"},    {0xF7, 0xF7, ""},    {0xF8, 0xF8, "o"},
    {0xF9, 0xFC, "u"},   {0xFD, 0xFD, "y"},    {0xFE, 0xFE, "th"},  {0xFF, 0xFF, "y"},
    {0x100, 0x105, "a"}, {0x106, 0x10D, "c"},  {0x10E, 0x111, "d"}, {0x112, 0x11B, "e"},
    {0x11C, 0x123, "g"}, {0x124, 0x127, "h"},  {0x128, 0x131, "i"}, {0x132, 0x133, "ij"},
    {0x134, 0x135, "j"}, {0x136, 0x138, "k"},  {0x139, 0x142, "l"}, {0x143, 0x14B, "n"},
    {0x14C, 0x151, "o"}, {0x152, 0x153, "oe"}, {0x154, 0x159, "r"}, {0x15A, 0x161, "s"},
    {0x162, 0x167, "t"}, {0x168, 0x173, "u"},  {0x174, 0x175, "w"}, {0x176, 0x178, "y"},
    {0x179, 0x17E, "z"}, {0x17F, 0x17F, "s"},
}};

// The ASCII for the two-byte UTF-8 sequence at text[i] (advancing i past it), or nullopt when
// it is not one of the letters above.
std::optional<std::string_view> transliterate(std::string_view text, std::size_t& i) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0xC2 || lead > 0xDF || i + 1 >= text.size())
        return std::nullopt;
    const auto next = static_cast<unsigned char>(text[i + 1]);
    if ((next & 0xC0) != 0x80)
        return std::nullopt;
    const char32_t code = (static_cast<char32_t>(lead & 0x1F) << 6) | (next & 0x3F);
    for (const Transliteration& entry : k_transliterations)
        if (code >= entry.first && code <= entry.last) {
            ++i;
            return entry.ascii;
        }
    return std::nullopt;
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
    auto keep = [&](char c) {
        if (pending_separator && !slug.empty())
            slug += '_';
        pending_separator = false;
        slug += c;
    };
    for (std::size_t i = 0; i < description.size(); ++i) {
        const char raw = description[i];
        // "café" is "cafe", not "caf": the letter stays, without its accent.
        if (std::optional<std::string_view> ascii = transliterate(description, i)) {
            if (ascii->empty())
                pending_separator = true;
            for (char c : *ascii)
                keep(c);
            continue;
        }
        const char c = (raw >= 'A' && raw <= 'Z') ? static_cast<char>(raw - 'A' + 'a') : raw;
        if (!is_slugify_kept(c)) {
            pending_separator = true;
            continue;
        }
        keep(c);
    }
    return slug;
}

} // namespace strata::util
