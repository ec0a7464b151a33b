// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// One [[apps]] entry of strata.toml.
struct AppConfig {
    std::string name;
    std::filesystem::path migrations_dir; // absolute, or relative to the working directory
    std::vector<std::string> depends_on;
    SourceLocation where; // the [[apps]] table in the project file
};

// How foreign keys are enforced while a migration runs.
enum class ForeignKeyMode {
    Deferred,  // off during the migration, then checked (on the tables it touched) before COMMIT
    Immediate, // enforced statement by statement
    Off,       // neither enforced nor checked: for databases that already hold violations
};

// What forwards does with a pending migration older than the newest applied one of its app.
enum class OutOfOrder { Error, Allow };

// Whether each migration commits on its own or the whole run commits as one.
enum class TransactionScope { Each, All };

// The safety settings of strata.toml (top-level keys); the CLI may override some.
struct Settings {
    ForeignKeyMode foreign_keys = ForeignKeyMode::Deferred;
    OutOfOrder out_of_order = OutOfOrder::Error;
    TransactionScope transaction = TransactionScope::Each;
    std::string journal_mode;          // lower case; "" leaves the database's mode as it is
    std::string synchronous = "full";  // "full" or "extra": migrations must survive power loss
    bool backup = false;               // copy the database before the first change of a run
    int keep_backups = 3;              // backups kept per database; older ones are deleted
    std::filesystem::path schema_file; // "" = none; else written after every changing run
};

// A parsed strata.toml. Paths are resolved against the project file's folder.
struct Project {
    std::filesystem::path file;
    std::filesystem::path database;
    int busy_timeout_ms = 5000;
    Settings settings;
    std::vector<AppConfig> apps; // in the order the file lists them

    // The app called `name`, or nullptr.
    const AppConfig* find_app(std::string_view name) const;
    // All apps, each after the apps it depends on (listed order otherwise).
    std::vector<const AppConfig*> apps_in_dependency_order() const;
    // The apps `selector` names ("all" or one app name); throws Error(Usage) for an unknown app.
    std::vector<const AppConfig*> select_apps(std::string_view selector) const;
};

// Looks up an environment variable; returns nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
// The process environment.
EnvLookup process_environment();

// Parses project-file text. `file` is used for messages and to resolve relative paths.
// Does not touch the file system. Throws Error(ProjectFile) pointing at file:line:col.
Project parse_project(std::string_view text, const std::filesystem::path& file,
                      const EnvLookup& env);

// Reads and parses `file`, then checks that every app's migrations folder exists.
// Throws Error(ProjectFile).
Project load_project(const std::filesystem::path& file, const EnvLookup& env);

// Expands ${VAR} and ${VAR:-default}; throws Error(ProjectFile) at `where` for an unset
// variable without default or a malformed reference.
std::string expand_environment(std::string_view text, const EnvLookup& env,
                               const SourceLocation& where);

// The valid key closest to `key` (edit distance), or "" when none is close.
std::string closest_key(std::string_view key, const std::vector<std::string_view>& valid);

} // namespace strata
