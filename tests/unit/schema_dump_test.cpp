// SPDX-License-Identifier: MIT
// The schema as SQL: order, exclusions, and the schema file.
#include "report/text_reporter.hpp"
#include "strata/api/database_tools.hpp"
#include "strata/api/managers.hpp"
#include "strata/error.hpp"
#include "strata/executor/schema_dump.hpp"
#include "strata/project/settings.hpp"
#include "strata/state/state_store.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"
#include "util/file_writer.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

using namespace strata;
using strata::test::table_exists;
using strata::test::TestDatabase;
using namespace strata::test;
namespace fs = std::filesystem;

namespace {

// Created out of order, with everything the dump must leave out: strata's state table (with an
// index and a trigger on it), sqlite_sequence (AUTOINCREMENT), an automatic index (UNIQUE) and
// sqlite_stat1 (ANALYZE).
constexpr const char* k_schema_sql = R"(
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT UNIQUE);
CREATE VIEW recent_notes AS SELECT * FROM notes ORDER BY id DESC LIMIT 10;
CREATE INDEX users_by_email ON users(email);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    body TEXT
);
CREATE TRIGGER notes_touch AFTER UPDATE ON notes BEGIN SELECT 1; END;
CREATE INDEX notes_by_body ON notes(body);
CREATE VIEW active_users AS SELECT * FROM users;
CREATE TABLE migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, app_name TEXT, name TEXT);
CREATE INDEX migrations_by_app ON migrations(app_name);
CREATE TRIGGER migrations_guard BEFORE DELETE ON migrations BEGIN SELECT 1; END;
INSERT INTO users (email) VALUES ('a@example.com');
ANALYZE;
)";

constexpr const char* k_expected_dump =
    "CREATE TABLE notes (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    body TEXT\n"
    ");\n"
    "\n"
    "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT UNIQUE);\n"
    "\n"
    "CREATE INDEX notes_by_body ON notes(body);\n"
    "\n"
    "CREATE INDEX users_by_email ON users(email);\n"
    "\n"
    "CREATE VIEW active_users AS SELECT * FROM users;\n"
    "\n"
    "CREATE VIEW recent_notes AS SELECT * FROM notes ORDER BY id DESC LIMIT 10;\n"
    "\n"
    "CREATE TRIGGER notes_touch AFTER UPDATE ON notes BEGIN SELECT 1; END;\n";

} // namespace

TEST_SUITE("schema_dump") {
    TEST_CASE("tables, indexes, views and triggers, each by name, without strata's table") {
        TempDir dir;
        execute_sql(dir / "app.db", k_schema_sql);
        // The exclusions are really there to be left out.
        REQUIRE(query_int(dir / "app.db", "SELECT count(*) FROM sqlite_master WHERE name IN "
                                          "('sqlite_sequence', 'sqlite_stat1', "
                                          "'sqlite_autoindex_users_1')") == 3);
        TestDatabase db((dir / "app.db").string());

        CHECK(dump_schema(db, k_default_state_table) == k_expected_dump);
    }

    TEST_CASE("strata's own state table is left out as the state store creates it") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        StateStore(db, k_default_state_table).create_if_missing();
        db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY)");

        CHECK(dump_schema(db, k_default_state_table) ==
              "CREATE TABLE users (id INTEGER PRIMARY KEY);\n");
    }

    TEST_CASE("an empty database has an empty schema") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        CHECK(dump_schema(db, k_default_state_table).empty());
    }

    TEST_CASE("the dump re-creates the same schema") {
        TestDatabase original(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        original.exec(k_schema_sql);
        original.exec("CREATE VIRTUAL TABLE docs USING fts5(body)");
        const std::string dump = dump_schema(original, k_default_state_table);
        // The virtual table's own storage tables (docs_data, ...) come with it, not separately.
        CHECK(dump.find("docs_data") == std::string::npos);
        CHECK(dump.find("CREATE VIRTUAL TABLE docs USING fts5(body);\n") != std::string::npos);

        TestDatabase copy(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        copy.exec(dump);
        CHECK(dump_schema(copy, k_default_state_table) == dump);
    }

    TEST_CASE("write_schema_file writes the dump, creating folders, and replaces the old file") {
        TempDir dir;
        TestDatabase db((dir / "app.db").string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY)");
        const fs::path file = dir / "db" / "schema" / "schema.sql";

        write_schema_file(db, file, k_default_state_table);
        CHECK(read_file(file) == "CREATE TABLE users (id INTEGER PRIMARY KEY);\n");

        db.exec("CREATE TABLE tags (id INTEGER PRIMARY KEY)");
        write_schema_file(db, file, k_default_state_table);
        CHECK(read_file(file) == "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n\n"
                                 "CREATE TABLE users (id INTEGER PRIMARY KEY);\n");
        // No temporary file is left beside it.
        CHECK(names_in(dir / "db" / "schema") == std::vector<std::string>{"schema.sql"});
    }

    TEST_CASE("write_schema_file reports a path it cannot write and leaves nothing behind") {
        TempDir dir;
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY)");
        const fs::path file = dir / "schema.sql";
        fs::create_directory(file); // a folder where the file should go

        try {
            write_schema_file(db, file, k_default_state_table);
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Database);
            CHECK(e.message().starts_with("cannot write the schema file " + file.string() + ": "));
        }
        CHECK(names_in(dir.path()) == std::vector<std::string>{"schema.sql"});
        CHECK(fs::is_directory(file));
    }

    TEST_CASE("write_schema_file never follows a link planted at its temporary name") {
        TempDir dir;
        TestDatabase db((dir / "app.db").string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY)");
        const fs::path file = dir / "schema.sql";
        write_file(dir / "victim", "precious");
        // The first name util's writer tries for this process.
        fs::create_symlink(dir / "victim", util::temporary_path_for(file, 0));

        write_schema_file(db, file, k_default_state_table);

        CHECK(read_file(file) == "CREATE TABLE users (id INTEGER PRIMARY KEY);\n");
        CHECK(read_file(dir / "victim") == "precious");
        CHECK(fs::is_symlink(util::temporary_path_for(file, 0)));
    }

    TEST_CASE("write_schema_file refuses the database it describes and SQLite's files beside it") {
        TempDir dir;
        const fs::path database = dir / "app.db";
        execute_sql(database, "CREATE TABLE users (id INTEGER PRIMARY KEY);");
        TestDatabase db(database.string(), SQLITE_OPEN_READWRITE);
        fs::create_directory(dir / "sub");
        for (const std::string& target :
             {database.string(), (dir / "sub" / ".." / "app.db").string(),
              database.string() + "-journal", database.string() + "-wal",
              database.string() + "-shm"}) {
            CAPTURE(target);
            const FileSnapshot snapshot(database);
            try {
                write_schema_file(db, target, k_default_state_table);
                FAIL("expected an error");
            } catch (const Error& e) {
                CHECK(e.kind() == ErrorKind::Usage);
                CHECK(e.message().starts_with("refusing to write the schema file " + target +
                                              ": it is the database"));
            }
            CHECK(snapshot.unchanged());
        }
        CHECK(names_in(dir.path()) == std::vector<std::string>{"app.db", "sub"});
    }

    TEST_CASE("a run refuses a schema_file that is the database before it changes anything") {
        // A Project built in code (or a --database override) skips load_project's check.
        TempDir dir;
        fs::create_directories(dir / "migrations" / "core");
        write_file(dir / "migrations" / "core" / "0001_users.up.sql",
                   "CREATE TABLE users (id INTEGER PRIMARY KEY);\n");
        write_file(dir / "migrations" / "core" / "0001_users.down.sql", "DROP TABLE users;\n");
        Project project;
        project.file = dir / "strata.toml";
        project.database = dir / "app.db";
        project.apps.push_back({"core", dir / "migrations" / "core", {}, {}});
        execute_sql(project.database, "CREATE TABLE keep (x); INSERT INTO keep VALUES (1);");
        struct Case {
            fs::path schema_file;
            std::string problem;
        };
        for (const Case& c : std::vector<Case>{
                 {dir / "app.db", "is the database " + project.database.string()},
                 {dir / "migrations" / "core" / "schema.sql",
                  "is in the migrations folder " + (dir / "migrations" / "core").string() +
                      " of app \"core\""},
                 {dir / "strata.toml", "is the project file " + project.file.string()}}) {
            CAPTURE(c.schema_file);
            project.settings.schema_file = c.schema_file;
            const FileSnapshot snapshot(project.database);
            try {
                ForwardsMigrationManager(Context{project}).run();
                FAIL("expected an error");
            } catch (const Error& e) {
                CHECK(e.kind() == ErrorKind::Usage);
                CHECK(e.message() == "schema_file " + c.schema_file.string() + " " + c.problem);
            }
            CHECK(snapshot.unchanged());
        }
        CHECK_FALSE(file_exists(dir / "strata.toml"));
        CHECK(names_in(dir / "migrations" / "core") ==
              std::vector<std::string>{"0001_users.down.sql", "0001_users.up.sql"});
    }

    TEST_CASE("schema_of reads an existing database and never creates one") {
        TempDir dir;
        Project project;
        project.database = dir / "app.db";

        CHECK(schema_of(project).empty());
        CHECK_FALSE(file_exists(project.database));

        execute_sql(project.database, k_schema_sql);
        const FileSnapshot snapshot(project.database);
        CHECK(schema_of(project) == k_expected_dump);
        CHECK(snapshot.unchanged());
    }

    TEST_CASE("schema_of reports a file that is not a database") {
        TempDir dir;
        Project project;
        project.database = dir / "app.db";
        write_file(project.database, "not a database, but long enough to have a header's length "
                                     "of text in it so that SQLite reads it and says so");

        try {
            schema_of(project);
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Database);
            CHECK(e.message() == "database " + project.database.string() +
                                     ": reading the schema failed: file is not a database");
        }
    }

    TEST_CASE("the text reporter says which schema file it wrote, except when quiet") {
        TempDir dir;
        std::ostringstream out;
        report::TextReporterOptions options;
        options.display_base = dir.path();
        report::TextReporter reporter(out, options);
        reporter.on_schema_written((dir / "db" / "schema.sql").string());
        CHECK(out.str() == "Wrote db/schema.sql\n");

        std::ostringstream quiet_out;
        options.quiet = true;
        report::TextReporter quiet(quiet_out, options);
        quiet.on_schema_written((dir / "schema.sql").string());
        CHECK(quiet_out.str().empty());
    }
}
