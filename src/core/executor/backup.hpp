// SPDX-License-Identifier: MIT
// Copies of a database taken before a run changes it, and putting one back.
#pragma once

#include "core/executor/database.hpp"

#include <chrono>
#include <filesystem>
#include <vector>

namespace strata {

// Writes a consistent copy of the open database (SQLite's online backup API) to
// "<database>.<UTC timestamp>.bak" beside it, durable (fsync) before it gets that name, then
// deletes the oldest of that database's backups beyond `keep` (never the new one). Returns the
// new backup's path. Throws Error(Database) naming the backup when it cannot be written or a
// file of that name exists, Error(Busy) when another connection keeps the database locked.
std::filesystem::path backup_database(Connection& connection, int keep);

// The same, naming the backup after `now` instead of the current time.
std::filesystem::path backup_database(Connection& connection, int keep,
                                      std::chrono::system_clock::time_point now);

// "<database>.<YYYYMMDDTHHMMSS.mmmZ>.bak" for `now` in UTC, e.g.
// app.db.20261121T093000.123Z.bak. The names of one database's backups sort by time.
std::filesystem::path backup_path_for(const std::filesystem::path& database,
                                      std::chrono::system_clock::time_point now);

// The database a file named by backup_path_for belongs to, or an empty path for any other name.
std::filesystem::path database_of_backup(const std::filesystem::path& backup);

// The backups of `database` that backup_database wrote (regular files beside it named exactly
// as backup_path_for names them), oldest first. Throws Error(Database) when the folder cannot
// be read.
std::vector<std::filesystem::path> list_backups(const std::filesystem::path& database);

// Throws Error(Database) naming `backup` unless it is a non-empty SQLite database that passes
// PRAGMA quick_check. Never writes to it.
void check_backup(const std::filesystem::path& backup, const DatabaseOptions& options);

// Copies `backup` over `database` (created when missing) with SQLite's backup API, inside
// SQLite's locks, after check_backup. Throws Error(Busy) at once (after a short wait, not the
// busy timeout) while another connection holds the database: a transaction in rollback-journal
// mode, any open connection in WAL mode. Error(Database) for a missing or damaged backup or a
// failed write; the database is then unchanged.
void restore_database(const std::filesystem::path& database, const std::filesystem::path& backup,
                      const DatabaseOptions& options);

// How long restore_database waits for another connection's lock before refusing.
inline constexpr int k_restore_busy_timeout_ms = 250;

} // namespace strata
