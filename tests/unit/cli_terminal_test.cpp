// SPDX-License-Identifier: MIT
// The terminal rules of the CLI: when output is coloured (--color, NO_COLOR, TERM=dumb).
#include "cli/arguments.hpp"
#include "cli/terminal.hpp"
#include "strata/error.hpp"

#include <doctest/doctest.h>

using namespace strata::cli;

TEST_SUITE("cli_terminal") {
    TEST_CASE("auto colours a terminal unless NO_COLOR is non-empty or TERM is dumb") {
        struct Case {
            bool terminal;
            const char* no_color;
            const char* term;
            bool colour;
        };
        const Case cases[] = {
            {true, nullptr, "xterm-256color", true},
            {true, nullptr, nullptr, true},
            {false, nullptr, "xterm", false}, // a file or a pipe
            {true, "1", "xterm", false},
            {true, "anything", nullptr, false},
            {true, "", "xterm", true}, // an empty NO_COLOR is unset (no-color.org)
            {true, nullptr, "dumb", false},
            {true, "", "dumb", false},
            {true, nullptr, "dumber", true},
        };
        for (const Case& c : cases) {
            CAPTURE(c.terminal);
            CAPTURE(c.no_color ? c.no_color : "(unset)");
            CAPTURE(c.term ? c.term : "(unset)");
            CHECK(auto_colour(c.terminal, c.no_color, c.term) == c.colour);
        }
    }

    TEST_CASE("--color=always and never decide alone; auto takes the terminal's answer") {
        CHECK(colour_for(ColourMode::Always, false));
        CHECK(colour_for(ColourMode::Always, true));
        CHECK_FALSE(colour_for(ColourMode::Never, true));
        CHECK_FALSE(colour_for(ColourMode::Never, false));
        CHECK(colour_for(ColourMode::Auto, true));
        CHECK_FALSE(colour_for(ColourMode::Auto, false));
    }

    TEST_CASE("--color is a global option with three values") {
        CHECK(parse_arguments({"check"}).colour == ColourMode::Auto);
        CHECK(parse_arguments({"--color=always", "check"}).colour == ColourMode::Always);
        CHECK(parse_arguments({"check", "--color", "never"}).colour == ColourMode::Never);
        CHECK(parse_arguments({"forwards", "--color=auto"}).colour == ColourMode::Auto);
        CHECK_THROWS_WITH_AS(parse_arguments({"check", "--color=yes"}),
                             doctest::Contains("--color takes auto, always or never, not \"yes\""),
                             strata::Error);
    }
}
