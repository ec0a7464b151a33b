// SPDX-License-Identifier: MIT
// The one translation of SQLite's result codes into strata::Error: which kind (Busy, Database,
// or the caller's own), which hint, and the extended code kept on the error.
#pragma once

#include "strata/error.hpp"
#include "strata/terms.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace strata {

// One file (or folder) as the user strata runs as sees it.
struct FileAccess {
    bool exists = false;
    bool readable = false;
    bool writable = false;      // a folder: names may be created and removed in it
    std::string owner;          // the owner's user name, or "uid N" when it has none
    bool owned_by_user = false; // owned by the user strata runs as
    unsigned mode = 0;          // the permission bits, e.g. 0644
};

// What is on disk around a database, as far as a permission problem goes: the file, the files
// SQLite keeps beside it, its folder, and who strata runs as. observe_database_files fills it;
// a test can build one by hand.
struct DatabaseFiles {
    std::filesystem::path database; // as the user named it
    std::filesystem::path folder;   // absolute
    FileAccess file;
    FileAccess journal; // <database>-journal
    FileAccess wal;     // <database>-wal
    FileAccess shm;     // <database>-shm
    FileAccess folder_access;
    bool read_only_file_system = false;
    std::string user; // who strata runs as: "nobody (uid 65534)"
};

// Looks at `database`, its side files and its folder (stat, access for the effective user,
// statvfs). Never throws; what cannot be looked at reads as missing.
DatabaseFiles observe_database_files(const std::filesystem::path& database);

// What a caller says about a failed SQLite call; sqlite_error picks the words that fit the code.
// Every field has a default, so callers name only the ones they set.
struct SqliteFailure {
    // The message for every code but BUSY/LOCKED.
    std::string message{};
    // The message when another connection holds a lock (BUSY/LOCKED); "" = `message`.
    std::string busy_message{};
    // The kind for codes that say nothing about the file or a lock (a broken constraint, a
    // syntax error); codes about the file itself are always Database, BUSY/LOCKED always Busy.
    ErrorKind otherwise = ErrorKind::Database;
    // The hint for errors of the `otherwise` kind; "" = hint_for_sqlite_code for Database.
    std::string hint{};
    // The hint for BUSY/LOCKED (worded for the reader when the failure is built).
    std::string busy_hint =
        "wait for the other program to finish, or raise " + terms::setting("busy_timeout_ms");
    // The hint when the disk is full (SQLITE_FULL); "" = as for any other code.
    std::string full_hint{};
    SourceLocation where{}; // where the failing SQL is, when it is in a file
    // The database the failing call worked on, when there is one: a read-only, cannot-open or
    // permission code is then explained by what is on disk (see sqlite_error).
    std::filesystem::path database{};
    // What is on disk; observed from `database` when not given.
    std::optional<DatabaseFiles> files{};
};

// The strata::Error for the (extended) SQLite result code `code`, worded by `failure`, carrying
// `code`. Busy for BUSY/LOCKED; Database for codes that mean the file itself cannot be used
// (kind_for_sqlite_code); failure.otherwise for the rest. For a read-only, cannot-open or
// permission code on a known database, the files decide the words: the message says what this
// user may not do to which file (a hot journal left by a crash and its owner named), and the
// hint what to run; when the files show no permission problem, nothing blames permissions.
Error sqlite_error(int code, SqliteFailure failure);

// The error kind for an SQLite result code: Busy for BUSY/LOCKED; Database for codes that
// mean the file itself cannot be used (read-only, I/O error, full, corrupt, not a database,
// out of memory); `otherwise` for the rest (e.g. a constraint a statement broke).
ErrorKind kind_for_sqlite_code(int code, ErrorKind otherwise);

// What to do about an SQLite result code, or "" when there is nothing general to say.
std::string hint_for_sqlite_code(int code);

// The strata::Error for a failed SQLite call (`code`, SQLite's `message`) while strata was
// `doing` something to the database at `path`: Error(Busy) for BUSY/LOCKED, else
// Error(Database) naming both (explained by the files, as sqlite_error does).
Error sqlite_call_error(int code, const std::string& message, const std::filesystem::path& path,
                        const std::string& doing);

// Call inside a catch block: rethrows the exception in flight as strata::Error. A failed SQLite
// call (sqlite::Failure) becomes sqlite_call_error(path, doing); a strata::Error passes through
// unchanged.
[[noreturn]] void rethrow_as_error(const std::filesystem::path& path, const std::string& doing);

} // namespace strata
