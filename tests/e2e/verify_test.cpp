// SPDX-License-Identifier: MIT
// `strata verify`: the real binary on real SQLite files, which it must only read.
#include "support/fixtures.hpp"
#include "support/json.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;

namespace {

// core: 0001 creates users; 0002 adds an index and a seed row, its down reversing both; 0003 as
// given.
void write_verify_project(const std::filesystem::path& root, MigrationSpec third) {
    AppSpec app;
    app.name = "core";
    app.migrations = {
        {"0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
         "DROP TABLE users;\n"},
        {"0002", "seed_admin",
         "CREATE INDEX users_name ON users(name);\nINSERT INTO users (name) VALUES ('admin');\n",
         "DELETE FROM users WHERE name = 'admin';\nDROP INDEX users_name;\n"},
        std::move(third),
    };
    ProjectSpec project;
    project.apps.push_back(app);
    write_project(root, project);
}

MigrationSpec good_third() {
    return {"0003", "create_tags", "CREATE TABLE tags (label TEXT UNIQUE);\n",
            "DROP TABLE tags;\n"};
}

// A down that forgets the index its up created.
MigrationSpec forgetful_third() {
    return {"0003", "add_email",
            "CREATE TABLE emails (address TEXT);\nCREATE INDEX users_id_name ON users(id, name);\n",
            "DROP TABLE emails;\n"};
}

} // namespace

TEST_SUITE("e2e_verify") {
    TEST_CASE("every pending migration verified: exit 0, one line each, no database created") {
        TempDir dir;
        write_verify_project(dir.path(), good_third());
        const RunResult r = run_strata({"verify"}, in_dir(dir.path()));
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out == "verified  core 0001 (create users)\n"
                       "verified  core 0002 (seed admin)\n"
                       "verified  core 0003 (create tags)\n"
                       "Verified 3 migrations.\n");
        CHECK_FALSE(file_exists(dir / "app.db"));
    }

    TEST_CASE("a down that leaves an object: exit 1, the diff, the database byte-identical") {
        TempDir dir;
        write_verify_project(dir.path(), forgetful_third());
        REQUIRE(run_strata({"forwards", "core", "0001"}, in_dir(dir.path())).exit_code == 0);
        const FileSnapshot before(dir / "app.db");
        const RunResult r = run_strata({"verify"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.out == "verified  core 0002 (seed admin)\n"
                       "MISMATCH  core 0003 (add email)\n"
                       "  after its up and down, compared with before its up:\n"
                       "    left behind: index users_id_name on users\n"
                       "      CREATE INDEX users_id_name ON users(id, name)\n"
                       "core 0003 (add email): its down does not restore the database.\n");
        CHECK(before.unchanged());
        CHECK(migration_rows(dir / "app.db").size() == 1);
    }

    TEST_CASE("rows the copy holds: a down that deletes more than its up added is caught") {
        TempDir dir;
        write_verify_project(dir.path(), {"0003", "purge", "DELETE FROM users;\n", "SELECT 1;\n"});
        REQUIRE(run_strata({"forwards", "core", "0002"}, in_dir(dir.path())).exit_code == 0);
        const FileSnapshot before(dir / "app.db");
        RunResult r = run_strata({"verify"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.out.find("    rows differ: table users (1 before, 0 after)\n") !=
              std::string::npos);

        // --fresh: an empty database at the same point; the admin row comes from 0002 there too,
        // so the purge is still caught. An empty table hides it:
        write_file(dir / "migrations/core/0002_seed_admin.up.sql",
                   "CREATE INDEX users_name ON users(name);\n");
        write_file(dir / "migrations/core/0002_seed_admin.down.sql", "DROP INDEX users_name;\n");
        r = run_strata({"verify", "--fresh"}, in_dir(dir.path()));
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out == "verified  core 0003 (purge)\nVerified 1 migration.\n");
        // ... and without --fresh the copy's row still shows it.
        CHECK(run_strata({"verify"}, in_dir(dir.path())).exit_code == 1);
        CHECK(before.unchanged());
    }

    TEST_CASE("--all verifies the applied migrations too, from zero") {
        TempDir dir;
        write_verify_project(dir.path(), good_third());
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        const FileSnapshot before(dir / "app.db");
        RunResult r = run_strata({"verify"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "No migrations to verify.\n");
        r = run_strata({"verify", "all", "--all"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Verified 3 migrations.\n") != std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("--json: the verify document, ok false and the diff on a mismatch") {
        TempDir dir;
        write_verify_project(dir.path(), forgetful_third());
        const RunResult r = run_strata({"verify", "--all", "--json"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.empty());
        const JsonValue doc = parse_json(r.out);
        CHECK(doc["schema"].string == "strata/1");
        CHECK(doc["command"].string == "verify");
        CHECK_FALSE(doc["ok"].boolean);
        CHECK(doc["start"].string == "empty");
        const auto& migrations = doc["migrations"].array;
        REQUIRE(migrations.size() == 3);
        CHECK(migrations[0]["status"].string == "verified");
        const JsonValue& bad = migrations[2];
        CHECK(bad["migration_id"].string == "0003");
        CHECK(bad["status"].string == "mismatch");
        REQUIRE(bad["added"].array.size() == 1);
        CHECK(bad["added"].array[0]["name"].string == "users_id_name");
        CHECK(bad["added"].array[0]["sql"].string ==
              "CREATE INDEX users_id_name ON users(id, name)");
        CHECK(bad["removed"].array.empty());
        CHECK(bad["rows"].array.empty());
        CHECK_FALSE(file_exists(dir / "app.db"));
    }

    TEST_CASE("a missing application function: MigrationFailed naming it, exit 1") {
        TempDir dir;
        write_verify_project(
            dir.path(), {"0003", "slugs", "SELECT app_slug(name) FROM users;\n", "SELECT 1;\n"});
        const RunResult r = run_strata({"verify"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.out.empty());
        CHECK(r.err.find("no such function: app_slug") != std::string::npos);

        // Declared in strata.toml, it gets a stand-in (as lint gives it), and verify runs.
        const std::string toml = read_file(dir / "strata.toml");
        write_file(dir / "strata.toml", "functions = [\"app_slug\"]\n" + toml);
        const RunResult declared = run_strata({"verify"}, in_dir(dir.path()));
        CHECK(declared.exit_code == 0);
        CHECK(declared.err.empty());
    }
}

TEST_SUITE("e2e_verify") {
    TEST_CASE("--quiet: nothing when every migration verifies, the mismatch alone when not") {
        TempDir dir;
        write_verify_project(dir.path(), good_third());
        RunResult r = run_strata({"verify", "-q"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.empty());
        write_verify_project(dir.path(), forgetful_third());
        std::filesystem::remove(dir / "migrations/core/0003_create_tags.up.sql");
        std::filesystem::remove(dir / "migrations/core/0003_create_tags.down.sql");
        r = run_strata({"verify", "-q"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.out.starts_with("MISMATCH  core 0003 (add email)\n"));
        CHECK(r.out.find("verified") == std::string::npos);
    }

    TEST_CASE("a database in WAL mode is copied as it is, and stays as it was") {
        TempDir dir;
        write_verify_project(dir.path(), good_third());
        execute_sql(dir / "app.db", "PRAGMA journal_mode = WAL; CREATE TABLE other (x);"
                                    "INSERT INTO other VALUES (1);");
        REQUIRE(run_strata({"forwards", "core", "0001"}, in_dir(dir.path())).exit_code == 0);
        const FileSnapshot before(dir / "app.db");
        const RunResult r = run_strata({"verify", "--json"}, in_dir(dir.path()));
        INFO(r.err);
        CHECK(r.exit_code == 0);
        const JsonValue doc = parse_json(r.out);
        CHECK(doc["start"].string == "copy");
        CHECK(doc["migrations"].array.size() == 2);
        CHECK(before.unchanged());
        CHECK(query_text(dir / "app.db", "PRAGMA journal_mode") == "wal");
    }
}
