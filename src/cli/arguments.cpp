// SPDX-License-Identifier: MIT
#include "cli/arguments.hpp"

#include "strata/error.hpp"
#include "util/suggest.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>

namespace strata::cli {
namespace {

[[noreturn]] void usage_error(std::string message, std::string hint = {}) {
    throw Error(ErrorKind::Usage, std::move(message), {}, std::move(hint));
}

std::size_t parse_steps(const std::string& value) {
    std::size_t steps = 0;
    const char* first = value.data();
    const char* last = value.data() + value.size();
    auto [end, error] = std::from_chars(first, last, steps);
    if (value.empty() || error != std::errc{} || end != last || steps == 0)
        usage_error("--steps needs a positive whole number, not \"" + value + "\"",
                    "for example: strata backwards core --steps 2");
    return steps;
}

// A thread per job: more than a few hundred only costs memory.
std::size_t parse_jobs(const std::string& value) {
    std::size_t jobs = 0;
    const char* first = value.data();
    const char* last = value.data() + value.size();
    auto [end, error] = std::from_chars(first, last, jobs);
    if (value.empty() || error != std::errc{} || end != last || jobs == 0 || jobs > 256)
        usage_error("--jobs needs a whole number from 1 to 256, not \"" + value + "\"",
                    "for example: --jobs 4 works on four databases at once");
    return jobs;
}

// The same range as busy_timeout_ms in strata.toml (busy_timeout_ms_problem).
int parse_busy_timeout(const std::string& value) {
    std::int64_t ms = 0;
    const char* first = value.data();
    const char* last = value.data() + value.size();
    auto [end, error] = std::from_chars(first, last, ms);
    if (value.empty() || error != std::errc{} || end != last || busy_timeout_ms_problem(ms))
        usage_error("--busy-timeout needs a whole number of milliseconds from 0 to " +
                        std::to_string(std::numeric_limits<int>::max()) + ", not \"" + value + "\"",
                    "for example: --busy-timeout 10000 waits up to ten seconds");
    return static_cast<int>(ms);
}

// --foreign-keys is read by the same parser as foreign_keys in strata.toml; only the message
// is worded for the command line.
ForeignKeyMode parse_foreign_keys(const std::string& value) {
    Parsed<ForeignKeyMode> parsed = strata::parse_foreign_keys(value);
    if (parsed.value)
        return *parsed.value;
    if (parsed.refused)
        usage_error(std::move(parsed.message), std::move(parsed.hint));
    std::string valid;
    for (std::size_t i = 0; i < parsed.valid.size(); ++i) {
        if (i > 0)
            valid += i + 1 == parsed.valid.size() ? " or " : ", ";
        valid += parsed.valid[i];
    }
    usage_error("--foreign-keys takes " + valid + ", not \"" + value + "\"");
}

ColourMode parse_colour(const std::string& value) {
    if (value == "auto")
        return ColourMode::Auto;
    if (value == "always")
        return ColourMode::Always;
    if (value == "never")
        return ColourMode::Never;
    usage_error("--color takes auto, always or never, not \"" + value + "\"");
}

// The option table (command_table.cpp) says which options exist and which commands take them;
// what each does to the command line is here, by id, so the table stays data that a man page
// or completion generator can use without the parser, and the switch (-Wswitch) makes an
// option without parsing code a compile error.
void apply_option(const OptionSpec& option, CommandLine& line, const std::string& value) {
    switch (option.id) {
    case OptionId::Project:
        line.project_file = value;
        return;
    case OptionId::Directory:
        line.directory = value;
        return;
    case OptionId::Database:
        line.database = value;
        return;
    case OptionId::EnvFile:
        line.env_file = value;
        return;
    case OptionId::NoDotenv:
        line.no_dotenv = true;
        return;
    case OptionId::BusyTimeout:
        line.busy_timeout_ms = parse_busy_timeout(value);
        return;
    case OptionId::Quiet:
        line.quiet = true;
        return;
    case OptionId::Verbose:
        line.verbose = true;
        return;
    case OptionId::Help:
        line.help = true;
        return;
    case OptionId::Version:
        line.version = true;
        return;
    case OptionId::Fake:
        line.fake = true;
        return;
    case OptionId::Preview:
        line.preview = true;
        return;
    case OptionId::Yes:
        line.yes = true;
        return;
    case OptionId::AllowModified:
        line.allow_modified = true;
        return;
    case OptionId::Atomic:
        line.atomic = true;
        return;
    case OptionId::Backup:
        line.backup = true;
        return;
    case OptionId::OutOfOrder:
        line.out_of_order = true;
        return;
    case OptionId::ForeignKeys:
        line.foreign_keys = parse_foreign_keys(value);
        return;
    case OptionId::Steps:
        line.steps = parse_steps(value);
        return;
    case OptionId::Clean:
        line.clean = true;
        return;
    case OptionId::Json:
        line.json = true;
        return;
    case OptionId::ExitCode:
        line.exit_code = true;
        return;
    case OptionId::Fresh:
        line.fresh = true;
        return;
    case OptionId::AllMigrations:
        line.all_migrations = true;
        return;
    case OptionId::SqlUp:
        line.sql_up = value;
        return;
    case OptionId::SqlDown:
        line.sql_down = value;
        return;
    case OptionId::Seq:
        line.seq = true;
        return;
    case OptionId::Output:
        line.output = value;
        return;
    case OptionId::Namespace:
        line.name_space = value;
        return;
    case OptionId::BundleFile:
        line.bundle = value;
        return;
    case OptionId::Label:
        line.label = value;
        return;
    case OptionId::Colour:
        line.colour = parse_colour(value);
        return;
    case OptionId::From:
        line.from = value;
        return;
    case OptionId::Databases:
        line.databases = value;
        return;
    case OptionId::DatabasesFrom:
        line.databases_from = value;
        return;
    case OptionId::Jobs:
        line.jobs = parse_jobs(value);
        return;
    }
}

std::string commands_taking(const OptionSpec& option) {
    std::string names;
    for (const CommandSpec& spec : command_specs()) {
        if ((option.commands & command_bit(spec.command)) == 0)
            continue;
        if (!names.empty())
            names += ", ";
        names += spec.name;
    }
    return names;
}

std::string help_hint(Command command) {
    if (command == Command::None || command == Command::Help)
        return "`strata --help` lists the commands and options";
    return "`strata " + std::string(command_name(command)) + " --help` lists its options";
}

// An option given, remembered until the command is known so that options may precede it.
struct GivenOption {
    const OptionSpec* option;
    std::string as_written;
};

// Words other migration tools (dbmate, goose, golang-migrate, Flyway, Django) use for what
// strata does under another name: pointing at the equivalent beats a spelling suggestion.
struct ForeignWord {
    std::string_view word;
    std::string_view pointer;
};

constexpr std::array<ForeignWord, 8> k_foreign_commands{{
    {"migrate", "strata's command for that is \"forwards\" (or \"up\")"},
    {"apply", "strata's command for that is \"forwards\" (or \"up\")"},
    {"rollback", "strata's command for that is \"backwards\" (or \"down\")"},
    {"create", "strata's command for that is \"new\": strata new APP DESCRIPTION..."},
    {"generate", "strata's command for that is \"new\": strata new APP DESCRIPTION..."},
    {"dump", "strata's command for that is \"schema\" (strata schema > schema.sql), or set "
             "schema_file in strata.toml to have it written after every run"},
    {"version", "strata's version is printed by \"strata --version\"; \"strata check\" shows "
                "which migrations have run"},
    {"reset", "strata's command for that is \"backwards all\" (reverses every migration)"},
}};

constexpr std::array<ForeignWord, 1> k_foreign_options{{
    {"--dry-run", "strata's option for that is --preview"},
}};

std::optional<std::string_view> foreign_pointer(std::span<const ForeignWord> words,
                                                std::string_view written) {
    for (const ForeignWord& entry : words)
        if (entry.word == written)
            return entry.pointer;
    return std::nullopt;
}

[[noreturn]] void unknown_option(std::string_view written, Command command) {
    std::string hint = help_hint(command);
    if (auto pointer = foreign_pointer(k_foreign_options, written))
        usage_error("unknown option \"" + std::string(written) + "\"",
                    std::string(*pointer) + "; " + hint);
    if (written.starts_with("--")) {
        std::vector<std::string_view> names;
        for (const OptionSpec& option : option_specs())
            names.push_back(option.long_name);
        std::string closest = util::closest_match(written.substr(2), names);
        if (!closest.empty())
            hint = "did you mean --" + closest + "? " + hint;
    }
    usage_error("unknown option \"" + std::string(written) + "\"", hint);
}

Command command_from_word(const std::string& word) {
    if (std::optional<Command> command = find_command(word))
        return *command;
    if (auto pointer = foreign_pointer(k_foreign_commands, word))
        usage_error("unknown command \"" + word + "\"",
                    std::string(*pointer) + "; `strata --help` lists the commands");
    std::vector<std::string_view> names;
    for (const CommandSpec& spec : command_specs()) {
        names.push_back(spec.name);
        if (!spec.alias.empty())
            names.push_back(spec.alias);
    }
    std::string closest = util::closest_match(word, names);
    std::string hint = "`strata --help` lists the commands";
    if (!closest.empty())
        hint = "did you mean \"" + closest + "\"? " + hint;
    usage_error("unknown command \"" + word + "\"", hint);
}

void check_argument_count(const CommandLine& line) {
    const CommandSpec* spec = find_command_spec(line.command);
    if (spec == nullptr) {
        usage_error("no command given", help_hint(Command::None));
    }
    std::string usage_hint = "usage: " + std::string(spec->usage);
    std::size_t count = line.positionals.size();
    if (count < spec->min_args) {
        switch (line.command) {
        case Command::Goto:
            usage_error("goto needs an app name and a migration id", usage_hint);
        case Command::New:
            usage_error("new needs an app name and a description", usage_hint);
        default:
            usage_error(std::string(spec->name) + " needs more arguments", usage_hint);
        }
    }
    if (count > spec->max_args)
        usage_error("too many arguments for " + std::string(spec->name) + ": \"" +
                        line.positionals[spec->max_args] + "\"",
                    usage_hint);
}

} // namespace

CommandLine parse_arguments(const std::vector<std::string>& args) {
    CommandLine line;
    std::vector<GivenOption> given;
    bool options_ended = false;

    auto take_word = [&](const std::string& word) {
        if (line.command == Command::None)
            line.command = command_from_word(word);
        else
            line.positionals.push_back(word);
    };

    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (options_ended || arg == "-" || !arg.starts_with("-")) {
            take_word(arg);
            continue;
        }
        if (arg == "--") {
            options_ended = true;
            continue;
        }

        if (arg.starts_with("--")) {
            std::size_t equals = arg.find('=');
            std::string written = arg.substr(0, equals);
            std::optional<std::string> value;
            if (equals != std::string::npos)
                value = arg.substr(equals + 1);
            const OptionSpec* option = find_long_option(std::string_view(written).substr(2));
            if (option == nullptr)
                unknown_option(written, line.command);
            if (option->value_name.empty() && value)
                usage_error("option " + written + " does not take a value",
                            help_hint(line.command));
            if (!option->value_name.empty() && !value) {
                if (i + 1 >= args.size())
                    usage_error("option " + written + " needs a value", help_hint(line.command));
                value = args[++i];
            }
            apply_option(*option, line, value.value_or(std::string{}));
            given.push_back({option, written});
            continue;
        }

        // Short options: flags may be bundled ("-qy"); a value may be attached ("-Cdir").
        for (std::size_t j = 1; j < arg.size(); ++j) {
            std::string written = std::string("-") + arg[j];
            const OptionSpec* option = find_short_option(arg[j]);
            if (option == nullptr)
                unknown_option(written, line.command);
            given.push_back({option, written});
            if (option->value_name.empty()) {
                apply_option(*option, line, {});
                continue;
            }
            if (j + 1 < arg.size()) {
                apply_option(*option, line, arg.substr(j + 1));
            } else {
                if (i + 1 >= args.size())
                    usage_error("option " + written + " needs a value", help_hint(line.command));
                apply_option(*option, line, args[++i]);
            }
            break;
        }
    }

    if (line.command == Command::None) {
        if (line.help || line.version)
            return line;
        usage_error("no command given", help_hint(Command::None));
    }

    for (const GivenOption& option : given) {
        if (takes_option(line.command, *option.option))
            continue;
        usage_error("option " + option.as_written + " is not valid for " +
                        std::string(command_name(line.command)),
                    "it belongs to: " + commands_taking(*option.option) + "; " +
                        help_hint(line.command));
    }

    if (line.help || line.version)
        return line;

    check_argument_count(line);
    if (line.quiet && line.verbose)
        usage_error("--quiet and --verbose cannot be used together");
    if (line.command == Command::Backwards && line.steps && line.positionals.size() > 1)
        usage_error("--steps and MIGRATION_ID cannot be used together",
                    "use either `--steps N` or a migration id");
    if (line.command == Command::Help && !line.positionals.empty())
        command_from_word(line.positionals.front()); // an unknown name is an error here too
    return line;
}

} // namespace strata::cli
