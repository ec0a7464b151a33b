// SPDX-License-Identifier: MIT
#include "core/executor/sqlite_error.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <utility>

namespace strata {

Error sqlite_error(int code, SqliteFailure failure) {
    const ErrorKind kind = kind_for_sqlite_code(code, failure.otherwise);
    if (kind == ErrorKind::Busy)
        return Error(ErrorKind::Busy,
                     failure.busy_message.empty() ? std::move(failure.message)
                                                  : std::move(failure.busy_message),
                     std::move(failure.where), std::move(failure.busy_hint))
            .with_sqlite_code(code);
    std::string hint;
    if ((code & 0xff) == SQLITE_FULL && !failure.full_hint.empty())
        hint = std::move(failure.full_hint);
    else if (kind == failure.otherwise && !failure.hint.empty())
        hint = std::move(failure.hint);
    else if (kind == ErrorKind::Database)
        hint = hint_for_sqlite_code(code);
    return Error(kind, std::move(failure.message), std::move(failure.where), std::move(hint))
        .with_sqlite_code(code);
}

int sqlite_code_of(const SQLite::Exception& exception) {
    const int extended = exception.getExtendedErrorCode();
    return extended >= 0 ? extended : exception.getErrorCode();
}

ErrorKind kind_for_sqlite_code(int code, ErrorKind otherwise) {
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return ErrorKind::Busy;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_NOMEM:
        return ErrorKind::Database;
    default:
        return otherwise;
    }
}

std::string hint_for_sqlite_code(int code) {
    if (code == SQLITE_READONLY_ROLLBACK)
        return "an interrupted transaction left a hot journal beside the database; it must be "
               "rolled back first, which needs write access to the file and its folder (run "
               "strata as a user who may write there)";
    if (code == SQLITE_READONLY_DBMOVED)
        return "the database file was deleted or replaced while strata had it open (a run that "
               "fails on a database it created removes the file again); nothing was written: run "
               "the command again";
    switch (code & 0xff) {
    case SQLITE_CANTOPEN:
        return "check that the path exists, is a file and that its folder is writable";
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return "the file is not a healthy SQLite database; restore it from a backup";
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return "check the permissions of the database file and its folder";
    case SQLITE_FULL:
        return "free some disk space and run again";
    case SQLITE_IOERR:
        return "the storage reported an error; check the disk and run again";
    case SQLITE_NOMEM:
        return "the system ran out of memory; run again with more memory available";
    default:
        return {};
    }
}

void rethrow_as_error(const std::filesystem::path& path, const std::string& doing) {
    try {
        throw;
    } catch (const Error&) {
        throw;
    } catch (const SQLite::Exception& e) {
        throw sqlite_error(
            sqlite_code_of(e),
            {.message = "database " + path.string() + ": " + doing + " failed: " + e.what(),
             .busy_message = "the database " + path.string() +
                             " is locked by another connection (" + e.what() + ")"});
    }
}

} // namespace strata
