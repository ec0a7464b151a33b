// SPDX-License-Identifier: MIT
#pragma once

#include "strata/error.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "strata/executor/sqlite_error.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;

namespace strata {

class RunObserver;

enum class OpenMode {
    ReadOnly,  // never writes (but rolls back a crash's hot journal when it may); fails when the
               // file is missing
    ReadWrite, // fails when the file is missing
    Create,    // creates the file when it is missing
};

struct DatabaseOptions {
    int busy_timeout_ms = 5000; // how long to wait for another connection's lock
    std::string vfs;            // "" = SQLite's default; fault-injection tests register their own
    // Told once per wait for a lock, when it starts (on_waiting_for_lock); may be null.
    RunObserver* observer = nullptr;
    // When it is true, a wait for a lock ends at once (SQLITE_BUSY); may be null.
    const std::atomic<bool>* cancel = nullptr;
};

// What strata changed on a borrowed connection and puts back when it is done with it.
struct BorrowedSettings;
// strata's busy handler and what it needs while a wait lasts.
struct LockWait;

// An open database: one strata opened (the one place it opens one, so tests can route every
// open through their own VFS), or an application's connection strata borrows for a run.
class Connection {
  public:
    // Opens a new, empty database in memory with the settings of every connection strata opens
    // (for `verify`, which never touches the real database). Throws Error(Database).
    static Connection in_memory(const DatabaseOptions& options);
    // Opens `path`. Throws Error(Database) naming the path when the file cannot be opened.
    Connection(const std::filesystem::path& path, OpenMode mode, const DatabaseOptions& options);
    // Borrows the application's open `handle`, which strata never closes, and gives it the
    // settings of strata's own connections until this object ends, when they are put back.
    // Throws Error(Usage) when `handle` is null, inside a transaction, or read-only while `mode`
    // writes; Error(Database) when SQLite does not take strata's settings.
    Connection(sqlite3* handle, OpenMode mode, const DatabaseOptions& options);
    ~Connection();
    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;

    sqlite::Database db() const { return sqlite::Database(m_handle); }
    // The database file; ":memory:" for a borrowed in-memory (or temporary) database.
    const std::filesystem::path& path() const { return m_path; }
    // Whether the connection is the application's (never closed, nor discarded, by strata).
    bool borrowed() const { return m_borrowed != nullptr; }
    // Whether the database lives in memory only (a borrowed ":memory:" or temporary database).
    bool in_memory() const { return m_in_memory; }

  private:
    Connection() = default;
    void release() noexcept;

    std::filesystem::path m_path;
    sqlite3* m_handle = nullptr;
    bool m_in_memory = false;
    std::unique_ptr<LockWait> m_lock_wait;
    // Declared after m_lock_wait: restoring the busy timeout removes strata's busy handler
    // before the state it points to goes.
    std::unique_ptr<BorrowedSettings> m_borrowed;
};

// Gives `db` the settings every connection strata opens has, and reads each back: defensive
// mode on, trusted_schema off, the two-argument fts3_tokenizer and extension loading off, and no
// attached database allowed (SQLITE_LIMIT_ATTACHED 0). The reasons: docs/security.md. Connection
// calls it before any SQL runs. Throws Error(Database) when SQLite does not take one of them.
void secure_connection(sqlite::Database db);

// The settings of a connection that decide what the next migration's SQL does and how safely it
// is committed. Migrations may not change any of them (sql_policy.cpp); the executor checks
// before each step that none changed anyway (check_connection_state).
struct ConnectionState {
    // sqlite3_db_config flags, which SQL cannot reach (foreign_keys and writable_schema aside)
    bool defensive = true;
    bool trusted_schema = false;
    bool fts3_tokenizer = false;
    bool load_extension = false;
    bool writable_schema = false;
    bool legacy_alter_table = false;
    bool foreign_keys = false;
    int attached_limit = 0; // sqlite3_limit(SQLITE_LIMIT_ATTACHED)
    // PRAGMAs
    bool query_only = false;
    bool ignore_check_constraints = false;
    bool defer_foreign_keys = false;
    bool recursive_triggers = false;
    int synchronous = 2; // 2 FULL, 3 EXTRA
    std::string journal_mode;
    std::string locking_mode;
    // Tables, views, triggers and indexes in the temp schema: a temp table would hide a main
    // table of the same name from the next migration, a temp trigger would fire in it.
    int temp_objects = 0;

    bool operator==(const ConnectionState&) const = default;
};

// Reads the state of `db`. Throws Error(Database) when SQLite cannot answer.
ConnectionState read_connection_state(sqlite::Database db);

// The state a connection must be in before a migration step: `current` (as read at the start of
// a run: journal_mode, locking_mode and recursive_triggers are the database's and the project's
// business) with every setting strata fixes forced to strata's value, and foreign_keys on only
// when `enforce_foreign_keys`.
ConnectionState state_for_migrating(ConnectionState current, bool enforce_foreign_keys);

// Drops every table, view and trigger of the temp schema (indexes go with their tables), so
// that nothing a migration created there reaches the next one. Throws Error(Database) when
// SQLite refuses.
void drop_temp_objects(sqlite::Database db);

// Throws Error(Refused), an internal-state error naming the first setting of `db` that differs
// from `expected` and `before` (what was about to run), when the connection is not as expected.
void check_connection_state(sqlite::Database db, const ConnectionState& expected,
                            const std::string& before);

struct Settings;

// Deletes the database file `connection` created, when the run that created it committed
// nothing to it, then closes the connection. Only when that is safe: the file holds no table,
// it is still the file that was opened, and no other connection uses it (an exclusive lock is
// had at once, and a WAL database can go back to a rollback journal). Returns whether the file
// (and any -journal, -wal, -shm beside it) is gone. Never throws.
bool discard_new_database(std::unique_ptr<Connection>& connection) noexcept;

// Copies every page of `from`'s main database into `to`'s (SQLite's backup API, one consistent
// read of `from`), replacing what `to` held; `to` takes `from`'s page size first, as an in-memory
// target must. Throws Error(Busy) while another connection keeps `from` locked past the busy
// timeout, Error(Database) when the copy fails.
void copy_database(const Connection& from, Connection& to);

// The version of the SQLite library in use (sqlite3_libversion), e.g. "3.40.1".
std::string_view linked_sqlite_version();

// Sets SQLite's process-wide configuration to multi-thread mode without memory statistics
// (SQLITE_CONFIG_MULTITHREAD, SQLITE_CONFIG_MEMSTATUS off). False, changing nothing, once SQLite
// is initialised or when it was built single-threaded.
bool configure_single_owner_sqlite();
// "serialized", "multi-thread" or "single-thread": how new connections guard themselves.
std::string_view sqlite_threading_mode();

// Prepares a connection for migrating, outside any transaction: sets journal_mode when the
// project asks for one and synchronous to FULL (or EXTRA). Throws Error(Usage), before running
// anything, when `settings` fails check_settings; Error(Database) when SQLite refuses the mode.
void configure_for_migrating(Connection& connection, const Settings& settings);

} // namespace strata
