// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

namespace strata {

// Line and column (in characters, not UTF-8 bytes) of a point in SQL text, kept while a reader
// moves forward through it, so finding each statement's position costs only the characters
// between statements.
class TextPosition {
  public:
    // `begin` is the start of the text; its first character is at (first_line, column 1).
    TextPosition(const char* begin, int first_line) : m_at(begin), m_line(first_line) {}

    // Moves forward to `to`, which must not be before the current point.
    void advance_to(const char* to);
    int line() const { return m_line; }
    int column() const { return m_column; }

  private:
    const char* m_at;
    int m_line;
    int m_column = 1;
};

// The line of [begin, end) that `at` is on, without its line break ("\n" or "\r\n").
std::string_view line_at(const char* begin, const char* end, const char* at);

// The first character in [at, end) that is neither white space nor inside an SQL comment
// (-- to the end of the line, /* */), or `end`.
const char* skip_blank(const char* at, const char* end);

// Where a /* comment that is never closed starts in [at, end), or nullptr. Comment markers
// inside quotes ('', "", ``) and brackets ([]) do not count.
const char* unterminated_comment(const char* at, const char* end);

// Whether the statement starting at `at` begins with the keyword VACUUM (any case).
bool is_vacuum(const char* at, const char* end);

} // namespace strata
