// SPDX-License-Identifier: MIT
// `strata import` run as a real process: its text output, its usage errors, and a database
// that is not the other tool's. The round trips per format are tests/import.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;

namespace {

// A project whose apps have no migrations yet.
void write_apps(const std::filesystem::path& root, const std::vector<std::string>& names) {
    ProjectSpec project;
    for (const std::string& name : names) {
        AppSpec app;
        app.name = name;
        project.apps.push_back(app);
    }
    write_project(root, project);
}

// A one-app project without migrations, and a dbmate folder of two migrations.
void write_dbmate_project(const TempDir& dir) {
    write_apps(dir.path(), {"core"});
    write_file(dir / "db/20240101000000_create_users.sql",
               "-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n\n"
               "-- migrate:down\nDROP TABLE users;\n");
    write_file(dir / "db/20240102000000_seed.sql",
               "-- migrate:up\nINSERT INTO users DEFAULT VALUES;\n");
}

} // namespace

TEST_SUITE("e2e_import") {
    TEST_CASE("import lists the files it wrote and notes a migration without down SQL") {
        TempDir dir;
        write_dbmate_project(dir);
        const RunResult r = run_strata({"import", "--from", "dbmate", "db"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "Wrote 2 migrations of dbmate into app core:\n"
                       "  migrations/core/20240101000000_create_users.up.sql\n"
                       "  migrations/core/20240101000000_create_users.down.sql\n"
                       "  migrations/core/20240102000000_seed.up.sql\n"
                       "  migrations/core/20240102000000_seed.down.sql\n"
                       "note: db/20240102000000_seed.sql: no down SQL: strata writes an empty "
                       "down file, so reversing it changes nothing\n");
        CHECK(r.err.empty());
        CHECK(read_file(dir / "migrations/core/20240101000000_create_users.up.sql") ==
              "CREATE TABLE users (id INTEGER PRIMARY KEY);\n\n");
        CHECK_FALSE(file_exists(dir / "app.db")); // without --database no database is touched
        // The written files are a valid strata project.
        const RunResult forwards = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(forwards.exit_code == 0);
        CHECK(query_int(dir / "app.db", "SELECT count(*) FROM users") == 1);
    }

    TEST_CASE("import needs a known format, and an app when the project has several") {
        TempDir dir;
        write_dbmate_project(dir);
        RunResult r = run_strata({"import", "db"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err == "strata: error: import needs the format of the migrations to convert\n"
                       "  hint: add --from FORMAT, one of golang-migrate, goose, dbmate, sqlx, "
                       "diesel\n");
        r = run_strata({"import", "--from", "flyway", "db"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err.starts_with("strata: error: unknown format \"flyway\" for --from\n"));

        write_apps(dir.path(), {"core", "billing"});
        r = run_strata({"import", "--from", "dbmate", "db"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err.starts_with("strata: error: which app? this project has 2 apps: core, "
                                "billing\n"));
        r = run_strata({"import", "--from", "dbmate", "db", "billing"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(file_exists(dir / "migrations/billing/20240102000000_seed.up.sql"));
    }

    TEST_CASE("--database: a missing file or one the tool never migrated writes nothing") {
        TempDir dir;
        write_dbmate_project(dir);
        RunResult r = run_strata({"import", "--from", "dbmate", "db", "--database", "legacy.db"},
                                 in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("the database does not exist") != std::string::npos);
        CHECK_FALSE(file_exists(dir / "legacy.db"));

        execute_sql(dir / "legacy.db", "CREATE TABLE other (x);");
        r = run_strata({"import", "--from", "dbmate", "db", "--database", "legacy.db"},
                       in_dir(dir.path()));
        CHECK(r.exit_code == 5);
        CHECK(r.err.find("the database has no schema_migrations table: dbmate has not migrated "
                         "it") != std::string::npos);
        CHECK_FALSE(file_exists(dir / "migrations/core/20240101000000_create_users.up.sql"));
        CHECK_FALSE(has_table(dir / "legacy.db", "migrations"));
    }
}
