// SPDX-License-Identifier: MIT
// `strata lint` run as a real process: findings as file:line:col lines, exit codes, --json,
// one app with its dependencies, and the database left alone.
#include "support/fixtures.hpp"
#include "support/json.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;
namespace fs = std::filesystem;

TEST_SUITE("e2e_lint") {
    TEST_CASE("a clean project: exit 0 and a summary") {
        TempDir dir;
        write_standard_project(dir.path());
        const RunResult r = run_strata({"lint"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "No findings in 3 migrations.\nnote: strata.toml sets no minimum_sqlite, so "
                       "newer-sqlite was not checked\n");
        CHECK_FALSE(fs::exists(dir / "app.db"));
    }

    TEST_CASE("findings print as path:line:col: id: message and exit 1") {
        TempDir dir;
        ProjectSpec project;
        project.extra_top_level = "minimum_sqlite = \"3.34\"\n";
        project.apps.push_back(
            {"core",
             {{"0001", "create", "CREATE TABLE t (a, b);\n", "DROP TABLE t;\n"},
              {"0002", "drop_b", "ALTER TABLE t DROP COLUMN b; -- strata:nolint destructive\n",
               "ALTER TABLE t ADD COLUMN b;\n"}},
             {},
             {}});
        write_project(dir.path(), project);
        const RunResult r = run_strata({"lint"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.out == "migrations/core/0002_drop_b.up.sql:1:15: newer-sqlite: DROP COLUMN needs "
                       "SQLite 3.35, newer than minimum_sqlite (see "
                       "https://sqlite.org/releaselog/3_35_0.html)\n"
                       "1 finding in 2 migrations (1 silenced by strata:nolint).\n");
        CHECK(r.err.empty());

        // Silencing the last one makes the exit code 0.
        write_file(dir / "migrations/core/0002_drop_b.up.sql",
                   "-- strata:nolint newer-sqlite\n"
                   "ALTER TABLE t DROP COLUMN b; -- strata:nolint destructive\n");
        const RunResult clean = run_strata({"lint", "-q"}, in_dir(dir.path()));
        CHECK(clean.exit_code == 0);
        CHECK(clean.out.empty());
    }

    TEST_CASE("--json: one document with every finding, silenced ones marked") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back(
            {"core",
             {{"0001", "create", "CREATE TABLE t (a);\nDELETE FROM t;\n", "SELECT 1;\n"}},
             {},
             {}});
        write_project(dir.path(), project);
        const RunResult r = run_strata({"lint", "--json"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.empty());
        const JsonValue doc = parse_json(r.out);
        CHECK(doc["schema"].string == "strata/1");
        CHECK(doc["command"].string == "lint");
        CHECK_FALSE(doc["ok"].boolean);
        CHECK(doc["minimum_sqlite"].is_null());
        CHECK(doc["migrations_checked"].number == 1);
        REQUIRE(doc["findings"].array.size() == 2);
        const JsonValue& first = doc["findings"].array[0];
        CHECK(first["id"].string == "destructive");
        CHECK(first["app_name"].string == "core");
        CHECK(first["migration"].string == "0001_create");
        CHECK(fs::equivalent(first["path"].string, dir / "migrations/core/0001_create.up.sql"));
        CHECK(first["line"].number == 2);
        CHECK(first["column"].number == 1);
        CHECK_FALSE(first["silenced"].boolean);
        CHECK(doc["findings"].array[1]["id"].string == "down-leaves");
    }

    TEST_CASE("one app is linted on top of the apps it depends on") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back({"billing",
                                {{"0001", "invoices",
                                  "CREATE TABLE invoices (user_id REFERENCES users(id));\n"
                                  "INSERT INTO invoices SELECT id FROM users;\n",
                                  "DROP TABLE invoices;\n"}},
                                {"core"},
                                {}});
        project.apps.push_back(
            {"core",
             {{"0001", "users", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n", "SELECT 1;\n"}},
             {},
             {}});
        write_project(dir.path(), project);
        const RunResult r = run_strata({"lint", "billing"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.starts_with("No findings in 1 migration.\n"));
        const RunResult all = run_strata({"lint", "all"}, in_dir(dir.path()));
        CHECK(all.exit_code == 1);
        CHECK(all.out.starts_with("migrations/core/0001_users.down.sql:1:1: down-leaves: "));
    }

    TEST_CASE("SQL that fails is an error with a caret, exit 1; a bad setting exits 2") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back(
            {"core", {{"0001", "bad", "CREATE TABLE t (a);\nSELECT nope FROM t;\n", ""}}, {}, {}});
        write_project(dir.path(), project);
        const RunResult r = run_strata({"lint"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("0001_bad.up.sql:2:8: statement failed: no such column: nope") !=
              std::string::npos);

        project.extra_top_level = "minimum_sqlite = \"three\"\n";
        write_project(dir.path(), project);
        const RunResult bad = run_strata({"lint"}, in_dir(dir.path()));
        CHECK(bad.exit_code == 2);
        CHECK(bad.err.find("`minimum_sqlite` must be a SQLite 3 version") != std::string::npos);
    }
}
