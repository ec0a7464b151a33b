// SPDX-License-Identifier: MIT
// `strata init` and `strata new` run as real processes.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <regex>

using namespace strata::test;

namespace {

// The current UTC time as strata writes ids: YYYYMMDDHHMMSS.
// The clock strata reads (system_clock): glibc's time() reads a coarser one, which can still
// show the previous second a few milliseconds after strata saw the next.
std::string utc_stamp() {
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm parts{};
    gmtime_r(&now, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%d%H%M%S", &parts);
    return text;
}

} // namespace

TEST_SUITE("e2e_new_init") {
    TEST_CASE("init writes a commented strata.toml and an empty migrations folder") {
        TempDir dir;
        std::vector<std::string> args{"init"};
        std::string app = "main";
        SUBCASE("default app name") {}
        SUBCASE("named app") {
            args.push_back("core");
            app = "core";
        }
        CAPTURE(app);

        auto r = run_strata(args, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        REQUIRE(file_exists(dir / "strata.toml"));
        std::string toml = read_file(dir / "strata.toml");
        CHECK(toml.find("database = \"app.db\"") != std::string::npos);
        CHECK(toml.find('#') != std::string::npos);
        CHECK(toml.find("\"" + app + "\"") != std::string::npos);
        auto folder = dir / ("migrations/" + app);
        REQUIRE(std::filesystem::is_directory(folder));
        CHECK(std::filesystem::is_empty(folder));

        // The new project is usable as it is.
        r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("No migrations need to be run") != std::string::npos);
    }

    TEST_CASE("init refuses when strata.toml already exists") {
        TempDir dir;
        write_file(dir / "strata.toml", "# mine\n");
        FileSnapshot before(dir / "strata.toml");

        auto r = run_strata({"init"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err.rfind("strata: error: ", 0) == 0);
        CHECK(r.err.find("strata.toml") != std::string::npos);
        CHECK(before.unchanged());
        CHECK_FALSE(file_exists(dir / "migrations"));
    }

    TEST_CASE("new writes the paired files with a UTC timestamp id and a slug") {
        TempDir dir;
        REQUIRE(run_strata({"init", "core"}, in_dir(dir.path())).exit_code == 0);
        auto folder = dir / "migrations/core";

        std::vector<std::string> args;
        std::string slug;
        SUBCASE("one word per argument") {
            args = {"new", "core", "Create", "users", "table"};
            slug = "create_users_table";
        }
        SUBCASE("punctuation and capitals") {
            args = {"new", "core", "  Add E-mail", "(v2)!  "};
            slug = "add_e_mail_v2";
        }
        CAPTURE(slug);

        std::string earliest = utc_stamp();
        auto r = run_strata(args, in_dir(dir.path()));
        std::string latest = utc_stamp();
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);

        auto names = names_in(folder);
        REQUIRE(names.size() == 2);
        std::smatch down;
        std::smatch up;
        std::regex down_name("(\\d{14})_" + slug + "\\.down\\.sql");
        std::regex up_name("(\\d{14})_" + slug + "\\.up\\.sql");
        REQUIRE(std::regex_match(names[0], down, down_name));
        REQUIRE(std::regex_match(names[1], up, up_name));
        std::string id = up[1];
        CHECK(down[1] == id);
        CHECK(id >= earliest);
        CHECK(id <= latest);
        CHECK(r.out.find(names[0]) != std::string::npos);
        CHECK(r.out.find(names[1]) != std::string::npos);
    }

    TEST_CASE("new with --sql-up and --sql-down gives a migration forwards applies") {
        TempDir dir;
        REQUIRE(run_strata({"init", "core"}, in_dir(dir.path())).exit_code == 0);
        auto db = dir / "app.db";

        auto r = run_strata({"new", "core", "create users", "--sql-up",
                             "CREATE TABLE users (id INTEGER PRIMARY KEY);", "--sql-down",
                             "DROP TABLE users;"},
                            in_dir(dir.path()));
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);

        r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("(create users) ... ok (") != std::string::npos);
        CHECK(has_table(db, "users"));
        auto rows = migration_rows(db);
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].first == "core");
        CHECK(std::regex_match(rows[0].second, std::regex("\\d{14}")));

        r = run_strata({"backwards", "core", "--yes"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK_FALSE(has_table(db, "users"));
        CHECK(migration_rows(db).empty());
    }

    TEST_CASE("new for an unknown app is a usage error and writes nothing") {
        TempDir dir;
        REQUIRE(run_strata({"init", "core"}, in_dir(dir.path())).exit_code == 0);

        auto r = run_strata({"new", "nosuch", "anything"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("nosuch") != std::string::npos);
        CHECK(std::filesystem::is_empty(dir / "migrations/core"));
        CHECK_FALSE(file_exists(dir / "migrations/nosuch"));
    }
    TEST_CASE("the files new writes are refused until written; then forwards applies them") {
        TempDir dir;
        REQUIRE(run_strata({"init", "core"}, in_dir(dir.path())).exit_code == 0);
        auto db = dir / "app.db";
        // The first migration is written by hand; `new` continues its sequence (0002).
        write_migration(dir / "migrations/core",
                        {"0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
                         "DROP TABLE users;\n"});
        auto r = run_strata({"new", "core", "add email"}, in_dir(dir.path()));
        REQUIRE(r.exit_code == 0);
        const auto lines = lines_of(r.out);
        REQUIRE(lines.size() == 2);
        const auto up = dir / lines[0];
        const auto down = dir / lines[1];
        const std::string marker =
            "-- strata:template (delete this line when you write the migration)\n";
        REQUIRE(read_file(up).starts_with(marker));

        // Unedited: refused at the marker, before the database is touched.
        r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(lines[0] +
                         ":1:1: this file is still the template `strata new` wrote\n"
                         "  hint: write the migration's SQL in it and delete this line") !=
              std::string::npos);
        CHECK_FALSE(file_exists(db));

        // SQL written, marker kept: still refused. The down file's marker counts too.
        write_file(up, marker + "ALTER TABLE users ADD COLUMN email TEXT;\n");
        r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        write_file(up, "ALTER TABLE users ADD COLUMN email TEXT;\n");
        r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(lines[1] + ":1:1: this file is still the template") != std::string::npos);
        CHECK_FALSE(file_exists(db));

        write_file(down, "ALTER TABLE users DROP COLUMN email;\n");
        r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applied 2 migrations.") != std::string::npos);
        CHECK(query_int(db, "SELECT count(*) FROM pragma_table_info('users') WHERE name = "
                            "'email'") == 1);
    }

    TEST_CASE("an edit of the newest applied migration runs after backwards and forwards") {
        TempDir dir;
        REQUIRE(run_strata({"init", "core"}, in_dir(dir.path())).exit_code == 0);
        auto db = dir / "app.db";
        auto r = run_strata({"new", "core", "create users", "--sql-up",
                             "CREATE TABLE users (id INTEGER PRIMARY KEY);", "--sql-down",
                             "DROP TABLE users;"},
                            in_dir(dir.path()));
        REQUIRE(r.exit_code == 0);
        const auto up = dir / lines_of(r.out)[0];
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);

        write_file(up, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n");
        r = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("hint: to run the edited SQL, reverse the migration with `strata "
                         "backwards core` (its down file must undo what ran) and apply it again "
                         "with `strata forwards`") != std::string::npos);
        CHECK(r.err.find("repair") == std::string::npos);

        // Following the hint leaves the database with what the edit adds.
        REQUIRE(run_strata({"backwards", "core", "--yes"}, in_dir(dir.path())).exit_code == 0);
        r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(query_int(db, "SELECT count(*) FROM pragma_table_info('users') WHERE name = "
                            "'email'") == 1);
        CHECK(run_strata({"check", "--exit-code"}, in_dir(dir.path())).exit_code == 0);
    }

    TEST_CASE("an up file with no statements is applied and recorded as a no-op") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back(
            {"core",
             {{"0001", "create_users", "CREATE TABLE users (id);\n", "DROP TABLE users;\n"},
              {"0002", "empty", "", ""},
              {"0003", "comments_only", "-- nothing to do in this release\n",
               "-- nothing to undo\n"},
              {"0004", "blank_lines", "\n  \n", ""}},
             {},
             {}});
        write_project(dir.path(), project);
        auto db = dir / "app.db";
        auto r = run_strata({"forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Applying core 0002 (empty) ... ok (") != std::string::npos);
        CHECK(r.out.find("Applied 4 migrations.") != std::string::npos);
        CHECK(migration_rows(db).size() == 4);
        r = run_strata({"backwards", "core", "all", "--yes"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(db).empty());
    }
}
