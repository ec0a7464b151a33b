// SPDX-License-Identifier: MIT
// strata's state table: its name comes from strata.toml, and no migration can reach it, neither
// directly nor through a trigger or view that would fire or be read later.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;

namespace {

using Rows = std::vector<std::vector<std::string>>;

// An app whose first migration creates and fills the project's own table called `migrations`,
// as TypeORM and Laravel projects have.
AppSpec app_with_own_migrations_table() {
    AppSpec app;
    app.name = "core";
    app.migrations = {
        {"0001", "legacy_migrations",
         "CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, version TEXT);\n"
         "INSERT INTO migrations (version) VALUES ('legacy-1'), ('legacy-2');\n",
         "DROP TABLE migrations;\n"},
        {"0002", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
         "DROP TABLE users;\n"},
    };
    return app;
}

} // namespace

TEST_SUITE("e2e_state_table") {
    TEST_CASE("with state_table set, strata records there and leaves a project table "
              "`migrations` alone") {
        TempDir dir;
        ProjectSpec project;
        project.extra_top_level = "state_table = \"strata_state\"\n";
        project.apps.push_back(app_with_own_migrations_table());
        write_project(dir.path(), project);
        const auto db = dir / "app.db";

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(query_rows(db, "SELECT app_name, name FROM strata_state ORDER BY id") ==
              Rows{{"core", "0001"}, {"core", "0002"}});
        CHECK(query_rows(db, "SELECT version FROM migrations ORDER BY id") ==
              Rows{{"legacy-1"}, {"legacy-2"}});

        r = run_strata({"check"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(count_of(r.out, "applied") == 2);

        // The schema lists the project's table and leaves strata's out.
        r = run_strata({"schema"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("CREATE TABLE IF NOT EXISTS migrations") == std::string::npos);
        CHECK(r.out.find("migrations (id INTEGER PRIMARY KEY, version TEXT)") != std::string::npos);
        CHECK(r.out.find("strata_state") == std::string::npos);

        // The project's down file may drop its own table.
        r = run_strata({"backwards", "core", "0001", "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK_FALSE(has_table(db, "migrations"));
        CHECK(query_int(db, "SELECT count(*) FROM strata_state") == 0);
    }

    TEST_CASE("CREATE TABLE IF NOT EXISTS migrations is refused with the way out, not skipped") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back(app_with_own_migrations_table());
        write_project(dir.path(), project);

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(lines_of(r.err).at(0) ==
              "strata: error: migrations/core/0001_legacy_migrations.up.sql:1:1: applying core "
              "0001 (legacy migrations) failed: statement refused: a migration must not create "
              "a table named \"migrations\": that is strata's state table, where it records "
              "applied migrations; rename the project's table, or set state_table = \"...\" in "
              "strata.toml to keep strata's record under another name");
        // Nothing was kept: not even strata's table, created in the same transaction.
        CHECK_FALSE(has_table(dir / "app.db", "migrations"));
        CHECK_FALSE(has_table(dir / "app.db", "users"));
    }

    TEST_CASE("an invalid state_table is refused at its file:line:col, before any database") {
        TempDir dir;
        ProjectSpec project;
        project.extra_top_level = "state_table = \"strata state\"\n";
        project.apps.push_back(users_notes_tags_app());
        write_project(dir.path(), project);

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(lines_of(r.err) ==
              std::vector<std::string>{
                  "strata: error: strata.toml:2:15: `state_table` must be a plain name (letters, "
                  "digits and \"_\", not starting with a digit), found \"strata state\"",
                  "  hint: for example state_table = \"strata_migrations\""});
        CHECK_FALSE(file_exists(dir / "app.db"));
    }

    TEST_CASE("a trigger planted to empty the state table on the application's next UPDATE is "
              "refused") {
        TempDir dir;
        ProjectSpec project;
        AppSpec app = users_notes_tags_app();
        app.migrations[1].up = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n"
                               "CREATE TRIGGER forget AFTER UPDATE ON users BEGIN\n"
                               "  DELETE FROM migrations;\n"
                               "END;\n";
        project.apps.push_back(app);
        write_project(dir.path(), project);
        const auto db = dir / "app.db";

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(lines_of(r.err).at(0) ==
              "strata: error: migrations/core/0002_create_notes.up.sql:2:1: applying core 0002 "
              "(create notes) failed: trigger \"forget\" deletes from strata's state table "
              "\"migrations\" when it fires: SQLite checks a trigger's or view's body only when "
              "it runs, so strata refuses it when it is created");
        CHECK(migration_rows(db) ==
              std::vector<std::pair<std::string, std::string>>{{"core", "0001"}});
        CHECK_FALSE(has_table(db, "notes"));
        // The application's ordinary UPDATE later leaves strata's record alone.
        execute_sql(db, "INSERT INTO users (name) VALUES ('a'); UPDATE users SET name = 'b';");
        CHECK(migration_rows(db).size() == 1);
    }

    TEST_CASE("setting the state table's sequence to its maximum is refused; later runs work") {
        TempDir dir;
        ProjectSpec project;
        AppSpec app = users_notes_tags_app();
        const std::string planted = "UPDATE sqlite_sequence SET seq = 9223372036854775807 WHERE "
                                    "name = 'migrations';\n";
        app.migrations[1].up += planted;
        project.apps.push_back(app);
        write_project(dir.path(), project);
        const auto db = dir / "app.db";

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(lines_of(r.err).at(0) ==
              "strata: error: migrations/core/0002_create_notes.up.sql: applying core 0002 "
              "(create notes) failed: the migration changed the row of sqlite_sequence that "
              "holds the next id of strata's state table \"migrations\"; strata takes the id of "
              "every record from there (at its maximum every later run fails with \"database "
              "or disk is full\")");
        CHECK(query_text(db, "SELECT seq FROM sqlite_sequence WHERE name = 'migrations'") == "1");

        // With the line removed, the run goes on as if nothing had happened.
        write_standard_project(dir.path());
        r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(db).size() == 3);
    }
}
