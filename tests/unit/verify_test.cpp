// SPDX-License-Identifier: MIT
// Snapshots and their differences on crafted databases, and VerifyMigrationManager as an
// application calls it from its own tests.
#include "strata/executor/database.hpp"
#include "strata/executor/snapshot.hpp"
#include "strata/strata.hpp"
#include "support/code_project.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <doctest/doctest.h>

using namespace strata;
using strata::test::FileSnapshot;
using strata::test::TempDir;
using strata::test::TestDatabase;
using strata::test::write_file;

namespace {

// A database in memory with `setup` run, its snapshot taken, then `change` run: the difference.
SnapshotDiff diff_after(const std::string& setup, const std::string& change) {
    TestDatabase db(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec(setup);
    const DatabaseSnapshot before = take_snapshot(db, "migrations");
    db.exec(change);
    return diff_snapshots(before, take_snapshot(db, "migrations"));
}

constexpr const char* k_users = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);"
                                "INSERT INTO users (name) VALUES ('ada'), ('brian');";

} // namespace

TEST_SUITE("verify") {
    TEST_CASE("a down that forgets an index: the index is added, with its SQL") {
        const SnapshotDiff diff = diff_after(k_users, "CREATE INDEX users_name ON users(name);");
        REQUIRE(diff.added.size() == 1);
        CHECK(diff.added[0].type == "index");
        CHECK(diff.added[0].name == "users_name");
        CHECK(diff.added[0].table_name == "users");
        CHECK(diff.added[0].sql == "CREATE INDEX users_name ON users(name)");
        CHECK(diff.removed.empty());
        CHECK(diff.changed.empty());
        CHECK(diff.rows.empty());
    }

    TEST_CASE("a down that leaves a row: the table's rows differ, with both counts") {
        const SnapshotDiff diff = diff_after(k_users, "INSERT INTO users (name) VALUES ('cy');");
        CHECK(diff.added.empty());
        REQUIRE(diff.rows.size() == 1);
        CHECK(diff.rows[0].table == "users");
        CHECK(diff.rows[0].rows_before == 2);
        CHECK(diff.rows[0].rows_after == 3);
    }

    TEST_CASE("a changed value with the same count is a difference too") {
        const SnapshotDiff diff =
            diff_after(k_users, "UPDATE users SET name = 'bryan' WHERE name = 'brian';");
        REQUIRE(diff.rows.size() == 1);
        CHECK(diff.rows[0].rows_before == 2);
        CHECK(diff.rows[0].rows_after == 2);
    }

    TEST_CASE("a down that drops a table it did not create: the table is removed") {
        const SnapshotDiff diff = diff_after(
            std::string(k_users) + "CREATE TABLE notes (body TEXT);", "DROP TABLE notes;");
        REQUIRE(diff.removed.size() == 1);
        CHECK(diff.removed[0].name == "notes");
        CHECK(diff.added.empty());
    }

    TEST_CASE("a table rebuilt with another definition is changed, both texts kept") {
        const SnapshotDiff diff = diff_after(k_users, "ALTER TABLE users ADD COLUMN email TEXT;");
        REQUIRE(diff.changed.size() == 1);
        CHECK(diff.changed[0].before.sql ==
              "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)");
        CHECK(diff.changed[0].after.sql ==
              "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT)");
    }

    TEST_CASE("rows deleted and inserted again, other rowids, same values: no difference") {
        const SnapshotDiff diff =
            diff_after("CREATE TABLE tags (label TEXT); INSERT INTO tags VALUES ('a'), ('b');",
                       "DELETE FROM tags; INSERT INTO tags VALUES ('b'), ('a');");
        CHECK(diff.empty());
    }

    TEST_CASE("whitespace in the SQL, the state table and sqlite_sequence are not compared") {
        const SnapshotDiff diff =
            diff_after("CREATE TABLE a (x, y);"
                       "CREATE TABLE migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);",
                       "DROP TABLE a; CREATE   TABLE a\n(x,\n    y);"
                       "INSERT INTO migrations (name) VALUES ('0001');");
        CHECK(diff.empty());
        CHECK(normalise_sql("  CREATE\tTABLE\n\n a (x)  ") == "CREATE TABLE a (x)");
    }

    TEST_CASE("names needing quotes are read as names") {
        const SnapshotDiff diff =
            diff_after("CREATE TABLE \"we\"\"ird\" (\"col\"\" x\" TEXT, [select] INT);"
                       "INSERT INTO \"we\"\"ird\" VALUES ('a', 1);",
                       "UPDATE \"we\"\"ird\" SET [select] = 2;");
        REQUIRE(diff.rows.size() == 1);
        CHECK(diff.rows[0].table == "we\"ird");
    }

    TEST_CASE("copy_database copies a file into memory and leaves the file as it was") {
        TempDir dir;
        const auto path = dir / "app.db";
        test::execute_sql(path, k_users);
        const FileSnapshot file(path);
        Connection memory = Connection::in_memory({});
        {
            Connection real(path, OpenMode::ReadOnly, {});
            copy_database(real, memory);
        }
        CHECK(sqlite::query_int64(memory.db(), "SELECT count(*) FROM users") == 2);
        memory.db().exec("DELETE FROM users");
        CHECK(file.unchanged());
        CHECK(memory.in_memory());
    }
}

namespace {

// A project with one app "core" whose migrations are given as (up, down) pairs.
struct VerifyFixture {
    TempDir dir;
    Project project;

    using Migrations = std::vector<std::pair<std::string, std::string>>;

    explicit VerifyFixture(const Migrations& migrations) : project(test::core_project(dir.path())) {
        int i = 0;
        for (const auto& [up, down] : migrations) {
            ++i;
            test::add_migration(project, "000" + std::to_string(i) + "_step" + std::to_string(i),
                                up, down);
        }
    }
};

} // namespace

TEST_SUITE("verify") {
    TEST_CASE("VerifyMigrationManager: every pending migration verified, database not created") {
        VerifyFixture f({{"CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;"},
                         {"INSERT INTO users VALUES (1);", "DELETE FROM users WHERE id = 1;"}});
        const VerifyReport report = VerifyMigrationManager(Context{f.project}).run();
        CHECK(report.ok());
        CHECK(report.start == VerifyStart::Empty);
        REQUIRE(report.migrations.size() == 2);
        CHECK(report.migrations[1].migration_id.text() == "0002");
        CHECK(report.migrations[1].verified());
        CHECK_FALSE(std::filesystem::exists(f.project.database));
    }

    TEST_CASE("VerifyMigrationManager: stops at the first down that does not restore") {
        VerifyFixture f(
            {{"CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);", "DROP TABLE users;"},
             {"CREATE INDEX users_name ON users(name);", "SELECT 1;"},
             {"CREATE TABLE never (x);", "DROP TABLE never;"}});
        const VerifyReport report = VerifyMigrationManager(Context{f.project}).run();
        CHECK_FALSE(report.ok());
        REQUIRE(report.migrations.size() == 2);
        const VerifiedMigration* bad = report.mismatch();
        REQUIRE(bad != nullptr);
        CHECK(bad->migration_id.text() == "0002");
        REQUIRE(bad->diff.added.size() == 1);
        CHECK(bad->diff.added[0].name == "users_name");
    }

    TEST_CASE("VerifyMigrationManager: pending ones on a copy, the real database untouched") {
        VerifyFixture f({{"CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;"},
                         {"DELETE FROM users;", "SELECT 1;"}});
        ForwardsMigrationManager(Context{f.project}, {.target = Count{1}}).run();
        test::execute_sql(f.project.database, "INSERT INTO users VALUES (7);");
        const FileSnapshot file(f.project.database);

        const VerifyReport copy = VerifyMigrationManager(Context{f.project}).run();
        CHECK(copy.start == VerifyStart::Copy);
        REQUIRE(copy.migrations.size() == 1); // 0001 is applied: only 0002 is checked
        REQUIRE(copy.mismatch() != nullptr);  // the copy's row is gone after the down
        REQUIRE(copy.mismatch()->diff.rows.size() == 1);
        CHECK(copy.mismatch()->diff.rows[0].rows_before == 1);
        CHECK(copy.mismatch()->diff.rows[0].rows_after == 0);

        // --fresh: the same point in the schema, without the real rows
        const VerifyReport fresh =
            VerifyMigrationManager(Context{f.project}, {.fresh = true}).run();
        CHECK(fresh.start == VerifyStart::Empty);
        REQUIRE(fresh.migrations.size() == 1);
        CHECK(fresh.ok());

        // --all: from zero
        const VerifyReport all = VerifyMigrationManager(Context{f.project}, {.all = true}).run();
        CHECK(all.migrations.size() == 2);
        CHECK(all.ok());
        CHECK(file.unchanged());
    }

    TEST_CASE("VerifyMigrationManager: a function the application registers fails clearly") {
        VerifyFixture f(VerifyFixture::Migrations{
            {"CREATE TABLE t (x); INSERT INTO t VALUES (app_slug('A'));", "DROP TABLE t;"}});
        try {
            VerifyMigrationManager(Context{f.project}).run();
            FAIL("expected an error");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::MigrationFailed);
            CHECK(std::string(error.what()).find("no such function: app_slug") !=
                  std::string::npos);
        }
    }
}

TEST_SUITE("verify") {
    TEST_CASE(
        "VerifyMigrationManager: one app on top of what it depends on, which is not verified") {
        VerifyFixture f(VerifyFixture::Migrations{
            {"CREATE TABLE users (id INTEGER PRIMARY KEY);", "SELECT 1;"}});
        AppConfig notes;
        notes.name = "notes";
        notes.migrations_dir = f.dir / "notes";
        notes.depends_on = {"core"};
        f.project.apps.push_back(notes);
        write_file(notes.migrations_dir / "0001_create_notes.up.sql",
                   "CREATE TABLE notes (user_id INTEGER REFERENCES users(id));");
        write_file(notes.migrations_dir / "0001_create_notes.down.sql", "DROP TABLE notes;");

        const VerifyReport one = VerifyMigrationManager(Context{f.project}, {.app = "notes"}).run();
        REQUIRE(one.migrations.size() == 1);
        CHECK(one.migrations[0].app_name == "notes");
        CHECK(one.ok()); // core's down, which leaves its table, was applied but not verified

        const VerifyReport every = VerifyMigrationManager(Context{f.project}).run();
        REQUIRE(every.mismatch() != nullptr);
        CHECK(every.mismatch()->app_name == "core");
    }

    TEST_CASE("VerifyMigrationManager: the application's own connection is the one copied") {
        VerifyFixture f({{"CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;"},
                         {"DELETE FROM users;", "SELECT 1;"}});
        TestDatabase own(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        Context context{f.project};
        context.connection = own.handle();
        ForwardsMigrationManager(context, {.target = Count{1}}).run();
        own.exec("INSERT INTO users VALUES (1)");

        const VerifyReport report = VerifyMigrationManager(context).run();
        CHECK(report.start == VerifyStart::Copy);
        REQUIRE(report.mismatch() != nullptr);
        CHECK(report.mismatch()->diff.rows.at(0).rows_before == 1);
        CHECK(sqlite::query_int64(own, "SELECT count(*) FROM users") == 1);
        CHECK_FALSE(std::filesystem::exists(f.project.database));
    }
}
