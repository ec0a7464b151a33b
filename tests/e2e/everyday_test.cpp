// SPDX-License-Identifier: MIT
// The everyday commands as a new user meets them: backwards without an app, depends_on for one
// app, check before the database exists and with an unpaired file, --fake, redo, the pointers
// from other tools' words, and the ids `new` picks.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace strata::test;

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

// accounts (two migrations) and notes (one), which depends on accounts.
void write_dependent_project(const std::filesystem::path& root) {
    ProjectSpec project;
    project.apps.push_back(
        {"accounts",
         {{"0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
           "DROP TABLE users;\n"},
          {"0002", "create_roles", "CREATE TABLE roles (id INTEGER PRIMARY KEY);\n",
           "DROP TABLE roles;\n"}},
         {},
         {}});
    project.apps.push_back(
        {"notes",
         {{"0001", "create_notes", "CREATE TABLE notes (user_id INTEGER REFERENCES users (id));\n",
           "DROP TABLE notes;\n"}},
         {"accounts"},
         {}});
    write_project(root, project);
}

} // namespace

TEST_SUITE("e2e_everyday") {
    TEST_CASE("the CLI runs SQLite in multi-thread mode, as --version says") {
        TempDir dir;
        auto r = run_strata({"--version"}, in_dir(dir.path()));
        REQUIRE(r.exit_code == 0);
        // Each connection of the CLI stays on one thread: no mutex per SQLite call.
        CHECK(r.out.find("\nSQLite 3.") != std::string::npos);
        CHECK(r.out.find(" (multi-thread)\nbuild: ") != std::string::npos);
    }

    TEST_CASE("backwards without an app reverses the latest migration of a one-app project") {
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        auto r = run_strata({"backwards", "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(dir / "app.db") == Rows{{"core", "0001"}, {"core", "0002"}});
        CHECK_FALSE(has_table(dir / "app.db", "tags"));
    }

    TEST_CASE("backwards without an app in a project of several lists them and changes nothing") {
        TempDir dir;
        write_dependent_project(dir.path());
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(dir / "app.db");
        auto r = run_strata({"backwards", "--yes"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err == "strata: error: which app? this project has 2 apps: accounts, notes\n"
                       "  hint: name one: `strata backwards APP`, or all for every app "
                       "(`strata backwards all`)\n");
        CHECK(before.unchanged());
    }

    TEST_CASE("forwards for one app applies what it depends on first, saying so") {
        TempDir dir;
        write_dependent_project(dir.path());
        auto r = run_strata({"forwards", "notes"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("notes depends on accounts: applying accounts first\n") !=
              std::string::npos);
        CHECK(migration_rows(dir / "app.db") ==
              Rows{{"accounts", "0001"}, {"accounts", "0002"}, {"notes", "0001"}});

        // Nothing pending in accounts: nothing to say about it.
        auto again = run_strata({"forwards", "notes"}, in_dir(dir.path()));
        CHECK(again.exit_code == 0);
        CHECK(again.out.find("depends on") == std::string::npos);
    }

    TEST_CASE("backwards refuses an app while a dependent app has migrations applied") {
        TempDir dir;
        write_dependent_project(dir.path());
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(dir / "app.db");
        auto r = run_strata({"backwards", "accounts", "--yes"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "strata: error: cannot reverse app \"accounts\": app \"notes\" depends on "
                       "it and has 1 migration applied\n"
                       "  hint: reverse notes first (`strata backwards notes all`), or every app "
                       "together (`strata backwards all`)\n");
        CHECK(before.unchanged());

        // With the dependents included, or once they are reversed, it goes ahead.
        REQUIRE(run_strata({"backwards", "notes", "all", "--yes"}, in_dir(dir.path())).exit_code ==
                0);
        auto after = run_strata({"backwards", "accounts", "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << after.err);
        CHECK(after.exit_code == 0);
        CHECK(migration_rows(dir / "app.db") == Rows{{"accounts", "0001"}});
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        CHECK(run_strata({"backwards", "all", "--yes"}, in_dir(dir.path())).exit_code == 0);
        CHECK(migration_rows(dir / "app.db").empty());
    }

    TEST_CASE("check says the database does not exist yet, and does not create it") {
        TempDir dir;
        write_standard_project(dir.path());
        auto r = run_strata({"check"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.starts_with("The database app.db does not exist yet; forwards will create "
                                "it.\nAPP"));
        CHECK_FALSE(file_exists(dir / "app.db"));
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        CHECK(run_strata({"check"}, in_dir(dir.path())).out.find("does not exist") ==
              std::string::npos);
    }

    TEST_CASE("check shows a project with an unpaired file, flags the row and exits 2") {
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        write_file(dir / "migrations/core/0004_add_flags.up.sql", "CREATE TABLE flags (x);\n");
        std::filesystem::remove(dir / "migrations/core/0002_create_notes.up.sql");
        auto r = run_strata({"check"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        const auto lines = lines_of(r.out);
        REQUIRE(lines.size() == 5);
        CHECK(lines[1].starts_with("core  0001       create users"));
        CHECK(lines[2].find("0002       create notes (no up file)  unpaired (applied ") !=
              std::string::npos);
        CHECK(lines[3].starts_with("core  0003       add tags"));
        CHECK(lines[4] == "core  0004       add flags (no down file)   unpaired");
        CHECK(r.err ==
              "strata: error: migrations/core/0002_create_notes.down.sql: migration 0002 of app "
              "core is missing its up file\n"
              "strata: error: migrations/core/0004_add_flags.up.sql: migration 0004 of app core is "
              "missing its down file\n"
              "  hint: create the missing .up.sql or .down.sql file (a down file may be empty), or "
              "delete the file alone; the table marks them unpaired\n");
        // forwards still refuses the set.
        CHECK(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 2);
    }

    TEST_CASE("--fake lists what it records, counts it in words, and check shows it") {
        TempDir dir;
        write_standard_project(dir.path());
        auto one = run_strata({"forwards", "core", "1", "--fake"}, in_dir(dir.path()));
        INFO("stderr: " << one.err);
        CHECK(one.exit_code == 0);
        CHECK(one.out.starts_with("To record as applied without running them:\n"
                                  "  core 0001 (create users)\n"));
        CHECK(one.out.ends_with("Recorded 1 migration as applied without running them.\n"));
        auto two = run_strata({"forwards", "--fake", "--yes"}, in_dir(dir.path()));
        CHECK(two.exit_code == 0);
        CHECK(two.out.find("  core 0002 (create notes)\n  core 0003 (add tags)\n") !=
              std::string::npos);
        CHECK(two.out.ends_with("Recorded 2 migrations as applied without running them.\n"));
        CHECK_FALSE(has_table(dir / "app.db", "users"));
        CHECK(query_int(dir / "app.db", "SELECT count(*) FROM migrations WHERE fake = 1") == 3);

        auto check = run_strata({"check"}, in_dir(dir.path()));
        CHECK(count_of(check.out, " (fake)\n") == 3);
        auto json = run_strata({"check", "--json"}, in_dir(dir.path()));
        CHECK(count_of(json.out, "\"fake\":true") == 3);
        CHECK(count_of(json.out, "\"fake\":false") == 0);
    }

    TEST_CASE("--fake on a state table from before the fake column adds it in the same run") {
        TempDir dir;
        write_standard_project(dir.path());
        execute_sql(dir / "app.db", "CREATE TABLE main.\"migrations\" ( -- strata state table v1\n"
                                    "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
                                    "    app_name TEXT NOT NULL,\n"
                                    "    name TEXT NOT NULL,\n"
                                    "    description TEXT NOT NULL,\n"
                                    "    checksum TEXT NOT NULL,\n"
                                    "    down_sql TEXT NOT NULL,\n"
                                    "    ran_on TEXT NOT NULL,\n"
                                    "    UNIQUE (app_name, name)\n"
                                    ")");
        auto real = run_strata({"forwards", "core", "1"}, in_dir(dir.path()));
        INFO("stderr: " << real.err);
        REQUIRE(real.exit_code == 0);
        CHECK(query_int(
                  dir / "app.db",
                  "SELECT count(*) FROM pragma_table_info('migrations') WHERE name = 'fake'") == 0);
        CHECK(run_strata({"check", "--json"}, in_dir(dir.path())).out.find("\"fake\":false") !=
              std::string::npos);
        auto fake = run_strata({"forwards", "--fake", "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << fake.err);
        CHECK(fake.exit_code == 0);
        CHECK(query_text(dir / "app.db", "SELECT group_concat(fake, ',') FROM (SELECT fake FROM "
                                         "migrations ORDER BY id)") == "0,1,1");
    }

    TEST_CASE("redo reverses the latest migration and applies its edited file again") {
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        write_file(dir / "migrations/core/0003_add_tags.up.sql",
                   "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT, colour TEXT);\n");
        const std::string colour_columns =
            "SELECT count(*) FROM pragma_table_info('tags') WHERE name = 'colour'";

        FileSnapshot before(dir / "app.db");
        auto preview = run_strata({"redo", "--preview"}, in_dir(dir.path()));
        CHECK(preview.exit_code == 0);
        CHECK(preview.out.find("DROP TABLE tags;") != std::string::npos);
        CHECK(preview.out.find("colour TEXT") != std::string::npos);
        CHECK(before.unchanged());

        auto r = run_strata({"redo", "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.ends_with("Redid core 0003 (add tags).\n"));
        CHECK(query_int(dir / "app.db", colour_columns) == 1);
        CHECK(migration_rows(dir / "app.db") ==
              Rows{{"core", "0001"}, {"core", "0002"}, {"core", "0003"}});
        // The new checksum is recorded: nothing is modified now.
        CHECK(run_strata({"check", "--exit-code"}, in_dir(dir.path())).exit_code == 0);
    }

    TEST_CASE("redo asks first, and refuses when stdin is no terminal without --yes") {
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(dir / "app.db");
        RunOptions opts = in_dir(dir.path());
        opts.env.emplace_back("NO_COLOR", "1");
        auto r = run_strata_in_terminal({"redo", "core"}, "n", opts);
        CHECK(r.exit_code == 1);
        // The question goes to the terminal (stderr), as every question does.
        CHECK(r.err.find("Reverse core 0003 (add tags) and apply it again? [y/N] ") !=
              std::string::npos);
        CHECK(before.unchanged());
        CHECK(run_strata({"redo"}, in_dir(dir.path())).exit_code != 0);
        CHECK(before.unchanged());
    }

    TEST_CASE("other tools' words point at strata's") {
        TempDir dir;
        auto r = run_strata({"rollback"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err == "strata: error: unknown command \"rollback\"\n"
                       "  hint: strata's command for that is \"backwards\" (or \"down\"); "
                       "`strata --help` lists the commands\n");
        auto dry = run_strata({"forwards", "--dry-run"}, in_dir(dir.path()));
        CHECK(dry.exit_code == 2);
        CHECK(dry.err.find("strata's option for that is --preview") != std::string::npos);
    }

    TEST_CASE("new continues a sequence, starts one with --seq, and never reuses an id") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back(users_notes_tags_app());
        project.apps.push_back({"fresh", {}, {}, {}});
        project.apps.push_back({"timed", {}, {}, {}});
        write_project(dir.path(), project);

        auto r = run_strata({"new", "core", "Add caf\xC3\xA9s"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(file_exists(dir / "migrations/core/0004_add_cafes.up.sql"));
        CHECK(file_exists(dir / "migrations/core/0004_add_cafes.down.sql"));

        CHECK(run_strata({"new", "fresh", "first", "--seq"}, in_dir(dir.path())).exit_code == 0);
        CHECK(run_strata({"new", "fresh", "second"}, in_dir(dir.path())).exit_code == 0);
        CHECK(names_in(dir / "migrations/fresh") ==
              std::vector<std::string>{"0001_first.down.sql", "0001_first.up.sql",
                                       "0002_second.down.sql", "0002_second.up.sql"});

        // Two in a row (usually within one second) get two ids, in order.
        CHECK(run_strata({"new", "timed", "one"}, in_dir(dir.path())).exit_code == 0);
        CHECK(run_strata({"new", "timed", "two"}, in_dir(dir.path())).exit_code == 0);
        const auto timed = names_in(dir / "migrations/timed");
        REQUIRE(timed.size() == 4);
        CHECK(timed[1].ends_with("_one.up.sql"));
        CHECK(timed[3].ends_with("_two.up.sql"));
        CHECK(timed[1].substr(0, 14) < timed[3].substr(0, 14));
        auto seq = run_strata({"new", "timed", "three", "--seq"}, in_dir(dir.path()));
        CHECK(seq.exit_code == 2);
        CHECK(names_in(dir / "migrations/timed").size() == 4);
    }
}
