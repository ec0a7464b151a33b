// SPDX-License-Identifier: MIT
#include "util/text.hpp"

#include <cstdint>
#include <cstring>

namespace strata::util {

std::string_view without_bom(std::string_view text) {
    if (text.starts_with(k_utf8_bom))
        text.remove_prefix(k_utf8_bom.size());
    return text;
}

// The ranges are those of the Unicode standard's table of well-formed byte sequences, so
// overlong forms and surrogates are refused by the second byte's range, not after decoding.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    auto at = [&](std::size_t k) -> unsigned {
        return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0x100;
    };
    auto in = [](unsigned byte, unsigned low, unsigned high) {
        return byte >= low && byte <= high;
    };
    const unsigned lead = at(0);
    if (lead < 0x80)
        return 1;
    if (in(lead, 0xC2, 0xDF))
        return in(at(1), 0x80, 0xBF) ? 2 : 0;
    if (in(lead, 0xE0, 0xEF)) {
        const unsigned low = lead == 0xE0 ? 0xA0 : 0x80;  // E0 80..9F would be overlong
        const unsigned high = lead == 0xED ? 0x9F : 0xBF; // ED A0..BF would be a surrogate
        return in(at(1), low, high) && in(at(2), 0x80, 0xBF) ? 3 : 0;
    }
    if (in(lead, 0xF0, 0xF4)) {
        const unsigned low = lead == 0xF0 ? 0x90 : 0x80;  // F0 80..8F would be overlong
        const unsigned high = lead == 0xF4 ? 0x8F : 0xBF; // F4 90.. would pass U+10FFFF
        return in(at(1), low, high) && in(at(2), 0x80, 0xBF) && in(at(3), 0x80, 0xBF) ? 4 : 0;
    }
    return 0;
}

namespace {

// Whether `text` is ASCII without a NUL byte, as most SQL files are, looked at eight bytes at a
// time: such text has no problem, and its lines need no counting.
bool is_plain_ascii(std::string_view text) {
    constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
    constexpr std::uint64_t low_bits = 0x0101010101010101ULL;
    std::size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, text.data() + i, 8);
        // A byte of 0x80 or more, or (the classic test) a zero byte.
        if ((word & high_bits) != 0 || ((word - low_bits) & ~word & high_bits) != 0)
            return false;
    }
    for (; i < text.size(); ++i)
        if (const auto byte = static_cast<unsigned char>(text[i]); byte == 0 || byte >= 0x80)
            return false;
    return true;
}

} // namespace

std::optional<TextProblem> find_text_problem(std::string_view text) {
    if (is_plain_ascii(text))
        return std::nullopt;
    int line = 1;
    int column = 1;
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        // Plain ASCII, most of any SQL file, needs no sequence decoding.
        if (byte > 0 && byte < 0x80) {
            if (byte == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
            ++i;
            continue;
        }
        const std::size_t length = utf8_sequence_length(text, i);
        if (length == 0)
            return TextProblem{TextProblem::Kind::InvalidUtf8, i, line, column, byte};
        if (byte == 0)
            return TextProblem{TextProblem::Kind::NulByte, i, line, column, byte};
        if (byte == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
        i += length;
    }
    return std::nullopt;
}

std::string hex_byte(unsigned char byte) {
    static const char digits[] = "0123456789ABCDEF";
    return {'0', 'x', digits[byte >> 4], digits[byte & 0xF]};
}

bool starts_with_ignoring_ascii_case(std::string_view text, std::string_view prefix) {
    // Not tolower(): its answer depends on the locale, and names are compared as SQLite does.
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (text.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (lower(text[i]) != lower(prefix[i]))
            return false;
    return true;
}

bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && starts_with_ignoring_ascii_case(a, b);
}

std::string counted(std::size_t count, std::string_view singular, std::string_view plural) {
    std::string out = std::to_string(count) + ' ';
    if (count == 1)
        return out.append(singular);
    if (plural.empty())
        return out.append(singular).append("s");
    return out.append(plural);
}

} // namespace strata::util
