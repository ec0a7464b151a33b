// SPDX-License-Identifier: MIT
// Migrations written in C++ (Context::code_migrations): ordered among SQL migrations, run in the
// same transaction under the same policy and checks, recorded with a version checksum, reversed
// by their down callback or refused; and the statement events of RunObserver.
#include "report/json_reporter.hpp"
#include "report/status_table.hpp"
#include "report/text_reporter.hpp"
#include "strata/strata.hpp"
#include "support/code_project.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <atomic>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace strata;
using strata::test::has_table;
using strata::test::query_int;
using strata::test::query_text;
using strata::test::TempDir;

namespace {

// Runs `sql` as an application would, throwing SQLite's message when it fails.
void exec(sqlite3* db, const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        const std::string text = message != nullptr ? message : "failed";
        sqlite3_free(message);
        throw std::runtime_error(text);
    }
}

// A project with one app "core": 0001 creates people(name), 0003 creates tags.
struct Fixture {
    TempDir dir;
    Project project;

    Fixture() : project(test::core_project(dir.path())) {
        add("0001_create_people", "CREATE TABLE people (name TEXT, first TEXT, last TEXT);\n",
            "DROP TABLE people;\n");
        add("0003_create_tags", "CREATE TABLE tags (x);\n", "DROP TABLE tags;\n");
    }
    void add(const std::string& name, const std::string& up, const std::string& down) {
        test::add_migration(project, name, up, down);
    }
    Context context(std::vector<CodeMigration> code, RunObserver* observer = nullptr) {
        Context ctx{project, observer};
        if (!code.empty())
            ctx.code_migrations["core"] = std::move(code);
        return ctx;
    }
    std::string db() const { return project.database.string(); }
};

// 0002: fills first and last from name; down clears them.
CodeMigration split_names(std::string version = "1") {
    return CodeMigration{
        .id = MigrationId("0002"),
        .name = "0002_split_names",
        .version = std::move(version),
        .up =
            [](sqlite3* db) {
                exec(db, "UPDATE people SET first = substr(name, 1, instr(name, ' ') - 1), "
                         "last = substr(name, instr(name, ' ') + 1)");
                exec(db, "CREATE TABLE split_done (x)");
            },
        .down =
            [](sqlite3* db) {
                exec(db, "UPDATE people SET first = NULL, last = NULL");
                exec(db, "DROP TABLE split_done");
            },
    };
}

struct Recorder : RunObserver {
    std::vector<std::string> events;
    void on_step_finished(const Step& step, std::chrono::microseconds) override {
        events.push_back("finished " + step.migration_id.text());
    }
    void on_statement_executed(const Step& step, std::size_t index, std::string_view sql,
                               std::chrono::microseconds) override {
        events.push_back(step.migration_id.text() + " #" + std::to_string(index) + " " +
                         std::string(sql));
    }
};

Error error_of(const std::function<void()>& run) {
    try {
        run();
    } catch (const Error& e) {
        return e;
    }
    FAIL("no Error thrown");
    return Error(ErrorKind::Usage, "");
}

} // namespace

TEST_SUITE("code_migration") {
    TEST_CASE("a C++ migration runs between SQL migrations, by id, recorded as code:<version>") {
        Fixture f;
        ForwardsMigrationManager(f.context({split_names()}),
                                 {.app = "core", .target = MigrationRef(MigrationId("0001"))})
            .run();
        strata::test::execute_sql(f.db(), "INSERT INTO people (name) VALUES ('Ada Lovelace')");
        Recorder recorder;
        const MigrationResult result =
            ForwardsMigrationManager(f.context({split_names()}, &recorder)).run();
        CHECK(result.message == "Applied 2 migrations.");
        CHECK(recorder.events == std::vector<std::string>{"finished 0002",
                                                          "0003 #0 CREATE TABLE tags (x);",
                                                          "finished 0003"});
        CHECK(query_text(f.db(), "SELECT first || '/' || last FROM people") == "Ada/Lovelace");
        CHECK(query_text(f.db(), "SELECT checksum FROM migrations WHERE name = '0002'") ==
              "code:1");
        CHECK(query_text(f.db(), "SELECT down_sql FROM migrations WHERE name = '0002'").empty());
        CHECK(query_int(f.db(), "SELECT count(*) FROM migrations") == 3);

        const DatabaseStatus status = CheckMigrationManager(f.context({split_names()})).status();
        CHECK(status.state == DatabaseState::UpToDate);
        REQUIRE(status.all.size() == 3);
        CHECK(status.all[1].description == "split names");
        CHECK(status.all[1].state == MigrationState::Applied);
    }

    TEST_CASE("a throwing callback rolls its migration back and names it") {
        Fixture f;
        CodeMigration failing = split_names();
        failing.up = [](sqlite3* db) {
            exec(db, "CREATE TABLE half_done (x)");
            exec(db, "INSERT INTO people (name) VALUES ('written')");
            throw std::runtime_error("names could not be split");
        };
        const Error e = error_of([&] { ForwardsMigrationManager(f.context({failing})).run(); });
        CHECK(e.kind() == ErrorKind::MigrationFailed);
        CHECK(e.message() == "applying core 0002 (split names) failed: the C++ migration threw: "
                             "names could not be split");
        CHECK(e.where().path == "cpp:core/0002_split_names");
        CHECK_FALSE(has_table(f.db(), "half_done"));
        CHECK(query_int(f.db(), "SELECT count(*) FROM people") == 0);
        CHECK(query_int(f.db(), "SELECT count(*) FROM migrations WHERE name = '0002'") == 0);
        CHECK(query_int(f.db(), "SELECT count(*) FROM migrations") == 1); // 0001 stays

        SUBCASE("an exception that is not a std::exception") {
            failing.up = [](sqlite3*) { throw 42; };
            const Error other =
                error_of([&] { ForwardsMigrationManager(f.context({failing})).run(); });
            CHECK(other.message().ends_with(
                "the C++ migration threw: an exception that is not a std::exception"));
        }
    }

    TEST_CASE("the SQL policy judges what a callback runs, even when it swallows the error") {
        Fixture f;
        std::string sql;
        SUBCASE("BEGIN") {
            sql = "COMMIT; BEGIN";
        }
        SUBCASE("SAVEPOINT") {
            sql = "SAVEPOINT inner_work";
        }
        SUBCASE("ATTACH") {
            sql = "ATTACH '" + (f.dir / "other.db").string() + "' AS other";
        }
        SUBCASE("a PRAGMA off the allow-list") {
            sql = "PRAGMA writable_schema = ON";
        }
        SUBCASE("the state table") {
            sql = "DELETE FROM migrations";
        }
        CAPTURE(sql);
        CodeMigration sneaky = split_names();
        sneaky.up = [sql](sqlite3* db) {
            exec(db, "CREATE TABLE before_it (x)");
            sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr); // error ignored on purpose
        };
        const Error e = error_of([&] { ForwardsMigrationManager(f.context({sneaky})).run(); });
        CHECK(e.kind() == ErrorKind::MigrationFailed);
        CHECK(
            e.message().starts_with("applying core 0002 (split names) failed: statement refused"));
        CHECK_FALSE(has_table(f.db(), "before_it"));
        CHECK_FALSE(strata::test::file_exists(f.dir / "other.db"));
        CHECK(query_int(f.db(), "SELECT count(*) FROM migrations") == 1);
    }

    TEST_CASE("the foreign-key check runs after a C++ migration") {
        Fixture f;
        f.add("0001_create_people",
              "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, first TEXT, last TEXT);\n"
              "CREATE TABLE pets (owner INTEGER REFERENCES people(id));\n",
              "DROP TABLE pets; DROP TABLE people;\n");
        CodeMigration orphan = split_names();
        orphan.up = [](sqlite3* db) { exec(db, "INSERT INTO pets VALUES (99)"); };
        const Error e = error_of([&] { ForwardsMigrationManager(f.context({orphan})).run(); });
        CHECK(e.kind() == ErrorKind::MigrationFailed);
        CHECK(e.message().find("pets rowid 1 refers to a missing row of people") !=
              std::string::npos);
        CHECK(query_int(f.db(), "SELECT count(*) FROM pets") == 0);
    }

    TEST_CASE("the state-table guard judges the triggers a callback creates") {
        Fixture f;
        CodeMigration sneaky = split_names();
        sneaky.up = [](sqlite3* db) {
            exec(db, "CREATE TRIGGER wipe AFTER INSERT ON people BEGIN DELETE FROM migrations; "
                     "END");
        };
        const Error e = error_of([&] { ForwardsMigrationManager(f.context({sneaky})).run(); });
        CHECK(e.kind() == ErrorKind::MigrationFailed);
        CHECK(e.message().find("migrations") != std::string::npos);
        CHECK(query_int(f.db(), "SELECT count(*) FROM sqlite_schema WHERE name = 'wipe'") == 0);
        CHECK(query_int(f.db(), "SELECT count(*) FROM migrations") == 1); // 0001 only
    }

    TEST_CASE("cancelling stops a callback's statement and rolls it back") {
        Fixture f;
        std::atomic<bool> cancel{false};
        CodeMigration slow = split_names();
        slow.up = [&cancel](sqlite3* db) {
            exec(db, "CREATE TABLE half_done (x)");
            cancel = true;
            exec(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT "
                     "10000000) SELECT count(*) FROM c");
        };
        Context ctx = f.context({slow});
        ctx.cancel = &cancel;
        const Error e = error_of([&] { ForwardsMigrationManager(ctx).run(); });
        CHECK(e.kind() == ErrorKind::Interrupted);
        CHECK(e.message().find("core 0002 (split names) was rolled back") != std::string::npos);
        CHECK_FALSE(has_table(f.db(), "half_done"));
    }

    TEST_CASE("a changed version reads as modified, like an edited file") {
        Fixture f;
        ForwardsMigrationManager(f.context({split_names("1")})).run();
        const DatabaseStatus status = CheckMigrationManager(f.context({split_names("2")})).status();
        CHECK(status.state == DatabaseState::Modified);
        REQUIRE(status.modified.size() == 1);
        CHECK(status.modified[0].migration_id.text() == "0002");

        f.add("0004_more", "CREATE TABLE more (x);\n", "DROP TABLE more;\n");
        const Error e =
            error_of([&] { ForwardsMigrationManager(f.context({split_names("2")})).run(); });
        CHECK(e.kind() == ErrorKind::Drift);
        CHECK(e.message().find("core 0002 (split names): cpp:core/0002_split_names (checksum "
                               "code:1 when applied, now code:2)") != std::string::npos);
        CHECK_FALSE(has_table(f.db(), "more"));
    }

    TEST_CASE("backwards runs the down callback; without one it is refused before anything") {
        Fixture f;
        ForwardsMigrationManager(f.context({split_names()})).run();
        BackwardsMigrationManager(f.context({split_names()}),
                                  {.target = Count{2}, .auto_agree = true})
            .run();
        CHECK_FALSE(has_table(f.db(), "split_done"));
        CHECK_FALSE(has_table(f.db(), "tags"));
        CHECK(query_int(f.db(), "SELECT count(*) FROM migrations") == 1);

        CodeMigration one_way = split_names();
        one_way.down = nullptr;
        ForwardsMigrationManager(f.context({one_way})).run();
        const Error e = error_of([&] {
            BackwardsMigrationManager(f.context({one_way}),
                                      {.target = Count{2}, .auto_agree = true})
                .run();
        });
        CHECK(e.kind() == ErrorKind::Refused);
        CHECK(e.message() == "reversing core 0002 (split names) refused: it is a migration "
                             "written in C++ without a down callback, so it cannot be reversed");
        CHECK(e.where().path == "cpp:core/0002_split_names");
        CHECK(has_table(f.db(), "tags")); // 0003, planned first, did not run either
        CHECK(query_int(f.db(), "SELECT count(*) FROM migrations") == 3);
    }

    TEST_CASE("a program without the C++ migration sees it as not runnable and cannot reverse it") {
        Fixture f;
        ForwardsMigrationManager(f.context({split_names()})).run();

        const DatabaseStatus status = CheckMigrationManager(f.context({})).status();
        CHECK(status.state == DatabaseState::NewerThanApp);
        REQUIRE(status.unknown.size() == 1);
        CHECK(status.unknown[0].state == MigrationState::NotRunnable);
        CHECK(state_name(MigrationState::NotRunnable) == "not runnable");

        const Error forwards = error_of([&] { ForwardsMigrationManager(f.context({})).run(); });
        CHECK(forwards.kind() == ErrorKind::NewerDatabase);
        CHECK(forwards.message().starts_with("the database has applied migrations written in C++ "
                                             "that this program does not register"));

        const Error sync =
            error_of([&] { SyncMigrationManager(f.context({}), {.auto_agree = true}).run(); });
        CHECK(sync.kind() == ErrorKind::Refused);
        CHECK(sync.message() == "reversing core 0002 (split names) refused: it is a migration "
                                "written in C++ (checksum code:1) that this program does not "
                                "have, and no down SQL is stored for it");
        CHECK(has_table(f.db(), "split_done"));
    }

    TEST_CASE("malformed C++ migrations and id clashes are refused before the database") {
        Fixture f;
        CodeMigration bad = split_names();
        std::string message;
        ErrorKind kind = ErrorKind::MigrationFiles;
        SUBCASE("an id also used by a file") {
            bad.id = MigrationId("3");
            bad.name = "3_split_names";
            message = "migration id 3 of the C++ migration 3_split_names is also used by " +
                      (f.dir / "migrations" / "0003_create_tags.up.sql").string();
        }
        SUBCASE("an id used twice in C++") {
            CodeMigration twin = split_names();
            twin.name = "0002_twin";
            Context ctx = f.context({bad, twin});
            const Error e = error_of([&] { ForwardsMigrationManager(ctx).run(); });
            CHECK(e.message() == "migration id 0002 of the C++ migration 0002_twin is also used "
                                 "by cpp:core/0002_split_names");
            CHECK_FALSE(strata::test::file_exists(f.db()));
            return;
        }
        SUBCASE("a name that does not start with the id") {
            bad.name = "0005_split_names";
            message = "C++ migration name \"0005_split_names\" is not \"0002_<slug>\"";
        }
        SUBCASE("no version") {
            bad.version = "";
            message = "C++ migration 0002_split_names has no version";
        }
        SUBCASE("no up") {
            bad.up = nullptr;
            message = "C++ migration 0002_split_names has no up callback";
        }
        SUBCASE("an app the project does not have") {
            Context ctx{f.project};
            ctx.code_migrations["billing"] = {bad};
            const Error e = error_of([&] { ForwardsMigrationManager(ctx).run(); });
            CHECK(e.kind() == ErrorKind::Usage);
            CHECK(e.message() ==
                  "C++ migrations are registered for app \"billing\", which the project does not "
                  "have");
            return;
        }
        const Error e = error_of([&] { ForwardsMigrationManager(f.context({bad})).run(); });
        CHECK(e.kind() == kind);
        CHECK(e.message() == message);
        CHECK_FALSE(strata::test::file_exists(f.db()));
    }

    TEST_CASE("on_statement_executed: once per statement, in order, after-commit included") {
        Fixture f;
        f.add("0002_seed",
              "INSERT INTO people (name) VALUES ('a');\n-- a comment\n;\n"
              "INSERT INTO people (name) VALUES ('b');\nUPDATE people SET first = name;\n"
              "-- strata:after-commit\nANALYZE;\n",
              "DELETE FROM people;\n");
        Recorder recorder;
        ForwardsMigrationManager(f.context({}, &recorder)).run();
        std::string seen;
        for (const std::string& event : recorder.events)
            seen += event + "\n";
        CAPTURE(seen);
        CHECK(recorder.events ==
              std::vector<std::string>{
                  "0001 #0 CREATE TABLE people (name TEXT, first TEXT, last TEXT);",
                  "finished 0001",
                  "0002 #0 INSERT INTO people (name) VALUES ('a');",
                  "0002 #1 INSERT INTO people (name) VALUES ('b');",
                  "0002 #2 UPDATE people SET first = name;",
                  "finished 0002",
                  "0002 #3 ANALYZE;",
                  "0003 #0 CREATE TABLE tags (x);",
                  "finished 0003",
              });
    }

    TEST_CASE("the text reporter shows statements only with verbose; check shows not runnable") {
        Step step;
        step.app_name = "core";
        step.migration_id = MigrationId("0001");
        step.description = "create people";
        for (const bool verbose : {false, true}) {
            CAPTURE(verbose);
            std::ostringstream out;
            report::TextReporterOptions options;
            options.verbose = verbose;
            report::TextReporter reporter(out, options);
            reporter.on_step_started(step);
            reporter.on_statement_executed(step, 0, "CREATE TABLE people (x);",
                                           std::chrono::microseconds(1500));
            reporter.on_statement_executed(step, 1, "INSERT INTO people VALUES\n  (1), (2);",
                                           std::chrono::microseconds(20));
            reporter.on_step_finished(step, std::chrono::microseconds(2000));
            const std::string line = "Applying core 0001 (create people) ... ok (2.0 ms)\n";
            if (verbose)
                CHECK(out.str() == line +
                                       "    statement 1: CREATE TABLE people (x); (1.5 ms)\n"
                                       "    statement 2: INSERT INTO people VALUES … (0.0 ms)\n");
            else
                CHECK(out.str() == line);
        }

        MigrationStatus status;
        status.app_name = "core";
        status.migration_id = MigrationId("0002");
        status.description = "split names";
        status.has_ran = true;
        status.ran_on = "2026-01-01T00:00:00.000Z";
        status.state = MigrationState::NotRunnable;
        CHECK(
            report::render_status_table({status}, {})
                .find(
                    "not runnable from the command line (C++, applied 2026-01-01T00:00:00.000Z)") !=
            std::string::npos);
        CHECK(report::render_statuses_json({status}).find("\"status\":\"not runnable\"") !=
              std::string::npos);
    }
}
