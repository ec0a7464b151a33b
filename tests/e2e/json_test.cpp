// SPDX-License-Identifier: MIT
// --json run as a real process: every reporting command prints one valid document of the
// versioned schema (docs/json.md) and nothing else on stdout, errors are JSON on stderr with the
// process's exit code, and a run that would ask is refused instead.
#include "cli/command_table.hpp"
#include "support/fixtures.hpp"
#include "support/json.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <functional>
#include <map>

using namespace strata::test;
namespace fs = std::filesystem;

namespace {

// Runs strata in `dir` and reads its stdout as one JSON document (failing the test when it is
// not exactly one valid document).
JsonValue run_json(const std::vector<std::string>& args, const fs::path& dir,
                   int expected_exit = 0) {
    const RunResult r = run_strata(args, in_dir(dir));
    INFO("stdout: " << r.out);
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == expected_exit);
    CHECK(r.err.empty());
    JsonValue doc;
    REQUIRE_NOTHROW(doc = parse_json(r.out));
    CHECK(doc["schema"].string == "strata/1");
    return doc;
}

// Runs strata in `dir`, expecting it to fail: stdout stays empty, stderr holds one error
// document whose exit_code is the process's. Returns the "error" member.
JsonValue run_json_error(const std::vector<std::string>& args, const fs::path& dir, int exit_code) {
    const RunResult r = run_strata(args, in_dir(dir));
    INFO("stdout: " << r.out);
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == exit_code);
    CHECK(r.out.empty());
    JsonValue doc;
    REQUIRE_NOTHROW(doc = parse_json(r.err));
    CHECK(doc["schema"].string == "strata/1");
    CHECK_FALSE(doc["ok"].boolean);
    CHECK(doc["error"]["exit_code"].number == exit_code);
    return doc["error"];
}

void setup_ok(const std::vector<std::string>& args, const fs::path& dir) {
    const RunResult r = run_strata(args, in_dir(dir));
    INFO("setup stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
}

const std::string k_users_up = "migrations/core/0001_create_users.up.sql";

// How each command that takes --json is run on the standard project (core 0001..0003): the
// setup it needs, then its arguments (without --json). A command that gets --json in the
// command table and is missing here fails the test below.
using JsonCase = std::function<std::vector<std::string>(const fs::path&)>;
const std::map<std::string, JsonCase>& json_cases() {
    static const std::map<std::string, JsonCase> cases{
        {"forwards", [](const fs::path&) { return std::vector<std::string>{"forwards"}; }},
        {"backwards",
         [](const fs::path& dir) {
             setup_ok({"forwards"}, dir);
             return std::vector<std::string>{"backwards", "core", "--yes"};
         }},
        {"redo",
         [](const fs::path& dir) {
             setup_ok({"forwards"}, dir);
             return std::vector<std::string>{"redo", "core", "--yes"};
         }},
        {"goto",
         [](const fs::path&) {
             return std::vector<std::string>{"goto", "core", "0002"};
         }},
        {"check", [](const fs::path&) { return std::vector<std::string>{"check"}; }},
        {"lint", [](const fs::path&) { return std::vector<std::string>{"lint"}; }},
        {"sync",
         [](const fs::path&) {
             return std::vector<std::string>{"sync", "--yes"};
         }},
        {"repair",
         [](const fs::path& dir) {
             setup_ok({"forwards"}, dir);
             write_file(dir / k_users_up, "CREATE TABLE users (id INTEGER PRIMARY KEY, x);\n");
             return std::vector<std::string>{"repair", "core"};
         }},
        {"clean",
         [](const fs::path& dir) {
             setup_ok({"forwards"}, dir);
             fs::remove(dir / "migrations/core/0003_add_tags.up.sql");
             fs::remove(dir / "migrations/core/0003_add_tags.down.sql");
             return std::vector<std::string>{"clean", "core", "--yes"};
         }},
        {"restore",
         [](const fs::path& dir) {
             setup_ok({"forwards", "core", "0001"}, dir);
             const RunResult r = run_strata({"forwards", "--backup", "--json"}, in_dir(dir));
             REQUIRE(r.exit_code == 0);
             return std::vector<std::string>{"restore", parse_json(r.out)["backup"].string,
                                             "--yes"};
         }},
        {"new",
         [](const fs::path&) {
             return std::vector<std::string>{"new", "core", "x"};
         }},
        {"verify", [](const fs::path&) { return std::vector<std::string>{"verify"}; }},
        {"init",
         [](const fs::path& dir) {
             fs::remove(dir / "strata.toml");
             return std::vector<std::string>{"init", "extra"};
         }},
        {"import",
         [](const fs::path& dir) {
             write_file(dir / "legacy/00009_more.sql", "-- +goose Up\nCREATE TABLE more (x);\n");
             return std::vector<std::string>{"import", "--from", "goose", "legacy", "core"};
         }},
    };
    return cases;
}

// Commands that print no report of their own (their output is SQL, a file or help text); a
// new command must be either here or taking --json.
const std::vector<std::string> k_not_reporting{"schema", "embed", "bundle", "help"};

} // namespace

TEST_SUITE("e2e_json") {
    TEST_CASE("every command the table marks as reporting prints one --json document") {
        const strata::cli::OptionSpec* json = strata::cli::find_long_option("json");
        REQUIRE(json != nullptr);
        for (const strata::cli::CommandSpec& spec : strata::cli::command_specs()) {
            const std::string name(spec.name);
            INFO("command: " << name);
            if (!strata::cli::takes_option(spec.command, *json)) {
                CHECK_MESSAGE(std::find(k_not_reporting.begin(), k_not_reporting.end(), name) !=
                                  k_not_reporting.end(),
                              "give the command --json (k_reporting) or list it as not reporting");
                continue;
            }
            auto found = json_cases().find(name);
            REQUIRE_MESSAGE(found != json_cases().end(), "add a --json case for this command");
            TempDir dir;
            write_standard_project(dir.path());
            std::vector<std::string> args = found->second(dir.path());
            args.push_back("--json");
            const JsonValue doc = run_json(args, dir.path());
            CHECK(doc["command"].string == name);
            CHECK(doc["ok"].boolean);
        }
    }

    TEST_CASE("forwards --json: the steps applied, the database, nothing else on stdout") {
        TempDir dir;
        write_standard_project(dir.path());
        const JsonValue doc = run_json({"forwards", "--json"}, dir.path());
        CHECK(doc["command"].string == "forwards");
        CHECK(fs::path(doc["database"].string).is_absolute());
        CHECK(fs::equivalent(doc["database"].string, dir / "app.db"));
        REQUIRE(doc["steps"].array.size() == 3);
        const char* ids[] = {"0001", "0002", "0003"};
        for (std::size_t i = 0; i < 3; ++i) {
            const JsonValue& step = doc["steps"].array[i];
            CHECK(step["app_name"].string == "core");
            CHECK(step["migration_id"].string == ids[i]);
            CHECK(step["direction"].string == "forwards");
            CHECK(step["status"].string == "applied");
            CHECK(step["elapsed_ms"].number >= 0);
        }
        CHECK(doc["steps"].array[0]["description"].string == "create users");
        CHECK(table_names(dir / "app.db") ==
              std::vector<std::string>{"migrations", "notes", "tags", "users"});

        // Nothing left to do is still a document, with no steps.
        const JsonValue again = run_json({"-q", "up", "--json"}, dir.path());
        CHECK(again["command"].string == "forwards");
        CHECK(again["steps"].array.empty());
        CHECK_FALSE(again["message"].string.empty());
    }

    TEST_CASE("backwards, goto and sync --json report the reversed migrations") {
        TempDir dir;
        write_standard_project(dir.path());
        setup_ok({"forwards"}, dir.path());
        JsonValue doc = run_json({"down", "core", "--steps", "2", "--yes", "--json"}, dir.path());
        CHECK(doc["command"].string == "backwards");
        REQUIRE(doc["steps"].array.size() == 2);
        CHECK(doc["steps"].array[0]["migration_id"].string == "0003");
        CHECK(doc["steps"].array[0]["direction"].string == "backwards");
        CHECK(doc["steps"].array[0]["status"].string == "reversed");
        CHECK(doc["steps"].array[1]["migration_id"].string == "0002");
        CHECK(migration_rows(dir / "app.db") ==
              std::vector<std::pair<std::string, std::string>>{{"core", "0001"}});

        doc = run_json({"goto", "core", "0003", "--json"}, dir.path());
        REQUIRE(doc["steps"].array.size() == 2);
        CHECK(doc["steps"].array[1]["status"].string == "applied");

        doc = run_json({"goto", "core", "0", "--yes", "--json"}, dir.path());
        CHECK(doc["steps"].array.size() == 3);
        CHECK(doc["steps"].array[2]["migration_id"].string == "0001");
        CHECK(migration_rows(dir / "app.db").empty());

        doc = run_json({"sync", "--json"}, dir.path());
        CHECK(doc["command"].string == "sync");
        CHECK(doc["steps"].array.size() == 3);
    }

    TEST_CASE("--preview --json carries each step's SQL and changes nothing") {
        TempDir dir;
        write_standard_project(dir.path());
        const JsonValue doc = run_json({"forwards", "--preview", "--json"}, dir.path());
        REQUIRE(doc["steps"].array.size() == 3);
        CHECK(doc["steps"].array[0]["status"].string == "previewed");
        CHECK(doc["steps"].array[0]["sql"].string.find("CREATE TABLE users") != std::string::npos);
        CHECK(doc["steps"].array[0]["elapsed_ms"].is_null());
        CHECK_FALSE(file_exists(dir / "app.db"));
    }

    TEST_CASE("forwards --fake --json marks the steps faked") {
        TempDir dir;
        write_standard_project(dir.path());
        const JsonValue doc = run_json({"forwards", "--fake", "--yes", "--json"}, dir.path());
        REQUIRE(doc["steps"].array.size() == 3);
        CHECK(doc["steps"].array[0]["status"].string == "faked");
        CHECK(table_names(dir / "app.db") == std::vector<std::string>{"migrations"});
    }

    TEST_CASE("--backup --json names the backup; repair and clean --json report their work") {
        TempDir dir;
        write_standard_project(dir.path());
        setup_ok({"forwards", "core", "0001"}, dir.path());
        JsonValue doc = run_json({"forwards", "--backup", "--json"}, dir.path());
        REQUIRE(doc["backup"].type == JsonValue::Type::String);
        CHECK(file_exists(doc["backup"].string));
        CHECK(migration_rows(doc["backup"].string) ==
              std::vector<std::pair<std::string, std::string>>{{"core", "0001"}});

        write_file(dir / k_users_up, "CREATE TABLE users (id INTEGER PRIMARY KEY, x);\n");
        doc = run_json({"repair", "core", "--json"}, dir.path());
        CHECK(doc["command"].string == "repair");
        CHECK(doc["message"].string.find("0001") != std::string::npos);

        fs::remove(dir / "migrations/core/0003_add_tags.up.sql");
        fs::remove(dir / "migrations/core/0003_add_tags.down.sql");
        doc = run_json({"clean", "core", "--yes", "--json"}, dir.path());
        CHECK(doc["command"].string == "clean");
        CHECK(migration_rows(dir / "app.db").size() == 2);
    }

    TEST_CASE("new and init --json name the files they wrote") {
        TempDir dir;
        JsonValue doc = run_json({"init", "core", "--json"}, dir.path());
        REQUIRE(doc["files"].array.size() == 2);
        CHECK(fs::path(doc["files"].array[0].string).is_absolute());
        CHECK(fs::equivalent(doc["files"].array[0].string, dir / "strata.toml"));
        CHECK(fs::equivalent(doc["files"].array[1].string, dir / "migrations/core"));

        // -C changes the folder relative paths are seen from, not where the paths point.
        fs::create_directory(dir / "sub");
        doc = run_json({"-C", "sub", "init", "--json"}, dir.path());
        CHECK(fs::equivalent(doc["files"].array[0].string, dir / "sub/strata.toml"));
        doc = run_json({"-C", "sub", "forwards", "--json"}, dir.path());
        CHECK(fs::path(doc["database"].string).is_absolute());
        // The database does not exist yet (no migrations): compare its folder.
        CHECK(fs::path(doc["database"].string).filename() == "app.db");
        CHECK(fs::equivalent(fs::path(doc["database"].string).parent_path(), dir / "sub"));

        doc = run_json({"new", "core", "create", "users", "--json"}, dir.path());
        REQUIRE(doc["files"].array.size() == 2);
        CHECK(doc["files"].array[0].string.ends_with("_create_users.up.sql"));
        CHECK(doc["files"].array[1].string.ends_with("_create_users.down.sql"));
        CHECK(file_exists(doc["files"].array[0].string));
        CHECK(file_exists(doc["files"].array[1].string));
    }

    TEST_CASE("under --json nothing asks: a run that needs confirmation is a JSON error") {
        TempDir dir;
        write_standard_project(dir.path());
        setup_ok({"forwards"}, dir.path());
        FileSnapshot before(dir / "app.db");
        const JsonValue error = run_json_error({"backwards", "core", "--json"}, dir.path(), 1);
        CHECK(error["kind"].string == "refused");
        CHECK(error["hint"].string.find("--yes") != std::string::npos);
        CHECK(before.unchanged());
        CHECK(migration_rows(dir / "app.db").size() == 3);

        // Not even on a terminal, where the text output would ask.
        const RunResult r =
            run_strata_in_terminal({"backwards", "core", "--json"}, "y", in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.out.find("[y/N]") == std::string::npos);
        CHECK(parse_json(r.err)["error"]["kind"].string == "refused");
        CHECK(migration_rows(dir / "app.db").size() == 3);
    }

    TEST_CASE("a failed migration is a JSON error on stderr with its file and SQLite code") {
        TempDir dir;
        ProjectSpec project;
        AppSpec app;
        app.name = "core";
        app.migrations = {
            {"0001", "create_users", "CREATE TABLE users (id INTEGER);\n", "DROP TABLE users;\n"},
            {"0002", "broken", "INSERT INTO nowhere VALUES (1);\n", "SELECT 1;\n"}};
        project.apps.push_back(app);
        write_project(dir.path(), project);
        const JsonValue error = run_json_error({"forwards", "--json"}, dir.path(), 1);
        CHECK(error["kind"].string == "migration_failed");
        CHECK(error["message"].string.find("nowhere") != std::string::npos);
        CHECK(error["file"].string.ends_with("0002_broken.up.sql"));
        CHECK(error["line"].number == 1);
        CHECK(error["sqlite_code"].type == JsonValue::Type::Number);
        CHECK(migration_rows(dir / "app.db") ==
              std::vector<std::pair<std::string, std::string>>{{"core", "0001"}});
    }

    TEST_CASE("a database locked past busy_timeout_ms is a JSON error with exit code 4") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back(users_notes_tags_app());
        project.extra_top_level = "busy_timeout_ms = 50\n";
        write_project(dir.path(), project);
        setup_ok({"forwards", "core", "0001"}, dir.path());
        FileSnapshot before(dir / "app.db");
        JsonValue error;
        {
            HeldWriteLock lock(dir / "app.db");
            error = run_json_error({"forwards", "--json"}, dir.path(), 4);
        }
        CHECK(error["kind"].string == "busy");
        CHECK(error["sqlite_code"].type == JsonValue::Type::Number);
        CHECK(before.unchanged());
    }

    TEST_CASE("an interrupted --json run: one error document, exit 128 + signal, 0002 undone") {
        for (int signal : {SIGINT, SIGTERM}) {
            CAPTURE(signal);
            TempDir dir;
            write_endless_project(dir.path());
            const fs::path db = dir / "app.db";

            StrataProcess child = start_strata({"forwards", "--json"}, in_dir(dir.path()));
            REQUIRE(wait_until_recorded(db, "0001"));
            child.send_signal(signal);
            const RunResult r = child.wait();
            INFO("stdout: " << r.out);
            INFO("stderr: " << r.err);

            CHECK(r.exit_code == 128 + signal);
            CHECK(r.out.empty());
            JsonValue doc;
            REQUIRE_NOTHROW(doc = parse_json(r.err));
            CHECK_FALSE(doc["ok"].boolean);
            CHECK(doc["error"]["kind"].string == "interrupted");
            CHECK(doc["error"]["exit_code"].number == 128 + signal);
            CHECK(doc["error"]["message"].string.find("1 migration completed") !=
                  std::string::npos);
            CHECK(has_table(db, "t1"));
            CHECK_FALSE(has_table(db, "t2"));
            CHECK(migration_rows(db).size() == 1);
            CHECK(query_text(db, "PRAGMA integrity_check") == "ok");
        }
    }

    TEST_CASE("usage and project-file errors are JSON when --json is given") {
        TempDir dir;
        write_standard_project(dir.path());
        JsonValue error = run_json_error({"forwards", "nosuchapp", "--json"}, dir.path(), 2);
        CHECK(error["kind"].string == "usage");
        CHECK(error["message"].string.find("nosuchapp") != std::string::npos);

        // Even when the command line cannot be read, or names a command without --json.
        const RunResult r = run_strata({"schema", "--json"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        const JsonValue doc = parse_json(r.err);
        CHECK(doc["command"].is_null());
        CHECK(doc["error"]["kind"].string == "usage");
        CHECK(doc["error"]["message"].string.find("--json") != std::string::npos);

        write_file(dir / "strata.toml", "database = \"app.db\"\nthis is not toml\n");
        error = run_json_error({"check", "--json"}, dir.path(), 2);
        CHECK(error["kind"].string == "project_file");
        CHECK(error["file"].string.ends_with("strata.toml"));
        CHECK(error["line"].number == 2);

        // After "--", --json is an argument, not the option: the error is text.
        const RunResult text = run_strata({"check", "--", "--json"}, in_dir(dir.path()));
        CHECK(text.exit_code == 2);
        CHECK(text.err.rfind("strata: error: ", 0) == 0);
    }

    TEST_CASE("check --json: hostile text from the database stays valid JSON") {
        TempDir dir;
        write_standard_project(dir.path());
        setup_ok({"forwards"}, dir.path());
        execute_sql(dir / "app.db",
                    "UPDATE migrations SET description = 'bad ' || CAST(X'FF' AS TEXT) || "
                    "char(1) || char(27) || '[2K' || char(13) || 'end' WHERE name = '0002'");
        fs::remove(dir / "migrations/core/0002_create_notes.up.sql");
        fs::remove(dir / "migrations/core/0002_create_notes.down.sql");
        const JsonValue doc = run_json({"check", "--json"}, dir.path());
        CHECK(doc["command"].string == "check");
        REQUIRE(doc["migrations"].array.size() == 3);
        const JsonValue& missing = doc["migrations"].array[1];
        CHECK(missing["status"].string == "missing");
        CHECK(missing["description"].string ==
              "bad \xef\xbf\xbd\x01\x1b[2K\rend"); // the stray byte as U+FFFD, the rest exact
    }
}
