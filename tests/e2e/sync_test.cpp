// SPDX-License-Identifier: MIT
// `strata sync`: a database migrated by a newer release brought back to an older one (and
// forwards again), run as a real process on real SQLite files.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

// Release v2 of an app: three migrations, the third changing a table the first created.
AppSpec release_v2() {
    AppSpec app;
    app.name = "core";
    app.migrations = {
        {"0001", "create_users",
         "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
         "DROP TABLE users;\n"},
        {"0002", "create_notes",
         "CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), "
         "body TEXT);\n",
         "DROP TABLE notes;\n"},
        {"0003", "add_email_and_tags",
         "ALTER TABLE users ADD COLUMN email TEXT;\n"
         "CREATE INDEX users_email ON users(email);\n"
         "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT UNIQUE);\n",
         "DROP TABLE tags;\n"
         "DROP INDEX users_email;\n"
         "ALTER TABLE users DROP COLUMN email;\n"},
    };
    return app;
}

// Release v1: the same app without its third migration.
AppSpec release_v1() {
    AppSpec app = release_v2();
    app.migrations.pop_back();
    return app;
}

void write_release(const std::filesystem::path& root, const AppSpec& app) {
    ProjectSpec project;
    project.apps.push_back(app);
    write_project(root, project);
}

// The schema without strata's own table: what the application sees.
std::vector<std::vector<std::string>> app_schema(const std::filesystem::path& db) {
    return query_rows(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema "
                          "WHERE tbl_name NOT IN ('migrations', 'sqlite_sequence') "
                          "ORDER BY type, name");
}

// strata on the shared device database, with the files of the release in `release`.
RunResult run_release(const std::filesystem::path& release, const std::filesystem::path& db,
                      std::vector<std::string> args) {
    args.insert(args.begin(), {"--database", db.string()});
    return run_strata(args, in_dir(release));
}

// A project folder whose database has all of v2 applied, then the files of v1.
void write_rolled_back(const std::filesystem::path& root) {
    write_release(root, release_v2());
    auto r = run_strata({"forwards"}, in_dir(root));
    INFO("setup stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    std::filesystem::remove_all(root / "migrations");
    write_release(root, release_v1());
}

RunOptions terminal_in(const std::filesystem::path& dir) {
    RunOptions opts = in_dir(dir);
    opts.env.emplace_back("NO_COLOR", "1");
    return opts;
}

} // namespace

TEST_SUITE("e2e_sync") {
    TEST_CASE("a release rollback: v2 migrates, v1 syncs back to a fresh v1 schema, v2 again") {
        TempDir dir;
        const auto v1 = dir / "v1";
        const auto v2 = dir / "v2";
        write_release(v1, release_v1());
        write_release(v2, release_v2());
        const auto device = dir / "device.db";

        // References: fresh databases of each release.
        REQUIRE(run_strata({"forwards"}, in_dir(v1)).exit_code == 0);
        REQUIRE(run_strata({"forwards"}, in_dir(v2)).exit_code == 0);
        const auto fresh_v1 = app_schema(v1 / "app.db");
        const auto fresh_v2 = app_schema(v2 / "app.db");
        REQUIRE(fresh_v1 != fresh_v2);

        auto r = run_release(v2, device, {"sync"});
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(r.out.find("Applied 3 migrations.") != std::string::npos);
        CHECK(app_schema(device) == fresh_v2);
        execute_sql(device, "INSERT INTO users (name, email) VALUES ('ada', 'ada@example.org');");

        // The device is rolled back to v1, whose files lack 0003.
        r = run_release(v1, device, {"sync", "--yes"});
        CHECK(r.exit_code == 0);
        const auto lines = lines_of(r.out);
        REQUIRE(lines.size() == 3);
        CHECK(lines[0] == "  core 0003 (add email and tags)"); // the plan
        CHECK(lines[1].starts_with("Reversing core 0003 (add email and tags) ... ok ("));
        CHECK(lines[2] == "Reversed 1 migration.");
        CHECK(app_schema(device) == fresh_v1);
        CHECK(migration_rows(device) == Rows{{"core", "0001"}, {"core", "0002"}});
        CHECK(query_text(device, "SELECT name FROM users") == "ada"); // the data stays

        r = run_release(v1, device, {"sync"});
        CHECK(r.exit_code == 0);
        CHECK(r.out == "The database already matches the project.\n");
        r = run_release(v1, device, {"forwards"});
        CHECK(r.exit_code == 0);

        // Updated to v2 again.
        r = run_release(v2, device, {"sync"});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applying core 0003 (add email and tags) ... ok (") != std::string::npos);
        CHECK(app_schema(device) == fresh_v2);
        CHECK(migration_rows(device) == Rows{{"core", "0001"}, {"core", "0002"}, {"core", "0003"}});
    }

    TEST_CASE("sync asks before reversing; a no changes nothing") {
        TempDir dir;
        write_rolled_back(dir.path());
        FileSnapshot before(dir / "app.db");

        auto r = run_strata_in_terminal({"sync"}, "n", terminal_in(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err == "  core 0003 (add email and tags)\n"
                       "Reverse 1 migration? [y/N] ");
        CHECK(r.out == "Not proceeding.\n");
        CHECK(before.unchanged());

        r = run_strata({"sync"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("standard input is not a terminal") != std::string::npos);
        CHECK(r.err.find("--yes") != std::string::npos);
        CHECK(before.unchanged());

        r = run_strata_in_terminal({"sync"}, "y", terminal_in(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Reversing core 0003 (add email and tags) ... ok (") != std::string::npos);
        CHECK(migration_rows(dir / "app.db") == Rows{{"core", "0001"}, {"core", "0002"}});
    }

    TEST_CASE("sync --preview prints the stored down SQL and changes nothing") {
        TempDir dir;
        write_rolled_back(dir.path());
        FileSnapshot before(dir / "app.db");

        auto r = run_strata({"sync", "--preview"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out == "-- core 0003 (add email and tags): stored down SQL\n"
                       "DROP TABLE tags;\n"
                       "DROP INDEX users_email;\n"
                       "ALTER TABLE users DROP COLUMN email;\n");
        CHECK(before.unchanged());
    }

    TEST_CASE("sync with nothing to do neither asks nor creates the database") {
        TempDir dir;
        ProjectSpec empty;
        empty.apps.push_back({"core", {}, {}, {}});
        write_project(dir.path(), empty);
        auto r = run_strata({"sync"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "The database already matches the project.\n");
        CHECK_FALSE(file_exists(dir / "app.db"));
    }

    TEST_CASE("sync refuses edited history unless --allow-modified") {
        TempDir dir;
        write_rolled_back(dir.path());
        write_file(dir / "migrations/core/0001_create_users.up.sql",
                   "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n");
        FileSnapshot before(dir / "app.db");

        auto r = run_strata({"sync", "--yes"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err.starts_with("strata: error: applied migrations changed since they ran:\n"
                                "  core 0001 (create users): "
                                "migrations/core/0001_create_users.up.sql (checksum "));
        CHECK(r.err.find("missing") == std::string::npos); // sync's own business
        CHECK(before.unchanged());

        r = run_strata({"sync", "--yes", "--allow-modified"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Reversed 1 migration.") != std::string::npos);
    }

    TEST_CASE("sync all: reversals dependents first, then forwards dependencies first") {
        TempDir dir;
        ProjectSpec project;
        AppSpec billing{
            "billing",
            {{"0001", "create_invoices", "CREATE TABLE invoices (x);\n", "DROP TABLE invoices;\n"},
             {"0002", "create_payments", "CREATE TABLE payments (x);\n", "DROP TABLE payments;\n"}},
            {"core"},
            {}};
        project.apps = {billing, release_v2()};
        write_project(dir.path(), project);
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);

        // The older release: each app lacks its last migration and has a new one of its own.
        project.apps[0].migrations.pop_back();
        project.apps[1] = release_v1();
        std::filesystem::remove_all(dir / "migrations");
        write_project(dir.path(), project);
        write_migration(
            dir / "migrations/core",
            {"0004", "create_settings", "CREATE TABLE settings (x);\n", "DROP TABLE settings;\n"});
        write_migration(
            dir / "migrations/billing",
            {"0005", "create_refunds", "CREATE TABLE refunds (x);\n", "DROP TABLE refunds;\n"});

        auto r = run_strata({"sync", "all", "--yes"}, in_dir(dir.path()));
        INFO("stdout: " << r.out);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        auto at = [&](const std::string& text) { return r.out.find(text); };
        const auto payments = at("Reversing billing 0002 (create payments) ... ok");
        const auto tags = at("Reversing core 0003 (add email and tags) ... ok");
        const auto settings = at("Applying core 0004 (create settings) ... ok");
        const auto refunds = at("Applying billing 0005 (create refunds) ... ok");
        CHECK(payments != std::string::npos);
        CHECK(payments < tags);
        CHECK(tags < settings);
        CHECK(settings < refunds);
        CHECK(refunds != std::string::npos);
        CHECK(r.out.find("Reversed 2 migrations and applied 2 migrations.") != std::string::npos);
        CHECK(table_names(dir / "app.db") == std::vector<std::string>{"invoices", "migrations",
                                                                      "notes", "refunds",
                                                                      "settings", "users"});
    }

    TEST_CASE("sync under transaction = \"all\" is all or nothing") {
        TempDir dir;
        write_rolled_back(dir.path());
        write_migration(
            dir / "migrations/core",
            {"0004", "broken", "CREATE TABLE fine (x);\nTHIS IS NOT SQL;\n", "DROP TABLE fine;\n"});
        FileSnapshot before(dir / "app.db");

        std::vector<std::string> args{"sync", "--yes"};
        SUBCASE("--atomic") {
            args.push_back("--atomic");
        }
        SUBCASE("strata.toml") {
            const std::string toml = read_file(dir / "strata.toml");
            write_file(dir / "strata.toml", "transaction = \"all\"\n" + toml);
        }
        auto r = run_strata(args, in_dir(dir.path()));
        INFO("stdout: " << r.out);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 1);
        // The reversal of 0003 ran, then 0004 failed: the whole run was rolled back.
        CHECK(r.out.find("Reversing core 0003 (add email and tags) ... ok") != std::string::npos);
        CHECK(before.unchanged());
    }
}
