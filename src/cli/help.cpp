// SPDX-License-Identifier: MIT
#include "cli/help.hpp"

#include "strata/api/version.hpp"

#include <algorithm>
#include <vector>

#ifndef STRATA_BUILD_TYPE
#define STRATA_BUILD_TYPE "custom"
#endif

namespace strata::cli {
namespace {

// Help fits an 80-column terminal; the tables hold unwrapped text, so the width is decided
// here only.
constexpr std::size_t k_width = 80;
constexpr std::size_t k_row_indent = 2;
constexpr std::size_t k_column_gap = 2;
// Continuation lines of a wrapped example are indented further than its first line.
constexpr std::size_t k_example_indent = 6;

// The units a line may break between: words, except that "key = value" (a strata.toml
// setting) stays whole.
std::vector<std::string_view> split_words(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(' ', start);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view word = text.substr(start, end - start);
        start = end + 1;
        if (word.empty())
            continue;
        bool after_equals = words.size() >= 2 && words.back() == "=";
        if (after_equals) {
            // Extend the unit before "=" over "=" and this word (they are contiguous in text).
            words.pop_back();
            const char* first = words.back().data();
            words.back() = std::string_view(first, word.data() + word.size() - first);
        } else {
            words.push_back(word);
        }
    }
    return words;
}

// The units a shell command line may break between: an option with the words after it up to
// the next option, so an option stays with its value. Breaks fall between words outside
// quotes only, as a backslash-newline inside quotes would change the argument.
std::vector<std::string_view> split_shell_units(std::string_view line) {
    std::vector<std::string_view> words;
    std::size_t start = 0;
    char quote = '\0';
    for (std::size_t i = 0; i <= line.size(); ++i) {
        if (i == line.size() || (line[i] == ' ' && quote == '\0')) {
            if (i > start)
                words.push_back(line.substr(start, i - start));
            start = i + 1;
        } else if (quote == '\0' && (line[i] == '"' || line[i] == '\'')) {
            quote = line[i];
        } else if (quote != '\0' && line[i] == quote) {
            quote = '\0';
        }
    }
    std::vector<std::string_view> units;
    for (std::string_view word : words) {
        if (units.empty() || word.starts_with('-') || !units.back().starts_with('-')) {
            units.push_back(word);
            continue;
        }
        const char* first = units.back().data();
        units.back() = std::string_view(first, word.data() + word.size() - first);
    }
    return units;
}

// `text` wrapped at k_width: the first line starts with `prefix`, the others with `indent`
// spaces. A word longer than a line is not broken.
std::string wrap(std::string_view text, const std::string& prefix, std::size_t indent) {
    std::string out = prefix;
    std::size_t column = prefix.size();
    bool line_empty = true;
    for (std::string_view word : split_words(text)) {
        if (!line_empty && column + 1 + word.size() > k_width) {
            out += '\n';
            out.append(indent, ' ');
            column = indent;
            line_empty = true;
        }
        if (!line_empty) {
            out += ' ';
            ++column;
        }
        out += word;
        column += word.size();
        line_empty = false;
    }
    return out + '\n';
}

std::string paragraph(std::string_view text) {
    return wrap(text, "", 0);
}

// One line of a two-column list: a term and its explanation.
struct Row {
    std::string label;
    std::string text;
};

// Rows with their texts aligned in one column, wrapped under it.
std::string rows_text(const std::vector<Row>& rows) {
    std::size_t label_width = 0;
    for (const Row& row : rows)
        label_width = std::max(label_width, row.label.size());
    std::size_t text_column = k_row_indent + label_width + k_column_gap;
    std::string out;
    for (const Row& row : rows) {
        std::string prefix(k_row_indent, ' ');
        prefix += row.label;
        prefix.resize(text_column, ' ');
        out += wrap(row.text, prefix, text_column);
    }
    return out;
}

// A titled section; "" when it would be empty.
std::string section(std::string_view title, const std::vector<Row>& rows) {
    if (rows.empty())
        return {};
    return std::string(title) + ":\n" + rows_text(rows);
}

std::string examples_text(const std::vector<std::string_view>& examples) {
    if (examples.empty())
        return {};
    std::string out = "Examples:\n";
    for (std::string_view example : examples) {
        std::string line(k_row_indent, ' ');
        bool line_empty = true;
        for (std::string_view word : split_shell_units(example)) {
            // Room for " \" at the end of a line that continues.
            if (!line_empty && line.size() + 1 + word.size() + 2 > k_width) {
                out += line + " \\\n";
                line.assign(k_example_indent, ' ');
                line_empty = true;
            }
            if (!line_empty)
                line += ' ';
            line += word;
            line_empty = false;
        }
        out += line + '\n';
    }
    return out;
}

// "-y, --yes", "    --steps N", "-C, --directory DIR": long names line up whether or not
// there is a short one.
std::string option_label(const OptionSpec& option) {
    std::string label;
    if (option.short_name != '\0')
        label = std::string("-") + option.short_name + (option.long_name.empty() ? "" : ", ");
    else
        label = "    ";
    if (!option.long_name.empty())
        label += "--" + std::string(option.long_name);
    if (!option.value_name.empty())
        label += " " + std::string(option.value_name);
    return label;
}

// The summary, the other names the command accepts for the option, then the details.
std::string option_text(const OptionSpec& option, Command command) {
    std::string text(option.summary);
    std::string aliases;
    for (const OptionSpec& other : option_specs()) {
        if (other.alias_of != option.long_name || !takes_option(command, other))
            continue;
        aliases += (aliases.empty() ? "" : ", ") + std::string("--") + std::string(other.long_name);
    }
    if (!aliases.empty())
        text += " (alias " + aliases + ")";
    if (!option.details.empty())
        text += "; " + std::string(option.details);
    return text;
}

// The rows of the options of `group` that `command` takes; aliases are named in their
// option's row instead of a row of their own.
std::vector<Row> option_rows(OptionGroup group, Command command) {
    std::vector<Row> rows;
    for (const OptionSpec& option : option_specs())
        if (option.group == group && option.alias_of.empty() && takes_option(command, option))
            rows.push_back({option_label(option), option_text(option, command)});
    return rows;
}

// "-p, -C, --database, ...": the global options by their shortest names.
std::string global_option_names() {
    std::string names;
    for (const OptionSpec& option : option_specs()) {
        if (option.group != OptionGroup::Global || !option.alias_of.empty())
            continue;
        if (!names.empty())
            names += ", ";
        names += option.short_name != '\0' ? std::string("-") + option.short_name
                                           : "--" + std::string(option.long_name);
    }
    return names;
}

// Non-empty parts separated by blank lines.
std::string join_sections(const std::vector<std::string>& sections) {
    std::string out;
    for (const std::string& part : sections) {
        if (part.empty())
            continue;
        if (!out.empty())
            out += '\n';
        out += part;
    }
    return out;
}

} // namespace

std::string version_text() {
    return "strata " + std::string(strata::version());
}

std::string version_report() {
    return version_text() + "\nSQLite " + std::string(strata::sqlite_version()) + " (" +
           std::string(strata::sqlite_threading()) + ")\nbuild: " STRATA_BUILD_TYPE "\n";
}

std::string overview_help() {
    const ProgramHelp& program = program_help();
    std::vector<std::string> sections;
    sections.push_back(wrap(program.summary, version_text() + ": ", 0));
    sections.push_back(paragraph("Usage: " + std::string(program.usage)));

    std::vector<Row> commands;
    for (const CommandSpec& spec : command_specs()) {
        std::string label(spec.name);
        if (!spec.alias.empty())
            label += " (" + std::string(spec.alias) + ")";
        commands.push_back({label, std::string(spec.summary)});
    }
    sections.push_back(section("Commands", commands));
    sections.push_back(section("Global options (before or after the command)",
                               option_rows(OptionGroup::Global, Command::None)));

    std::vector<Row> exit_codes;
    for (const ExitCodeHelp& exit_code : program.exit_codes)
        exit_codes.push_back({std::to_string(exit_code.code), std::string(exit_code.text)});
    sections.push_back(section("Exit codes", exit_codes));
    for (std::string_view note : program.notes)
        sections.push_back(paragraph(note));
    sections.push_back(examples_text(program.examples));
    return join_sections(sections);
}

std::string command_help(Command command) {
    const CommandSpec* spec = find_command_spec(command);
    if (spec == nullptr)
        return overview_help();

    std::vector<std::string> sections;
    std::string head = "Usage: " + std::string(spec->usage) + "\n";
    if (!spec->alias.empty())
        head += "Alias: " + std::string(spec->alias) + "\n";
    sections.push_back(head);
    for (std::string_view text : spec->paragraphs)
        sections.push_back(paragraph(text));
    for (const ArgumentHelp& argument : spec->arguments) {
        std::vector<Row> values;
        for (const ArgumentValue& value : argument.values)
            values.push_back({std::string(value.value), std::string(value.text)});
        sections.push_back(section(argument.name, values));
    }
    sections.push_back(section("Options", option_rows(OptionGroup::Command, command)));
    sections.push_back(section("Safety options (override strata.toml)",
                               option_rows(OptionGroup::Safety, command)));
    sections.push_back(
        paragraph("Global options (" + global_option_names() + "): see `strata --help`."));
    sections.push_back(examples_text(spec->examples));
    return join_sections(sections);
}

} // namespace strata::cli
