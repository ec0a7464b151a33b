// SPDX-License-Identifier: MIT
// Edited, missing and out-of-order migrations, and the commands that resolve them (repair,
// clean), run as a real process on real SQLite files.
#include "strata/loader/loader.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

const std::string k_notes_up = "migrations/core/0002_create_notes.up.sql";
const std::string k_edited_notes =
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), "
    "body TEXT, pinned INTEGER);\n";

// The standard project (core 0001..0003) with `applied` migrations run.
void write_applied(const std::filesystem::path& root, const std::string& up_to = "0003") {
    write_standard_project(root);
    auto r = run_strata({"forwards", "core", up_to}, in_dir(root));
    INFO("setup stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
}

std::string recorded_checksum(const std::filesystem::path& db, const std::string& id) {
    return query_text(db, "SELECT checksum FROM migrations WHERE name = '" + id + "'");
}

std::string ran_on(const std::filesystem::path& db, const std::string& id) {
    return query_text(db, "SELECT ran_on FROM migrations WHERE name = '" + id + "'");
}

void remove_migration(const std::filesystem::path& root, const std::string& stem) {
    std::filesystem::remove(root / ("migrations/core/" + stem + ".up.sql"));
    std::filesystem::remove(root / ("migrations/core/" + stem + ".down.sql"));
}

// On a terminal strata may colour its output; NO_COLOR keeps the text plain for matching.
RunOptions terminal_in(const std::filesystem::path& dir) {
    RunOptions opts = in_dir(dir);
    opts.env.emplace_back("NO_COLOR", "1");
    return opts;
}

// 0001 and 0003 applied; 0002 (create notes) written afterwards, below 0003.
void write_out_of_order(const std::filesystem::path& root) {
    write_standard_project(root);
    remove_migration(root, "0002_create_notes");
    REQUIRE(run_strata({"forwards"}, in_dir(root)).exit_code == 0);
    write_standard_project(root); // the files of 0002 are back
}

} // namespace

TEST_SUITE("e2e_drift") {
    TEST_CASE("forwards refuses while an applied up file is edited, changing nothing") {
        TempDir dir;
        write_applied(dir.path(), "0002");
        auto db = dir / "app.db";
        const std::string old_sum = recorded_checksum(db, "0002");
        write_file(dir / k_notes_up, k_edited_notes);
        const std::string new_sum = strata::sha256_hex(k_edited_notes);
        FileSnapshot before(db);

        std::vector<std::string> args;
        SUBCASE("forwards") {
            args = {"forwards"};
        }
        SUBCASE("nothing pending for the app asked") {
            args = {"forwards", "core", "0001"};
        }
        SUBCASE("preview") {
            args = {"forwards", "--preview"};
        }
        CAPTURE(args.size());
        auto r = run_strata(args, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.out.empty());
        CHECK(r.err == "strata: error: applied migrations changed since they ran:\n"
                       "  core 0002 (create notes): " +
                           k_notes_up + " (checksum " + old_sum.substr(0, 8) +
                           "… when applied, now " + new_sum.substr(0, 8) +
                           "…)\n"
                           "  hint: to run the edited SQL, reverse the migration with `strata "
                           "backwards core` (its down file must undo what ran) and apply it "
                           "again with `strata forwards`; or restore the file as it was when it "
                           "ran; --allow-modified runs anyway\n");
        CHECK(before.unchanged());
    }

    TEST_CASE("an edit of an older applied migration is pointed at repair") {
        TempDir dir;
        write_applied(dir.path(), "0003");
        write_file(dir / k_notes_up, k_edited_notes);
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("  hint: restore the files as they were when they ran, or record an "
                         "intentional edit with `strata repair core`; --allow-modified runs "
                         "anyway\n") != std::string::npos);
        CHECK(r.err.find("backwards") == std::string::npos);
    }

    TEST_CASE("--allow-modified runs anyway and keeps the recorded checksum") {
        TempDir dir;
        write_applied(dir.path(), "0002");
        auto db = dir / "app.db";
        const std::string old_sum = recorded_checksum(db, "0002");
        write_file(dir / k_notes_up, k_edited_notes);

        auto r = run_strata({"forwards", "--allow-modified"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applying core 0003 (add tags) ... ok (") != std::string::npos);
        CHECK(recorded_checksum(db, "0002") == old_sum);
        CHECK(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 2); // still modified
    }

    TEST_CASE("an up file that only gained CRLF line endings is not modified") {
        TempDir dir;
        write_applied(dir.path(), "0002");
        auto path = dir / k_notes_up;
        std::string crlf;
        for (char c : read_file(path))
            crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
        write_file(path, crlf);

        auto r = run_strata({"check"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("modified") == std::string::npos);
        r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applied 1 migration.") != std::string::npos);
    }

    TEST_CASE("repair records the new checksum, printing old and new; forwards then proceeds") {
        TempDir dir;
        write_applied(dir.path(), "0002");
        auto db = dir / "app.db";
        const std::string old_sum = recorded_checksum(db, "0002");
        write_file(dir / k_notes_up, k_edited_notes);
        const std::string new_sum = strata::sha256_hex(k_edited_notes);
        const std::string when = ran_on(db, "0002");

        std::vector<std::string> args;
        SUBCASE("the whole app") {
            args = {"repair", "core"};
        }
        SUBCASE("one id") {
            args = {"repair", "core", "0002"};
        }
        SUBCASE("one full name") {
            args = {"repair", "core", "0002_create_notes"};
        }
        CAPTURE(args.size());
        auto r = run_strata(args, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out == "Repaired core 0002 (create notes): checksum " + old_sum.substr(0, 8) +
                           "… -> " + new_sum.substr(0, 8) + "…\n");
        CHECK(recorded_checksum(db, "0002") == new_sum);
        CHECK(ran_on(db, "0002") == when); // when it ran is history: unchanged
        CHECK(query_text(db, "SELECT count(*) FROM migrations") == "2");

        r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applied 1 migration.") != std::string::npos);
    }

    TEST_CASE("repair with nothing modified says so; an unknown id is an error") {
        TempDir dir;
        write_applied(dir.path(), "0002");
        FileSnapshot before(dir / "app.db");

        auto r = run_strata({"repair", "core"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "Nothing to repair: no applied migration of core was modified.\n");

        r = run_strata({"repair", "core", "0042"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "strata: error: app \"core\" has no migration \"0042\"\n"
                       "  hint: valid ids: 0001_create_users, 0002_create_notes, 0003_add_tags\n");

        r = run_strata({"repair", "core", "0003"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "strata: error: cannot repair core 0003 (add tags): it has not been "
                       "applied\n  hint: repair records a new checksum for an applied migration\n");
        CHECK(before.unchanged());
    }

    TEST_CASE("forwards refuses a pending migration older than the newest applied one") {
        TempDir dir;
        write_out_of_order(dir.path());
        auto db = dir / "app.db";
        FileSnapshot before(db);

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err ==
              "strata: error: pending migrations are older than the newest applied migration of "
              "their app:\n"
              "  core 0002 (create notes): " +
                  k_notes_up +
                  " (newest applied: 0003)\n"
                  "  hint: give them ids after the newest applied one (rename both files), or "
                  "apply them anyway with --out-of-order (out_of_order = \"allow\" in "
                  "strata.toml)\n");
        CHECK(before.unchanged());

        r = run_strata({"check"}, in_dir(dir.path()));
        CHECK(r.out.find("pending") != std::string::npos); // check reports, never refuses
    }

    TEST_CASE("out_of_order = \"allow\" or --out-of-order applies it") {
        TempDir dir;
        write_out_of_order(dir.path());
        auto db = dir / "app.db";

        std::vector<std::string> args{"forwards"};
        SUBCASE("strata.toml") {
            const std::string toml = read_file(dir / "strata.toml");
            write_file(dir / "strata.toml", "out_of_order = \"allow\"\n" + toml);
        }
        SUBCASE("command line") {
            args.push_back("--out-of-order");
        }
        auto r = run_strata(args, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applying core 0002 (create notes) ... ok (") != std::string::npos);
        CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0003"}, {"core", "0002"}});
    }

    TEST_CASE("forwards refuses while the database holds migrations this project lacks") {
        TempDir dir;
        write_applied(dir.path());
        auto db = dir / "app.db";
        const std::string when = ran_on(db, "0003");
        remove_migration(dir.path(), "0003_add_tags");
        FileSnapshot before(db);

        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err == "strata: error: the database has applied migrations that this project does "
                       "not have (a newer release may have applied them):\n"
                       "  core 0003 (add tags), applied " +
                           when +
                           "\n"
                           "  hint: `strata sync core` reverses them with the down SQL stored "
                           "when they ran; `strata clean core` forgets them and keeps their "
                           "changes\n");
        CHECK(before.unchanged());
    }

    TEST_CASE("clean: declined on a terminal changes nothing") {
        TempDir dir;
        write_applied(dir.path());
        auto db = dir / "app.db";
        const std::string when = ran_on(db, "0003");
        remove_migration(dir.path(), "0003_add_tags");
        FileSnapshot before(db);

        auto r = run_strata_in_terminal({"clean", "core"}, "n", terminal_in(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 1);
        // The question goes to the terminal (stderr); the outcome is the command's output.
        CHECK(r.err == "These applied migrations have no files; strata will forget them and keep "
                       "their changes in the database:\n"
                       "  core 0003 (add tags), applied " +
                           when +
                           "\n"
                           "Forget 1 migration? [y/N] ");
        CHECK(r.out == "Not proceeding.\n");
        CHECK(before.unchanged());
    }

    TEST_CASE("clean: accepted on a terminal, or --yes, forgets the rows and keeps the schema") {
        TempDir dir;
        write_applied(dir.path());
        auto db = dir / "app.db";
        remove_migration(dir.path(), "0003_add_tags");

        RunResult r;
        SUBCASE("terminal") {
            r = run_strata_in_terminal({"clean", "core"}, "y", terminal_in(dir.path()));
            CHECK(r.err.find("Forget 1 migration? [y/N] ") != std::string::npos);
        }
        SUBCASE("--yes") {
            r = run_strata({"clean", "core", "--yes"}, in_dir(dir.path()));
            CHECK(r.out.find("[y/N]") == std::string::npos);
            CHECK(r.err.find("[y/N]") == std::string::npos);
        }
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.ends_with("Forgot core 0003 (add tags)\nCleaned 1 migration.\n"));
        CHECK(migration_rows(db) == Rows{{"core", "0001"}, {"core", "0002"}});
        CHECK(has_table(db, "tags")); // clean runs no SQL of the migration

        r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "No migrations need to be run\n");
        r = run_strata({"clean", "core"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "Nothing to clean.\n");
    }

    TEST_CASE("clean without a terminal needs --yes") {
        TempDir dir;
        write_applied(dir.path());
        remove_migration(dir.path(), "0003_add_tags");
        FileSnapshot before(dir / "app.db");

        auto r = run_strata({"clean", "core"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("standard input is not a terminal") != std::string::npos);
        CHECK(r.err.find("--yes") != std::string::npos);
        CHECK(before.unchanged());
    }
}
