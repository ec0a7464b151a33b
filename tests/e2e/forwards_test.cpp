// SPDX-License-Identifier: MIT
// `strata forwards` run as a real process on real SQLite files.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <regex>

using namespace strata::test;

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

const Rows k_all_three = {{"core", "0001"}, {"core", "0002"}, {"core", "0003"}};

bool starts_with_error(const RunResult& r) {
    return r.err.rfind("strata: error: ", 0) == 0;
}

} // namespace

TEST_SUITE("e2e_forwards") {
    TEST_CASE("forwards applies every pending migration and records each one") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
        auto first = r.out.find("Applying core 0001 (create users) ... ok (");
        auto second = r.out.find("Applying core 0002 (create notes) ... ok (");
        auto third = r.out.find("Applying core 0003 (add tags) ... ok (");
        CHECK(first != std::string::npos);
        CHECK(second != std::string::npos);
        CHECK(third != std::string::npos);
        CHECK(first < second);
        CHECK(second < third);
        CHECK(r.out.find("Applied 3 migrations.") != std::string::npos);

        CHECK(table_names(db) == std::vector<std::string>{"migrations", "notes", "tags", "users"});
        CHECK(migration_rows(db) == k_all_three);
        CHECK(query_text(db, "SELECT description FROM migrations WHERE name = '0001'") ==
              "create users");
        CHECK(query_text(db, "SELECT description FROM migrations WHERE name = '0003'") ==
              "add tags");
        CHECK(query_text(db, "SELECT down_sql FROM migrations WHERE name = '0002'")
                  .find("DROP TABLE notes;") != std::string::npos);

        std::regex hex64("[0-9a-f]{64}");
        std::regex iso_ms(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
        for (const auto& row : query_rows(db, "SELECT checksum, ran_on FROM migrations")) {
            CAPTURE(row[0]);
            CAPTURE(row[1]);
            CHECK(std::regex_match(row[0], hex64));
            CHECK(std::regex_match(row[1], iso_ms));
        }
        // sha256("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n")
        CHECK(query_text(db, "SELECT checksum FROM migrations WHERE name = '0001'") ==
              "f202577af96fe5ff413f6456e176f80eb994ac7d349d89f8707fa32f79cef931");
    }

    TEST_CASE("the checksum ignores a UTF-8 BOM and CRLF line endings") {
        TempDir dir;
        ProjectSpec project;
        AppSpec app;
        app.name = "core";
        app.migrations = {{"0001", "create_users",
                           "\xEF\xBB\xBF"
                           "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\r\n",
                           "DROP TABLE users;\r\n"}};
        project.apps.push_back(app);
        write_project(dir.path(), project);

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(has_table(dir / "app.db", "users"));
        CHECK(query_text(dir / "app.db", "SELECT checksum FROM migrations") ==
              "f202577af96fe5ff413f6456e176f80eb994ac7d349d89f8707fa32f79cef931");
    }

    TEST_CASE("up is an alias of forwards") {
        TempDir dir;
        write_standard_project(dir.path());
        auto r = run_strata({"up"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applied 3 migrations.") != std::string::npos);
        CHECK(migration_rows(dir / "app.db") == k_all_three);
    }

    TEST_CASE("forwards APP 1 applies only the next pending migration") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";

        auto r = run_strata({"forwards", "core", "1"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applying core 0001 (create users) ... ok (") != std::string::npos);
        CHECK(r.out.find("0002") == std::string::npos);
        CHECK(r.out.find("Applied 1 migration.") != std::string::npos);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}});
        CHECK_FALSE(has_table(db, "notes"));

        r = run_strata({"forwards", "core", "1"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0002"}});
        CHECK(has_table(db, "notes"));
        CHECK_FALSE(has_table(db, "tags"));
    }

    TEST_CASE("forwards APP ID applies up to and including that id, by id or full name") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";

        auto r = run_strata({"forwards", "core", "0002"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applied 2 migrations.") != std::string::npos);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0002"}});
        CHECK_FALSE(has_table(db, "tags"));

        r = run_strata({"forwards", "core", "0003_add_tags"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applying core 0003 (add tags) ... ok (") != std::string::npos);
        CHECK(r.out.find("Applied 1 migration.") != std::string::npos);
        CHECK(migration_rows(db) == k_all_three);
    }

    TEST_CASE("forwards with an id that already ran says so and exits 0") {
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(dir / "app.db");

        auto r = run_strata({"forwards", "core", "0002"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Migration core 0002 has already run") != std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("forwards with an unknown id lists the valid ids, exits 1 and changes nothing") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";

        SUBCASE("no database yet: it is not created") {
            auto r = run_strata({"forwards", "core", "0009"}, in_dir(dir.path()));
            INFO("stdout: " << r.out);
            CHECK(r.exit_code == 1);
            CHECK(starts_with_error(r));
            CHECK(r.err.find("0009") != std::string::npos);
            CHECK(r.err.find("0001") != std::string::npos);
            CHECK(r.err.find("0002") != std::string::npos);
            CHECK(r.err.find("0003") != std::string::npos);
            CHECK_FALSE(file_exists(db));
        }
        SUBCASE("half-migrated database: byte-identical afterwards") {
            REQUIRE(run_strata({"forwards", "core", "1"}, in_dir(dir.path())).exit_code == 0);
            FileSnapshot before(db);
            auto r = run_strata({"forwards", "core", "0009_nothing"}, in_dir(dir.path()));
            CHECK(r.exit_code == 1);
            CHECK(starts_with_error(r));
            CHECK(r.err.find("0003") != std::string::npos);
            CHECK(before.unchanged());
        }
    }

    TEST_CASE("forwards with an unknown app is a usage error") {
        TempDir dir;
        write_standard_project(dir.path());
        auto r = run_strata({"forwards", "nosuch"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(starts_with_error(r));
        CHECK(r.err.find("nosuch") != std::string::npos);
        CHECK_FALSE(file_exists(dir / "app.db"));
    }

    TEST_CASE("forwards with nothing pending says so and exits 0") {
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(dir / "app.db");

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("No migrations need to be run") != std::string::npos);
        CHECK(r.out.find("Applying") == std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("forwards --preview prints the SQL and changes nothing") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";

        SUBCASE("missing database: not created") {
            auto r = run_strata({"forwards", "--preview"}, in_dir(dir.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("-- core 0001 (create users): "
                             "migrations/core/0001_create_users.up.sql\n") != std::string::npos);
            CHECK(r.out.find("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);") !=
                  std::string::npos);
            CHECK(r.out.find("-- core 0003 (add tags): migrations/core/0003_add_tags.up.sql\n") !=
                  std::string::npos);
            CHECK(r.out.find("CREATE TABLE tags") != std::string::npos);
            CHECK_FALSE(file_exists(db));
        }
        SUBCASE("existing database without a state table: byte-identical, no state table") {
            execute_sql(db, "CREATE TABLE legacy (x); INSERT INTO legacy VALUES (1);");
            FileSnapshot before(db);
            auto r = run_strata({"forwards", "--preview"}, in_dir(dir.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("CREATE TABLE notes") != std::string::npos);
            CHECK(before.unchanged());
            CHECK(table_names(db) == std::vector<std::string>{"legacy"});
        }
        SUBCASE("half-migrated database: only pending steps, byte-identical") {
            REQUIRE(run_strata({"forwards", "core", "1"}, in_dir(dir.path())).exit_code == 0);
            FileSnapshot before(db);
            auto r = run_strata({"forwards", "--preview"}, in_dir(dir.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("0001_create_users.up.sql") == std::string::npos);
            CHECK(r.out.find("-- core 0002 (create notes): "
                             "migrations/core/0002_create_notes.up.sql\n") != std::string::npos);
            CHECK(before.unchanged());
            CHECK(migration_rows(db) == Rows{{"core", "0001"}});
        }
    }

    TEST_CASE("forwards --fake records migrations without running them") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";

        auto r = run_strata({"forwards", "core", "1", "--fake"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}});
        CHECK_FALSE(has_table(db, "users"));

        SUBCASE("more than one without --yes on a non-terminal stdin is refused") {
            FileSnapshot before(db);
            r = run_strata({"forwards", "--fake"}, in_dir(dir.path()));
            CHECK(r.exit_code == 1);
            CHECK(starts_with_error(r));
            CHECK(r.err.find("standard input is not a terminal") != std::string::npos);
            CHECK(r.err.find("--yes") != std::string::npos);
            CHECK(before.unchanged());
        }
        SUBCASE("with --yes every pending one is recorded, none is run") {
            r = run_strata({"forwards", "--fake", "--yes"}, in_dir(dir.path()));
            CHECK(r.exit_code == 0);
            CHECK(migration_rows(db) == k_all_three);
            CHECK(table_names(db) == std::vector<std::string>{"migrations"});
        }
    }

    TEST_CASE("a failing statement rolls back its migration and leaves earlier ones applied") {
        TempDir dir;
        ProjectSpec project;
        AppSpec app = users_notes_tags_app();
        // The third statement fails; it starts on line 5 of the file.
        app.migrations[2].slug = "broken";
        app.migrations[2].up = "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n"
                               "INSERT INTO tags VALUES (1);\n"
                               "-- the next statement names a table that does not exist\n"
                               "\n"
                               "INSERT INTO\n  nonexistent VALUES (1);\n"
                               "CREATE TABLE after_failure (x);\n";
        project.apps.push_back(app);
        write_project(dir.path(), project);
        auto db = dir / "app.db";

        SUBCASE("the database is byte-identical to before the failing migration") {
            REQUIRE(run_strata({"forwards", "core", "0002"}, in_dir(dir.path())).exit_code == 0);
            FileSnapshot before(db);
            auto r = run_strata({"forwards"}, in_dir(dir.path()));
            INFO("stdout: " << r.out);
            CHECK(r.exit_code == 1);
            CHECK(starts_with_error(r));
            CHECK(r.err.find("0003_broken.up.sql:5") != std::string::npos);
            CHECK(r.err.find("no such table: nonexistent") != std::string::npos);
            CHECK(before.unchanged());
        }
        SUBCASE("earlier migrations of the same run stay applied") {
            auto r = run_strata({"forwards"}, in_dir(dir.path()));
            INFO("stdout: " << r.out);
            CHECK(r.exit_code == 1);
            CHECK(r.err.find("0003_broken.up.sql:5") != std::string::npos);
            CHECK(r.out.find("Applying core 0001 (create users) ... ok (") != std::string::npos);
            CHECK(r.out.find("Applying core 0002 (create notes) ... ok (") != std::string::npos);
            CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0002"}});
            CHECK(table_names(db) == std::vector<std::string>{"migrations", "notes", "users"});
        }
    }

    TEST_CASE("triggers with BEGIN...END and semicolons inside strings run as written") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back({"core",
                                {{"0001", "log_items",
                                  "CREATE TABLE log (msg TEXT);\n"
                                  "CREATE TABLE items (name TEXT);\n"
                                  "CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN\n"
                                  "  INSERT INTO log VALUES ('inserted; ' || new.name);\n"
                                  "  INSERT INTO log VALUES ('END;');\n"
                                  "END;\n"
                                  "INSERT INTO items VALUES ('a;b');\n",
                                  "DROP TRIGGER items_ai;\nDROP TABLE items;\nDROP TABLE log;\n"}},
                                {},
                                {}});
        write_project(dir.path(), project);
        auto db = dir / "app.db";

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(query_text(db, "SELECT name FROM items") == "a;b");
        CHECK(query_rows(db, "SELECT msg FROM log ORDER BY rowid") ==
              std::vector<std::vector<std::string>>{{"inserted; a;b"}, {"END;"}});
        CHECK(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'") == 1);
    }

    TEST_CASE("migrations are ordered by the numeric value of their id") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back(
            {"core",
             {{"10", "second", "INSERT INTO t VALUES (10);\n", "DELETE FROM t WHERE x = 10;\n"},
              {"9", "first", "CREATE TABLE t (x);\n", "DROP TABLE t;\n"}},
             {},
             {}});
        write_project(dir.path(), project);
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(dir / "app.db") == Rows{{"core", "9"}, {"core", "10"}});
    }

    TEST_CASE("-C, -p, --database and STRATA_DATABASE choose the project and the database") {
        TempDir dir;
        TempDir elsewhere;
        auto root = dir / "project";
        write_standard_project(root);

        SUBCASE("-C DIR before the command") {
            auto r = run_strata({"-C", root.string(), "forwards"}, in_dir(elsewhere.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(migration_rows(root / "app.db") == k_all_three);
            CHECK_FALSE(file_exists(elsewhere / "app.db"));
        }
        SUBCASE("-C DIR after the command") {
            auto r = run_strata({"forwards", "-C", root.string()}, in_dir(elsewhere.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(migration_rows(root / "app.db") == k_all_three);
        }
        SUBCASE("-p FILE: the database is relative to the project file's folder") {
            auto r = run_strata({"-p", (root / "strata.toml").string(), "forwards"},
                                in_dir(elsewhere.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(migration_rows(root / "app.db") == k_all_three);
            CHECK_FALSE(file_exists(elsewhere / "app.db"));
        }
        SUBCASE("--project FILE with another file name") {
            std::filesystem::rename(root / "strata.toml", root / "other.toml");
            auto r = run_strata({"--project", (root / "other.toml").string(), "forwards"},
                                in_dir(elsewhere.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(migration_rows(root / "app.db") == k_all_three);
        }
        SUBCASE("--database PATH overrides the project file") {
            auto custom = elsewhere / "custom.db";
            auto r = run_strata({"--database", custom.string(), "forwards"}, in_dir(root));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(migration_rows(custom) == k_all_three);
            CHECK_FALSE(file_exists(root / "app.db"));
        }
        SUBCASE("STRATA_DATABASE overrides the project file") {
            auto from_env = elsewhere / "env.db";
            RunOptions opts = in_dir(root);
            opts.env.emplace_back("STRATA_DATABASE", from_env.string());
            auto r = run_strata({"forwards"}, opts);
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(migration_rows(from_env) == k_all_three);
            CHECK_FALSE(file_exists(root / "app.db"));
        }
        SUBCASE("-C DIR with a relative --database and -p: both are seen from DIR") {
            std::filesystem::rename(root / "strata.toml", root / "other.toml");
            auto r = run_strata(
                {"-C", "project", "-p", "other.toml", "--database", "rel.db", "forwards"},
                in_dir(dir.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(migration_rows(root / "rel.db") == k_all_three);
            CHECK_FALSE(file_exists(dir / "rel.db"));
        }
        SUBCASE("-C DIR with a relative STRATA_DATABASE: seen from DIR") {
            RunOptions opts = in_dir(dir.path());
            opts.env.emplace_back("STRATA_DATABASE", "env.db");
            auto r = run_strata({"-C", "project", "forwards"}, opts);
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(migration_rows(root / "env.db") == k_all_three);
            CHECK_FALSE(file_exists(dir / "env.db"));
        }
    }

    TEST_CASE("forwards all applies apps in dependency order") {
        TempDir dir;
        ProjectSpec project;
        // billing is listed first but depends on core; its migration reads core's table.
        AppSpec billing{"billing",
                        {{"0001", "create_invoices",
                          "CREATE TABLE invoices AS SELECT id AS user_id FROM users;\n",
                          "DROP TABLE invoices;\n"}},
                        {"core"},
                        {}};
        project.apps.push_back(billing);
        project.apps.push_back(users_notes_tags_app());
        write_project(dir.path(), project);
        auto db = dir / "app.db";

        auto r = run_strata({"forwards", "all"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        auto core_last = r.out.find("Applying core 0003 (add tags)");
        auto billing_first = r.out.find("Applying billing 0001 (create invoices)");
        CHECK(core_last != std::string::npos);
        CHECK(billing_first != std::string::npos);
        CHECK(core_last < billing_first);
        CHECK(r.out.find("Applied 4 migrations.") != std::string::npos);
        CHECK(migration_rows(db) ==
              Rows{{"core", "0001"}, {"core", "0002"}, {"core", "0003"}, {"billing", "0001"}});
        CHECK(has_table(db, "invoices"));
    }

    TEST_CASE("a run with nothing pending reads no down file; reversing names an unreadable one") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        // Every down file becomes a dangling link: no one can read it, whoever runs the test
        // (root reads a chmod 000 file).
        const auto folder = dir / "migrations/core";
        for (const char* name : {"0001_create_users.down.sql", "0002_create_notes.down.sql",
                                 "0003_add_tags.down.sql"}) {
            std::filesystem::remove(folder / name);
            std::filesystem::create_symlink(dir / "gone.sql", folder / name);
        }

        auto noop = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << noop.err);
        CHECK(noop.exit_code == 0);
        CHECK(noop.out.find("No migrations need to be run") != std::string::npos);
        auto check = run_strata({"check", "--exit-code"}, in_dir(dir.path()));
        INFO("stderr: " << check.err);
        CHECK(check.exit_code == 0);

        auto back = run_strata({"backwards", "core", "--yes"}, in_dir(dir.path()));
        CHECK(back.exit_code == 2);
        CHECK(back.err == "strata: error: migrations/core/0003_add_tags.down.sql"
                          ": cannot read migration file: No such file or directory\n");
        CHECK(migration_rows(db) == k_all_three);
    }

    TEST_CASE("forwards and check read the down file of a pending migration before anything runs") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";
        const auto down = dir / "migrations/core/0003_add_tags.down.sql";
        write_file(down, "DROP TABLE tags; -- \xC3\n");
        const std::string expected = "strata: error: migrations/core/0003_add_tags.down.sql"
                                     ":1:21: file is not valid UTF-8 (byte 0xC3)\n  hint: save "
                                     "the file as UTF-8 text\n";

        auto check = run_strata({"check"}, in_dir(dir.path()));
        CHECK(check.exit_code == 2);
        CHECK(check.err == expected);
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err == expected);
        CHECK_FALSE(std::filesystem::exists(db));
    }

    TEST_CASE("a migration file's error comes before the database's, though both are read at "
              "once") {
        // The files are read on a second thread while the database is opened: what the user
        // is told first must not depend on which finished first.
        TempDir dir;
        write_standard_project(dir.path());
        write_file(dir / "app.db", "this is not a SQLite database, not even close to one");
        std::filesystem::remove(dir / "migrations" / "core" / "0003_add_tags.down.sql");
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err.rfind("strata: error: migrations/core/0003_add_tags.up.sql: ", 0) == 0);

        // With the files whole, the database's own error is reported.
        write_file(dir / "migrations" / "core" / "0003_add_tags.down.sql", "DROP TABLE tags;\n");
        r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code != 0);
        CHECK(r.exit_code != 2);
        CHECK(r.err.find("not a database") != std::string::npos);
    }
}
