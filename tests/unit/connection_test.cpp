// SPDX-License-Identifier: MIT
// The settings every connection strata opens has, read back from SQLite, and the check that a
// connection is still in that state before each migration step.
#include "strata/error.hpp"
#include "strata/executor/database.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

using namespace strata;
using strata::test::table_exists;
using strata::test::TestDatabase;

namespace {

int db_config(const Connection& connection, int option) {
    int value = -1;
    REQUIRE(sqlite3_db_config(connection.db().handle(), option, -1, &value) == SQLITE_OK);
    return value;
}

// The message of the exception `sql` raises on `connection`, or "(no error)". `file` is bound
// to the statement's parameter, when it has one.
std::string failure_of(const Connection& connection, const char* sql,
                       const std::filesystem::path& file = {}) {
    try {
        sqlite::Statement statement(connection.db(), sql);
        if (std::string_view(sql).find('?') != std::string_view::npos)
            statement.bind_text(1, file.string());
        while (statement.step()) {
        }
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_SUITE("connection") {
    TEST_CASE("every open mode gives the connection strata's settings, as SQLite reports them") {
        strata::test::TempDir dir;
        const auto path = dir / "app.db";
        { Connection(path, OpenMode::Create, {}).db().exec("CREATE TABLE t (x)"); }
        for (OpenMode mode : {OpenMode::Create, OpenMode::ReadWrite, OpenMode::ReadOnly}) {
            CAPTURE(static_cast<int>(mode));
            Connection connection(path, mode, {});
            CHECK(db_config(connection, SQLITE_DBCONFIG_DEFENSIVE) == 1);
            CHECK(db_config(connection, SQLITE_DBCONFIG_TRUSTED_SCHEMA) == 0);
            CHECK(db_config(connection, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER) == 0);
            CHECK(db_config(connection, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION) == 0);
            CHECK(sqlite3_limit(connection.db().handle(), SQLITE_LIMIT_ATTACHED, -1) == 0);
        }
    }

    TEST_CASE("without any authorizer, the connection itself refuses what could escape it") {
        strata::test::TempDir dir;
        Connection connection(dir / "app.db", OpenMode::Create, {});
        // The two-argument form would call through the pointer; this SQLite accepts it unless
        // the connection forbids it.
        CHECK(failure_of(connection, "SELECT fts3_tokenizer('simple', x'4141414141414141')")
                  .find("disabled") != std::string::npos);
        CHECK(failure_of(connection, "ATTACH ? AS other", dir / "other.db")
                  .find("too many attached") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(dir / "other.db"));
        CHECK(failure_of(connection, "VACUUM INTO ?", dir / "copy.db") != "(no error)");
        CHECK_FALSE(std::filesystem::exists(dir / "copy.db"));
        CHECK(failure_of(connection, "SELECT load_extension('libnothing')") != "(no error)");
    }

    TEST_CASE("the schema is not trusted: a view may not call a function not marked "
              "innocuous") {
        strata::test::TempDir dir;
        Connection connection(dir / "app.db", OpenMode::Create, {});
        // A function with no SQLITE_INNOCUOUS flag, as an application might register.
        auto one = [](sqlite3_context* context, int, sqlite3_value**) {
            sqlite3_result_int(context, 1);
        };
        REQUIRE(sqlite3_create_function(connection.db().handle(), "app_effect", 0, SQLITE_UTF8,
                                        nullptr, one, nullptr, nullptr) == SQLITE_OK);
        CHECK(failure_of(connection, "SELECT app_effect()") == "(no error)");
        connection.db().exec("CREATE VIEW v AS SELECT app_effect()");
        CHECK(failure_of(connection, "SELECT * FROM v").find("unsafe use of app_effect") !=
              std::string::npos);
    }

    TEST_CASE("the connection state is read back, and a change is an internal-state error") {
        strata::test::TempDir dir;
        Connection connection(dir / "app.db", OpenMode::Create, {});
        const sqlite::Database db = connection.db();
        const ConnectionState expected = state_for_migrating(read_connection_state(db), false);
        CHECK(expected.defensive);
        CHECK_FALSE(expected.trusted_schema);
        CHECK(expected.attached_limit == 0);
        CHECK(expected.synchronous == 2);
        CHECK_NOTHROW(check_connection_state(db, expected, "applying core 1"));

        SUBCASE("synchronous") {
            db.exec("PRAGMA synchronous = OFF");
            CHECK_THROWS_WITH_AS(check_connection_state(db, expected, "applying core 2 (x)"),
                                 doctest::Contains("internal state error before applying core 2 "
                                                   "(x): the connection is not as strata set it "
                                                   "up (synchronous is OFF, not FULL)"),
                                 Error);
        }
        SUBCASE("journal_mode") {
            db.exec("PRAGMA journal_mode = MEMORY");
            CHECK_THROWS_WITH_AS(check_connection_state(db, expected, "applying core 2"),
                                 doctest::Contains("journal_mode is memory, not delete"), Error);
        }
        SUBCASE("foreign keys") {
            db.exec("PRAGMA foreign_keys = ON");
            CHECK_THROWS_WITH_AS(check_connection_state(db, expected, "applying core 2"),
                                 doctest::Contains("foreign_keys is on, not off"), Error);
        }
        SUBCASE("query_only") {
            db.exec("PRAGMA query_only = ON");
            CHECK_THROWS_WITH_AS(check_connection_state(db, expected, "applying core 2"),
                                 doctest::Contains("query_only is on"), Error);
        }
        SUBCASE("ignore_check_constraints") {
            db.exec("PRAGMA ignore_check_constraints = ON");
            CHECK_THROWS_WITH_AS(check_connection_state(db, expected, "applying core 2"),
                                 doctest::Contains("ignore_check_constraints is on"), Error);
        }
        SUBCASE("trusted_schema") {
            db.exec("PRAGMA trusted_schema = ON");
            CHECK_THROWS_WITH_AS(check_connection_state(db, expected, "applying core 2"),
                                 doctest::Contains("trusted_schema is on, not off"), Error);
        }
        SUBCASE("the limit on attached databases") {
            sqlite3_limit(db.handle(), SQLITE_LIMIT_ATTACHED, 1);
            CHECK_THROWS_WITH_AS(check_connection_state(db, expected, "applying core 2"),
                                 doctest::Contains("the limit on attached databases is 1, not 0"),
                                 Error);
        }
        SUBCASE("the kind is Refused (exit 1)") {
            db.exec("PRAGMA recursive_triggers = " +
                    std::string(expected.recursive_triggers ? "OFF" : "ON"));
            try {
                check_connection_state(db, expected, "applying core 2");
                FAIL("expected an error");
            } catch (const Error& e) {
                CHECK(e.kind() == ErrorKind::Refused);
                CHECK(e.message().find("recursive_triggers") != std::string::npos);
            }
        }
    }

    TEST_CASE("state_for_migrating forces strata's values whatever the connection had") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        db.exec("PRAGMA synchronous = NORMAL");
        const ConnectionState expected = state_for_migrating(read_connection_state(db), true);
        CHECK(expected.defensive);
        CHECK_FALSE(expected.trusted_schema);
        CHECK_FALSE(expected.fts3_tokenizer);
        CHECK(expected.foreign_keys);
        CHECK(expected.synchronous == 2);
        CHECK(expected.attached_limit == 0);
        // An unsecured connection fails the check before anything runs.
        CHECK_THROWS_WITH_AS(check_connection_state(db, expected, "applying core 1"),
                             doctest::Contains("defensive mode is off, not on"), Error);
    }

    TEST_CASE("drop_temp_objects leaves the temp schema empty and the main one alone") {
        strata::test::TempDir dir;
        Connection connection(dir / "app.db", OpenMode::Create, {});
        const sqlite::Database db = connection.db();
        db.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1);"
                "CREATE TEMP TABLE t (y); CREATE INDEX temp.ti ON t (y);"
                "CREATE TEMP VIEW v AS SELECT 1;"
                "CREATE TEMP TRIGGER tr AFTER INSERT ON main.t BEGIN SELECT 1; END;"
                "CREATE TEMP TABLE \"a\"\"b; DROP TABLE main.t; --\" (z);");
        const ConnectionState expected = state_for_migrating(read_connection_state(db), false);
        CHECK(read_connection_state(db).temp_objects == 5);
        CHECK_THROWS_WITH_AS(check_connection_state(db, expected, "applying core 2"),
                             doctest::Contains("the temp schema holds 5 objects, not 0"), Error);
        drop_temp_objects(db);
        CHECK(read_connection_state(db).temp_objects == 0);
        CHECK_NOTHROW(check_connection_state(db, expected, "applying core 2"));
        CHECK(sqlite::query_int64(db, "SELECT count(*) FROM main.t") == 1);
    }
}
