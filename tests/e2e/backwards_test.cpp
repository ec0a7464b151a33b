// SPDX-License-Identifier: MIT
// `strata backwards` run as a real process, including its prompt on a pseudo-terminal.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

const Rows k_all_three = {{"core", "0001"}, {"core", "0002"}, {"core", "0003"}};

// A standard project with all three migrations applied.
void write_applied_project(const std::filesystem::path& root) {
    write_standard_project(root);
    auto r = run_strata({"forwards"}, in_dir(root));
    INFO("setup stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(migration_rows(root / "app.db") == k_all_three);
}

// Two apps migrated in turns: core 0001 and 0002, then billing 0001 (which depends on core),
// then core 0003. By run order the newest is core 0003, then billing 0001.
void write_interleaved_project(const std::filesystem::path& root) {
    ProjectSpec project;
    AppSpec core = users_notes_tags_app();
    const MigrationSpec tags = core.migrations.back();
    core.migrations.pop_back();
    project.apps.push_back(core);
    project.apps.push_back({"billing",
                            {{"0001", "create_invoices",
                              "CREATE TABLE invoices (user_id INTEGER REFERENCES users (id));\n",
                              "DROP TABLE invoices;\n"}},
                            {"core"},
                            {}});
    write_project(root, project);
    REQUIRE(run_strata({"forwards"}, in_dir(root)).exit_code == 0);
    write_migration(root / "migrations/core", tags);
    REQUIRE(run_strata({"forwards"}, in_dir(root)).exit_code == 0);
    REQUIRE(migration_rows(root / "app.db") ==
            Rows{{"core", "0001"}, {"core", "0002"}, {"billing", "0001"}, {"core", "0003"}});
}

// On a terminal strata may colour its output; NO_COLOR keeps the text plain for matching.
RunOptions terminal_in(const std::filesystem::path& dir) {
    RunOptions opts = in_dir(dir);
    opts.env.emplace_back("NO_COLOR", "1");
    return opts;
}

} // namespace

TEST_SUITE("e2e_backwards") {
    TEST_CASE("a declined prompt on a terminal changes nothing") {
        TempDir dir;
        write_applied_project(dir.path());
        FileSnapshot before(dir / "app.db");

        std::string answer;
        SUBCASE("n") {
            answer = "n";
        }
        SUBCASE("empty line") {
            answer = "";
        }
        SUBCASE("something else") {
            answer = "sure";
        }
        CAPTURE(answer);
        auto r = run_strata_in_terminal({"backwards", "core"}, answer, terminal_in(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("  core 0003 (add tags)") != std::string::npos);
        CHECK(r.err.find("Reverse 1 migration? [y/N] ") != std::string::npos);
        CHECK(r.out.find("Not proceeding.") != std::string::npos);
        CHECK(r.out.find("Reversing") == std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("an accepted prompt on a terminal reverses the most recent migration") {
        TempDir dir;
        write_applied_project(dir.path());
        auto db = dir / "app.db";

        std::string answer;
        SUBCASE("y") {
            answer = "y";
        }
        SUBCASE("YES") {
            answer = "YES";
        }
        SUBCASE("Yes") {
            answer = "Yes";
        }
        CAPTURE(answer);
        auto r = run_strata_in_terminal({"backwards", "core"}, answer, terminal_in(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        // The plan and its question on the terminal (stderr), the work on the output.
        auto listed = r.err.find("  core 0003 (add tags)");
        auto asked = r.err.find("Reverse 1 migration? [y/N] ");
        CHECK(listed != std::string::npos);
        CHECK(asked != std::string::npos);
        CHECK(listed < asked);
        CHECK(r.out.starts_with("Reversing core 0003 (add tags) ... ok ("));
        CHECK(r.out.find("Reversed 1 migration.") != std::string::npos);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0002"}});
        CHECK_FALSE(has_table(db, "tags"));
        CHECK(has_table(db, "notes"));
    }

    TEST_CASE("without a terminal and without --yes, backwards refuses and changes nothing") {
        TempDir dir;
        write_applied_project(dir.path());
        FileSnapshot before(dir / "app.db");

        RunOptions opts = in_dir(dir.path());
        SUBCASE("stdin is /dev/null") {}
        SUBCASE("stdin is a pipe that says yes") {
            opts.stdin_text = "y\n";
        }
        auto r = run_strata({"backwards", "core"}, opts);
        CHECK(r.exit_code == 1);
        // Nothing can be asked, so the error is the first thing on stderr; the plan it refused
        // is on stdout, as with --yes.
        CHECK(r.err.rfind("strata: error: ", 0) == 0);
        CHECK(r.out.find("  core 0003 (add tags)\n") != std::string::npos);
        CHECK(r.err.find("standard input is not a terminal") != std::string::npos);
        CHECK(r.err.find("--yes") != std::string::npos);
        CHECK(r.out.find("Reversing") == std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("--yes and its aliases reverse the most recent migration without asking") {
        TempDir dir;
        write_applied_project(dir.path());
        auto db = dir / "app.db";

        std::string flag;
        SUBCASE("--yes") {
            flag = "--yes";
        }
        SUBCASE("-y") {
            flag = "-y";
        }
        SUBCASE("--auto-agree") {
            flag = "--auto-agree";
        }
        CAPTURE(flag);
        auto r = run_strata({"backwards", "core", flag}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("[y/N]") == std::string::npos);
        CHECK(r.out.find("Reversing core 0003 (add tags) ... ok (") != std::string::npos);
        CHECK(r.out.find("Reversed 1 migration.") != std::string::npos);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0002"}});
        CHECK_FALSE(has_table(db, "tags"));
    }

    TEST_CASE("down is an alias of backwards") {
        TempDir dir;
        write_applied_project(dir.path());
        auto r = run_strata({"down", "core", "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(dir / "app.db") == Rows{{"core", "0001"}, {"core", "0002"}});
    }

    TEST_CASE("backwards APP all reverses every applied migration, newest first") {
        TempDir dir;
        write_applied_project(dir.path());
        auto db = dir / "app.db";

        auto r = run_strata({"backwards", "core", "all", "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        auto third = r.out.find("Reversing core 0003 (add tags) ... ok (");
        auto second = r.out.find("Reversing core 0002 (create notes) ... ok (");
        auto first = r.out.find("Reversing core 0001 (create users) ... ok (");
        CHECK(third != std::string::npos);
        CHECK(second != std::string::npos);
        CHECK(first != std::string::npos);
        CHECK(third < second);
        CHECK(second < first);
        CHECK(r.out.find("Reversed 3 migrations.") != std::string::npos);
        CHECK(migration_rows(db).empty());
        CHECK_FALSE(has_table(db, "users"));
        CHECK_FALSE(has_table(db, "notes"));
        CHECK_FALSE(has_table(db, "tags"));
    }

    TEST_CASE("backwards APP ID reverses that migration and everything applied after it") {
        TempDir dir;
        write_applied_project(dir.path());
        auto db = dir / "app.db";

        std::string id;
        SUBCASE("by id") {
            id = "0002";
        }
        SUBCASE("by full name") {
            id = "0002_create_notes";
        }
        CAPTURE(id);
        auto r = run_strata({"backwards", "core", id, "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        auto third = r.out.find("Reversing core 0003 (add tags)");
        auto second = r.out.find("Reversing core 0002 (create notes)");
        CHECK(third != std::string::npos);
        CHECK(second != std::string::npos);
        CHECK(third < second);
        CHECK(r.out.find("Reversing core 0001") == std::string::npos);
        CHECK(r.out.find("Reversed 2 migrations.") != std::string::npos);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}});
        CHECK(has_table(db, "users"));
        CHECK_FALSE(has_table(db, "notes"));
    }

    TEST_CASE("backwards --steps N reverses the N most recent") {
        TempDir dir;
        write_applied_project(dir.path());
        auto db = dir / "app.db";

        auto r = run_strata({"backwards", "core", "--steps", "2", "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Reversed 2 migrations.") != std::string::npos);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}});
        CHECK_FALSE(has_table(db, "notes"));
        CHECK_FALSE(has_table(db, "tags"));
    }

    TEST_CASE("backwards with an unknown id names the applied ids, exits 1, changes nothing") {
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards", "core", "0002"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(dir / "app.db");

        auto r = run_strata({"backwards", "core", "0009", "--yes"}, in_dir(dir.path()));
        INFO("stdout: " << r.out);
        CHECK(r.exit_code == 1);
        CHECK(r.err.rfind("strata: error: ", 0) == 0);
        CHECK(r.err.find("0009") != std::string::npos);
        CHECK(r.err.find("0001") != std::string::npos);
        CHECK(r.err.find("0002") != std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("backwards with nothing applied says so and exits 0") {
        TempDir dir;
        write_standard_project(dir.path());

        SUBCASE("everything already reversed") {
            REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
            REQUIRE(
                run_strata({"backwards", "core", "all", "--yes"}, in_dir(dir.path())).exit_code ==
                0);
            FileSnapshot before(dir / "app.db");
            auto r = run_strata({"backwards", "core", "--yes"}, in_dir(dir.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("No migrations to reverse!") != std::string::npos);
            CHECK(before.unchanged());
        }
        SUBCASE("no database yet, with --yes") {
            auto r = run_strata({"backwards", "core", "--yes"}, in_dir(dir.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("No migrations to reverse!") != std::string::npos);
        }
        SUBCASE("without --yes: there is nothing to confirm") {
            auto r = run_strata({"backwards", "all"}, in_dir(dir.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("No migrations to reverse!") != std::string::npos);
        }
    }

    TEST_CASE("backwards --preview prints the down SQL and changes nothing") {
        TempDir dir;
        write_applied_project(dir.path());
        FileSnapshot before(dir / "app.db");

        auto r = run_strata({"backwards", "core", "all", "--preview"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        auto tags = r.out.find("DROP TABLE tags;");
        auto notes = r.out.find("DROP TABLE notes;");
        auto users = r.out.find("DROP TABLE users;");
        CHECK(tags != std::string::npos);
        CHECK(notes != std::string::npos);
        CHECK(users != std::string::npos);
        CHECK(tags < notes);
        CHECK(notes < users);
        CHECK(r.out.find("Reversing") == std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("backwards --clean deletes the reversed migrations' files") {
        TempDir dir;
        write_applied_project(dir.path());
        auto folder = dir / "migrations/core";

        auto r = run_strata({"backwards", "core", "--yes", "--clean"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(dir / "app.db") == Rows{{"core", "0001"}, {"core", "0002"}});
        CHECK_FALSE(file_exists(folder / "0003_add_tags.up.sql"));
        CHECK_FALSE(file_exists(folder / "0003_add_tags.down.sql"));
        CHECK(file_exists(folder / "0002_create_notes.up.sql"));
        CHECK(file_exists(folder / "0002_create_notes.down.sql"));
        CHECK(file_exists(folder / "0001_create_users.up.sql"));
    }

    TEST_CASE("backwards all reverses every app, in reverse dependency order, asking once") {
        TempDir dir;
        ProjectSpec project;
        // billing is listed first but depends on core; its down step needs core's table.
        project.apps.push_back({"billing",
                                {{"0001", "seed_billing",
                                  "INSERT INTO users (name) VALUES ('billing');\n"
                                  "CREATE TABLE invoices (user_id INTEGER);\n",
                                  "DROP TABLE invoices;\n"
                                  "DELETE FROM users WHERE name = 'billing';\n"}},
                                {"core"},
                                {}});
        project.apps.push_back(users_notes_tags_app());
        write_project(dir.path(), project);
        auto db = dir / "app.db";
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        REQUIRE(migration_rows(db).size() == 4);

        auto check_reversed_in_order = [&](const RunResult& r) {
            INFO("stdout: " << r.out);
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            auto billing = r.out.find("Reversing billing 0001 (seed billing) ... ok (");
            auto core = r.out.find("Reversing core 0003 (add tags) ... ok (");
            auto core_first = r.out.find("Reversing core 0001 (create users) ... ok (");
            CHECK(billing != std::string::npos);
            CHECK(core != std::string::npos);
            CHECK(core_first != std::string::npos);
            CHECK(billing < core);
            CHECK(core < core_first);
            CHECK(r.out.find("Reversed 4 migrations.") != std::string::npos);
            CHECK(migration_rows(db).empty());
            CHECK(table_names(db) == std::vector<std::string>{"migrations"});
        };
        SUBCASE("with --yes") {
            check_reversed_in_order(run_strata({"backwards", "all", "--yes"}, in_dir(dir.path())));
        }
        SUBCASE("one confirmation for the whole plan") {
            auto r = run_strata_in_terminal({"backwards", "all"}, "y", terminal_in(dir.path()));
            CHECK(count_of(r.err, "[y/N]") == 1);
            CHECK(r.err.find("Reverse 4 migrations? [y/N] ") != std::string::npos);
            CHECK(r.err.find("  billing 0001 (seed billing)") != std::string::npos);
            CHECK(r.err.find("  core 0001 (create users)") != std::string::npos);
            check_reversed_in_order(r);
        }
    }

    TEST_CASE("reversal uses the stored down SQL when the migration files are gone") {
        TempDir dir;
        write_applied_project(dir.path());
        auto db = dir / "app.db";
        auto folder = dir / "migrations/core";
        for (const auto& entry : std::filesystem::directory_iterator(folder))
            std::filesystem::remove(entry.path());
        REQUIRE(std::filesystem::is_empty(folder));

        auto r = run_strata({"backwards", "core", "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Reversing core 0003 (add tags) ... ok (") != std::string::npos);
        CHECK_FALSE(has_table(db, "tags"));
        CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0002"}});

        r = run_strata({"backwards", "core", "all", "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(db).empty());
        CHECK(table_names(db) == std::vector<std::string>{"migrations"});
    }
    TEST_CASE("backwards all --steps N reverses the N most recent across apps, by run order") {
        TempDir dir;
        write_interleaved_project(dir.path());
        auto db = dir / "app.db";
        auto r = run_strata({"backwards", "all", "--steps", "2", "--clean", "--yes"},
                            in_dir(dir.path()));
        INFO("stdout: " << r.out);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        const auto tags = r.out.find("Reversing core 0003 (add tags) ... ok (");
        const auto invoices = r.out.find("Reversing billing 0001 (create invoices) ... ok (");
        CHECK(tags != std::string::npos);
        CHECK(invoices != std::string::npos);
        CHECK(tags < invoices);
        CHECK(r.out.find("Reversed 2 migrations.") != std::string::npos);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0002"}});
        CHECK(has_table(db, "notes"));
        CHECK_FALSE(has_table(db, "invoices"));
        // --clean deletes the files of the reversed migrations, and only those.
        CHECK_FALSE(file_exists(dir / "migrations/core/0003_add_tags.up.sql"));
        CHECK_FALSE(file_exists(dir / "migrations/core/0003_add_tags.down.sql"));
        CHECK_FALSE(file_exists(dir / "migrations/billing/0001_create_invoices.up.sql"));
        CHECK_FALSE(file_exists(dir / "migrations/billing/0001_create_invoices.down.sql"));
        CHECK(file_exists(dir / "migrations/core/0002_create_notes.up.sql"));
        CHECK(file_exists(dir / "migrations/core/0002_create_notes.down.sql"));
        CHECK(file_exists(dir / "migrations/core/0001_create_users.up.sql"));
    }

    TEST_CASE("backwards all --steps 1 --clean reverses and deletes only the most recent") {
        TempDir dir;
        write_interleaved_project(dir.path());
        auto r = run_strata({"backwards", "all", "--steps", "1", "--clean", "--yes"},
                            in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Reversed 1 migration.") != std::string::npos);
        CHECK(migration_rows(dir / "app.db") ==
              Rows{{"core", "0001"}, {"core", "0002"}, {"billing", "0001"}});
        CHECK(count_of(r.out, "Removed ") == 2);
        CHECK_FALSE(file_exists(dir / "migrations/core/0003_add_tags.up.sql"));
        CHECK(file_exists(dir / "migrations/billing/0001_create_invoices.up.sql"));
        CHECK(file_exists(dir / "migrations/core/0002_create_notes.up.sql"));
    }

    TEST_CASE("backwards all 1 reverses the one most recently applied migration of any app") {
        TempDir dir;
        write_interleaved_project(dir.path());
        auto db = dir / "app.db";
        auto r = run_strata_in_terminal({"backwards", "all", "1"}, "y", terminal_in(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.err.find("  core 0003 (add tags)\nReverse 1 migration? [y/N] ") !=
              std::string::npos);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0002"}, {"billing", "0001"}});

        // The next most recent is billing's, although core comes later in dependency order.
        r = run_strata({"backwards", "all", "1", "--yes"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Reversing billing 0001 (create invoices) ... ok (") != std::string::npos);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0002"}});
    }

    TEST_CASE("backwards all with a migration id is refused: an id belongs to one app") {
        TempDir dir;
        write_interleaved_project(dir.path());
        FileSnapshot before(dir / "app.db");
        for (const char* id : {"0002", "0001_create_invoices"}) {
            CAPTURE(id);
            auto r = run_strata({"backwards", "all", id, "--clean", "--yes"}, in_dir(dir.path()));
            CHECK(r.exit_code == 2);
            CHECK(r.err.find(std::string("a migration id needs an app: ") + id) !=
                  std::string::npos);
            CHECK(r.err.find(std::string("`strata backwards APP ") + id + "`") !=
                  std::string::npos);
            CHECK(r.out.find("Reversing") == std::string::npos);
            CHECK(before.unchanged());
            CHECK(file_exists(dir / "migrations/core/0003_add_tags.up.sql"));
        }
    }
}
