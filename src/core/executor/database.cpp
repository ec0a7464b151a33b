// SPDX-License-Identifier: MIT
#include "core/executor/database.hpp"

#include "core/error.hpp"
#include "core/project/project.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

namespace strata {

namespace {
int open_flags(OpenMode mode) {
    switch (mode) {
    case OpenMode::ReadOnly:
        return SQLite::OPEN_READONLY;
    case OpenMode::ReadWrite:
        return SQLite::OPEN_READWRITE;
    case OpenMode::Create:
        return SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;
    }
    return SQLite::OPEN_READONLY;
}
} // namespace

Connection::Connection(const std::filesystem::path& path, OpenMode mode,
                       const DatabaseOptions& options)
    : m_path(path) {
    try {
        m_db = std::make_unique<SQLite::Database>(path.string(), open_flags(mode),
                                                  options.busy_timeout_ms, options.vfs);
        // Extended codes tell SQLITE_IOERR_FSYNC from SQLITE_IOERR_WRITE in messages.
        sqlite3_extended_result_codes(m_db->getHandle(), 1);
    } catch (...) {
        rethrow_as_error(path, "opening the database");
    }
}

Connection::~Connection() = default;
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;

void configure_for_migrating(Connection& connection, const Settings& settings) {
    SQLite::Database& db = connection.db();
    try {
        if (!settings.journal_mode.empty()) {
            // SQLite answers with the mode in force, which differs when it cannot switch
            // (e.g. WAL on a file system without shared memory).
            const std::string mode =
                db.execAndGet("PRAGMA journal_mode = " + settings.journal_mode).getString();
            if (mode != settings.journal_mode)
                throw Error(ErrorKind::Database,
                            "cannot set journal_mode to " + settings.journal_mode + " on " +
                                connection.path().string() + " (it stays " + mode + ")",
                            {}, "choose another journal_mode in strata.toml");
        }
        db.exec("PRAGMA synchronous = " + settings.synchronous);
    } catch (...) {
        rethrow_as_error(connection.path(), "configuring the connection");
    }
}

void rethrow_as_error(const std::filesystem::path& path, const std::string& doing) {
    try {
        throw;
    } catch (const Error&) {
        throw;
    } catch (const SQLite::Exception& e) {
        const int code = e.getExtendedErrorCode();
        const int primary = code & 0xff;
        if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
            throw Error(ErrorKind::Busy,
                        "the database " + path.string() + " is locked by another connection (" +
                            e.what() + ")",
                        {},
                        "wait for the other program to finish, or raise busy_timeout_ms in "
                        "strata.toml")
                .with_sqlite_code(code);
        std::string hint;
        if (primary == SQLITE_CANTOPEN)
            hint = "check that the path exists, is a file and that its folder is writable";
        else if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
            hint = "the file is not a healthy SQLite database; restore it from a backup";
        else if (primary == SQLITE_READONLY || primary == SQLITE_PERM)
            hint = "check the permissions of the database file and its folder";
        else if (primary == SQLITE_FULL)
            hint = "free some disk space and run again";
        throw Error(ErrorKind::Database,
                    "database " + path.string() + ": " + doing + " failed: " + e.what(), {}, hint)
            .with_sqlite_code(code);
    }
}

} // namespace strata
