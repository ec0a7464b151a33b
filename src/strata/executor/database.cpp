// SPDX-License-Identifier: MIT
#include "strata/executor/database.hpp"

#include "strata/error.hpp"
#include "strata/project/database_path.hpp"
#include "strata/project/project.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

namespace strata {

namespace {

const char* special_kind(mode_t mode) {
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    return "not a regular file";
}

// Opening a FIFO blocks (with no way to interrupt it) and opening a device can have effects of
// its own, so anything but a regular file (or nothing yet) is refused before SQLite opens it.
void refuse_special_file(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || S_ISREG(info.st_mode))
        return;
    throw Error(ErrorKind::Database,
                "the database path " + path.string() + " is " + special_kind(info.st_mode) +
                    ", not a database file",
                {},
                S_ISDIR(info.st_mode)
                    ? "point `database` (or --database) at a file inside it, e.g. app.db"
                    : "point `database` (or --database) at a regular file");
}

bool may_write(const std::filesystem::path& path) {
    const std::filesystem::path absolute = std::filesystem::absolute(path);
    return ::access(absolute.c_str(), W_OK) == 0 &&
           ::access(absolute.parent_path().c_str(), W_OK) == 0;
}

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
    if (auto problem = database_path_problem(path.native()))
        throw Error(ErrorKind::Usage, "the database path \"" + path.string() + "\" " + *problem, {},
                    database_path_hint(path.native()));
    refuse_special_file(path);
    // A read-only command must work after a crash: SQLite rolls a hot journal back on the first
    // read, which needs write access. So a database this process may write is opened
    // read-write with PRAGMA query_only, which refuses every write but that recovery.
    const bool recovering = mode == OpenMode::ReadOnly && may_write(path);
    try {
        // An absolute name is never read as a URI, whatever SQLite was compiled with.
        m_db = std::make_unique<SQLite::Database>(std::filesystem::absolute(path).string(),
                                                  recovering ? SQLite::OPEN_READWRITE
                                                             : open_flags(mode),
                                                  options.busy_timeout_ms, options.vfs);
        if (recovering)
            m_db->exec("PRAGMA query_only = ON");
        // Extended codes tell SQLITE_IOERR_FSYNC from SQLITE_IOERR_WRITE in messages.
        sqlite3_extended_result_codes(m_db->getHandle(), 1);
        // Defensive mode: no SQL, however crafted, can corrupt the file (writable_schema,
        // shadow-table writes, journal_mode=OFF are refused).
        sqlite3_db_config(m_db->getHandle(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    } catch (...) {
        rethrow_as_error(path, "opening the database");
    }
}

Connection::~Connection() = default;
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;

namespace {

// Each setting maps to fixed SQL text, so nothing a caller puts in Settings reaches SQLite.
// check_settings has refused values outside the enums; the fallbacks only keep the compiler
// sure every path returns.
const char* journal_mode_pragma(JournalMode mode) {
    switch (mode) {
    case JournalMode::Unchanged:
        return nullptr;
    case JournalMode::Delete:
        return "PRAGMA journal_mode = DELETE";
    case JournalMode::Truncate:
        return "PRAGMA journal_mode = TRUNCATE";
    case JournalMode::Persist:
        return "PRAGMA journal_mode = PERSIST";
    case JournalMode::Wal:
        return "PRAGMA journal_mode = WAL";
    }
    return nullptr;
}

const char* synchronous_pragma(Synchronous level) {
    switch (level) {
    case Synchronous::Full:
        return "PRAGMA synchronous = FULL";
    case Synchronous::Extra:
        return "PRAGMA synchronous = EXTRA";
    }
    return "PRAGMA synchronous = FULL";
}

} // namespace

void configure_for_migrating(Connection& connection, const Settings& settings) {
    // Before any statement: a library caller's Settings may hold what strata.toml refuses.
    check_settings(settings);
    SQLite::Database& db = connection.db();
    // SQLite opens a write-protected file read-only without a word; say so before any step.
    if (sqlite3_db_readonly(db.getHandle(), "main") == 1)
        throw Error(ErrorKind::Database,
                    "the database " + connection.path().string() + " is read-only", {},
                    "check the permissions of the database file and its folder");
    try {
        if (const char* pragma = journal_mode_pragma(settings.journal_mode)) {
            // SQLite answers with the mode in force, which differs when it cannot switch
            // (e.g. WAL on a file system without shared memory).
            const std::string wanted(name_of(settings.journal_mode));
            const std::string mode = db.execAndGet(pragma).getString();
            if (mode != wanted)
                throw Error(ErrorKind::Database,
                            "cannot set journal_mode to " + wanted + " on " +
                                connection.path().string() + " (it stays " + mode + ")",
                            {}, "choose another journal_mode in strata.toml");
        }
        db.exec(synchronous_pragma(settings.synchronous));
    } catch (...) {
        rethrow_as_error(connection.path(), "configuring the connection");
    }
}

std::string_view linked_sqlite_version() {
    return sqlite3_libversion();
}

} // namespace strata
