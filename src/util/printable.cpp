// SPDX-License-Identifier: MIT
#include "util/printable.hpp"

#include "util/text.hpp"

namespace strata::util {

namespace {

constexpr char k_hex[] = "0123456789abcdef";

void append_hex(std::string& out, unsigned byte) {
    out += k_hex[(byte >> 4) & 0xF];
    out += k_hex[byte & 0xF];
}

bool is_c0_or_del(unsigned char byte, Layout layout) {
    if (byte == '\n' || byte == '\t')
        return layout == Layout::OneLine;
    return byte < 0x20 || byte == 0x7F;
}

} // namespace

std::string printable(std::string_view text, Layout layout) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        const std::size_t length = utf8_sequence_length(text, i);
        if (length == 0 || (length == 1 && is_c0_or_del(byte, layout))) {
            out += "\\x";
            append_hex(out, byte);
            ++i;
            continue;
        }
        // U+0080..U+009F are C2 80..C2 9F in UTF-8.
        if (length == 2 && byte == 0xC2 && static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
            out += "\\u{";
            append_hex(out, static_cast<unsigned char>(text[i + 1]));
            out += '}';
            i += 2;
            continue;
        }
        out.append(text.substr(i, length));
        i += length;
    }
    return out;
}

} // namespace strata::util
