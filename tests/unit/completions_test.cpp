// SPDX-License-Identifier: MIT
// The man page and the shell completions are generated from the command and option tables:
// these tests walk the tables, so a command or option the generated files leave out fails here.
#include "cli/command_table.hpp"
#include "cli/completions.hpp"
#include "strata/project/settings.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace strata::cli;

namespace {

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

// How the man page writes an option: "\-\-name" (groff's escaped hyphens).
std::string man_spelling(std::string_view long_name) {
    std::string out = "\\-\\-";
    for (char c : long_name)
        out += c == '-' ? std::string("\\-") : std::string(1, c);
    return out;
}

// Text as the scripts write it between single quotes: a quote becomes '\''.
std::string sh_quoted(std::string_view text) {
    std::string out;
    for (char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out;
}

} // namespace

TEST_SUITE("completions") {
    TEST_CASE("every command and alias is in each completion script and in the man page") {
        const std::string bash = bash_completion();
        const std::string zsh = zsh_completion();
        const std::string fish = fish_completion();
        const std::string man = man_page("9.9.9");
        for (const CommandSpec& spec : command_specs()) {
            CAPTURE(spec.name);
            CHECK(contains(bash, " " + std::string(spec.name)));
            CHECK(contains(zsh, "'" + std::string(spec.name) + ":" + sh_quoted(spec.summary)));
            CHECK(contains(fish, "-a " + std::string(spec.name) + " -d"));
            CHECK(contains(man, ".SS \"" + std::string(spec.name)));
            if (!spec.alias.empty()) {
                CHECK(contains(bash, "|" + std::string(spec.alias) + ")"));
                CHECK(contains(zsh, "'" + std::string(spec.alias) + ":"));
                CHECK(contains(fish, "-a " + std::string(spec.alias) + " -d"));
                CHECK(contains(man, "(alias " + std::string(spec.alias) + ")"));
            }
        }
        CHECK(contains(man, "strata 9.9.9"));
    }

    TEST_CASE("every option is offered for exactly the commands that take it") {
        const std::string bash = bash_completion();
        const std::string zsh = zsh_completion();
        const std::string fish = fish_completion();
        const std::string man = man_page("0");
        for (const OptionSpec& option : option_specs()) {
            const std::string name = "--" + std::string(option.long_name);
            CAPTURE(name);
            CHECK(contains(man, man_spelling(option.long_name)));
            CHECK(contains(fish, "-l " + std::string(option.long_name) + " "));
            CHECK(contains(zsh, "'" + name + ":" + sh_quoted(option.summary)));
            for (const CommandSpec& spec : command_specs()) {
                CAPTURE(spec.name);
                // The bash row of the command: "    name|alias) echo '...' ;;".
                const std::string head = "    " + std::string(spec.name) +
                                         (spec.alias.empty() ? "" : "|" + std::string(spec.alias)) +
                                         ") echo '";
                const std::size_t row = bash.find(head);
                REQUIRE(row != std::string::npos);
                const std::string words =
                    " " +
                    bash.substr(row + head.size(),
                                bash.find('\'', row + head.size()) - row - head.size()) +
                    " ";
                CHECK(contains(words, " " + name + " ") == takes_option(spec.command, option));
            }
        }
    }

    TEST_CASE("positional arguments are read from the usage lines") {
        using K = ArgumentKind;
        CHECK(positional_kinds(*find_command_spec(Command::Forwards)) ==
              std::vector<K>{K::AppOrAll, K::MigrationId});
        CHECK(positional_kinds(*find_command_spec(Command::Goto)) ==
              std::vector<K>{K::App, K::MigrationId});
        CHECK(positional_kinds(*find_command_spec(Command::Restore)) == std::vector<K>{K::File});
        CHECK(positional_kinds(*find_command_spec(Command::Help)) == std::vector<K>{K::Command});
        CHECK(positional_kinds(*find_command_spec(Command::New)) ==
              std::vector<K>{K::App, K::Text});
        // Option values in a usage line are not arguments: "-o FILE", "[--label LABEL]".
        CHECK(positional_kinds(*find_command_spec(Command::Bundle)).empty());
        CHECK(positional_kinds(*find_command_spec(Command::Embed)) == std::vector<K>{K::AppOrAll});
        CHECK(positional_kinds(*find_command_spec(Command::Schema)).empty());
    }

    TEST_CASE("the values offered for --foreign-keys are the ones the parser accepts") {
        const OptionSpec* option = find_long_option("foreign-keys");
        REQUIRE(option != nullptr);
        const auto values = option_values(*option);
        CHECK(values == strata::parse_foreign_keys("?").valid);
        for (std::string_view value : values) {
            CAPTURE(value);
            CHECK(strata::parse_foreign_keys(value).value.has_value());
        }
        CHECK(option_values(*find_long_option("steps")).empty());
    }

    TEST_CASE("the man page escapes what groff would take as requests") {
        const std::string man = man_page("0.1.0");
        CHECK(man.starts_with(".\\\" "));
        CHECK(contains(man, ".TH STRATA 1 \"\" \"strata 0.1.0\" \"User Commands\""));
        // Backquoted words in the table's text become bold.
        CHECK(contains(man, "\\fBstrata help COMMAND\\fR"));
        CHECK_FALSE(contains(man, "`"));
    }
}
