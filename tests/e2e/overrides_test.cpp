// SPDX-License-Identifier: MIT
// Each command-line safety override changes the behaviour it names, winning over strata.toml:
// an override that does nothing fails here. (--allow-modified, which has no strata.toml
// counterpart, is covered in drift_test.cpp and sync_test.cpp.)
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;
namespace fs = std::filesystem;

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

// users <- notes; 0002 deletes bob, who owns note 3. `on_delete` is appended to the foreign
// key ("" or " ON DELETE CASCADE").
ProjectSpec orphaning_project(const std::string& toml, const std::string& on_delete = "") {
    AppSpec app;
    app.name = "core";
    app.migrations = {
        {"0001", "create_users_and_notes",
         "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n"
         "CREATE TABLE notes (id INTEGER PRIMARY KEY,\n"
         "    user_id INTEGER NOT NULL REFERENCES users (id)" +
             on_delete +
             ");\n"
             "INSERT INTO users VALUES (1, 'ada'), (2, 'bob');\n"
             "INSERT INTO notes VALUES (1, 1), (2, 1), (3, 2);\n",
         "DROP TABLE notes;\nDROP TABLE users;\n"},
        {"0002", "drop_bob", "DELETE FROM users WHERE name = 'bob';\n", "SELECT 1;\n"},
    };
    ProjectSpec project;
    project.apps.push_back(app);
    project.extra_top_level = toml;
    return project;
}

// Writes `project` and applies its first migration.
void write_at_first(const fs::path& root, const ProjectSpec& project) {
    write_project(root, project);
    REQUIRE(run_strata({"forwards", "core", "0001"}, in_dir(root)).exit_code == 0);
}

// Eight migrations creating t1..t8; the fifth fails at its second statement.
ProjectSpec failing_fifth(const std::string& toml) {
    AppSpec app;
    app.name = "core";
    for (int i = 1; i <= 8; ++i) {
        const std::string n = std::to_string(i);
        std::string up = i == 5 ? "CREATE TABLE t5 (x);\nINSERT INTO nowhere VALUES (1);\n"
                                : "CREATE TABLE t" + n + " (x);\n";
        app.migrations.push_back({"000" + n, "create_t" + n, up, "DROP TABLE t" + n + ";\n"});
    }
    ProjectSpec project;
    project.apps.push_back(app);
    project.extra_top_level = toml;
    return project;
}

// The backup files of app.db in `dir`.
std::size_t backup_count(const fs::path& dir) {
    std::size_t count = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("app.db.") && name.ends_with(".bak"))
            ++count;
    }
    return count;
}

} // namespace

TEST_SUITE("e2e_overrides") {
    TEST_CASE("--foreign-keys off commits a migration that leaves a dangling foreign key") {
        TempDir dir;
        std::string toml;
        SUBCASE("default") {}
        SUBCASE("strata.toml says deferred") {
            toml = "foreign_keys = \"deferred\"\n";
        }
        SUBCASE("strata.toml says immediate") {
            toml = "foreign_keys = \"immediate\"\n";
        }
        CAPTURE(toml);
        write_at_first(dir.path(), orphaning_project(toml));
        auto db = dir / "app.db";
        {
            FileSnapshot before(db);
            CHECK(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 1);
            CHECK(before.unchanged());
        }

        auto r = run_strata({"forwards", "--foreign-keys", "off"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0002"}});
        CHECK(query_int(db, "SELECT count(*) FROM users WHERE name = 'bob'") == 0);
        // The orphan is there: nothing checked it, nothing cascaded.
        CHECK(query_int(db, "SELECT user_id FROM notes WHERE id = 3") == 2);
        CHECK(query_int(db, "SELECT count(*) FROM pragma_foreign_key_check('notes')") == 1);
    }

    TEST_CASE("--foreign-keys deferred refuses the orphan although strata.toml says off") {
        TempDir dir;
        write_at_first(dir.path(), orphaning_project("foreign_keys = \"off\"\n"));
        auto db = dir / "app.db";
        FileSnapshot before(db);

        auto r = run_strata({"forwards", "--foreign-keys", "deferred"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("0002_drop_bob.up.sql: applying core 0002 (drop bob) failed: it leaves "
                         "rows whose foreign keys point nowhere: notes rowid 3 refers to a missing "
                         "row of users") != std::string::npos);
        CHECK(before.unchanged());

        // strata.toml's off, left alone, does let it through: the flag made the difference.
        CHECK(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        CHECK(query_int(db, "SELECT count(*) FROM notes") == 3);
    }

    TEST_CASE("--foreign-keys immediate runs ON DELETE CASCADE where deferred refuses") {
        TempDir dir;
        std::string toml;
        SUBCASE("default") {}
        SUBCASE("strata.toml says deferred") {
            toml = "foreign_keys = \"deferred\"\n";
        }
        SUBCASE("strata.toml says off") {
            toml = "foreign_keys = \"off\"\n";
        }
        CAPTURE(toml);
        write_at_first(dir.path(), orphaning_project(toml, " ON DELETE CASCADE"));
        auto db = dir / "app.db";

        auto r = run_strata({"forwards", "--foreign-keys", "immediate"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(db).size() == 2);
        CHECK(query_int(db, "SELECT count(*) FROM notes") == 2);
        CHECK(query_int(db, "SELECT count(*) FROM notes WHERE user_id = 2") == 0);
    }

    TEST_CASE("under deferred the same cascade does not run and the orphan is refused") {
        TempDir dir;
        write_at_first(dir.path(),
                       orphaning_project("foreign_keys = \"immediate\"\n", " ON DELETE CASCADE"));
        auto db = dir / "app.db";
        FileSnapshot before(db);
        auto r = run_strata({"forwards", "--foreign-keys", "deferred"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("notes rowid 3 refers to a missing row of users") != std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("--atomic wins over transaction = \"each\"") {
        TempDir dir;
        write_project(dir.path(), failing_fifth("transaction = \"each\"\n"));
        auto db = dir / "app.db";
        execute_sql(db, "CREATE TABLE before_run (x);");
        FileSnapshot before(db);

        CHECK(run_strata({"forwards", "--atomic"}, in_dir(dir.path())).exit_code == 1);
        CHECK(before.unchanged());
        CHECK_FALSE(has_table(db, "t1"));

        // Without the flag strata.toml's "each" keeps the four that worked.
        CHECK(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 1);
        CHECK(migration_rows(db).size() == 4);
    }

    TEST_CASE("--backup wins over backup = false") {
        TempDir dir;
        write_at_first(dir.path(), orphaning_project("backup = false\nforeign_keys = \"off\"\n"));
        REQUIRE(backup_count(dir.path()) == 0);

        SUBCASE("with the flag") {
            auto r = run_strata({"forwards", "--backup"}, in_dir(dir.path()));
            CHECK(r.exit_code == 0);
            CHECK(r.out.starts_with("Backed up app.db to app.db."));
            REQUIRE(backup_count(dir.path()) == 1);
        }
        SUBCASE("without it") {
            auto r = run_strata({"forwards"}, in_dir(dir.path()));
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("Backed up") == std::string::npos);
            CHECK(backup_count(dir.path()) == 0);
        }
    }

    TEST_CASE("--out-of-order wins over out_of_order = \"error\"") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back(users_notes_tags_app());
        project.extra_top_level = "out_of_order = \"error\"\n";
        ProjectSpec without_notes = project;
        without_notes.apps[0].migrations.erase(without_notes.apps[0].migrations.begin() + 1);
        write_project(dir.path(), without_notes);
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        write_project(dir.path(), project); // 0002 arrives after 0003 was applied
        auto db = dir / "app.db";

        {
            FileSnapshot before(db);
            auto r = run_strata({"forwards"}, in_dir(dir.path()));
            CHECK(r.exit_code == 2);
            CHECK(before.unchanged());
        }
        auto r = run_strata({"forwards", "--out-of-order"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0003"}, {"core", "0002"}});
    }

    TEST_CASE("the overrides apply to every command that migrates, e.g. goto") {
        TempDir dir;
        write_at_first(dir.path(), orphaning_project(""));
        auto db = dir / "app.db";
        CHECK(run_strata({"goto", "core", "0002", "--yes"}, in_dir(dir.path())).exit_code == 1);
        CHECK(run_strata({"goto", "core", "0002", "--yes", "--foreign-keys", "off"},
                         in_dir(dir.path()))
                  .exit_code == 0);
        CHECK(migration_rows(db).size() == 2);
    }
}
