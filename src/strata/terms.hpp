// SPDX-License-Identifier: MIT
// The words hints use for what the reader can do next: a person at the command line reads
// `strata sync core` and --allow-modified, an application's developer reads
// SyncMigrationManager and Context::allow_modified. Every hint that names a command, an option
// or a setting asks here, so neither audience reads the other's vocabulary.
#pragma once

#include "strata/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace strata::terms {

// The commands a hint can point to.
enum class Command {
    Forwards,
    Backwards,
    Goto,
    Redo,
    Sync,
    Check, // list every migration's status
    Repair,
    Clean,
    Restore,
    Schema,
    Bundle, // write a bundle file
    New,    // create a migration's files
    Init,   // create a project
    Import, // convert another tool's migrations
};

// "`strata sync core`" / "SyncMigrationManager with app \"core\"" (`args` "" for no app; "APP"
// for a placeholder).
std::string command(Command command, std::string_view args = "");
// One app: that app; several: a placeholder with the list ("`strata repair APP` (for a, b)").
std::string command_for_apps(Command command, const std::vector<std::string>& apps);

// The options a hint can point to.
enum class Option {
    AllowModified, // run despite edited migrations
    OutOfOrder,    // apply pending migrations older than applied ones
    AutoAgree,     // proceed without asking
    Database,      // which database file
    Backup,        // copy the database before the first change
    Steps,         // how many migrations back
    Directory,     // the folder a project is created in
};

// "--allow-modified" / "Context::allow_modified = true", and so on.
std::string option(Option option);

// A setting of the project: "`journal_mode` in strata.toml" / "Settings::journal_mode".
// `key` is the project file's key (journal_mode, synchronous, foreign_keys, state_table,
// busy_timeout_ms, migrations).
std::string setting(std::string_view key);
// A setting given a value: "state_table = \"...\" in strata.toml" / "Settings::state_table =
// \"...\"". `value` is written as in TOML, which for a string or a number is also C++.
std::string setting(std::string_view key, std::string_view value);

// The program that runs strata, as in "run ... again": "strata" / "the program".
std::string program();
// Running the program as another user: "run strata as alice (e.g. `sudo -u alice strata ...`
// with the same options)" / "run the program as alice".
std::string run_as(std::string_view user);

} // namespace strata::terms
