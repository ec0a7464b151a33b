// SPDX-License-Identifier: MIT
#include "strata/error.hpp"
#include "strata/executor/database.hpp"
#include "strata/executor/executor.hpp"
#include "strata/executor/foreign_keys.hpp"
#include "strata/project/settings.hpp"
#include "strata/state/state_store.hpp"
#include "support/test_database.hpp"

#include <doctest/doctest.h>

using namespace strata;
using strata::test::table_exists;
using strata::test::TestDatabase;

namespace {

// users <- notes (ON DELETE CASCADE), with two users and three notes.
void create_parent_and_children(sqlite::Database db) {
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

ExecutionReport run(sqlite::Database db, std::vector<Step> steps, ForeignKeyMode mode) {
    RunObserver silent;
    ExecutorOptions options;
    options.foreign_keys = mode;
    Plan plan;
    plan.steps = std::move(steps);
    secure_connection(db); // as every connection strata opens
    return Executor(db, silent, options).run(plan);
}

int count(sqlite::Database db, const std::string& table) {
    return sqlite::query_int64(db, "SELECT count(*) FROM " + table);
}

} // namespace

TEST_SUITE("foreign_keys") {
    TEST_CASE("a rebuild of a parent table keeps every child row (deferred, the default)") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db); // as every connection strata opens is
        db.exec("PRAGMA foreign_keys = ON");
        create_parent_and_children(db);
        run(db, {forwards("1", k_rebuild_users)}, ForeignKeyMode::Deferred);
        CHECK(count(db, "notes") == 3);
        CHECK(count(db, "users") == 2);
        // The connection's own setting is back as it was.
        CHECK(sqlite::query_int64(db, "PRAGMA foreign_keys") == 1);
    }

    TEST_CASE("the same rebuild with enforcement on cascades the DROP into the children") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db); // as every connection strata opens is
        create_parent_and_children(db);
        run(db, {forwards("1", k_rebuild_users)}, ForeignKeyMode::Immediate);
        CHECK(count(db, "notes") == 0); // why deferred is the default
        CHECK(sqlite::query_int64(db, "PRAGMA foreign_keys") == 0);
    }

    TEST_CASE("a migration that leaves an orphan is rolled back and reported") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db); // as every connection strata opens is
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
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db); // as every connection strata opens is
        create_parent_and_children(db);
        CHECK_THROWS_WITH_AS(
            run(db, {forwards("1", "INSERT INTO notes VALUES (9, 42);")}, ForeignKeyMode::Deferred),
            doctest::Contains("notes rowid 9 refers to a missing row of users"), Error);
        CHECK(count(db, "notes") == 3);
    }

    TEST_CASE("only touched tables and the children of changed parents are checked") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db); // as every connection strata opens is
        create_parent_and_children(db);
        // An orphan that predates the migration, in a table the migration does not touch.
        db.exec("CREATE TABLE old (u INTEGER REFERENCES users (id)); INSERT INTO old VALUES (99);"
                "CREATE TABLE other (x);");
        const TableSnapshot before = TableSnapshot::take(db);
        TouchedTables touched;
        touched.rows_written = {"other"};
        CHECK(check_foreign_keys(db, touched, &before).violations.empty());
        touched.keys_removed = {"users"};
        const auto violations = check_foreign_keys(db, touched, &before).violations;
        REQUIRE(violations.size() == 1);
        CHECK(violations[0].table == "old");
        CHECK(violations[0].rowid == 1);
        CHECK(violations[0].parent == "users");
        touched.keys_removed = {"gone_table"}; // dropped: nothing to check, no error
        CHECK(check_foreign_keys(db, touched, &before).violations.empty());
        // Names are compared as SQLite compares them, in any letter case.
        touched = {};
        touched.rows_written = {"OLD"};
        CHECK(check_foreign_keys(db, touched, &before).violations.size() == 1);
    }

    TEST_CASE("rows written under a name the table was renamed from are checked") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db); // as every connection strata opens is
        create_parent_and_children(db);
        CHECK_THROWS_WITH_AS(
            run(db,
                {forwards("1", "CREATE TABLE notes_new (id INTEGER PRIMARY KEY,"
                               "  user_id INTEGER NOT NULL REFERENCES users (id));\n"
                               "INSERT INTO notes_new SELECT * FROM notes;\n"
                               "INSERT INTO notes_new VALUES (9, 42);\n"
                               "DROP TABLE notes;\n"
                               "ALTER TABLE notes_new RENAME TO notes;\n")},
                ForeignKeyMode::Deferred),
            doctest::Contains("notes rowid 9 refers to a missing row of users"), Error);
        CHECK(count(db, "notes") == 3);
    }

    TEST_CASE("only SQL with the word ALTER can rename a table") {
        CHECK(may_rename_tables("ALTER TABLE a RENAME TO b;"));
        CHECK(may_rename_tables("alter table a rename to b;"));
        CHECK(may_rename_tables("-- no alteration here\nSELECT 1;")); // a false alarm is fine
        CHECK_FALSE(may_rename_tables("CREATE TABLE a (x); INSERT INTO a VALUES (1);"));
        CHECK_FALSE(may_rename_tables("DROP TABLE a;"));
        CHECK_FALSE(may_rename_tables(""));
    }

    TEST_CASE("transaction = all checks once, before COMMIT, what the whole run touched") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db); // as every connection strata opens is
        create_parent_and_children(db);
        // A rebuild of users split over three migrations: between them, notes point nowhere.
        const std::vector<Step> rebuild = {
            forwards("1", "CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
                          "INSERT INTO users_new SELECT id, name FROM users;\n"),
            forwards("2", "DROP TABLE users;\n"),
            forwards("3", "ALTER TABLE users_new RENAME TO users;\n"),
        };
        RunObserver silent;
        ExecutorOptions options;
        options.transaction = TransactionScope::All;
        Plan plan;
        plan.steps = rebuild;
        CHECK(Executor(db, silent, options).run(plan).done == 3);
        CHECK(count(db, "notes") == 3);
        CHECK(StateStore(db, k_default_state_table).applied("core").size() == 3);

        // One migration at a time, the second is refused: it leaves the notes without users.
        TestDatabase each(":memory:", SQLITE_OPEN_READWRITE);
        create_parent_and_children(each);
        CHECK_THROWS_WITH_AS(run(each, rebuild, ForeignKeyMode::Deferred),
                             doctest::Contains("applying core 2 (m2) failed: it leaves rows"),
                             Error);
    }

    TEST_CASE("transaction = all refuses a run that ends with orphans, rolling it all back") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db); // as every connection strata opens is
        create_parent_and_children(db);
        RunObserver silent;
        ExecutorOptions options;
        options.transaction = TransactionScope::All;
        Plan plan;
        plan.steps = {forwards("1", "CREATE TABLE tags (x);\n"),
                      forwards("2", "DELETE FROM users WHERE id = 2;\n")};
        Executor executor(db, silent, options);
        try {
            executor.run(plan);
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::MigrationFailed);
            CHECK(e.message() ==
                  "the run leaves rows whose foreign keys point nowhere: notes rowid 3 refers to "
                  "a missing row of users; the whole run was rolled back (transaction = \"all\"): "
                  "0 of 2 migration(s) kept");
            CHECK(e.where().path.empty());
        }
        CHECK(executor.progress().done == 0);
        CHECK(count(db, "users") == 2);
        CHECK(sqlite::query_int64(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'tags'") ==
              0);
    }

    TEST_CASE("a key SQLite cannot check is skipped with a warning; the table's others are not") {
        struct Warnings : RunObserver {
            std::vector<std::string> seen;
            void on_warning(std::string_view text) override { seen.emplace_back(text); }
        };
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db); // as every connection strata opens is
        create_parent_and_children(db);
        // notes.author refers to users.name, which is not unique: "foreign key mismatch".
        const Step mismatch = forwards(
            "1", "CREATE TABLE posts (id INTEGER PRIMARY KEY, author TEXT REFERENCES users (name),"
                 "  user_id INTEGER REFERENCES users (id));\n"
                 "INSERT INTO posts VALUES (1, 'nobody', 1);\n");
        Warnings warnings;
        ExecutorOptions options;
        Plan plan;
        plan.steps = {mismatch};
        CHECK(Executor(db, warnings, options).run(plan).done == 1);
        REQUIRE(warnings.seen.size() == 1);
        CHECK(warnings.seen[0] ==
              "core 1 (m1): the foreign key posts(author) -> users(name) is not checked: the "
              "parent columns are neither the PRIMARY KEY nor UNIQUE, so SQLite cannot look rows "
              "up by them (\"foreign key mismatch\"); give users a UNIQUE index on them, or drop "
              "the key");

        // The table's other key is still checked.
        plan.steps = {forwards("2", "INSERT INTO posts VALUES (2, 'a', 42);\n")};
        CHECK_THROWS_WITH_AS(Executor(db, warnings, options).run(plan),
                             doctest::Contains("posts rowid 2 refers to a missing row of users"),
                             Error);
        CHECK(count(db, "posts") == 1);
    }

    TEST_CASE("keys SQLite can check are told from those it cannot, as SQLite tells them") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db); // as every connection strata opens is
        db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY, u TEXT UNIQUE, n TEXT, c TEXT, "
                "  a INTEGER, b INTEGER, UNIQUE (a, b));"
                "CREATE UNIQUE INDEX p_c_nocase ON p (c COLLATE NOCASE);"
                "CREATE TABLE nopk (x);"
                "CREATE TABLE wr (k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
                "CREATE TABLE composite (a, b, PRIMARY KEY (a, b));");
        struct Case {
            std::string column;
            bool checkable;
        };
        const std::vector<Case> cases = {
            {"REFERENCES p", true},           {"REFERENCES p (id)", true},
            {"REFERENCES p (ID)", true},      {"REFERENCES p (u)", true},
            {"REFERENCES p (n)", false},      {"REFERENCES p (c)", false},
            {"REFERENCES nopk", false},       {"REFERENCES nopk (rowid)", false},
            {"REFERENCES wr", true},          {"REFERENCES wr (k)", true},
            {"REFERENCES wr (v)", false},     {"REFERENCES composite", false},
            {"REFERENCES missing (x)", true},
        };
        int n = 0;
        for (const Case& c : cases) {
            CAPTURE(c.column);
            const std::string table = "child" + std::to_string(++n);
            db.exec("CREATE TABLE " + table + " (x " + c.column + ")");
            TouchedTables touched;
            touched.rows_written = {table};
            const ForeignKeyCheck check = check_foreign_keys(db, touched, nullptr);
            CHECK(check.unchecked.empty() == c.checkable);
            // SQLite's own verdict agrees.
            bool sqlite_mismatch = false;
            try {
                db.exec("SELECT * FROM pragma_foreign_key_check('" + table + "')");
            } catch (const sqlite::Failure& e) {
                sqlite_mismatch = std::string(e.what()).find("mismatch") != std::string::npos;
            }
            CHECK(sqlite_mismatch == !c.checkable);
        }
        TouchedTables two;
        db.exec("CREATE TABLE pair (x, y, FOREIGN KEY (x, y) REFERENCES p (b, a))");
        two.rows_written = {"pair"};
        CHECK(check_foreign_keys(db, two, nullptr).unchecked.empty());
        db.exec("CREATE TABLE half (x, y, FOREIGN KEY (x, y) REFERENCES p (a, n))");
        two.rows_written = {"half"};
        const auto unchecked = check_foreign_keys(db, two, nullptr).unchecked;
        REQUIRE(unchecked.size() == 1);
        CHECK(unchecked[0].table == "half");
        CHECK(unchecked[0].columns == "x, y");
        CHECK(unchecked[0].parent == "p");
        CHECK(unchecked[0].parent_columns == "a, n");
    }

    TEST_CASE("enforcement is set for the run and restored afterwards") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db); // as every connection strata opens is
        {
            ForeignKeyEnforcement on(db, true);
            CHECK(sqlite::query_int64(db, "PRAGMA foreign_keys") == 1);
        }
        CHECK(sqlite::query_int64(db, "PRAGMA foreign_keys") == 0);
    }

    TEST_CASE("INSERT OR REPLACE that deletes a parent row is caught") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db); // as every connection strata opens is
        db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY, code UNIQUE);"
                "CREATE TABLE c (code REFERENCES p (code));"
                "INSERT INTO p VALUES (1, 'a'); INSERT INTO c VALUES ('a');");
        CHECK_THROWS_WITH_AS(run(db, {forwards("1", "INSERT OR REPLACE INTO p VALUES (1, 'z');")},
                                 ForeignKeyMode::Deferred),
                             doctest::Contains("c rowid 1 refers to a missing row of p"), Error);
        CHECK(sqlite::query_text(db, "SELECT code FROM p") == "a");
    }
}
