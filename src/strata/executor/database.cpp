// SPDX-License-Identifier: MIT
#include "strata/executor/database.hpp"

#include "strata/error.hpp"
#include "strata/executor/observer.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "strata/project/database_path.hpp"
#include "strata/project/project.hpp"
#include "strata/terms.hpp"
#include "util/platform.hpp"
#include "util/text.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace strata {

namespace {

const char* special_kind(util::FileKind kind) {
    switch (kind) {
    case util::FileKind::Directory:
        return "a directory";
    case util::FileKind::Fifo:
        return "a FIFO";
    case util::FileKind::Socket:
        return "a socket";
    case util::FileKind::CharacterDevice:
    case util::FileKind::BlockDevice:
        return "a device";
    case util::FileKind::Regular:
    case util::FileKind::Other:
        break;
    }
    return "not a regular file";
}

// Opening a FIFO blocks (with no way to interrupt it) and opening a device can have effects of
// its own, so anything but a regular file (or nothing yet) is refused before SQLite opens it.
void refuse_special_file(const std::filesystem::path& path) {
    std::error_code error;
    const auto status = util::file_status(path, util::Links::Follow, error);
    if (!status || status->kind == util::FileKind::Regular)
        return;
    throw Error(ErrorKind::Database,
                "the database path " + path.string() + " is " + special_kind(status->kind) +
                    ", not a database file",
                {},
                "point " + terms::option(terms::Option::Database) +
                    (status->kind == util::FileKind::Directory ? " at a file inside it, e.g. app.db"
                                                               : " at a regular file"));
}

// Asked of the effective user, as whom SQLite opens the file (access() asked the real one; the
// two differ only in a set-user-ID program, which this way recovers a hot journal it may write).
bool may_write(const std::filesystem::path& path) {
    const std::filesystem::path absolute = std::filesystem::absolute(path);
    return util::has_access(absolute, {.write = true}) &&
           util::has_access(absolute.parent_path(), {.write = true});
}

int open_flags(OpenMode mode) {
    switch (mode) {
    case OpenMode::ReadOnly:
        return SQLITE_OPEN_READONLY;
    case OpenMode::ReadWrite:
        return SQLITE_OPEN_READWRITE;
    case OpenMode::Create:
        return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    }
    return SQLITE_OPEN_READONLY;
}

} // namespace

// strata's busy handler waits as SQLite's own busy timeout would, and in addition tells the
// observer that a wait started and gives up at once when the run is cancelled.
struct LockWait {
    std::string database;
    std::chrono::milliseconds timeout;
    RunObserver* observer = nullptr;
    const std::atomic<bool>* cancel = nullptr;
    std::chrono::steady_clock::time_point started{};

    bool cancelled() const { return cancel != nullptr && cancel->load(); }

    // SQLite calls it while a lock is held elsewhere: `attempts` is 0 at the start of each wait.
    // Returns non-zero to try again. Never throws: it is called from inside SQLite.
    static int handle(void* data, int attempts) noexcept {
        auto& wait = *static_cast<LockWait*>(data);
        if (wait.cancelled() || wait.timeout.count() <= 0)
            return 0;
        const auto now = std::chrono::steady_clock::now();
        if (attempts == 0) {
            wait.started = now;
            if (wait.observer != nullptr) {
                try {
                    wait.observer->on_waiting_for_lock(wait.database, wait.timeout);
                } catch (...) {
                    // A reporter that cannot write says so at its next event; the wait goes on.
                }
                // The observer may be what cancels (an application's "Cancel" button).
                if (wait.cancelled())
                    return 0;
            }
        }
        const auto waited =
            std::chrono::duration_cast<std::chrono::milliseconds>(now - wait.started);
        if (waited >= wait.timeout)
            return 0;
        // Short sleeps, growing as SQLite's own handler's do, keep both the cancel flag and the
        // lock's release noticed within a few milliseconds at first, within 50 ms later on.
        static constexpr int k_delays_ms[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50};
        constexpr int k_count = static_cast<int>(std::size(k_delays_ms));
        const auto delay =
            std::min(std::chrono::milliseconds(k_delays_ms[std::min(attempts, k_count - 1)]),
                     wait.timeout - waited);
        std::this_thread::sleep_for(delay);
        return wait.cancelled() ? 0 : 1;
    }
};

// A borrowed connection's settings as strata found them.
struct BorrowedSettings {
    sqlite3* db = nullptr;
    bool armed = false; // set once every value below was read
    struct Flag {
        int option;
        int value;
    };
    std::vector<Flag> flags;
    int attached_limit = 0;
    bool query_only = false;
    int synchronous = 2;
    int busy_timeout_ms = 0;

    // Puts back what strata changed. Never throws: a setting that cannot be put back stays as
    // strata left it, which is the safer of the two.
    ~BorrowedSettings() {
        if (!armed)
            return;
        sqlite::Database database(db);
        for (const Flag& flag : flags)
            sqlite3_db_config(db, flag.option, flag.value, nullptr);
        sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, attached_limit);
        database.try_exec(query_only ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF");
        static constexpr const char* k_synchronous[] = {
            "PRAGMA synchronous = OFF", "PRAGMA synchronous = NORMAL", "PRAGMA synchronous = FULL",
            "PRAGMA synchronous = EXTRA"};
        if (synchronous >= 0 && synchronous <= 3)
            database.try_exec(k_synchronous[synchronous]);
        // Replaces strata's busy handler by SQLite's own with the application's timeout (none
        // for 0). A busy handler of the application's own cannot be read back, so is not restored.
        sqlite3_busy_timeout(db, busy_timeout_ms);
        sqlite3_progress_handler(db, 0, nullptr, nullptr);
    }
};

namespace {

// The sqlite3_db_config flags strata sets (secure_connection), and foreign_keys, which a run
// sets (ForeignKeyEnforcement puts it back too; this covers a run that ends in between).
constexpr int k_borrowed_flags[] = {
    SQLITE_DBCONFIG_DEFENSIVE,
    SQLITE_DBCONFIG_TRUSTED_SCHEMA,
    SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER,
    SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION,
    SQLITE_DBCONFIG_ENABLE_FKEY,
};

std::unique_ptr<LockWait> install_lock_wait(sqlite3* db, const std::string& database,
                                            const DatabaseOptions& options) {
    auto wait = std::make_unique<LockWait>();
    wait->database = database;
    wait->timeout = std::chrono::milliseconds(std::max(options.busy_timeout_ms, 0));
    wait->observer = options.observer;
    wait->cancel = options.cancel;
    sqlite3_busy_handler(db, &LockWait::handle, wait.get());
    return wait;
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
        const int opened = sqlite3_open_v2(std::filesystem::absolute(path).c_str(), &m_handle,
                                           recovering ? SQLITE_OPEN_READWRITE : open_flags(mode),
                                           options.vfs.empty() ? nullptr : options.vfs.c_str());
        if (opened != SQLITE_OK) {
            const sqlite::Failure failure(
                m_handle != nullptr ? sqlite3_extended_errcode(m_handle) : opened,
                m_handle != nullptr ? sqlite3_errmsg(m_handle) : sqlite3_errstr(opened));
            release();
            throw failure;
        }
        // Extended codes tell SQLITE_IOERR_FSYNC from SQLITE_IOERR_WRITE in messages.
        sqlite3_extended_result_codes(m_handle, 1);
        m_lock_wait = install_lock_wait(m_handle, path.string(), options);
        // Before the first statement: the schema SQLite reads for it is untrusted input.
        secure_connection(db());
        if (recovering)
            db().exec("PRAGMA query_only = ON");
    } catch (...) {
        release();
        rethrow_as_error(path, "opening the database");
    }
}

Connection::Connection(sqlite3* handle, OpenMode mode, const DatabaseOptions& options) {
    if (handle == nullptr)
        throw Error(ErrorKind::Usage, "the application's connection is null", {},
                    "open the database with sqlite3_open_v2 before handing it to strata");
    const char* file = sqlite3_db_filename(handle, "main");
    m_in_memory = file == nullptr || *file == '\0';
    m_path = sqlite::Database(handle).filename();
    // strata's transactions (BEGIN IMMEDIATE per step) cannot nest in the application's, and
    // a step committed inside it would not be durable when strata says it is.
    if (sqlite3_get_autocommit(handle) == 0)
        throw Error(ErrorKind::Usage,
                    "the application's connection to " + m_path.string() +
                        " is inside a transaction",
                    {}, "commit or roll back the transaction before handing the connection over");
    if (mode != OpenMode::ReadOnly && sqlite3_db_readonly(handle, "main") == 1)
        throw Error(ErrorKind::Usage,
                    "the application's connection to " + m_path.string() +
                        " is read-only, and this operation writes",
                    {}, "open the connection with SQLITE_OPEN_READWRITE");
    auto saved = std::make_unique<BorrowedSettings>();
    saved->db = handle;
    sqlite::Database database(handle);
    try {
        for (int option : k_borrowed_flags) {
            int value = 0;
            if (sqlite3_db_config(handle, option, -1, &value) != SQLITE_OK)
                throw Error(ErrorKind::Database, "SQLite cannot report its configuration option " +
                                                     std::to_string(option));
            saved->flags.push_back({option, value});
        }
        saved->attached_limit = sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, -1);
        saved->query_only = sqlite::query_int64(database, "PRAGMA query_only") != 0;
        saved->synchronous = static_cast<int>(sqlite::query_int64(database, "PRAGMA synchronous"));
        saved->busy_timeout_ms =
            static_cast<int>(sqlite::query_int64(database, "PRAGMA busy_timeout"));
    } catch (...) {
        rethrow_as_error(m_path, "reading the application's connection settings");
    }
    // From here on, whatever throws puts the settings back (m_borrowed's destructor).
    saved->armed = true;
    m_handle = handle;
    m_lock_wait = install_lock_wait(handle, m_path.string(), options);
    m_borrowed = std::move(saved);
    try {
        secure_connection(db());
        // A read-only operation must not write through the application's connection either.
        if (mode == OpenMode::ReadOnly)
            db().exec("PRAGMA query_only = ON");
    } catch (...) {
        rethrow_as_error(m_path, "preparing the application's connection");
    }
}

namespace {

// One sqlite3_db_config flag and the value strata gives it on every connection.
struct DbConfigFlag {
    int option;
    int value;
    const char* name;
};

// Why each: docs/security.md, "Connection settings".
constexpr DbConfigFlag k_secure_flags[] = {
    // No SQL, however crafted, can corrupt the file: writable_schema edits of sqlite_schema,
    // writes to shadow tables and journal_mode=OFF are refused.
    {SQLITE_DBCONFIG_DEFENSIVE, 1, "defensive mode"},
    // Views, triggers, CHECK and DEFAULT expressions, generated columns and indexes of a database
    // someone else wrote may only call functions and virtual tables SQLite marks innocuous.
    {SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, "trusted_schema"},
    // fts3_tokenizer(name, pointer) makes SQLite call through a pointer given as SQL text.
    {SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, "the two-argument fts3_tokenizer"},
    // load_extension() runs native code from any file.
    {SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, "extension loading"},
};

bool db_config_flag(sqlite3* db, int option) {
    int value = -1;
    if (sqlite3_db_config(db, option, -1, &value) != SQLITE_OK)
        throw Error(ErrorKind::Database,
                    "SQLite cannot report its configuration option " + std::to_string(option));
    return value != 0;
}

} // namespace

void secure_connection(sqlite::Database database) {
    sqlite3* db = database.handle();
    for (const DbConfigFlag& flag : k_secure_flags) {
        int now = -1;
        if (sqlite3_db_config(db, flag.option, flag.value, &now) != SQLITE_OK || now != flag.value)
            throw Error(ErrorKind::Database,
                        std::string("this SQLite does not let strata turn ") +
                            (flag.value ? "on " : "off ") + flag.name,
                        {}, "build strata with SQLite 3.31 or later");
    }
    // ATTACH (and VACUUM INTO, which attaches its target) would let SQL open or create any
    // file. A plain after-commit VACUUM needs one attached database for a moment:
    // sql_runner.cpp lifts the limit to 1 for exactly that statement.
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
    if (sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, -1) != 0)
        throw Error(ErrorKind::Database, "this SQLite does not let strata forbid ATTACH");
}

ConnectionState read_connection_state(sqlite::Database database) {
    sqlite3* db = database.handle();
    ConnectionState state;
    state.defensive = db_config_flag(db, SQLITE_DBCONFIG_DEFENSIVE);
    state.trusted_schema = db_config_flag(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA);
    state.fts3_tokenizer = db_config_flag(db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER);
    state.load_extension = db_config_flag(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION);
    state.writable_schema = db_config_flag(db, SQLITE_DBCONFIG_WRITABLE_SCHEMA);
    state.legacy_alter_table = db_config_flag(db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE);
    state.foreign_keys = db_config_flag(db, SQLITE_DBCONFIG_ENABLE_FKEY);
    state.attached_limit = sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, -1);
    try {
        // Plain PRAGMA statements: preparing each costs less than one join of the pragma
        // table-valued functions, and the check runs before every step.
        auto first_row = [&](sqlite::Statement& query, const char* sql) {
            if (!query.step())
                throw Error(ErrorKind::Database, std::string("SQLite returned nothing for ") + sql);
        };
        auto integer = [&](const char* sql) {
            sqlite::Statement query(database, sql);
            first_row(query, sql);
            return static_cast<int>(query.column_int64(0));
        };
        // journal_mode and locking_mode are never empty; SQLite gives "" when it could not
        // allocate the text, which must not read as a changed setting.
        auto text = [&](const char* sql) {
            sqlite::Statement query(database, sql);
            first_row(query, sql);
            std::string value = query.column_text(0);
            if (value.empty())
                sqlite::fail(db, sqlite3_errcode(db));
            return value;
        };
        state.query_only = integer("PRAGMA query_only") != 0;
        state.ignore_check_constraints = integer("PRAGMA ignore_check_constraints") != 0;
        state.defer_foreign_keys = integer("PRAGMA defer_foreign_keys") != 0;
        state.recursive_triggers = integer("PRAGMA recursive_triggers") != 0;
        state.synchronous = integer("PRAGMA synchronous");
        state.journal_mode = text("PRAGMA journal_mode");
        state.locking_mode = text("PRAGMA locking_mode");
        state.temp_objects = integer("SELECT count(*) FROM temp.sqlite_schema");
    } catch (...) {
        rethrow_as_error(database.filename(), "reading the connection's settings");
    }
    return state;
}

ConnectionState state_for_migrating(ConnectionState current, bool enforce_foreign_keys) {
    const ConnectionState fixed; // the defaults of ConnectionState are strata's values
    current.defensive = fixed.defensive;
    current.trusted_schema = fixed.trusted_schema;
    current.fts3_tokenizer = fixed.fts3_tokenizer;
    current.load_extension = fixed.load_extension;
    current.writable_schema = fixed.writable_schema;
    current.legacy_alter_table = fixed.legacy_alter_table;
    current.attached_limit = fixed.attached_limit;
    current.query_only = fixed.query_only;
    current.ignore_check_constraints = fixed.ignore_check_constraints;
    current.defer_foreign_keys = fixed.defer_foreign_keys;
    current.foreign_keys = enforce_foreign_keys;
    current.temp_objects = fixed.temp_objects;
    // configure_for_migrating sets FULL or EXTRA; less is never what strata runs with.
    if (current.synchronous < fixed.synchronous)
        current.synchronous = fixed.synchronous;
    return current;
}

namespace {

std::string on_off(bool value) {
    return value ? "on" : "off";
}

std::string synchronous_name(int level) {
    switch (level) {
    case 0:
        return "OFF";
    case 1:
        return "NORMAL";
    case 2:
        return "FULL";
    case 3:
        return "EXTRA";
    }
    return std::to_string(level);
}

// Names the first setting that differs, as "<setting> is <actual>, not <expected>".
std::string first_difference(const ConnectionState& actual, const ConnectionState& expected) {
    struct Flag {
        const char* name;
        bool ConnectionState::*member;
    };
    static constexpr Flag k_flags[] = {
        {"defensive mode", &ConnectionState::defensive},
        {"trusted_schema", &ConnectionState::trusted_schema},
        {"the two-argument fts3_tokenizer", &ConnectionState::fts3_tokenizer},
        {"extension loading", &ConnectionState::load_extension},
        {"writable_schema", &ConnectionState::writable_schema},
        {"legacy_alter_table", &ConnectionState::legacy_alter_table},
        {"foreign_keys", &ConnectionState::foreign_keys},
        {"query_only", &ConnectionState::query_only},
        {"ignore_check_constraints", &ConnectionState::ignore_check_constraints},
        {"defer_foreign_keys", &ConnectionState::defer_foreign_keys},
        {"recursive_triggers", &ConnectionState::recursive_triggers},
    };
    for (const Flag& flag : k_flags)
        if (actual.*flag.member != expected.*flag.member)
            return std::string(flag.name) + " is " + on_off(actual.*flag.member) + ", not " +
                   on_off(expected.*flag.member);
    if (actual.attached_limit != expected.attached_limit)
        return "the limit on attached databases is " + std::to_string(actual.attached_limit) +
               ", not " + std::to_string(expected.attached_limit);
    if (actual.synchronous != expected.synchronous)
        return "synchronous is " + synchronous_name(actual.synchronous) + ", not " +
               synchronous_name(expected.synchronous);
    if (actual.journal_mode != expected.journal_mode)
        return "journal_mode is " + actual.journal_mode + ", not " + expected.journal_mode;
    if (actual.locking_mode != expected.locking_mode)
        return "locking_mode is " + actual.locking_mode + ", not " + expected.locking_mode;
    return "the temp schema holds " +
           util::counted(static_cast<std::size_t>(actual.temp_objects), "object") + ", not " +
           std::to_string(expected.temp_objects);
}

} // namespace

void drop_temp_objects(sqlite::Database db) {
    try {
        // Triggers first (a temp trigger may sit on a main table), then views, then tables.
        sqlite::Statement query(db, "SELECT type, name FROM temp.sqlite_schema "
                                    "WHERE type IN ('trigger', 'view', 'table') "
                                    "ORDER BY CASE type WHEN 'trigger' THEN 0 WHEN 'view' "
                                    "THEN 1 ELSE 2 END");
        std::vector<std::pair<std::string, std::string>> objects;
        while (query.step())
            objects.emplace_back(query.column_text(0), query.column_text(1));
        query.reset();
        for (const auto& [type, name] : objects) {
            // DROP takes no bound parameter; SQLite's own %w quotes the name as an identifier,
            // so no name can end the statement or start another.
            const char* format = type == "trigger" ? "DROP TRIGGER IF EXISTS temp.\"%w\""
                                 : type == "view"  ? "DROP VIEW IF EXISTS temp.\"%w\""
                                                   : "DROP TABLE IF EXISTS temp.\"%w\"";
            char* sql = sqlite3_mprintf(format, name.c_str());
            if (sql == nullptr)
                throw sqlite::Failure(SQLITE_NOMEM, "out of memory");
            const std::string statement(sql);
            sqlite3_free(sql);
            db.exec(statement);
        }
    } catch (...) {
        rethrow_as_error(db.filename(), "dropping the temp objects of a migration");
    }
}

void check_connection_state(sqlite::Database db, const ConnectionState& expected,
                            const std::string& before) {
    const ConnectionState actual = read_connection_state(db);
    if (actual == expected)
        return;
    throw Error(ErrorKind::Refused,
                "internal state error before " + before +
                    ": the connection is not as strata set "
                    "it up (" +
                    first_difference(actual, expected) + ")",
                {},
                "nothing of that step ran; an earlier statement or the program embedding strata "
                "changed the connection. Please report it, with the migrations run before it");
}

Connection Connection::in_memory(const DatabaseOptions& options) {
    Connection connection;
    connection.m_path = ":memory:";
    connection.m_in_memory = true;
    try {
        const int opened = sqlite3_open_v2(":memory:", &connection.m_handle,
                                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                           options.vfs.empty() ? nullptr : options.vfs.c_str());
        if (opened != SQLITE_OK)
            sqlite::fail(connection.m_handle, opened);
        sqlite3_extended_result_codes(connection.m_handle, 1);
        connection.m_lock_wait =
            install_lock_wait(connection.m_handle, connection.m_path.string(), options);
        secure_connection(connection.db());
        // What configure_for_migrating gives a file, so that the executor's check of the
        // connection's state sees strata's values here too.
        connection.db().exec("PRAGMA synchronous = FULL");
    } catch (...) {
        rethrow_as_error(connection.m_path, "opening a database in memory");
    }
    return connection;
}

void copy_database(const Connection& from, Connection& to) {
    sqlite3* source = from.db().handle();
    sqlite3* target = to.db().handle();
    try {
        // An in-memory target cannot change its page size once the copy has begun.
        const std::int64_t page_size = sqlite::query_int64(from.db(), "PRAGMA main.page_size");
        to.db().exec("PRAGMA main.page_size = " + std::to_string(page_size));
        sqlite3_backup* job = sqlite3_backup_init(target, "main", source, "main");
        if (job == nullptr)
            sqlite::fail(target, sqlite3_errcode(target));
        // -1: every page in one step, so the copy is one read transaction on `from`.
        const int stepped = sqlite3_backup_step(job, -1);
        const int finished = sqlite3_backup_finish(job);
        if (stepped != SQLITE_DONE)
            throw sqlite::Failure(stepped, sqlite3_errstr(stepped));
        if (finished != SQLITE_OK)
            sqlite::fail(target, finished);
    } catch (...) {
        rethrow_as_error(from.path(), "copying the database into memory");
    }
}

void Connection::release() noexcept {
    // A borrowed handle stays open: m_borrowed puts its settings back when it goes.
    if (m_borrowed == nullptr && m_handle != nullptr)
        sqlite3_close_v2(m_handle);
    m_handle = nullptr;
}

Connection::~Connection() {
    release();
}

Connection::Connection(Connection&& other) noexcept
    : m_path(std::move(other.m_path)), m_handle(std::exchange(other.m_handle, nullptr)),
      m_in_memory(other.m_in_memory), m_lock_wait(std::move(other.m_lock_wait)),
      m_borrowed(std::move(other.m_borrowed)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        release();
        m_borrowed.reset();
        m_path = std::move(other.m_path);
        m_handle = std::exchange(other.m_handle, nullptr);
        m_in_memory = other.m_in_memory;
        m_lock_wait = std::move(other.m_lock_wait);
        m_borrowed = std::move(other.m_borrowed);
    }
    return *this;
}

bool discard_new_database(std::unique_ptr<Connection>& connection) noexcept {
    if (connection == nullptr)
        return false;
    if (connection->borrowed()) { // the application's database is never strata's to delete
        connection.reset();
        return false;
    }
    bool removed = false;
    try {
        const sqlite::Database db = connection->db();
        sqlite3* handle = db.handle();
        // The name SQLite opened (absolute), so the file removed is the one checked.
        const std::string path = sqlite3_db_filename(handle, "main");
        // Another process may have opened the new file meanwhile; it must not be left writing
        // to a deleted one. Leaving WAL mode fails while another connection uses the WAL, and
        // in rollback mode SQLite refuses writes to a file deleted under it (READONLY_DBMOVED).
        // Each query's statement ends with its line: a statement left open would hold a read
        // transaction, in which the journal mode cannot change.
        auto empty = [&db] {
            return sqlite::query_int64(db, "SELECT count(*) FROM main.sqlite_schema") == 0;
        };
        auto journal_mode = [&db](const char* pragma) { return sqlite::query_text(db, pragma); };
        // A table means a run committed something to the file: it stays, journal mode and all.
        bool alone = empty();
        if (alone && journal_mode("PRAGMA main.journal_mode") == "wal")
            alone = journal_mode("PRAGMA main.journal_mode = DELETE") == "delete";
        if (alone) {
            sqlite3_busy_timeout(handle, 0); // a lock held elsewhere means someone is using it
            alone = db.try_exec("BEGIN EXCLUSIVE") == SQLITE_OK;
        }
        if (alone) {
            int moved = 1;
            sqlite3_file_control(handle, "main", SQLITE_FCNTL_HAS_MOVED, &moved);
            // Checked again under the lock: another run may have committed meanwhile.
            if (moved == 0 && empty() && !util::remove_file(path)) {
                removed = true;
                for (const char* suffix : {"-journal", "-wal", "-shm"})
                    util::remove_file(path + suffix);
            }
            db.try_exec("ROLLBACK");
        }
    } catch (...) {
        // Best effort: the run's own error is what the caller reports.
    }
    connection.reset();
    return removed;
}

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
    const sqlite::Database db = connection.db();
    // SQLite opens a write-protected file read-only without a word; say so before any step.
    if (sqlite3_db_readonly(db.handle(), "main") == 1)
        throw Error(ErrorKind::Database,
                    "the database " + connection.path().string() + " is read-only", {},
                    "check the permissions of the database file and its folder");
    try {
        if (const char* pragma = journal_mode_pragma(settings.journal_mode)) {
            // SQLite answers with the mode in force, which differs when it cannot switch
            // (e.g. WAL on a file system without shared memory).
            const std::string wanted(name_of(settings.journal_mode));
            const std::string mode = sqlite::query_text(db, pragma);
            if (mode != wanted)
                throw Error(ErrorKind::Database,
                            "cannot set journal_mode to " + wanted + " on " +
                                connection.path().string() + " (it stays " + mode + ")",
                            {}, "choose another " + terms::setting("journal_mode"));
        }
        db.exec(synchronous_pragma(settings.synchronous));
    } catch (...) {
        rethrow_as_error(connection.path(), "configuring the connection");
    }
}

std::string_view linked_sqlite_version() {
    return sqlite3_libversion();
}

bool configure_single_owner_sqlite() {
    if (sqlite3_threadsafe() == 0)
        return false;
    // Both or neither: the first fails once SQLite is initialised, and then so would the second.
    if (sqlite3_config(SQLITE_CONFIG_MULTITHREAD) != SQLITE_OK)
        return false;
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
}

std::string_view sqlite_threading_mode() {
    if (sqlite3_threadsafe() == 0)
        return "single-thread";
    // A connection of a multi-thread SQLite has no mutex of its own.
    sqlite3* db = nullptr;
    const bool opened =
        sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK;
    const bool serialized = !opened || sqlite3_db_mutex(db) != nullptr;
    sqlite3_close(db);
    return serialized ? "serialized" : "multi-thread";
}

} // namespace strata
