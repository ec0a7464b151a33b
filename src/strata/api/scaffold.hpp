// SPDX-License-Identifier: MIT
#pragma once

#include "strata/migration_id.hpp"
#include "strata/project/project.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

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

// How `create_migration` numbers a new migration. Auto continues the app's files: a sequence
// (0001, 0002, ...) goes on as one, otherwise the id is the time. Sequence starts an app with no
// files at 0001.
enum class IdStyle { Auto, Sequence };

// The id of the next migration after the ids in `existing`: the newest + 1 (at its width) for a
// sequence (ids shorter than a timestamp), else timestamp_id(now), but never at or below the
// newest id, which is then followed by newest + 1. Throws Error(Usage) for IdStyle::Sequence
// when the existing ids are timestamps.
std::string next_migration_id(const std::vector<MigrationId>& existing,
                              std::chrono::system_clock::time_point now, IdStyle style);

// Writes <id>_<slug>.up.sql and .down.sql in app.migrations_dir (creating the folder if
// needed), the id from next_migration_id over the folder's files. Empty SQL gets a comment to
// replace. Never overwrites: throws Error(Usage) for a description without letters or digits,
// or when a file with the same id appeared meanwhile; throws Error(MigrationFiles) when a file
// cannot be written.
NewMigrationFiles create_migration(const AppConfig& app, std::string_view description,
                                   std::string_view up_sql, std::string_view down_sql,
                                   std::chrono::system_clock::time_point now,
                                   IdStyle style = IdStyle::Auto);

// Writes a commented dir/strata.toml for one app and creates dir/migrations/<app_name>.
// Throws Error(Usage) when strata.toml exists or the app name is not valid, Error(ProjectFile)
// when the file cannot be written.
InitFiles init_project(const std::filesystem::path& dir, std::string_view app_name);

} // namespace strata
