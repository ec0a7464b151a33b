// SPDX-License-Identifier: MIT
#include "core/executor/backup.hpp"

#include "core/error.hpp"
#include "core/executor/sqlite_error.hpp"
#include "util/file_writer.hpp"
#include "util/time_format.hpp"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace strata {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_extension = ".bak";
// "YYYYMMDDTHHMMSS.mmmZ": a digit where the pattern has 'D', the character itself elsewhere.
constexpr std::string_view k_timestamp_pattern = "DDDDDDDDTDDDDDD.DDDZ";

bool is_timestamp(std::string_view text) {
    if (text.size() != k_timestamp_pattern.size())
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char expected = k_timestamp_pattern[i];
        if (expected == 'D' ? (text[i] < '0' || text[i] > '9') : text[i] != expected)
            return false;
    }
    return true;
}

// The timestamp in a backup's file name when it is one of `database_name`'s backups.
bool is_backup_name(std::string_view name, std::string_view database_name) {
    if (!name.starts_with(database_name) || !name.ends_with(k_extension))
        return false;
    name.remove_prefix(database_name.size());
    name.remove_suffix(k_extension.size());
    return name.starts_with('.') && is_timestamp(name.substr(1));
}

using util::folder_of;

// Removes the files SQLite may leave beside the copy it writes (a journal, or a WAL and its
// index when the copied database is in WAL mode) on every way out.
class SqliteSideFiles {
  public:
    explicit SqliteSideFiles(fs::path database) : m_database(std::move(database)) {}
    ~SqliteSideFiles() {
        std::error_code ignored;
        for (const char* suffix : {"-journal", "-wal", "-shm"})
            fs::remove(m_database.string() + suffix, ignored);
    }
    SqliteSideFiles(const SqliteSideFiles&) = delete;
    SqliteSideFiles& operator=(const SqliteSideFiles&) = delete;

  private:
    fs::path m_database;
};

// Builds the errors of one backup, all naming the database and the backup file.
class BackupFailure {
  public:
    BackupFailure(const fs::path& database, const fs::path& backup)
        : m_database(database), m_backup(backup) {}

    [[noreturn]] void raise(const std::string& detail, std::string hint = {}) const {
        throw Error(ErrorKind::Database,
                    "cannot back up " + m_database.string() + " to " + m_backup.string() + ": " +
                        detail,
                    {}, hint.empty() ? default_hint() : std::move(hint));
    }

    [[noreturn]] void raise_sqlite(int code, const std::string& detail) const {
        throw sqlite_error(code,
                           {.message = "cannot back up " + m_database.string() + " to " +
                                       m_backup.string() + ": " + detail,
                            .busy_message = "cannot back up " + m_database.string() +
                                            ": it is locked by another connection (" + detail + ")",
                            .hint = default_hint(),
                            .full_hint = "free some disk space beside the database; nothing "
                                         "was migrated"});
    }

    [[noreturn]] void raise_file(const util::FileError& error) const {
        switch (error.problem) {
        case util::FileProblem::Exists:
            raise("a file of that name already exists",
                  "strata never overwrites a backup; run again in a moment");
        case util::FileProblem::CannotCreate:
            raise("cannot create " + error.path + ": " + error.reason());
        case util::FileProblem::CannotSync:
            raise("fsync failed: " + error.reason());
        case util::FileProblem::CannotSyncFolder:
            raise("fsync of the folder failed: " + error.reason());
        default:
            raise(error.reason());
        }
    }

  private:
    std::string default_hint() const {
        return "check the free disk space and that " + folder_of(m_backup).string() +
               " is writable; nothing was migrated";
    }

    fs::path m_database;
    fs::path m_backup;
};

std::string quick_check(SQLite::Database& db) {
    SQLite::Statement check(db, "PRAGMA quick_check");
    std::string first;
    if (check.executeStep())
        first = check.getColumn(0).getString();
    return first;
}

[[noreturn]] void unusable_backup(const fs::path& backup, const std::string& detail) {
    throw Error(ErrorKind::Database,
                "cannot restore from " + backup.string() +
                    ": it is not a healthy SQLite database (" + detail + ")",
                {}, "choose another backup; nothing was changed");
}

// Opens a backup read-only after checking that it is a complete, healthy database.
Connection open_checked_backup(const fs::path& backup, const DatabaseOptions& options) {
    std::error_code error;
    const fs::file_status status = fs::status(backup, error);
    if (!fs::exists(status))
        throw Error(ErrorKind::Database, "backup " + backup.string() + " not found", {},
                    "give the path of a file written by --backup, e.g. "
                    "app.db.20261121T093000.123Z.bak");
    if (!fs::is_regular_file(status))
        unusable_backup(backup, "it is not a file");
    // SQLite treats an empty file as an empty database; "restoring" it would wipe the data.
    if (fs::file_size(backup, error) == 0)
        unusable_backup(backup, "the file is empty");
    std::optional<Connection> source;
    std::string verdict;
    try {
        source.emplace(backup, OpenMode::ReadOnly, options);
        verdict = quick_check(source->db());
    } catch (const SQLite::Exception& e) {
        if (kind_for_sqlite_code(sqlite_code_of(e), ErrorKind::Database) == ErrorKind::Busy)
            rethrow_as_error(backup, "checking the backup");
        unusable_backup(backup, e.what());
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::Busy)
            throw;
        unusable_backup(backup, e.message());
    }
    if (verdict != "ok")
        unusable_backup(backup, verdict.empty() ? "quick_check gave no answer" : verdict);
    return std::move(*source);
}

} // namespace

fs::path backup_path_for(const fs::path& database, std::chrono::system_clock::time_point now) {
    return fs::path(database.string() + "." + util::utc_basic_millis(now) +
                    std::string(k_extension));
}

fs::path database_of_backup(const fs::path& backup) {
    const std::string name = backup.filename().string();
    const std::size_t suffix = 1 + k_timestamp_pattern.size() + k_extension.size();
    if (name.size() <= suffix)
        return {};
    const std::string database_name = name.substr(0, name.size() - suffix);
    if (!is_backup_name(name, database_name))
        return {};
    return backup.parent_path() / database_name;
}

std::vector<fs::path> list_backups(const fs::path& database) {
    const std::string database_name = database.filename().string();
    std::vector<fs::path> backups;
    std::error_code error;
    fs::directory_iterator entries(folder_of(database), error);
    for (; !error && entries != fs::directory_iterator(); entries.increment(error)) {
        const std::string name = entries->path().filename().string();
        std::error_code ignored;
        if (is_backup_name(name, database_name) && entries->is_regular_file(ignored))
            backups.push_back(database.parent_path() / name);
    }
    if (error)
        throw Error(ErrorKind::Database,
                    "cannot list the backups of " + database.string() + ": " + error.message(), {},
                    "check that " + folder_of(database).string() + " is readable");
    // Same prefix, fixed-width timestamps: name order is time order.
    std::sort(backups.begin(), backups.end());
    return backups;
}

fs::path backup_database(Connection& connection, int keep) {
    return backup_database(connection, keep, std::chrono::system_clock::now());
}

fs::path backup_database(Connection& connection, int keep,
                         std::chrono::system_clock::time_point now) {
    const fs::path& database = connection.path();
    const fs::path backup = backup_path_for(database, now);
    const BackupFailure failure(database, backup);
    std::error_code error;
    if (fs::exists(backup, error))
        failure.raise("a file of that name already exists",
                      "strata never overwrites a backup; run again in a moment");

    // SQLite fills a file created beside the backup exclusively, so that a link planted at the
    // temporary name is never followed; 0644 is what SQLite gives a database it creates. The
    // temporary name never matches the backup pattern, so nobody mistakes it for a backup.
    std::optional<util::TemporaryFile> temporary;
    try {
        temporary.emplace(util::TemporaryFile::create_beside(backup, 0644));
    } catch (const util::FileError& e) {
        failure.raise_file(e);
    }
    temporary->close();
    const SqliteSideFiles side_files(temporary->path());

    sqlite3* source = connection.db().getHandle();
    // The copy goes through the same VFS as the database, so a test's VFS sees every write.
    DatabaseOptions options;
    sqlite3_vfs* vfs = nullptr;
    if (sqlite3_file_control(source, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) == SQLITE_OK &&
        vfs != nullptr)
        options.vfs = vfs->zName;

    std::optional<Connection> copy;
    try {
        copy.emplace(temporary->path(), OpenMode::ReadWrite, options);
    } catch (const Error& e) {
        failure.raise(e.message());
    }
    try {
        // FULL: the copy's commit reaches the disk before the migration may start.
        copy->db().exec("PRAGMA synchronous = FULL");
        int step = SQLITE_OK;
        {
            SQLite::Backup job(copy->db(), connection.db());
            // One step: the whole copy under one read lock, so it is one consistent snapshot.
            // (BUSY and LOCKED are returned, other failures thrown.)
            step = job.executeStep(-1);
        }
        if (step != SQLITE_DONE)
            failure.raise_sqlite(step, sqlite3_errstr(step));
        // A copy of an empty file would itself be empty, which restore rightly refuses:
        // writing the header makes it a real (empty) database.
        if (copy->db().execAndGet("PRAGMA page_count").getInt() == 0)
            copy->db().exec("PRAGMA user_version = 0");
        // A copy of a WAL database is marked WAL; as a self-contained file it should not need
        // -wal and -shm files beside it.
        copy->db().exec("PRAGMA journal_mode = DELETE");
    } catch (const SQLite::Exception& e) {
        failure.raise_sqlite(sqlite_code_of(e), e.what());
    }
    copy.reset(); // closed before it is synced and named

    // Durable before it gets its name, and never in place of a file of that name.
    try {
        util::sync_file(temporary->path());
        util::publish(temporary->path(), backup, util::WriteMode::CreateNew);
        temporary->release();
        util::sync_folder(folder_of(backup));
    } catch (const util::FileError& e) {
        failure.raise_file(e);
    }

    // The new backup always stays, even when a clock set back makes it sort before older ones.
    std::vector<fs::path> others = list_backups(database);
    std::erase_if(others,
                  [&](const fs::path& path) { return path.filename() == backup.filename(); });
    const std::size_t keep_others = keep > 1 ? static_cast<std::size_t>(keep - 1) : 0;
    for (std::size_t i = 0; i + keep_others < others.size(); ++i) {
        fs::remove(others[i], error);
        if (error)
            throw Error(ErrorKind::Database,
                        "cannot delete the old backup " + others[i].string() + ": " +
                            error.message(),
                        {}, "check the permissions of its folder, or delete it yourself");
    }
    return backup;
}

void check_backup(const fs::path& backup, const DatabaseOptions& options) {
    open_checked_backup(backup, options);
}

void restore_database(const fs::path& database, const fs::path& backup,
                      const DatabaseOptions& options) {
    std::error_code error;
    const bool existed = fs::exists(database, error);
    if (existed && fs::equivalent(database, backup, error))
        throw Error(ErrorKind::Usage,
                    "cannot restore " + database.string() + " from itself (" + backup.string() +
                        ")",
                    {}, "give the path of a backup file, e.g. app.db.20261121T093000.123Z.bak");
    Connection source = open_checked_backup(backup, options);

    // A restore is run by hand: refuse at once rather than wait out a long-running writer.
    DatabaseOptions target_options = options;
    target_options.busy_timeout_ms = std::min(options.busy_timeout_ms, k_restore_busy_timeout_ms);
    int code = SQLITE_OK;
    {
        Connection target(database, OpenMode::Create, target_options);
        try {
            // Exclusive: in WAL mode every open connection holds a shared lock on the file, so
            // this also refuses while another program merely has the database open. (Setting
            // synchronous reads the schema, which already takes that lock.)
            target.db().exec("PRAGMA locking_mode = EXCLUSIVE; PRAGMA synchronous = FULL");
            SQLite::Backup job(target.db(), source.db());
            // BUSY and LOCKED are returned, other failures thrown.
            const int step = job.executeStep(-1);
            code = step == SQLITE_DONE ? SQLITE_OK : step;
        } catch (const SQLite::Exception& e) {
            code = sqlite_code_of(e);
        }
    }
    if (code == SQLITE_OK)
        return;
    if (!existed) // do not leave behind an empty database that the restore created
        fs::remove(database, error);
    throw sqlite_error(
        code,
        {.message = "cannot restore " + database.string() + " from " + backup.string() + ": " +
                    sqlite3_errstr(code),
         .busy_message =
             "cannot restore " + database.string() + " while another connection holds it",
         .hint = "check the permissions of the database and its folder",
         .busy_hint = "stop the programs that use the database, then run strata restore again",
         .full_hint = "free some disk space and run strata restore again"});
}

} // namespace strata
