// SPDX-License-Identifier: MIT
#include "strata/error.hpp"
#include "strata/plan/plan.hpp"
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
NewStateRow step(const std::string& app, const std::string& id) {
    NewStateRow s;
    s.app_name = app;
    s.migration_id = MigrationId(id);
    s.description = "d" + id;
    s.checksum = std::string(64, 'a');
    s.down_sql = "DROP TABLE t" + id + ";";
    return s;
}
} // namespace

TEST_SUITE("state_store") {
    TEST_CASE("a new database has no state table and nothing applied") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore state(db, k_default_state_table);
        CHECK_FALSE(state.exists());
        CHECK(state.all_applied().empty());
        CHECK(state.applied("core").empty());
    }

    TEST_CASE("records, reads in run order scoped by app, and removes") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore state(db, k_default_state_table);
        state.create_if_missing();
        state.create_if_missing(); // idempotent
        CHECK(state.exists());
        state.record(step("core", "2"));
        state.record(step("billing", "1"));
        state.record(step("core", "1"));

        const auto core = state.applied("core");
        REQUIRE(core.size() == 2);
        CHECK(core[0].migration_id.text() == "2"); // run order, not id order
        CHECK(core[1].migration_id.text() == "1");
        CHECK(core[0].description == "d2");
        CHECK(core[0].down_sql == "DROP TABLE t2;");
        CHECK(core[0].checksum == std::string(64, 'a'));
        CHECK(core[0].row_id < core[1].row_id);
        // UTC ISO-8601 with milliseconds: 2026-11-21T10:00:00.123Z
        REQUIRE(core[0].ran_on.size() == 24);
        CHECK(core[0].ran_on[10] == 'T');
        CHECK(core[0].ran_on[19] == '.');
        CHECK(core[0].ran_on.back() == 'Z');

        CHECK(state.is_applied("core", MigrationId("1")));
        CHECK_FALSE(state.is_applied("billing", MigrationId("2")));
        CHECK(state.all_applied().size() == 3);

        state.remove("core", MigrationId("2"));
        CHECK_FALSE(state.is_applied("core", MigrationId("2")));
        CHECK(state.is_applied("billing", MigrationId("1"))); // scoped by app
        CHECK(state.applied("core").size() == 1);
    }

    TEST_CASE("the same migration cannot be recorded twice") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore state(db, k_default_state_table);
        state.create_if_missing();
        state.record(step("core", "1"));
        CHECK_THROWS(state.record(step("core", "1")));
    }

    TEST_CASE("the table's layout version is written into its definition") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore(db, k_default_state_table).create_if_missing();
        const std::string sql =
            sqlite::query_text(db, "SELECT sql FROM sqlite_schema WHERE name = 'migrations'");
        CHECK(sql.find("strata state table v1") != std::string::npos);
        CHECK(sql.find("UNIQUE (app_name, name)") != std::string::npos);
    }

    TEST_CASE("another tool's migrations table is refused") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        db.exec("CREATE TABLE migrations (version TEXT)");
        try {
            (void)StateStore(db, k_default_state_table).exists();
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Database);
            CHECK(e.message().find("strata did not create") != std::string::npos);
        }
    }

    TEST_CASE("the state table may have another name, even an SQL keyword, and others stay") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        db.exec("CREATE TABLE migrations (version TEXT); INSERT INTO migrations VALUES ('v1')");
        for (const char* name : {"strata_state", "order"}) {
            CAPTURE(name);
            StateStore state(db, name);
            CHECK(state.table() == name);
            CHECK_FALSE(state.exists());
            state.create_if_missing();
            CHECK(state.exists());
            state.record(step("core", "1"));
            CHECK(state.is_applied("core", MigrationId("1")));
            CHECK(state.applied("core").size() == 1);
            CHECK(state.forget({{"core", MigrationId("1")}}) == 1);
        }
        // The project's own table called migrations was neither read nor changed.
        CHECK(sqlite::query_text(db, "SELECT group_concat(version) FROM migrations") == "v1");
    }

    TEST_CASE("a state table name that is not a plain identifier never reaches SQL") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        db.exec("CREATE TABLE t (x)");
        for (const char* name : {"t\"; DROP TABLE t; --", "", "sqlite_sequence", "a.b"}) {
            CAPTURE(name);
            try {
                StateStore state(db, name);
                FAIL("expected an error");
            } catch (const Error& e) {
                CHECK(e.kind() == ErrorKind::Usage);
                CHECK(e.message().find("`state_table`") != std::string::npos);
            }
        }
        CHECK(table_exists(db, "t"));
    }

    TEST_CASE("another tool's table says how to keep strata's record elsewhere") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        db.exec("CREATE TABLE migrations (version TEXT)");
        CHECK_THROWS_WITH_AS(
            (void)StateStore(db, k_default_state_table).exists(),
            doctest::Contains("set Settings::state_table = \"...\" to keep strata's record in "
                              "a table of another name"),
            Error);
    }

    TEST_CASE("sequence_rows reads the state table's rows of sqlite_sequence, in any case") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore state(db, k_default_state_table);
        CHECK(state.sequence_rows().empty()); // no sqlite_sequence yet
        state.create_if_missing();
        CHECK(state.sequence_rows().empty()); // no row yet
        state.record(step("core", "1"));
        db.exec("CREATE TABLE other (id INTEGER PRIMARY KEY AUTOINCREMENT);"
                "INSERT INTO other DEFAULT VALUES;");
        CHECK(state.sequence_rows() == std::vector<SequenceRow>{{1, "migrations", "1"}});
        db.exec("INSERT INTO sqlite_sequence VALUES ('MIGRATIONS', 'x')");
        CHECK(state.sequence_rows() ==
              std::vector<SequenceRow>{{1, "migrations", "1"}, {3, "MIGRATIONS", "'x'"}});
    }

    TEST_CASE("sequence_after_record foretells the rows a record leaves, or says it cannot") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore state(db, k_default_state_table);
        state.create_if_missing();
        // No row yet: the first record makes one, with a rowid SQLite picks.
        CHECK_FALSE(state.sequence_after_record(state.sequence_rows(), 1).has_value());
        state.record(step("core", "1"));
        db.exec("DELETE FROM migrations"); // the next id stays above the deleted one
        auto before = state.sequence_rows();
        const std::int64_t id = state.record(step("core", "2"));
        CHECK(id == 2);
        const auto foretold = state.sequence_after_record(before, id);
        REQUIRE(foretold.has_value());
        CHECK(*foretold == state.sequence_rows());
        // A second row of the same name in another letter case: AUTOINCREMENT writes only the
        // exact one, so nothing is foretold.
        db.exec("INSERT INTO sqlite_sequence VALUES ('MIGRATIONS', 7)");
        CHECK_FALSE(state.sequence_after_record(state.sequence_rows(), 3).has_value());
    }

    TEST_CASE("a state table from a newer strata is refused") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        db.exec("CREATE TABLE migrations ( -- strata state table v99\n id INTEGER)");
        CHECK_THROWS_WITH_AS((void)StateStore(db, k_default_state_table).exists(),
                             doctest::Contains("layout version 99"), Error);
    }

    TEST_CASE("update_checksums changes only rows that still hold the old checksum") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore state(db, k_default_state_table);
        state.create_if_missing();
        state.record(step("core", "1"));
        state.record(step("core", "2"));
        state.record(step("billing", "1"));
        const std::string old_sum(64, 'a');

        CHECK(state.update_checksums({}) == 0);
        CHECK(state.update_checksums(
                  {{"core", MigrationId("1"), old_sum, "new1", "DROP TABLE t1_v2;"},
                   {"core", MigrationId("2"), "not the old one", "new2", "x"}}) == 1);
        const auto core = state.applied("core");
        REQUIRE(core.size() == 2);
        CHECK(core[0].checksum == "new1");
        CHECK(core[0].down_sql == "DROP TABLE t1_v2;");
        CHECK(core[1].checksum == old_sum); // another run changed it: left alone
        CHECK(core[1].down_sql == "DROP TABLE t2;");
        CHECK(state.applied("billing").front().checksum == old_sum); // scoped by app
    }

    TEST_CASE("forget deletes the named rows in one transaction") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore state(db, k_default_state_table);
        state.create_if_missing();
        state.record(step("core", "1"));
        state.record(step("core", "2"));
        state.record(step("billing", "2"));

        CHECK(state.forget({}) == 0);
        CHECK(state.forget({{"core", MigrationId("2")}, {"core", MigrationId("7")}}) == 1);
        CHECK(state.is_applied("core", MigrationId("1")));
        CHECK_FALSE(state.is_applied("core", MigrationId("2")));
        CHECK(state.is_applied("billing", MigrationId("2")));
    }

    TEST_CASE("forget and update_checksums take the write lock and leave no transaction open") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore state(db, k_default_state_table);
        state.create_if_missing();
        state.record(step("core", "1"));
        db.exec("BEGIN");
        // Their own BEGIN IMMEDIATE cannot nest in the caller's transaction.
        CHECK_THROWS(state.forget({{"core", MigrationId("1")}}));
        db.exec("ROLLBACK");
        CHECK(state.forget({{"core", MigrationId("1")}}) == 1);
        CHECK(sqlite3_get_autocommit(db.handle()) != 0); // committed, nothing left open
    }

    TEST_CASE("ids are stored as written and matched exactly in the table") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore state(db, k_default_state_table);
        state.create_if_missing();
        state.record(step("core", "0007"));
        state.record(step("core", "12345678901234567890123"));
        CHECK(sqlite::query_text(db,
                                 "SELECT group_concat(name, ' ') FROM (SELECT name FROM "
                                 "main.migrations ORDER BY id)") == "0007 12345678901234567890123");
        const auto core = state.applied("core");
        REQUIRE(core.size() == 2);
        CHECK(core[0].migration_id.text() == "0007");
        CHECK(core[1].migration_id.text() == "12345678901234567890123");
        CHECK(state.is_applied("core", MigrationId("0007")));
        CHECK_FALSE(state.is_applied("core", MigrationId("7"))); // the table holds the text
    }

    TEST_CASE("a row whose id is not digits is refused as a database error, naming the row") {
        strata::test::TempDir dir;
        const std::string path = (dir / "app.db").string();
        TestDatabase db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        StateStore state(db, k_default_state_table);
        state.create_if_missing();
        state.record(step("core", "1"));
        db.exec("INSERT INTO main.migrations (app_name, name, description, checksum, down_sql, "
                "ran_on) VALUES ('core', '2x', 'd', 'c', '', 'T')");
        for (int reader = 0; reader < 2; ++reader) {
            CAPTURE(reader);
            try {
                if (reader == 0)
                    (void)state.all_applied();
                else
                    (void)state.applied("core");
                FAIL("no error");
            } catch (const Error& e) {
                CHECK(e.kind() == ErrorKind::Database);
                CHECK(e.message() == "the state table of " + path +
                                         " holds an invalid migration id \"2x\" (row id 2, app "
                                         "\"core\")");
                CHECK(e.hint() == "strata records ids as ASCII digits; correct or delete that row "
                                  "of the migrations table");
            }
        }
        CHECK(state.applied("billing").empty()); // other apps' rows are not read
        db.exec("UPDATE main.migrations SET name = '' WHERE id = 2");
        CHECK_THROWS_AS((void)state.applied("core"), Error);
    }

    TEST_CASE("a temp table named migrations does not hide the state table") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore state(db, k_default_state_table);
        state.create_if_missing();
        db.exec("CREATE TEMP TABLE migrations (x)");
        state.record(step("core", "1"));
        CHECK(state.is_applied("core", MigrationId("1")));
        CHECK(sqlite::query_int64(db, "SELECT count(*) FROM main.migrations") == 1);
        CHECK(sqlite::query_int64(db, "SELECT count(*) FROM temp.migrations") == 0);
    }
}

TEST_SUITE("state_store") {
    TEST_CASE("a table from before the fake column reads as not fake and gains the column when "
              "a fake row is recorded") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        // The layout strata 0.1 created, without the fake column.
        db.exec("CREATE TABLE IF NOT EXISTS main.\"migrations\" ( -- strata state table v1\n"
                "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
                "    app_name TEXT NOT NULL,\n"
                "    name TEXT NOT NULL,\n"
                "    description TEXT NOT NULL,\n"
                "    checksum TEXT NOT NULL,\n"
                "    down_sql TEXT NOT NULL,\n"
                "    ran_on TEXT NOT NULL,\n"
                "    UNIQUE (app_name, name)\n"
                ")");
        db.exec("INSERT INTO migrations (app_name, name, description, checksum, down_sql, ran_on) "
                "VALUES ('core', '1', 'd1', 'c', '', '2026-01-01T00:00:00.000Z')");
        StateStore state(db, k_default_state_table);
        CHECK(state.exists());
        CHECK_FALSE(state.has_fake_column());
        REQUIRE(state.all_applied().size() == 1);
        CHECK_FALSE(state.all_applied()[0].fake);

        state.record(step("core", "2")); // a real run leaves the old layout alone
        CHECK_FALSE(state.has_fake_column());

        NewStateRow faked = step("core", "3");
        faked.fake = true;
        state.record(faked);
        CHECK(state.has_fake_column());
        const auto rows = state.applied("core");
        REQUIRE(rows.size() == 3);
        CHECK_FALSE(rows[0].fake);
        CHECK_FALSE(rows[1].fake);
        CHECK(rows[2].fake);
    }

    TEST_CASE("a new table has the fake column and records the flag") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        StateStore state(db, k_default_state_table);
        state.create_if_missing();
        CHECK(state.has_fake_column());
        NewStateRow faked = step("core", "1");
        faked.fake = true;
        state.record(faked);
        state.record(step("core", "2"));
        const auto rows = state.all_applied();
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].fake);
        CHECK_FALSE(rows[1].fake);
    }
}
