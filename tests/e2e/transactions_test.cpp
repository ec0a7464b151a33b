// SPDX-License-Identifier: MIT
// Foreign keys during rebuilds, all-or-nothing runs, after-commit sections, connection
// settings and interruptions, through the real binary.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <csignal>

using namespace strata::test;

namespace {

// Eight migrations creating t1..t8; the fifth fails at its second statement when `broken`.
ProjectSpec eight_migrations(bool broken, const std::string& extra = "") {
    AppSpec app;
    app.name = "core";
    for (int i = 1; i <= 8; ++i) {
        const std::string n = std::to_string(i);
        std::string up =
            "CREATE TABLE t" + n + " (x);\nINSERT INTO t" + n + " VALUES (" + n + ");\n";
        if (broken && i == 5)
            up = "CREATE TABLE t5 (x);\nINSERT INTO nowhere VALUES (1);\n";
        app.migrations.push_back({"000" + n, "create_t" + n, up, "DROP TABLE t" + n + ";\n"});
    }
    ProjectSpec project;
    project.apps.push_back(app);
    project.extra_top_level = extra;
    return project;
}

// users <- notes ON DELETE CASCADE; then a 12-step rebuild of users.
ProjectSpec rebuild_project(const std::string& extra = "") {
    AppSpec app;
    app.name = "core";
    app.migrations = {
        {"0001", "create_users_and_notes",
         "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n"
         "CREATE TABLE notes (id INTEGER PRIMARY KEY,\n"
         "    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE);\n"
         "INSERT INTO users VALUES (1, 'ada'), (2, 'bob');\n"
         "INSERT INTO notes VALUES (1, 1), (2, 1), (3, 2);\n",
         "DROP TABLE notes;\nDROP TABLE users;\n"},
        {"0002", "rebuild_users",
         "CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);\n"
         "INSERT INTO users_new (id, name) SELECT id, name FROM users;\n"
         "DROP TABLE users;\n"
         "ALTER TABLE users_new RENAME TO users;\n",
         "CREATE TABLE users_old (id INTEGER PRIMARY KEY, name TEXT);\n"
         "INSERT INTO users_old SELECT id, name FROM users;\n"
         "DROP TABLE users;\n"
         "ALTER TABLE users_old RENAME TO users;\n"},
    };
    ProjectSpec project;
    project.apps.push_back(app);
    project.extra_top_level = extra;
    return project;
}

// The rebuild, then 0003, which deletes a parent row and so leaves bob's notes pointing nowhere.
ProjectSpec rebuild_project_leaving_an_orphan() {
    ProjectSpec project = rebuild_project();
    project.apps[0].migrations.push_back(
        {"0003", "drop_bob", "DELETE FROM users WHERE name = 'bob';\n", "SELECT 1;\n"});
    return project;
}

} // namespace

TEST_SUITE("e2e_transactions") {
    TEST_CASE("transaction = all: a failure in the 5th of 8 leaves the database byte-identical") {
        TempDir dir;
        write_project(dir.path(), eight_migrations(true, "transaction = \"all\"\n"));
        auto db = dir / "app.db";
        execute_sql(db, "CREATE TABLE before_run (x); INSERT INTO before_run VALUES (1);");
        FileSnapshot before(db);

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("0005_create_t5.up.sql:2:1") != std::string::npos);
        // The output says that the migrations shown as done went with the rest.
        CHECK(r.err.find("; the whole run was rolled back (transaction = \"all\"): 0 of 8 "
                         "migrations kept") != std::string::npos);
        CHECK(before.unchanged());
        CHECK_FALSE(has_table(db, "t1"));
    }

    TEST_CASE("a failed run on a missing database leaves no file behind") {
        for (const std::string extra :
             {"transaction = \"all\"\n", "transaction = \"all\"\njournal_mode = \"wal\"\n", ""}) {
            CAPTURE(extra);
            TempDir dir;
            ProjectSpec project = eight_migrations(true, extra);
            if (extra.empty()) // one transaction per migration: the first one fails
                project.apps[0].migrations[0].up = "INSERT INTO nowhere VALUES (1);\n";
            write_project(dir.path(), project);
            auto r = run_strata({"forwards"}, in_dir(dir.path()));
            CHECK(r.exit_code == 1);
            for (const char* name : {"app.db", "app.db-journal", "app.db-wal", "app.db-shm"})
                CHECK_FALSE(file_exists(dir / name));
        }
        // A run that committed something keeps the file, as it must.
        TempDir dir;
        write_project(dir.path(), eight_migrations(true));
        CHECK(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 1);
        CHECK(migration_rows(dir / "app.db").size() == 4);
    }

    TEST_CASE("--atomic does the same from the command line; without it earlier ones stay") {
        TempDir dir;
        write_project(dir.path(), eight_migrations(true));
        auto db = dir / "app.db";
        execute_sql(db, "CREATE TABLE before_run (x);");
        FileSnapshot before(db);
        CHECK(run_strata({"forwards", "--atomic"}, in_dir(dir.path())).exit_code == 1);
        CHECK(before.unchanged());

        CHECK(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 1);
        CHECK(has_table(db, "t4"));
        CHECK_FALSE(has_table(db, "t5"));
        CHECK(migration_rows(db).size() == 4);
    }

    TEST_CASE("transaction = all applies and reverses whole runs") {
        TempDir dir;
        write_project(dir.path(), eight_migrations(false, "transaction = \"all\"\n"));
        auto db = dir / "app.db";
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applied 8 migrations.") != std::string::npos);
        CHECK(migration_rows(db).size() == 8);
        CHECK(run_strata({"backwards", "core", "all", "--yes"}, in_dir(dir.path())).exit_code == 0);
        CHECK(migration_rows(db).empty());
        CHECK_FALSE(has_table(db, "t1"));
    }

    TEST_CASE("a parent-table rebuild keeps every child row that ON DELETE CASCADE would delete") {
        TempDir dir;
        write_project(dir.path(), rebuild_project());
        auto db = dir / "app.db";
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(query_int(db, "SELECT count(*) FROM notes") == 3);
        CHECK(query_int(
                  db, "SELECT count(*) FROM pragma_table_info('users') WHERE name = 'email'") == 1);
        // And back: the down is a rebuild too.
        CHECK(run_strata({"backwards", "core", "--yes"}, in_dir(dir.path())).exit_code == 0);
        CHECK(query_int(db, "SELECT count(*) FROM notes") == 3);
    }

    TEST_CASE("--atomic checks foreign keys once, so a rebuild may span several migrations") {
        TempDir dir;
        ProjectSpec project = rebuild_project();
        auto& migrations = project.apps[0].migrations;
        migrations.pop_back();
        migrations.push_back({"0002", "copy_users",
                              "CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT "
                              "NULL, email TEXT);\n"
                              "INSERT INTO users_new (id, name) SELECT id, name FROM users;\n",
                              "DROP TABLE users_new;\n"});
        migrations.push_back({"0003", "drop_users", "DROP TABLE users;\n", "SELECT 1;\n"});
        migrations.push_back(
            {"0004", "rename_users", "ALTER TABLE users_new RENAME TO users;\n", "SELECT 1;\n"});
        write_project(dir.path(), project);
        auto db = dir / "app.db";
        REQUIRE(run_strata({"forwards", "core", "0001"}, in_dir(dir.path())).exit_code == 0);

        // One transaction per migration: after 0003 the notes point at no users table.
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("applying core 0003 (drop users) failed: it leaves rows whose foreign "
                         "keys point nowhere") != std::string::npos);
        REQUIRE(run_strata({"backwards", "core", "0002", "--yes"}, in_dir(dir.path())).exit_code ==
                0);
        CHECK(migration_rows(db).size() == 1);

        // One transaction for the run: consistent at the end, so it commits.
        r = run_strata({"forwards", "--atomic"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applied 3 migrations.") != std::string::npos);
        CHECK(query_int(db, "SELECT count(*) FROM notes") == 3);
        CHECK(query_int(
                  db, "SELECT count(*) FROM pragma_table_info('users') WHERE name = 'email'") == 1);
        CHECK(query_int(db, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
    }

    TEST_CASE("--atomic refuses a run that ends with orphans, and keeps none of it") {
        TempDir dir;
        ProjectSpec project = rebuild_project_leaving_an_orphan();
        write_project(dir.path(), project);
        auto db = dir / "app.db";
        REQUIRE(run_strata({"forwards", "core", "0001"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(db);
        auto r = run_strata({"forwards", "--atomic"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("strata: error: the run leaves rows whose foreign keys point nowhere: "
                         "notes rowid 3 refers to a missing row of users; the whole run was "
                         "rolled back (transaction = \"all\"): 0 of 2 migrations kept") !=
              std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("a foreign key to a column that is not unique is applied, with a warning") {
        TempDir dir;
        ProjectSpec project = rebuild_project();
        project.apps[0].migrations.push_back({"0003", "create_posts",
                                              "CREATE TABLE posts (id INTEGER PRIMARY KEY,\n"
                                              "    author TEXT REFERENCES users (name),\n"
                                              "    user_id INTEGER REFERENCES users (id));\n",
                                              "DROP TABLE posts;\n"});
        write_project(dir.path(), project);
        auto db = dir / "app.db";
        for (const std::string mode : {"deferred", "immediate"}) {
            CAPTURE(mode);
            if (file_exists(db))
                std::filesystem::remove(db);
            auto r = run_strata({"forwards", "--foreign-keys", mode}, in_dir(dir.path()));
            INFO("stdout: " << r.out);
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(has_table(db, "posts"));
            CHECK(migration_rows(db).size() == 3);
        }
        std::filesystem::remove(db);
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applying core 0003 (create posts) ... ok (") != std::string::npos);
        CHECK(r.out.find(")\nwarning: core 0003 (create posts): the foreign key posts(author) -> "
                         "users(name) is not checked: the parent columns are neither the PRIMARY "
                         "KEY nor UNIQUE") != std::string::npos);

        // Rows go in (with foreign keys deferred SQLite does not look the key up either), and
        // the table's other key is still checked.
        project.apps[0].migrations.push_back(
            {"0004", "add_post", "INSERT INTO posts VALUES (1, 'ada', 1);\n", "SELECT 1;\n"});
        project.apps[0].migrations.push_back(
            {"0005", "orphan_post", "INSERT INTO posts VALUES (2, 'ada', 42);\n", "SELECT 1;\n"});
        write_project(dir.path(), project);
        r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.out.find("Applying core 0004 (add post) ... ok (") != std::string::npos);
        CHECK(r.out.find("warning: core 0004 (add post): the foreign key posts(author)") !=
              std::string::npos);
        CHECK(r.err.find("0005_orphan_post.up.sql: applying core 0005 (orphan post) failed: it "
                         "leaves rows whose foreign keys point nowhere: posts rowid 2 refers to a "
                         "missing row of users") != std::string::npos);
        CHECK(migration_rows(db).size() == 4);
    }

    TEST_CASE("foreign_keys = immediate enforces during the migration (the DROP cascades)") {
        TempDir dir;
        write_project(dir.path(), rebuild_project("foreign_keys = \"immediate\"\n"));
        auto db = dir / "app.db";
        CHECK(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        CHECK(query_int(db, "SELECT count(*) FROM notes") == 0);
    }

    TEST_CASE("a migration that leaves an orphan is rolled back and reported") {
        TempDir dir;
        ProjectSpec project = rebuild_project_leaving_an_orphan();
        write_project(dir.path(), project);
        auto db = dir / "app.db";
        CHECK(run_strata({"forwards", "core", "0002"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(db);
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("0003_drop_bob.up.sql: applying core 0003 (drop bob) failed: it leaves "
                         "rows whose foreign keys point nowhere: notes rowid 3 refers to a missing "
                         "row of users") != std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("PRAGMA foreign_keys in a migration is refused, pointing at the setting") {
        TempDir dir;
        ProjectSpec project = rebuild_project();
        project.apps[0].migrations.push_back(
            {"0003", "fk_off", "PRAGMA foreign_keys = OFF;\n", "SELECT 1;\n"});
        write_project(dir.path(), project);
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("0003_fk_off.up.sql:1:1") != std::string::npos);
        CHECK(r.err.find("set `foreign_keys` in strata.toml (deferred, the default, or "
                         "immediate)") != std::string::npos);
        CHECK(migration_rows(dir / "app.db").size() == 2);
    }

    TEST_CASE("an after-commit VACUUM runs; a failure there keeps the migration applied") {
        TempDir dir;
        AppSpec app;
        app.name = "core";
        app.migrations = {
            {"0001", "big",
             "CREATE TABLE t (x);\nINSERT INTO t SELECT zeroblob(10000) FROM "
             "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE "
             "i < 200) SELECT i FROM n);\n",
             "DROP TABLE t;\n"},
            {"0002", "shrink", "DELETE FROM t;\n-- strata:after-commit\nVACUUM;\n", "SELECT 1;\n"},
            {"0003", "bad_after", "CREATE TABLE u (x);\n-- strata:after-commit\nDROP TABLE u;\n",
             "DROP TABLE u;\n"},
        };
        ProjectSpec project;
        project.apps.push_back(app);
        write_project(dir.path(), project);
        auto db = dir / "app.db";
        CHECK(run_strata({"forwards", "core", "0001"}, in_dir(dir.path())).exit_code == 0);
        const auto pages_before = query_int(db, "PRAGMA page_count");
        CHECK(run_strata({"forwards", "core", "0002"}, in_dir(dir.path())).exit_code == 0);
        CHECK(query_int(db, "PRAGMA page_count") < pages_before / 10);

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("0003_bad_after.up.sql:3:1: after-commit section of core 0003 (bad "
                         "after) failed") != std::string::npos);
        CHECK(has_table(db, "u"));
        CHECK(migration_rows(db).size() == 3);
    }

    TEST_CASE("journal_mode is applied before migrating; unsafe settings are refused") {
        TempDir dir;
        write_project(dir.path(), eight_migrations(false, "journal_mode = \"wal\"\n"));
        auto db = dir / "app.db";
        CHECK(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        CHECK(query_text(db, "PRAGMA journal_mode") == "wal");

        for (const char* setting : {"journal_mode = \"off\"\n", "journal_mode = \"memory\"\n",
                                    "synchronous = \"off\"\n", "synchronous = \"normal\"\n"}) {
            CAPTURE(setting);
            TempDir other;
            write_project(other.path(), eight_migrations(false, setting));
            auto r = run_strata({"forwards"}, in_dir(other.path()));
            CHECK(r.exit_code == 2);
            CHECK(r.err.find("strata.toml:2:") != std::string::npos);
            CHECK(r.err.find("is refused") != std::string::npos);
            CHECK_FALSE(file_exists(other / "app.db"));
        }
    }

    TEST_CASE("SIGINT and SIGTERM roll back the migration in flight and say what completed") {
        for (int signal : {SIGINT, SIGTERM}) {
            CAPTURE(signal);
            TempDir dir;
            ProjectSpec project;
            project.apps.push_back(endless_app());
            write_project(dir.path(), project);
            auto db = dir / "app.db";

            StrataProcess child = start_strata({"forwards"}, in_dir(dir.path()));
            REQUIRE(child.read_until("Applying core 0002 (endless) ... "));
            child.send_signal(signal);
            RunResult r = child.wait();
            CHECK(r.exit_code == 128 + signal);
            CHECK(r.err.find("interrupted: core 0002 (endless) was rolled back; 1 migration "
                             "completed before it") != std::string::npos);
            CHECK(has_table(db, "t1"));
            CHECK_FALSE(has_table(db, "t2"));
            CHECK(migration_rows(db).size() == 1);
            CHECK(query_text(db, "PRAGMA integrity_check") == "ok");
        }
    }
}
