// SPDX-License-Identifier: MIT
// run_for_databases through the public API: databases worked on at the same time with jobs > 1
// (shown by two migrations that can only finish together), results in path order on the
// calling thread, and a failure that stops no other database.
#include "strata/strata.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace strata;
using strata::test::has_table;
using strata::test::TempDir;

namespace {

namespace fs = std::filesystem;

// Two databases whose first migration waits for the other's: with one thread the first times
// out (and fails); with two both finish. The deadline only keeps a broken build from hanging.
struct Rendezvous {
    std::mutex mutex;
    std::condition_variable changed;
    int arrived = 0;

    void meet() {
        std::unique_lock lock(mutex);
        ++arrived;
        changed.notify_all();
        if (!changed.wait_for(lock, std::chrono::seconds(2), [&] { return arrived >= 2; }))
            throw std::runtime_error("the other database never ran at the same time");
    }
};

CodeMigration meeting(Rendezvous& rendezvous) {
    return CodeMigration{.id = MigrationId("0001"),
                         .name = "0001_meet",
                         .version = "1",
                         .up = [&rendezvous](sqlite3* db) {
                             rendezvous.meet();
                             sqlite3_exec(db, "CREATE TABLE met (x)", nullptr, nullptr, nullptr);
                         }};
}

} // namespace

TEST_SUITE("many") {
    TEST_CASE("jobs = 2 works on two databases at once; results in path order") {
        TempDir dir;
        fs::create_directories(dir.path() / "migrations");
        Project project{
            .apps = {AppConfig{.name = "core", .migrations_dir = dir.path() / "migrations"}}};
        Rendezvous rendezvous;
        Context context{project};
        context.code_migrations["core"] = {meeting(rendezvous)};
        const std::vector<fs::path> paths{dir.path() / "a.db", dir.path() / "b.db"};
        std::vector<DatabaseResult> results;
        const auto caller = std::this_thread::get_id();
        const ManyDatabasesSummary summary =
            run_for_databases(context, paths, {.jobs = 2}, [&](const DatabaseResult& result) {
                CHECK(std::this_thread::get_id() == caller);
                results.push_back(result);
            });
        CHECK(summary.migrated == 2);
        CHECK(summary.failed == 0);
        REQUIRE(results.size() == 2);
        CHECK(results[0].database == paths[0]);
        CHECK(results[1].database == paths[1]);
        CHECK(results[0].applied == 1);
        CHECK(has_table(paths[0], "met"));
        CHECK(has_table(paths[1], "met"));
    }

    TEST_CASE("jobs = 1 works on one at a time: the waiting migration fails alone") {
        TempDir dir;
        fs::create_directories(dir.path() / "migrations");
        Project project{
            .apps = {AppConfig{.name = "core", .migrations_dir = dir.path() / "migrations"}}};
        Rendezvous rendezvous;
        Context context{project};
        context.code_migrations["core"] = {meeting(rendezvous)};
        const std::vector<fs::path> paths{dir.path() / "a.db", dir.path() / "b.db"};
        std::vector<DatabaseOutcome> outcomes;
        const ManyDatabasesSummary summary =
            run_for_databases(context, paths, {.jobs = 1}, [&](const DatabaseResult& result) {
                outcomes.push_back(result.outcome);
            });
        // a waited for b alone and failed; b then found a had arrived, and went on.
        CHECK(outcomes ==
              std::vector<DatabaseOutcome>{DatabaseOutcome::Failed, DatabaseOutcome::Migrated});
        CHECK(summary.failed == 1);
        CHECK_FALSE((fs::exists(paths[0]) && has_table(paths[0], "met")));
        CHECK(has_table(paths[1], "met"));
    }

    TEST_CASE("an application's own connection, or no database, is a usage error") {
        TempDir dir;
        Project project{.apps = {AppConfig{.name = "core", .migrations_dir = dir.path()}}};
        Context context{project};
        CHECK_THROWS_WITH_AS(run_for_databases(context, {}, {}, [](const DatabaseResult&) {}),
                             "no database to work on", Error);
        sqlite3* own = nullptr;
        REQUIRE(sqlite3_open(":memory:", &own) == SQLITE_OK);
        context.connection = own;
        CHECK_THROWS_WITH_AS(
            run_for_databases(context, {dir.path() / "a.db"}, {}, [](const DatabaseResult&) {}),
            "many databases cannot run on the application's connection\n  hint: leave "
            "Context::connection unset; each database gets its own",
            Error);
        sqlite3_close(own);
    }
}
