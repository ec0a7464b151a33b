// SPDX-License-Identifier: MIT
#include "strata/executor/backup.hpp"

#include "strata/error.hpp"
#include "strata/executor/observer.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "strata/executor/sqlite_error.hpp"
#include "strata/terms.hpp"
#include "util/file_writer.hpp"
#include "util/platform.hpp"
#include "util/time_format.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>

namespace strata {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_extension = ".bak";
// "YYYYMMDDTHHMMSS.mmmZ": a digit where the pattern has 'D', the character itself elsewhere.
constexpr std::string_view k_timestamp_pattern = "DDDDDDDDTDDDDDD.DDDZ";
// A run that finds this many names of one millisecond taken gives up.
constexpr unsigned k_max_name_attempts = 1000;
// How long a run waits for its turn to name a backup: a turn takes a rename and a few deletes,
// so only a run stopped in the middle of one (Ctrl-Z) makes another wait this long.
constexpr std::chrono::seconds k_naming_turn_timeout{10};

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

// A backup's file name taken apart: "<database>.<timestamp>[_<attempt>].bak".
struct BackupName {
    std::string_view database;
    std::string_view timestamp;
    unsigned attempt = 0;
};

std::optional<BackupName> parse_backup_name(std::string_view name) {
    if (!name.ends_with(k_extension))
        return std::nullopt;
    name.remove_suffix(k_extension.size());
    BackupName parsed;
    // "_<n>": digits without a leading zero, n >= 1, right after the timestamp's 'Z'.
    const std::size_t underscore = name.rfind('_');
    if (underscore != std::string_view::npos && underscore > 0 && name[underscore - 1] == 'Z') {
        const std::string_view digits = name.substr(underscore + 1);
        if (!digits.empty() && digits.size() <= 3 && digits.front() != '0' &&
            digits.find_first_not_of("0123456789") == std::string_view::npos) {
            parsed.attempt = static_cast<unsigned>(std::stoul(std::string(digits)));
            name = name.substr(0, underscore);
        }
    }
    const std::size_t size = k_timestamp_pattern.size();
    if (name.size() < size + 2 || name[name.size() - size - 1] != '.')
        return std::nullopt;
    parsed.timestamp = name.substr(name.size() - size);
    parsed.database = name.substr(0, name.size() - size - 1);
    if (!is_timestamp(parsed.timestamp))
        return std::nullopt;
    return parsed;
}

// Whether `name` is one of `database_name`'s backups.
bool is_backup_name(std::string_view name, std::string_view database_name) {
    const std::optional<BackupName> parsed = parse_backup_name(name);
    return parsed && parsed->database == database_name;
}

// Whether backup `a` is named after an earlier millisecond than backup `b`.
bool earlier_millisecond(const fs::path& a, const fs::path& b) {
    const std::string first = a.filename().string();
    const std::string second = b.filename().string();
    const auto ka = parse_backup_name(first);
    const auto kb = parse_backup_name(second);
    return ka && kb && ka->timestamp < kb->timestamp;
}

// Time order, then attempt order: "_10" comes after "_9" although it sorts before it as text.
bool older_backup(const fs::path& a, const fs::path& b) {
    const std::string first = a.filename().string();
    const std::string second = b.filename().string();
    const auto ka = parse_backup_name(first);
    const auto kb = parse_backup_name(second);
    if (!ka || !kb)
        return first < second;
    return std::tie(ka->timestamp, ka->attempt) < std::tie(kb->timestamp, kb->attempt);
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
        SqliteFailure failure; // named: see rethrow_as_error on GCC 12
        failure.message =
            "cannot back up " + m_database.string() + " to " + m_backup.string() + ": " + detail;
        failure.busy_message = "cannot back up " + m_database.string() +
                               ": it is locked by another connection (" + detail + ")";
        failure.hint = default_hint();
        failure.full_hint = "free some disk space beside the database; nothing was migrated";
        throw sqlite_error(code, std::move(failure));
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

std::string quick_check(sqlite::Database db) {
    sqlite::Statement check(db, "PRAGMA quick_check");
    std::string first;
    if (check.step())
        first = check.column_text(0);
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
                    "give the path of a file written by " + terms::option(terms::Option::Backup) +
                        ", e.g. app.db.20261121T093000.123Z.bak");
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
    } catch (const sqlite::Failure& e) {
        if (kind_for_sqlite_code(e.code(), ErrorKind::Database) == ErrorKind::Busy)
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

// Keeps one read transaction open on `db` for its lifetime. The backup API would otherwise
// take and drop a read lock for each chunk, and a write by another connection in between
// would make it start over; inside one transaction every chunk copies the same moment. A
// caller's own open transaction is left alone.
class ReadSnapshot {
  public:
    explicit ReadSnapshot(sqlite::Database db) : m_db(db) {
        if (sqlite3_get_autocommit(m_db.handle()) == 0)
            return;
        m_owned = true;
        m_db.exec("BEGIN");
        try {
            // BEGIN is deferred: the first read takes the lock (or the WAL snapshot).
            sqlite::query_int64(m_db, "SELECT count(*) FROM sqlite_master");
        } catch (...) {
            end();
            throw;
        }
    }
    ~ReadSnapshot() { end(); }
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;

  private:
    void end() noexcept {
        if (!m_owned)
            return;
        m_owned = false;
        try {
            m_db.exec("ROLLBACK");
        } catch (...) {
            // Nothing was written in it; closing the connection ends it too.
        }
    }
    sqlite::Database m_db;
    bool m_owned = false;
};

// One run of SQLite's online backup API from `source` to `target`, finished on destruction (which
// rolls back what a copy that stopped early wrote to `target`).
class BackupJob {
  public:
    // Throws sqlite::Failure when SQLite cannot start the copy.
    BackupJob(sqlite::Database target, sqlite::Database source)
        : m_job(sqlite3_backup_init(target.handle(), "main", source.handle(), "main")) {
        if (m_job == nullptr)
            sqlite::fail(target.handle(), sqlite3_errcode(target.handle()));
    }
    ~BackupJob() { sqlite3_backup_finish(m_job); }
    BackupJob(const BackupJob&) = delete;
    BackupJob& operator=(const BackupJob&) = delete;

    // Copies up to `pages` pages: SQLITE_OK (more to copy), SQLITE_DONE, or BUSY/LOCKED when a
    // lock could not be had. Throws sqlite::Failure for any other code.
    int step(int pages) {
        const int code = sqlite3_backup_step(m_job, pages);
        if (code == SQLITE_OK || code == SQLITE_DONE || (code & 0xff) == SQLITE_BUSY ||
            (code & 0xff) == SQLITE_LOCKED)
            return code;
        throw sqlite::Failure(code, sqlite3_errstr(code));
    }
    long long total_pages() const { return sqlite3_backup_pagecount(m_job); }
    long long remaining_pages() const { return sqlite3_backup_remaining(m_job); }

  private:
    sqlite3_backup* m_job;
};

bool cancelled(const CopyOptions& copy) {
    return copy.cancel != nullptr && copy.cancel->load();
}

// Copies with `job` chunk by chunk, reporting progress after each chunk and stopping before
// the next one when the copy is cancelled. Returns SQLITE_DONE, the code of a chunk that
// could not get its lock (BUSY, LOCKED), or SQLITE_INTERRUPT when cancelled; other failures
// are thrown as sqlite::Failure.
int copy_in_chunks(BackupJob& job, const CopyOptions& copy, const std::string& from,
                   const std::string& to) {
    const int pages = copy.pages_per_step > 0 ? copy.pages_per_step : k_copy_pages_per_step;
    while (true) {
        if (cancelled(copy))
            return SQLITE_INTERRUPT;
        const int step = job.step(pages);
        if (step != SQLITE_OK && step != SQLITE_DONE)
            return step;
        if (copy.observer != nullptr) {
            const long long total = job.total_pages();
            copy.observer->on_backup_progress(from, to, total - job.remaining_pages(), total);
        }
        if (step == SQLITE_DONE)
            return step;
    }
}

// A shared flock on the finished copy, taken before it has its backup name, so that there is
// no moment when another run could see it as a backup and prune it. A file system without
// flock gives no lock; the backup then has the protection it had before locks existed.
util::FileDescriptor hold_backup(const fs::path& copy) {
    std::error_code error;
    util::FileDescriptor fd = util::open_file(copy, {.follow_links = false}, error);
    if (fd.valid() && util::try_lock(fd, util::LockKind::Shared) != util::LockResult::Locked)
        fd.reset();
    return fd;
}

[[noreturn]] void cannot_prune(const fs::path& backup, const std::string& reason) {
    throw Error(ErrorKind::Database,
                "cannot delete the old backup " + backup.string() + ": " + reason, {},
                "check the permissions of its folder, or delete it yourself");
}

// Deletes an old backup unless a run that is still going holds it (hold_backup); true when it
// is gone. The exclusive lock is held while the name is removed, so the file cannot be taken
// up meanwhile.
bool prune(const fs::path& backup) {
    std::error_code error;
    const util::FileDescriptor fd = util::open_file(backup, {.follow_links = false}, error);
    if (!fd.valid()) {
        if (error == std::errc::no_such_file_or_directory) // another run pruned it first
            return true;
        cannot_prune(backup,
                     "cannot open it to see whether a run still uses it: " + error.message());
    }
    if (util::try_lock(fd, util::LockKind::Exclusive) == util::LockResult::HeldElsewhere)
        return false; // its run is still going: it stays, and a later run prunes it
    // (Unavailable means no locks on this file system: pruned as before locks.)
    const auto opened = util::file_status(fd, error);
    const auto named = util::file_status(backup, util::Links::DoNotFollow, error);
    if (!opened || !named || opened->identity != named->identity)
        return false; // the name no longer leads to the file that was checked
    error = util::remove_file(backup);
    if (error && error != std::errc::no_such_file_or_directory)
        cannot_prune(backup, error.message());
    return true;
}

// Waits for this run's turn to name a backup and prune: an exclusive lock (flock) on the
// database's folder, held until the returned file is closed. Runs take turns so that a run
// reads its clock after every deletion an earlier turn made (see backup_database). An invalid
// file when the folder cannot be opened or locked (no locks on that file system): the run
// goes on without a turn, as before locks. Throws Error(Busy) when the turn does not come
// within k_naming_turn_timeout, Error(Interrupted) when the copy is cancelled meanwhile.
util::FileDescriptor wait_for_naming_turn(const fs::path& database, const CopyOptions& copy) {
    std::error_code error;
    util::FileDescriptor folder = util::open_file(folder_of(database), {.folder = true}, error);
    if (!folder.valid())
        return folder;
    const auto started = std::chrono::steady_clock::now();
    // Growing pauses, as SQLite's busy handler's: a turn ends within a millisecond or so.
    static constexpr int k_delays_ms[] = {1, 1, 2, 5, 10, 20, 50};
    for (std::size_t tries = 0;; ++tries) {
        const util::LockResult result = util::try_lock(folder, util::LockKind::Exclusive);
        if (result == util::LockResult::Locked)
            return folder;
        if (result == util::LockResult::Unavailable)
            return util::FileDescriptor();
        if (cancelled(copy))
            throw Error(ErrorKind::Interrupted,
                        "interrupted while waiting to name the backup of " + database.string() +
                            "; nothing was migrated and no backup was kept",
                        {}, "run the command again");
        if (std::chrono::steady_clock::now() - started >= k_naming_turn_timeout)
            throw Error(ErrorKind::Busy,
                        "another process has kept " + folder_of(database).string() +
                            " locked for more than " +
                            std::to_string(k_naming_turn_timeout.count()) +
                            " s while this run waited to name the backup of " + database.string() +
                            "; nothing was migrated",
                        {},
                        "look for a stopped strata run (Ctrl-Z) on this database, end it, and "
                        "run the command again");
        std::this_thread::sleep_for(
            std::chrono::milliseconds(k_delays_ms[std::min(tries, std::size(k_delays_ms) - 1)]));
    }
}

WrittenBackup write_backup(Connection& connection, int keep,
                           const std::function<std::chrono::system_clock::time_point()>& clock,
                           const CopyOptions& copy);

} // namespace

fs::path backup_path_for(const fs::path& database, std::chrono::system_clock::time_point now,
                         unsigned attempt) {
    std::string name = database.string() + "." + util::utc_basic_millis(now);
    if (attempt > 0)
        name += "_" + std::to_string(attempt);
    return fs::path(name + std::string(k_extension));
}

fs::path database_of_backup(const fs::path& backup) {
    const std::string name = backup.filename().string();
    const std::optional<BackupName> parsed = parse_backup_name(name);
    if (!parsed || parsed->database.empty())
        return {};
    return backup.parent_path() / std::string(parsed->database);
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
    std::sort(backups.begin(), backups.end(), older_backup);
    return backups;
}

WrittenBackup backup_database(Connection& connection, int keep, const CopyOptions& copy) {
    return write_backup(
        connection, keep, [] { return std::chrono::system_clock::now(); }, copy);
}

WrittenBackup backup_database(Connection& connection, int keep,
                              std::chrono::system_clock::time_point now, const CopyOptions& copy) {
    return write_backup(
        connection, keep, [now] { return now; }, copy);
}

namespace {

WrittenBackup write_backup(Connection& connection, int keep,
                           const std::function<std::chrono::system_clock::time_point()>& clock,
                           const CopyOptions& copy) {
    const fs::path& database = connection.path();
    const fs::path first_choice = backup_path_for(database, clock());
    const BackupFailure failure(database, first_choice);
    if (cancelled(copy))
        throw Error(ErrorKind::Interrupted,
                    "interrupted before backing up " + database.string() + "; nothing was migrated",
                    {}, "run the command again");

    // SQLite fills a file created beside the backup exclusively, so that a link planted at the
    // temporary name is never followed; 0644 is what SQLite gives a database it creates. The
    // temporary name never matches the backup pattern, so nobody mistakes it for a backup.
    std::optional<util::TemporaryFile> temporary;
    try {
        temporary.emplace(util::TemporaryFile::create_beside(first_choice, 0644));
    } catch (const util::FileError& e) {
        failure.raise_file(e);
    }
    temporary->close();
    const SqliteSideFiles side_files(temporary->path());

    sqlite3* source = connection.db().handle();
    // The copy goes through the same VFS as the database, so a test's VFS sees every write.
    DatabaseOptions options;
    sqlite3_vfs* vfs = nullptr;
    if (sqlite3_file_control(source, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) == SQLITE_OK &&
        vfs != nullptr)
        options.vfs = vfs->zName;

    std::optional<Connection> target;
    try {
        target.emplace(temporary->path(), OpenMode::ReadWrite, options);
    } catch (const Error& e) {
        failure.raise(e.message());
    }
    try {
        // FULL: the copy's commit reaches the disk before the migration may start.
        target->db().exec("PRAGMA synchronous = FULL");
        int step = SQLITE_OK;
        {
            const ReadSnapshot snapshot(connection.db());
            BackupJob job(target->db(), connection.db());
            step = copy_in_chunks(job, copy, database.string(), first_choice.string());
        }
        if (step == SQLITE_INTERRUPT)
            throw Error(ErrorKind::Interrupted,
                        "interrupted while backing up " + database.string() +
                            "; nothing was migrated and no backup was kept",
                        {}, "run the command again");
        if (step != SQLITE_DONE)
            failure.raise_sqlite(step, sqlite3_errstr(step));
        // A copy of an empty file would itself be empty, which restore rightly refuses:
        // writing the header makes it a real (empty) database.
        if (sqlite::query_int64(target->db(), "PRAGMA page_count") == 0)
            target->db().exec("PRAGMA user_version = 0");
        // A copy of a WAL database is marked WAL; as a self-contained file it should not need
        // -wal and -shm files beside it.
        target->db().exec("PRAGMA journal_mode = DELETE");
    } catch (const sqlite::Failure& e) {
        failure.raise_sqlite(e.code(), e.what());
    }
    target.reset(); // closed before it is synced and named

    // Durable before it gets its name, and never in place of a file of that name: a name
    // taken (by a run in the same millisecond, or anything else) moves on to the next attempt.
    util::FileDescriptor hold;
    try {
        util::sync_file(temporary->path());
        hold = hold_backup(temporary->path());
    } catch (const util::FileError& e) {
        failure.raise_file(e);
    }
    fs::path backup;
    {
        // Naming and pruning take turns among runs, and the name's time is read in the turn.
        // A turn deletes only backups of an earlier millisecond than its own name's, so every
        // later turn reads a later time: no run is ever given the name of a backup another
        // run was given and a third deleted (unless the clock is set back).
        const util::FileDescriptor turn = wait_for_naming_turn(database, copy);
        const auto named_at = clock();
        try {
            for (unsigned attempt = 0; backup.empty(); ++attempt) {
                const fs::path candidate = backup_path_for(database, named_at, attempt);
                try {
                    util::publish(temporary->path(), candidate, util::WriteMode::CreateNew);
                    backup = candidate;
                } catch (const util::FileError& e) {
                    if (e.problem != util::FileProblem::Exists ||
                        attempt + 1 == k_max_name_attempts)
                        throw;
                }
            }
            temporary->release();
        } catch (const util::FileError& e) {
            failure.raise_file(e);
        }

        // Pruning: the oldest backups go until `keep` are left, but only those named after an
        // earlier millisecond than the new one (a clock set back keeps the "future" ones), and
        // never one another run still holds (prune()). Runs that overlap can therefore leave
        // more than `keep` backups; a later run prunes them once those runs are over.
        const std::vector<fs::path> all = list_backups(database);
        std::size_t left = all.size();
        for (auto older = all.begin(); older != all.end() && earlier_millisecond(*older, backup) &&
                                       left > static_cast<std::size_t>(keep);
             ++older) {
            if (prune(*older))
                --left;
        }
    }
    try {
        util::sync_folder(folder_of(backup)); // the new name and the deletions
    } catch (const util::FileError& e) {
        failure.raise_file(e);
    }
    return WrittenBackup(backup, std::move(hold));
}

} // namespace

void check_backup(const fs::path& backup, const DatabaseOptions& options) {
    open_checked_backup(backup, options);
}

namespace {

// SQLite cannot change the page size of a database in WAL mode, so its backup API refuses
// (SQLITE_READONLY) to copy a backup with other pages into one: a cause worth naming, since
// "read-only" would send the user to the permissions.
std::optional<std::string> wal_page_size_mismatch(Connection& target, Connection& source) {
    try {
        const std::string mode = sqlite::query_text(target.db(), "PRAGMA journal_mode");
        const int target_size = sqlite::query_int64(target.db(), "PRAGMA page_size");
        const int source_size = sqlite::query_int64(source.db(), "PRAGMA page_size");
        if (mode != "wal" || target_size == source_size)
            return std::nullopt;
        return "the database is in WAL mode with pages of " + std::to_string(target_size) +
               " bytes and the backup has pages of " + std::to_string(source_size) +
               " bytes; SQLite cannot change the page size of a WAL database";
    } catch (const sqlite::Failure&) {
        return std::nullopt;
    }
}

} // namespace

void restore_database(const fs::path& database, const fs::path& backup,
                      const DatabaseOptions& options, const CopyOptions& copy) {
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
    std::optional<std::string> cause;
    {
        Connection target(database, OpenMode::Create, target_options);
        try {
            // Exclusive: in WAL mode every open connection holds a shared lock on the file, so
            // this also refuses while another program merely has the database open. (Setting
            // synchronous reads the schema, which already takes that lock.)
            target.db().exec("PRAGMA locking_mode = EXCLUSIVE; PRAGMA synchronous = FULL");
            const ReadSnapshot snapshot(source.db());
            // The chunks share one write transaction on the database, committed by the last
            // one; a copy that stops earlier is rolled back when `job` is destroyed (SQLite's
            // backup_finish), so the database is either replaced or as it was.
            BackupJob job(target.db(), source.db());
            const int step = copy_in_chunks(job, copy, backup.string(), database.string());
            code = step == SQLITE_DONE ? SQLITE_OK : step;
        } catch (const sqlite::Failure& e) {
            code = e.code();
        }
        if ((code & 0xff) == SQLITE_READONLY)
            cause = wal_page_size_mismatch(target, source);
    }
    if (code == SQLITE_OK)
        return;
    if (!existed) // do not leave behind an empty database that the restore created
        fs::remove(database, error);
    if (code == SQLITE_INTERRUPT)
        throw Error(ErrorKind::Interrupted,
                    "interrupted: the restore from " + backup.string() + " was abandoned; " +
                        database.string() + (existed ? " is as it was" : " was not created"),
                    {}, "run " + terms::command(terms::Command::Restore) + " again");
    if (cause)
        throw Error(
            ErrorKind::Database,
            "cannot restore " + database.string() + " from " + backup.string() + ": " + *cause, {},
            "take the database out of WAL mode first (sqlite3 " + database.string() +
                " \"PRAGMA journal_mode = DELETE\"), or move it and its -wal and -shm "
                "files away so that restore creates it; nothing was changed")
            .with_sqlite_code(code);
    SqliteFailure failure; // named: see rethrow_as_error on GCC 12
    failure.message = "cannot restore " + database.string() + " from " + backup.string() + ": " +
                      sqlite3_errstr(code);
    failure.busy_message =
        "cannot restore " + database.string() + " while another connection holds it";
    const std::string again = "run " + terms::command(terms::Command::Restore) + " again";
    failure.busy_hint = "stop the programs that use the database, then " + again;
    failure.full_hint = "free some disk space and " + again;
    failure.database = database;
    throw sqlite_error(code, std::move(failure));
}

} // namespace strata
