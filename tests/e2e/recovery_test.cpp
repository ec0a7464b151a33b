// SPDX-License-Identifier: MIT
// Read-only commands after a crash: a hot journal is rolled back, not blamed on permissions.
#include "core/api/managers.hpp"
#include "core/project/project.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;

namespace {

// A standard project with its three migrations applied, and `crashed.db` beside it: the same
// database as a crash in the middle of a transaction that filled a table left it.
std::filesystem::path write_crashed_project(const TempDir& dir) {
    write_standard_project(dir.path());
    auto r = run_strata({"forwards"}, in_dir(dir.path()));
    REQUIRE(r.exit_code == 0);
    execute_sql(dir / "app.db", "CREATE TABLE filler (x BLOB);");
    copy_mid_transaction(dir / "app.db", dir / "crashed.db",
                         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i "
                         "< 400) INSERT INTO filler SELECT randomblob(4000) FROM n;");
    REQUIRE(file_exists(dir / "crashed.db-journal"));
    return dir / "crashed.db";
}

} // namespace

TEST_SUITE("e2e_recovery") {
    TEST_CASE("check, schema and --preview work after a crash left a hot journal") {
        TempDir dir;
        const auto crashed = write_crashed_project(dir);
        std::vector<std::string> args;
        SUBCASE("check") {
            args = {"--database", "crashed.db", "check", "--exit-code"};
        }
        SUBCASE("schema") {
            args = {"--database", "crashed.db", "schema"};
        }
        SUBCASE("backwards --preview") {
            args = {"--database", "crashed.db", "backwards", "core", "--preview"};
        }
        auto r = run_strata(args, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
        // The interrupted transaction was rolled back: the journal is gone, the rows it was
        // adding are not there, and the applied migrations are as before the crash.
        CHECK_FALSE(file_exists(dir / "crashed.db-journal"));
        CHECK(query_int(crashed, "SELECT count(*) FROM filler") == 0);
        CHECK(migration_rows(crashed).size() == 3);
        CHECK(query_text(crashed, "PRAGMA integrity_check") == "ok");
    }

    TEST_CASE("the library's status call works after a crash left a hot journal") {
        TempDir dir;
        const auto crashed = write_crashed_project(dir);
        strata::Project project =
            strata::load_project(dir / "strata.toml", strata::process_environment());
        project.database = crashed;
        strata::Context context{project};
        const auto statuses = strata::CheckMigrationManager(context).get_migration_statuses();
        CHECK(statuses.size() == 3);
        for (const auto& status : statuses)
            CHECK(status.state == strata::MigrationState::Applied);
        CHECK_FALSE(file_exists(dir / "crashed.db-journal"));
    }

    TEST_CASE("a read-only command opened read-write for recovery still writes nothing") {
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards", "core", "1"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(dir / "app.db");
        for (const char* command : {"check", "schema"}) {
            auto r = run_strata({command}, in_dir(dir.path()));
            INFO(command << " stderr: " << r.err);
            CHECK(r.exit_code == 0);
        }
        auto preview = run_strata({"forwards", "--preview"}, in_dir(dir.path()));
        CHECK(preview.exit_code == 0);
        CHECK(before.unchanged());
    }
}
