// SPDX-License-Identifier: MIT
// What strata prints for people, run as a real process without a terminal: --color, check -q,
// plurals. The behaviour on a terminal (prompts, progress, colour rules) is in tests/terminal.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;

namespace {

bool has_escape(const std::string& text) {
    return text.find('\033') != std::string::npos;
}

} // namespace

TEST_SUITE("e2e_terminal_output") {
    TEST_CASE("--color=always colours a pipe, never and auto do not") {
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards", "core", "0001"}, in_dir(dir.path())).exit_code == 0);

        auto always = run_strata({"--color=always", "check"}, in_dir(dir.path()));
        CHECK(always.exit_code == 0);
        CHECK(always.out.find("\033[32mapplied") != std::string::npos);

        auto never = run_strata({"check", "--color", "never"}, in_dir(dir.path()));
        CHECK(never.exit_code == 0);
        CHECK_FALSE(has_escape(never.out));
        CHECK(never.out.find("applied") != std::string::npos);

        auto automatic = run_strata({"check", "--color=auto"}, in_dir(dir.path()));
        CHECK_FALSE(has_escape(automatic.out));

        auto progress = run_strata({"forwards", "--color=always"}, in_dir(dir.path()));
        CHECK(progress.out.find("... \033[32mok\033[0m (") != std::string::npos);

        auto bad = run_strata({"check", "--color=sometimes"}, in_dir(dir.path()));
        CHECK(bad.exit_code == 2);
        CHECK(bad.err.find("--color takes auto, always or never, not \"sometimes\"") !=
              std::string::npos);
    }

    TEST_CASE("check -q prints nothing; with --exit-code the exit code is the answer") {
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards", "core", "0002"}, in_dir(dir.path())).exit_code == 0);

        auto pending = run_strata({"check", "-q", "--exit-code"}, in_dir(dir.path()));
        CHECK(pending.exit_code == 3);
        CHECK(pending.out.empty());
        CHECK(pending.err.empty());

        auto plain = run_strata({"check", "--quiet"}, in_dir(dir.path()));
        CHECK(plain.exit_code == 0);
        CHECK(plain.out.empty());
        CHECK(plain.err.empty());

        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        auto done = run_strata({"-q", "check", "--exit-code"}, in_dir(dir.path()));
        CHECK(done.exit_code == 0);
        CHECK(done.out.empty());
        CHECK(done.err.empty());

        // Errors are not silenced: they say why the exit code is what it is.
        auto broken = run_strata({"check", "-q", "-p", "missing.toml"}, in_dir(dir.path()));
        CHECK(broken.exit_code == 2);
        CHECK_FALSE(broken.err.empty());
    }

    TEST_CASE("counts are in the singular for one and the plural otherwise") {
        TempDir dir;
        write_standard_project(dir.path());
        auto one = run_strata({"forwards", "core", "0001"}, in_dir(dir.path()));
        CHECK(one.out.ends_with("Applied 1 migration.\n"));
        auto two = run_strata({"forwards"}, in_dir(dir.path()));
        CHECK(two.out.ends_with("Applied 2 migrations.\n"));
        auto back = run_strata({"backwards", "core", "all", "--yes"}, in_dir(dir.path()));
        CHECK(back.out.ends_with("Reversed 3 migrations.\n"));
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        CHECK(run_strata({"forwards"}, in_dir(dir.path())).out.find("(s)") == std::string::npos);
        // The phrases strata started from stay as they were.
        CHECK(run_strata({"forwards"}, in_dir(dir.path())).out == "No migrations need to be run\n");
    }

    TEST_CASE("the plan and question go to stderr; without a terminal strata refuses to ask") {
        TempDir dir;
        write_standard_project(dir.path());
        REQUIRE(run_strata({"forwards"}, in_dir(dir.path())).exit_code == 0);
        auto r = run_strata({"backwards", "core"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        // No terminal to ask on: the error comes first on stderr, the plan is on stdout.
        CHECK(r.err.starts_with("strata: error: "));
        CHECK(r.out.find("  core 0003 (add tags)\n") != std::string::npos);
        CHECK(r.err.find("standard input is not a terminal") != std::string::npos);

        // With --yes nothing is asked: the plan is part of the output's record.
        auto yes = run_strata({"backwards", "core", "--yes"}, in_dir(dir.path()));
        CHECK(yes.exit_code == 0);
        CHECK(yes.out.starts_with("  core 0003 (add tags)\nReversing core 0003 (add tags) ... "));
        CHECK(yes.err.empty());
    }
}
