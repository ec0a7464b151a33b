// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace strata::cli {

// The commands strata knows. None: only global options were given (e.g. --version).
enum class Command {
    None,
    Forwards,
    Backwards,
    Goto,
    Redo,
    Check,
    Sync,
    Repair,
    Clean,
    Verify,
    Schema,
    Restore,
    Embed,
    Bundle,
    New,
    Init,
    Lint,
    Import,
    Help
};

// One accepted value of a command's argument and what it means ("1": "only the next ...").
struct ArgumentValue {
    std::string_view value;
    std::string_view text;
};

// A command's argument whose values the help explains one by one (MIGRATION_ID).
struct ArgumentHelp {
    std::string_view name;
    std::vector<ArgumentValue> values;
};

// CommandSpec::max_args of a command that takes any number of arguments.
inline constexpr std::size_t k_unlimited = std::numeric_limits<std::size_t>::max();

// Everything known about one command: how many arguments the parser accepts, and the texts
// from which its help (and a man page or shell completions) are generated. Texts are stored
// unwrapped; renderers wrap them.
struct CommandSpec {
    Command command;
    std::string_view name;
    std::string_view alias; // "" when none
    std::size_t min_args;
    std::size_t max_args;                     // k_unlimited: no limit
    std::string_view usage;                   // "strata check [APP|all] [options]"
    std::string_view summary;                 // one line, lower case, no full stop
    std::vector<std::string_view> paragraphs; // the long description
    std::vector<ArgumentHelp> arguments;      // arguments whose values need explaining
    std::vector<std::string_view> examples;   // command lines, unwrapped
};

// Where an option is listed: taken by every command, one of the run-time overrides of
// strata.toml shared by the commands that run migrations, or a command's own.
enum class OptionGroup { Global, Safety, Command };

// What an option does; the parser switches on it, so an option without parsing code does not
// compile. An alias shares the id of the option it is another name for.
enum class OptionId {
    Project,
    Directory,
    Database,
    EnvFile,
    NoDotenv,
    BusyTimeout,
    Quiet,
    Verbose,
    Help,
    Version,
    Fake,
    Preview,
    Yes,
    AllowModified,
    Atomic,
    Backup,
    OutOfOrder,
    ForeignKeys,
    Steps,
    Clean,
    Json,
    ExitCode,
    SqlUp,
    SqlDown,
    Seq,
    Output,
    Namespace,
    BundleFile,
    Label,
    Colour,
    Fresh,
    AllMigrations,
    From,
    Databases,
    DatabasesFrom,
    Jobs
};

// One option of the command line.
struct OptionSpec {
    OptionId id;
    std::string_view long_name;  // without "--"
    char short_name;             // '\0' when there is none
    std::string_view value_name; // "" when it takes no value ("FILE", "N")
    OptionGroup group;
    unsigned commands;         // bits of the commands that take it (command_bit); 0 if Global
    std::string_view alias_of; // the long name of the option this is another name for, or ""
    std::string_view summary;  // one line, for help and completions
    std::string_view details;  // more for help, after "; " ("" when none)
};

// One documented process exit code.
struct ExitCodeHelp {
    int code;
    std::string_view text;
};

// The texts of `strata --help` that belong to no command.
struct ProgramHelp {
    std::string_view summary;               // after "strata 0.1.0: "
    std::string_view usage;                 // "strata [global options] COMMAND ..."
    std::vector<ExitCodeHelp> exit_codes;   // in order
    std::vector<std::string_view> notes;    // paragraphs (the environment)
    std::vector<std::string_view> examples; // command lines
};

// The bit of a command in OptionSpec::commands.
constexpr unsigned command_bit(Command command) {
    return 1u << static_cast<unsigned>(command);
}

// Every command, in the order help lists them.
std::span<const CommandSpec> command_specs();

// Every option, in the order help lists them (and "did you mean" considers them).
std::span<const OptionSpec> option_specs();

// The program's own help texts.
const ProgramHelp& program_help();

// The row of a command, or nullptr for Command::None.
const CommandSpec* find_command_spec(Command command);

// The canonical name of a command ("forwards" for Command::Forwards; "" for None).
std::string_view command_name(Command command);

// The command a name or alias denotes ("up" -> Forwards), or nullopt.
std::optional<Command> find_command(std::string_view name);

// The option with this long name (without "--"), or nullptr.
const OptionSpec* find_long_option(std::string_view name);

// The option with this short name, or nullptr.
const OptionSpec* find_short_option(char name);

// Whether `command` takes `option` (global options are taken by every command).
bool takes_option(Command command, const OptionSpec& option);

} // namespace strata::cli
