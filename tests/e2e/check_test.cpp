// SPDX-License-Identifier: MIT
// `strata check` run as a real process: the status table, JSON and --exit-code.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <regex>

using namespace strata::test;

namespace {

// The index of the first line containing every one of `words`, or -1.
int line_with(const std::vector<std::string>& lines, const std::vector<std::string>& words) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
        bool all = true;
        for (const auto& w : words)
            all = all && lines[i].find(w) != std::string::npos;
        if (all)
            return static_cast<int>(i);
    }
    return -1;
}

std::size_t matches(const std::string& text, const std::string& pattern) {
    std::regex re(pattern);
    return static_cast<std::size_t>(
        std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

// Two apps: billing (listed first) depends on core, so core's rows come first.
void write_two_app_project(const std::filesystem::path& root) {
    ProjectSpec project;
    project.apps.push_back(
        {"billing",
         {{"0001", "create_invoices", "CREATE TABLE invoices (x);\n", "DROP TABLE invoices;\n"}},
         {"core"},
         {}});
    project.apps.push_back(users_notes_tags_app());
    write_project(root, project);
}

} // namespace

TEST_SUITE("e2e_check") {
    TEST_CASE("check prints a table of applied and pending migrations") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";
        REQUIRE(run_strata({"forwards", "core", "1"}, in_dir(dir.path())).exit_code == 0);
        std::string ran_on = query_text(db, "SELECT ran_on FROM migrations WHERE name = '0001'");
        FileSnapshot before(db);

        std::string command;
        SUBCASE("check") {
            command = "check";
        }
        SUBCASE("status") {
            command = "status";
        }
        CAPTURE(command);
        auto r = run_strata({command}, in_dir(dir.path()));
        INFO("stdout: " << r.out);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        auto lines = lines_of(r.out);
        int header = line_with(lines, {"APP", "MIGRATION", "DESCRIPTION", "STATUS"});
        int first = line_with(lines, {"core", "0001", "create users", "applied " + ran_on});
        int second = line_with(lines, {"core", "0002", "create notes", "pending"});
        int third = line_with(lines, {"core", "0003", "add tags", "pending"});
        CHECK(header >= 0);
        CHECK(first > header);
        CHECK(second > first);
        CHECK(third > second);
        CHECK(before.unchanged());
    }

    TEST_CASE("check lists migrations in the order forwards would run them") {
        TempDir dir;
        write_two_app_project(dir.path());
        auto r = run_strata({"check"}, in_dir(dir.path()));
        INFO("stdout: " << r.out);
        CHECK(r.exit_code == 0);
        auto lines = lines_of(r.out);
        int core_last = line_with(lines, {"core", "0003", "pending"});
        int billing = line_with(lines, {"billing", "0001", "create invoices", "pending"});
        CHECK(core_last >= 0);
        CHECK(billing > core_last);

        r = run_strata({"check", "billing"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("billing") != std::string::npos);
        CHECK(r.out.find("create users") == std::string::npos);
    }

    TEST_CASE("check --json prints one object per migration, in the versioned document") {
        TempDir dir;
        write_two_app_project(dir.path());
        REQUIRE(run_strata({"forwards", "core", "0002"}, in_dir(dir.path())).exit_code == 0);
        std::string ran_on =
            query_text(dir / "app.db", "SELECT ran_on FROM migrations WHERE name = '0002'");

        auto r = run_strata({"check", "--json"}, in_dir(dir.path()));
        INFO("stdout: " << r.out);
        CHECK(r.exit_code == 0);
        CHECK(r.out.rfind("{\"schema\":\"strata/1\",\"command\":\"check\",", 0) == 0);
        CHECK(r.out.find("\"migrations\":[\n") != std::string::npos);
        CHECK(r.out.ends_with("\n]}\n"));
        CHECK(matches(r.out, R"re("app_name"\s*:\s*"core")re") == 3);
        CHECK(matches(r.out, R"re("app_name"\s*:\s*"billing")re") == 1);
        CHECK(matches(r.out, R"re("has_ran"\s*:\s*true)re") == 2);
        CHECK(matches(r.out, R"re("has_ran"\s*:\s*false)re") == 2);
        CHECK(matches(r.out, R"re("ran_on"\s*:\s*null)re") == 2);
        // Two migrations may share a millisecond, so the time is matched within its object.
        CHECK(matches(r.out, R"re("migration_id"\s*:\s*"0002"[^}]*"ran_on"\s*:\s*")re" + ran_on +
                                 "\"") == 1);
        CHECK(matches(r.out, R"re("migration_id"\s*:\s*"0001")re") == 2);
        CHECK(matches(r.out, R"re("description"\s*:\s*"create notes")re") == 1);
        // Forwards order: core's three, then billing's.
        auto core_last = r.out.find("\"add tags\"");
        auto billing = r.out.find("\"create invoices\"");
        CHECK(core_last != std::string::npos);
        CHECK(billing != std::string::npos);
        CHECK(core_last < billing);
    }

    TEST_CASE("check --exit-code exits 3 while anything is pending, 0 after") {
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards", "core", "0002"}, in_dir(dir.path())).exit_code == 0);

        auto r = run_strata({"check", "--exit-code"}, in_dir(dir.path()));
        CHECK(r.exit_code == 3);
        CHECK(r.out.find("pending") != std::string::npos);

        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        r = run_strata({"check", "--exit-code"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("pending") == std::string::npos);
    }

    TEST_CASE("check on a missing database reports everything pending and does not create it") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";

        auto r = run_strata({"check"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(count_of(r.out, "pending") == 3);
        CHECK_FALSE(file_exists(db));

        r = run_strata({"check", "--exit-code"}, in_dir(dir.path()));
        CHECK(r.exit_code == 3);
        CHECK_FALSE(file_exists(db));

        r = run_strata({"check", "--json"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(matches(r.out, R"re("has_ran"\s*:\s*false)re") == 3);
        CHECK_FALSE(file_exists(db));
    }

    TEST_CASE("check on a database without a state table does not change it") {
        TempDir dir;
        write_standard_project(dir.path());
        auto db = dir / "app.db";
        execute_sql(db, "CREATE TABLE legacy (x);");
        FileSnapshot before(db);

        auto r = run_strata({"check"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(count_of(r.out, "pending") == 3);
        CHECK(before.unchanged());
        CHECK(table_names(db) == std::vector<std::string>{"legacy"});
    }

    TEST_CASE("check shows modified and missing migrations in the table and in JSON") {
        TempDir dir;
        write_standard_project(dir.path());
        ProjectSpec four;
        four.apps.push_back(users_notes_tags_app());
        four.apps[0].migrations.push_back(
            {"0004", "add_likes", "CREATE TABLE likes (x);\n", "DROP TABLE likes;\n"});
        write_project(dir.path(), four);
        REQUIRE(run_strata({"forwards", "core", "0003"}, in_dir(dir.path())).exit_code == 0);
        auto db = dir / "app.db";
        auto when = [&](const std::string& id) {
            return query_text(db, "SELECT ran_on FROM migrations WHERE name = '" + id + "'");
        };
        write_file(dir / "migrations/core/0001_create_users.up.sql",
                   "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n");
        std::filesystem::remove(dir / "migrations/core/0002_create_notes.up.sql");
        std::filesystem::remove(dir / "migrations/core/0002_create_notes.down.sql");
        FileSnapshot before(db);

        auto r = run_strata({"check"}, in_dir(dir.path()));
        INFO("stdout: " << r.out);
        INFO("stderr: " << r.err);
        auto lines = lines_of(r.out);
        int users = line_with(
            lines, {"core", "0001", "create users", "modified (applied " + when("0001") + ")"});
        // The missing one keeps its place by id, described as its state row recorded it.
        int notes = line_with(
            lines, {"core", "0002", "create notes", "missing (applied " + when("0002") + ")"});
        int tags = line_with(lines, {"core", "0003", "add tags", "applied " + when("0003")});
        int likes = line_with(lines, {"core", "0004", "add likes", "pending"});
        CHECK(users > 0);
        CHECK(notes > users);
        CHECK(tags > notes);
        CHECK(likes > tags);
        CHECK(lines[static_cast<std::size_t>(tags)].find("modified") == std::string::npos);

        r = run_strata({"check", "--json"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(matches(r.out,
                      R"re("migration_id":"0001"[^}]*"has_ran":true[^}]*"status":"modified")re") ==
              1);
        CHECK(
            matches(
                r.out,
                R"re("migration_id":"0002","description":"create notes","has_ran":true[^}]*"status":"missing")re") ==
            1);
        CHECK(matches(r.out, R"re("migration_id":"0003"[^}]*"status":"applied")re") == 1);
        CHECK(matches(r.out, R"re("migration_id":"0004"[^}]*"ran_on":null,"status":"pending")re") ==
              1);
        CHECK(before.unchanged());
    }

    TEST_CASE("check --exit-code exits 3 for drift alone: forwards would refuse") {
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        REQUIRE(run_strata({"check", "--exit-code"}, in_dir(dir.path())).exit_code == 0);

        SUBCASE("modified") {
            write_file(dir / "migrations/core/0003_add_tags.up.sql", "CREATE TABLE tags (x);\n");
        }
        SUBCASE("missing") {
            std::filesystem::remove(dir / "migrations/core/0003_add_tags.up.sql");
            std::filesystem::remove(dir / "migrations/core/0003_add_tags.down.sql");
        }
        auto r = run_strata({"check", "--exit-code"}, in_dir(dir.path()));
        INFO("stdout: " << r.out);
        CHECK(r.exit_code == 3);
        CHECK(r.out.find("pending") == std::string::npos);
    }
}
