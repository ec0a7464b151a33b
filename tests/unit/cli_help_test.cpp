// SPDX-License-Identifier: MIT
// Help is generated from the command and option tables, and the parser reads the same tables:
// these tests fail when help, tables and parser disagree, or when help outgrows 80 columns.
#include "cli/arguments.hpp"
#include "cli/command_table.hpp"
#include "cli/help.hpp"
#include "strata/error.hpp"

#include <doctest/doctest.h>

#include <set>
#include <sstream>

using strata::Error;
using namespace strata::cli;

namespace {

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// The text with every run of spaces and line breaks made one space, so that wrapped text can
// be searched for as the table holds it.
std::string flattened(std::string_view text) {
    std::string out;
    for (char c : text) {
        bool space = c == ' ' || c == '\n';
        if (space && (out.empty() || out.back() == ' '))
            continue;
        out += space ? ' ' : c;
    }
    return out;
}

// The help of every command, and the overview last.
std::vector<std::pair<std::string, std::string>> every_help() {
    std::vector<std::pair<std::string, std::string>> helps;
    for (const CommandSpec& spec : command_specs())
        helps.emplace_back(std::string(spec.name), command_help(spec.command));
    helps.emplace_back("overview", overview_help());
    return helps;
}

// The label help gives an option's row: "  -y, --yes" or "      --fake".
std::string row_start(const OptionSpec& option) {
    std::string start = option.short_name != '\0' ? std::string("  -") + option.short_name + ", "
                                                  : std::string(6, ' ');
    return start + "--" + std::string(option.long_name);
}

bool has_row(const std::string& help, const OptionSpec& option) {
    std::string start = row_start(option);
    for (const std::string& line : lines_of(help))
        if (line.starts_with(start) && (line.size() == start.size() || line[start.size()] == ' '))
            return true;
    return false;
}

// The smallest argument list `command` accepts, without options.
std::vector<std::string> minimal_arguments(const CommandSpec& spec) {
    std::vector<std::string> args{std::string(spec.name)};
    for (std::size_t i = 0; i < spec.min_args; ++i)
        args.push_back(i == 0 ? "core" : "1");
    return args;
}

// A value the option's own parsing accepts.
std::string valid_value(const OptionSpec& option) {
    switch (option.id) {
    case OptionId::Steps:
        return "2";
    case OptionId::ForeignKeys:
        return "immediate";
    case OptionId::Colour:
        return "never";
    case OptionId::BusyTimeout:
        return "100";
    case OptionId::Jobs:
        return "2";
    default:
        return "value";
    }
}

// An example command line as the shell would pass it to strata: quotes removed, and cut at a
// redirection or a second command.
std::vector<std::string> example_arguments(std::string_view example) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    char quote = '\0';
    for (char c : example) {
        if (quote != '\0') {
            if (c == quote)
                quote = '\0';
            else
                word += c;
        } else if (c == '"' || c == '\'') {
            quote = c;
            in_word = true;
        } else if (c == ' ') {
            if (in_word)
                words.push_back(word);
            word.clear();
            in_word = false;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (in_word)
        words.push_back(word);
    std::vector<std::string> args;
    for (std::size_t i = 1; i < words.size(); ++i) {
        if (words[i] == ">" || words[i] == "||" || words[i] == "|" || words[i] == "&&")
            break;
        args.push_back(words[i]);
    }
    return args;
}

} // namespace

TEST_SUITE("cli_help") {
    TEST_CASE("every command in the table appears in the overview with its summary") {
        std::vector<std::string> lines = lines_of(overview_help());
        for (const CommandSpec& spec : command_specs()) {
            CAPTURE(spec.name);
            std::string label = "  " + std::string(spec.name);
            if (!spec.alias.empty())
                label += " (" + std::string(spec.alias) + ")";
            bool found = false;
            for (const std::string& line : lines)
                if (line.starts_with(label + "  ") &&
                    line.ends_with("  " + std::string(spec.summary)))
                    found = true;
            CHECK(found);
        }
    }

    TEST_CASE("a command's help holds its usage, alias, description, arguments and examples") {
        for (const CommandSpec& spec : command_specs()) {
            CAPTURE(spec.name);
            std::string help = command_help(spec.command);
            CHECK(help.starts_with("Usage: " + std::string(spec.usage) + "\n"));
            CHECK(contains(help, "\nAlias: ") == !spec.alias.empty());
            if (!spec.alias.empty())
                CHECK(contains(help, "\nAlias: " + std::string(spec.alias) + "\n"));
            std::string flat = flattened(help);
            for (std::string_view paragraph : spec.paragraphs)
                CHECK(contains(flat, paragraph));
            for (const ArgumentHelp& argument : spec.arguments) {
                CHECK(contains(help, "\n" + std::string(argument.name) + ":\n"));
                for (const ArgumentValue& value : argument.values)
                    CHECK(contains(flat, " " + std::string(value.value) + " " +
                                             std::string(value.text) + " "));
            }
            // Wrapped examples read back as the table's command lines.
            std::string unwrapped = help;
            for (std::size_t at; (at = unwrapped.find(" \\\n      ")) != std::string::npos;)
                unwrapped.replace(at, 9, " ");
            for (std::string_view example : spec.examples)
                CHECK(contains(unwrapped, "\n  " + std::string(example) + "\n"));
            CHECK(contains(flat, "see `strata --help`"));
        }
        CHECK(command_help(Command::None) == overview_help());
    }

    TEST_CASE("every option a command takes appears in its help with its description") {
        for (const CommandSpec& spec : command_specs()) {
            std::string help = command_help(spec.command);
            std::string flat = flattened(help);
            for (const OptionSpec& option : option_specs()) {
                CAPTURE(spec.name);
                CAPTURE(option.long_name);
                bool taken = takes_option(spec.command, option);
                if (option.group == OptionGroup::Global) {
                    // Named in the note that points to the overview, described there.
                    std::string name = option.short_name != '\0'
                                           ? std::string("-") + option.short_name
                                           : "--" + std::string(option.long_name);
                    CHECK(contains(help, name));
                    continue;
                }
                if (!option.alias_of.empty()) {
                    CHECK(contains(flat, "(alias --" + std::string(option.long_name) + ")") ==
                          taken);
                    continue;
                }
                CHECK(has_row(help, option) == taken);
                if (!taken)
                    continue;
                std::string label = row_start(option);
                if (!option.value_name.empty())
                    label += " " + std::string(option.value_name);
                CHECK(contains(flat, flattened(label) + " " + std::string(option.summary)));
                CHECK(contains(flat, option.details));
            }
        }
    }

    TEST_CASE("the overview lists every global option with its description, exit codes, notes") {
        std::string overview = overview_help();
        std::string flat = flattened(overview);
        for (const OptionSpec& option : option_specs()) {
            CAPTURE(option.long_name);
            CHECK(has_row(overview, option) == (option.group == OptionGroup::Global));
            if (option.group != OptionGroup::Global)
                continue;
            CHECK(contains(flat, option.summary));
            CHECK(contains(flat, option.details));
        }
        const ProgramHelp& program = program_help();
        CHECK(overview.starts_with(version_text() + ": " + std::string(program.summary) + "\n"));
        CHECK(contains(overview, "\nUsage: " + std::string(program.usage) + "\n"));
        for (const ExitCodeHelp& exit_code : program.exit_codes)
            CHECK(contains(flat, " " + std::to_string(exit_code.code) + " " +
                                     std::string(exit_code.text)));
        for (std::string_view note : program.notes)
            CHECK(contains(flat, note));
        for (std::string_view example : program.examples)
            CHECK(contains(overview, "\n  " + std::string(example) + "\n"));
        CHECK(contains(overview, "NO_COLOR"));
        CHECK(contains(overview, "Exit codes:\n  0 "));
    }

    TEST_CASE("the parser takes every option for exactly the commands the table lists") {
        for (const OptionSpec& option : option_specs()) {
            for (const CommandSpec& spec : command_specs()) {
                CAPTURE(option.long_name);
                CAPTURE(spec.name);
                std::vector<std::string> spellings{"--" + std::string(option.long_name)};
                if (option.short_name != '\0')
                    spellings.push_back(std::string("-") + option.short_name);
                for (const std::string& spelling : spellings) {
                    CAPTURE(spelling);
                    std::vector<std::string> args = minimal_arguments(spec);
                    args.push_back(spelling);
                    if (!option.value_name.empty())
                        args.push_back(valid_value(option));
                    if (takes_option(spec.command, option)) {
                        CHECK_NOTHROW(parse_arguments(args));
                        continue;
                    }
                    try {
                        parse_arguments(args);
                        FAIL("the parser took an option the table does not give the command");
                    } catch (const Error& error) {
                        CHECK(error.message() ==
                              "option " + spelling + " is not valid for " + std::string(spec.name));
                    }
                }
            }
        }
    }

    TEST_CASE("the tables are consistent") {
        std::set<std::string_view> command_words;
        for (const CommandSpec& spec : command_specs()) {
            CAPTURE(spec.name);
            CHECK(command_words.insert(spec.name).second);
            if (!spec.alias.empty())
                CHECK(command_words.insert(spec.alias).second);
            CHECK(find_command(spec.name) == spec.command);
            CHECK(command_name(spec.command) == spec.name);
            CHECK(spec.min_args <= spec.max_args);
            CHECK(spec.usage.starts_with("strata " + std::string(spec.name)));
            bool own_options = false;
            for (const OptionSpec& option : option_specs())
                own_options = own_options || (option.group != OptionGroup::Global &&
                                              takes_option(spec.command, option));
            CHECK(spec.usage.ends_with(" [options]") == own_options);
            CHECK_FALSE(spec.summary.empty());
            CHECK_FALSE(spec.paragraphs.empty());
            CHECK_FALSE(spec.examples.empty());
        }

        std::set<std::string_view> long_names;
        std::set<char> short_names;
        for (const OptionSpec& option : option_specs()) {
            CAPTURE(option.long_name);
            CHECK(long_names.insert(option.long_name).second);
            if (option.short_name != '\0')
                CHECK(short_names.insert(option.short_name).second);
            CHECK(find_long_option(option.long_name) == &option);
            CHECK((option.group == OptionGroup::Global) == (option.commands == 0));
            CHECK_FALSE(option.summary.empty());
            if (!option.alias_of.empty()) {
                // An alias is the same option under another name.
                const OptionSpec* target = find_long_option(option.alias_of);
                REQUIRE(target != nullptr);
                CHECK(target->alias_of.empty());
                CHECK(target->id == option.id);
                CHECK(target->commands == option.commands);
                CHECK(target->group == option.group);
                CHECK(target->value_name == option.value_name);
            }
        }
    }

    TEST_CASE("every example in help parses") {
        std::vector<std::string_view> examples = program_help().examples;
        for (const CommandSpec& spec : command_specs())
            examples.insert(examples.end(), spec.examples.begin(), spec.examples.end());
        for (std::string_view example : examples) {
            CAPTURE(example);
            CHECK(example.starts_with("strata "));
            CHECK_NOTHROW(parse_arguments(example_arguments(example)));
        }
    }

    TEST_CASE("option descriptions line up in one column per section") {
        for (const auto& [name, help] : every_help()) {
            CAPTURE(name);
            std::size_t column = 0;
            bool in_options = false;
            for (const std::string& line : lines_of(help)) {
                if (!line.starts_with("  ")) {
                    // A section title, or a blank line or paragraph that ends a section.
                    in_options = contains(line, "ptions") && line.ends_with(":");
                    column = 0;
                    continue;
                }
                if (!in_options)
                    continue;
                if (!line.starts_with("  -") && !line.starts_with("      --")) {
                    // A wrapped line continues under the text of its row.
                    CHECK(line.find_first_not_of(' ') == column);
                    continue;
                }
                std::size_t gap = line.find("  ", line.find_first_not_of(' '));
                REQUIRE(gap != std::string::npos);
                std::size_t text = line.find_first_not_of(' ', gap);
                if (column == 0)
                    column = text;
                CHECK(text == column);
            }
        }
    }

    TEST_CASE("no line of help is wider than 80 columns") {
        for (const auto& [name, help] : every_help()) {
            CAPTURE(name);
            CHECK(help.ends_with("\n"));
            CHECK_FALSE(contains(help, "\n\n\n"));
            for (const std::string& line : lines_of(help)) {
                CAPTURE(line);
                CHECK(line.size() <= 80);
                CHECK_FALSE(line.ends_with(" "));
            }
        }
    }
}
