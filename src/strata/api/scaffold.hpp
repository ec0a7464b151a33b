// SPDX-License-Identifier: MIT
#pragma once

#include "strata/project/project.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

namespace strata {

// The pair of files `create_migration` wrote.
struct NewMigrationFiles {
    std::string id;   // "20261121093000"
    std::string name; // "20261121093000_create_users"
    std::filesystem::path up_path;
    std::filesystem::path down_path;
};

// What `init_project` wrote.
struct InitFiles {
    std::filesystem::path project_file;
    std::filesystem::path migrations_dir;
};

// A migration id from a time: its UTC date and time as YYYYMMDDHHMMSS.
std::string timestamp_id(std::chrono::system_clock::time_point now);

// Writes <timestamp_id(now)>_<slug>.up.sql and .down.sql in app.migrations_dir (creating the
// folder if needed). Empty SQL gets a comment to replace. Never overwrites: throws Error(Usage)
// for a description without letters or digits, or when a file with the same id exists; throws
// Error(MigrationFiles) when a file cannot be written.
NewMigrationFiles create_migration(const AppConfig& app, std::string_view description,
                                   std::string_view up_sql, std::string_view down_sql,
                                   std::chrono::system_clock::time_point now);

// Writes a commented dir/strata.toml for one app and creates dir/migrations/<app_name>.
// Throws Error(Usage) when strata.toml exists or the app name is not valid, Error(ProjectFile)
// when the file cannot be written.
InitFiles init_project(const std::filesystem::path& dir, std::string_view app_name);

} // namespace strata
