// SPDX-License-Identifier: MIT
// Trust boundaries, run as a real process: what is read back from the database is untrusted
// input, nothing strata runs writes outside the database, and nothing a migration sets
// outlives it (docs/security.md).
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

// The standard project (0001 to 0003), all applied.
void write_applied(const std::filesystem::path& root) {
    write_standard_project(root);
    auto r = run_strata({"forwards"}, in_dir(root));
    INFO("setup stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
}

// Plants a state row for migration 0009 of core, which has no files, with `down_sql` as its
// stored down SQL: what anyone who can write the database file can do.
void plant_row(const std::filesystem::path& db, const std::string& down_sql_expression) {
    execute_sql(db, "INSERT INTO migrations (app_name, name, description, checksum, down_sql, "
                    "ran_on) VALUES ('core', '0009', 'planted', 'x', " +
                        down_sql_expression + ", '2024-01-01T00:00:00Z')");
}

// A single-quoted SQL literal of `text` (test setup only).
std::string literal(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        out += c;
        if (c == '\'')
            out += '\'';
    }
    return out + "'";
}

// The standard project with 0001 applied and `up` as the up SQL of a pending 0004.
void write_with_pending(const std::filesystem::path& root, const std::string& up) {
    ProjectSpec project;
    project.apps.push_back(users_notes_tags_app());
    project.apps[0].migrations.resize(1);
    write_project(root, project);
    REQUIRE(run_strata({"forwards"}, in_dir(root)).exit_code == 0);
    write_migration(root / "migrations/core", {"0004", "hostile", up, "SELECT 1;\n"});
}

const char* k_up4 = "migrations/core/0004_hostile.up.sql";

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
}

} // namespace

TEST_SUITE("e2e_untrusted") {
    TEST_CASE("stored down SQL with an after-commit VACUUM INTO: sync and backwards refuse, "
              "writing no file and changing nothing") {
        TempDir dir;
        write_applied(dir.path());
        const auto db = dir / "app.db";
        const auto target = dir / "stolen.db";
        plant_row(db, literal("SELECT 1;\n-- strata:after-commit\nVACUUM INTO '" + target.string() +
                              "';\n"));
        FileSnapshot before(db);
        for (std::vector<std::string> args :
             {std::vector<std::string>{"sync", "--yes"}, {"backwards", "core", "--yes"}}) {
            CAPTURE(args[0]);
            auto r = run_strata(args, in_dir(dir.path()));
            CHECK(r.exit_code == 1);
            CHECK(starts_with(r.err, "strata: error: core/0009 (stored down SQL):2:1: reversing "
                                     "core 0009 (planted) refused: the down SQL stored in the "
                                     "database has an after-commit section"));
            CHECK_FALSE(file_exists(target));
            CHECK(before.unchanged());
        }
    }

    TEST_CASE("stored down SQL passes the guard migration files pass") {
        TempDir dir;
        write_applied(dir.path());
        const auto db = dir / "app.db";
        std::string planted;
        std::string expected;
        SUBCASE("fts3_tokenizer with a pointer: refused, no crash") {
            planted = literal("SELECT 1;\nSELECT fts3_tokenizer('simple', x'4141414141414141');\n");
            expected = "core/0009 (stored down SQL):2:1: reversing core 0009 (planted) failed: "
                       "statement refused: fts3_tokenizer()";
        }
        SUBCASE("ATTACH") {
            planted = literal("ATTACH '" + (dir / "other.db").string() + "' AS other;\n");
            expected = "core/0009 (stored down SQL):1:1: reversing core 0009 (planted) failed: "
                       "statement refused: ATTACH";
        }
        SUBCASE("a NUL byte, which would hide the rest from SQLite") {
            planted = "CAST(x'53454c45435420313b0a0053454c45435420323b' AS TEXT)";
            expected = "core/0009 (stored down SQL):2:1: reversing core 0009 (planted) refused: "
                       "the down SQL stored in the database contains a NUL byte";
        }
        plant_row(db, planted);
        FileSnapshot before(db);
        auto r = run_strata({"sync", "--yes"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(starts_with(r.err, "strata: error: " + expected));
        CHECK(before.unchanged());
        CHECK_FALSE(file_exists(dir / "other.db"));
    }

    TEST_CASE("a migration calling fts3_tokenizer is refused at file:line:col, in both forms") {
        for (const char* call :
             {"fts3_tokenizer('simple', x'4141414141414141')", "hex(fts3_tokenizer('simple'))"}) {
            CAPTURE(call);
            TempDir dir;
            write_with_pending(dir.path(),
                               "CREATE TABLE b (x);\n  SELECT " + std::string(call) + ";\n");
            FileSnapshot before(dir / "app.db");
            auto r = run_strata({"forwards"}, in_dir(dir.path()));
            CHECK(r.exit_code == 1); // not 139: the pointer is never called
            CHECK(starts_with(r.err, "strata: error: " + std::string(k_up4) +
                                         ":2:3: applying core 0004 (hostile) failed: statement "
                                         "refused: fts3_tokenizer()"));
            CHECK(r.out.find("Applied") == std::string::npos);
            CHECK(before.unchanged());
        }
    }

    TEST_CASE("load_extension in a migration is refused") {
        TempDir dir;
        write_with_pending(dir.path(), "SELECT load_extension('/nonexistent/libx');\n");
        FileSnapshot before(dir / "app.db");
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(starts_with(r.err, "strata: error: " + std::string(k_up4) + ":1:1: "));
        CHECK(r.err.find("load_extension() loads and runs native code") != std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("VACUUM INTO is refused in a migration file, in either section") {
        TempDir dir;
        const auto target = dir / "copy.db";
        const std::string vacuum = "VACUUM INTO '" + target.string() + "';\n";
        SUBCASE("in the migration proper: nothing changes") {
            write_with_pending(dir.path(), "CREATE TABLE b (x);\n" + vacuum);
            FileSnapshot before(dir / "app.db");
            auto r = run_strata({"forwards"}, in_dir(dir.path()));
            CHECK(r.exit_code == 1);
            CHECK(starts_with(r.err, "strata: error: " + std::string(k_up4) +
                                         ":2:1: applying core 0004 (hostile) failed: VACUUM INTO "
                                         "writes a copy of the database to another file"));
            CHECK(before.unchanged());
        }
        SUBCASE("after commit: the migration stays applied, no file is written") {
            write_with_pending(dir.path(),
                               "CREATE TABLE b (x);\n-- strata:after-commit\n" + vacuum);
            auto r = run_strata({"forwards"}, in_dir(dir.path()));
            CHECK(r.exit_code == 1);
            CHECK(starts_with(r.err, "strata: error: " + std::string(k_up4) +
                                         ":3:1: after-commit section of core 0004 (hostile) "
                                         "failed: VACUUM INTO"));
            CHECK(has_table(dir / "app.db", "b"));
        }
        CHECK_FALSE(file_exists(target));
    }

    TEST_CASE("an after-commit section cannot weaken durability for the migrations after it") {
        TempDir dir;
        std::string pragma;
        SUBCASE("synchronous") {
            pragma = "PRAGMA synchronous = OFF;";
        }
        SUBCASE("journal_mode") {
            pragma = "PRAGMA journal_mode = MEMORY;";
        }
        ProjectSpec project;
        project.apps.push_back(users_notes_tags_app());
        project.apps[0].migrations[1].up += "-- strata:after-commit\n" + pragma + "\n";
        write_project(dir.path(), project);
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(starts_with(r.err, "strata: error: migrations/core/0002_create_notes.up.sql:3:1: "
                                 "after-commit section of core 0002 (create notes) failed: "
                                 "statement refused: PRAGMA "));
        // The migration before the section stays applied; none after it ran.
        CHECK(migration_rows(dir / "app.db") == Rows{{"core", "0001"}, {"core", "0002"}});
        CHECK_FALSE(has_table(dir / "app.db", "tags"));
        CHECK(query_text(dir / "app.db", "PRAGMA journal_mode") == "delete");
    }

    TEST_CASE("ignore_check_constraints is refused: no row failing its CHECK is committed") {
        TempDir dir;
        write_with_pending(dir.path(), "PRAGMA ignore_check_constraints = ON;\n"
                                       "CREATE TABLE c (x CHECK (x > 0));\n"
                                       "INSERT INTO c VALUES (-1);\n");
        FileSnapshot before(dir / "app.db");
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(starts_with(r.err, "strata: error: " + std::string(k_up4) + ":1:1: "));
        CHECK(r.err.find("ignore_check_constraints") != std::string::npos);
        CHECK(before.unchanged());
        CHECK(query_text(dir / "app.db", "PRAGMA integrity_check") == "ok");
    }

    TEST_CASE("--atomic: a savepoint one migration leaves open cannot erase strata's record of "
              "it") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back(users_notes_tags_app());
        project.apps[0].migrations.resize(1);
        project.apps[0].migrations.push_back({"0002", "open_savepoint",
                                              "CREATE TABLE a (x);\nSAVEPOINT keep;\n",
                                              "DROP TABLE a;\n"});
        project.apps[0].migrations.push_back({"0003", "roll_back_to_it",
                                              "ROLLBACK TO keep;\nCREATE TABLE b (x);\n",
                                              "DROP TABLE b;\n"});
        write_project(dir.path(), project);
        REQUIRE(run_strata({"forwards", "core", "1"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(dir / "app.db");
        auto r = run_strata({"forwards", "--atomic"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(starts_with(r.err, "strata: error: migrations/core/0002_open_savepoint.up.sql:2:1: "
                                 "applying core 0002 (open savepoint) failed: statement refused: "
                                 "SAVEPOINT is not allowed in a migration"));
        CHECK(before.unchanged());
        CHECK(migration_rows(dir / "app.db") == Rows{{"core", "0001"}});
        CHECK_FALSE(has_table(dir / "app.db", "a"));
    }

    TEST_CASE("a temp table one migration leaves does not take the next migration's rows") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back(users_notes_tags_app());
        project.apps[0].migrations[1].up += "CREATE TEMP TABLE users (id, name);\n";
        project.apps[0].migrations[2].up += "INSERT INTO users (name) VALUES ('kept');\n";
        write_project(dir.path(), project);
        for (const char* atomic : {"", "--atomic"}) {
            CAPTURE(atomic);
            std::filesystem::remove(dir / "app.db");
            std::vector<std::string> args{"forwards"};
            if (*atomic != '\0')
                args.push_back(atomic);
            auto r = run_strata(args, in_dir(dir.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 0);
            CHECK(query_text(dir / "app.db", "SELECT name FROM users") == "kept");
        }
    }
}
