// SPDX-License-Identifier: MIT
// Bad input never changes the database, and a migration cannot escape its transaction.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <regex>

using namespace strata::test;

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

bool starts_with_error(const RunResult& r) {
    return r.err.rfind("strata: error: ", 0) == 0;
}

// A standard project whose first migration has been applied.
void write_half_applied(const std::filesystem::path& root) {
    write_standard_project(root);
    auto r = run_strata({"forwards", "core", "1"}, in_dir(root));
    INFO("setup stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
}

} // namespace

TEST_SUITE("e2e_safety") {
    TEST_CASE("an unknown key in strata.toml is reported with file:line:col and a suggestion") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";
        bool with_database = false;
        SUBCASE("no database: not created") {}
        SUBCASE("existing database: byte-identical") {
            with_database = true;
            REQUIRE(run_strata({"forwards", "core", "1"}, in_dir(dir.path())).exit_code == 0);
        }
        FileSnapshot before(db);
        write_file(dir / "strata.toml", "database = \"app.db\"\n"
                                        "\n"
                                        "[[apps]]\n"
                                        "name = \"core\"\n"
                                        "migrations = \"migrations/core\"\n"
                                        "depens_on = []\n");

        for (const char* command : {"forwards", "check"}) {
            CAPTURE(command);
            CAPTURE(with_database);
            auto r = run_strata({command}, in_dir(dir.path()));
            CHECK(r.exit_code == 2);
            CHECK(starts_with_error(r));
            CHECK(std::regex_search(r.err, std::regex(R"(strata\.toml:6:\d+: )")));
            CHECK(r.err.find("depens_on") != std::string::npos);
            CHECK(r.err.find("depends_on") != std::string::npos);
            CHECK(r.out.empty());
            CHECK(before.unchanged());
        }
    }

    TEST_CASE("a FIFO named strata.toml is refused at once instead of waiting for a writer") {
        TempDir dir;
        write_standard_project(dir.path());
        std::filesystem::remove(dir / "strata.toml");
        REQUIRE(::mkfifo((dir / "strata.toml").c_str(), 0600) == 0);

        // run_strata kills a child that outlives its deadline, so a hang fails here too.
        for (const char* command : {"forwards", "check"}) {
            CAPTURE(command);
            auto r = run_strata({command}, in_dir(dir.path()));
            CHECK(r.exit_code == 2);
            CHECK(lines_of(r.err) ==
                  std::vector<std::string>{"strata: error: strata.toml: project file is not a "
                                           "regular file (it is a FIFO)",
                                           "  hint: pass -p FILE with the path of a strata.toml "
                                           "file"});
            CHECK(r.out.empty());
        }
        CHECK_FALSE(std::filesystem::exists(dir / "app.db"));
    }

    TEST_CASE("a bad migration set is refused before the database is touched") {
        TempDir dir;
        write_half_applied(dir.path());
        auto folder = dir / "migrations/core";
        auto db = dir / "app.db";

        std::string culprit;
        SUBCASE("up file without its down file") {
            culprit = "0004_orphan.up.sql";
            write_file(folder / culprit, "CREATE TABLE orphan (x);\n");
        }
        SUBCASE("down file without its up file") {
            culprit = "0004_orphan.down.sql";
            write_file(folder / culprit, "DROP TABLE orphan;\n");
        }
        SUBCASE("two migrations with the same id") {
            culprit = "0002";
            write_migration(folder,
                            {"0002", "again", "CREATE TABLE again (x);\n", "DROP TABLE again;\n"});
        }
        SUBCASE("a .sql file that does not match the naming pattern") {
            culprit = "notes.sql";
            write_file(folder / culprit, "SELECT 1;\n");
        }
        SUBCASE("an up file that is not valid UTF-8") {
            culprit = "0004_latin1.up.sql";
            write_migration(folder,
                            {"0004", "latin1", "INSERT INTO users (name) VALUES ('\xE9');\n",
                             "DELETE FROM users;\n"});
        }
        SUBCASE("an up file that is still the template of strata new") {
            culprit = "0004_unwritten.up.sql:1:1";
            write_migration(folder, {"0004", "unwritten",
                                     "-- strata:template (delete this line when you write the "
                                     "migration)\n-- unwritten: write the SQL to apply here\n",
                                     "SELECT 1;\n"});
        }
        SUBCASE("a NUL byte in an up file") {
            culprit = "0004_nul.up.sql";
            write_migration(
                folder, {"0004", "nul",
                         "CREATE TABLE a (x);\n" + std::string(1, '\0') + "CREATE TABLE b (y);\n",
                         "DROP TABLE b;\nDROP TABLE a;\n"});
        }
        SUBCASE("a NUL byte in a down file") {
            culprit = "0004_nul.down.sql";
            write_migration(folder, {"0004", "nul", "CREATE TABLE a (x);\n",
                                     "DROP TABLE a;\n" + std::string(1, '\0')});
        }
        CAPTURE(culprit);
        FileSnapshot before(db);

        for (const char* command : {"forwards", "check"}) {
            CAPTURE(command);
            auto r = run_strata({command}, in_dir(dir.path()));
            CHECK(r.exit_code == 2);
            CHECK(starts_with_error(r));
            CHECK(r.err.find(culprit) != std::string::npos);
            CHECK(before.unchanged());
        }
        CHECK(migration_rows(db) == Rows{{"core", "0001"}});
    }

    TEST_CASE("a bad migration set does not create a missing database") {
        TempDir dir;
        write_standard_project(dir.path());
        write_file(dir / "migrations/core/0004_orphan.up.sql", "CREATE TABLE orphan (x);\n");

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("0004_orphan.up.sql") != std::string::npos);
        CHECK_FALSE(file_exists(dir / "app.db"));
    }

    TEST_CASE("transaction control inside a migration is refused and rolled back entirely") {
        TempDir dir;
        write_half_applied(dir.path());
        auto db = dir / "app.db";
        FileSnapshot before(db);

        std::string statement;
        SUBCASE("BEGIN") {
            statement = "BEGIN;";
        }
        SUBCASE("BEGIN TRANSACTION") {
            statement = "BEGIN TRANSACTION;";
        }
        SUBCASE("COMMIT") {
            statement = "COMMIT;";
        }
        SUBCASE("END") {
            statement = "END;";
        }
        SUBCASE("ROLLBACK") {
            statement = "ROLLBACK;";
        }
        SUBCASE("ATTACH") {
            statement = "ATTACH DATABASE 'attached.db' AS other;";
        }
        SUBCASE("DETACH") {
            statement = "DETACH DATABASE other;";
        }
        SUBCASE("VACUUM") {
            statement = "VACUUM;";
        }
        CAPTURE(statement);
        // The forbidden statement is on line 3, after two statements that must not persist.
        write_file(dir / "migrations/core/0002_create_notes.up.sql",
                   "CREATE TABLE before_it (x);\n"
                   "INSERT INTO users (name) VALUES ('before');\n" +
                       statement +
                       "\n"
                       "CREATE TABLE after_it (y);\n");

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stdout: " << r.out);
        CHECK(r.exit_code == 1);
        CHECK(starts_with_error(r));
        CHECK(r.err.find("0002_create_notes.up.sql:3") != std::string::npos);
        CHECK(before.unchanged());
        CHECK(migration_rows(db) == Rows{{"core", "0001"}});
        CHECK(table_names(db) == std::vector<std::string>{"migrations", "users"});
        CHECK(query_int(db, "SELECT count(*) FROM users") == 0);
        CHECK_FALSE(file_exists(dir / "attached.db"));
    }

    TEST_CASE("a migration may not write to strata's own state table") {
        TempDir dir;
        write_half_applied(dir.path());
        auto db = dir / "app.db";
        FileSnapshot before(db);

        std::string statement;
        SUBCASE("INSERT") {
            statement = "INSERT INTO migrations (app_name, name, description, checksum, "
                        "down_sql, ran_on) VALUES ('core', '0009', 'x', 'x', '', 'x');";
        }
        SUBCASE("UPDATE") {
            statement = "UPDATE migrations SET description = 'edited';";
        }
        SUBCASE("DELETE") {
            statement = "DELETE FROM migrations;";
        }
        CAPTURE(statement);
        write_file(dir / "migrations/core/0002_create_notes.up.sql",
                   "CREATE TABLE notes (id INTEGER PRIMARY KEY);\n" + statement + "\n");

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stdout: " << r.out);
        CHECK(r.exit_code == 1);
        CHECK(starts_with_error(r));
        CHECK(r.err.find("0002_create_notes.up.sql:2") != std::string::npos);
        CHECK(before.unchanged());
        CHECK(query_text(db, "SELECT description FROM migrations") == "create users");
        CHECK_FALSE(has_table(db, "notes"));
    }

    TEST_CASE("a state row whose id is not digits exits 5, naming the row") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";
        REQUIRE(run_strata({"forwards", "core", "1"}, in_dir(dir.path())).exit_code == 0);
        execute_sql(db, "UPDATE migrations SET name = '1 OR 1' WHERE name = '0001'");
        FileSnapshot before(db);

        for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
                 {"check"}, {"forwards"}, {"backwards", "core", "--yes"}, {"sync", "--yes"}}) {
            CAPTURE(args.front());
            auto r = run_strata(args, in_dir(dir.path()));
            CHECK(r.exit_code == 5);
            CHECK(starts_with_error(r));
            CHECK(r.err.find("holds an invalid migration id \"1 OR 1\" (row id 1, app "
                             "\"core\")") != std::string::npos);
            CHECK(before.unchanged());
        }
    }

    TEST_CASE("a file that is not a database exits 5 and is left alone") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";
        write_file(db, std::string(4096, 'x'));
        FileSnapshot before(db);

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 5);
        CHECK(starts_with_error(r));
        CHECK(before.unchanged());
    }
}

TEST_SUITE("e2e_safety") {
    TEST_CASE("a closed pipe on stdout stops the run with a message and rolls back the migration "
              "in flight") {
        TempDir dir;
        write_standard_project(dir.path());
        RunOptions opts = in_dir(dir.path());
        opts.stdout_closed = true;
        auto r = run_strata({"forwards"}, opts);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 1); // not 141: SIGPIPE does not kill strata
        CHECK(r.err.find("strata: error: cannot write the progress output") != std::string::npos);
        // "Applying core 0001 ..." was the first write: nothing of that migration was kept,
        // not even the state table its transaction would have created, and the database the
        // run created for it went again.
        CHECK_FALSE(file_exists(dir / "app.db"));
        CHECK_FALSE(file_exists(dir / "app.db-journal"));
    }

    TEST_CASE("a closed pipe on stdout under -q: the run completes, and the lost result is an "
              "error") {
        TempDir dir;
        write_standard_project(dir.path());
        RunOptions opts = in_dir(dir.path());
        opts.stdout_closed = true;
        auto r = run_strata({"-q", "forwards"}, opts);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0); // -q prints nothing on success, so nothing was lost
        CHECK(migration_rows(dir / "app.db").size() == 3);

        auto check = run_strata({"check"}, opts);
        INFO("check stderr: " << check.err);
        CHECK(check.exit_code == 1);
        CHECK(check.err.find("strata: error: cannot write the output") != std::string::npos);
    }
}
