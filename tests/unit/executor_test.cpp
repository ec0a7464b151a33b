// SPDX-License-Identifier: MIT
#include "strata/error.hpp"
#include "strata/executor/database.hpp"
#include "strata/executor/executor.hpp"
#include "strata/loader/code_migration.hpp"
#include "strata/project/settings.hpp"
#include "strata/state/state_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <vector>

using namespace strata;
using strata::test::table_exists;
using strata::test::TestDatabase;

namespace {

// The state row an applied `step` leaves.
NewStateRow row_of(const Step& step) {
    return {step.app_name, step.migration_id, step.description, step.checksum, step.down_sql};
}

Step forwards(const std::string& id, const std::string& sql) {
    Step s;
    s.direction = Direction::Forwards;
    s.app_name = "core";
    s.migration_id = MigrationId(id);
    s.description = "m" + id;
    s.sql = sql;
    s.name = id;
    s.path_prefix = std::make_shared<const std::string>(); // read from "<id>.up.sql"
    s.down_sql = "DROP TABLE t" + id + ";";
    return s;
}

Step backwards(const std::string& id) {
    Step s;
    s.direction = Direction::Backwards;
    s.app_name = "core";
    s.migration_id = MigrationId(id);
    s.description = "m" + id;
    s.sql = "DROP TABLE t" + id + ";";
    return s;
}

// A database file with migration 1 applied, and the state a plan made now starts from.
struct FileWithOneApplied {
    strata::test::TempDir dir;
    std::string path = (dir / "app.db").string();
    TestDatabase db{path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE};
    AppliedByApp planned_from;

    FileWithOneApplied() {
        secure_connection(db);
        RunObserver silent;
        Plan first;
        first.steps = {forwards("1", "CREATE TABLE t1 (x);")};
        Executor(db, silent, {}).run(first);
        planned_from["core"] = StateStore(db, k_default_state_table).applied("core");
    }
};

// Changes the state table from another connection once the step of a given id has
// committed.
struct Meddler : RunObserver {
    std::string path;
    std::map<std::string, std::function<void(StateStore&)>> after;
    std::vector<std::string> skipped;
    void on_step_finished(const Step& s, std::chrono::microseconds) override {
        const auto found = after.find(s.migration_id.text());
        if (found == after.end())
            return;
        TestDatabase other(path, SQLITE_OPEN_READWRITE);
        StateStore state(other, k_default_state_table);
        found->second(state);
    }
    void on_step_skipped(const Step& s, std::string_view) override {
        skipped.push_back(s.migration_id.text());
    }
};

// Records what the executor reported, in order.
struct Recorder : RunObserver {
    std::vector<std::string> events;
    void on_step_started(const Step& s) override {
        events.push_back("start " + s.migration_id.text());
    }
    void on_step_finished(const Step& s, std::chrono::microseconds) override {
        events.push_back("done " + s.migration_id.text());
    }
    void on_step_skipped(const Step& s, std::string_view) override {
        events.push_back("skip " + s.migration_id.text());
    }
};

bool has_table(sqlite::Database db, const std::string& name) {
    return table_exists(db, name);
}

} // namespace

TEST_SUITE("executor") {
    TEST_CASE("applies steps in order, each with its state row") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db);
        Recorder recorder;
        Plan plan;
        plan.steps = {forwards("1", "CREATE TABLE t1 (x);"), forwards("2", "CREATE TABLE t2 (x);")};
        const auto report = Executor(db, recorder, {}).run(plan);
        CHECK(report.done == 2);
        CHECK(report.skipped == 0);
        CHECK(has_table(db, "t1"));
        CHECK(has_table(db, "t2"));
        CHECK(StateStore(db, k_default_state_table).applied("core").size() == 2);
        CHECK(recorder.events ==
              std::vector<std::string>{"start 1", "done 1", "start 2", "done 2"});
    }

    TEST_CASE("a failure rolls back that step only and stops the run") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db);
        Recorder recorder;
        Plan plan;
        plan.steps = {forwards("1", "CREATE TABLE t1 (x);"),
                      forwards("2", "CREATE TABLE t2 (x);\nINSERT INTO t2 VALUES (1);\nBOOM;"),
                      forwards("3", "CREATE TABLE t3 (x);")};
        try {
            Executor(db, recorder, {}).run(plan);
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::MigrationFailed);
            CHECK(e.where().path == "2.up.sql");
            CHECK(e.where().line == 3);
            CHECK(e.message().rfind("applying core 2 (m2) failed: statement failed:", 0) == 0);
        }
        CHECK(has_table(db, "t1"));
        CHECK_FALSE(has_table(db, "t2"));
        CHECK_FALSE(has_table(db, "t3"));
        const auto rows = StateStore(db, k_default_state_table).applied("core");
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].migration_id.text() == "1");
    }

    TEST_CASE("a step another run already did is skipped inside the lock") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db);
        StateStore(db, k_default_state_table).create_if_missing();
        StateStore(db, k_default_state_table).record(row_of(forwards("1", "")));
        Recorder recorder;
        Plan plan;
        plan.steps = {forwards("1", "CREATE TABLE t1 (x);"), forwards("2", "CREATE TABLE t2 (x);")};
        const auto report = Executor(db, recorder, {}).run(plan);
        CHECK(report.done == 1);
        CHECK(report.skipped == 1);
        CHECK_FALSE(has_table(db, "t1")); // its SQL did not run a second time
        CHECK(recorder.events.front() == "skip 1");
    }

    TEST_CASE("backwards runs the down SQL and forgets the state row") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db);
        Recorder recorder;
        Plan up;
        up.steps = {forwards("1", "CREATE TABLE t1 (x);")};
        Executor(db, recorder, {}).run(up);
        Plan down;
        down.steps = {backwards("1"), backwards("7")}; // 7 was never applied: skipped
        const auto report = Executor(db, recorder, {}).run(down);
        CHECK(report.done == 1);
        CHECK(report.skipped == 1);
        CHECK_FALSE(has_table(db, "t1"));
        CHECK(StateStore(db, k_default_state_table).applied("core").empty());
    }

    TEST_CASE("fake records without running the SQL") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db);
        Recorder recorder;
        Plan plan;
        plan.steps = {forwards("1", "CREATE TABLE t1 (x);")};
        Executor(db, recorder, ExecutorOptions{true}).run(plan);
        CHECK_FALSE(has_table(db, "t1"));
        CHECK(StateStore(db, k_default_state_table).is_applied("core", MigrationId("1")));
    }

    TEST_CASE("a database locked by another connection is reported as busy") {
        // Two connections to one file: the second cannot take the write lock.
        const std::string path = "file:executor_busy?mode=memory&cache=shared";
        TestDatabase holder(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI);
        TestDatabase db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI);
        secure_connection(db);
        holder.exec("BEGIN IMMEDIATE; CREATE TABLE held (x);");
        Recorder recorder;
        Plan plan;
        plan.steps = {forwards("1", "CREATE TABLE t1 (x);")};
        try {
            Executor(db, recorder, {}).run(plan);
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Busy);
        }
        holder.exec("ROLLBACK");
    }

    TEST_CASE("transaction all: a failure rolls back every step of the run") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db);
        Recorder recorder;
        ExecutorOptions options;
        options.transaction = TransactionScope::All;
        Plan plan;
        plan.steps = {forwards("1", "CREATE TABLE t1 (x);"), forwards("2", "CREATE TABLE t2 (x);"),
                      forwards("3", "BOOM;")};
        Executor executor(db, recorder, options);
        CHECK_THROWS_AS(executor.run(plan), Error);
        CHECK(executor.progress().done == 0);
        CHECK_FALSE(has_table(db, "t1"));
        CHECK_FALSE(has_table(db, "migrations"));

        plan.steps.pop_back();
        CHECK(Executor(db, recorder, options).run(plan).done == 2);
        CHECK(StateStore(db, k_default_state_table).applied("core").size() == 2);
    }

    TEST_CASE("a step leaves the plan once it is over, unless the run is one transaction") {
        // Where each step stood in the plan when the observer heard of it.
        struct PlanWatcher : RunObserver {
            const Plan* plan = nullptr;
            std::vector<std::string> seen;
            void note(const char* what, const Step& s) {
                seen.push_back(std::string(what) + " " + s.migration_id.text() + " " + s.sql +
                               " first=" + plan->steps.front().migration_id.text() +
                               " left=" + std::to_string(plan->steps.size()));
            }
            void on_step_finished(const Step& s, std::chrono::microseconds) override {
                note("done", s);
            }
            void on_step_skipped(const Step& s, std::string_view) override { note("skipped", s); }
        };
        const auto make_plan = [] {
            Plan plan;
            plan.steps = {forwards("1", "CREATE TABLE t1 (x);"),
                          forwards("2", "CREATE TABLE t2 (x);"), forwards("3", "BOOM;")};
            for (Step& step : plan.steps)
                step.checksum = std::string(64, 'a');
            return plan;
        };

        SUBCASE("one transaction per migration: off the front as each one ends") {
            TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
            secure_connection(db);
            Plan plan = make_plan();
            // Another run applied the first one: skipped, it leaves the plan too.
            StateStore state(db, k_default_state_table);
            state.create_if_missing();
            state.record(row_of(plan.steps[0]));
            PlanWatcher watcher;
            watcher.plan = &plan;
            const Step failing = plan.steps[2];
            CHECK_THROWS_AS(Executor(db, watcher, {}).run(plan), Error);
            CHECK(watcher.seen ==
                  std::vector<std::string>{"skipped 1 CREATE TABLE t1 (x); first=1 left=3",
                                           "done 2 CREATE TABLE t2 (x); first=2 left=2"});
            // What is left is what was not done, the failed step first, texts and all.
            REQUIRE(plan.steps.size() == 1);
            CHECK(plan.steps[0].sql == failing.sql);
            CHECK(plan.steps[0].checksum == failing.checksum);
            CHECK(plan.steps[0].down_sql == failing.down_sql);
            // The state row was written from the step before it went.
            const auto rows = state.applied("core");
            REQUIRE(rows.size() == 2);
            CHECK(rows[1].checksum == std::string(64, 'a'));
            CHECK(rows[1].down_sql == "DROP TABLE t2;");

            plan.steps[0] = forwards("3", "CREATE TABLE t3 (x);");
            CHECK(Executor(db, watcher, {}).run(plan).done == 1);
            CHECK(plan.empty());
        }
        SUBCASE("transaction = all: every step stays until the run has committed") {
            TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
            secure_connection(db);
            ExecutorOptions options;
            options.transaction = TransactionScope::All;
            Plan plan = make_plan();
            PlanWatcher watcher;
            watcher.plan = &plan;
            // A failed run does nothing: the whole plan is left.
            CHECK_THROWS_AS(Executor(db, watcher, options).run(plan), Error);
            CHECK(plan.steps.size() == 3);
            plan.steps.pop_back();
            plan.steps[1].sql = "CREATE TABLE t2 (x);\n-- strata:after-commit\nVACUUM;\n";
            watcher.seen.clear();
            CHECK(Executor(db, watcher, options).run(plan).done == 2);
            CHECK(watcher.seen ==
                  std::vector<std::string>{
                      "done 1 CREATE TABLE t1 (x); first=1 left=2",
                      "done 2 CREATE TABLE t2 (x);\n-- strata:after-commit\nVACUUM;\n first=1 "
                      "left=2"});
            CHECK(plan.empty());
            CHECK(table_exists(db, "t2"));
        }
    }

    TEST_CASE("an after-commit section runs once the migration has committed") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db);
        Recorder recorder;
        Plan plan;
        plan.steps = {forwards("1", "CREATE TABLE t1 (x);\n-- strata:after-commit\nVACUUM;\n")};
        CHECK(Executor(db, recorder, {}).run(plan).done == 1);
        CHECK(has_table(db, "t1"));

        // A failure there is reported, and the migration stays applied.
        plan.steps = {forwards("2", "CREATE TABLE t2 (x);\n-- strata:after-commit  \n"
                                    "ANALYZE;\nDROP TABLE t2;\n")};
        try {
            Executor(db, recorder, {}).run(plan);
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::MigrationFailed);
            CHECK(e.where().line == 4);
            CHECK(e.message().rfind("after-commit section of core 2 (m2) failed: statement "
                                    "refused: an after-commit section must not change the schema",
                                    0) == 0);
            CHECK(e.hint().find("stays applied") != std::string::npos);
        }
        CHECK(has_table(db, "t2"));
        CHECK(StateStore(db, k_default_state_table).is_applied("core", MigrationId("2")));
    }

    TEST_CASE("a raised cancel flag rolls back the migration in flight") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db);
        std::atomic<bool> cancel{false};
        // Raises the flag as soon as the second step starts.
        struct Canceller : RunObserver {
            std::atomic<bool>& flag;
            explicit Canceller(std::atomic<bool>& f) : flag(f) {}
            void on_step_started(const Step& s) override {
                if (s.migration_id.text() == "2")
                    flag = true;
            }
        } canceller(cancel);
        ExecutorOptions options;
        options.cancel = &cancel;
        Plan plan;
        plan.steps = {forwards("1", "CREATE TABLE t1 (x);"),
                      forwards("2", "CREATE TABLE t2 (x); WITH RECURSIVE n(i) AS (SELECT 1 UNION "
                                    "ALL SELECT i + 1 FROM n) INSERT INTO t2 SELECT i FROM n;"),
                      forwards("3", "CREATE TABLE t3 (x);")};
        Executor executor(db, canceller, options);
        try {
            executor.run(plan);
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Interrupted);
            CHECK(std::string(e.what()) ==
                  "interrupted: core 2 (m2) was rolled back; 1 migration completed before it\n"
                  "  hint: run the command again to continue");
        }
        CHECK(executor.progress().done == 1);
        CHECK(has_table(db, "t1"));
        CHECK_FALSE(has_table(db, "t2"));
        CHECK_FALSE(has_table(db, "t3"));
    }

    TEST_CASE("another run's changes the plan did not foresee stop the run before the step") {
        FileWithOneApplied file;
        TestDatabase& db = file.db;
        const std::string& path = file.path;
        const AppliedByApp& planned_from = file.planned_from;
        Recorder recorder;

        Plan plan;
        plan.steps = {forwards("2", "CREATE TABLE t2 (x);"), forwards("3", "CREATE TABLE t3 (x);")};
        SUBCASE("another run applied one of the plan's own steps: it is skipped") {
            TestDatabase other(path, SQLITE_OPEN_READWRITE);
            StateStore(other, k_default_state_table).record(row_of(forwards("2", "")));
            const auto report = Executor(db, recorder, {}).run(plan, &planned_from);
            CHECK(report.done == 1);
            CHECK(report.skipped == 1);
            CHECK(has_table(db, "t3"));
        }
        SUBCASE("another run reversed what the plan builds on: nothing more is done") {
            TestDatabase other(path, SQLITE_OPEN_READWRITE);
            StateStore(other, k_default_state_table).remove("core", MigrationId("1"));
            try {
                Executor(db, recorder, {}).run(plan, &planned_from);
                FAIL("expected an error");
            } catch (const Error& e) {
                CHECK(e.kind() == ErrorKind::Busy);
                CHECK(e.message() == "another run changed the database during this one: it "
                                     "reversed core 1, which this run's plan did not expect");
            }
            CHECK_FALSE(has_table(db, "t2"));
        }
        SUBCASE("a change between two steps is noticed through data_version") {
            // Reverses migration 1 from another connection once step 2 has committed.
            struct Interferer : RunObserver {
                std::string path;
                void on_step_finished(const Step& s, std::chrono::microseconds) override {
                    if (s.migration_id.text() != "2")
                        return;
                    TestDatabase other(path, SQLITE_OPEN_READWRITE);
                    StateStore(other, k_default_state_table).remove("core", MigrationId("1"));
                }
            } interferer;
            interferer.path = path;
            Executor executor(db, interferer, {});
            CHECK_THROWS_WITH_AS(executor.run(plan, &planned_from),
                                 doctest::Contains("it reversed core 1"), Error);
            CHECK(executor.progress().done == 1);
            CHECK_FALSE(has_table(db, "t3"));
        }

        Meddler meddler;
        meddler.path = path;
        plan.steps.push_back(forwards("4", "CREATE TABLE t4 (x);"));
        SUBCASE("another run reversed a migration this run applied") {
            meddler.after["2"] = [](StateStore& state) { state.remove("core", MigrationId("2")); };
            Executor executor(db, meddler, {});
            CHECK_THROWS_WITH_AS(executor.run(plan, &planned_from),
                                 doctest::Contains("during this one: it reversed a migration of "
                                                   "core that this run applied, which this run's "
                                                   "plan did not expect"),
                                 Error);
            CHECK(executor.progress().done == 1);
            CHECK_FALSE(has_table(db, "t3"));
        }
        SUBCASE("another run applied a migration the plan does not have") {
            meddler.after["2"] = [](StateStore& state) {
                state.record(row_of(forwards("0009", "")));
            };
            CHECK_THROWS_WITH_AS(Executor(db, meddler, {}).run(plan, &planned_from),
                                 doctest::Contains("it applied core 9, which"), Error);
            CHECK_FALSE(has_table(db, "t3"));
        }
        SUBCASE("a step another run did while this one ran is skipped") {
            meddler.after["2"] = [](StateStore& state) { state.record(row_of(forwards("4", ""))); };
            const auto report = Executor(db, meddler, {}).run(plan, &planned_from);
            CHECK(report.done == 2);
            CHECK(meddler.skipped == std::vector<std::string>{"4"});
            CHECK_FALSE(has_table(db, "t4"));
        }
        SUBCASE("a step another run did and then reversed stops the run") {
            // The plan never reverses 4: its row going is a change the plan did not foresee.
            meddler.after["2"] = [](StateStore& state) { state.record(row_of(forwards("4", ""))); };
            meddler.after["3"] = [](StateStore& state) { state.remove("core", MigrationId("4")); };
            CHECK_THROWS_WITH_AS(Executor(db, meddler, {}).run(plan, &planned_from),
                                 doctest::Contains("it reversed core 4, which"), Error);
            CHECK_FALSE(has_table(db, "t4"));
        }
        SUBCASE("a reversal another run made and then undid stops the run") {
            // Another run reverses 1, which the plan reverses later (so 1 is skipped), then
            // applies it again: a row the plan would reverse with SQL planned for another.
            Plan mixed;
            mixed.steps = {forwards("2", "CREATE TABLE t2 (x);"),
                           forwards("3", "CREATE TABLE t3 (x);"), backwards("1")};
            meddler.after["2"] = [](StateStore& state) { state.remove("core", MigrationId("1")); };
            meddler.after["3"] = [](StateStore& state) { state.record(row_of(forwards("1", ""))); };
            CHECK_THROWS_WITH_AS(Executor(db, meddler, {}).run(mixed, &planned_from),
                                 doctest::Contains("it applied core 1, which"), Error);
            CHECK(has_table(db, "t1"));
        }
        SUBCASE("a step another run did counts as done at the next check") {
            // 4 and 5 are skipped; a change after 6 makes the run look again, and their rows,
            // written by the other run, are then expected.
            meddler.after["2"] = [](StateStore& state) { state.record(row_of(forwards("4", ""))); };
            meddler.after["3"] = [](StateStore& state) { state.record(row_of(forwards("5", ""))); };
            meddler.after["6"] = [](StateStore& state) {
                state.record(row_of(forwards("8", "")));
                state.remove("core", MigrationId("8"));
            };
            for (const char* id : {"5", "6", "7"})
                plan.steps.push_back(forwards(id, "CREATE TABLE t" + std::string(id) + " (x);"));
            const auto report = Executor(db, meddler, {}).run(plan, &planned_from);
            CHECK(report.done == 4);
            CHECK(meddler.skipped == std::vector<std::string>{"4", "5"});
            CHECK(has_table(db, "t7"));
        }
    }

    TEST_CASE("a step another run did first stays skipped through later checks") {
        FileWithOneApplied file;
        Plan up;
        up.steps = {forwards("2", "CREATE TABLE t2 (x);"), forwards("3", "CREATE TABLE t3 (x);")};
        RunObserver silent;
        Executor(file.db, silent, {}).run(up);
        const AppliedByApp planned_from = {
            {"core", StateStore(file.db, k_default_state_table).applied("core")}};
        // Another run reverses 1 once 3 is reversed, and commits again once 2 is: the second
        // check must still know that 1 is done.
        Meddler meddler;
        meddler.path = file.path;
        meddler.after["3"] = [](StateStore& state) { state.remove("core", MigrationId("1")); };
        meddler.after["2"] = [](StateStore& state) {
            state.record(row_of(forwards("9", "")));
            state.remove("core", MigrationId("9"));
        };
        Plan down;
        down.steps = {backwards("3"), backwards("2"), backwards("1")};
        const auto report = Executor(file.db, meddler, {}).run(down, &planned_from);
        CHECK(report.done == 2);
        CHECK(meddler.skipped == std::vector<std::string>{"1"});
        CHECK(has_table(file.db, "t1")); // its down SQL did not run
    }

    TEST_CASE("a reversal another run did first is skipped, and the redo after it runs") {
        FileWithOneApplied file;
        {
            TestDatabase other(file.path, SQLITE_OPEN_READWRITE);
            StateStore(other, k_default_state_table).remove("core", MigrationId("1"));
        }
        Plan redo;
        Step down = backwards("1");
        down.sql = "SELECT 1;"; // the table stays: the other run reversed the row only
        redo.steps = {down, forwards("1", "CREATE TABLE IF NOT EXISTS t1 (x);")};
        RunObserver silent;
        const auto report = Executor(file.db, silent, {}).run(redo, &file.planned_from);
        CHECK(report.skipped == 1);
        CHECK(report.done == 1);
        CHECK(StateStore(file.db, k_default_state_table).is_applied("core", MigrationId("1")));
    }

    TEST_CASE("stored down SQL is refused before any step runs when it is not plain SQL") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db);
        Recorder recorder;
        Plan up;
        up.steps = {forwards("1", "CREATE TABLE t1 (x);"), forwards("2", "CREATE TABLE t2 (x);")};
        Executor(db, recorder, {}).run(up);
        recorder.events.clear();

        Plan down;
        down.steps = {backwards("2"), backwards("1")};
        std::string expected;
        int line = 0;
        SUBCASE("an after-commit section") {
            down.steps[1].sql = "DROP TABLE t1;\n-- strata:after-commit\nVACUUM;\n";
            expected = "reversing core 1 (m1) refused: the down SQL stored in the database has an "
                       "after-commit section; strata never runs one that was read back from the "
                       "database";
            line = 2;
        }
        SUBCASE("a NUL byte") {
            down.steps[1].sql = std::string("DROP TABLE t1;\n\0DELETE FROM t2;\n", 32);
            expected = "reversing core 1 (m1) refused: the down SQL stored in the database "
                       "contains a NUL byte";
            line = 2;
        }
        SUBCASE("text that is not UTF-8") {
            down.steps[1].sql = "DROP TABLE t1; -- \xff\n";
            expected = "reversing core 1 (m1) refused: the down SQL stored in the database is not "
                       "valid UTF-8 (byte 0xFF)";
            line = 1;
        }
        try {
            Executor(db, recorder, {}).run(down);
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Refused);
            CHECK(e.message() == expected);
            CHECK(e.where().path == "core/1 (stored down SQL)");
            CHECK(e.where().line == line);
        }
        CHECK(recorder.events.empty()); // not even step 2, which was fine, ran
        CHECK(has_table(db, "t2"));
        CHECK(StateStore(db, k_default_state_table).applied("core").size() == 2);

        // --fake runs no SQL, so it can forget such a migration.
        CHECK(Executor(db, recorder, ExecutorOptions{true}).run(down).done == 2);
    }

    TEST_CASE("a step does not run on a connection that is no longer in strata's state") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db);
        // A C++ migration that steps around the authorizer and changes the connection, as a
        // hostile statement strata failed to refuse would.
        Step meddler = forwards("1", "");
        meddler.code = std::make_shared<CodeMigration>(
            CodeMigration{MigrationId("1"), "1_meddle", "1", [](sqlite3* handle) {
                              sqlite3_set_authorizer(handle, nullptr, nullptr);
                              sqlite3_exec(handle, "PRAGMA ignore_check_constraints = ON", nullptr,
                                           nullptr, nullptr);
                          }});
        Recorder recorder;
        Plan plan;
        plan.steps = {meddler, forwards("2", "CREATE TABLE t2 (x);")};
        Executor executor(db, recorder, {});
        try {
            executor.run(plan);
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Refused);
            CHECK(e.message() == "internal state error before applying core 2 (m2): the "
                                 "connection is not as strata set it up "
                                 "(ignore_check_constraints is on, not off)");
        }
        CHECK(executor.progress().done == 1);
        CHECK_FALSE(has_table(db, "t2"));
    }

    TEST_CASE("a temp table one migration leaves does not hide a main table from the next") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db);
        db.exec("CREATE TABLE t (x)");
        Recorder recorder;
        for (TransactionScope scope : {TransactionScope::Each, TransactionScope::All}) {
            CAPTURE(static_cast<int>(scope));
            ExecutorOptions options;
            options.transaction = scope;
            Plan plan;
            const std::string one = scope == TransactionScope::Each ? "1" : "3";
            const std::string two = scope == TransactionScope::Each ? "2" : "4";
            plan.steps = {forwards(one, "CREATE TEMP TABLE t (x);\nINSERT INTO t VALUES (0);"),
                          forwards(two, "INSERT INTO t VALUES (1);")};
            Executor(db, recorder, options).run(plan);
            CHECK(sqlite::query_int64(db, "SELECT count(*) FROM temp.sqlite_schema") == 0);
        }
        CHECK(sqlite::query_int64(db, "SELECT count(*) FROM main.t") == 2);
    }

    TEST_CASE("whatever way a migration puts an object into the temp schema, the next starts "
              "without it") {
        // The executor looks at the temp schema only after a migration the authorizer saw
        // using it: each way of getting there must be seen.
        std::vector<std::string> ways = {
            "CREATE TABLE temp.t (x);",
            "CREATE TEMP VIEW t AS SELECT 5 AS x;",
            "CREATE TEMP TRIGGER tr AFTER INSERT ON main.t BEGIN SELECT 1; END;",
        };
        if (sqlite3_compileoption_used("ENABLE_FTS5"))
            ways.push_back("CREATE VIRTUAL TABLE temp.t USING fts5(x);");
        for (const std::string& way : ways) {
            CAPTURE(way);
            TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
            secure_connection(db);
            db.exec("CREATE TABLE t (x)");
            Recorder recorder;
            Plan plan;
            plan.steps = {forwards("1", way), forwards("2", "INSERT INTO t VALUES (1);")};
            // With a temp object left over, step 2 would refuse to run (temp_objects differ)
            // or write to the temp object instead of main.t.
            CHECK(Executor(db, recorder, {}).run(plan).done == 2);
            CHECK(sqlite::query_int64(db, "SELECT count(*) FROM main.t") == 1);
        }
    }

    TEST_CASE("a connection without strata's settings runs no step") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE); // not secured
        Recorder recorder;
        Plan plan;
        plan.steps = {forwards("1", "CREATE TABLE t1 (x);")};
        CHECK_THROWS_WITH_AS(Executor(db, recorder, {}).run(plan),
                             doctest::Contains("(defensive mode is off, not on)"), Error);
        CHECK_FALSE(has_table(db, "t1"));
    }

    TEST_CASE("strata's connections are defensive: SQL cannot rewrite sqlite_schema") {
        strata::test::TempDir dir;
        Connection connection(dir / "app.db", OpenMode::Create, {});
        connection.db().exec("CREATE TABLE t (x)");
        connection.db().exec("PRAGMA writable_schema = ON");
        CHECK_THROWS(connection.db().exec("UPDATE sqlite_schema SET sql = 'garbage'"));
        CHECK(sqlite::query_text(connection.db(), "PRAGMA integrity_check") == "ok");
    }

    TEST_CASE("SQLite codes that concern the file map to the database's error kind") {
        CHECK(kind_for_sqlite_code(SQLITE_READONLY, ErrorKind::MigrationFailed) ==
              ErrorKind::Database);
        CHECK(kind_for_sqlite_code(SQLITE_IOERR_FSYNC, ErrorKind::MigrationFailed) ==
              ErrorKind::Database);
        CHECK(kind_for_sqlite_code(SQLITE_FULL, ErrorKind::MigrationFailed) == ErrorKind::Database);
        CHECK(kind_for_sqlite_code(SQLITE_BUSY, ErrorKind::MigrationFailed) == ErrorKind::Busy);
        CHECK(kind_for_sqlite_code(SQLITE_CONSTRAINT_UNIQUE, ErrorKind::MigrationFailed) ==
              ErrorKind::MigrationFailed);
        CHECK(hint_for_sqlite_code(SQLITE_READONLY_ROLLBACK).find("hot journal") !=
              std::string::npos);
    }
    TEST_CASE("a new database that got nothing is removed, unless someone else uses it") {
        strata::test::TempDir dir;
        const auto path = dir / "app.db";
        namespace fs = std::filesystem;
        auto open_new = [&] {
            return std::make_unique<Connection>(path, OpenMode::Create, DatabaseOptions{});
        };

        SUBCASE("empty: removed, with its WAL files") {
            auto connection = open_new();
            connection->db().exec("PRAGMA journal_mode = WAL");
            CHECK(fs::exists(path));
            CHECK(discard_new_database(connection));
            CHECK(connection == nullptr);
            CHECK_FALSE(fs::exists(path));
            CHECK_FALSE(fs::exists(dir / "app.db-wal"));
            CHECK_FALSE(fs::exists(dir / "app.db-shm"));
        }
        SUBCASE("a table was committed: kept, journal mode unchanged") {
            auto connection = open_new();
            connection->db().exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x);");
            CHECK_FALSE(discard_new_database(connection));
            CHECK(connection == nullptr);
            TestDatabase check(path.string(), SQLITE_OPEN_READONLY);
            CHECK(sqlite::query_text(check, "PRAGMA journal_mode") == "wal");
        }
        SUBCASE("another connection reads it: kept") {
            auto connection = open_new();
            TestDatabase other(path.string(), SQLITE_OPEN_READWRITE);
            other.exec("BEGIN; SELECT count(*) FROM sqlite_schema;");
            CHECK_FALSE(discard_new_database(connection));
            CHECK(fs::exists(path));
            other.exec("COMMIT");
        }
        SUBCASE("another connection has it open in WAL mode: kept") {
            auto connection = open_new();
            connection->db().exec("PRAGMA journal_mode = WAL");
            TestDatabase other(path.string(), SQLITE_OPEN_READWRITE);
            CHECK(sqlite::query_int64(other, "SELECT count(*) FROM sqlite_schema") == 0);
            CHECK_FALSE(discard_new_database(connection));
            CHECK(fs::exists(path));
        }
        SUBCASE("the path now names another file: that file stays") {
            auto connection = open_new();
            fs::remove(path);
            strata::test::write_file(path, "");
            CHECK_FALSE(discard_new_database(connection));
            CHECK(fs::exists(path));
        }
        std::unique_ptr<Connection> none;
        CHECK_FALSE(discard_new_database(none));
    }
}
