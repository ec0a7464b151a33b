// SPDX-License-Identifier: MIT
#include "strata/executor/sqlite_error.hpp"

#include "strata/executor/sqlite_api.hpp"
#include "strata/terms.hpp"
#include "util/platform.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>
#include <vector>

namespace strata {

namespace fs = std::filesystem;

namespace {

// The effective user's view (has_access): SQLite opens the files as that user, and root passes
// every permission check except on a read-only file system.
FileAccess observe(const fs::path& path, bool folder) {
    FileAccess access;
    std::error_code error;
    const auto status = util::file_status(path, util::Links::Follow, error);
    if (!status)
        return access;
    access.exists = true;
    access.readable = util::has_access(path, {.read = true});
    access.writable = util::has_access(path, {.write = true, .search = folder});
    access.owner = util::user_name(status->owner);
    access.owned_by_user = status->owner == util::current_user_id();
    access.mode = status->permissions;
    return access;
}

std::string octal(unsigned mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", mode);
    return text;
}

// "app.db (owned by root, mode 0644)"
std::string described(const std::string& label, const FileAccess& access) {
    return label + " (owned by " + access.owner + ", mode " + octal(access.mode) + ")";
}

// "a", "a or b", "a, b or c" (or "and").
std::string listed(const std::vector<std::string>& items, const char* conjunction = "or") {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0)
            out += i + 1 == items.size() ? std::string(" ") + conjunction + " " : ", ";
        out += items[i];
    }
    return out;
}

struct Explanation {
    std::string cause; // appended to the message; "" to leave it as it is
    std::string hint;
    bool replaces = false; // `cause` says it all: it is the message instead
};

// The files this user may not write (or read), each with its owner.
class Blockers {
  public:
    void add(const std::string& label, const fs::path& path, const FileAccess& access) {
        m_descriptions.push_back(described(label, access));
        m_labels.push_back(label);
        m_paths.push_back(path.string());
        m_owners.insert(access.owner);
        m_all_owned_by_user = m_all_owned_by_user && access.owned_by_user;
    }
    bool empty() const { return m_labels.empty(); }
    bool contains(const std::string& label) const {
        return std::find(m_labels.begin(), m_labels.end(), label) != m_labels.end();
    }
    // "app.db (owned by root, mode 0644) or its folder /srv (owned by root, mode 0755)"
    std::string described_list() const { return listed(m_descriptions); }
    bool only(const std::string& label) const {
        return m_labels.size() == 1 && m_labels.front() == label;
    }

    // What to do: run strata as the one owner of every blocker (root when they differ), or,
    // when they are this user's own files, give back the permission they lack. `access` is
    // "r" or "w"; `then` follows the command ("" or e.g. ", which rolls ... back").
    std::string remedy(const std::string& access, const std::string& then = "") const {
        std::string paths;
        for (const std::string& path : m_paths)
            paths += " " + path;
        if (m_all_owned_by_user)
            return "restore the owner's " + std::string(access == "r" ? "read" : "write") +
                   " permission (chmod u+" + access + paths + ") and run " + terms::program() +
                   " again" + then;
        const std::string who = m_owners.size() == 1 ? *m_owners.begin() : "root";
        return terms::run_as(who) + then + ", or give this user " +
               (access == "r" ? "read" : "write") + " access to " + listed(m_labels, "and");
    }

  private:
    std::vector<std::string> m_descriptions;
    std::vector<std::string> m_labels;
    std::vector<std::string> m_paths;
    std::set<std::string> m_owners;
    bool m_all_owned_by_user = true;
};

// Nothing on disk is in the way: whatever the cause, it is not the permissions.
Explanation not_permissions(int code, const DatabaseFiles& files) {
    const std::string database = files.database.string();
    if (code == SQLITE_READONLY_DBMOVED)
        return {database + " was moved or deleted while strata had it open",
                "put it back (or point " + terms::option(terms::Option::Database) +
                    " at it) and run again"};
    return {"", "this user (" + files.user + ") may write " + database +
                    ", the files beside it and its folder, so this is not a question of "
                    "permissions; check whether something else (a security module, another "
                    "program) keeps the file from being written"};
}

// Why a read-only, cannot-open or permission code happened, from what is on disk; nullopt for
// other codes, and when the files say nothing either way (e.g. a folder that does not exist).
std::optional<Explanation> explain(int code, const DatabaseFiles& files) {
    const int primary = code & 0xff;
    if (primary != SQLITE_READONLY && primary != SQLITE_CANTOPEN && primary != SQLITE_PERM)
        return std::nullopt;
    const std::string database = files.database.string();
    const std::string journal = database + "-journal";
    const std::string folder = "its folder " + files.folder.string();

    // A crash left a hot journal: the first read must roll it back, which writes the database
    // and removes the journal. SQLite says READONLY_ROLLBACK when it may not write the
    // database (or its folder), and CANTOPEN when it may not open the journal for writing.
    const bool recovery =
        code == SQLITE_READONLY_ROLLBACK ||
        (primary == SQLITE_CANTOPEN && files.journal.exists && !files.journal.writable);
    if (files.read_only_file_system)
        return Explanation{
            recovery ? "an interrupted transaction left the hot journal " + journal +
                           ", which must be rolled back, and the file system holding " + database +
                           " is mounted read-only"
                     : "the file system holding " + database + " is mounted read-only",
            "remount it read-write (or copy the database to a writable place and point " +
                terms::option(terms::Option::Database) + " at the copy)"};

    Blockers blockers;
    if (recovery) {
        if (files.file.exists && !files.file.writable)
            blockers.add(database, files.database, files.file);
        if (files.journal.exists && !files.journal.writable)
            blockers.add(journal, journal, files.journal);
        if (files.folder_access.exists && !files.folder_access.writable)
            blockers.add(folder, files.folder, files.folder_access);
        if (blockers.empty())
            return not_permissions(code, files);
        std::string cause = "an interrupted transaction left the hot journal " + journal;
        if (files.journal.exists && !files.journal.owned_by_user && !blockers.contains(journal))
            cause += " (owned by " + files.journal.owner + ")";
        cause += ", which must be rolled back before " + database +
                 " can be used, and this user (" + files.user + ") cannot write " +
                 blockers.described_list();
        return Explanation{std::move(cause),
                           blockers.remedy("w", ", which rolls the interrupted transaction back") +
                               "; do not delete " + journal + ", which would leave " + database +
                               " corrupt"};
    }

    if (primary == SQLITE_CANTOPEN) {
        // SQLite's "unable to open database file" does not say that nothing is there to open
        // the file in; SQLite never creates folders.
        if (!files.file.exists && !files.folder_access.exists)
            return Explanation{"the folder " + files.folder.string() + " of database " + database +
                                   " does not exist",
                               "create the folder (mkdir -p " + files.folder.string() +
                                   "), or correct the database path",
                               true};
        if (files.file.exists && !files.file.readable) {
            blockers.add(database, files.database, files.file);
            return Explanation{"this user (" + files.user + ") cannot read " +
                                   blockers.described_list(),
                               blockers.remedy("r")};
        }
        if (files.file.exists || !files.folder_access.exists || files.folder_access.writable)
            return std::nullopt;
        blockers.add(folder, files.folder, files.folder_access);
        return Explanation{"this user (" + files.user + ") cannot create " + database + " in " +
                               blockers.described_list(),
                           blockers.remedy("w")};
    }

    // READONLY or PERM while writing.
    if (files.file.exists && !files.file.writable)
        blockers.add(database, files.database, files.file);
    if (files.folder_access.exists && !files.folder_access.writable)
        blockers.add(folder, files.folder, files.folder_access);
    for (const auto& [suffix, access] :
         {std::pair{"-journal", &files.journal}, std::pair{"-wal", &files.wal},
          std::pair{"-shm", &files.shm}}) {
        if (access->exists && !access->writable)
            blockers.add(database + suffix, database + suffix, *access);
    }
    if (blockers.empty())
        return not_permissions(code, files);
    return Explanation{
        "this user (" + files.user + ") cannot write " + blockers.described_list() +
            (blockers.only(folder) ? ", where SQLite creates its journal while it writes" : ""),
        blockers.remedy("w")};
}

} // namespace

DatabaseFiles observe_database_files(const fs::path& database) {
    DatabaseFiles files;
    files.database = database;
    std::error_code error;
    fs::path absolute = fs::absolute(database, error);
    if (error)
        absolute = database;
    files.folder = absolute.parent_path();
    files.file = observe(database, false);
    files.journal = observe(database.string() + "-journal", false);
    files.wal = observe(database.string() + "-wal", false);
    files.shm = observe(database.string() + "-shm", false);
    files.folder_access = observe(files.folder, true);
    const auto volume = util::volume_status(files.folder, error);
    files.read_only_file_system = volume && volume->read_only;
    const std::uint64_t user = util::current_user_id();
    files.user = util::user_name(user) + ", uid " + std::to_string(user);
    return files;
}

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
    if (kind == ErrorKind::Database && (failure.files || !failure.database.empty())) {
        const DatabaseFiles files =
            failure.files ? *failure.files : observe_database_files(failure.database);
        if (std::optional<Explanation> explanation = explain(code, files)) {
            if (explanation->replaces)
                failure.message = std::move(explanation->cause);
            else if (!explanation->cause.empty())
                failure.message += ": " + explanation->cause;
            hint = std::move(explanation->hint);
        }
    }
    return Error(kind, std::move(failure.message), std::move(failure.where), std::move(hint))
        .with_sqlite_code(code);
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
               "rolled back first, which needs write access to the file and its folder (run " +
               terms::program() + " as a user who may write there)";
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

Error sqlite_call_error(int code, const std::string& message, const std::filesystem::path& path,
                        const std::string& doing) {
    // A named object, not a designated-initialiser temporary: GCC 12 at -O3 warns falsely
    // (-Wmaybe-uninitialized) about the temporary's unnamed members.
    SqliteFailure failure;
    failure.message = "database " + path.string() + ": " + doing + " failed: " + message;
    failure.busy_message =
        "the database " + path.string() + " is locked by another connection (" + message + ")";
    failure.database = path;
    return sqlite_error(code, std::move(failure));
}

void rethrow_as_error(const std::filesystem::path& path, const std::string& doing) {
    try {
        throw;
    } catch (const Error&) {
        throw;
    } catch (const sqlite::Failure& e) {
        throw sqlite_call_error(e.code(), e.what(), path, doing);
    }
}

} // namespace strata
