// SPDX-License-Identifier: MIT
#include "strata/error.hpp"
#include "strata/project/toml_workaround.hpp"

#include <doctest/doctest.h>

#include <string>

using strata::Error;
using strata::ErrorKind;

namespace {

const std::string k_path = "p.toml";

// "line:column: message" of the error the check raises on `text`, or "accepted".
std::string verdict(std::string_view text) {
    try {
        strata::refuse_toml_parser_traps(text, k_path);
    } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::ProjectFile);
        CHECK(error.where().path == k_path);
        CHECK(error.hint() == "TOML allows non-ASCII text only inside quoted strings and comments");
        return std::to_string(error.where().line) + ":" + std::to_string(error.where().column) +
               ": " + error.message();
    }
    return "accepted";
}

const std::string k_outside = "non-ASCII character outside a string or comment";
const std::string k_after_backslash =
    "non-ASCII character after a backslash in a multi-line string";

} // namespace

TEST_SUITE("toml_workaround") {
    TEST_CASE("ASCII files and non-ASCII text in strings and comments are accepted") {
        CHECK(verdict("") == "accepted");
        CHECK(verdict("a = 1\n[t]\nb = \"x\"\n") == "accepted");
        CHECK(verdict("# caf\xc3\xa9\n") == "accepted");
        CHECK(verdict("a = 1 # caf\xc3\xa9\n") == "accepted");
        CHECK(verdict("a = \"caf\xc3\xa9\"\n") == "accepted");
        CHECK(verdict("a = 'caf\xc3\xa9'\n") == "accepted");
        CHECK(verdict("a = \"\"\"\ncaf\xc3\xa9\n\"\"\"\n") == "accepted");
        CHECK(verdict("a = '''\ncaf\xc3\xa9\n'''\n") == "accepted");
        // An escaped quote does not end a basic string.
        CHECK(verdict("a = \"x\\\"\xc3\xa9\"\n") == "accepted");
    }

    TEST_CASE("strings are recognised where a key or a value starts") {
        CHECK(verdict("\"k\xc3\xa9\" = 1\n") == "accepted");
        CHECK(verdict("a.\"k\xc3\xa9\" = 1\n") == "accepted");
        CHECK(verdict("[\"t\xc3\xa9\"]\n") == "accepted");
        CHECK(verdict("[[a.'t\xc3\xa9']]\n") == "accepted");
        CHECK(verdict("a = [\"\xc3\xa9\", '\xc3\xa9']\n") == "accepted");
        CHECK(verdict("a = [\n  \"\xc3\xa9\",\n  '\xc3\xa9',\n]\n") == "accepted");
        CHECK(verdict("t = { k = \"\xc3\xa9\", \"\xc3\xa9\" = 1 }\n") == "accepted");
        CHECK(verdict("t = {}\nu = \"\xc3\xa9\"\n") == "accepted");
    }

    TEST_CASE("non-ASCII text outside strings and comments is refused at its position") {
        CHECK(verdict("\xc3\xa9 = 1\n") == "1:1: " + k_outside);
        CHECK(verdict("[\xc3\x99\n") == "1:2: " + k_outside);
        CHECK(verdict("a = app\xd0\x80\n") == "1:8: " + k_outside);
        CHECK(verdict("t = { \xc3\xa9 = 1 }\n") == "1:7: " + k_outside);
        // Columns count characters, not bytes.
        CHECK(verdict("a = \"\xc3\xa9\xc3\xa9\" x\xc3\xa9\n") == "1:11: " + k_outside);
        CHECK(verdict("a = 1\n# \xc3\xa9\nb = \xc3\xa9\n") == "3:5: " + k_outside);
    }

    TEST_CASE("a quote inside a bare word does not start a string") {
        CHECK(verdict("a = x\"\xc3\xa9\"\n") == "1:7: " + k_outside);
        CHECK(verdict("a = 1=\"\xc3\xa9\"\n") == "1:8: " + k_outside);
    }

    TEST_CASE("an unterminated string ends at the end of its line") {
        CHECK(verdict("a = \"x\n\xc3\xa9 = 1\n") == "2:1: " + k_outside);
        CHECK(verdict("a = 'x\n\xc3\xa9 = 1\n") == "2:1: " + k_outside);
    }

    TEST_CASE("a byte order mark at the start is skipped and not counted") {
        CHECK(verdict("\xEF\xBB\xBF"
                      "a = 1\n") == "accepted");
        CHECK(verdict("\xEF\xBB\xBF\xc3\xa9 = 1\n") == "1:1: " + k_outside);
    }

    TEST_CASE("non-ASCII text after a line-ending backslash in a multi-line string is refused") {
        CHECK(verdict("s = \"\"\"\\\n\xc2\xa7\"\"\"\n") == "2:1: " + k_after_backslash);
        CHECK(verdict("s = \"\"\"x\\  \n\n   \xc2\xa7\"\"\"\n") == "3:4: " + k_after_backslash);
        // A backslash right before non-ASCII text is no valid escape either; refused the same way.
        CHECK(verdict("s = \"\"\"\\\xc2\xa7\"\"\"\n") == "1:9: " + k_after_backslash);
        // In a literal string a backslash is only a backslash.
        CHECK(verdict("s = '''\\\n\xc2\xa7'''\n") == "accepted");
        // An escaped quote does not end the string.
        CHECK(verdict("s = \"\"\"\\\"\xc2\xa7\"\"\"\n") == "accepted");
    }
}
