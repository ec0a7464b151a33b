// SPDX-License-Identifier: MIT
// Read-only commands after a crash: a hot journal is rolled back, not blamed on permissions.
#include "strata/api/managers.hpp"
#include "strata/project/project.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

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

constexpr unsigned k_nobody = 65534;

// Runs strata as uid/gid 65534 in `dir`: permissions are checked for it, as they are not for
// root. The test folder is opened up so that the user can reach it.
RunResult run_as_nobody(const TempDir& dir, const std::vector<std::string>& args) {
    ::chmod(dir.path().c_str(), 0755);
    RunOptions opts = in_dir(dir.path());
    opts.user_id = k_nobody;
    return run_strata(args, opts);
}

void give_to_nobody(const std::filesystem::path& path) {
    REQUIRE(::chown(path.c_str(), k_nobody, k_nobody) == 0);
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

    TEST_CASE("a hot journal this user cannot roll back is named, with its owner and a remedy") {
        if (::geteuid() != 0) {
            MESSAGE("skipped: switching to another user needs root");
            return;
        }
        TempDir dir;
        const auto crashed = write_crashed_project(dir);
        const std::string journal = crashed.string() + "-journal";
        FileSnapshot database(crashed);
        FileSnapshot journal_before(journal);
        std::vector<std::string> expected;

        SUBCASE("everything belongs to root") {
            expected = {
                "strata: error: database crashed.db: reading the state table failed: attempt to "
                "write a readonly database: an interrupted transaction left the hot journal "
                "crashed.db-journal, which must be rolled back before crashed.db can be used, "
                "and this user (nobody, uid 65534) cannot write crashed.db (owned by root, mode "
                "0644), crashed.db-journal (owned by root, mode 0644) or its folder " +
                    dir.path().string() + " (owned by root, mode 0755)",
                "  hint: run strata as root (e.g. `sudo strata ...` with the same options), "
                "which rolls the interrupted transaction back, or give this user write access to "
                "crashed.db, crashed.db-journal and its folder " +
                    dir.path().string() +
                    "; do not delete crashed.db-journal, which would leave crashed.db corrupt"};
        }
        SUBCASE("the database and folder are this user's, the journal root's") {
            give_to_nobody(dir.path());
            give_to_nobody(crashed);
            expected = {
                "strata: error: database crashed.db: reading the state table failed: unable to "
                "open database file: an interrupted transaction left the hot journal "
                "crashed.db-journal, which must be rolled back before crashed.db can be used, "
                "and this user (nobody, uid 65534) cannot write crashed.db-journal (owned by "
                "root, mode 0644)",
                "  hint: run strata as root (e.g. `sudo strata ...` with the same options), "
                "which rolls the interrupted transaction back, or give this user write access to "
                "crashed.db-journal; do not delete crashed.db-journal, which would leave "
                "crashed.db corrupt"};
        }
        auto r = run_as_nobody(dir, {"--database", "crashed.db", "check"});
        CHECK(r.exit_code == 5);
        CHECK(lines_of(r.err) == expected);
        CHECK(database.unchanged());
        CHECK(journal_before.unchanged());

        // Run as the user the hint names (root), any command rolls the transaction back.
        auto fixed = run_strata({"--database", "crashed.db", "check"}, in_dir(dir.path()));
        INFO("stderr: " << fixed.err);
        CHECK(fixed.exit_code == 0);
        CHECK_FALSE(file_exists(journal));
        CHECK(query_int(crashed, "SELECT count(*) FROM filler") == 0);
    }

    TEST_CASE("a folder this user cannot write is named, not the migration") {
        if (::geteuid() != 0) {
            MESSAGE("skipped: switching to another user needs root");
            return;
        }
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards", "core", "0001"}, in_dir(dir.path())).exit_code == 0);
        // The database is nobody's; its folder (root's, 0755) is not writable for nobody.
        give_to_nobody(dir / "app.db");
        FileSnapshot before(dir / "app.db");

        auto r = run_as_nobody(dir, {"forwards"});

        CHECK(r.exit_code == 5);
        const auto lines = lines_of(r.err);
        REQUIRE(lines.size() == 2);
        CHECK(lines[0].ends_with(": this user (nobody, uid 65534) cannot write its folder " +
                                 dir.path().string() +
                                 " (owned by root, mode 0755), where SQLite creates its journal "
                                 "while it writes"));
        CHECK(lines[1] == "  hint: run strata as root (e.g. `sudo strata ...` with the same "
                          "options), or give this user write access to its folder " +
                              dir.path().string());
        CHECK(before.unchanged());
    }
}
