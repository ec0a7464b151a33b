// SPDX-License-Identifier: MIT
// Every operation on a connection the application opened (Context::connection): its functions,
// collations and VFS work in migrations, strata puts back what it changed, and a wait for the
// write lock is reported and cancellable.
#include "strata/executor/sqlite_api.hpp"
#include "strata/strata.hpp"
#include "support/code_project.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

using namespace strata;
using strata::test::table_exists;
using strata::test::TempDir;
using strata::test::TestDatabase;

namespace {

// A project with one app "core" whose migrations are given as (name, up SQL, down SQL).
struct Fixture {
    TempDir dir;
    Project project;

    explicit Fixture(const std::vector<std::vector<std::string>>& migrations)
        : project(test::core_project(dir.path())) {
        // Never opened while the context carries a connection: the tests check it stays absent.
        project.database = dir / "unused.db";
        for (const auto& m : migrations)
            test::add_migration(project, m[0], m[1], m[2]);
    }
};

const std::vector<std::vector<std::string>> k_two_tables = {
    {"0001_create_t1", "CREATE TABLE t1 (x);\n", "DROP TABLE t1;\n"},
    {"0002_create_t2", "CREATE TABLE t2 (x);\n", "DROP TABLE t2;\n"},
};

int db_config(sqlite3* db, int option) {
    int value = -1;
    REQUIRE(sqlite3_db_config(db, option, -1, &value) == SQLITE_OK);
    return value;
}

// The settings strata changes on a borrowed connection, as the application had them.
struct AppSettings {
    int foreign_keys, defensive, trusted_schema, query_only, busy_timeout, attached;

    static AppSettings read(sqlite3* db) {
        const sqlite::Database view(db);
        return {db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY),
                db_config(db, SQLITE_DBCONFIG_DEFENSIVE),
                db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA),
                static_cast<int>(sqlite::query_int64(view, "PRAGMA query_only")),
                static_cast<int>(sqlite::query_int64(view, "PRAGMA busy_timeout")),
                sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, -1)};
    }
};

// Gives `db` settings that differ from every one strata uses while it runs.
void give_app_settings(TestDatabase& db) {
    sqlite3* handle = db.handle();
    sqlite3_db_config(handle, SQLITE_DBCONFIG_ENABLE_FKEY, 1, nullptr);
    sqlite3_db_config(handle, SQLITE_DBCONFIG_DEFENSIVE, 0, nullptr);
    sqlite3_db_config(handle, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 1, nullptr);
    db.exec("PRAGMA query_only = OFF");
    sqlite3_busy_timeout(handle, 1234);
    sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, 7);
}

void check_app_settings(sqlite3* db) {
    const AppSettings now = AppSettings::read(db);
    CHECK(now.foreign_keys == 1);
    CHECK(now.defensive == 0);
    CHECK(now.trusted_schema == 1);
    CHECK(now.query_only == 0);
    CHECK(now.busy_timeout == 1234);
    CHECK(now.attached == 7);
    CHECK(sqlite3_get_autocommit(db) == 1);
}

void app_double(sqlite3_context* context, int, sqlite3_value** args) {
    sqlite3_result_int64(context, 2 * sqlite3_value_int64(args[0]));
}

// Orders text backwards: a collation SQLite does not have.
int reverse_order(void*, int a_size, const void* a, int b_size, const void* b) {
    const int common = std::memcmp(a, b, static_cast<std::size_t>(std::min(a_size, b_size)));
    return common != 0 ? -common : b_size - a_size;
}

ErrorKind kind_of(const std::function<void()>& run) {
    try {
        run();
    } catch (const Error& e) {
        return e.kind();
    }
    FAIL("no error");
    return ErrorKind::Usage;
}

// A VFS over SQLite's default one that counts the writes made through it.
struct CountingVfs {
    static inline sqlite3_vfs vfs{};
    static inline sqlite3_vfs* real = nullptr;
    static inline sqlite3_io_methods methods{};
    static inline std::atomic<int> writes{0};

    struct File {
        sqlite3_file base;
        sqlite3_file* real;
    };

    static sqlite3_file* inner(sqlite3_file* file) { return reinterpret_cast<File*>(file)->real; }

    static int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags,
                    int* out_flags) {
        auto* wrapper = reinterpret_cast<File*>(file);
        wrapper->real = reinterpret_cast<sqlite3_file*>(wrapper + 1);
        wrapper->base.pMethods = nullptr;
        const int code = real->xOpen(real, name, wrapper->real, flags, out_flags);
        if (code == SQLITE_OK && wrapper->real->pMethods != nullptr)
            wrapper->base.pMethods = &methods;
        return code;
    }

    static void install() {
        if (real != nullptr)
            return;
        real = sqlite3_vfs_find(nullptr);
        vfs = *real;
        vfs.zName = "counting";
        vfs.szOsFile = static_cast<int>(sizeof(File)) + real->szOsFile;
        vfs.xOpen = &open;
        methods.iVersion = 1; // no shared memory: a rollback journal, which these tests use
        methods.xClose = [](sqlite3_file* f) {
            const int code = inner(f)->pMethods->xClose(inner(f));
            f->pMethods = nullptr;
            return code;
        };
        methods.xRead = [](sqlite3_file* f, void* data, int size, sqlite3_int64 offset) {
            return inner(f)->pMethods->xRead(inner(f), data, size, offset);
        };
        methods.xWrite = [](sqlite3_file* f, const void* data, int size, sqlite3_int64 offset) {
            ++writes;
            return inner(f)->pMethods->xWrite(inner(f), data, size, offset);
        };
        methods.xTruncate = [](sqlite3_file* f, sqlite3_int64 size) {
            return inner(f)->pMethods->xTruncate(inner(f), size);
        };
        methods.xSync = [](sqlite3_file* f, int flags) {
            return inner(f)->pMethods->xSync(inner(f), flags);
        };
        methods.xFileSize = [](sqlite3_file* f, sqlite3_int64* size) {
            return inner(f)->pMethods->xFileSize(inner(f), size);
        };
        methods.xLock = [](sqlite3_file* f, int lock) {
            return inner(f)->pMethods->xLock(inner(f), lock);
        };
        methods.xUnlock = [](sqlite3_file* f, int lock) {
            return inner(f)->pMethods->xUnlock(inner(f), lock);
        };
        methods.xCheckReservedLock = [](sqlite3_file* f, int* out) {
            return inner(f)->pMethods->xCheckReservedLock(inner(f), out);
        };
        methods.xFileControl = [](sqlite3_file* f, int op, void* arg) {
            return inner(f)->pMethods->xFileControl(inner(f), op, arg);
        };
        methods.xSectorSize = [](sqlite3_file* f) {
            return inner(f)->pMethods->xSectorSize(inner(f));
        };
        methods.xDeviceCharacteristics = [](sqlite3_file* f) {
            return inner(f)->pMethods->xDeviceCharacteristics(inner(f));
        };
        REQUIRE(sqlite3_vfs_register(&vfs, 0) == SQLITE_OK);
    }
};

// Records lock waits, and cancels the run at the first one when asked to.
struct LockObserver : RunObserver {
    std::atomic<bool>* cancel = nullptr;
    std::vector<std::string> databases;
    std::vector<std::chrono::milliseconds> timeouts;
    void on_waiting_for_lock(std::string_view database,
                             std::chrono::milliseconds timeout) override {
        databases.emplace_back(database);
        timeouts.push_back(timeout);
        if (cancel != nullptr)
            cancel->store(true);
    }
};

} // namespace

TEST_SUITE("own_connection") {
    TEST_CASE("a migration calls the application's function and uses its collation") {
        Fixture f({{"0001_seed",
                    "CREATE TABLE t (x INTEGER, name TEXT);\n"
                    "INSERT INTO t VALUES (app_double(21), 'a');\n"
                    "CREATE INDEX t_name ON t (name COLLATE app_reverse);\n",
                    "DROP TABLE t;\n"}});
        TestDatabase db((f.dir / "app.db").string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        REQUIRE(sqlite3_create_function(db.handle(), "app_double", 1,
                                        SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, &app_double,
                                        nullptr, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_create_collation(db.handle(), "app_reverse", SQLITE_UTF8, nullptr,
                                         &reverse_order) == SQLITE_OK);
        ForwardsMigrationManager(Context{.project = f.project, .connection = db.handle()}).run();
        CHECK(sqlite::query_int64(db, "SELECT x FROM t") == 42);
        db.exec("INSERT INTO t VALUES (1, 'b'), (2, 'c')");
        // The index orders by the application's collation: 'c' first.
        CHECK(sqlite::query_text(db, "SELECT name FROM t INDEXED BY t_name ORDER BY name COLLATE "
                                     "app_reverse LIMIT 1") == "c");
        CHECK_FALSE(std::filesystem::exists(f.project.database));
    }

    TEST_CASE("the borrowed connection stays open, with the application's settings, after each "
              "operation") {
        Fixture f(k_two_tables);
        TestDatabase db((f.dir / "app.db").string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        give_app_settings(db);
        const Context context{.project = f.project, .connection = db.handle()};

        ForwardsMigrationManager(context).run();
        CHECK(table_exists(db, "t2"));
        check_app_settings(db.handle());

        BackwardsMigrationManager(context, {.app = "core", .auto_agree = true}).run();
        CHECK_FALSE(table_exists(db, "t2"));
        check_app_settings(db.handle());

        const auto statuses = CheckMigrationManager(context).get_migration_statuses();
        REQUIRE(statuses.size() == 2);
        CHECK(statuses[0].state == MigrationState::Applied);
        CHECK(statuses[1].state == MigrationState::Pending);
        check_app_settings(db.handle());

        SyncMigrationManager(context, {.auto_agree = true}).run();
        CHECK(table_exists(db, "t2"));
        check_app_settings(db.handle());

        GotoMigrationManager(context, {.app = "core", .target = Initial{}, .auto_agree = true})
            .run();
        CHECK_FALSE(table_exists(db, "t1"));
        check_app_settings(db.handle());

        // Still the application's, open and writable.
        db.exec("CREATE TABLE mine (x)");
        CHECK(table_exists(db, "mine"));
        CHECK_FALSE(std::filesystem::exists(f.project.database));
    }

    TEST_CASE("a borrowed connection inside a transaction is refused, and nothing is written") {
        Fixture f(k_two_tables);
        TestDatabase db((f.dir / "app.db").string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        db.exec("BEGIN");
        CHECK(kind_of([&] {
                  ForwardsMigrationManager(Context{.project = f.project, .connection = db.handle()})
                      .run();
              }) == ErrorKind::Usage);
        CHECK(sqlite3_get_autocommit(db.handle()) == 0); // the application's transaction stays
        db.exec("ROLLBACK");
        CHECK(sqlite::query_int64(db, "SELECT count(*) FROM sqlite_schema") == 0);
    }

    TEST_CASE("a read-only borrowed connection is refused for a write, and serves check") {
        Fixture f(k_two_tables);
        const std::string path = (f.dir / "app.db").string();
        { TestDatabase create(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE); }
        TestDatabase db(path, SQLITE_OPEN_READONLY);
        const Context context{.project = f.project, .connection = db.handle()};
        CHECK(kind_of([&] { ForwardsMigrationManager(context).run(); }) == ErrorKind::Usage);
        CHECK(CheckMigrationManager(context).get_migration_statuses().size() == 2);
    }

    TEST_CASE("an in-memory borrowed database migrates and reports its statuses") {
        Fixture f(k_two_tables);
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        const Context context{.project = f.project, .connection = db.handle()};
        CHECK(ForwardsMigrationManager(context).run().message == "Applied 2 migrations.");
        const auto statuses = CheckMigrationManager(context).get_migration_statuses();
        REQUIRE(statuses.size() == 2);
        CHECK(statuses[0].state == MigrationState::Applied);
        CHECK(statuses[1].state == MigrationState::Applied);
        CHECK(table_exists(db, "t1"));

        SUBCASE("with backup on, the run is refused: there is no file to back up beside") {
            Project with_backup = f.project;
            with_backup.settings.backup = true;
            try {
                BackwardsMigrationManager(
                    Context{.project = with_backup, .connection = db.handle()},
                    {.app = "core", .auto_agree = true})
                    .run();
                FAIL("no error");
            } catch (const Error& e) {
                CHECK(e.kind() == ErrorKind::Usage);
                CHECK(std::string(e.message()).find("in-memory") != std::string::npos);
            }
            CHECK(table_exists(db, "t2"));
        }
    }

    TEST_CASE("the application's update hook is left in place by a run on its connection") {
        // strata notes the rows a migration writes with SQLite's update hook on its own
        // connections only: SQLite cannot give back a hook it replaced.
        Fixture f({{"0001_t", "CREATE TABLE t (x); INSERT INTO t VALUES (1);", "DROP TABLE t;"}});
        TestDatabase db(":memory:", SQLITE_OPEN_READWRITE);
        int rows = 0;
        sqlite3_update_hook(
            db.handle(),
            [](void* count, int, const char*, const char*, sqlite3_int64) {
                ++*static_cast<int*>(count);
            },
            &rows);
        ForwardsMigrationManager(Context{.project = f.project, .connection = db.handle()}).run();
        CHECK(rows >= 1); // the migration's own INSERT, seen by the application's hook
        const int before = rows;
        db.exec("INSERT INTO t VALUES (2)");
        CHECK(rows == before + 1);
        sqlite3_update_hook(db.handle(), nullptr, nullptr);
    }

    TEST_CASE("a migration on a borrowed connection writes through the application's VFS") {
        CountingVfs::install();
        Fixture f(k_two_tables);
        TestDatabase db((f.dir / "app.db").string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0,
                        "counting");
        const int before = CountingVfs::writes.load();
        ForwardsMigrationManager(Context{.project = f.project, .connection = db.handle()}).run();
        CHECK(CountingVfs::writes.load() > before);
        // What went through the VFS is on disk: another connection sees it.
        TestDatabase other((f.dir / "app.db").string());
        CHECK(table_exists(other, "t2"));
    }

    TEST_CASE("a wait for the write lock is reported, and cancelling ends it at once") {
        Fixture f(k_two_tables);
        f.project.database = f.dir / "app.db";
        {
            TestDatabase create(f.project.database.string(),
                                SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        }
        TestDatabase holder(f.project.database.string(), SQLITE_OPEN_READWRITE);
        holder.exec("BEGIN IMMEDIATE");

        SUBCASE("cancelled from the event: Interrupted, promptly, nothing applied") {
            f.project.busy_timeout_ms = 60000;
            std::atomic<bool> cancel{false};
            LockObserver observer;
            observer.cancel = &cancel;
            const auto started = std::chrono::steady_clock::now();
            CHECK(kind_of([&] {
                      ForwardsMigrationManager(
                          Context{.project = f.project, .observer = &observer, .cancel = &cancel})
                          .run();
                  }) == ErrorKind::Interrupted);
            CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
            REQUIRE(observer.databases.size() == 1);
            CHECK(observer.databases[0] == f.project.database.string());
            CHECK(observer.timeouts[0] == std::chrono::milliseconds(60000));
        }
        SUBCASE("the same on the application's own connection") {
            f.project.busy_timeout_ms = 60000;
            TestDatabase db(f.project.database.string(), SQLITE_OPEN_READWRITE);
            std::atomic<bool> cancel{false};
            LockObserver observer;
            observer.cancel = &cancel;
            CHECK(kind_of([&] {
                      ForwardsMigrationManager(Context{.project = f.project,
                                                       .observer = &observer,
                                                       .cancel = &cancel,
                                                       .connection = db.handle()})
                          .run();
                  }) == ErrorKind::Interrupted);
            CHECK(observer.databases.size() == 1);
            CHECK(sqlite::query_int64(db, "PRAGMA busy_timeout") == 0); // as the test opened it
        }
        SUBCASE("not cancelled: a short timeout ends with Busy") {
            f.project.busy_timeout_ms = 50;
            LockObserver observer;
            CHECK(kind_of([&] {
                      ForwardsMigrationManager(Context{.project = f.project, .observer = &observer})
                          .run();
                  }) == ErrorKind::Busy);
            CHECK(observer.databases.size() == 1);
        }
        holder.exec("ROLLBACK");
        CHECK_FALSE(table_exists(holder, "t1"));
    }
}
