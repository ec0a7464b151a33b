// SPDX-License-Identifier: MIT
// The project as a user meets it on the command line: the project file found from a subfolder,
// `.env` variables for ${VAR}, --busy-timeout, a missing database folder named as such, and a
// SQL error shown at its token with the source line and a caret.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

using namespace strata::test;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// One app whose only migration creates `table`, in a project whose database is `database`.
void write_one_table_project(const std::filesystem::path& root, const std::string& database,
                             const std::string& extra_top_level = "",
                             const std::string& table = "items") {
    ProjectSpec project;
    project.database = database;
    project.extra_top_level = extra_top_level;
    AppSpec app;
    app.name = "core";
    app.migrations = {{"0001", "create_" + table, "CREATE TABLE " + table + " (id INTEGER);\n",
                       "DROP TABLE " + table + ";\n"}};
    project.apps.push_back(app);
    write_project(root, project);
}

} // namespace

TEST_SUITE("e2e_project") {
    TEST_CASE("a syntax error is shown at its token, with the line and a caret under it") {
        TempDir dir;
        ProjectSpec project;
        AppSpec app;
        app.name = "core";
        app.migrations = {{"0001", "create_people",
                           "CREATE TABLE people (\n"
                           "  id INTEGER PRIMARY KEY,\n"
                           "  name TEXT NOT NULL,\n"
                           "  email TEXT,\n"
                           "  born TEXT,\n"
                           "  city TEXT,\n"
                           "  country\tTEXT NOT NUL,\n"
                           "  note TEXT\n"
                           ");\n",
                           "DROP TABLE people;\n"}};
        project.apps.push_back(app);
        write_project(dir.path(), project);

        const RunResult r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(contains(r.err, "0001_create_people.up.sql:7:20: "));
        // The tab is kept in the caret line, so the caret stays under the token.
        CHECK(contains(r.err, "near \"NUL\": syntax error\n"
                              "  7 |   country\tTEXT NOT NUL,\n"
                              "    | " +
                                  std::string(9, ' ') + "\t" + std::string(9, ' ') +
                                  "^\n"
                                  "  hint: "));
        // The run created the database and failed: it is gone again.
        CHECK_FALSE(std::filesystem::exists(dir / "app.db"));
    }

    TEST_CASE("the caret counts characters, and stays under the token after an escaped one") {
        TempDir dir;
        ProjectSpec project;
        AppSpec app;
        app.name = "core";
        // A two-byte letter, then a control character the terminal is shown as \x01.
        app.migrations = {{"0001", "odd", "SELECT 1;\nSELECT '\xC3\xA9\x01' 2;\n", "SELECT 1;\n"}};
        project.apps.push_back(app);
        write_project(dir.path(), project);

        const RunResult r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(contains(r.err, "0001_odd.up.sql:2:13: "));
        CHECK(contains(r.err, "  2 | SELECT '\xC3\xA9\\x01' 2;\n"
                              "    | " +
                                  std::string(15, ' ') + "^\n"));
    }

    TEST_CASE("a constraint failure keeps the statement's start and shows its first line") {
        TempDir dir;
        ProjectSpec project;
        AppSpec app;
        app.name = "core";
        app.migrations = {{"0001", "fill",
                           "CREATE TABLE t (x UNIQUE);\n"
                           "INSERT INTO t VALUES (1);\n"
                           "INSERT INTO t\n  VALUES (1);\n",
                           "DROP TABLE t;\n"}};
        project.apps.push_back(app);
        write_project(dir.path(), project);

        const RunResult r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(contains(r.err, "0001_fill.up.sql:3:1: "));
        CHECK(contains(r.err, "UNIQUE constraint failed: t.x\n"
                              "  3 | INSERT INTO t\n"
                              "    | ^\n"));
        // The run created the database and failed: it is gone again.
        CHECK_FALSE(std::filesystem::exists(dir / "app.db"));
    }

    TEST_CASE("strata.toml is found in a parent folder, and paths stay relative to it") {
        TempDir dir;
        write_one_table_project(dir.path(), "data.db");
        std::filesystem::create_directories(dir / "src/deeper");

        const RunResult r = run_strata({"forwards"}, in_dir(dir / "src/deeper"));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(has_table(dir / "data.db", "items"));
        CHECK_FALSE(std::filesystem::exists(dir / "src/deeper/data.db"));
    }

    TEST_CASE("without strata.toml here or above, the error says both") {
        TempDir dir;
        std::filesystem::create_directories(dir / "empty");
        const RunResult r = run_strata({"check"}, in_dir(dir / "empty"));
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "strata: error: no strata.toml in " + (dir / "empty").string() +
                                  " or any parent folder\n"));
    }

    TEST_CASE(".env in the project folder fills ${VAR}; the environment wins; --env-file and "
              "--no-dotenv choose") {
        TempDir dir;
        write_one_table_project(dir.path(), "${APP_DB}");
        write_file(dir / ".env", "# local settings\nexport APP_DB=\"from_dotenv.db\"\n");
        write_file(dir / "other.env", "APP_DB=from_other.db\n");
        std::filesystem::create_directories(dir / "sub");
        RunOptions opts = in_dir(dir / "sub"); // the project folder's .env, not the current one
        opts.unset_env.push_back("APP_DB");

        SUBCASE("the project folder's .env") {
            CHECK(run_strata({"forwards"}, opts).exit_code == 0);
            CHECK(has_table(dir / "from_dotenv.db", "items"));
        }
        SUBCASE("a variable already in the environment wins") {
            opts.env.emplace_back("APP_DB", "from_environment.db");
            CHECK(run_strata({"forwards"}, opts).exit_code == 0);
            CHECK(has_table(dir / "from_environment.db", "items"));
            CHECK_FALSE(std::filesystem::exists(dir / "from_dotenv.db"));
        }
        SUBCASE("--env-file reads that file instead, seen from the working folder") {
            CHECK(run_strata({"--env-file", "../other.env", "forwards"}, opts).exit_code == 0);
            CHECK(has_table(dir / "from_other.db", "items"));
            CHECK_FALSE(std::filesystem::exists(dir / "from_dotenv.db"));
        }
        SUBCASE("--no-dotenv reads none") {
            const RunResult r = run_strata({"forwards", "--no-dotenv"}, opts);
            CHECK(r.exit_code == 2);
            CHECK(contains(r.err, "environment variable \"APP_DB\" is not set"));
            CHECK_FALSE(std::filesystem::exists(dir / "from_dotenv.db"));
        }
        SUBCASE("--env-file and --no-dotenv together are refused") {
            const RunResult r =
                run_strata({"forwards", "--no-dotenv", "--env-file", "../other.env"}, opts);
            CHECK(r.exit_code == 2);
            CHECK(contains(r.err, "--env-file and --no-dotenv contradict each other"));
            CHECK_FALSE(std::filesystem::exists(dir / "from_other.db"));
        }
        SUBCASE("a .env syntax error is reported at its line") {
            write_file(dir / ".env", "APP_DB=ok.db\nAPP DB=x\n");
            const RunResult r = run_strata({"forwards"}, opts);
            CHECK(r.exit_code == 2);
            CHECK(contains(r.err, (dir / ".env").string() + ":2: expected \"=\" after \"APP\""));
        }
    }

    TEST_CASE("--busy-timeout overrides busy_timeout_ms") {
        TempDir dir;
        // Ten minutes in the project: a run that ignored --busy-timeout would wait past the test
        // harness's deadline and be killed.
        write_one_table_project(dir.path(), "app.db", "busy_timeout_ms = 600000\n");
        execute_sql(dir / "app.db", "CREATE TABLE other (x)");
        RunResult r;
        {
            HeldWriteLock lock(dir / "app.db");
            r = run_strata({"forwards", "--busy-timeout", "100"}, in_dir(dir.path()));
        }
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 4);
        CHECK(contains(r.err, "locked"));
        CHECK_FALSE(has_table(dir / "app.db", "items"));

        const RunResult bad = run_strata({"forwards", "--busy-timeout", "-1"}, in_dir(dir.path()));
        CHECK(bad.exit_code == 2);
        CHECK(contains(bad.err, "--busy-timeout needs a whole number of milliseconds"));
    }

    TEST_CASE("a database whose folder does not exist is named as such") {
        TempDir dir;
        write_one_table_project(dir.path(), "missing/sub/app.db");
        const RunResult r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 5);
        CHECK(contains(r.err, "the folder " + (dir / "missing/sub").string() +
                                  " of database missing/sub/app.db does not exist"));
        CHECK_FALSE(std::filesystem::exists(dir / "missing"));
    }

    TEST_CASE("a top-level key after [[apps]] and a ~ path are explained on the command line") {
        TempDir dir;
        write_one_table_project(dir.path(), "app.db");
        SUBCASE("misplaced key") {
            write_file(dir / "strata.toml", "database = \"app.db\"\n[[apps]]\nname = \"core\"\n"
                                            "migrations = \"migrations/core\"\n"
                                            "journal_mode = \"WAL\"\n");
            const RunResult r = run_strata({"check"}, in_dir(dir.path()));
            CHECK(r.exit_code == 2);
            CHECK(contains(r.err, "strata.toml:5:1: \"journal_mode\" is a top-level key"));
            CHECK(contains(r.err, "hint: move it above the first [[apps]]"));
        }
        SUBCASE("case-insensitive values") {
            write_file(dir / "strata.toml", "database = \"app.db\"\njournal_mode = \"WAL\"\n"
                                            "foreign_keys = \"Deferred\"\n[[apps]]\n"
                                            "name = \"core\"\nmigrations = \"migrations/core\"\n");
            CHECK(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
            CHECK(query_text(dir / "app.db", "PRAGMA journal_mode") == "wal");
        }
        SUBCASE("~ in the database path") {
            write_file(dir / "strata.toml", "database = \"~/app.db\"\n[[apps]]\nname = \"core\"\n"
                                            "migrations = \"migrations/core\"\n");
            const RunResult r = run_strata({"check"}, in_dir(dir.path()));
            CHECK(r.exit_code == 2);
            CHECK(contains(r.err, "hint: write ${HOME}/app.db"));
            CHECK_FALSE(std::filesystem::exists(dir / "~"));
        }
    }
}
