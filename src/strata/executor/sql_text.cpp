// SPDX-License-Identifier: MIT
#include "strata/executor/sql_text.hpp"

#include "util/text.hpp"

#include <cctype>
#include <cstddef>
#include <string_view>

namespace strata {

void TextPosition::advance_to(const char* to) {
    for (; m_at < to; ++m_at) {
        if (*m_at == '\n') {
            ++m_line;
            m_column = 1;
        } else if ((static_cast<unsigned char>(*m_at) & 0xC0) != 0x80) {
            ++m_column; // count characters, not UTF-8 continuation bytes
        }
    }
}

std::string_view line_at(const char* begin, const char* end, const char* at) {
    const char* first = at;
    while (first > begin && first[-1] != '\n')
        --first;
    const char* last = at;
    while (last < end && *last != '\n')
        ++last;
    if (last > first && last[-1] == '\r')
        --last;
    return {first, static_cast<std::size_t>(last - first)};
}

// SQLite treats white space and comments before a statement as part of it; skipping them gives
// the statement's own position for messages.
const char* skip_blank(const char* at, const char* end) {
    while (at < end) {
        if (std::isspace(static_cast<unsigned char>(*at))) {
            ++at;
        } else if (at + 1 < end && at[0] == '-' && at[1] == '-') {
            while (at < end && *at != '\n')
                ++at;
        } else if (at + 1 < end && at[0] == '/' && at[1] == '*') {
            at += 2;
            while (at + 1 < end && !(at[0] == '*' && at[1] == '/'))
                ++at;
            at = at + 1 < end ? at + 2 : end;
        } else {
            break;
        }
    }
    return at;
}

// SQLite reads a comment that never ends to the end of the text, so everything after it would
// be skipped without a word; the runner refuses such text before running any of it.
const char* unterminated_comment(const char* at, const char* end) {
    while (at < end) {
        const char c = *at;
        if (c == '\'' || c == '"' || c == '`' || c == '[') {
            const char close = c == '[' ? ']' : c;
            for (++at; at < end && *at != close; ++at) {
            }
            ++at; // past the closing quote (a doubled quote just reopens the literal)
        } else if (c == '-' && at + 1 < end && at[1] == '-') {
            while (at < end && *at != '\n')
                ++at;
        } else if (c == '/' && at + 1 < end && at[1] == '*') {
            const char* start = at;
            for (at += 2; at + 1 < end && !(at[0] == '*' && at[1] == '/'); ++at) {
            }
            if (at + 1 >= end)
                return start;
            at += 2;
        } else {
            ++at;
        }
    }
    return nullptr;
}

// VACUUM has no authorizer action, so it is recognised by its leading keyword; a longer word
// such as "vacuumed" is not the keyword.
bool is_vacuum(const char* at, const char* end) {
    constexpr std::string_view keyword = "vacuum";
    if (!util::starts_with_ignoring_ascii_case(
            std::string_view(at, static_cast<std::size_t>(end - at)), keyword))
        return false;
    const char* after = at + keyword.size();
    return after == end || !(std::isalnum(static_cast<unsigned char>(*after)) || *after == '_');
}

} // namespace strata
