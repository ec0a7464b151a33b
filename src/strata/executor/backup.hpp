// SPDX-License-Identifier: MIT
// Copies of a database taken before a run changes it, and putting one back.
#pragma once

#include "strata/executor/database.hpp"
#include "util/file_descriptor.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <vector>

namespace strata {

class RunObserver;

// How many pages a backup or a restore copies between two looks at the cancel flag (and two
// progress reports): 1 MiB of 4 KiB pages, a few milliseconds of work.
inline constexpr int k_copy_pages_per_step = 256;

// What a caller may add to a backup or a restore.
struct CopyOptions {
    // When set (a signal handler may set it), the copy stops before its next chunk with
    // Error(Interrupted), and nothing is changed.
    const std::atomic<bool>* cancel = nullptr;
    // Told of the progress after each chunk (on_backup_progress); may be null.
    RunObserver* observer = nullptr;
    // Pages per chunk; tests make it small to see several chunks.
    int pages_per_step = k_copy_pages_per_step;
};

// A backup backup_database has just written. While this object lives the file carries a
// shared advisory lock (flock) that every other run's pruning respects: keep it for the whole
// run the backup was made for, so that no concurrent run deletes it meanwhile.
class WrittenBackup {
  public:
    WrittenBackup(std::filesystem::path path, util::FileDescriptor lock)
        : m_path(std::move(path)), m_lock(std::move(lock)) {}
    const std::filesystem::path& path() const { return m_path; }

  private:
    std::filesystem::path m_path;
    util::FileDescriptor m_lock;
};

// Writes a consistent copy of the open database (SQLite's online backup API, in chunks, all
// under one read transaction) to a new file beside it named by backup_path_for after the time
// the copy is named: the first of attempt 0, 1, ... whose name is free, so two runs in the
// same millisecond both succeed. The copy is durable (fsync) before it gets its name and never
// replaces a file. Then deletes the oldest of that database's backups until `keep` are left,
// among those of an earlier millisecond than the new one only, and never one another run
// still holds. Runs name and prune in turns (a lock on the folder), so no two runs are ever
// given the same name, even one a third run deleted in between. Throws Error(Database) naming
// the backup when it cannot be written, Error(Busy) when another connection keeps the
// database locked or another run its turn, Error(Interrupted) when `copy.cancel` was set
// (nothing is left behind).
WrittenBackup backup_database(Connection& connection, int keep, const CopyOptions& copy = {});

// The same, naming the backup after `now` instead of the current time.
WrittenBackup backup_database(Connection& connection, int keep,
                              std::chrono::system_clock::time_point now,
                              const CopyOptions& copy = {});

// "<database>.<YYYYMMDDTHHMMSS.mmmZ>.bak" for `now` in UTC, e.g.
// app.db.20261121T093000.123Z.bak; attempt n > 0 (that name was taken) adds "_n" after the
// time: app.db.20261121T093000.123Z_1.bak. The names of one database's backups sort by time.
std::filesystem::path backup_path_for(const std::filesystem::path& database,
                                      std::chrono::system_clock::time_point now,
                                      unsigned attempt = 0);

// The database a file named by backup_path_for belongs to, or an empty path for any other name.
std::filesystem::path database_of_backup(const std::filesystem::path& backup);

// The backups of `database` that backup_database wrote (regular files beside it named exactly
// as backup_path_for names them), oldest first (by time, then attempt). Throws
// Error(Database) when the folder cannot be read.
std::vector<std::filesystem::path> list_backups(const std::filesystem::path& database);

// Throws Error(Database) naming `backup` unless it is a non-empty SQLite database that passes
// PRAGMA quick_check. Never writes to it.
void check_backup(const std::filesystem::path& backup, const DatabaseOptions& options);

// Copies `backup` over `database` (created when missing) with SQLite's backup API, inside
// SQLite's locks and one transaction on the database, in chunks, after check_backup. Either
// the whole backup is in place or the database is as it was (the transaction is rolled back
// when the copy stops). Throws Error(Busy) at once (after a short wait, not the busy timeout)
// while another connection holds the database: a transaction in rollback-journal mode, any
// open connection in WAL mode. Error(Interrupted) when `copy.cancel` was set; Error(Database)
// for a missing or damaged backup, a page size a WAL database cannot take, or a failed write.
void restore_database(const std::filesystem::path& database, const std::filesystem::path& backup,
                      const DatabaseOptions& options, const CopyOptions& copy = {});

// How long restore_database waits for another connection's lock before refusing.
inline constexpr int k_restore_busy_timeout_ms = 250;

} // namespace strata
