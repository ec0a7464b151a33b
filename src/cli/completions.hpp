// SPDX-License-Identifier: MIT
#pragma once

#include "cli/command_table.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace strata::cli {

// What a command's positional argument holds, read from its usage line ("[APP|all]" is App),
// so that completions offer the right words.
enum class ArgumentKind {
    App,         // an app of strata.toml (APP)
    AppOrAll,    // an app, or all ([APP|all])
    MigrationId, // a migration id of the app named before it (MIGRATION_ID)
    Command,     // a command name (COMMAND)
    File,        // a file name (BACKUP)
    Text         // free text, nothing to offer (DESCRIPTION...)
};

// The kinds of `spec`'s positional arguments, in order, from its usage line; the last one
// repeats when the usage ends with "...".
std::vector<ArgumentKind> positional_kinds(const CommandSpec& spec);

// The accepted values of an option's value ("deferred immediate off" for --foreign-keys), or
// empty when any text goes (a file, a number).
std::vector<std::string_view> option_values(const OptionSpec& option);

// The bash completion script: commands, options, option values, apps and migration ids (asked
// of `strata check --json` with the project options already on the line).
std::string bash_completion();

// The zsh completion function (_strata), with the same words as bash_completion().
std::string zsh_completion();

// The fish completions (strata.fish), with the same words as bash_completion().
std::string fish_completion();

// The man page strata(1) in groff's man macros: every command, option and exit code.
std::string man_page(std::string_view version);

} // namespace strata::cli
