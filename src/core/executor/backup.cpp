// SPDX-License-Identifier: MIT
#include "core/executor/backup.hpp"

#include "core/error.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
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

std::string timestamp_of(std::chrono::system_clock::time_point now) {
    using namespace std::chrono;
    const auto since_epoch = floor<milliseconds>(now.time_since_epoch());
    const auto whole_seconds = floor<seconds>(since_epoch);
    const auto millis = (since_epoch - whole_seconds).count();
    const std::time_t seconds_since_epoch = static_cast<std::time_t>(whole_seconds.count());
    std::tm utc{};
    gmtime_r(&seconds_since_epoch, &utc);
    char text[40];
    std::snprintf(text, sizeof text, "%04d%02d%02dT%02d%02d%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(millis));
    return text;
}

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

fs::path folder_of(const fs::path& path) {
    return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

std::string errno_text(int error) {
    return std::generic_category().message(error);
}

// The name the copy is written under until it is complete and durable: it never matches the
// backup pattern, so neither list_backups nor a user mistakes it for a backup.
fs::path temporary_path_for(const fs::path& backup) {
    return fs::path(backup.string() + "." + std::to_string(::getpid()) + ".tmp");
}

// Removes a half-written copy (and any journal SQLite left beside it) unless released.
class TemporaryFile {
  public:
    explicit TemporaryFile(fs::path path) : m_path(std::move(path)) {}
    ~TemporaryFile() {
        if (m_path.empty())
            return;
        std::error_code ignored;
        for (const char* suffix : {"", "-journal", "-wal", "-shm"})
            fs::remove(m_path.string() + suffix, ignored);
    }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;

    const fs::path& path() const { return m_path; }
    void release() { m_path.clear(); }

  private:
    fs::path m_path;
};

// Builds the errors of one backup, all naming the database and the backup file.
class BackupFailure {
  public:
    BackupFailure(const fs::path& database, const fs::path& backup)
        : m_database(database), m_backup(backup) {}

    [[noreturn]] void raise(const std::string& detail, std::string hint = {},
                            std::optional<int> sqlite_code = {}) const {
        if (hint.empty())
            hint = "check the free disk space and that " + folder_of(m_backup).string() +
                   " is writable; nothing was migrated";
        Error error(ErrorKind::Database,
                    "cannot back up " + m_database.string() + " to " + m_backup.string() + ": " +
                        detail,
                    {}, std::move(hint));
        if (sqlite_code)
            error.with_sqlite_code(*sqlite_code);
        throw error;
    }

    [[noreturn]] void raise_sqlite(int code, const std::string& detail) const {
        const int primary = code & 0xff;
        if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
            throw Error(ErrorKind::Busy,
                        "cannot back up " + m_database.string() +
                            ": it is locked by another connection (" + detail + ")",
                        {},
                        "wait for the other program to finish, or raise busy_timeout_ms in "
                        "strata.toml")
                .with_sqlite_code(code);
        std::string hint;
        if (primary == SQLITE_FULL)
            hint = "free some disk space beside the database; nothing was migrated";
        raise(detail, hint, code);
    }

  private:
    fs::path m_database;
    fs::path m_backup;
};

// Flushes a file (or a folder's entries) to the disk. Folders that cannot be synced (some
// file systems refuse) are not an error: the copy itself is already durable then.
int sync_path(const fs::path& path, bool folder) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (folder ? O_DIRECTORY : 0));
    if (fd < 0)
        return errno;
    int error = ::fsync(fd) == 0 ? 0 : errno;
    ::close(fd);
    if (folder && (error == EINVAL || error == EROFS))
        error = 0;
    return error;
}

// Gives the finished copy its final name without ever replacing a file: link() fails when the
// name exists. File systems without hard links (FAT on a device's SD card) get a rename after
// a check instead.
void publish(const fs::path& temporary, const fs::path& backup, const BackupFailure& failure) {
    if (::link(temporary.c_str(), backup.c_str()) == 0) {
        ::unlink(temporary.c_str());
        return;
    }
    const int error = errno;
    if (error == EEXIST)
        failure.raise("a file of that name already exists",
                      "strata never overwrites a backup; run again in a moment");
    std::error_code code;
    if (fs::exists(backup, code))
        failure.raise("a file of that name already exists",
                      "strata never overwrites a backup; run again in a moment");
    fs::rename(temporary, backup, code);
    if (code)
        failure.raise(code.message());
}

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
        const int primary = e.getErrorCode() & 0xff;
        if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
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
    return fs::path(database.string() + "." + timestamp_of(now) + std::string(k_extension));
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

    TemporaryFile temporary(temporary_path_for(backup));
    fs::remove(temporary.path(), error); // left by a crashed run with the same pid and time

    sqlite3* source = connection.db().getHandle();
    // The copy goes through the same VFS as the database, so a test's VFS sees every write.
    DatabaseOptions options;
    sqlite3_vfs* vfs = nullptr;
    if (sqlite3_file_control(source, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) == SQLITE_OK &&
        vfs != nullptr)
        options.vfs = vfs->zName;

    std::optional<Connection> copy;
    try {
        copy.emplace(temporary.path(), OpenMode::Create, options);
    } catch (const Error& e) {
        failure.raise(e.message());
    }
    try {
        sqlite3* destination = copy->db().getHandle();
        // FULL: the copy's commit reaches the disk before the migration may start.
        copy->db().exec("PRAGMA synchronous = FULL");
        sqlite3_backup* job = sqlite3_backup_init(destination, "main", source, "main");
        if (job == nullptr)
            failure.raise_sqlite(sqlite3_extended_errcode(destination),
                                 sqlite3_errmsg(destination));
        // One step: the whole copy under one read lock, so it is one consistent snapshot.
        const int step = sqlite3_backup_step(job, -1);
        const int finish = sqlite3_backup_finish(job);
        if (step != SQLITE_DONE)
            failure.raise_sqlite(step, sqlite3_errstr(step));
        if (finish != SQLITE_OK)
            failure.raise_sqlite(finish, sqlite3_errstr(finish));
        // A copy of an empty file would itself be empty, which restore rightly refuses:
        // writing the header makes it a real (empty) database.
        if (copy->db().execAndGet("PRAGMA page_count").getInt() == 0)
            copy->db().exec("PRAGMA user_version = 0");
        // A copy of a WAL database is marked WAL; as a self-contained file it should not need
        // -wal and -shm files beside it.
        copy->db().exec("PRAGMA journal_mode = DELETE");
    } catch (const SQLite::Exception& e) {
        failure.raise_sqlite(e.getExtendedErrorCode(), e.what());
    }
    copy.reset(); // closed before it is synced and named

    if (const int sync_error = sync_path(temporary.path(), false); sync_error != 0)
        failure.raise("fsync failed: " + errno_text(sync_error));
    publish(temporary.path(), backup, failure);
    temporary.release();
    if (const int sync_error = sync_path(folder_of(backup), true); sync_error != 0)
        failure.raise("fsync of the folder failed: " + errno_text(sync_error));

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
        sqlite3* destination = target.db().getHandle();
        // Exclusive: in WAL mode every open connection holds a shared lock on the file, so this
        // also refuses while another program merely has the database open. (Setting
        // synchronous reads the schema, which already takes that lock.)
        code =
            sqlite3_exec(destination, "PRAGMA locking_mode = EXCLUSIVE; PRAGMA synchronous = FULL",
                         nullptr, nullptr, nullptr);
        if (code == SQLITE_OK) {
            sqlite3_backup* job =
                sqlite3_backup_init(destination, "main", source.db().getHandle(), "main");
            if (job == nullptr) {
                code = sqlite3_extended_errcode(destination);
            } else {
                const int step = sqlite3_backup_step(job, -1);
                const int finish = sqlite3_backup_finish(job);
                code = step == SQLITE_DONE ? finish : step;
            }
        }
    }
    if (code == SQLITE_OK)
        return;
    if (!existed) // do not leave behind an empty database that the restore created
        fs::remove(database, error);
    const int primary = code & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        throw Error(ErrorKind::Busy,
                    "cannot restore " + database.string() + " while another connection holds it",
                    {}, "stop the programs that use the database, then run strata restore again")
            .with_sqlite_code(code);
    throw Error(ErrorKind::Database,
                "cannot restore " + database.string() + " from " + backup.string() + ": " +
                    sqlite3_errstr(code),
                {},
                primary == SQLITE_FULL ? "free some disk space and run strata restore again"
                                       : "check the permissions of the database and its folder")
        .with_sqlite_code(code);
}

} // namespace strata
