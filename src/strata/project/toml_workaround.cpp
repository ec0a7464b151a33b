// SPDX-License-Identifier: MIT
#include "strata/project/toml_workaround.hpp"

#include "strata/error.hpp"

#include <algorithm>

// Why this file exists, and when it can go.
//
// toml++ asks "is this character white space?" through is_non_ascii_horizontal_whitespace(),
// which reaches TOML_UNREACHABLE (__builtin_unreachable: undefined behaviour, in practice a
// crash or a wrong parse) for U+00A1..U+0499 and for U+2C5E..U+3057 except U+3000. It asks that
// question of any non-ASCII character outside a string or comment, and of the first character
// after a line-ending backslash in a multi-line basic string (upstream issues #190 and #295).
// Affected: every release up to 3.4.0 at least, so both toml++ builds strata uses, Debian 12's
// 3.3.0 and the WrapDB fallback 3.4.0. Upstream fixed the lookup after 3.4.0 (pull request #305).
//
// TOML allows non-ASCII text only inside strings and comments, so refusing it elsewhere costs
// no valid file; the one valid form refused is a multi-line string whose text goes on, after a
// line-ending backslash, with a non-ASCII character. Once strata's minimum toml++ contains the
// fix, delete this file and its call in project.cpp, and check that the inputs in
// tests/reliability/fuzz/regressions/project still give errors (tests/reliability/fuzz/run.sh
// replays them under UBSan).

namespace strata {

namespace {

// The scan follows TOML's structure only as far as needed to know where a string starts: at
// the start of a key (a line, a table header, a dotted key's next part, an inline table's next
// key) or of a value (after '=', in an array). Anywhere else a quote is part of a bare word, as
// toml++ reads it too.
class TomlCharacterCheck {
  public:
    TomlCharacterCheck(std::string_view text, const std::string& path)
        : m_text(text), m_path(path) {}

    void run() {
        std::size_t i = m_text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
        while (i < m_text.size())
            i = advance(i, step(i));
    }

  private:
    enum class State { Outside, Comment, Basic, Literal, MultiBasic, MultiLiteral };

    static bool non_ascii(char c) { return (static_cast<unsigned char>(c) & 0x80) != 0; }
    char at(std::size_t i) const { return i < m_text.size() ? m_text[i] : '\0'; }

    // How many bytes the character (or construct) at i takes; fails on a character toml++ cannot be
    // trusted with.
    std::size_t step(std::size_t i) {
        const char c = m_text[i];
        switch (m_state) {
        case State::Outside:
            return outside(i, c);
        case State::Comment:
            if (c == '\n')
                end_of_line();
            return 1;
        case State::Basic:
        case State::Literal:
            if (c == '\\' && m_state == State::Basic)
                return 2;
            if (c == '\n') { // an unterminated string: toml++ stops here
                end_of_line();
            } else if (c == (m_state == State::Basic ? '"' : '\'')) {
                m_state = State::Outside;
                m_token_start = false;
            }
            return 1;
        case State::MultiBasic:
        case State::MultiLiteral: {
            const char quote = m_state == State::MultiBasic ? '"' : '\'';
            if (c == quote && at(i + 1) == quote && at(i + 2) == quote) {
                std::size_t n = 3;
                while (at(i + n) == quote)
                    ++n;
                m_state = State::Outside;
                m_token_start = false;
                return n;
            }
            if (c == '\\' && m_state == State::MultiBasic) {
                std::size_t j = i + 1;
                while (at(j) == ' ' || at(j) == '\t' || at(j) == '\r' || at(j) == '\n')
                    ++j;
                if (j < m_text.size() && non_ascii(m_text[j])) {
                    advance(i, j - i);
                    fail("non-ASCII character after a backslash in a multi-line string");
                }
                return j == i + 1 ? 2 : j - i;
            }
            return 1;
        }
        }
        return 1;
    }

    std::size_t outside(std::size_t i, char c) {
        if (c == '#') {
            m_state = State::Comment;
        } else if (c == '\n') {
            end_of_line();
        } else if (c == ' ' || c == '\t' || c == '\r') {
            // white space neither starts nor ends a token's right to start a string
        } else if ((c == '"' || c == '\'') && m_token_start) {
            const bool multi = at(i + 1) == c && at(i + 2) == c;
            m_state = c == '"' ? (multi ? State::MultiBasic : State::Basic)
                               : (multi ? State::MultiLiteral : State::Literal);
            return multi ? 3 : 1;
        } else if (non_ascii(c)) {
            fail("non-ASCII character outside a string or comment");
        } else if (!m_in_value) {
            key_character(c);
        } else {
            value_character(c);
        }
        return 1;
    }

    void key_character(char c) {
        if (c == '=') {
            m_in_value = true;
            m_token_start = true;
        } else if (c == '}' && !m_open.empty() && m_open.back() == '{') { // an empty {}
            m_open.pop_back();
            m_in_value = true;
            m_token_start = false;
        } else {
            m_token_start = c == '.' || c == '[' || c == ',';
        }
    }

    void value_character(char c) {
        if (m_token_start && (c == '[' || c == '{')) {
            m_open.push_back(c);
            m_in_value = c == '['; // an inline table starts with a key
        } else if (c == ',' && !m_open.empty()) {
            m_in_value = m_open.back() == '[';
            m_token_start = true;
        } else if ((c == ']' || c == '}') && !m_open.empty()) {
            m_open.pop_back();
            m_token_start = false;
        } else {
            m_token_start = false;
        }
    }

    void end_of_line() {
        m_state = State::Outside;
        if (m_open.empty()) {
            m_in_value = false;
            m_token_start = true;
        }
    }

    // Moves past n bytes from i, keeping the line and the column (in characters) for messages.
    std::size_t advance(std::size_t i, std::size_t n) {
        for (const std::size_t end = std::min(i + n, m_text.size()); i < end; ++i) {
            if (m_text[i] == '\n') {
                ++m_line;
                m_column = 1;
            } else if ((static_cast<unsigned char>(m_text[i]) & 0xC0) != 0x80) {
                ++m_column;
            }
        }
        return i;
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw Error(ErrorKind::ProjectFile, what, SourceLocation{m_path, m_line, m_column},
                    "TOML allows non-ASCII text only inside quoted strings and comments");
    }

    std::string_view m_text;
    const std::string& m_path;
    State m_state = State::Outside;
    bool m_in_value = false;   // reading a value (after '='), else a key
    bool m_token_start = true; // a key or value may start here (so may a string)
    std::string m_open;        // the arrays ('[') and inline tables ('{') being read
    int m_line = 1;
    int m_column = 1;
};

} // namespace

void refuse_toml_parser_traps(std::string_view text, const std::string& path) {
    TomlCharacterCheck(text, path).run();
}

} // namespace strata
