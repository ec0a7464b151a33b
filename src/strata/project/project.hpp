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
