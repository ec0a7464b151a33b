// SPDX-License-Identifier: MIT
// The text rules every file strata reads follows: UTF-8, no NUL byte, an optional BOM.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace strata::util {

// The UTF-8 byte order mark some editors write at the start of a file.
inline constexpr std::string_view k_utf8_bom = "\xEF\xBB\xBF";

// `text` without a leading BOM (a BOM further in is content and stays).
std::string_view without_bom(std::string_view text);

// Length of the well-formed UTF-8 sequence starting at text[i] (1 to 4), or 0 when it is
// ill-formed: a stray continuation byte, an overlong form, a surrogate, a code point above
// U+10FFFF or a sequence cut short by the end of the text.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// The first thing in a text that breaks the rules.
struct TextProblem {
    enum class Kind { InvalidUtf8, NulByte };
    Kind kind;
    std::size_t offset; // of the offending byte
    int line;           // 1-based
    int column;         // 1-based, counted in characters as editors show it
    unsigned char byte; // the offending byte
};

// The first byte of `text` that is not part of well-formed UTF-8, or a NUL byte, or nullopt
// when there is none. Callers strip a BOM first (without_bom) so columns match an editor's.
std::optional<TextProblem> find_text_problem(std::string_view text);

// "0x" and two upper-case hex digits: "0xC3".
std::string hex_byte(unsigned char byte);

// Whether `text` starts with `prefix`, ASCII letters compared without regard to case (as
// SQLite compares names and URI schemes); other bytes must be equal.
bool starts_with_ignoring_ascii_case(std::string_view text, std::string_view prefix);

// Whether `a` and `b` are equal, ASCII letters compared without regard to case.
bool equals_ignoring_ascii_case(std::string_view a, std::string_view b);

// A count and its noun, in the singular for exactly one: counted(1, "migration") is
// "1 migration", counted(2, "migration") "2 migrations". `plural` is for nouns that do not
// just take an "s" (counted(2, "entry", "entries")).
std::string counted(std::size_t count, std::string_view singular, std::string_view plural = {});

} // namespace strata::util
