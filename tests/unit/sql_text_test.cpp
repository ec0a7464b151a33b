// SPDX-License-Identifier: MIT
#include "strata/executor/sql_text.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using strata::TextPosition;

namespace {

// skip_blank over the whole of `text`: the rest of the text from the first statement character.
std::string_view after_blank(std::string_view text) {
    const char* end = text.data() + text.size();
    const char* at = strata::skip_blank(text.data(), end);
    return {at, static_cast<std::size_t>(end - at)};
}

// The offset of the unclosed comment unterminated_comment finds in `text`, or -1.
long unclosed_at(std::string_view text) {
    const char* found = strata::unterminated_comment(text.data(), text.data() + text.size());
    return found == nullptr ? -1 : found - text.data();
}

bool vacuum(std::string_view text) {
    return strata::is_vacuum(text.data(), text.data() + text.size());
}

// "line:column" after advancing a position over all of `text`.
std::string end_of(std::string_view text, int first_line = 1) {
    TextPosition position(text.data(), first_line);
    position.advance_to(text.data() + text.size());
    return std::to_string(position.line()) + ":" + std::to_string(position.column());
}

} // namespace

TEST_SUITE("sql_text") {
    TEST_CASE("a position counts lines and characters, not bytes") {
        CHECK(end_of("") == "1:1");
        CHECK(end_of("abc") == "1:4");
        CHECK(end_of("abc\nde") == "2:3");
        CHECK(end_of("abc\n") == "2:1");
        CHECK(end_of("a\n\nb", 10) == "12:2");
        CHECK(end_of("caf\xc3\xa9") == "1:5");                        // 2-byte character
        CHECK(end_of("\xe2\x82\xac x") == "1:4");                     // 3-byte character
        CHECK(end_of("\xf0\x9f\x98\x80\n\xf0\x9f\x98\x80") == "2:2"); // 4-byte characters
        CHECK(end_of("'\xc3\xa9t\xc3\xa9'\r\n  x") == "2:4");
    }

    TEST_CASE("a position advanced in steps ends where one advance would") {
        const std::string_view text = "SELECT 1;\n-- caf\xc3\xa9\nSELECT '\xc3\xa9';";
        TextPosition position(text.data(), 1);
        for (std::size_t i = 0; i <= text.size(); ++i)
            position.advance_to(text.data() + i);
        CHECK(std::to_string(position.line()) + ":" + std::to_string(position.column()) ==
              end_of(text));
        // Advancing to where it already is changes nothing.
        position.advance_to(text.data() + text.size());
        CHECK(position.line() == 3);
        CHECK(position.column() == 12);
    }

    TEST_CASE("skip_blank skips white space and comments, and stops at a statement") {
        CHECK(after_blank("SELECT 1") == "SELECT 1");
        CHECK(after_blank(" \t\r\n SELECT 1") == "SELECT 1");
        CHECK(after_blank("-- a comment\nSELECT 1") == "SELECT 1");
        CHECK(after_blank("/* a\ncomment */SELECT 1") == "SELECT 1");
        CHECK(after_blank("  -- one\n /* two */ -- three\n\tSELECT 1 -- four") ==
              "SELECT 1 -- four");
        CHECK(after_blank("/**/x") == "x");
        CHECK(after_blank("/* a * / b */x") == "x");
        // A lone '-' or '/' starts no comment.
        CHECK(after_blank("-1") == "-1");
        CHECK(after_blank("/x") == "/x");
        CHECK(after_blank(" -") == "-");
        // Only blanks: the end of the text.
        CHECK(after_blank("") == "");
        CHECK(after_blank("  \n-- last line") == "");
        CHECK(after_blank("/* never closed") == "");
        CHECK(after_blank("/*/") == "");
    }

    TEST_CASE("unterminated_comment finds a /* comment that is never closed") {
        CHECK(unclosed_at("") == -1);
        CHECK(unclosed_at("SELECT 1;") == -1);
        CHECK(unclosed_at("/* closed */ SELECT 1;") == -1);
        CHECK(unclosed_at("/**/") == -1);
        CHECK(unclosed_at("/* never") == 0);
        CHECK(unclosed_at("/*/") == 0);
        CHECK(unclosed_at("SELECT 1; /* a */ SELECT 2; /* b") == 28);
        CHECK(unclosed_at("SELECT 1 /* a * / b") == 9);
    }

    TEST_CASE("comment markers inside quotes, brackets and line comments do not count") {
        CHECK(unclosed_at("SELECT '/*';") == -1);
        CHECK(unclosed_at("SELECT \"/*\" FROM t;") == -1);
        CHECK(unclosed_at("SELECT `/*` FROM t;") == -1);
        CHECK(unclosed_at("SELECT [/*] FROM t;") == -1);
        CHECK(unclosed_at("SELECT 1; -- /* not a comment start\nSELECT 2;") == -1);
        // A doubled quote closes and reopens the literal: still inside it.
        CHECK(unclosed_at("SELECT 'it''s /* here';") == -1);
        // A bracket closes only with ']', so a quote inside it opens nothing.
        CHECK(unclosed_at("SELECT [a'b] /* x") == 13);
        // A quote inside a closed comment opens nothing either.
        CHECK(unclosed_at("/* it's */ SELECT 1; /* x") == 21);
        // A quote never closed runs to the end: that is SQLite's error to report, not this.
        CHECK(unclosed_at("SELECT 'abc /* x") == -1);
    }

    TEST_CASE("is_vacuum matches the keyword, in any case, as a whole word") {
        CHECK(vacuum("VACUUM"));
        CHECK(vacuum("vacuum;"));
        CHECK(vacuum("Vacuum main;"));
        CHECK(vacuum("VACUUM\n"));
        CHECK(vacuum("VACUUM INTO 'copy.db';"));
        CHECK(vacuum("vacuum/* c */;"));
        CHECK_FALSE(vacuum("vacuumed"));
        CHECK_FALSE(vacuum("vacuum_log;"));
        CHECK_FALSE(vacuum("VACUUM2"));
        CHECK_FALSE(vacuum("VACUU"));
        CHECK_FALSE(vacuum(""));
        CHECK_FALSE(vacuum(" VACUUM")); // the runner skips blanks first
        CHECK_FALSE(vacuum("ANALYZE"));
        CHECK_FALSE(vacuum("SELECT 'VACUUM'"));
        // The end of the range ends the word, whatever follows it in memory.
        const std::string_view text = "vacuumed";
        CHECK(strata::is_vacuum(text.data(), text.data() + 6));
        CHECK_FALSE(strata::is_vacuum(text.data(), text.data() + 5));
    }
}
