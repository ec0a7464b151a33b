// SPDX-License-Identifier: MIT
#pragma once

#include "strata/error.hpp"
#include "strata/project/settings.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// One [[apps]] entry of strata.toml.
struct AppConfig {
    std::string name{};
    // Absolute, or relative to the working directory. Not read for an app whose migrations come
    // from a source (Context::sources).
    std::filesystem::path migrations_dir{};
    std::vector<std::string> depends_on{};
    SourceLocation where{}; // the [[apps]] table in the project file
};

// A parsed strata.toml. Paths are resolved against the project file's folder.
// A project built in code (no file) needs only `database` and `apps`; designated initialisers
// name what they set.
struct Project {
    std::filesystem::path file{}; // "" for a project built in code
    std::filesystem::path database{};
    int busy_timeout_ms = 5000;
    Settings settings{};
    std::vector<AppConfig> apps{}; // in the order the file lists them

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

// ---- env files (`.env`): variables for ${VAR}, as dbmate and goose users keep them. The
// library reads one only when its caller names it: which one (the project folder's .env,
// --env-file FILE or none) is the caller's choice. ----

// One assignment of an env file.
struct EnvFileEntry {
    std::string name;
    std::string value;
    SourceLocation where; // the line it is on
};

// Parses env-file text: `KEY=value` lines, optionally after `export `; values unquoted (trimmed,
// a ` #` starts a comment), in '...' (literal) or in "..." (\n, \t, \", \\ and \$ escapes; may
// span lines); blank lines and # comments. Values are not expanded. Throws Error(ProjectFile)
// at path:line for anything else.
std::vector<EnvFileEntry> parse_env_file(std::string_view text, const std::string& path);

// What load_env_file does when the file does not exist.
enum class MissingEnvFile {
    Error, // a file the user named: Error(ProjectFile)
    Skip,  // the project folder's .env, which is optional: no entries
};

// Reads and parses `file` (through util's one file reader). Throws Error(ProjectFile) when it
// cannot be read, is not UTF-8, or does not parse; a missing file as `missing` says.
std::vector<EnvFileEntry> load_env_file(const std::filesystem::path& file,
                                        MissingEnvFile missing = MissingEnvFile::Error);

// A lookup that asks `first` (e.g. process_environment()) and, for a variable it does not have,
// `entries` (the last assignment of a name wins), so the environment wins over the file.
EnvLookup with_env_file(EnvLookup first, std::vector<EnvFileEntry> entries);

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

} // namespace strata
