// SPDX-License-Identifier: MIT
#include "strata/error.hpp"
#include "strata/executor/database.hpp"
#include "strata/executor/executor.hpp"
#include "strata/executor/foreign_keys.hpp"
#include "strata/project/settings.hpp"
#include "strata/state/state_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cctype>
#include <chrono>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <vector>

using namespace strata;
using strata::test::table_exists;
using strata::test::TempDir;
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
    s.name = id;
    s.path_prefix = std::make_shared<const std::string>(); // read from "<id>.up.sql"
    return s;
}

ExecutionReport run(sqlite::Database db, std::deque<Step> steps, ForeignKeyMode mode) {
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

// The message of the error a run throws, or "" when it succeeded.
std::string failure_of(sqlite::Database db, std::deque<Step> steps,
                       TransactionScope scope = TransactionScope::Each,
                       RunObserver* observer = nullptr) {
    RunObserver silent;
    ExecutorOptions options;
    options.transaction = scope;
    Plan plan;
    plan.steps = std::move(steps);
    secure_connection(db);
    try {
        Executor(db, observer != nullptr ? *observer : silent, options).run(plan);
    } catch (const Error& e) {
        return e.message();
    }
    return "";
}

// Counts the virtual machine steps of strata's reads of the schema (sqlite_schema, PRAGMAs and
// the pragma functions) during each migration, through sqlite3_trace_v2: a read that covers every
// table shows up as steps that grow with the number of tables.
class SchemaReadCounter : public RunObserver {
  public:
    explicit SchemaReadCounter(sqlite::Database db) : m_db(db.handle()) {
        sqlite3_trace_v2(m_db, SQLITE_TRACE_PROFILE, &on_trace, this);
    }
    ~SchemaReadCounter() override { sqlite3_trace_v2(m_db, 0, nullptr, nullptr); }
    SchemaReadCounter(const SchemaReadCounter&) = delete;
    SchemaReadCounter& operator=(const SchemaReadCounter&) = delete;

    void on_step_started(const Step&) override { m_steps = 0; }
    void on_step_finished(const Step&, std::chrono::microseconds) override {
        per_migration.push_back(m_steps);
    }
    std::vector<long> per_migration;

  private:
    static int on_trace(unsigned, void* self, void* statement, void*) {
        auto* stmt = static_cast<sqlite3_stmt*>(statement);
        std::string sql = sqlite3_sql(stmt);
        for (char& c : sql)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (sql.find("sqlite_schema") != std::string::npos ||
            sql.find("pragma") != std::string::npos)
            static_cast<SchemaReadCounter*>(self)->m_steps +=
                sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_VM_STEP, 1);
        return 0;
    }
    sqlite3* m_db;
    long m_steps = 0;
};

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
        ForeignKeyGraph graph;
        graph.read(db);
        TouchedTables touched;
        touched.rows_written = {"other"};
        CHECK(check_foreign_keys(db, touched, graph).violations.empty());
        touched.keys_removed = {"users"};
        const auto violations = check_foreign_keys(db, touched, graph).violations;
        REQUIRE(violations.size() == 1);
        CHECK(violations[0].table == "old");
        CHECK(violations[0].rowid == 1);
        CHECK(violations[0].parent == "users");
        touched.keys_removed = {"gone_table"}; // dropped: nothing to check, no error
        CHECK(check_foreign_keys(db, touched, graph).violations.empty());
        // Names are compared as SQLite compares them, in any letter case.
        touched = {};
        touched.rows_written = {"OLD"};
        CHECK(check_foreign_keys(db, touched, graph).violations.size() == 1);
    }

    TEST_CASE("of a table the migration wrote to, only the rows it wrote are checked") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        create_parent_and_children(db);
        // An orphan from before, which a check of the whole table would report.
        db.exec("INSERT INTO notes VALUES (10, 99)");
        CHECK(failure_of(db, {forwards("1", "INSERT INTO notes VALUES (11, 2);")}).empty());
        CHECK(count(db, "notes") == 5);
        // A row the migration wrote is judged, whichever statement wrote it.
        CHECK(failure_of(db, {forwards("2", "INSERT INTO notes VALUES (12, 2);\n"
                                            "UPDATE notes SET user_id = 77 WHERE id = 12;")})
                  .find("notes rowid 12 refers to a missing row of users") != std::string::npos);
        CHECK(count(db, "notes") == 5);
    }

    TEST_CASE("an UPDATE of a parent checks its children only when it sets a key column") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        create_parent_and_children(db);
        db.exec("CREATE UNIQUE INDEX users_name ON users (name);"
                "INSERT INTO notes VALUES (10, 99)"); // an orphan from before
        // name is UNIQUE: with OR REPLACE such an UPDATE can delete rows; the others cannot.
        db.exec("ALTER TABLE users ADD COLUMN seen INTEGER");
        CHECK(failure_of(db, {forwards("1", "UPDATE users SET seen = 1;")}).empty());
        for (const char* update : {"UPDATE users SET id = id + 0 WHERE id = 1;",
                                   "UPDATE users SET name = name WHERE id = 1;",
                                   "UPDATE users SET rowid = rowid WHERE id = 1;"}) {
            CAPTURE(update);
            CHECK(failure_of(db, {forwards("2", update)}).find("notes rowid 10") !=
                  std::string::npos);
        }
    }

    TEST_CASE("a table with more rows written than are tracked one by one is checked whole") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        create_parent_and_children(db);
        db.exec("INSERT INTO notes VALUES (10, 99)"); // an orphan from before
        // 20,000 valid rows: the update hook stops noting them, and every row is checked.
        CHECK(failure_of(db, {forwards("1", "WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL "
                                            "SELECT i + 1 FROM n WHERE i < 20099) "
                                            "INSERT INTO notes SELECT i, 1 FROM n;")})
                  .find("notes rowid 10") != std::string::npos);
        // A WITHOUT ROWID child: SQLite's hook does not report its rows.
        db.exec("CREATE TABLE tags (name TEXT PRIMARY KEY, user_id INTEGER REFERENCES users (id))"
                " WITHOUT ROWID; INSERT INTO tags VALUES ('x', 98)");
        CHECK_FALSE(failure_of(db, {forwards("2", "INSERT INTO tags VALUES ('y', 1);")}).empty());
    }

    TEST_CASE("on an application's connection its own update hook stays, and tables are checked "
              "whole") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db);
        create_parent_and_children(db);
        db.exec("INSERT INTO notes VALUES (10, 99)"); // an orphan from before
        int hooked = 0;
        sqlite3_update_hook(
            db.handle(),
            [](void* count, int, const char*, const char*, sqlite3_int64) {
                ++*static_cast<int*>(count);
            },
            &hooked);
        RunObserver silent;
        ExecutorOptions options;
        options.track_rows = false; // as run_support sets it for Context::connection
        Plan plan;
        plan.steps = {forwards("1", "INSERT INTO notes VALUES (11, 2);")};
        CHECK_THROWS_WITH_AS(Executor(db, silent, options).run(plan),
                             doctest::Contains("notes rowid 10"), Error);
        const int before = hooked;
        db.exec("INSERT INTO users VALUES (3, 'c')");
        CHECK(hooked == before + 1);
        sqlite3_update_hook(db.handle(), nullptr, nullptr);
    }

    TEST_CASE("within one run, a UNIQUE index made on a parent makes its key checkable") {
        struct Warnings : RunObserver {
            std::vector<std::string> seen;
            void on_warning(std::string_view text) override { seen.emplace_back(text); }
        };
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        secure_connection(db);
        create_parent_and_children(db);
        // What the check knows of a parent's keys is kept through the run: an index made or
        // dropped on the parent must be seen, a plain one changing nothing.
        Warnings warnings;
        Plan plan;
        plan.steps = {forwards("1",
                               "CREATE TABLE posts (id INTEGER PRIMARY KEY, author TEXT REFERENCES "
                               "users (name));\nINSERT INTO posts VALUES (1, 'a');"),
                      forwards("2", "CREATE INDEX users_plain ON users (id);\n"
                                    "INSERT INTO posts VALUES (2, 'b');"),
                      forwards("3", "CREATE UNIQUE INDEX users_name ON users (name);\n"
                                    "INSERT INTO posts VALUES (3, 'nobody');")};
        CHECK_THROWS_WITH_AS(Executor(db, warnings, {}).run(plan),
                             doctest::Contains("posts rowid 3 refers to a missing row of users"),
                             Error);
        CHECK(warnings.seen.size() == 1); // posts(author) unchecked until users_name existed
        CHECK(count(db, "posts") == 2);
    }

    TEST_CASE("a UNIQUE index made before any table refers to its table still counts") {
        // The index of a table without children is not looked at when it is made; a child
        // created later must still find its key checkable.
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        const std::string message = failure_of(
            db, {forwards("1", "CREATE TABLE codes (id INTEGER PRIMARY KEY, code TEXT);\n"
                               "CREATE UNIQUE INDEX codes_code ON codes (code);\n"
                               "INSERT INTO codes VALUES (1, 'a');"),
                 forwards("2", "CREATE TABLE uses (code TEXT REFERENCES codes (code));\n"
                               "INSERT INTO uses VALUES ('a'), ('nobody');")});
        CHECK(message.find("uses rowid 2 refers to a missing row of codes") != std::string::npos);
        CHECK(count(db, "codes") == 1);
    }

    TEST_CASE("a parent's UNIQUE index, dropped while it had no child, counts again later") {
        // What was noted of p_code while it had a child must not match again once the
        // index is back: by then a new child's checks assume the key cannot be checked.
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        const std::string message =
            failure_of(db, {forwards("1", "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);\n"
                                          "INSERT INTO p VALUES (1, 'a');\n"
                                          "CREATE TABLE c (code TEXT REFERENCES p (code));"),
                            forwards("2", "CREATE UNIQUE INDEX p_code ON p (code);"),
                            forwards("3", "DROP TABLE c;"), forwards("4", "DROP INDEX p_code;"),
                            forwards("5", "CREATE TABLE c2 (code TEXT REFERENCES p (code));"),
                            forwards("6", "INSERT INTO c2 VALUES ('a');"),
                            forwards("7", "CREATE UNIQUE INDEX p_code ON p (code);"),
                            forwards("8", "INSERT INTO c2 VALUES ('nobody');")});
        CHECK(message.find("c2 rowid 2 refers to a missing row of p") != std::string::npos);
        CHECK(count(db, "c2") == 1);
    }

    TEST_CASE("an index on a table no other refers to costs no read of the schema") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        SchemaReadCounter counter(db);
        CHECK(failure_of(db,
                         {forwards("1", "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);"),
                          forwards("2", "CREATE TABLE b (id INTEGER PRIMARY KEY, v TEXT);"),
                          forwards("3", "CREATE TABLE c (id INTEGER PRIMARY KEY, v TEXT);\n"
                                        "CREATE UNIQUE INDEX c_v ON c (v);")},
                         TransactionScope::Each, &counter)
                  .empty());
        REQUIRE(counter.per_migration.size() == 3);
        CHECK(counter.per_migration[2] == counter.per_migration[1]);
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

    TEST_CASE("only SQL with the word ALTER can rename a table or rewrite a trigger") {
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
        const std::deque<Step> rebuild = {
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
                  "0 of 2 migrations kept");
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
            touched.created = {table};
            ForeignKeyGraph graph;
            graph.read(db);
            const ForeignKeyCheck check = check_foreign_keys(db, touched, graph);
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
        ForeignKeyGraph graph;
        graph.read(db);
        db.exec("CREATE TABLE pair (x, y, FOREIGN KEY (x, y) REFERENCES p (b, a))");
        two.rows_written = {"pair"};
        two.created = {"pair"};
        CHECK(check_foreign_keys(db, two, graph).unchecked.empty());
        db.exec("CREATE TABLE half (x, y, FOREIGN KEY (x, y) REFERENCES p (a, n))");
        two.rows_written = {"half"};
        two.created = {"half"};
        const auto unchecked = check_foreign_keys(db, two, graph).unchecked;
        REQUIRE(unchecked.size() == 1);
        CHECK(unchecked[0].table == "half");
        CHECK(unchecked[0].columns == "x, y");
        CHECK(unchecked[0].parent == "p");
        CHECK(unchecked[0].parent_columns == "a, n");
    }

    TEST_CASE("the graph follows the run: a child created in an earlier migration is checked") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        const std::deque<Step> steps = {
            forwards("1",
                     "CREATE TABLE p (id INTEGER PRIMARY KEY); INSERT INTO p VALUES (1), (2);"),
            forwards("2", "CREATE TABLE c (p_id INTEGER REFERENCES p (id));"
                          "INSERT INTO c VALUES (1);"),
            forwards("3", "DELETE FROM p WHERE id = 2;"), // no child row refers to 2
            forwards("4", "DELETE FROM p WHERE id = 1;")};
        CHECK(failure_of(db, steps) ==
              "applying core 4 (m4) failed: it leaves rows whose foreign "
              "keys point nowhere: c rowid 1 refers to a missing row of p");
        CHECK(count(db, "p") == 1);
        CHECK(StateStore(db, k_default_state_table).applied("core").size() == 3);
    }

    TEST_CASE("a child created in the same migration as its orphan row is refused") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        CHECK(failure_of(db, {forwards("1", "CREATE TABLE p (id INTEGER PRIMARY KEY);"),
                              forwards("2", "CREATE TABLE c (p_id REFERENCES p (id));"
                                            "INSERT INTO c VALUES (7);")})
                  .ends_with("c rowid 1 refers to a missing row of p"));
        CHECK_FALSE(table_exists(db, "c"));
    }

    TEST_CASE("a new table without foreign keys still has its children checked") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        // A child made before its parent, outside strata: its row points at a table not there.
        db.exec("CREATE TABLE c (p_id INTEGER REFERENCES p (id)); INSERT INTO c VALUES (3);");
        CHECK(
            failure_of(db, {forwards("1", "CREATE TABLE other (x); INSERT INTO other VALUES (1);"),
                            forwards("2", "CREATE TABLE p (id INTEGER PRIMARY KEY);"
                                          "INSERT INTO p VALUES (1);")}) ==
            "applying core 2 (m2) failed: it leaves rows whose foreign keys point nowhere: c "
            "rowid 1 refers to a missing row of p");
        CHECK(table_exists(db, "other"));
        CHECK_FALSE(table_exists(db, "p"));
    }

    TEST_CASE("tables are known in any letter case, and named as the schema spells them") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        CHECK(failure_of(db, {forwards("1", "CREATE TABLE Users (id INTEGER PRIMARY KEY);"
                                            "CREATE TABLE Notes (u INTEGER REFERENCES USERS (id));"
                                            "INSERT INTO users VALUES (1); INSERT INTO NOTES "
                                            "VALUES (1);"),
                              forwards("2", "DELETE FROM users WHERE id = 1;")}) ==
              "applying core 2 (m2) failed: it leaves rows whose foreign keys point nowhere: "
              "Notes rowid 1 refers to a missing row of USERS");
        CHECK(count(db, "Users") == 1);
        // Renamed, it keeps its children under the name its new spelling gives it.
        CHECK(failure_of(db, {forwards("3", "ALTER TABLE users RENAME TO Members;"),
                              forwards("4", "DELETE FROM MEMBERS;")}) ==
              "applying core 4 (m4) failed: it leaves rows whose foreign keys point nowhere: "
              "Notes rowid 1 refers to a missing row of Members");
        CHECK(count(db, "members") == 1);
    }

    TEST_CASE("a table made again under its name in other letters is known by the new spelling") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY);"
                "CREATE TABLE notes (u INTEGER REFERENCES users (id));");
        ForeignKeyGraph graph;
        graph.read(db);
        // A rebuild whose copy takes the old name in other letters (a rename reports the name
        // it removes).
        db.exec("CREATE TABLE users_new (id INTEGER PRIMARY KEY); DROP TABLE users;"
                "ALTER TABLE users_new RENAME TO Users;");
        TouchedTables touched;
        touched.created = {"users_new"};
        touched.dropped = {"users"};
        touched.altered = {"users_new"};
        CHECK(graph.update(db, touched) == std::set<std::string>{"Users"});
        CHECK(graph.stored_name("USERS") == "Users");
        CHECK(graph.children_of(db, "users") == std::vector<std::string>{"notes"});
        // Dropped and created again in one migration.
        db.exec("DROP TABLE notes; CREATE TABLE NOTES (u INTEGER REFERENCES Users (id));");
        touched = {};
        touched.dropped = {"notes"};
        touched.created = {"NOTES"};
        CHECK(graph.update(db, touched) == std::set<std::string>{"NOTES"});
        CHECK(graph.stored_name("notes") == "NOTES");
        CHECK(graph.children_of(db, "users") == std::vector<std::string>{"NOTES"});
    }

    TEST_CASE("a child created in an earlier migration is checked whatever removes its parent") {
        // The child's keys are not read when it is made (see the next case): each way a later
        // migration can take its parent row away must still find its orphan.
        struct Removal {
            const char* sql;
            const char* parent; // as the message names it
        };
        const Removal removals[] = {
            {"DELETE FROM p WHERE id = 2;", "p"},
            {"UPDATE p SET id = 3 WHERE id = 2;", "p"},
            {"DROP TABLE p;", "p"},
            {"CREATE TABLE p2 (id INTEGER PRIMARY KEY); INSERT INTO p2 SELECT id FROM p WHERE "
             "id = 1; DROP TABLE p; ALTER TABLE p2 RENAME TO p;",
             "p"},
            {"ALTER TABLE p RENAME TO q; DELETE FROM q WHERE id = 2;", "q"},
        };
        for (const TransactionScope scope : {TransactionScope::Each, TransactionScope::All})
            for (const Removal& removal : removals) {
                CAPTURE(static_cast<int>(scope));
                CAPTURE(std::string(removal.sql));
                TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
                db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY); INSERT INTO p VALUES (1), (2);");
                const std::string failure =
                    failure_of(db,
                               {forwards("1", "CREATE TABLE c (p_id INTEGER REFERENCES p (id));"
                                              "INSERT INTO c VALUES (2);"),
                                forwards("2", "SELECT 1;"), forwards("3", removal.sql)},
                               scope);
                CAPTURE(failure);
                CHECK(failure.find(std::string("c rowid 1 refers to a missing row of ") +
                                   removal.parent) != std::string::npos);
                CHECK(count(db, "p") == 2); // rolled back
            }
    }

    TEST_CASE("a new table's keys are read once, when a check first needs them") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY); INSERT INTO p VALUES (1), (2);");
        struct KeyListCounter : RunObserver {
            explicit KeyListCounter(sqlite::Database db) : handle(db.handle()) {
                sqlite3_trace_v2(handle, SQLITE_TRACE_STMT, &on_trace, this);
            }
            ~KeyListCounter() override { sqlite3_trace_v2(handle, 0, nullptr, nullptr); }
            KeyListCounter(const KeyListCounter&) = delete;
            KeyListCounter& operator=(const KeyListCounter&) = delete;
            void on_step_finished(const Step&, std::chrono::microseconds) override {
                per_migration.push_back(reads);
                reads = 0;
            }
            static int on_trace(unsigned, void* self, void* statement, void*) {
                const std::string_view sql = sqlite3_sql(static_cast<sqlite3_stmt*>(statement));
                if (sql.starts_with("PRAGMA main.foreign_key_list("))
                    ++static_cast<KeyListCounter*>(self)->reads;
                return 0;
            }
            sqlite3* handle;
            int reads = 0;
            std::vector<int> per_migration;
        } counter(db);
        std::deque<Step> steps;
        for (const char* n : {"1", "2", "3"})
            steps.push_back(forwards(n, std::string("CREATE TABLE c") + n +
                                            " (p_id INTEGER REFERENCES p (id));"
                                            "INSERT INTO c" +
                                            n + " VALUES (1);"));
        steps.push_back(forwards("4", "DELETE FROM p WHERE id = 2;"));
        steps.push_back(forwards("5", "DELETE FROM p WHERE id = 3;"));
        CHECK(failure_of(db, steps, TransactionScope::Each, &counter).empty());
        // Adding tables reads none; the first deletion from their parent reads each once.
        CHECK(counter.per_migration == std::vector<int>{0, 0, 0, 3, 0});
    }

    TEST_CASE("a new child's row checks follow a change its parent makes later") {
        // The rows written to a child are checked by a query that names its parent's columns:
        // renaming one must make that query again, also for a child whose keys the graph read
        // only when a later migration wrote to it.
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY); INSERT INTO p VALUES (1);");
        CHECK(failure_of(db, {forwards("1", "CREATE TABLE c (p_id INTEGER REFERENCES p (id));"
                                            "INSERT INTO c VALUES (NULL);"),
                              forwards("2", "UPDATE c SET p_id = 1;"),
                              forwards("3", "ALTER TABLE p RENAME COLUMN id TO pid;"),
                              forwards("4", "UPDATE c SET p_id = 5;")}) ==
              "applying core 4 (m4) failed: it leaves rows whose foreign keys point nowhere: c "
              "rowid 1 refers to a missing row of p");
        CHECK(sqlite::query_int64(db, "SELECT p_id FROM c") == 1);
    }

    TEST_CASE("a child made before its parent existed cannot point at the parent made later") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        CHECK(failure_of(db, {forwards("1", "CREATE TABLE c (p_id INTEGER REFERENCES p (id));"
                                            "INSERT INTO c VALUES (NULL);"),
                              forwards("2", "CREATE TABLE p (id INTEGER PRIMARY KEY);"
                                            "INSERT INTO p VALUES (1);"),
                              forwards("3", "INSERT INTO c VALUES (1), (2);")})
                  .ends_with("c rowid 3 refers to a missing row of p"));
        CHECK(count(db, "c") == 1);
        // A row made while the parent was missing would have been refused then.
        CHECK(failure_of(db, {forwards("3", "INSERT INTO c VALUES (1);")}).empty());
        CHECK(failure_of(db, {forwards("4", "DELETE FROM p;")})
                  .ends_with("c rowid 2 refers to a missing row of p"));
    }

    TEST_CASE("after a rebuild or a rename of a parent, its children are still checked") {
        for (const TransactionScope scope : {TransactionScope::Each, TransactionScope::All}) {
            CAPTURE(static_cast<int>(scope));
            TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
            create_parent_and_children(db);
            // The rebuild keeps every child row; the children now point at the copy.
            CHECK(failure_of(db, {forwards("1", k_rebuild_users)}, scope).empty());
            CHECK(count(db, "notes") == 3);
            CHECK(failure_of(db,
                             {forwards("2", "SELECT 1;"),
                              forwards("3", "DELETE FROM users WHERE id = 2;")},
                             scope)
                      .find("notes rowid 3 refers to a missing row of users") != std::string::npos);
            // A rename rewrites the children's keys to the new name.
            CHECK(failure_of(db,
                             {forwards("4", "ALTER TABLE users RENAME TO people;"),
                              forwards("5", "DELETE FROM people WHERE id = 2;")},
                             scope)
                      .find("notes rowid 3 refers to a missing row of people") !=
                  std::string::npos);
            // transaction = "all" rolled the rename back with the run.
            CHECK(table_exists(db, scope == TransactionScope::Each ? "people" : "users"));
        }
    }

    TEST_CASE("a dropped child is no longer checked, a column added with REFERENCES is") {
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        create_parent_and_children(db);
        db.exec("CREATE TABLE other (x); INSERT INTO other VALUES (1);");
        CHECK(failure_of(db, {forwards("1", "DROP TABLE notes;"),
                              forwards("2", "DELETE FROM users WHERE id = 2;"),
                              forwards("3", "ALTER TABLE other ADD COLUMN u INTEGER "
                                            "REFERENCES users (id);"
                                            "UPDATE other SET u = 1;"),
                              forwards("4", "DELETE FROM users WHERE id = 1;")}) ==
              "applying core 4 (m4) failed: it leaves rows whose foreign keys point nowhere: "
              "other rowid 1 refers to a missing row of users");
        CHECK_FALSE(table_exists(db, "notes"));
        CHECK(count(db, "users") == 1);
        // A new column whose default points nowhere leaves every row an orphan.
        CHECK(failure_of(db, {forwards("4", "ALTER TABLE other ADD COLUMN v INTEGER DEFAULT 9 "
                                            "REFERENCES users (id);")})
                  .ends_with("other rowid 1 refers to a missing row of users"));
    }

    TEST_CASE("a schema changed between two migrations by another connection is read again") {
        // After migration 1 commits, another connection adds a child table the run has not
        // seen; migration 2 then deletes the parent row it refers to.
        struct Intruder : RunObserver {
            sqlite::Database other;
            explicit Intruder(sqlite::Database d) : other(d) {}
            void on_step_finished(const Step& step, std::chrono::microseconds) override {
                if (step.migration_id.text() == "1")
                    other.exec("CREATE TABLE kid (p_id REFERENCES p (id)); "
                               "INSERT INTO kid VALUES (1);");
            }
        };
        TempDir dir;
        const std::string path = (dir / "app.db").string();
        TestDatabase db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        TestDatabase other(path, SQLITE_OPEN_READWRITE);
        Intruder intruder(other);
        CHECK(failure_of(db,
                         {forwards("1", "CREATE TABLE p (id INTEGER PRIMARY KEY);"
                                        "INSERT INTO p VALUES (1);"),
                          forwards("2", "DELETE FROM p;")},
                         TransactionScope::Each, &intruder)
                  .ends_with("kid rowid 1 refers to a missing row of p"));
    }

    TEST_CASE("what a migration reads of the schema does not grow with the number of tables") {
        // Per migration, strata's reads of the schema must cost the same with 10 tables (and
        // views) as with 200: the foreign-key graph is read once per run, then only what
        // changed, and the state-table guard looks only at the triggers and views a migration
        // creates.
        auto measure = [](int tables) {
            TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
            db.exec("CREATE TABLE t0 (id INTEGER PRIMARY KEY); INSERT INTO t0 VALUES (1);");
            for (int i = 1; i < tables; ++i)
                db.exec("CREATE TABLE t" + std::to_string(i) +
                        " (id INTEGER PRIMARY KEY, up INTEGER REFERENCES t" +
                        std::to_string(i - 1) + " (id)); INSERT INTO t" + std::to_string(i) +
                        " VALUES (1, 1); CREATE VIEW v" + std::to_string(i) +
                        " AS SELECT * FROM t" + std::to_string(i) + ";");
            std::deque<Step> steps;
            for (int i = 1; i <= 4; ++i) {
                const std::string n = std::to_string(i);
                steps.push_back(
                    forwards(n, "CREATE TABLE m" + n +
                                    " (id INTEGER PRIMARY KEY, t INTEGER REFERENCES t0);"
                                    "INSERT INTO m" +
                                    n +
                                    " VALUES (1, 1), (2, 1), (3, 1);"
                                    "CREATE INDEX m" +
                                    n + "_t ON m" + n +
                                    " (t);"
                                    "UPDATE t1 SET up = 1 WHERE id = 1;"));
            }
            SchemaReadCounter counter(db);
            CHECK(failure_of(db, steps, TransactionScope::Each, &counter).empty());
            REQUIRE(counter.per_migration.size() == 4);
            // The first migration also reads the graph, once for the run.
            return std::vector<long>(counter.per_migration.begin() + 1,
                                     counter.per_migration.end());
        };
        const std::vector<long> few = measure(10);
        const std::vector<long> many = measure(200);
        CHECK(few == many);
        CHECK(few.front() > 0); // the counter sees the check's own reads
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
