// SPDX-License-Identifier: MIT
#include "strata/error.hpp"
#include "strata/executor/sql_runner.hpp"
#include "strata/project/settings.hpp"
#include "strata/state/state_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

using namespace strata;

namespace {

// Runs `sql` the way the executor does: inside an open transaction.
void run_in_transaction(SQLite::Database& db, const std::string& sql) {
    SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
    run_migration_sql(db, sql, "m.up.sql");
    transaction.commit();
}

int count_tables(SQLite::Database& db) {
    return db
        .execAndGet("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT "
                    "LIKE 'sqlite_%'")
        .getInt();
}

// The full message of the error `sql` raises.
std::string error_of(SQLite::Database& db, const std::string& sql) {
    try {
        run_in_transaction(db, sql);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::MigrationFailed);
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_SUITE("sql_runner") {
    TEST_CASE("runs every statement, with triggers and semicolons inside strings") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        run_in_transaction(db, "CREATE TABLE t (x TEXT);\n"
                               "INSERT INTO t VALUES ('a;b');\n"
                               "CREATE TABLE log (x TEXT);\n"
                               "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
                               "  INSERT INTO log VALUES (new.x);\n"
                               "END;\n"
                               "INSERT INTO t VALUES ('c'); -- trailing comment\n"
                               ";;\n"
                               "/* block */ SELECT 1;");
        CHECK(db.execAndGet("SELECT group_concat(x, '|') FROM t").getString() == "a;b|c");
        CHECK(db.execAndGet("SELECT x FROM log").getString() == "c");
    }

    TEST_CASE("a failing statement names the line and column where it starts") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        CHECK(error_of(db, "CREATE TABLE a (x);\n\n  -- note\n  INSERT INTO nope VALUES (1);") ==
              "m.up.sql:4:3: statement failed: no such table: nope\n"
              "  hint: fix the statement and run again; nothing of this migration was kept");
        CHECK(error_of(db, "CREATE TABLE b (x PRIMARY KEY);\nINSERT INTO b VALUES (1);\n"
                           "INSERT INTO b VALUES (1);")
                  .rfind("m.up.sql:3:1: statement failed: UNIQUE constraint failed: b.x", 0) == 0);
    }

    TEST_CASE("transaction control is refused") {
        for (const char* sql : {"COMMIT;", "BEGIN;", "END;", "ROLLBACK;", "begin immediate;",
                                "CREATE TABLE x (a);\ncommit;"}) {
            CAPTURE(sql);
            SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
            const std::string message = error_of(db, sql);
            CHECK(message.find("statement refused") != std::string::npos);
            CHECK(message.find("would end the transaction") != std::string::npos);
            CHECK(count_tables(db) == 0); // the statement before it was rolled back too
        }
    }

    TEST_CASE("ATTACH, DETACH and VACUUM are refused") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        CHECK(error_of(db, "ATTACH ':memory:' AS other;").find("ATTACH and DETACH") !=
              std::string::npos);
        CHECK(error_of(db, "DETACH other;").find("ATTACH and DETACH") != std::string::npos);
        CHECK(error_of(db, "SELECT 1;\n  vacuum;") ==
              "m.up.sql:2:3: VACUUM cannot run inside a migration's transaction\n"
              "  hint: put it after a line \"-- strata:after-commit\" at the end of the file");
    }

    TEST_CASE("writes to the state table are refused; a temp table of that name is not") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        StateStore(db, k_default_state_table).create_if_missing();
        for (const char* sql :
             {"INSERT INTO migrations (app_name) VALUES ('x');", "DELETE FROM migrations;",
              "UPDATE Migrations SET name = 'x';", "DROP TABLE migrations;",
              "ALTER TABLE migrations ADD COLUMN y;", "CREATE INDEX i ON migrations (name);",
              "CREATE TRIGGER t AFTER DELETE ON migrations BEGIN SELECT 1; END;"}) {
            CAPTURE(sql);
            CHECK(error_of(db, sql).find("state table") != std::string::npos);
        }
        CHECK_NOTHROW(run_in_transaction(db, "CREATE TEMP TABLE migrations (x);"
                                             "INSERT INTO temp.migrations VALUES (1);"));
        // Reading the state table is fine.
        CHECK_NOTHROW(run_in_transaction(db, "SELECT count(*) FROM main.migrations;"));
    }

    TEST_CASE("creating anything of the state table's name is refused, IF NOT EXISTS too") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        StateStore(db, k_default_state_table).create_if_missing();
        CHECK(error_of(db, "CREATE TABLE t (x);\nCREATE TABLE IF NOT EXISTS migrations (x);") ==
              "m.up.sql:2:1: statement refused: a migration must not create a table named "
              "\"migrations\": that is strata's state table, where it records applied migrations; "
              "rename the project's table, or set state_table = \"...\" in strata.toml to keep "
              "strata's record under another name\n"
              "  hint: remove the statement; strata manages the transaction and its state table");
        for (const char* sql :
             {"CREATE TABLE Migrations (x);", "CREATE VIEW IF NOT EXISTS migrations AS SELECT 1;",
              "DROP TABLE IF EXISTS migrations;", "ALTER TABLE migrations RENAME TO old;"}) {
            CAPTURE(std::string(sql));
            CHECK(error_of(db, sql).find("set state_table") != std::string::npos);
        }
        CHECK(count_tables(db) == 1);
    }

    TEST_CASE("the policy protects the configured state table, and only that one") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        StateStore(db, "strata_state").create_if_missing();
        auto run = [&](const std::string& sql) {
            SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
            SqlRun options{"m.up.sql"};
            options.state_table = "strata_state";
            run_migration_sql(db, sql, options);
            transaction.commit();
        };
        CHECK_THROWS_WITH_AS(run("DELETE FROM strata_state;"),
                             doctest::Contains("state table \"strata_state\""), Error);
        CHECK_THROWS_WITH_AS(run("CREATE TABLE IF NOT EXISTS STRATA_STATE (x);"),
                             doctest::Contains("named \"strata_state\""), Error);
        // The project's own table called migrations is the project's business.
        CHECK_NOTHROW(run("CREATE TABLE IF NOT EXISTS migrations (version TEXT);"
                          "INSERT INTO migrations VALUES ('1');"
                          "DROP TABLE migrations;"));
    }

    TEST_CASE("the authorizer is removed afterwards") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        StateStore(db, k_default_state_table).create_if_missing();
        CHECK(error_of(db, "DELETE FROM migrations;") != "(no error)");
        CHECK_NOTHROW(db.exec("DELETE FROM migrations"));
    }

    TEST_CASE("PRAGMAs that cannot take effect in a transaction are refused, reading is fine") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        CHECK(error_of(db, "PRAGMA foreign_keys = OFF;").find("set foreign_keys = \"deferred\"") !=
              std::string::npos);
        CHECK(error_of(db, "pragma FOREIGN_KEYS=0;").find("statement refused") !=
              std::string::npos);
        CHECK(error_of(db, "PRAGMA journal_mode = WAL;").find("set journal_mode in strata.toml") !=
              std::string::npos);
        CHECK(error_of(db, "PRAGMA page_size = 8192;").find("after-commit") != std::string::npos);
        CHECK_NOTHROW(run_in_transaction(db, "PRAGMA foreign_keys; PRAGMA user_version = 7;"));
    }

    TEST_CASE("the tables a migration touches are collected, trigger bodies included") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p_id);"
                "CREATE TABLE log (x); CREATE TRIGGER t AFTER INSERT ON c BEGIN "
                "INSERT INTO log VALUES (1); END;");
        TouchedTables touched;
        SQLite::Transaction transaction(db);
        run_migration_sql(db, "INSERT INTO c VALUES (1); DELETE FROM p; UPDATE c SET p_id = 2;",
                          SqlRun{"m.up.sql", 1, SqlPhase::InTransaction, &touched});
        CHECK(touched.rows_written == std::set<std::string>{"c", "log"});
        // Every write may remove keys (INSERT OR REPLACE deletes the rows it collides with).
        CHECK(touched.keys_removed == std::set<std::string>{"c", "log", "p"});
    }

    TEST_CASE("line numbers count from where the SQL starts in its file") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        SQLite::Transaction transaction(db);
        try {
            run_migration_sql(db, "SELECT 1;\nBOOM;", SqlRun{"m.up.sql", 10});
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.where().line == 11);
        }
    }

    TEST_CASE("after commit: maintenance runs, schema and data changes are refused") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        db.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1);"
                "CREATE TABLE s (id INTEGER PRIMARY KEY AUTOINCREMENT);");
        const SqlRun after{"m.up.sql", 5, SqlPhase::AfterCommit};
        CHECK_NOTHROW(run_migration_sql(db, "VACUUM; ANALYZE; PRAGMA optimize; REINDEX;", after));
        for (const char* sql : {"CREATE TABLE u (x);", "DROP TABLE t;", "INSERT INTO t VALUES (2);",
                                "BEGIN;", "ALTER TABLE t ADD COLUMN y;",
                                "UPDATE sqlite_sequence SET seq = 9223372036854775807;"}) {
            CAPTURE(std::string(sql));
            try {
                run_migration_sql(db, sql, after);
                FAIL("expected a refusal");
            } catch (const Error& e) {
                CHECK(e.message().find("statement refused: ") == 0);
                CHECK(e.where().line == 5);
            }
        }
        CHECK(db.execAndGet("SELECT count(*) FROM t").getInt() == 1);
    }

    TEST_CASE("a block comment that is never closed is an error at its start") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        CHECK(error_of(db, "CREATE TABLE a (x);\n  /* the rest\nCREATE TABLE b (x);") ==
              "m.up.sql:2:3: this /* comment is never closed, so SQLite would silently skip "
              "everything after it\n  hint: close it with */");
        CHECK(count_tables(db) == 0);
        // Inside strings and line comments, /* is just text.
        CHECK_NOTHROW(run_in_transaction(db, "CREATE TABLE c (x DEFAULT '/*');\n-- /* note\n"
                                             "CREATE TABLE \"d/*\" (x);"));
    }

    TEST_CASE("PRAGMA writable_schema is refused") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        CHECK(error_of(db, "PRAGMA writable_schema = ON;").find("can corrupt the database") !=
              std::string::npos);
    }

    TEST_CASE("a temp trigger on the state table is refused") {
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
        StateStore(db, k_default_state_table).create_if_missing();
        CHECK(error_of(db, "CREATE TEMP TRIGGER forget AFTER INSERT ON main.migrations BEGIN "
                           "DELETE FROM migrations; END;")
                  .find("trigger on strata's state table") != std::string::npos);
    }
}
