// SPDX-License-Identifier: MIT
#include "cli/arguments.hpp"

#include "core/error.hpp"
#include "core/project/project.hpp"

#include <array>
#include <charconv>
#include <limits>

#ifndef STRATA_VERSION
#define STRATA_VERSION "0.1.0"
#endif

namespace strata::cli {
namespace {

struct CommandSpec {
    Command command;
    std::string_view name;
    std::string_view alias; // "" when none
    std::size_t min_args;
    std::size_t max_args; // npos: no limit
    std::string_view usage;
};

constexpr std::size_t k_unlimited = std::numeric_limits<std::size_t>::max();

constexpr std::array<CommandSpec, 12> k_commands{{
    {Command::Forwards, "forwards", "up", 0, 2,
     "strata forwards [APP|all] [MIGRATION_ID] [options]"},
    {Command::Backwards, "backwards", "down", 1, 2,
     "strata backwards APP|all [MIGRATION_ID] [options]"},
    {Command::Goto, "goto", "", 2, 2, "strata goto APP MIGRATION_ID [options]"},
    {Command::Check, "check", "status", 0, 1, "strata check [APP|all] [options]"},
    {Command::Sync, "sync", "", 0, 1, "strata sync [APP|all] [options]"},
    {Command::Repair, "repair", "", 1, 2, "strata repair APP [MIGRATION_ID]"},
    {Command::Clean, "clean", "", 1, 1, "strata clean APP [options]"},
    {Command::Schema, "schema", "", 0, 0, "strata schema"},
    {Command::Restore, "restore", "", 1, 1, "strata restore BACKUP [options]"},
    {Command::New, "new", "", 2, k_unlimited, "strata new APP DESCRIPTION... [options]"},
    {Command::Init, "init", "", 0, 1, "strata init [APP]"},
    {Command::Help, "help", "", 0, 1, "strata help [COMMAND]"},
}};

const CommandSpec* find_spec(Command command) {
    for (const CommandSpec& spec : k_commands)
        if (spec.command == command)
            return &spec;
    return nullptr;
}

constexpr unsigned bit(Command command) {
    return 1u << static_cast<unsigned>(command);
}

constexpr unsigned k_global = 0; // an option every command (and no command) accepts

using Apply = void (*)(CommandLine&, const std::string& value);

struct OptionSpec {
    std::string_view long_name; // without "--"; "" when there is none
    char short_name;            // '\0' when there is none
    bool takes_value;
    unsigned commands; // k_global, or the bits of the commands that take it
    Apply apply;
};

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

// The commands that run migrations and so take the safety overrides.
constexpr unsigned k_running =
    bit(Command::Forwards) | bit(Command::Backwards) | bit(Command::Goto) | bit(Command::Sync);

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

const std::array<OptionSpec, 22> k_options{{
    {"project", 'p', true, k_global,
     [](CommandLine& line, const std::string& value) { line.project_file = value; }},
    {"directory", 'C', true, k_global,
     [](CommandLine& line, const std::string& value) { line.directory = value; }},
    {"database", '\0', true, k_global,
     [](CommandLine& line, const std::string& value) { line.database = value; }},
    {"quiet", 'q', false, k_global,
     [](CommandLine& line, const std::string&) { line.quiet = true; }},
    {"verbose", 'v', false, k_global,
     [](CommandLine& line, const std::string&) { line.verbose = true; }},
    {"help", 'h', false, k_global, [](CommandLine& line, const std::string&) { line.help = true; }},
    {"version", '\0', false, k_global,
     [](CommandLine& line, const std::string&) { line.version = true; }},
    {"fake", '\0', false, bit(Command::Forwards),
     [](CommandLine& line, const std::string&) { line.fake = true; }},
    {"preview", '\0', false, k_running,
     [](CommandLine& line, const std::string&) { line.preview = true; }},
    {"yes", 'y', false, k_running | bit(Command::Clean) | bit(Command::Restore),
     [](CommandLine& line, const std::string&) { line.yes = true; }},
    {"auto-agree", '\0', false, k_running | bit(Command::Clean) | bit(Command::Restore),
     [](CommandLine& line, const std::string&) { line.yes = true; }},
    {"allow-modified", '\0', false, k_running,
     [](CommandLine& line, const std::string&) { line.allow_modified = true; }},
    {"atomic", '\0', false, k_running,
     [](CommandLine& line, const std::string&) { line.atomic = true; }},
    {"backup", '\0', false, k_running,
     [](CommandLine& line, const std::string&) { line.backup = true; }},
    {"out-of-order", '\0', false, k_running,
     [](CommandLine& line, const std::string&) { line.out_of_order = true; }},
    {"foreign-keys", '\0', true, k_running,
     [](CommandLine& line, const std::string& value) {
         line.foreign_keys = parse_foreign_keys(value);
     }},
    {"steps", '\0', true, bit(Command::Backwards),
     [](CommandLine& line, const std::string& value) { line.steps = parse_steps(value); }},
    {"clean", '\0', false, bit(Command::Backwards),
     [](CommandLine& line, const std::string&) { line.clean = true; }},
    {"json", '\0', false, bit(Command::Check),
     [](CommandLine& line, const std::string&) { line.json = true; }},
    {"exit-code", '\0', false, bit(Command::Check),
     [](CommandLine& line, const std::string&) { line.exit_code = true; }},
    {"sql-up", '\0', true, bit(Command::New),
     [](CommandLine& line, const std::string& value) { line.sql_up = value; }},
    {"sql-down", '\0', true, bit(Command::New),
     [](CommandLine& line, const std::string& value) { line.sql_down = value; }},
}};

std::string commands_taking(const OptionSpec& option) {
    std::string names;
    for (const CommandSpec& spec : k_commands) {
        if ((option.commands & bit(spec.command)) == 0)
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

const OptionSpec* find_long(std::string_view name) {
    for (const OptionSpec& option : k_options)
        if (option.long_name == name)
            return &option;
    return nullptr;
}

const OptionSpec* find_short(char name) {
    for (const OptionSpec& option : k_options)
        if (option.short_name != '\0' && option.short_name == name)
            return &option;
    return nullptr;
}

[[noreturn]] void unknown_option(std::string_view written, Command command) {
    std::string hint = help_hint(command);
    if (written.starts_with("--")) {
        std::vector<std::string_view> names;
        for (const OptionSpec& option : k_options)
            names.push_back(option.long_name);
        std::string closest = closest_key(written.substr(2), names);
        if (!closest.empty())
            hint = "did you mean --" + closest + "? " + hint;
    }
    usage_error("unknown option \"" + std::string(written) + "\"", hint);
}

Command command_from_word(const std::string& word) {
    if (std::optional<Command> command = find_command(word))
        return *command;
    std::vector<std::string_view> names;
    for (const CommandSpec& spec : k_commands) {
        names.push_back(spec.name);
        if (!spec.alias.empty())
            names.push_back(spec.alias);
    }
    std::string closest = closest_key(word, names);
    std::string hint = "`strata --help` lists the commands";
    if (!closest.empty())
        hint = "did you mean \"" + closest + "\"? " + hint;
    usage_error("unknown command \"" + word + "\"", hint);
}

void check_argument_count(const CommandLine& line) {
    const CommandSpec* spec = find_spec(line.command);
    if (spec == nullptr) {
        usage_error("no command given", help_hint(Command::None));
    }
    std::string usage_hint = "usage: " + std::string(spec->usage);
    std::size_t count = line.positionals.size();
    if (count < spec->min_args) {
        switch (line.command) {
        case Command::Backwards:
            usage_error("backwards needs an app name (or \"all\")", usage_hint);
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

std::string_view command_name(Command command) {
    const CommandSpec* spec = find_spec(command);
    return spec == nullptr ? std::string_view{} : spec->name;
}

std::optional<Command> find_command(std::string_view name) {
    for (const CommandSpec& spec : k_commands)
        if (spec.name == name || (!spec.alias.empty() && spec.alias == name))
            return spec.command;
    return std::nullopt;
}

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
            const OptionSpec* option = find_long(std::string_view(written).substr(2));
            if (option == nullptr)
                unknown_option(written, line.command);
            if (!option->takes_value && value)
                usage_error("option " + written + " does not take a value",
                            help_hint(line.command));
            if (option->takes_value && !value) {
                if (i + 1 >= args.size())
                    usage_error("option " + written + " needs a value", help_hint(line.command));
                value = args[++i];
            }
            option->apply(line, value.value_or(std::string{}));
            given.push_back({option, written});
            continue;
        }

        // Short options: flags may be bundled ("-qy"); a value may be attached ("-Cdir").
        for (std::size_t j = 1; j < arg.size(); ++j) {
            std::string written = std::string("-") + arg[j];
            const OptionSpec* option = find_short(arg[j]);
            if (option == nullptr)
                unknown_option(written, line.command);
            given.push_back({option, written});
            if (!option->takes_value) {
                option->apply(line, {});
                continue;
            }
            if (j + 1 < arg.size()) {
                option->apply(line, arg.substr(j + 1));
            } else {
                if (i + 1 >= args.size())
                    usage_error("option " + written + " needs a value", help_hint(line.command));
                option->apply(line, args[++i]);
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
        if (option.option->commands == k_global || (option.option->commands & bit(line.command)))
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

std::string version_text() {
    return "strata " STRATA_VERSION;
}

std::string overview_help() {
    return version_text() + R"(: SQLite schema migrations from paired .up.sql/.down.sql files

Usage: strata [global options] COMMAND [arguments] [options]

Commands:
  forwards (up)      apply pending migrations
  backwards (down)   reverse applied migrations
  goto               move an app to exactly one migration, forwards or backwards
  check (status)     show which migrations have run and which are pending
  sync               make the database match the project exactly (downgrades too)
  repair             accept the edited up file of an applied migration
  clean              forget applied migrations whose files are gone
  schema             print the database schema as SQL
  restore BACKUP     put a backup written by --backup back in place
  new                write a new pair of migration files
  init               write a strata.toml and an empty migrations folder
  help [COMMAND]     show the help of a command

Global options (before or after the command):
  -p, --project FILE   the project file (default: ./strata.toml)
  -C DIR               run as if strata had been started in DIR
      --database PATH  the database to migrate, instead of the project file's
                       (the environment variable STRATA_DATABASE does the same)
  -q, --quiet          print only errors, questions and what was asked for
  -v, --verbose        also print the project file and database in use
  -h, --help           show this help; `strata COMMAND --help` shows a command's
      --version        print the version

Exit codes:
  0  success, or nothing to do
  1  a migration failed, or the user declined
  2  bad usage, or a bad project or migration file
  3  `check --exit-code` found pending migrations
  4  the database stayed locked by another process
  5  the database cannot be opened, read or written

Output is coloured only when standard output is a terminal and NO_COLOR is unset.

Examples:
  strata init
  strata new main create users
  strata forwards
  strata -C examples/basic check
  strata backwards main --steps 2
)";
}

// The safety options that forwards, backwards, goto and sync share.
constexpr std::string_view k_safety_help = R"(Safety options (override strata.toml):
      --allow-modified      run although applied migrations' up files were edited
      --atomic              commit the whole run as one transaction (transaction = "all")
      --backup              copy the database before the first change (backup = true)
      --out-of-order        apply pending migrations older than the newest applied one
      --foreign-keys MODE   deferred (check before COMMIT), immediate or off
)";

std::string command_help(Command command) {
    switch (command) {
    case Command::Forwards:
        return R"(Usage: strata forwards [APP|all] [MIGRATION_ID] [options]
Alias: up

Applies pending migrations, each in its own transaction together with its row in the
`migrations` table. APP defaults to all: every app, in dependency order.

MIGRATION_ID:
  all         every pending migration (the default)
  1           only the next pending migration
  ID or NAME  the pending migrations up to and including that one
              (20261121093000 or 20261121093000_create_users)

Options:
      --fake     record the migrations as applied without running their SQL
                 (asks first when there is more than one, unless --yes)
      --preview  print the SQL that would run; change nothing
  -y, --yes      do not ask for confirmation (alias --auto-agree)

)" + std::string(k_safety_help) +
               R"(
Global options (-p, -C, --database, -q, -v): see `strata --help`.

Examples:
  strata forwards
  strata up core 1
  strata forwards core 20261121093000 --preview
)";
    case Command::Backwards:
        return R"(Usage: strata backwards APP|all [MIGRATION_ID] [options]
Alias: down

Reverses applied migrations, newest first, each in its own transaction. It lists what it
will undo and asks "Reverse N migration(s)? [y/N]"; only y or yes proceeds. `all` as APP
reverses every applied migration of every app, in reverse dependency order.

MIGRATION_ID:
  1           the most recently applied migration (the default)
  all         every applied migration of the app
  ID or NAME  that migration and every migration applied after it

Options:
      --steps N   reverse the N most recently applied migrations
  -y, --yes       do not ask for confirmation (alias --auto-agree); needed when
                  standard input is not a terminal
      --clean     delete the reversed migrations' files afterwards
      --preview   print the down SQL that would run; change nothing

)" + std::string(k_safety_help) +
               R"(
Global options (-p, -C, --database, -q, -v): see `strata --help`.

Examples:
  strata backwards core
  strata down core --steps 3 --yes
  strata backwards core 20261121093000 --preview
  strata backwards all --yes
)";
    case Command::Goto:
        return R"(Usage: strata goto APP MIGRATION_ID [options]

Moves one app to exactly MIGRATION_ID: applies the pending migrations up to it, or
reverses the applied ones after it (asking first, as backwards does). A MIGRATION_ID of 0
reverses everything.

Options:
      --preview  print the SQL that would run; change nothing
  -y, --yes      do not ask for confirmation (alias --auto-agree)

)" + std::string(k_safety_help) +
               R"(
Global options (-p, -C, --database, -q, -v): see `strata --help`.

Examples:
  strata goto core 20261121093000
  strata goto core 0 --yes
)";
    case Command::Check:
        return R"(Usage: strata check [APP|all] [options]
Alias: status

Lists every migration in the order forwards would run them, with its status: applied
(and when), pending, modified (applied, but its up file was edited since) or missing
(applied, but its files are gone). Never writes to the database, nor creates it.

Options:
      --json       print a JSON array of objects {"app_name", "migration_id",
                   "description", "has_ran", "ran_on", "status"} (ran_on is null
                   when pending)
      --exit-code  exit with 3 when any migration is pending, modified or missing

Global options (-p, -C, --database, -q, -v): see `strata --help`.

Examples:
  strata check
  strata status core --json
  strata check --exit-code || strata forwards
)";
    case Command::Sync:
        return R"(Usage: strata sync [APP|all] [options]

Makes the database match the project exactly: first reverses, newest first, the applied
migrations whose files this project does not have (using the down SQL stored when they
ran), then applies every pending migration. This is how a device or desktop app that was
rolled back to an older release brings its database back to that release. It prints the
plan and asks before reversing anything, unless --yes.

Options:
      --preview  print the SQL that would run; change nothing
  -y, --yes      do not ask for confirmation (alias --auto-agree)

)" + std::string(k_safety_help) +
               R"(
Examples:
  strata sync
  strata sync --yes --backup
)";
    case Command::Repair:
        return R"(Usage: strata repair APP [MIGRATION_ID]

Records the current checksum (and down SQL) of applied migrations whose up file was
edited on purpose (all modified migrations of APP, or only MIGRATION_ID), printing the
old and new checksums. Until then forwards refuses to run while an applied file differs.

Examples:
  strata repair core
  strata repair core 20261121093000
)";
    case Command::Clean:
        return R"(Usage: strata clean APP [options]

Removes the state rows of APP's applied migrations whose files are gone, after asking.
Their schema changes stay in the database; only strata's record of them is dropped.

Options:
  -y, --yes   do not ask for confirmation (alias --auto-agree)

Examples:
  strata clean core --yes
)";
    case Command::Schema:
        return R"(Usage: strata schema

Prints the database schema as SQL, in a deterministic order, without strata's own
`migrations` table. Set schema_file in strata.toml to have it written after every run
that changes the database.

Examples:
  strata schema > schema.sql
)";
    case Command::Restore:
        return R"(Usage: strata restore BACKUP [options]

Puts BACKUP (a file written by --backup, e.g. app.db.20261121T093000.123Z.bak) back in
place of the database, after checking that it is a healthy SQLite database and asking.
Refuses (exit 4) when another connection holds a lock on the database, or has a WAL
database open at all; it waits at most a quarter of a second for one.

Options:
  -y, --yes   do not ask for confirmation (alias --auto-agree)

Examples:
  strata restore app.db.20261121T093000.123Z.bak --yes
)";
    case Command::New:
        return R"(Usage: strata new APP DESCRIPTION... [options]

Writes <YYYYMMDDHHMMSS>_<slug>.up.sql and .down.sql (the id is the current UTC time) in
APP's migrations folder and prints their paths. The slug is the description in lower
case, every run of characters other than a-z and 0-9 turned into "_".

Options:
      --sql-up SQL    the content of the up file (default: a comment to replace)
      --sql-down SQL  the content of the down file (default: a comment to replace)

Global options (-p, -C): see `strata --help`.

Examples:
  strata new core create users
  strata new core add email --sql-up "ALTER TABLE users ADD COLUMN email TEXT;" \
      --sql-down "ALTER TABLE users DROP COLUMN email;"
)";
    case Command::Init:
        return R"(Usage: strata init [APP]

Writes a commented strata.toml (database = "app.db", one app) and an empty
migrations/APP folder in the current folder, or in DIR with -C DIR. APP defaults to
"main". Refuses when strata.toml already exists.

Examples:
  strata init
  strata -C myproject init core
)";
    case Command::Help:
        return R"(Usage: strata help [COMMAND]

Shows the help of COMMAND, or the overview without one.
)";
    case Command::None:
        break;
    }
    return overview_help();
}

} // namespace strata::cli
