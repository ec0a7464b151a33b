// SPDX-License-Identifier: MIT
#pragma once

#include "strata/error.hpp"
#include "strata/executor/sqlite_error.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace SQLite {
class Database;
}

namespace strata {

enum class OpenMode {
    ReadOnly,  // never writes (but rolls back a crash's hot journal when it may); fails when the
               // file is missing
    ReadWrite, // fails when the file is missing
    Create,    // creates the file when it is missing
};

struct DatabaseOptions {
    int busy_timeout_ms = 5000;
    std::string vfs; // "" = SQLite's default; fault-injection tests register their own
};

// An open database. The one place strata opens one, so tests can route every open through
// their own VFS.
class Connection {
  public:
    // Throws Error(Database) naming the path when the file cannot be opened.
    Connection(const std::filesystem::path& path, OpenMode mode, const DatabaseOptions& options);
    ~Connection();
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;

    SQLite::Database& db() const { return *m_db; }
    const std::filesystem::path& path() const { return m_path; }

  private:
    std::filesystem::path m_path;
    std::unique_ptr<SQLite::Database> m_db;
};

struct Settings;

// The version of the SQLite library in use (sqlite3_libversion), e.g. "3.40.1".
std::string_view linked_sqlite_version();

// Prepares a connection for migrating, outside any transaction: sets journal_mode when the
// project asks for one and synchronous to FULL (or EXTRA). Throws Error(Usage), before running
// anything, when `settings` fails check_settings; Error(Database) when SQLite refuses the mode.
void configure_for_migrating(Connection& connection, const Settings& settings);

} // namespace strata
