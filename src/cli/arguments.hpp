// SPDX-License-Identifier: MIT
#pragma once

#include "cli/command_table.hpp"
#include "cli/help.hpp" // callers that parse usually show help too
#include "strata/project/settings.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace strata::cli {

// --color: auto colours only a terminal's output (and honours NO_COLOR and TERM=dumb).
enum class ColourMode { Auto, Always, Never };

// A parsed command line. Parsing only checks shape (known names, option values, argument
// counts); whether an app or migration exists is the library's business.
struct CommandLine {
    Command command = Command::None;
    std::vector<std::string> positionals; // the command's arguments, in order

    // Global options.
    std::optional<std::string> project_file; // -p/--project FILE
    std::optional<std::string> directory;    // -C DIR
    std::optional<std::string> database;     // --database PATH
    std::optional<std::string> env_file;     // --env-file FILE
    bool no_dotenv = false;                  // --no-dotenv
    std::optional<int> busy_timeout_ms;      // --busy-timeout MS
    bool quiet = false;
    bool verbose = false;
    bool help = false;
    bool version = false;
    ColourMode colour = ColourMode::Auto; // --color WHEN

    // Per-command options.
    bool fake = false;                     // forwards
    bool preview = false;                  // forwards, backwards, goto
    bool yes = false;                      // forwards, backwards, goto
    std::optional<std::size_t> steps;      // backwards
    bool clean = false;                    // backwards
    bool json = false;                     // check
    bool exit_code = false;                // check
    std::optional<std::string> sql_up;     // new
    std::optional<std::string> sql_down;   // new
    bool seq = false;                      // new
    std::optional<std::string> output;     // embed
    std::optional<std::string> name_space; // embed
    std::optional<std::string> bundle;     // --bundle FILE: forwards, backwards, goto, sync, check
    std::optional<std::string> label;      // bundle
    bool fresh = false;                    // verify
    bool all_migrations = false;           // verify --all
    std::optional<std::string> from;       // import: the other tool's format
    std::optional<std::string> databases;  // --databases GLOB: forwards, check, sync
    std::optional<std::string> databases_from; // --databases-from FILE
    std::optional<std::size_t> jobs;           // --jobs N (with one of the two above)

    // Safety overrides of strata.toml's settings (forwards, backwards, goto, sync).
    bool allow_modified = false;                // run although applied files were edited
    bool atomic = false;                        // transaction = "all"
    bool backup = false;                        // backup = true
    bool out_of_order = false;                  // out_of_order = "allow"
    std::optional<ForeignKeyMode> foreign_keys; // foreign_keys = MODE
};

// Parses the arguments after the program name. Options may come before or after the command;
// "--" ends option parsing. Throws Error(Usage) for an unknown command or option (suggesting
// the closest one), a missing or bad option value, an option the command does not take, or a
// wrong number of arguments (not checked when --help or --version is given).
CommandLine parse_arguments(const std::vector<std::string>& args);

} // namespace strata::cli
