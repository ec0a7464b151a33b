// SPDX-License-Identifier: MIT
#include "strata/error.hpp"
#include "strata/executor/database.hpp"
#include "strata/executor/sql_runner.hpp"
#include "strata/project/settings.hpp"
#include "strata/state/state_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

using namespace strata;
using strata::test::table_exists;
using strata::test::TestDatabase;

namespace {

// Runs `sql` the way the executor does: inside an open transaction.
void run_in_transaction(sqlite::Database db, const std::string& sql) {
    sqlite::Transaction transaction(db, sqlite::TransactionKind::Immediate);
    run_migration_sql(db, sql, "m.up.sql");
    transaction.commit();
}

int count_tables(sqlite::Database db) {
    return sqlite::query_int64(
        db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT "
            "LIKE 'sqlite_%'");
}

// The full message of the error `sql` raises.
std::string error_of(sqlite::Database db, const std::string& sql) {
    try {
        run_in_transaction(db, sql);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::MigrationFailed);
        return e.what();
    }
    return "(no error)";
}

// The full message of the error `sql` raises in `phase` (with a transaction open for the
// migration proper), or "(no error)".
std::string error_in(sqlite::Database db, const std::string& sql, SqlPhase phase) {
    if (phase == SqlPhase::InTransaction)
        return error_of(db, sql);
    try {
        run_migration_sql(db, sql, SqlRun{"m.up.sql", 1, SqlPhase::AfterCommit});
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::MigrationFailed);
        return e.what();
    }
    return "(no error)";
}

const char* name_of(SqlPhase phase) {
    return phase == SqlPhase::InTransaction ? "in transaction" : "after commit";
}

} // namespace

TEST_SUITE("sql_runner") {
    TEST_CASE("runs every statement, with triggers and semicolons inside strings") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        run_in_transaction(db, "CREATE TABLE t (x TEXT);\n"
                               "INSERT INTO t VALUES ('a;b');\n"
                               "CREATE TABLE log (x TEXT);\n"
                               "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
                               "  INSERT INTO log VALUES (new.x);\n"
                               "END;\n"
                               "INSERT INTO t VALUES ('c'); -- trailing comment\n"
                               ";;\n"
                               "/* block */ SELECT 1;");
        CHECK(sqlite::query_text(db, "SELECT group_concat(x, '|') FROM t") == "a;b|c");
        CHECK(sqlite::query_text(db, "SELECT x FROM log") == "c");
    }

    TEST_CASE("a failing statement names the line and column where it starts") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        CHECK(error_of(db, "CREATE TABLE a (x);\n\n  -- note\n  INSERT INTO nope VALUES (1);") ==
              "m.up.sql:4:3: statement failed: no such table: nope\n"
              "  hint: fix the statement and run again; nothing of this migration was kept");
        CHECK(error_of(db, "CREATE TABLE b (x PRIMARY KEY);\nINSERT INTO b VALUES (1);\n"
                           "INSERT INTO b VALUES (1);")
                  .rfind("m.up.sql:3:1: statement failed: UNIQUE constraint failed: b.x", 0) == 0);
    }

    TEST_CASE("a statement SQLite cannot compile is reported at the failing token") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        // Nine lines, the typo on line 7: the error points at it, not at the CREATE.
        const std::string sql = "CREATE TABLE a (x);\n"
                                "CREATE TABLE people (\n"
                                "  id INTEGER PRIMARY KEY,\n"
                                "  name TEXT NOT NULL,\n"
                                "  email TEXT,\n"
                                "  born TEXT,\n"
                                "  city TEXT DEFAULT 'x' NOT NUL,\n"
                                "  note TEXT\n"
                                ");";
        try {
            run_in_transaction(db, sql);
            FAIL("the statement ran");
        } catch (const Error& e) {
            CHECK(e.where().line == 7);
            CHECK(e.where().column == 29);
            CHECK(e.source_line() == "  city TEXT DEFAULT 'x' NOT NUL,");
            CHECK(std::string(e.what()).rfind(
                      "m.up.sql:7:29: statement failed: near \"NUL\": syntax error", 0) == 0);
        }
    }

    TEST_CASE("the token's column counts characters, and CRLF line ends are not text") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        try {
            run_in_transaction(db, "SELECT 1;\r\nSELECT '\xC3\xA9\xC3\xA9' AS \xC3\xA9, 2 2;\r\n");
            FAIL("the statement ran");
        } catch (const Error& e) {
            CHECK(e.where().line == 2);
            CHECK(e.where().column == 21);
            CHECK(e.source_line() == "SELECT '\xC3\xA9\xC3\xA9' AS \xC3\xA9, 2 2;");
        }
    }

    TEST_CASE("a failure while running keeps the statement's start, with its line") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        try {
            run_in_transaction(db, "CREATE TABLE b (x PRIMARY KEY);\n"
                                   "INSERT INTO b VALUES (1);\n"
                                   "  INSERT INTO b\n    VALUES (1);");
            FAIL("the statement ran");
        } catch (const Error& e) {
            CHECK(e.where().line == 3);
            CHECK(e.where().column == 3);
            CHECK(e.source_line() == "  INSERT INTO b");
        }
    }

    TEST_CASE("transaction control is refused") {
        for (const char* sql : {"COMMIT;", "BEGIN;", "END;", "ROLLBACK;", "begin immediate;",
                                "CREATE TABLE x (a);\ncommit;"}) {
            CAPTURE(sql);
            TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
            const std::string message = error_of(db, sql);
            CHECK(message.find("statement refused") != std::string::npos);
            CHECK(message.find("would end the transaction") != std::string::npos);
            CHECK(count_tables(db) == 0); // the statement before it was rolled back too
        }
    }

    TEST_CASE("ATTACH, DETACH and VACUUM are refused") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        CHECK(error_of(db, "ATTACH ':memory:' AS other;").find("ATTACH and DETACH") !=
              std::string::npos);
        CHECK(error_of(db, "DETACH other;").find("ATTACH and DETACH") != std::string::npos);
        CHECK(error_of(db, "SELECT 1;\n  vacuum;") ==
              "m.up.sql:2:3: VACUUM cannot run inside a migration's transaction\n"
              "  hint: put it after a line \"-- strata:after-commit\" at the end of the file");
    }

    TEST_CASE("writes to the state table are refused; a temp table of that name is not") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
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
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore(db, k_default_state_table).create_if_missing();
        CHECK(
            error_of(db, "CREATE TABLE t (x);\nCREATE TABLE IF NOT EXISTS migrations (x);") ==
            "m.up.sql:2:1: statement refused: a migration must not create a table named "
            "\"migrations\": that is strata's state table, where it records applied migrations; "
            "rename the project's table, or set Settings::state_table = \"...\" to keep "
            "strata's record under another name\n"
            "  hint: remove the statement; strata manages the transaction, the connection and its "
            "state table (docs/security.md lists what a migration may not do)");
        for (const char* sql :
             {"CREATE TABLE Migrations (x);", "CREATE VIEW IF NOT EXISTS migrations AS SELECT 1;",
              "DROP TABLE IF EXISTS migrations;", "ALTER TABLE migrations RENAME TO old;"}) {
            CAPTURE(std::string(sql));
            CHECK(error_of(db, sql).find("set Settings::state_table") != std::string::npos);
        }
        CHECK(count_tables(db) == 1);
    }

    TEST_CASE("the policy protects the configured state table, and only that one") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore(db, "strata_state").create_if_missing();
        auto run = [&](const std::string& sql) {
            sqlite::Transaction transaction(db, sqlite::TransactionKind::Immediate);
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
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore(db, k_default_state_table).create_if_missing();
        CHECK(error_of(db, "DELETE FROM migrations;") != "(no error)");
        CHECK_NOTHROW(db.exec("DELETE FROM migrations"));
    }

    TEST_CASE("PRAGMAs that cannot take effect in a transaction are refused, reading is fine") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        CHECK(error_of(db, "PRAGMA foreign_keys = OFF;")
                  .find("set Settings::foreign_keys (deferred") != std::string::npos);
        CHECK(error_of(db, "pragma FOREIGN_KEYS=0;").find("statement refused") !=
              std::string::npos);
        CHECK(error_of(db, "PRAGMA journal_mode = WAL;").find("set Settings::journal_mode") !=
              std::string::npos);
        CHECK(error_of(db, "PRAGMA page_size = 8192;").find("after-commit") != std::string::npos);
        CHECK_NOTHROW(run_in_transaction(db, "PRAGMA foreign_keys; PRAGMA user_version = 7;"));
    }

    TEST_CASE("the tables a migration touches are collected, trigger bodies included") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p_id);"
                "CREATE TABLE log (x); CREATE TRIGGER t AFTER INSERT ON c BEGIN "
                "INSERT INTO log VALUES (1); END;");
        TouchedTables touched;
        sqlite::Transaction transaction(db, sqlite::TransactionKind::Deferred);
        run_migration_sql(db, "INSERT INTO c VALUES (1); DELETE FROM p; UPDATE c SET p_id = 2;",
                          SqlRun{"m.up.sql", 1, SqlPhase::InTransaction, &touched});
        CHECK(touched.rows_written == std::set<std::string>{"c", "log"});
        // Every write may remove keys (INSERT OR REPLACE deletes the rows it collides with).
        CHECK(touched.keys_removed == std::set<std::string>{"c", "log", "p"});
    }

    TEST_CASE("line numbers count from where the SQL starts in its file") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        sqlite::Transaction transaction(db, sqlite::TransactionKind::Deferred);
        try {
            run_migration_sql(db, "SELECT 1;\nBOOM;", SqlRun{"m.up.sql", 10});
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.where().line == 11);
        }
    }

    TEST_CASE("after commit: maintenance runs, schema and data changes are refused") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
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
        CHECK(sqlite::query_int64(db, "SELECT count(*) FROM t") == 1);
    }

    TEST_CASE("a block comment that is never closed is an error at its start") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        CHECK(error_of(db, "CREATE TABLE a (x);\n  /* the rest\nCREATE TABLE b (x);") ==
              "m.up.sql:2:3: this /* comment is never closed, so SQLite would silently skip "
              "everything after it\n  hint: close it with */");
        CHECK(count_tables(db) == 0);
        // Inside strings and line comments, /* is just text.
        CHECK_NOTHROW(run_in_transaction(db, "CREATE TABLE c (x DEFAULT '/*');\n-- /* note\n"
                                             "CREATE TABLE \"d/*\" (x);"));
    }

    TEST_CASE("PRAGMA writable_schema is refused") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        CHECK(error_of(db, "PRAGMA writable_schema = ON;").find("can corrupt the database") !=
              std::string::npos);
    }

    TEST_CASE("a temp trigger on the state table is refused") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore(db, k_default_state_table).create_if_missing();
        CHECK(error_of(db, "CREATE TEMP TRIGGER forget AFTER INSERT ON main.migrations BEGIN "
                           "DELETE FROM migrations; END;")
                  .find("trigger on strata's state table") != std::string::npos);
    }

    TEST_CASE("setting a PRAGMA: only those on the allow-list, each in its phase") {
        using P = SqlPhase;
        struct Row {
            const char* sql;
            P phase;
            const char* refusal; // nullptr: allowed
        };
        const Row rows[] = {
            // Reading is always fine, setting what strata or the project manages is not.
            {"PRAGMA synchronous;", P::AfterCommit, nullptr},
            {"PRAGMA journal_mode;", P::InTransaction, nullptr},
            {"PRAGMA synchronous = OFF;", P::InTransaction, "set Settings::synchronous"},
            {"PRAGMA synchronous = OFF;", P::AfterCommit, "set Settings::synchronous"},
            {"PRAGMA journal_mode = MEMORY;", P::AfterCommit, "set Settings::journal_mode"},
            {"PRAGMA foreign_keys = OFF;", P::AfterCommit, "Settings::foreign_keys (deferred"},
            {"PRAGMA defer_foreign_keys = ON;", P::InTransaction,
             "Settings::foreign_keys (deferred"},
            {"PRAGMA writable_schema = ON;", P::AfterCommit, "can corrupt the database"},
            {"PRAGMA ignore_check_constraints = ON;", P::InTransaction,
             "fail their CHECK constraints"},
            {"pragma Ignore_Check_Constraints=1;", P::AfterCommit, "fail their CHECK constraints"},
            // Everything else that changes the connection for later migrations.
            {"PRAGMA trusted_schema = ON;", P::InTransaction, "docs/security.md"},
            {"PRAGMA query_only = ON;", P::AfterCommit, "docs/security.md"},
            {"PRAGMA recursive_triggers = OFF;", P::InTransaction, "docs/security.md"},
            {"PRAGMA legacy_alter_table = ON;", P::InTransaction, "docs/security.md"},
            {"PRAGMA locking_mode = EXCLUSIVE;", P::AfterCommit, "docs/security.md"},
            {"PRAGMA temp_store_directory = '/tmp';", P::AfterCommit, "docs/security.md"},
            {"PRAGMA cache_size = 10;", P::InTransaction, "docs/security.md"},
            {"PRAGMA max_page_count = 10;", P::InTransaction, "docs/security.md"},
            {"PRAGMA schema_version = 99;", P::InTransaction, "docs/security.md"},
            {"PRAGMA no_such_pragma = 1;", P::InTransaction, "docs/security.md"},
            // The allow-list.
            {"PRAGMA user_version = 7;", P::InTransaction, nullptr},
            {"PRAGMA main.application_id = 7;", P::InTransaction, nullptr},
            {"PRAGMA user_version = 7;", P::AfterCommit, "above the -- strata:after-commit line"},
            {"PRAGMA page_size = 8192;", P::InTransaction, "after-commit"},
            {"PRAGMA page_size = 8192;", P::AfterCommit, nullptr},
            {"PRAGMA auto_vacuum = INCREMENTAL;", P::AfterCommit, nullptr},
            {"PRAGMA wal_checkpoint(TRUNCATE);", P::InTransaction, "after-commit"},
            {"PRAGMA wal_checkpoint(TRUNCATE);", P::AfterCommit, nullptr},
            {"PRAGMA optimize(0x02);", P::InTransaction, nullptr},
            {"PRAGMA incremental_vacuum(1);", P::AfterCommit, nullptr},
            {"PRAGMA table_info(t);", P::InTransaction, nullptr},
            {"SELECT * FROM pragma_table_info('t');", P::AfterCommit, nullptr},
            {"PRAGMA integrity_check(5);", P::AfterCommit, nullptr},
            {"PRAGMA foreign_key_check(t);", P::InTransaction, nullptr},
        };
        for (const Row& row : rows) {
            CAPTURE(row.sql);
            CAPTURE(name_of(row.phase));
            TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
            db.exec("CREATE TABLE t (x)");
            const std::string message = error_in(db, row.sql, row.phase);
            if (row.refusal == nullptr) {
                CHECK(message == "(no error)");
                continue;
            }
            CHECK(message.rfind("m.up.sql:1:1: statement refused: PRAGMA ", 0) == 0);
            CHECK(message.find(row.refusal) != std::string::npos);
        }
    }

    TEST_CASE("ignore_check_constraints cannot let a row that fails its CHECK be committed") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        db.exec("CREATE TABLE c (x CHECK (x > 0))");
        CHECK(error_of(db, "PRAGMA ignore_check_constraints = ON;\nINSERT INTO c VALUES (-1);")
                  .rfind("m.up.sql:1:1: statement refused", 0) == 0);
        CHECK(sqlite::query_int64(db, "SELECT count(*) FROM c") == 0);
        CHECK(sqlite::query_int64(db, "PRAGMA ignore_check_constraints") == 0);
    }

    TEST_CASE("functions with effects outside the database are refused, in triggers too") {
        for (SqlPhase phase : {SqlPhase::InTransaction, SqlPhase::AfterCommit}) {
            CAPTURE(name_of(phase));
            for (const char* sql :
                 {"SELECT fts3_tokenizer('simple', x'4141414141414141');",
                  "SELECT hex(fts3_tokenizer('simple'));", "SELECT FTS3_TOKENIZER('porter');",
                  "SELECT load_extension('/nonexistent');", "SELECT sqlite_log(1, 'hello');",
                  "SELECT 1 WHERE (SELECT fts3_tokenizer('simple')) IS NULL;"}) {
                CAPTURE(sql);
                TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
                const std::string message = error_in(db, sql, phase);
                CHECK(message.rfind("m.up.sql:1:1: statement refused: ", 0) == 0);
                CHECK(message.find("strata refuses it") != std::string::npos);
            }
        }
        // SQLite authorizes a trigger's body when a statement that fires it is prepared.
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        CHECK(error_of(db, "CREATE TABLE t (x);\nCREATE TABLE log (p);\n"
                           "CREATE TRIGGER leak AFTER INSERT ON t BEGIN\n"
                           "  INSERT INTO log VALUES (fts3_tokenizer('simple'));\nEND;\n"
                           "INSERT INTO t VALUES (1);")
                  .rfind("m.up.sql:6:1: statement refused: fts3_tokenizer()", 0) == 0);
    }

    TEST_CASE("savepoints are refused in the migration proper too") {
        for (const char* sql : {"SAVEPOINT s;", "CREATE TABLE a (x);\nRELEASE s;", "ROLLBACK TO s;",
                                "ROLLBACK TRANSACTION TO SAVEPOINT s;", "release savepoint s;"}) {
            CAPTURE(sql);
            TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
            const std::string message = error_of(db, sql);
            CHECK(message.find("statement refused: ") != std::string::npos);
            CHECK(message.find("strata owns transaction control") != std::string::npos);
            CHECK(count_tables(db) == 0);
        }
    }

    TEST_CASE("VACUUM INTO is refused in both phases, however it is written") {
        strata::test::TempDir dir;
        const std::string copy = (dir / "copy.db").string();
        for (SqlPhase phase : {SqlPhase::InTransaction, SqlPhase::AfterCommit}) {
            for (const std::string& sql :
                 {"VACUUM INTO '" + copy + "';", "vacuum main into '" + copy + "';",
                  "VACUUM \"main\" /* note */ INTO '" + copy + "';",
                  "VACUUM [main]\n  INTO '" + copy + "';",
                  "VACUUM 'main' INTO '" + copy.substr(0, 3) + "' || '" + copy.substr(3) + "';",
                  std::string("VACUUM INTO ?;")}) {
                CAPTURE(sql);
                CAPTURE(name_of(phase));
                Connection connection(dir / "app.db", OpenMode::Create, {});
                const std::string message = error_in(connection.db(), sql, phase);
                CHECK(message.rfind("m.up.sql:1:1: VACUUM INTO writes a copy of the database to "
                                    "another file",
                                    0) == 0);
                CHECK_FALSE(std::filesystem::exists(copy));
            }
        }
    }

    TEST_CASE("a plain VACUUM after commit runs on a connection that allows no ATTACH") {
        strata::test::TempDir dir;
        Connection connection(dir / "app.db", OpenMode::Create, {});
        const sqlite::Database db = connection.db();
        db.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1);");
        CHECK_NOTHROW(run_migration_sql(db, "PRAGMA page_size = 8192;\nVACUUM;\nVACUUM main;",
                                        SqlRun{"m.up.sql", 1, SqlPhase::AfterCommit}));
        CHECK(sqlite::query_int64(db, "PRAGMA page_size") == 8192);
        // The limit is back at 0, and the authorizer is back on for the next statement.
        CHECK(sqlite3_limit(db.handle(), SQLITE_LIMIT_ATTACHED, -1) == 0);
        CHECK(error_in(db, "VACUUM;\nDELETE FROM t;", SqlPhase::AfterCommit)
                  .rfind("m.up.sql:2:1: statement refused", 0) == 0);
    }

    TEST_CASE("after commit, SQLite's sequence table is data like any other") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT); INSERT INTO t DEFAULT "
                "VALUES;");
        CHECK(error_in(db, "UPDATE sqlite_sequence SET seq = 9223372036854775807;",
                       SqlPhase::AfterCommit)
                  .find("must not change data") != std::string::npos);
        CHECK_NOTHROW(
            run_migration_sql(db, "ANALYZE;", SqlRun{"m.up.sql", 1, SqlPhase::AfterCommit}));
    }

    TEST_CASE("a view or trigger refused by the untrusted schema gets a hint that says why") {
        strata::test::TempDir dir;
        Connection connection(dir / "app.db", OpenMode::Create, {});
        const sqlite::Database db = connection.db();
        auto one = [](sqlite3_context* context, int, sqlite3_value**) {
            sqlite3_result_int(context, 1);
        };
        REQUIRE(sqlite3_create_function(db.handle(), "app_effect", 0, SQLITE_UTF8, nullptr, one,
                                        nullptr, nullptr) == SQLITE_OK);
        const std::string message =
            error_of(db, "CREATE VIEW v AS SELECT app_effect() AS x;\nSELECT x FROM v;");
        CHECK(message.rfind("m.up.sql:2:1: statement failed: unsafe use of app_effect()", 0) == 0);
        CHECK(message.find("hint: strata runs migrations with trusted_schema off") !=
              std::string::npos);
    }
}
