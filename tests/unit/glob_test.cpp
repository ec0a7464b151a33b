// SPDX-License-Identifier: MIT
// util::glob_matches, one row per rule, and expand_database_glob on a real folder.
#include "strata/api/many_databases.hpp"
#include "strata/error.hpp"
#include "support/temp_dir.hpp"
#include "util/glob.hpp"

#include <doctest/doctest.h>

using namespace strata;
using strata::test::TempDir;

TEST_SUITE("glob") {
    TEST_CASE("glob_matches: each rule") {
        struct Row {
            const char* pattern;
            const char* name;
            bool matches;
        };
        const Row rows[] = {
            {"*.db", "a.db", true},
            {"*.db", "a.db-wal", false},
            {"*.db", ".hidden.db", false},
            {".*.db", ".hidden.db", true},
            {"t?.db", "t1.db", true},
            {"t?.db", "t12.db", false},
            {"t[0-9].db", "t7.db", true},
            {"t[0-9].db", "tx.db", false},
            {"t[!0-9].db", "tx.db", true},
            {"t[!0-9].db", "t7.db", false},
            {"a\\*b", "a*b", true},
            {"a\\*b", "axb", false},
            {"*a*b*c", "xaybzc", true},
            {"*a*b*c", "xaybz", false},
            {"[ab", "[ab", true},
            {"", "", true},
            {"*", "", true},
            {"abc", "abd", false},
            {"[]]x", "]x", true},
            {"**", "anything", true},
        };
        for (const Row& row : rows) {
            CAPTURE(row.pattern);
            CAPTURE(row.name);
            CHECK(util::glob_matches(row.pattern, row.name) == row.matches);
        }
    }

    TEST_CASE("expand_database_glob: sorted regular files, wildcards in folders too") {
        TempDir dir;
        test::write_file(dir.path() / "east" / "b.db", "");
        test::write_file(dir.path() / "east" / "a.db", "");
        test::write_file(dir.path() / "west" / "c.db", "");
        test::write_file(dir.path() / "west" / "c.db-wal", "");
        std::filesystem::create_directories(dir.path() / "west" / "d.db");
        const auto found = expand_database_glob("*/*.db", dir.path());
        REQUIRE(found.size() == 3);
        CHECK(found[0] == dir.path() / "east" / "a.db");
        CHECK(found[1] == dir.path() / "east" / "b.db");
        CHECK(found[2] == dir.path() / "west" / "c.db");
        CHECK(expand_database_glob((dir.path() / "west" / "c.db").string(), "/nowhere").size() ==
              1);
        CHECK_THROWS_WITH_AS(expand_database_glob("north/*.db", dir.path()),
                             "no database file matches \"north/*.db\"\n  hint: quote the pattern "
                             "so that strata expands it, not the shell",
                             Error);
    }

    TEST_CASE("read_database_list: comments, blank lines, paths relative to the list") {
        TempDir dir;
        test::write_file(dir.path() / "lists" / "dbs.txt", "# tenants\n\n a.db \r\n/abs/b.db\n");
        const auto paths = read_database_list(dir.path() / "lists" / "dbs.txt");
        REQUIRE(paths.size() == 2);
        CHECK(paths[0] == (dir.path() / "lists" / "a.db").lexically_normal());
        CHECK(paths[1] == "/abs/b.db");
        test::write_file(dir.path() / "empty.txt", "# none\n");
        CHECK_THROWS_AS(read_database_list(dir.path() / "empty.txt"), Error);
    }
}
