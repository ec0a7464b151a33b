// SPDX-License-Identifier: MIT
#include "strata/error.hpp"

#include <doctest/doctest.h>

using strata::Error;
using strata::ErrorKind;
using strata::SourceLocation;

TEST_SUITE("error") {
    TEST_CASE("SourceLocation::to_string shows only what is known") {
        CHECK(SourceLocation{"/x/strata.toml", 3, 7}.to_string() == "/x/strata.toml:3:7");
        CHECK(SourceLocation{"/x/strata.toml", 3, 0}.to_string() == "/x/strata.toml:3");
        CHECK(SourceLocation{"/x/strata.toml", 0, 0}.to_string() == "/x/strata.toml");
        // A column without a line means nothing, so it is left out.
        CHECK(SourceLocation{"/x/strata.toml", 0, 5}.to_string() == "/x/strata.toml");
    }

    TEST_CASE("Error::what puts the location first and the hint on its own line") {
        Error error(ErrorKind::ProjectFile, "unknown key \"databse\"", {"/x/strata.toml", 3, 1},
                    "did you mean \"database\"?");
        CHECK(std::string(error.what()) ==
              "/x/strata.toml:3:1: unknown key \"databse\"\n  hint: did you mean \"database\"?");
        CHECK(error.kind() == ErrorKind::ProjectFile);
        CHECK(error.message() == "unknown key \"databse\"");
        CHECK(error.where().line == 3);
        CHECK(error.hint() == "did you mean \"database\"?");
    }

    TEST_CASE("Error::what without a location or hint is just the message") {
        Error error(ErrorKind::Usage, "unknown app \"x\"");
        CHECK(std::string(error.what()) == "unknown app \"x\"");
        CHECK(error.where().path.empty());
        CHECK(error.hint().empty());
    }

    TEST_CASE("Error::what with a hint but no location") {
        Error error(ErrorKind::Refused, "standard input is not a terminal", {}, "pass --yes");
        CHECK(std::string(error.what()) == "standard input is not a terminal\n  hint: pass --yes");
    }

    TEST_CASE("Error::what with a file but no line") {
        Error error(ErrorKind::ProjectFile, "project file not found", {"strata.toml"});
        CHECK(std::string(error.what()) == "strata.toml: project file not found");
    }

    TEST_CASE("with_sqlite_code records SQLite's code and leaves the text alone") {
        Error error(ErrorKind::Busy, "database is locked");
        CHECK_FALSE(error.sqlite_code().has_value());
        error.with_sqlite_code(5);
        REQUIRE(error.sqlite_code().has_value());
        CHECK(*error.sqlite_code() == 5);
        CHECK(std::string(error.what()) == "database is locked");
    }
}
