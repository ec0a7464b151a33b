// SPDX-License-Identifier: MIT
// Text read back from the database reaches the terminal with its control characters escaped:
// a description holding ESC [2K CR must not hide what a confirmation question is about.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;

namespace {

// "ESC [2K" erases the terminal's line and CR returns to its start: printed raw, whatever
// came before on the line disappears.
const std::string k_planted_description = "drop everything\x1b[2K\rharmless";
const std::string k_shown_description = "drop everything\\x1b[2K\\x0dharmless";

// A project with core 0001 applied, and a planted state row core 0002 that has no files, so
// strata shows its description and down SQL as the database holds them.
void write_planted_project(const std::filesystem::path& root) {
    ProjectSpec project;
    AppSpec app;
    app.name = "core";
    app.migrations = {{"0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
                       "DROP TABLE users;\n"}};
    project.apps.push_back(app);
    write_project(root, project);
    auto r = run_strata({"forwards"}, in_dir(root));
    INFO("setup stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    execute_sql(root / "app.db",
                "INSERT INTO migrations (app_name, name, description, checksum, down_sql, ran_on) "
                "VALUES ('core', '0002', 'drop everything' || char(27) || '[2K' || char(13) || "
                "'harmless', 'x', 'DROP TABLE users;' || char(27) || '[1A' || char(13) || "
                "'-- nothing to see' || char(10), '2026-01-01T00:00:00.000Z')");
}

// On a terminal strata may colour its output; NO_COLOR keeps the text plain for matching.
RunOptions terminal_in(const std::filesystem::path& dir) {
    RunOptions opts = in_dir(dir);
    opts.env.emplace_back("NO_COLOR", "1");
    return opts;
}

bool has_raw_control(const std::string& text) {
    return text.find('\x1b') != std::string::npos || text.find('\r') != std::string::npos;
}

} // namespace

TEST_SUITE("e2e_untrusted_text") {
    TEST_CASE("check shows a planted description escaped, the table still aligned") {
        TempDir dir;
        write_planted_project(dir.path());
        auto r = run_strata({"check"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK_FALSE(has_raw_control(r.out));
        const auto lines = lines_of(r.out);
        REQUIRE(lines.size() == 3);
        CHECK(lines[2] == "core  0002       " + k_shown_description +
                              "  missing (applied 2026-01-01T00:00:00.000Z)");
        CHECK(lines[0].find("STATUS") == lines[2].find("missing"));
    }

    TEST_CASE("backwards --preview shows the planted label and stored SQL escaped") {
        TempDir dir;
        write_planted_project(dir.path());
        FileSnapshot before(dir / "app.db");
        auto r = run_strata({"backwards", "core", "--preview"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK_FALSE(has_raw_control(r.out));
        CHECK(r.out.rfind("-- core 0002 (" + k_shown_description +
                              "): stored down SQL\n"
                              "DROP TABLE users;\\x1b[1A\\x0d-- nothing to see\n",
                          0) == 0);
        CHECK(before.unchanged());
    }

    TEST_CASE("the backwards plan and its prompt on a terminal show the planted label escaped") {
        TempDir dir;
        write_planted_project(dir.path());
        FileSnapshot before(dir / "app.db");
        auto r = run_strata_in_terminal({"backwards", "core"}, "n", terminal_in(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK_FALSE(has_raw_control(r.out));
        CHECK_FALSE(has_raw_control(r.err));
        CHECK(r.err.find("  core 0002 (" + k_shown_description + ")\n") != std::string::npos);
        CHECK(r.err.find("Reverse 1 migration? [y/N] ") != std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("clean's question, which lists the rows it forgets, is escaped too") {
        TempDir dir;
        write_planted_project(dir.path());
        FileSnapshot before(dir / "app.db");
        auto r = run_strata_in_terminal({"clean", "core"}, "n", terminal_in(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK_FALSE(has_raw_control(r.out));
        CHECK_FALSE(has_raw_control(r.err));
        CHECK(r.err.find("  core 0002 (" + k_shown_description + "), applied") !=
              std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("an error quoting the database shows its text escaped") {
        TempDir dir;
        write_planted_project(dir.path());
        execute_sql(dir / "app.db", "UPDATE migrations SET name = '2' || char(27) || ']0;owned' "
                                    "|| char(7) WHERE name = '0002'");
        auto r = run_strata({"check"}, in_dir(dir.path()));
        CHECK(r.exit_code == 5);
        CHECK_FALSE(has_raw_control(r.err));
        CHECK(r.err.find("\x07") == std::string::npos);
        CHECK(r.err.find("invalid migration id \"2\\x1b]0;owned\\x07\"") != std::string::npos);
    }
}
