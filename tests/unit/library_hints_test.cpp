// SPDX-License-Identifier: MIT
// Hints read by an application's developer name the library's types, never the command line's
// commands, flags or strata.toml keys; inside the CLI's AudienceScope they name those.
#include "strata/strata.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

using namespace strata;
using strata::test::TempDir;
using strata::test::write_file;

namespace {

struct Library {
    TempDir dir;
    Project project;

    Library() {
        project.database = dir / "app.db";
        project.apps.push_back({.name = "core", .migrations_dir = dir / "migrations"});
        for (int i = 1; i <= 2; ++i) {
            const std::string name = "000" + std::to_string(i) + "_t" + std::to_string(i);
            write_file(dir / "migrations" / (name + ".up.sql"),
                       "CREATE TABLE t" + std::to_string(i) + " (x);\n");
            write_file(dir / "migrations" / (name + ".down.sql"),
                       "DROP TABLE t" + std::to_string(i) + ";\n");
        }
    }
    std::filesystem::path up(int i) const {
        return dir / "migrations" /
               ("000" + std::to_string(i) + "_t" + std::to_string(i) + ".up.sql");
    }
};

// The hint of the Error `run` throws ("" and a failed check when it throws none).
std::string hint_of(const std::function<void()>& run) {
    try {
        run();
    } catch (const Error& e) {
        return e.hint();
    }
    FAIL("expected an Error");
    return "";
}

// Words only the command line's reader knows.
void check_speaks_library(const std::string& hint) {
    CAPTURE(hint);
    CHECK_FALSE(hint.empty());
    CHECK(hint.find("--") == std::string::npos);
    CHECK(hint.find("strata.toml") == std::string::npos);
    CHECK(hint.find("`strata ") == std::string::npos);
}

// The message and hint of the Error `run` throws, as "message | hint".
std::string error_of(const std::function<void()>& run) {
    try {
        run();
    } catch (const Error& e) {
        return e.message() + " | " + e.hint();
    }
    FAIL("expected an Error");
    return "";
}

void forwards(const Project& project) {
    ForwardsMigrationManager(Context{.project = project}).run();
}

// A connection of the test's own to `path` with `sql` run on it, closed when it goes.
class RawConnection {
  public:
    RawConnection(const std::filesystem::path& path, const char* sql) {
        REQUIRE(sqlite3_open(path.c_str(), &m_db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
    }
    ~RawConnection() { sqlite3_close(m_db); }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

  private:
    sqlite3* m_db = nullptr;
};

} // namespace

TEST_SUITE("library_hints") {
    TEST_CASE("a newer database: the library's way out is SyncMigrationManager") {
        Library f;
        ForwardsMigrationManager(Context{.project = f.project}).run();
        std::filesystem::remove(f.up(2));
        std::filesystem::remove(f.dir / "migrations" / "0002_t2.down.sql");
        const std::string hint =
            hint_of([&] { ForwardsMigrationManager(Context{.project = f.project}).run(); });
        check_speaks_library(hint);
        CHECK(hint.find("SyncMigrationManager") != std::string::npos);
        CHECK(hint.find("CleanMigrationManager") != std::string::npos);

        const AudienceScope cli(Audience::CommandLine);
        const std::string cli_hint =
            hint_of([&] { ForwardsMigrationManager(Context{.project = f.project}).run(); });
        CHECK(cli_hint.find("`strata sync core`") != std::string::npos);
    }

    TEST_CASE("an edited migration: Context::allow_modified, not --allow-modified") {
        Library f;
        ForwardsMigrationManager(Context{.project = f.project}).run();
        write_file(f.up(1), "CREATE TABLE t1 (x, y);\n");
        const std::string hint =
            hint_of([&] { ForwardsMigrationManager(Context{.project = f.project}).run(); });
        check_speaks_library(hint);
        CHECK(hint.find("Context::allow_modified") != std::string::npos);
        CHECK(hint.find("RepairMigrationManager") != std::string::npos);
    }

    TEST_CASE("out of order, consent, an id without an app, a missing folder") {
        Library f;
        ForwardsMigrationManager(Context{.project = f.project},
                                 {.app = "core", .target = MigrationId("2")})
            .run();
        std::filesystem::rename(f.up(1), f.dir / "migrations" / "0003_t1.up.sql");
        std::filesystem::rename(f.dir / "migrations" / "0001_t1.down.sql",
                                f.dir / "migrations" / "0003_t1.down.sql");
        // 0003 is newer: in order. Make an older pending one.
        write_file(f.dir / "migrations" / "0000_early.up.sql", "CREATE TABLE early (x);\n");
        write_file(f.dir / "migrations" / "0000_early.down.sql", "DROP TABLE early;\n");
        const std::string early =
            hint_of([&] { ForwardsMigrationManager(Context{.project = f.project}).run(); });
        check_speaks_library(early);
        CHECK(early.find("Settings::out_of_order") != std::string::npos);

        const std::string consent = hint_of([&] {
            BackwardsMigrationManager(Context{.project = f.project}, {.app = "core"}).run();
        });
        check_speaks_library(consent);
        CHECK(consent.find("auto_agree") != std::string::npos);

        const std::string no_app = hint_of([&] {
            ForwardsMigrationManager(Context{.project = f.project}, {.target = MigrationId("2")})
                .run();
        });
        check_speaks_library(no_app);
        CHECK(no_app.find("options.app") != std::string::npos);

        f.project.apps[0].migrations_dir = f.dir / "nowhere";
        const std::string folder =
            hint_of([&] { CheckMigrationManager(Context{.project = f.project}).status(); });
        check_speaks_library(folder);
        CHECK(folder.find("AppConfig::migrations_dir") != std::string::npos);
        // The files are read on a thread of the manager's own: it speaks to the caller's reader.
        const AudienceScope cli(Audience::CommandLine);
        const std::string cli_folder =
            hint_of([&] { CheckMigrationManager(Context{.project = f.project}).status(); });
        CHECK(cli_folder.find("`migrations` in strata.toml") != std::string::npos);
    }

    TEST_CASE("the executor: a database path that is a folder names Project::database") {
        Library f;
        std::filesystem::create_directory(f.dir / "data");
        f.project.database = f.dir / "data";
        const std::string hint = hint_of([&] { forwards(f.project); });
        check_speaks_library(hint);
        CHECK(hint == "point Project::database at a file inside it, e.g. app.db");

        const AudienceScope cli(Audience::CommandLine);
        CHECK(hint_of([&] { forwards(f.project); }) ==
              "point `database` (or --database) at a file inside it, e.g. app.db");
    }

    TEST_CASE("the executor: PRAGMA journal_mode in a migration names Settings::journal_mode") {
        Library f;
        write_file(f.up(1), "PRAGMA journal_mode = WAL;\n");
        const std::string error = error_of([&] { forwards(f.project); });
        CAPTURE(error);
        CHECK(error.find("set Settings::journal_mode |") != std::string::npos);
        CHECK(error.find("strata.toml") == std::string::npos);

        write_file(f.up(1), "PRAGMA foreign_keys = OFF;\n");
        CHECK(error_of([&] {
                  forwards(f.project);
              }).find("set Settings::foreign_keys (deferred, the default, or immediate)") !=
              std::string::npos);

        const AudienceScope cli(Audience::CommandLine);
        CHECK(error_of([&] { forwards(f.project); })
                  .find("set `foreign_keys` in strata.toml (deferred, the default, or "
                        "immediate)") != std::string::npos);
        write_file(f.up(1), "PRAGMA journal_mode = WAL;\n");
        CHECK(error_of([&] { forwards(f.project); }).find("set `journal_mode` in strata.toml |") !=
              std::string::npos);
    }

    TEST_CASE("the state store: a state table owned by someone else names "
              "Settings::state_table") {
        Library f;
        { const RawConnection other(f.project.database, "CREATE TABLE migrations (name TEXT)"); }
        const std::string hint = hint_of([&] { forwards(f.project); });
        check_speaks_library(hint);
        CHECK(hint == "another migration tool (or the project) owns it; set "
                      "Settings::state_table = \"...\" to keep strata's record in a table of "
                      "another name");

        const AudienceScope cli(Audience::CommandLine);
        CHECK(hint_of([&] { forwards(f.project); }) ==
              "another migration tool (or the project) owns it; set state_table = \"...\" in "
              "strata.toml to keep strata's record in a table of another name");
    }

    TEST_CASE("a lock held past the busy timeout names Project::busy_timeout_ms") {
        Library f;
        forwards(f.project); // creates the database
        f.project.busy_timeout_ms = 0;
        write_file(f.dir / "migrations" / "0003_t3.up.sql", "CREATE TABLE t3 (x);\n");
        write_file(f.dir / "migrations" / "0003_t3.down.sql", "DROP TABLE t3;\n");
        const RawConnection other(f.project.database, "BEGIN EXCLUSIVE");
        const std::string hint = hint_of([&] { forwards(f.project); });
        check_speaks_library(hint);
        CHECK(hint == "wait for the other program to finish, or raise Project::busy_timeout_ms");

        const AudienceScope cli(Audience::CommandLine);
        CHECK(hint_of([&] { forwards(f.project); }) ==
              "wait for the other program to finish, or raise `busy_timeout_ms` in strata.toml");
    }

    TEST_CASE("a restore, a VACUUM INTO and a permission problem name the program's words") {
        Library f;
        const std::string restore = hint_of(
            [&] { restore_backup(Context{.project = f.project}, f.dir / "missing.bak", {}); });
        check_speaks_library(restore);
        CHECK(restore.find("Settings::backup = true") != std::string::npos);

        write_file(f.up(1), "VACUUM INTO 'copy.db';\n");
        const std::string vacuum = hint_of([&] { forwards(f.project); });
        check_speaks_library(vacuum);
        CHECK(vacuum.find("copy the database with Settings::backup = true") != std::string::npos);

        const AudienceScope cli(Audience::CommandLine);
        CHECK(hint_of([&] { forwards(f.project); }).find("copy the database with --backup") !=
              std::string::npos);
        CHECK(hint_of([&] {
                  restore_backup(Context{.project = f.project}, f.dir / "missing.bak", {});
              }).starts_with("give the path of a file written by --backup"));
    }
}
