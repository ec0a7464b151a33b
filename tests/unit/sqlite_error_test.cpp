// SPDX-License-Identifier: MIT
// The one translation of SQLite's codes: which kind and hint, and, for read-only and
// cannot-open codes on a database, what the files on disk say is wrong. Root passes every
// permission check, so the situations are described to sqlite_error rather than made on disk.
#include "strata/error.hpp"
#include "strata/executor/sqlite_error.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

using namespace strata;
using namespace strata::test;
namespace fs = std::filesystem;

namespace {

FileAccess mine(unsigned mode = 0644) {
    return {.exists = true,
            .readable = true,
            .writable = true,
            .owner = "bob",
            .owned_by_user = true,
            .mode = mode};
}

FileAccess theirs(const std::string& owner, unsigned mode = 0644, bool writable = false) {
    return {.exists = true,
            .readable = true,
            .writable = writable,
            .owner = owner,
            .owned_by_user = false,
            .mode = mode};
}

// /srv/data/app.db, its folder and no side files, all bob's, and bob runs strata.
DatabaseFiles bobs_files() {
    DatabaseFiles files;
    files.database = "/srv/data/app.db";
    files.folder = "/srv/data";
    files.file = mine();
    files.folder_access = mine(0755);
    files.user = "bob, uid 1001";
    return files;
}

// The error as the CLI's reader sees it (the hints' exact words are checked in that vocabulary;
// `audience` Library gives an application's).
Error translate(int code, const DatabaseFiles& files, Audience audience = Audience::CommandLine) {
    const AudienceScope scope(audience);
    return sqlite_error(code, {.message = "database /srv/data/app.db: reading the state table "
                                          "failed: SQLite's words",
                               .files = files});
}

const std::string k_message = "database /srv/data/app.db: reading the state table failed: "
                              "SQLite's words";

} // namespace

TEST_SUITE("sqlite_error") {
    TEST_CASE("a hot journal owned by someone else is named, with its owner and what to run") {
        // alice's program crashed; bob may write the database and its folder but not her
        // journal, so SQLite cannot open it to roll it back (CANTOPEN).
        DatabaseFiles files = bobs_files();
        files.journal = theirs("alice");
        const Error e = translate(SQLITE_CANTOPEN, files);
        CHECK(e.kind() == ErrorKind::Database);
        CHECK(e.sqlite_code() == SQLITE_CANTOPEN);
        CHECK(e.message() == k_message +
                                 ": an interrupted transaction left the hot journal "
                                 "/srv/data/app.db-journal, which must be rolled back before "
                                 "/srv/data/app.db can be used, and this user (bob, uid 1001) "
                                 "cannot write /srv/data/app.db-journal (owned by alice, mode "
                                 "0644)");
        CHECK(e.hint() == "run strata as alice (e.g. `sudo -u alice strata ...` with the same "
                          "options), which rolls the interrupted transaction back, or give this "
                          "user write access to /srv/data/app.db-journal; do not delete "
                          "/srv/data/app.db-journal, which would leave /srv/data/app.db corrupt");
        // An application's developer is not told about sudo and the command line.
        CHECK(translate(SQLITE_CANTOPEN, files, Audience::Library).hint() ==
              "run the program as alice, which rolls the interrupted transaction back, or give "
              "this user write access to /srv/data/app.db-journal; do not delete "
              "/srv/data/app.db-journal, which would leave /srv/data/app.db corrupt");
    }

    TEST_CASE("a hot journal on a database this user may not write lists every blocker") {
        DatabaseFiles files = bobs_files();
        files.file = theirs("root");
        files.journal = theirs("root");
        files.folder_access = theirs("root", 0755);
        const Error e = translate(SQLITE_READONLY_ROLLBACK, files);
        CHECK(e.message() ==
              k_message + ": an interrupted transaction left the hot journal "
                          "/srv/data/app.db-journal, which must be rolled back before "
                          "/srv/data/app.db can be used, and this user (bob, uid 1001) cannot "
                          "write /srv/data/app.db (owned by root, mode 0644), "
                          "/srv/data/app.db-journal (owned by root, mode 0644) or its folder "
                          "/srv/data (owned by root, mode 0755)");
        CHECK(e.hint().starts_with("run strata as root (e.g. `sudo strata ...` with the same "
                                   "options), which rolls the interrupted transaction back, or "
                                   "give this user write access to /srv/data/app.db, "
                                   "/srv/data/app.db-journal and its folder /srv/data;"));
    }

    TEST_CASE("a journal owned by someone else but writable is named with its owner") {
        DatabaseFiles files = bobs_files();
        files.file = theirs("alice", 0444);
        files.journal = theirs("alice", 0664, true);
        const Error e = translate(SQLITE_READONLY_ROLLBACK, files);
        CHECK(e.message() == k_message +
                                 ": an interrupted transaction left the hot journal "
                                 "/srv/data/app.db-journal (owned by alice), which must be rolled "
                                 "back before /srv/data/app.db can be used, and this user (bob, "
                                 "uid 1001) cannot write /srv/data/app.db (owned by alice, mode "
                                 "0444)");
        CHECK(e.hint().starts_with("run strata as alice (e.g. `sudo -u alice strata ...`"));
    }

    TEST_CASE("this user's own write-protected database: chmod, not another user") {
        DatabaseFiles files = bobs_files();
        files.file = mine(0444);
        files.file.writable = false;
        files.journal = mine();
        const Error e = translate(SQLITE_READONLY_ROLLBACK, files);
        CHECK(e.hint() == "restore the owner's write permission (chmod u+w /srv/data/app.db) and "
                          "run strata again, which rolls the interrupted transaction back; do not "
                          "delete /srv/data/app.db-journal, which would leave /srv/data/app.db "
                          "corrupt");
    }

    TEST_CASE("a folder this user may not write: SQLite cannot create its journal there") {
        DatabaseFiles files = bobs_files();
        files.folder_access = theirs("root", 0555);
        const Error e = translate(SQLITE_READONLY, files);
        CHECK(e.message() == k_message + ": this user (bob, uid 1001) cannot write its folder "
                                         "/srv/data (owned by root, mode 0555), where SQLite "
                                         "creates its journal while it writes");
        CHECK(e.hint() == "run strata as root (e.g. `sudo strata ...` with the same options), or "
                          "give this user write access to its folder /srv/data");
    }

    TEST_CASE("a database file, WAL or index this user may not write is named") {
        DatabaseFiles files = bobs_files();
        SUBCASE("the file") {
            files.file = theirs("alice", 0644);
            CHECK(translate(SQLITE_READONLY, files).message() ==
                  k_message + ": this user (bob, uid 1001) cannot write /srv/data/app.db (owned "
                              "by alice, mode 0644)");
        }
        SUBCASE("the WAL index") {
            files.wal = mine();
            files.shm = theirs("alice", 0644);
            CHECK(translate(SQLITE_READONLY_CANTINIT, files).message() ==
                  k_message + ": this user (bob, uid 1001) cannot write /srv/data/app.db-shm "
                              "(owned by alice, mode 0644)");
        }
    }

    TEST_CASE("cannot open: a database this user may not read, or may not create") {
        DatabaseFiles files = bobs_files();
        SUBCASE("unreadable") {
            files.file = theirs("alice", 0600);
            files.file.readable = false;
            const Error e = translate(SQLITE_CANTOPEN, files);
            CHECK(e.message() == k_message + ": this user (bob, uid 1001) cannot read "
                                             "/srv/data/app.db (owned by alice, mode 0600)");
            CHECK(e.hint() == "run strata as alice (e.g. `sudo -u alice strata ...` with the same "
                              "options), or give this user read access to /srv/data/app.db");
        }
        SUBCASE("not creatable") {
            files.file = {};
            files.folder_access = theirs("root", 0555);
            CHECK(translate(SQLITE_CANTOPEN, files).message() ==
                  k_message + ": this user (bob, uid 1001) cannot create /srv/data/app.db in its "
                              "folder /srv/data (owned by root, mode 0555)");
        }
        SUBCASE("a missing folder is named as such, and says nothing about permissions") {
            files.file = {};
            files.folder_access = {};
            const Error e = translate(SQLITE_CANTOPEN, files);
            CHECK(e.kind() == ErrorKind::Database);
            CHECK(e.message() ==
                  "the folder /srv/data of database /srv/data/app.db does not exist");
            CHECK(e.hint() ==
                  "create the folder (mkdir -p /srv/data), or correct the database path");
        }
    }

    TEST_CASE("permissions are not blamed when they are not the cause") {
        // What root sees: every file writable. A read-only code then has another cause.
        DatabaseFiles files = bobs_files();
        files.journal = mine();
        for (int code : {SQLITE_READONLY, SQLITE_READONLY_ROLLBACK, SQLITE_READONLY_RECOVERY}) {
            CAPTURE(code);
            const Error e = translate(code, files);
            CHECK(e.message() == k_message);
            CHECK(e.hint() == "this user (bob, uid 1001) may write /srv/data/app.db, the files "
                              "beside it and its folder, so this is not a question of "
                              "permissions; check whether something else (a security module, "
                              "another program) keeps the file from being written");
            CHECK(e.hint().find("check the permissions") == std::string::npos);
        }
        const Error moved = translate(SQLITE_READONLY_DBMOVED, files);
        CHECK(moved.message() ==
              k_message + ": /srv/data/app.db was moved or deleted while strata had it open");
    }

    TEST_CASE("a read-only file system is named as such") {
        DatabaseFiles files = bobs_files();
        files.read_only_file_system = true;
        const Error e = translate(SQLITE_READONLY, files);
        CHECK(e.message() == k_message + ": the file system holding /srv/data/app.db is mounted "
                                         "read-only");
        CHECK(e.hint() == "remount it read-write (or copy the database to a writable place and "
                          "point `database` (or --database) at the copy)");
        CHECK(translate(SQLITE_READONLY, files, Audience::Library).hint() ==
              "remount it read-write (or copy the database to a writable place and point "
              "Project::database at the copy)");
    }

    TEST_CASE("other codes and callers without a database keep their words") {
        DatabaseFiles files = bobs_files();
        files.file = theirs("root");
        const Error corrupt = translate(SQLITE_CORRUPT, files);
        CHECK(corrupt.message() == k_message);
        CHECK(corrupt.hint() == hint_for_sqlite_code(SQLITE_CORRUPT));
        const Error busy = translate(SQLITE_BUSY, files);
        CHECK(busy.kind() == ErrorKind::Busy);
        CHECK(busy.message() == k_message);
        const Error plain = sqlite_error(SQLITE_READONLY_ROLLBACK, {.message = "m"});
        CHECK(plain.message() == "m");
        CHECK(plain.hint() == hint_for_sqlite_code(SQLITE_READONLY_ROLLBACK));
        // A broken constraint is the statement's fault, whatever the files.
        const Error constraint =
            sqlite_error(SQLITE_CONSTRAINT_UNIQUE, {.message = "m",
                                                    .otherwise = ErrorKind::MigrationFailed,
                                                    .hint = "fix it",
                                                    .files = files});
        CHECK(constraint.kind() == ErrorKind::MigrationFailed);
        CHECK(constraint.hint() == "fix it");
    }

    TEST_CASE("observe_database_files reads owners, modes and what this user may do") {
        TempDir dir;
        const fs::path db = dir / "app.db";
        execute_sql(db, "CREATE TABLE t (x);");
        write_file(db.string() + "-journal", "journal");
        fs::permissions(db, fs::perms(0640));
        const DatabaseFiles files = observe_database_files(db);
        CHECK(files.database == db);
        CHECK(files.folder == dir.path());
        CHECK(files.file.exists);
        CHECK(files.file.mode == 0640);
        CHECK(files.file.owned_by_user);
        CHECK(files.journal.exists);
        CHECK_FALSE(files.wal.exists);
        CHECK(files.folder_access.exists);
        CHECK(files.user.ends_with(", uid " + std::to_string(::geteuid())));
        if (::geteuid() == 0) {
            // Another owner, as a crash of another user's program leaves it.
            REQUIRE(::chown((db.string() + "-journal").c_str(), 65534, 65534) == 0);
            const DatabaseFiles after = observe_database_files(db);
            CHECK_FALSE(after.journal.owned_by_user);
            CHECK(after.journal.owner != "root");
            // Root may write anything on a writable file system.
            CHECK(after.journal.writable);
        }
    }
}
