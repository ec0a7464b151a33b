// SPDX-License-Identifier: MIT
// What a migration leaves behind may not reach strata's state table later: triggers and views
// whose bodies use it, and its row of sqlite_sequence.
#include "strata/error.hpp"
#include "strata/executor/database.hpp"
#include "strata/executor/executor.hpp"
#include "strata/project/settings.hpp"
#include "strata/state/state_store.hpp"
#include "support/test_database.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace strata;
using strata::test::table_exists;
using strata::test::TestDatabase;

namespace {

Step forwards(const std::string& id, const std::string& sql) {
    Step s;
    s.direction = Direction::Forwards;
    s.app_name = "core";
    s.migration_id = MigrationId(id);
    s.description = "m" + id;
    s.sql = sql;
    s.name = id;
    s.path_prefix = std::make_shared<const std::string>(); // read from "<id>.up.sql"
    s.down_sql = "SELECT 1;";
    return s;
}

// A database where core 1 (users, with an AUTOINCREMENT id so that sqlite_sequence exists) is
// applied and recorded.
void set_up(sqlite::Database db, std::string_view state_table = k_default_state_table) {
    RunObserver silent;
    ExecutorOptions options;
    options.state_table = std::string(state_table);
    Plan plan;
    secure_connection(db); // as every connection strata opens
    plan.steps.push_back(forwards("1", "CREATE TABLE users (id INTEGER PRIMARY KEY "
                                       "AUTOINCREMENT, name TEXT);\n"
                                       "INSERT INTO users (name) VALUES ('a');\n"));
    Executor(db, silent, options).run(plan);
}

// Runs core `id` (2 unless said) with `sql`; returns the error's what(), or "" when it was
// applied.
std::string run_second(sqlite::Database db, const std::string& sql,
                       std::string_view state_table = k_default_state_table,
                       const std::string& id = "2") {
    RunObserver silent;
    ExecutorOptions options;
    options.state_table = std::string(state_table);
    Plan plan;
    plan.steps.push_back(forwards(id, sql));
    secure_connection(db);
    try {
        Executor(db, silent, options).run(plan);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::MigrationFailed);
        return e.what();
    }
    return "";
}

std::size_t applied(sqlite::Database db) {
    return StateStore(db, k_default_state_table).applied("core").size();
}

struct Refused {
    std::string sql;
    std::string message; // from the start of what(), after "2.up.sql:"
};

} // namespace

TEST_SUITE("state_table_guard") {
    TEST_CASE("a trigger or view whose body reaches the state table is refused, naming it") {
        const std::string fires =
            ": SQLite checks a trigger's or view's body only when it runs, so strata refuses it "
            "when it is created";
        const std::vector<Refused> rows = {
            {"CREATE TRIGGER wipe AFTER UPDATE ON users BEGIN DELETE FROM migrations; END;",
             "1:1: applying core 2 (m2) failed: trigger \"wipe\" deletes from strata's state "
             "table \"migrations\" when it fires" +
                 fires},
            {"SELECT 1;\n  CREATE TRIGGER w AFTER UPDATE OF name ON users BEGIN\n"
             "    UPDATE migrations SET description = 'x';\n  END;",
             "2:3: applying core 2 (m2) failed: trigger \"w\" updates strata's state table "
             "\"migrations\" when it fires" +
                 fires},
            {"CREATE TRIGGER i BEFORE INSERT ON users BEGIN INSERT INTO migrations (app_name, "
             "name, description, checksum, down_sql, ran_on) VALUES ('core', '9', '', '', '', "
             "''); END;",
             "1:1: applying core 2 (m2) failed: trigger \"i\" inserts into strata's state table "
             "\"migrations\" when it fires" +
                 fires},
            {"CREATE TRIGGER r AFTER DELETE ON users WHEN (SELECT count(*) FROM migrations) > 0 "
             "BEGIN SELECT 1; END;",
             "1:1: applying core 2 (m2) failed: trigger \"r\" reads strata's state table "
             "\"migrations\" when it fires" +
                 fires},
            {"CREATE VIEW applied AS SELECT name FROM migrations;",
             "1:1: applying core 2 (m2) failed: view \"applied\" reads strata's state table "
             "\"migrations\" when it is read" +
                 fires},
            {"CREATE VIEW n AS SELECT count(*) AS n FROM Migrations;",
             "1:1: applying core 2 (m2) failed: view \"n\" reads strata's state table "
             "\"migrations\" when it is read" +
                 fires},
            {"CREATE VIEW names AS SELECT id, name FROM users;\n"
             "CREATE TRIGGER io INSTEAD OF DELETE ON names BEGIN DELETE FROM migrations; END;",
             "2:1: applying core 2 (m2) failed: trigger \"io\" deletes from strata's state table "
             "\"migrations\" when it fires" +
                 fires},
            {"CREATE TEMP TRIGGER t AFTER INSERT ON main.users BEGIN DELETE FROM migrations; END;",
             "1:1: applying core 2 (m2) failed: trigger \"t\" deletes from strata's state table "
             "\"migrations\" when it fires" +
                 fires},
            {"CREATE TRIGGER s AFTER INSERT ON users BEGIN UPDATE sqlite_sequence SET seq = "
             "9223372036854775807 WHERE name = 'migrations'; END;",
             "1:1: applying core 2 (m2) failed: trigger \"s\" writes to sqlite_sequence, where "
             "SQLite keeps the next id of strata's state table \"migrations\" (which row a "
             "trigger changes is known only when it fires) when it fires" +
                 fires},
        };
        for (const Refused& row : rows) {
            CAPTURE(row.sql);
            TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
            set_up(db);
            const std::string error = run_second(db, row.sql);
            CHECK(error.rfind("2.up.sql:" + row.message +
                                  "\n  hint: strata's state table "
                                  "changes only through strata; remove "
                                  "what the body does to it",
                              0) == 0);
            // Rolled back: nothing of the migration is left, and it is not recorded.
            CHECK(sqlite::query_int64(
                      db, "SELECT count(*) FROM sqlite_schema WHERE type IN ('trigger', "
                          "'view')") == 0);
            CHECK(sqlite::query_int64(db, "SELECT count(*) FROM temp.sqlite_schema") == 0);
            CHECK(applied(db) == 1);
        }
    }

    TEST_CASE("a chain of triggers is followed to the one that reaches the state table") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        set_up(db);
        const std::string error =
            run_second(db, "CREATE TABLE log (x);\n"
                           "CREATE TRIGGER a AFTER UPDATE ON users BEGIN INSERT INTO log VALUES "
                           "(1); END;\n"
                           "CREATE TRIGGER b AFTER INSERT ON log BEGIN DELETE FROM migrations; "
                           "END;\n");
        CHECK(error.rfind("2.up.sql:2:1: applying core 2 (m2) failed: trigger \"a\" leads to "
                          "trigger \"b\", which deletes from strata's state table \"migrations\"",
                          0) == 0);
        CHECK_FALSE(table_exists(db, "log"));
    }

    TEST_CASE("a trigger added to an old chain is checked through the old triggers") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        set_up(db);
        // Put there outside strata: its body reaches the state table only once something
        // inserts into log.
        db.exec("CREATE TABLE log (x); CREATE TRIGGER old AFTER INSERT ON log BEGIN DELETE FROM "
                "migrations; END;");
        CHECK(run_second(db, "CREATE TRIGGER feed AFTER UPDATE ON users BEGIN INSERT INTO log "
                             "VALUES (1); END;")
                  .find("trigger \"feed\" leads to trigger \"old\", which deletes from") !=
              std::string::npos);
        // A migration that adds nothing reaching it is fine.
        CHECK(run_second(db, "CREATE TABLE other (x);").empty());
        CHECK(applied(db) == 2);
    }

    TEST_CASE("a trigger or view strata cannot compile is refused, since it cannot be checked") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        set_up(db);
        CHECK(run_second(db, "CREATE TRIGGER later AFTER INSERT ON users BEGIN\n"
                             "  INSERT INTO audit VALUES (1);\n  DELETE FROM migrations;\nEND;")
                  .rfind("2.up.sql:1:1: applying core 2 (m2) failed: strata cannot check what "
                         "trigger \"later\" does when it fires: no such table: main.audit",
                         0) == 0);
        CHECK(run_second(db, "CREATE VIEW v AS SELECT * FROM audit;")
                  .rfind("2.up.sql:1:1: applying core 2 (m2) failed: strata cannot check what "
                         "view \"v\" does when it is read: no such table: main.audit",
                         0) == 0);
        CHECK(applied(db) == 1);
    }

    TEST_CASE("changing the state table's sqlite_sequence row is refused; other rows are not") {
        for (const char* sql :
             {"UPDATE sqlite_sequence SET seq = 9223372036854775807 WHERE name = 'migrations';",
              "DELETE FROM sqlite_sequence;",
              "INSERT INTO sqlite_sequence (name, seq) VALUES ('MIGRATIONS', 5);",
              "CREATE TABLE t (x); UPDATE sqlite_sequence SET seq = 'x' WHERE name = "
              "'migrations';"}) {
            CAPTURE(std::string(sql));
            TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
            set_up(db);
            CHECK(run_second(db, sql) ==
                  "2.up.sql: applying core 2 (m2) failed: the migration changed the row of "
                  "sqlite_sequence that holds the next id of strata's state table "
                  "\"migrations\"; strata takes the id of every record from there (at its "
                  "maximum every later run fails with \"database or disk is full\")\n"
                  "  hint: leave that row alone (the rows of the project's own tables may "
                  "change); nothing of this migration was kept");
            CHECK(applied(db) == 1);
            CHECK_FALSE(table_exists(db, "t"));
        }
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        set_up(db);
        CHECK(run_second(db, "UPDATE sqlite_sequence SET seq = 100 WHERE name = 'users';").empty());
        CHECK(sqlite::query_int64(db, "SELECT seq FROM sqlite_sequence WHERE name = 'users'") ==
              100);
        CHECK(applied(db) == 2);
    }

    TEST_CASE("the project's own triggers and views are fine") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        set_up(db);
        CHECK(run_second(db, "CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT);\n"
                             "CREATE TRIGGER audit AFTER UPDATE OF name ON users BEGIN\n"
                             "  INSERT INTO log (what) VALUES (old.name || ' -> ' || new.name);\n"
                             "END;\n"
                             "CREATE VIEW names AS SELECT id, name FROM users;\n"
                             "CREATE TRIGGER rename INSTEAD OF UPDATE ON names BEGIN\n"
                             "  UPDATE users SET name = new.name WHERE id = old.id;\n"
                             "END;\n"
                             "CREATE TEMP TABLE migrations (x);\n"
                             "CREATE TEMP VIEW scratch AS SELECT x FROM temp.migrations;\n"
                             "CREATE TRIGGER plain AFTER DELETE ON users BEGIN SELECT 1; END;\n"
                             "UPDATE users SET name = 'b';\n")
                  .empty());
        CHECK(applied(db) == 2);
        CHECK(sqlite::query_text(db, "SELECT what FROM log") == "a -> b");
    }

    TEST_CASE("only the triggers and views a migration creates are looked at, ALTER or not") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        set_up(db);
        // Made outside strata, so never checked: an unrelated migration leaves it alone.
        db.exec("CREATE TRIGGER old_wipe AFTER DELETE ON users BEGIN DELETE FROM migrations; END;");
        CHECK(run_second(db, "CREATE TABLE other (x);").empty());
        CHECK(
            run_second(db, "ALTER TABLE other ADD COLUMN y;", k_default_state_table, "3").empty());
        // A new trigger is found both ways: named by its CREATE, or by comparing every trigger
        // with what it was when the SQL has ALTER TABLE.
        for (const std::string sql :
             {"CREATE TRIGGER w AFTER INSERT ON other BEGIN DELETE FROM migrations; END;",
              "ALTER TABLE other ADD COLUMN z;\n"
              "CREATE TRIGGER w AFTER INSERT ON other BEGIN DELETE FROM migrations; END;"}) {
            CAPTURE(sql);
            CHECK(run_second(db, sql, k_default_state_table, "4")
                      .find("trigger \"w\" deletes from strata's state table") !=
                  std::string::npos);
        }
        CHECK(applied(db) == 3);
    }

    TEST_CASE("the guard protects the configured state table") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        set_up(db, "strata_state");
        // The project's own table called migrations may be used by its triggers.
        CHECK(run_second(db,
                         "CREATE TABLE migrations (version TEXT);\n"
                         "CREATE TRIGGER note AFTER INSERT ON users BEGIN INSERT INTO migrations "
                         "VALUES ('x'); END;\n",
                         "strata_state")
                  .empty());
        CHECK(run_second(db,
                         "CREATE TRIGGER wipe AFTER DELETE ON users BEGIN DELETE FROM "
                         "strata_state; END;",
                         "strata_state", "3")
                  .find("trigger \"wipe\" deletes from strata's state table \"strata_state\"") !=
              std::string::npos);
    }
}
