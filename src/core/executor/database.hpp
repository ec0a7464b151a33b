// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.hpp"

#include <filesystem>
#include <memory>
#include <string>

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

// Prepares a connection for migrating, outside any transaction: sets journal_mode when the
// project asks for one and synchronous to FULL (or EXTRA). Throws Error(Usage), before running
// anything, when `settings` fails check_settings; Error(Database) when SQLite refuses the mode.
void configure_for_migrating(Connection& connection, const Settings& settings);

// The error kind for an SQLite result code: Busy for BUSY/LOCKED; Database for codes that
// mean the file itself cannot be used (read-only, I/O error, full, corrupt, not a database,
// out of memory); `otherwise` for the rest (e.g. a constraint a statement broke).
ErrorKind kind_for_sqlite_code(int code, ErrorKind otherwise);

// What to do about an SQLite result code, or "" when there is nothing general to say.
std::string hint_for_sqlite_code(int code);

// Call inside a catch block: rethrows the exception in flight as strata::Error. SQLite's
// BUSY/LOCKED become Error(Busy); other SQLite errors Error(Database) naming `path` and what
// strata was `doing`; a strata::Error passes through unchanged.
[[noreturn]] void rethrow_as_error(const std::filesystem::path& path, const std::string& doing);

} // namespace strata
