// SPDX-License-Identifier: MIT
// Backups before a run changes the database, their names and pruning, and putting one back.
#include "report/text_reporter.hpp"
#include "strata/api/database_tools.hpp"
#include "strata/error.hpp"
#include "strata/executor/backup.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"
#include "util/file_writer.hpp"
#include "util/platform.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <sstream>

using namespace strata;
using strata::test::table_exists;
using strata::test::TestDatabase;
using namespace strata::test;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::system_clock;

// 2026-11-21T09:30:00.123Z plus `offset_ms` milliseconds.
Clock::time_point at(long long offset_ms = 0) {
    using namespace std::chrono;
    return sys_days{year{2026} / November / 21} + hours{9} + minutes{30} +
           milliseconds{123 + offset_ms};
}

// A small database with a table, an index, a view, a trigger and some rows.
void make_database(const fs::path& db) {
    execute_sql(db, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
                    "CREATE INDEX users_by_name ON users(name);"
                    "CREATE VIEW user_names AS SELECT name FROM users;"
                    "CREATE TABLE log (message TEXT);"
                    "CREATE TRIGGER users_logged AFTER INSERT ON users BEGIN "
                    "INSERT INTO log VALUES ('added ' || new.name); END;"
                    "INSERT INTO users (name) VALUES ('ada'), ('grace'), ('edsger');");
}

// Everything a restore must bring back: the schema and every row of every table.
std::vector<std::vector<std::string>> content_of(const fs::path& db) {
    auto content = query_rows(db, "SELECT type, name, tbl_name, sql FROM sqlite_master "
                                  "ORDER BY type, name");
    for (const auto& table : table_names(db))
        for (auto& row : query_rows(db, "SELECT * FROM \"" + table + "\" ORDER BY rowid")) {
            row.insert(row.begin(), table);
            content.push_back(std::move(row));
        }
    return content;
}

std::vector<std::string> file_names(const std::vector<fs::path>& paths) {
    std::vector<std::string> names;
    for (const auto& path : paths)
        names.push_back(path.filename().string());
    return names;
}

// Answers every question with `answer` and remembers the questions.
struct ScriptedPrompter : Prompter {
    explicit ScriptedPrompter(bool answer) : m_answer(answer) {}
    bool confirm(const std::string& question) override {
        questions.push_back(question);
        return m_answer;
    }
    std::vector<std::string> questions;

  private:
    bool m_answer;
};

// Records on_backup_progress; can raise a cancel flag after the first chunk, as a signal
// arriving in the middle of a copy does.
struct ProgressLog : RunObserver {
    struct Call {
        std::string from;
        std::string to;
        long long done;
        long long total;
    };
    void on_backup_progress(std::string_view from, std::string_view to, long long done,
                            long long total) override {
        calls.push_back({std::string(from), std::string(to), done, total});
        if (cancel != nullptr && calls.size() == cancel_after_calls) {
            cancel->store(true);
            if (at_cancel)
                at_cancel();
        }
    }
    std::vector<Call> calls;
    std::atomic<bool>* cancel = nullptr;
    std::size_t cancel_after_calls = 1;
    std::function<void()> at_cancel;
};

// A database of about `pages` pages of 1 KiB.
void make_large_database(const fs::path& db, int pages) {
    execute_sql(db, "PRAGMA page_size = 1024; CREATE TABLE t (x);"
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                        std::to_string(pages) + ") INSERT INTO t SELECT randomblob(900) FROM n;");
}

Project project_with(const fs::path& database) {
    Project project;
    project.database = database;
    return project;
}

} // namespace

TEST_SUITE("backup") {
    TEST_CASE("a backup is named after the database and the UTC time to the millisecond") {
        CHECK(backup_path_for("/data/app.db", at()) == "/data/app.db.20261121T093000.123Z.bak");
        CHECK(backup_path_for("app.db", at(-123)) == "app.db.20261121T093000.000Z.bak");
        // Fixed width, so that the names of one database's backups sort by time.
        CHECK(backup_path_for("app.db", at(1000LL * 3600 * 24 * 60 + 5)) ==
              "app.db.20270120T093000.128Z.bak");
    }

    TEST_CASE("the database a backup belongs to is read back from its name only when it matches") {
        CHECK(database_of_backup("/data/app.db.20261121T093000.123Z.bak") == "/data/app.db");
        CHECK(database_of_backup("app.db.20261121T093000.123Z.bak") == "app.db");
        CHECK(database_of_backup("app.db.bak").empty());
        CHECK(database_of_backup("app.db.20261121T093000Z.bak").empty());
        CHECK(database_of_backup("app.db.20261121T093000.12Z.bak").empty());
        CHECK(database_of_backup("app.db.20261121T093000.123Z.bak.4242.tmp").empty());
        CHECK(database_of_backup(".20261121T093000.123Z.bak").empty());
    }

    TEST_CASE("list_backups lists only this database's backups, oldest first") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        write_file(db, "");
        write_file(dir / "app.db.20261121T093000.500Z.bak", "b");
        write_file(dir / "app.db.20251231T235959.999Z.bak", "a");
        write_file(dir / "app.db.20261121T093001.000Z.bak", "c");
        // Not backups of app.db, or not named exactly as strata names them.
        write_file(dir / "other.db.20261121T093000.123Z.bak", "");
        write_file(dir / "myapp.db.20261121T093000.123Z.bak", "");
        write_file(dir / "app.db2.20261121T093000.123Z.bak", "");
        write_file(dir / "app.db.bak", "");
        write_file(dir / "app.db.20261121T093000.12Z.bak", "");
        write_file(dir / "app.db.20261121T093000.123Z.bak.77.tmp", "");
        write_file(dir / "app.db.old.20261121T093000.123Z.bak", "");
        fs::create_directory(dir / "app.db.20261121T093002.000Z.bak");

        CHECK(file_names(list_backups(db)) ==
              std::vector<std::string>{"app.db.20251231T235959.999Z.bak",
                                       "app.db.20261121T093000.500Z.bak",
                                       "app.db.20261121T093001.000Z.bak"});
        CHECK(list_backups(db).front() == dir / "app.db.20251231T235959.999Z.bak");
    }

    TEST_CASE("a backup holds the database's content and is a self-contained file") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        Connection connection(db, OpenMode::ReadWrite, {});

        const fs::path backup = backup_database(connection, 3, at()).path();

        CHECK(backup == dir / "app.db.20261121T093000.123Z.bak");
        CHECK(content_of(backup) == content_of(db));
        CHECK(query_text(backup, "PRAGMA quick_check") == "ok");
        // Nothing else is left beside it: no temporary file, no journal.
        CHECK(names_in(dir.path()) ==
              std::vector<std::string>{"app.db", "app.db.20261121T093000.123Z.bak"});
    }

    TEST_CASE("a backup of a WAL database needs no -wal file") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        execute_sql(db, "PRAGMA journal_mode = WAL;");
        make_database(db);
        Connection connection(db, OpenMode::ReadWrite, {});
        connection.db().exec("INSERT INTO users (name) VALUES ('barbara')"); // still in the WAL

        const fs::path backup = backup_database(connection, 3, at()).path();

        CHECK(query_text(backup, "PRAGMA journal_mode") == "delete");
        CHECK(query_int(backup, "SELECT count(*) FROM users") == 4);
        CHECK_FALSE(file_exists(backup.string() + "-wal"));
    }

    TEST_CASE("a backup of an empty database file is still a database that restore accepts") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        write_file(db, "");
        Connection connection(db, OpenMode::ReadWrite, {});

        const fs::path backup = backup_database(connection, 3, at()).path();

        CHECK(fs::file_size(backup) > 0);
        CHECK_NOTHROW(check_backup(backup, {}));
    }

    TEST_CASE("keep = 3 keeps the three newest backups and touches nothing else") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        for (const char* name :
             {"app.db.20261121T092900.000Z.bak", "app.db.20261121T092901.000Z.bak",
              "app.db.20261121T092902.000Z.bak", "app.db.20261121T092903.000Z.bak"})
            write_file(dir / name, "old");
        const std::vector<std::string> unrelated = {
            "other.db.20261121T092800.000Z.bak", "app.db.bak", "app.db.20261121T0928.bak",
            "app.db.20261121T092800.000Z.bak.12.tmp", "notes.txt"};
        for (const auto& name : unrelated)
            write_file(dir / name, "keep me");
        Connection connection(db, OpenMode::ReadWrite, {});

        backup_database(connection, 3, at());

        CHECK(file_names(list_backups(db)) ==
              std::vector<std::string>{"app.db.20261121T092902.000Z.bak",
                                       "app.db.20261121T092903.000Z.bak",
                                       "app.db.20261121T093000.123Z.bak"});
        for (const auto& name : unrelated) {
            CAPTURE(name);
            CHECK(read_file(dir / name) == "keep me");
        }
    }

    TEST_CASE("keep = 1 keeps only the new backup") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        Connection connection(db, OpenMode::ReadWrite, {});
        backup_database(connection, 1, at());
        backup_database(connection, 1, at(1));

        CHECK(file_names(list_backups(db)) ==
              std::vector<std::string>{"app.db.20261121T093000.124Z.bak"});
    }

    TEST_CASE("a backup spares those of its own millisecond, so a name is never given twice") {
        // Were the first pruned by the second, the third (a run that read its clock in the same
        // millisecond) would be given the first one's name, which a run has already reported.
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        Connection connection(db, OpenMode::ReadWrite, {});
        std::vector<std::string> given;
        for (int run = 0; run < 3; ++run)
            given.push_back(backup_database(connection, 1, at()).path().filename().string());

        const std::vector<std::string> expected{"app.db.20261121T093000.123Z.bak",
                                                "app.db.20261121T093000.123Z_1.bak",
                                                "app.db.20261121T093000.123Z_2.bak"};
        CHECK(given == expected);
        CHECK(file_names(list_backups(db)) == expected);

        // A later millisecond prunes them all.
        backup_database(connection, 1, at(1));
        CHECK(file_names(list_backups(db)) ==
              std::vector<std::string>{"app.db.20261121T093000.124Z.bak"});
    }

    TEST_CASE("a backup is named in its turn: it waits while another run holds the folder") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        std::error_code error;
        const util::FileDescriptor folder = util::open_file(dir.path(), {.folder = true}, error);
        REQUIRE(util::try_lock(folder, util::LockKind::Exclusive) == util::LockResult::Locked);
        Connection connection(db, OpenMode::ReadWrite, {});
        std::atomic<bool> cancel{false};
        ProgressLog log;
        log.cancel = &cancel; // set once the copy is complete: the run is then waiting its turn

        try {
            backup_database(connection, 1, at(), {.cancel = &cancel, .observer = &log});
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Interrupted);
            CHECK(e.message() == "interrupted while waiting to name the backup of " + db.string() +
                                     "; nothing was migrated and no backup was kept");
        }
        CHECK(log.calls.size() == 1);
        CHECK(names_in(dir.path()) == std::vector<std::string>{"app.db"});
    }

    TEST_CASE("only backups older than the new one are pruned: a clock set back prunes nothing") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        write_file(dir / "app.db.20301121T093000.000Z.bak", "from the future");
        write_file(dir / "app.db.20301121T093001.000Z.bak", "from the future");
        Connection connection(db, OpenMode::ReadWrite, {});

        backup_database(connection, 2, at());

        // Whoever made the newer ones, they are not this run's to delete.
        CHECK(file_names(list_backups(db)) ==
              std::vector<std::string>{"app.db.20261121T093000.123Z.bak",
                                       "app.db.20301121T093000.000Z.bak",
                                       "app.db.20301121T093001.000Z.bak"});
    }

    TEST_CASE("a run that publishes after a newer backup leaves the newer one alone") {
        // Run A took its time at .125 and finished first; run B took its time at .123 (it
        // started earlier) and publishes later. B's pruning must not delete A's newer backup.
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        Connection connection(db, OpenMode::ReadWrite, {});
        const fs::path older = backup_database(connection, 1, at(-10)).path();
        const fs::path newer = backup_database(connection, 1, at(2)).path();
        REQUIRE(list_backups(db) == std::vector<fs::path>{newer});

        const fs::path late = backup_database(connection, 1, at()).path();

        CHECK(list_backups(db) == std::vector<fs::path>{late, newer});
        CHECK_FALSE(file_exists(older));
    }

    TEST_CASE("a backup never overwrites a file of the same name: it takes the next free name") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        const fs::path taken = dir / "app.db.20261121T093000.123Z.bak";
        write_file(taken, "someone else's");
        fs::create_directory(dir / "app.db.20261121T093000.123Z_1.bak");
        Connection connection(db, OpenMode::ReadWrite, {});

        const WrittenBackup backup = backup_database(connection, 3, at());

        CHECK(backup.path() == dir / "app.db.20261121T093000.123Z_2.bak");
        CHECK(content_of(backup.path()) == content_of(db));
        CHECK(read_file(taken) == "someone else's");
        CHECK(fs::is_directory(dir / "app.db.20261121T093000.123Z_1.bak"));
    }

    TEST_CASE("two backups in the same millisecond both succeed, with distinct names") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        Connection connection(db, OpenMode::ReadWrite, {});

        const WrittenBackup first = backup_database(connection, 3, at());
        const WrittenBackup second = backup_database(connection, 3, at());

        CHECK(first.path() == dir / "app.db.20261121T093000.123Z.bak");
        CHECK(second.path() == dir / "app.db.20261121T093000.123Z_1.bak");
        CHECK(content_of(first.path()) == content_of(db));
        CHECK(content_of(second.path()) == content_of(db));
        // Both are backups of app.db, the second newer.
        CHECK(list_backups(db) == std::vector<fs::path>{first.path(), second.path()});
    }

    TEST_CASE("backup names with an attempt number are read back and sorted by time, then "
              "attempt") {
        CHECK(backup_path_for("/data/app.db", at(), 1) ==
              "/data/app.db.20261121T093000.123Z_1.bak");
        CHECK(backup_path_for("app.db", at(), 12) == "app.db.20261121T093000.123Z_12.bak");
        CHECK(database_of_backup("/data/app.db.20261121T093000.123Z_1.bak") == "/data/app.db");
        CHECK(database_of_backup("my_app.db.20261121T093000.123Z_999.bak") == "my_app.db");
        CHECK(database_of_backup("fooZ_1.20261121T093000.123Z.bak") == "fooZ_1");
        CHECK(database_of_backup("app.db.20261121T093000.123Z_0.bak").empty());
        CHECK(database_of_backup("app.db.20261121T093000.123Z_01.bak").empty());
        CHECK(database_of_backup("app.db.20261121T093000.123Z_1000.bak").empty());
        CHECK(database_of_backup("app.db.20261121T093000.123Z_.bak").empty());
        CHECK(database_of_backup("app.db.20261121T093000.123Z_x.bak").empty());

        TempDir dir;
        const fs::path db = dir / "app.db";
        for (const char* name :
             {"app.db.20261121T093000.123Z_10.bak", "app.db.20261121T093000.123Z_2.bak",
              "app.db.20261121T093000.124Z.bak", "app.db.20261121T093000.123Z.bak",
              "app.db.20261121T093000.122Z_1.bak", "app.db.20261121T093000.123Z_0.bak"})
            write_file(dir / name, "");
        CHECK(file_names(list_backups(db)) ==
              std::vector<std::string>{
                  "app.db.20261121T093000.122Z_1.bak", "app.db.20261121T093000.123Z.bak",
                  "app.db.20261121T093000.123Z_2.bak", "app.db.20261121T093000.123Z_10.bak",
                  "app.db.20261121T093000.124Z.bak"});
    }

    TEST_CASE("pruning skips a backup whose run is still going, and takes it once that ends") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        Connection connection(db, OpenMode::ReadWrite, {});

        std::optional<WrittenBackup> running = backup_database(connection, 1, at());
        const fs::path held = running->path();
        // Another run with keep_backups = 1, while the first one still runs.
        const fs::path second = backup_database(connection, 1, at(1)).path();
        CHECK(file_names(list_backups(db)) ==
              std::vector<std::string>{held.filename().string(), second.filename().string()});

        running.reset(); // the first run ends
        const fs::path third = backup_database(connection, 1, at(2)).path();
        CHECK(list_backups(db) == std::vector<fs::path>{third});
    }

    TEST_CASE("a backup reports its progress chunk by chunk") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_large_database(db, 100);
        const long long pages = query_int(db, "PRAGMA page_count");
        REQUIRE(pages > 100);
        Connection connection(db, OpenMode::ReadWrite, {});
        ProgressLog log;

        const fs::path backup =
            backup_database(connection, 3, at(), {.observer = &log, .pages_per_step = 40}).path();

        const std::string name = (dir / "app.db.20261121T093000.123Z.bak").string();
        REQUIRE(log.calls.size() == static_cast<std::size_t>((pages + 39) / 40));
        for (std::size_t i = 0; i < log.calls.size(); ++i) {
            CAPTURE(i);
            CHECK(log.calls[i].from == db.string());
            CHECK(log.calls[i].to == name);
            CHECK(log.calls[i].done == std::min<long long>(40 * (i + 1), pages));
            CHECK(log.calls[i].total == pages);
        }
        CHECK(content_of(backup) == content_of(db));
    }

    TEST_CASE("a cancelled backup stops between chunks and leaves nothing behind") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_large_database(db, 100);
        Connection connection(db, OpenMode::ReadWrite, {});
        std::atomic<bool> cancel{false};
        ProgressLog log;
        log.cancel = &cancel; // the signal arrives during the copy

        try {
            backup_database(connection, 3, at(),
                            {.cancel = &cancel, .observer = &log, .pages_per_step = 10});
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Interrupted);
            CHECK(e.message() == "interrupted while backing up " + db.string() +
                                     "; nothing was migrated and no backup was kept");
        }
        CHECK(log.calls.size() == 1);
        CHECK(names_in(dir.path()) == std::vector<std::string>{"app.db"});
        // The connection is usable: the read transaction of the copy was ended.
        CHECK(sqlite::query_int64(connection.db(), "SELECT count(*) FROM t") == 100);
        CHECK(sqlite3_get_autocommit(connection.db().handle()) == 1);
    }

    TEST_CASE("a backup never follows a link planted at its temporary name") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        write_file(dir / "victim", "precious");
        const fs::path backup = backup_path_for(db, at());
        fs::create_symlink(dir / "victim", util::temporary_path_for(backup, 0));
        Connection connection(db, OpenMode::ReadWrite, {});

        CHECK(backup_database(connection, 3, at()).path() == backup);
        CHECK(content_of(backup) == content_of(db));
        CHECK(read_file(dir / "victim") == "precious");
        CHECK(fs::is_symlink(util::temporary_path_for(backup, 0)));
    }

    TEST_CASE("a backup of a database another connection holds exclusively is busy") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        TestDatabase other(db.string(), SQLITE_OPEN_READWRITE);
        other.exec("BEGIN EXCLUSIVE");
        DatabaseOptions options;
        options.busy_timeout_ms = 0;
        Connection connection(db, OpenMode::ReadWrite, options);

        try {
            backup_database(connection, 3, at());
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Busy);
            CHECK(e.message() == "cannot back up " + db.string() +
                                     ": it is locked by another connection (database is locked)");
            CHECK(e.hint() ==
                  "wait for the other program to finish, or raise Project::busy_timeout_ms");
            CHECK(e.sqlite_code() == SQLITE_BUSY);
        }
        // No half-written copy is left behind.
        for (const std::string& name : names_in(dir.path()))
            CHECK(name.find(".bak") == std::string::npos);
    }

    TEST_CASE("restore puts the backup's content back") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        const auto before = content_of(db);
        fs::path backup;
        {
            Connection connection(db, OpenMode::ReadWrite, {});
            backup = backup_database(connection, 3, at()).path();
        }
        execute_sql(db, "DROP VIEW user_names; DELETE FROM users WHERE name = 'ada';"
                        "CREATE TABLE extra (x); INSERT INTO extra VALUES (1);");
        REQUIRE(content_of(db) != before);

        restore_database(db, backup, {});

        CHECK(content_of(db) == before);
        CHECK(query_text(db, "PRAGMA integrity_check") == "ok");
    }

    TEST_CASE("restore into a WAL database puts the backup's content back") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        const fs::path backup = dir / "copy.db";
        make_database(backup);
        execute_sql(db, "PRAGMA journal_mode = WAL; CREATE TABLE other (x);");

        restore_database(db, backup, {});

        CHECK(content_of(db) == content_of(backup));
    }

    TEST_CASE("restore creates a database that does not exist") {
        TempDir dir;
        const fs::path backup = dir / "copy.db";
        make_database(backup);

        restore_database(dir / "app.db", backup, {});

        CHECK(content_of(dir / "app.db") == content_of(backup));
    }

    TEST_CASE("restore refuses a file that is not a healthy database and changes nothing") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        make_database(db);
        const FileSnapshot snapshot(db);
        const fs::path backup = dir / "app.db.20261121T093000.123Z.bak";

        auto refusal = [&]() -> Error {
            try {
                restore_database(db, backup, {});
            } catch (const Error& e) {
                return e;
            }
            FAIL("expected an error");
            return Error(ErrorKind::Usage, "");
        };
        const std::string start =
            "cannot restore from " + backup.string() + ": it is not a healthy SQLite database (";

        SUBCASE("missing") {
            Error e = refusal();
            CHECK(e.kind() == ErrorKind::Database);
            CHECK(e.message() == "backup " + backup.string() + " not found");
        }
        SUBCASE("text") {
            write_file(backup, "this is a text file, not a database, and it is long enough to "
                               "fill the first hundred bytes of the header SQLite reads first");
            Error e = refusal();
            CHECK(e.kind() == ErrorKind::Database);
            CHECK(e.message() == start + "file is not a database)");
            CHECK(e.hint() == "choose another backup; nothing was changed");
        }
        SUBCASE("empty") {
            write_file(backup, "");
            Error e = refusal();
            CHECK(e.message() == start + "the file is empty)");
        }
        SUBCASE("damaged") {
            // Enough rows for several pages, then one page in the middle overwritten.
            execute_sql(backup, "PRAGMA page_size = 1024; CREATE TABLE t (x);"
                                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                                "WHERE i < 2000) INSERT INTO t SELECT printf('%050d', i) FROM n;");
            std::string bytes = read_file(backup);
            REQUIRE(bytes.size() > 8 * 1024);
            std::fill(bytes.begin() + 4 * 1024, bytes.begin() + 5 * 1024, '\x5a');
            write_file(backup, bytes);
            Error e = refusal();
            CHECK(e.kind() == ErrorKind::Database);
            CHECK(e.message().starts_with(start));
        }
        SUBCASE("the database itself") {
            Error e = [&]() -> Error {
                try {
                    restore_database(db, dir / "." / "app.db", {});
                } catch (const Error& error) {
                    return error;
                }
                FAIL("expected an error");
                return Error(ErrorKind::Database, "");
            }();
            CHECK(e.kind() == ErrorKind::Usage);
            CHECK(e.message() == "cannot restore " + db.string() + " from itself (" +
                                     (dir / "." / "app.db").string() + ")");
        }
        CHECK(snapshot.unchanged());
    }

    TEST_CASE("restore refuses at once while another connection holds a write lock") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        const fs::path backup = dir / "copy.db";
        make_database(backup);
        execute_sql(db, "CREATE TABLE mine (x); INSERT INTO mine VALUES (42);");
        const auto before = content_of(db);
        DatabaseOptions options;
        options.busy_timeout_ms = 60000; // a restore must not wait this long
        {
            HeldWriteLock lock(db);
            const auto started = std::chrono::steady_clock::now();
            try {
                restore_database(db, backup, options);
                FAIL("expected an error");
            } catch (const Error& e) {
                CHECK(e.kind() == ErrorKind::Busy);
                CHECK(e.message() ==
                      "cannot restore " + db.string() + " while another connection holds it");
                CHECK(e.hint() == "stop the programs that use the database, then run "
                                  "strata::restore_backup() again");
            }
            CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
        }
        CHECK(content_of(db) == before);
    }

    TEST_CASE("restore refuses while another connection has a WAL database open") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        const fs::path backup = dir / "copy.db";
        make_database(backup);
        execute_sql(db, "PRAGMA journal_mode = WAL; CREATE TABLE mine (x);");
        TestDatabase other(db.string(), SQLITE_OPEN_READWRITE);
        CHECK(sqlite::query_int64(other, "SELECT count(*) FROM mine") == 0);

        CHECK_THROWS_WITH_AS(restore_database(db, backup, {}),
                             doctest::Contains("while another connection holds it"), Error);
        CHECK(table_names(db) == std::vector<std::string>{"mine"});
    }

    TEST_CASE("restore reports its progress chunk by chunk") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        const fs::path backup = dir / "copy.db";
        make_large_database(backup, 100);
        const long long pages = query_int(backup, "PRAGMA page_count");
        execute_sql(db, "CREATE TABLE mine (x);");
        ProgressLog log;

        restore_database(db, backup, {}, {.observer = &log, .pages_per_step = 25});

        REQUIRE(log.calls.size() == static_cast<std::size_t>((pages + 24) / 25));
        CHECK(log.calls.front().from == backup.string());
        CHECK(log.calls.front().to == db.string());
        CHECK(log.calls.front().done == 25);
        CHECK(log.calls.back().done == pages);
        CHECK(log.calls.back().total == pages);
        CHECK(content_of(db) == content_of(backup));
    }

    TEST_CASE("a cancelled restore leaves the database byte for byte as it was") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        const fs::path backup = dir / "copy.db";
        // 4 MB: more than SQLite's page cache, so the copy spills into the database file (and
        // its journal or WAL) before the cancel, and the rollback has real work to do.
        make_large_database(backup, 4000);
        std::atomic<bool> cancel{false};
        ProgressLog log;
        log.cancel = &cancel;
        log.cancel_after_calls = 150; // 3,000 of about 4,000 pages
        const CopyOptions copy{.cancel = &cancel, .observer = &log, .pages_per_step = 20};
        std::string side_file;

        SUBCASE("rollback journal") {
            make_database(db);
            side_file = db.string() + "-journal";
        }
        SUBCASE("WAL") {
            execute_sql(db, "PRAGMA page_size = 1024; PRAGMA journal_mode = WAL;");
            make_database(db);
            side_file = db.string() + "-wal";
        }
        const FileSnapshot snapshot(db);
        bool spilled = false;
        log.at_cancel = [&] { spilled = file_exists(side_file) && fs::file_size(side_file) > 0; };
        try {
            restore_database(db, backup, {}, copy);
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Interrupted);
            CHECK(e.message() == "interrupted: the restore from " + backup.string() +
                                     " was abandoned; " + db.string() + " is as it was");
            CHECK(e.hint() == "run strata::restore_backup() again");
        }
        // Pages were copied before the cancel, in a transaction that was then rolled back.
        CHECK(log.calls.size() == 150);
        CHECK(spilled);
        CHECK(snapshot.unchanged());
        CHECK_FALSE(file_exists(db.string() + "-journal"));
        CHECK(query_text(db, "PRAGMA integrity_check") == "ok");
        CHECK(table_names(db) == std::vector<std::string>{"log", "users"});
    }

    TEST_CASE("a cancelled restore of a missing database does not create it") {
        TempDir dir;
        const fs::path backup = dir / "copy.db";
        make_large_database(backup, 100);
        std::atomic<bool> cancel{true};

        CHECK_THROWS_WITH_AS(restore_database(dir / "app.db", backup, {}, {.cancel = &cancel}),
                             doctest::Contains("app.db was not created"), Error);
        CHECK(names_in(dir.path()) == std::vector<std::string>{"copy.db"});
    }

    TEST_CASE("restoring pages of another size into a WAL database says so, not permissions") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        const fs::path backup = dir / "copy.db";
        execute_sql(backup,
                    "PRAGMA page_size = 1024; CREATE TABLE t (x); INSERT INTO t VALUES (1);");
        execute_sql(db,
                    "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE mine (x);");
        const auto before = content_of(db);

        try {
            restore_database(db, backup, {});
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Database);
            // What SQLite's backup API answers: SQLITE_READONLY.
            CHECK(e.sqlite_code() == SQLITE_READONLY);
            CHECK(e.message() == "cannot restore " + db.string() + " from " + backup.string() +
                                     ": the database is in WAL mode with pages of 4096 bytes "
                                     "and the backup has pages of 1024 bytes; SQLite cannot "
                                     "change the page size of a WAL database");
            CHECK(e.hint() == "take the database out of WAL mode first (sqlite3 " + db.string() +
                                  " \"PRAGMA journal_mode = DELETE\"), or move it and its -wal "
                                  "and -shm files away so that restore creates it; nothing was "
                                  "changed");
            CHECK(e.hint().find("permission") == std::string::npos);
        }
        CHECK(content_of(db) == before);

        // Out of WAL mode, the same backup restores.
        execute_sql(db, "PRAGMA journal_mode = DELETE;");
        restore_database(db, backup, {});
        CHECK(content_of(db) == content_of(backup));
    }

    TEST_CASE("restore_backup stops at the context's cancel flag and reports to its observer") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        const fs::path backup = dir / "copy.db";
        make_large_database(backup, 2 * k_copy_pages_per_step);
        make_database(db);
        const FileSnapshot snapshot(db);
        const Project project = project_with(db);
        std::atomic<bool> cancel{false};
        ProgressLog log;
        log.cancel = &cancel;
        Context context{project, &log};
        context.cancel = &cancel;

        CHECK_THROWS_AS(restore_backup(context, backup, true), Error);
        CHECK(log.calls.size() == 1);
        CHECK(log.calls.front().done == k_copy_pages_per_step);
        CHECK(snapshot.unchanged());
    }

    TEST_CASE("restore_backup asks first and says what it did") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        const fs::path backup = dir / "copy.db";
        make_database(backup);
        execute_sql(db, "CREATE TABLE mine (x);");
        const Project project = project_with(db);

        SUBCASE("yes") {
            ScriptedPrompter prompter(true);
            Context context{project, nullptr, &prompter};
            MigrationResult result = restore_backup(context, backup);
            CHECK(prompter.questions == std::vector<std::string>{"Replace " + db.string() +
                                                                 " with " + backup.string() + "?"});
            CHECK(result.success);
            CHECK(result.message == "Restored " + db.string() + " from " + backup.string() + ".");
            CHECK(content_of(db) == content_of(backup));
        }
        SUBCASE("no") {
            const FileSnapshot snapshot(db);
            ScriptedPrompter prompter(false);
            Context context{project, nullptr, &prompter};
            MigrationResult result = restore_backup(context, backup);
            CHECK_FALSE(result.success);
            CHECK(result.message == "Not proceeding.");
            CHECK(snapshot.unchanged());
        }
        SUBCASE("auto_agree asks nothing") {
            ScriptedPrompter prompter(false);
            Context context{project, nullptr, &prompter};
            CHECK(restore_backup(context, backup, true).success);
            CHECK(prompter.questions.empty());
            CHECK(content_of(db) == content_of(backup));
        }
        SUBCASE("no one to ask") {
            const FileSnapshot snapshot(db);
            Context context{project};
            CHECK_THROWS_AS(restore_backup(context, backup), Error);
            CHECK(snapshot.unchanged());
        }
        SUBCASE("a damaged backup is refused before anyone is asked") {
            write_file(backup, "");
            ScriptedPrompter prompter(true);
            Context context{project, nullptr, &prompter};
            CHECK_THROWS_AS(restore_backup(context, backup), Error);
            CHECK(prompter.questions.empty());
        }
    }

    TEST_CASE("the text reporter names the database and its backup, except when quiet") {
        TempDir dir;
        std::ostringstream out;
        report::TextReporterOptions options;
        options.display_base = dir.path();
        report::TextReporter reporter(out, options);
        reporter.on_backup_created((dir / "data" / "app.db").string(),
                                   (dir / "data" / "app.db.20261121T093000.123Z.bak").string());
        CHECK(out.str() == "Backed up data/app.db to data/app.db.20261121T093000.123Z.bak\n");

        std::ostringstream quiet_out;
        options.quiet = true;
        report::TextReporter quiet(quiet_out, options);
        quiet.on_backup_created((dir / "app.db").string(),
                                (dir / "app.db.20261121T093000.123Z.bak").string());
        CHECK(quiet_out.str().empty());
    }
}
