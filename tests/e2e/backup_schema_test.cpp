// SPDX-License-Identifier: MIT
// --backup, `strata restore`, `strata schema` and schema_file, run as a real process.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <regex>
#include <set>
#include <thread>

using namespace strata::test;
namespace fs = std::filesystem;

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

const std::regex k_backup_name(R"(app\.db\.\d{8}T\d{6}\.\d{3}Z(_[1-9]\d*)?\.bak)");

const std::string k_full_schema =
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), "
    "body TEXT);\n"
    "\n"
    "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT UNIQUE);\n"
    "\n"
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n";

const std::string k_schema_without_tags =
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), "
    "body TEXT);\n"
    "\n"
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n";

// The backups of app.db in `dir`, oldest first.
std::vector<std::string> backups_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        std::string name = entry.path().filename().string();
        if (std::regex_match(name, k_backup_name))
            names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

// The backup named on a "Backed up app.db to ..." line, or "" when there is none.
std::string reported_backup(const std::string& out) {
    for (const auto& line : lines_of(out)) {
        const std::string start = "Backed up app.db to ";
        if (line.starts_with(start))
            return line.substr(start.size());
    }
    return "";
}

// A standard project with `extra` top-level keys, and its database at migration 0001.
void project_at_first_migration(const fs::path& dir, const std::string& extra = "") {
    ProjectSpec project;
    project.apps.push_back(users_notes_tags_app());
    project.extra_top_level = extra;
    write_project(dir, project);
    auto r = run_strata({"forwards", "core", "0001"}, in_dir(dir));
    REQUIRE(r.exit_code == 0);
}

// Waits (without sleeping: it yields) until `path` exists; false after `limit`.
bool wait_for_file(const fs::path& path, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!file_exists(path)) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::yield();
    }
    return true;
}

// Adds `keys` to the project file, right after its first line (database = ...).
void add_top_level_keys(const fs::path& dir, const std::string& keys) {
    std::string toml = read_file(dir / "strata.toml");
    toml.insert(toml.find('\n') + 1, keys);
    write_file(dir / "strata.toml", toml);
}

RunResult run_ok(const std::vector<std::string>& args, const fs::path& dir) {
    auto r = run_strata(args, in_dir(dir));
    INFO("stdout: " << r.out);
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    return r;
}

} // namespace

TEST_SUITE("e2e_backup_schema") {
    TEST_CASE("forwards --backup prints the backup, which holds the database as it was") {
        TempDir dir;
        project_at_first_migration(dir.path());

        auto r = run_ok({"forwards", "--backup"}, dir.path());

        const auto backups = backups_in(dir.path());
        REQUIRE(backups.size() == 1);
        const auto lines = lines_of(r.out);
        REQUIRE(!lines.empty());
        CHECK(lines.front() == "Backed up app.db to " + backups.front());
        CHECK(r.out.find("Applying core 0002 (create notes) ... ok (") != std::string::npos);
        const fs::path backup = dir / backups.front();
        CHECK(migration_rows(backup) == Rows{{"core", "0001"}});
        CHECK(table_names(backup) == std::vector<std::string>{"migrations", "users"});
        CHECK(migration_rows(dir / "app.db").size() == 3);
    }

    TEST_CASE("--quiet hides the backup line but still makes the backup") {
        TempDir dir;
        project_at_first_migration(dir.path());

        auto r = run_ok({"-q", "forwards", "--backup"}, dir.path());

        CHECK(r.out.empty());
        CHECK(backups_in(dir.path()).size() == 1);
    }

    TEST_CASE("backup = true with keep_backups = 2 keeps the two newest backups") {
        TempDir dir;
        project_at_first_migration(dir.path(), "backup = true\nkeep_backups = 2\n");
        REQUIRE(backups_in(dir.path()).empty());

        std::vector<std::string> reported;
        for (const std::vector<std::string>& args :
             {std::vector<std::string>{"forwards", "core", "0002"},
              std::vector<std::string>{"forwards", "core", "0003"},
              std::vector<std::string>{"backwards", "core", "--yes"}}) {
            CAPTURE(args.front());
            auto r = run_ok(args, dir.path());
            reported.push_back(reported_backup(r.out));
            CHECK(!reported.back().empty());
        }

        const auto backups = backups_in(dir.path());
        CHECK(backups == std::vector<std::string>{reported[1], reported[2]});
        REQUIRE(backups.size() == 2);
        CHECK(migration_rows(dir / backups[0]).size() == 2);
        CHECK(migration_rows(dir / backups[1]).size() == 3);
        CHECK(migration_rows(dir / "app.db").size() == 2);
    }

    TEST_CASE("a first run on a missing database makes no backup") {
        TempDir dir;
        write_standard_project(dir.path());

        auto r = run_ok({"forwards", "--backup"}, dir.path());

        CHECK(r.out.find("Backed up") == std::string::npos);
        CHECK(backups_in(dir.path()).empty());
        CHECK(migration_rows(dir / "app.db").size() == 3);
    }

    TEST_CASE("no backup when nothing is pending, nor for a preview") {
        TempDir dir;
        project_at_first_migration(dir.path());

        SUBCASE("preview") {
            const FileSnapshot snapshot(dir / "app.db");
            auto r = run_ok({"forwards", "--backup", "--preview"}, dir.path());
            CHECK(r.out.find("Backed up") == std::string::npos);
            CHECK(snapshot.unchanged());
        }
        SUBCASE("nothing pending") {
            run_ok({"forwards"}, dir.path());
            auto r = run_ok({"forwards", "--backup"}, dir.path());
            CHECK(r.out == "No migrations need to be run\n");
        }
        CHECK(backups_in(dir.path()).empty());
    }

    TEST_CASE("restore BACKUP --yes brings the state before the run back") {
        TempDir dir;
        project_at_first_migration(dir.path());
        execute_sql(dir / "app.db", "INSERT INTO users (name) VALUES ('ada');");
        const auto before = query_rows(dir / "app.db", "SELECT * FROM users");
        const std::string backup = reported_backup(run_ok({"up", "--backup"}, dir.path()).out);
        REQUIRE(!backup.empty());
        execute_sql(dir / "app.db", "DELETE FROM users;");

        auto r = run_ok({"restore", backup, "--yes"}, dir.path());

        CHECK(r.out == "Restored app.db from " + backup + ".\n");
        CHECK(r.err.empty());
        CHECK(migration_rows(dir / "app.db") == Rows{{"core", "0001"}});
        CHECK(table_names(dir / "app.db") == std::vector<std::string>{"migrations", "users"});
        CHECK(query_rows(dir / "app.db", "SELECT * FROM users") == before);
        // The backup itself is kept, and strata sees the restored state.
        CHECK(backups_in(dir.path()) == std::vector<std::string>{backup});
        auto check = run_ok({"check"}, dir.path());
        CHECK(count_of(check.out, "pending") == 2);
    }

    TEST_CASE("restore without --yes on a stdin that is not a terminal refuses") {
        TempDir dir;
        project_at_first_migration(dir.path());
        const std::string backup = reported_backup(run_ok({"up", "--backup"}, dir.path()).out);
        REQUIRE(!backup.empty());
        const FileSnapshot snapshot(dir / "app.db");

        auto r = run_strata({"restore", backup}, in_dir(dir.path()));

        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("standard input is not a terminal") != std::string::npos);
        CHECK(r.err.find("--yes") != std::string::npos);
        CHECK(snapshot.unchanged());
        CHECK(migration_rows(dir / "app.db").size() == 3);
    }

    TEST_CASE("restore asks on a terminal and only yes proceeds") {
        TempDir dir;
        project_at_first_migration(dir.path());
        const std::string backup = reported_backup(run_ok({"up", "--backup"}, dir.path()).out);
        REQUIRE(!backup.empty());
        RunOptions opts = in_dir(dir.path());
        opts.env.emplace_back("NO_COLOR", "1");

        SUBCASE("no") {
            const FileSnapshot snapshot(dir / "app.db");
            auto r = run_strata_in_terminal({"restore", backup}, "n", opts);
            CHECK(r.exit_code == 1);
            CHECK(r.err == "Replace app.db with " + backup + "? [y/N] ");
            CHECK(r.out == "Not proceeding.\n");
            CHECK(snapshot.unchanged());
        }
        SUBCASE("yes") {
            auto r = run_strata_in_terminal({"restore", backup}, "y", opts);
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(r.err == "Replace app.db with " + backup + "? [y/N] ");
            CHECK(r.out == "Restored app.db from " + backup + ".\n");
            CHECK(migration_rows(dir / "app.db") == Rows{{"core", "0001"}});
        }
    }

    TEST_CASE("restore refuses at once while another connection holds the database") {
        TempDir dir;
        project_at_first_migration(dir.path());
        const std::string backup = reported_backup(run_ok({"up", "--backup"}, dir.path()).out);
        REQUIRE(!backup.empty());
        RunResult r;
        std::chrono::steady_clock::duration took{};
        {
            HeldWriteLock lock(dir / "app.db");
            const auto started = std::chrono::steady_clock::now();
            r = run_strata({"restore", backup, "--yes"}, in_dir(dir.path()));
            took = std::chrono::steady_clock::now() - started;
        }

        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 4);
        CHECK(lines_of(r.err).front() ==
              "strata: error: cannot restore app.db while another connection holds it");
        // The project's busy timeout (5 s) is not waited out.
        CHECK(took < std::chrono::seconds(4));
        CHECK(migration_rows(dir / "app.db").size() == 3);
    }

    TEST_CASE("restore refuses a file that is not a database, or a missing one") {
        TempDir dir;
        project_at_first_migration(dir.path());
        const FileSnapshot snapshot(dir / "app.db");
        write_file(dir / "notes.bak", "these are notes, not a database; long enough for SQLite to "
                                      "read a whole header from it and reject it");

        auto r = run_strata({"restore", "notes.bak", "--yes"}, in_dir(dir.path()));
        CHECK(r.exit_code == 5);
        CHECK(r.err == "strata: error: cannot restore from notes.bak: it is not a healthy SQLite "
                       "database (file is not a database)\n"
                       "  hint: choose another backup; nothing was changed\n");

        r = run_strata({"restore", "gone.bak", "--yes"}, in_dir(dir.path()));
        CHECK(r.exit_code == 5);
        CHECK(lines_of(r.err).front() == "strata: error: backup gone.bak not found");
        CHECK(snapshot.unchanged());
    }

    TEST_CASE("schema prints the schema without strata's migrations table") {
        TempDir dir;
        write_standard_project(dir.path());
        run_ok({"forwards"}, dir.path());
        const FileSnapshot snapshot(dir / "app.db");

        auto r = run_ok({"schema"}, dir.path());

        CHECK(r.out == k_full_schema);
        CHECK(r.err.empty());
        CHECK(snapshot.unchanged());
    }

    TEST_CASE("schema of a missing database prints nothing and creates nothing") {
        TempDir dir;
        write_standard_project(dir.path());

        auto r = run_ok({"schema"}, dir.path());

        CHECK(r.out.empty());
        CHECK_FALSE(file_exists(dir / "app.db"));
    }

    TEST_CASE("schema_file is written after runs that change the database, not after a no-op") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back(users_notes_tags_app());
        project.extra_top_level = "schema_file = \"db/schema.sql\"\n";
        write_project(dir.path(), project);
        const fs::path schema_file = dir / "db" / "schema.sql";

        auto r = run_ok({"forwards"}, dir.path());
        CHECK(read_file(schema_file) == k_full_schema);
        // After the progress lines, before the summary.
        const auto lines = lines_of(r.out);
        REQUIRE(lines.size() == 5);
        CHECK(lines[2].starts_with("Applying core 0003 (add tags) ... ok ("));
        CHECK(lines[3] == "Wrote db/schema.sql");
        CHECK(lines[4] == "Applied 3 migrations.");

        fs::remove(schema_file);
        r = run_ok({"forwards"}, dir.path());
        CHECK(r.out == "No migrations need to be run\n");
        CHECK_FALSE(file_exists(schema_file));

        run_ok({"forwards", "--preview"}, dir.path());
        CHECK_FALSE(file_exists(schema_file));

        r = run_ok({"backwards", "core", "--yes"}, dir.path());
        CHECK(read_file(schema_file) == k_schema_without_tags);
        CHECK(r.out.find("Wrote db/schema.sql\n") != std::string::npos);
    }

    TEST_CASE("schema_file is written after a run that changed something and then failed") {
        TempDir dir;
        ProjectSpec project;
        AppSpec app = users_notes_tags_app();
        app.migrations[1].up = "CREATE TABLE notes (id INTEGER PRIMARY KEY);\nNOT SQL;\n";
        project.apps.push_back(app);
        project.extra_top_level = "schema_file = \"schema.sql\"\n";
        write_project(dir.path(), project);

        auto r = run_strata({"forwards"}, in_dir(dir.path()));

        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(read_file(dir / "schema.sql") ==
              "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n");
        // The failed step's line is ended before the schema file is mentioned.
        CHECK(r.out.find("Applying core 0002 (create notes) ... failed\nWrote schema.sql\n") !=
              std::string::npos);
    }

    TEST_CASE("concurrent --backup runs with keep_backups = 1 never delete each other's backups") {
        TempDir dir;
        project_at_first_migration(dir.path(), "keep_backups = 1\nbusy_timeout_ms = 60000\n");
        constexpr std::size_t k_runners = 6;
        std::vector<StrataProcess> runners;
        {
            // Every runner backs up (a read) and prunes, then waits for this write lock to
            // migrate: all of them are in the middle of their runs at once, as the issue's
            // runners were. Released together, backups in the same millisecond are likely.
            HeldWriteLock lock(dir / "app.db");
            StartGate gate;
            for (std::size_t i = 0; i < k_runners; ++i)
                runners.push_back(
                    start_strata({"forwards", "--backup"}, in_dir(dir.path()), &gate));
            gate.open();
            for (auto& runner : runners)
                REQUIRE(runner.read_until(".bak\n"));
        }
        const std::vector<RunResult> results = wait_all(runners);

        std::set<std::string> reported;
        for (const RunResult& r : results) {
            INFO("stdout: " << r.out);
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            const std::string backup = reported_backup(r.out);
            CHECK(std::regex_match(backup, k_backup_name));
            reported.insert(backup);
        }
        // Names are unique, and every backup a runner reported is still there: none was pruned
        // while its run lasted (the runs all overlapped, so none could be pruned at all).
        CHECK(reported.size() == k_runners);
        const auto left = backups_in(dir.path());
        CHECK(std::set<std::string>(left.begin(), left.end()) == reported);
        for (const std::string& backup : reported)
            CHECK(migration_rows(dir / backup) == Rows{{"core", "0001"}});
        CHECK(migration_rows(dir / "app.db").size() == 3);

        // The next run prunes down to keep_backups again: its own backup is the one left.
        run_ok({"backwards", "core", "--yes", "--backup"}, dir.path());
        CHECK(backups_in(dir.path()).size() == 1);
    }

    TEST_CASE("SIGINT or SIGTERM during a restore leaves the database byte for byte as it was") {
        TempDir dir;
        project_at_first_migration(dir.path());
        // 64 MB: large enough that the signal lands while the pages are being copied.
        execute_sql(dir / "big.db", "CREATE TABLE t (x); WITH RECURSIVE n(i) AS (SELECT 1 UNION "
                                    "ALL SELECT i + 1 FROM n WHERE i < 16000) INSERT INTO t "
                                    "SELECT randomblob(4000) FROM n;");
        const std::string original = read_file(dir / "app.db");
        int signal = SIGINT;
        SUBCASE("SIGINT") {
            signal = SIGINT;
        }
        SUBCASE("SIGTERM") {
            signal = SIGTERM;
        }
        const fs::path journal = dir / "app.db-journal";
        RunResult r;
        // The signal is sent once the copy has begun (its journal appears); should the test
        // itself be held up until the copy is done, it starts over, at most three times.
        for (int attempt = 0; attempt < 3; ++attempt) {
            write_file(dir / "app.db", original);
            StrataProcess restore =
                start_strata({"restore", "big.db", "--yes"}, in_dir(dir.path()));
            REQUIRE(wait_for_file(journal, std::chrono::seconds(30)));
            restore.send_signal(signal);
            r = restore.wait();
            if (r.exit_code != 0)
                break;
        }
        INFO("stdout: " << r.out);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 128 + signal);
        CHECK(r.err == "strata: interrupted: the restore from big.db was abandoned; app.db is as "
                       "it was\n  hint: run `strata restore` again\n");
        CHECK(read_file(dir / "app.db") == original);
        CHECK_FALSE(file_exists(journal));
        CHECK(migration_rows(dir / "app.db") == Rows{{"core", "0001"}});
    }

    TEST_CASE("restore into a WAL database with another page size names the cause") {
        TempDir dir;
        project_at_first_migration(dir.path());
        execute_sql(dir / "app.db", "PRAGMA journal_mode = WAL;");
        execute_sql(dir / "small_pages.db",
                    "PRAGMA page_size = 1024; CREATE TABLE t (x); INSERT INTO t VALUES (1);");
        const FileSnapshot snapshot(dir / "app.db");

        auto r = run_strata({"restore", "small_pages.db", "--yes"}, in_dir(dir.path()));

        CHECK(r.exit_code == 5);
        CHECK(r.err == "strata: error: cannot restore app.db from small_pages.db: the database is "
                       "in WAL mode with pages of 4096 bytes and the backup has pages of 1024 "
                       "bytes; SQLite cannot change the page size of a WAL database\n"
                       "  hint: take the database out of WAL mode first (sqlite3 app.db \"PRAGMA "
                       "journal_mode = DELETE\"), or move it and its -wal and -shm files away so "
                       "that restore creates it; nothing was changed\n");
        CHECK(snapshot.unchanged());
    }

    TEST_CASE("a schema_file that is one of the project's own files is refused at load") {
        struct Case {
            std::string value;
            std::string problem; // after the resolved path
        };
        for (const Case& c : std::vector<Case>{
                 {"app.db", "is the database "},
                 {"db/../app.db-journal", "is the database's rollback journal "},
                 {"strata.toml", "is the project file "},
                 {"migrations/core/0001_create_users.up.sql", "is in the migrations folder "},
                 {"migrations/core/schema.sql", "is in the migrations folder "}}) {
            CAPTURE(c.value);
            TempDir dir;
            project_at_first_migration(dir.path());
            add_top_level_keys(dir.path(), "schema_file = \"" + c.value + "\"\n");
            const std::string toml = read_file(dir / "strata.toml");
            const FileSnapshot database(dir / "app.db");
            const FileSnapshot migration(dir / "migrations/core/0001_create_users.up.sql");

            auto r = run_strata({"forwards"}, in_dir(dir.path()));

            CHECK(r.exit_code == 2);
            const auto lines = lines_of(r.err);
            REQUIRE(lines.size() == 2);
            CHECK(lines[0].starts_with("strata: error: strata.toml:2:15: `schema_file` \""));
            CHECK(lines[0].find("\" " + c.problem) != std::string::npos);
            CHECK(lines[1].starts_with("  hint: point schema_file at a file of its own"));
            CHECK(read_file(dir / "strata.toml") == toml);
            CHECK(database.unchanged());
            CHECK(migration.unchanged());
            CHECK(migration_rows(dir / "app.db") == Rows{{"core", "0001"}});
        }
    }

    TEST_CASE("a --database override that is the schema_file is refused before the run") {
        TempDir dir;
        project_at_first_migration(dir.path());
        add_top_level_keys(dir.path(), "schema_file = \"schema.sql\"\n");
        const FileSnapshot database(dir / "app.db");

        auto r = run_strata({"--database", "schema.sql", "forwards"}, in_dir(dir.path()));

        CHECK(r.exit_code == 2);
        CHECK(lines_of(r.err).front() ==
              "strata: error: schema_file schema.sql is the database schema.sql");
        CHECK_FALSE(file_exists(dir / "schema.sql"));
        CHECK(database.unchanged());
    }
}
