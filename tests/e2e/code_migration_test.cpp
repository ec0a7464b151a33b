// SPDX-License-Identifier: MIT
// A database migrated by an application with a migration written in C++, then handled by the
// command line, which has no callbacks: check lists it as not runnable, and forwards, sync and
// backwards refuse before changing anything.
#include "strata/strata.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <stdexcept>

using namespace strata::test;

namespace {

// Writes a project whose app "core" has 0001 and 0003 as files, and migrates app.db as the
// application would: with 0002 written in C++ in between.
void migrate_as_the_application(const std::filesystem::path& root) {
    ProjectSpec project;
    project.apps.push_back(
        {"core",
         {{"0001", "create_users", "CREATE TABLE users (name TEXT);\n", "DROP TABLE users;\n"},
          {"0003", "create_tags", "CREATE TABLE tags (x);\n", "DROP TABLE tags;\n"}},
         {},
         {}});
    write_project(root, project);
    const strata::Project loaded =
        strata::load_project(root / "strata.toml", strata::process_environment());
    strata::Context context{loaded};
    context.code_migrations["core"] = {strata::CodeMigration{
        .id = strata::MigrationId("0002"),
        .name = "0002_seed_users",
        .version = "1",
        .up =
            [](sqlite3* db) {
                if (sqlite3_exec(db, "INSERT INTO users VALUES ('ada')", nullptr, nullptr,
                                 nullptr) != SQLITE_OK)
                    throw std::runtime_error(sqlite3_errmsg(db));
            },
    }};
    strata::ForwardsMigrationManager(context).run();
}

} // namespace

TEST_SUITE("e2e_code_migration") {
    TEST_CASE("check lists a C++ migration as not runnable from the command line") {
        TempDir dir;
        migrate_as_the_application(dir.path());
        const auto db = dir / "app.db";
        REQUIRE(query_text(db, "SELECT checksum FROM migrations WHERE name = '0002'") == "code:1");
        CHECK(query_int(db, "SELECT count(*) FROM users") == 1);

        const RunResult table = run_strata({"check"}, in_dir(dir.path()));
        CHECK(table.exit_code == 0);
        const auto lines = lines_of(table.out);
        REQUIRE(lines.size() == 4);
        CHECK(lines[2].find("0002") != std::string::npos);
        CHECK(lines[2].find("seed users") != std::string::npos);
        CHECK(lines[2].find("not runnable from the command line (C++, applied ") !=
              std::string::npos);

        // Applied by its application: not work left for CI.
        CHECK(run_strata({"check", "--exit-code"}, in_dir(dir.path())).exit_code == 0);

        const RunResult json = run_strata({"check", "--json"}, in_dir(dir.path()));
        CHECK(json.exit_code == 0);
        CHECK(count_of(json.out, "\"status\":\"not runnable\"") == 1);
        CHECK(count_of(json.out, "\"status\":\"applied\"") == 2);
    }

    TEST_CASE("forwards, sync and backwards from the command line refuse before running") {
        TempDir dir;
        migrate_as_the_application(dir.path());
        write_migration(dir / "migrations" / "core",
                        {"0004", "create_more", "CREATE TABLE more (x);\n", "DROP TABLE more;\n"});
        const auto db = dir / "app.db";
        FileSnapshot before(db);

        const RunResult forwards = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(forwards.exit_code == 2);
        CHECK(forwards.err.find("the database has applied migrations written in C++, which are "
                                "not runnable from the command line:\n  core 0002 (seed users)") !=
              std::string::npos);
        CHECK(forwards.err.find("migrate this database with the application that defines them") !=
              std::string::npos);

        const RunResult sync = run_strata({"sync", "--auto-agree"}, in_dir(dir.path()));
        CHECK(sync.exit_code == 1);
        CHECK(sync.err.find("reversing core 0002 (seed users) refused: it is a migration written "
                            "in C++ (checksum code:1) that this program does not have") !=
              std::string::npos);
        CHECK(sync.err.find("not runnable from the command line") != std::string::npos);

        const RunResult backwards =
            run_strata({"backwards", "core", "--steps", "2", "--auto-agree"}, in_dir(dir.path()));
        CHECK(backwards.exit_code == 1);
        CHECK(backwards.err.find("reversing core 0002 (seed users) refused") != std::string::npos);

        CHECK_FALSE(has_table(db, "more"));
        CHECK(has_table(db, "tags"));
        CHECK(query_int(db, "SELECT count(*) FROM migrations") == 3);
        CHECK(before.unchanged());
    }
}
