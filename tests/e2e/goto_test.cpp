// SPDX-License-Identifier: MIT
// `strata goto` run as a real process: forwards or backwards to exactly one migration.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

} // namespace

TEST_SUITE("e2e_goto") {
    TEST_CASE("goto forwards applies up to the id without asking") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";

        auto r = run_strata({"goto", "core", "0002"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applying core 0001 (create users) ... ok (") != std::string::npos);
        CHECK(r.out.find("Applying core 0002 (create notes) ... ok (") != std::string::npos);
        CHECK(r.out.find("0003") == std::string::npos);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0002"}});
        CHECK(has_table(db, "notes"));
        CHECK_FALSE(has_table(db, "tags"));
    }

    TEST_CASE("goto backwards asks like backwards") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(db);

        SUBCASE("no terminal and no --yes: refused, nothing changed") {
            auto r = run_strata({"goto", "core", "0001"}, in_dir(dir.path()));
            CHECK(r.exit_code == 1);
            CHECK(r.err.find("standard input is not a terminal") != std::string::npos);
            CHECK(r.err.find("--yes") != std::string::npos);
            CHECK(before.unchanged());
        }
        SUBCASE("declined on a terminal: nothing changed") {
            RunOptions opts = in_dir(dir.path());
            opts.env.emplace_back("NO_COLOR", "1");
            auto r = run_strata_in_terminal({"goto", "core", "0001"}, "n", opts);
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 1);
            CHECK(r.err.find("Reverse 2 migrations? [y/N] ") != std::string::npos);
            CHECK(r.out.find("Not proceeding.") != std::string::npos);
            CHECK(before.unchanged());
        }
        SUBCASE("with --yes: reverses everything after the id, newest first") {
            auto r = run_strata({"goto", "core", "0001", "--yes"}, in_dir(dir.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            auto third = r.out.find("Reversing core 0003 (add tags) ... ok (");
            auto second = r.out.find("Reversing core 0002 (create notes) ... ok (");
            CHECK(third != std::string::npos);
            CHECK(second != std::string::npos);
            CHECK(third < second);
            CHECK(r.out.find("Reversed 2 migrations.") != std::string::npos);
            CHECK(migration_rows(db) == Rows{{"core", "0001"}});
            CHECK(has_table(db, "users"));
            CHECK_FALSE(has_table(db, "notes"));
        }
    }

    TEST_CASE("goto APP 0 reverses everything") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);

        auto r = run_strata({"goto", "core", "0", "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Reversed 3 migrations.") != std::string::npos);
        CHECK(migration_rows(db).empty());
        CHECK(table_names(db) == std::vector<std::string>{"migrations"});
    }

    TEST_CASE("goto APP 0 also reverses a migration whose id is 0000") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back(
            {"core",
             {{"0000", "init", "CREATE TABLE settings (k, v);\n", "DROP TABLE settings;\n"},
              {"0001", "create_users", "CREATE TABLE users (id);\n", "DROP TABLE users;\n"}},
             {},
             {}});
        write_project(dir.path(), project);
        auto db = dir / "app.db";
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        REQUIRE(migration_rows(db) == Rows{{"core", "0000"}, {"core", "0001"}});

        auto r = run_strata({"goto", "core", "0", "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Reversing core 0000 (init) ... ok (") != std::string::npos);
        CHECK(r.out.find("Reversed 2 migrations.") != std::string::npos);
        CHECK(migration_rows(db).empty());
        CHECK_FALSE(has_table(db, "settings"));

        // Nothing left to reverse: said so, exit 0.
        r = run_strata({"goto", "core", "0", "--yes"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("App core has no applied migrations") != std::string::npos);

        // The migration whose id is 0 is named by its full name.
        r = run_strata({"goto", "core", "0000_init"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(db) == Rows{{"core", "0000"}});
    }

    TEST_CASE("goto the current migration does nothing and exits 0") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";
        REQUIRE(run_strata({"forwards", "core", "0002"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(db);

        auto r = run_strata({"goto", "core", "0002"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applying") == std::string::npos);
        CHECK(r.out.find("Reversing") == std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("goto an unknown id exits 1 and changes nothing") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";
        REQUIRE(run_strata({"forwards", "core", "1"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(db);

        auto r = run_strata({"goto", "core", "0009", "--yes"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.rfind("strata: error: ", 0) == 0);
        CHECK(r.err.find("0009") != std::string::npos);
        CHECK(before.unchanged());
    }
}
