// SPDX-License-Identifier: MIT
#include "strata/error.hpp"
#include "strata/executor/executor.hpp"
#include "strata/executor/foreign_keys.hpp"
#include "strata/project/settings.hpp"
#include "strata/state/state_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

using namespace strata;

namespace {

// users <- notes (ON DELETE CASCADE), with two users and three notes.
void create_parent_and_children(SQLite::Database& db) {
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);"
            "CREATE TABLE notes (id INTEGER PRIMARY KEY,"
            "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE);"
            "INSERT INTO users VALUES (1, 'a'), (2, 'b');"
            "INSERT INTO notes VALUES (1, 1), (2, 1), (3, 2);");
}

// SQLite's documented 12-step rebuild of `users`, adding a column with a CHECK.
const char* k_rebuild_users = "CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                              "  email TEXT CHECK (email IS NULL OR email LIKE '%@%'));\n"
                              "INSERT INTO users_new (id, name) SELECT id, name FROM users;\n"
                              "DROP TABLE users;\n"
                              "ALTER TABLE users_new RENAME TO users;\n";

Step forwards(const std::string& id, const std::string& sql) {
    Step s;
    s.app_name = "core";
    s.migration_id = MigrationId(id);
    s.description = "m" + id;
    s.sql = sql;
    s.sql_path = id + ".up.sql";
    return s;
}

ExecutionReport run(SQLite::Database& db, std::vector<Step> steps, ForeignKeyMode mode) {
    RunObserver silent;
    ExecutorOptions options;
    options.foreign_keys = mode;
    Plan plan;
    plan.steps = std::move(steps);
    return Executor(db, silent, options).run(plan);
}

int count(SQLite::Database& db, const std::string& table) {
    return db.execAndGet("SELECT count(*) FROM " + table).getInt();
}

} // namespace

TEST_SUITE("foreign_keys") {
    TEST_CASE("a rebuild of a parent table keeps every child row (deferred, the default)") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        db.exec("PRAGMA foreign_keys = ON");
        create_parent_and_children(db);
        run(db, {forwards("1", k_rebuild_users)}, ForeignKeyMode::Deferred);
        CHECK(count(db, "notes") == 3);
        CHECK(count(db, "users") == 2);
        // The connection's own setting is back as it was.
        CHECK(db.execAndGet("PRAGMA foreign_keys").getInt() == 1);
    }

    TEST_CASE("the same rebuild with enforcement on cascades the DROP into the children") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        create_parent_and_children(db);
        run(db, {forwards("1", k_rebuild_users)}, ForeignKeyMode::Immediate);
        CHECK(count(db, "notes") == 0); // why deferred is the default
        CHECK(db.execAndGet("PRAGMA foreign_keys").getInt() == 0);
    }

    TEST_CASE("a migration that leaves an orphan is rolled back and reported") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        create_parent_and_children(db);
        try {
            run(db, {forwards("1", "DELETE FROM users WHERE id = 2;")}, ForeignKeyMode::Deferred);
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::MigrationFailed);
            CHECK(e.message() == "applying core 1 (m1) failed: it leaves rows whose foreign keys "
                                 "point nowhere: notes rowid 3 refers to a missing row of users");
            CHECK(e.where().path == "1.up.sql");
        }
        CHECK(count(db, "users") == 2);
        CHECK_FALSE(StateStore(db, k_default_state_table)
                        .exists()); // created in the same transaction, rolled back
    }

    TEST_CASE("an orphan inserted into a child table is found") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        create_parent_and_children(db);
        CHECK_THROWS_WITH_AS(
            run(db, {forwards("1", "INSERT INTO notes VALUES (9, 42);")}, ForeignKeyMode::Deferred),
            doctest::Contains("notes rowid 9 refers to a missing row of users"), Error);
        CHECK(count(db, "notes") == 3);
    }

    TEST_CASE("only touched tables and the children of changed parents are checked") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        create_parent_and_children(db);
        // An orphan that predates the migration, in a table the migration does not touch.
        db.exec("CREATE TABLE old (u INTEGER REFERENCES users (id)); INSERT INTO old VALUES (99);"
                "CREATE TABLE other (x);");
        TouchedTables touched;
        touched.rows_written = {"other"};
        CHECK(find_foreign_key_violations(db, touched).empty());
        touched.keys_removed = {"users"};
        const auto violations = find_foreign_key_violations(db, touched);
        REQUIRE(violations.size() == 1);
        CHECK(violations[0].table == "old");
        CHECK(violations[0].rowid == 1);
        CHECK(violations[0].parent == "users");
        touched.keys_removed = {"gone_table"}; // dropped: nothing to check, no error
        CHECK(find_foreign_key_violations(db, touched).empty());
    }

    TEST_CASE("enforcement is set for the run and restored afterwards") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        {
            ForeignKeyEnforcement on(db, true);
            CHECK(db.execAndGet("PRAGMA foreign_keys").getInt() == 1);
        }
        CHECK(db.execAndGet("PRAGMA foreign_keys").getInt() == 0);
    }

    TEST_CASE("INSERT OR REPLACE that deletes a parent row is caught") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY, code UNIQUE);"
                "CREATE TABLE c (code REFERENCES p (code));"
                "INSERT INTO p VALUES (1, 'a'); INSERT INTO c VALUES ('a');");
        CHECK_THROWS_WITH_AS(run(db, {forwards("1", "INSERT OR REPLACE INTO p VALUES (1, 'z');")},
                                 ForeignKeyMode::Deferred),
                             doctest::Contains("c rowid 1 refers to a missing row of p"), Error);
        CHECK(db.execAndGet("SELECT code FROM p").getString() == "a");
    }
}
