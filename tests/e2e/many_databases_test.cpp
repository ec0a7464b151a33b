// SPDX-License-Identifier: MIT
// forwards, check and sync over many databases (--databases GLOB, --databases-from FILE,
// --jobs N), run as a real process on real SQLite files: one line per database, a summary, a
// failure that harms no other database, and a second run that goes on from there.
#include "support/fixtures.hpp"
#include "support/json.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <string>
#include <vector>

using namespace strata::test;

namespace {

namespace fs = std::filesystem;

// A project in `root` and the databases tenants/a.db (empty), b.db (0001 applied) and c.db
// (all three applied).
void write_tenants(const fs::path& root) {
    write_standard_project(root);
    fs::create_directories(root / "tenants");
    execute_sql(root / "tenants" / "a.db", "PRAGMA user_version = 0;");
    REQUIRE(run_strata({"--database", "tenants/b.db", "forwards", "core", "1"}, in_dir(root))
                .exit_code == 0);
    REQUIRE(run_strata({"--database", "tenants/c.db", "forwards"}, in_dir(root)).exit_code == 0);
}

std::size_t applied_count(const fs::path& db) {
    return migration_rows(db).size();
}

} // namespace

TEST_SUITE("e2e_many") {
    TEST_CASE("--databases GLOB: one line per database in path order, a summary, all migrated") {
        TempDir dir;
        write_tenants(dir.path());
        auto r = run_strata({"forwards", "--databases", "tenants/*.db"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "tenants/a.db: applied 3 migrations\n"
                       "tenants/b.db: applied 2 migrations\n"
                       "tenants/c.db: up to date\n"
                       "3 databases: 2 migrated, 1 up to date, 0 failed\n");
        for (const char* name : {"a.db", "b.db", "c.db"})
            CHECK(applied_count(dir.path() / "tenants" / name) == 3);
        CHECK_FALSE(file_exists(dir.path() / "app.db")); // the project's own database is untouched
    }

    TEST_CASE("--databases-from FILE: comments and blank lines skipped, paths seen from FILE") {
        TempDir dir;
        write_tenants(dir.path());
        write_file(dir.path() / "tenants" / "list.txt",
                   "# the tenants that pay\n\nc.db\n  a.db  \n" +
                       (dir.path() / "tenants" / "b.db").string() + "\n");
        fs::create_directories(dir.path() / "elsewhere");
        auto r = run_strata({"-C", "..", "forwards", "--databases-from", "tenants/list.txt"},
                            in_dir(dir.path() / "elsewhere"));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "tenants/c.db: up to date\n"
                       "tenants/a.db: applied 3 migrations\n"
                       "tenants/b.db: applied 2 migrations\n"
                       "3 databases: 2 migrated, 1 up to date, 0 failed\n");
        CHECK(applied_count(dir.path() / "tenants" / "a.db") == 3);
        CHECK(applied_count(dir.path() / "tenants" / "b.db") == 3);
    }

    TEST_CASE("a corrupt database among good ones fails alone, untouched; the exit code is 1") {
        TempDir dir;
        write_tenants(dir.path());
        const fs::path bad = dir.path() / "tenants" / "b2.db";
        write_file(bad, std::string(4096, 'x'));
        auto r = run_strata({"forwards", "--databases", "tenants/*.db"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        const auto lines = lines_of(r.out);
        REQUIRE(lines.size() == 5);
        CHECK(lines[0] == "tenants/a.db: applied 3 migrations");
        CHECK(lines[1] == "tenants/b.db: applied 2 migrations");
        CHECK(lines[2].starts_with("tenants/b2.db: FAILED: "));
        CHECK(lines[2].find("not a database") != std::string::npos);
        CHECK(lines[3] == "tenants/c.db: up to date");
        CHECK(lines[4] == "4 databases: 2 migrated, 1 up to date, 1 failed");
        CHECK(read_file(bad) == std::string(4096, 'x'));
        CHECK(applied_count(dir.path() / "tenants" / "a.db") == 3);
        // --quiet keeps only what went wrong.
        auto quiet =
            run_strata({"forwards", "--databases", "tenants/*.db", "-q"}, in_dir(dir.path()));
        CHECK(quiet.exit_code == 1);
        CHECK(lines_of(quiet.out) == std::vector<std::string>{lines[2]});
    }

    TEST_CASE("a failing migration in one database; after the fix a second run goes on") {
        TempDir dir;
        write_tenants(dir.path());
        // b.db already has a table the second migration creates: that migration fails there.
        execute_sql(dir.path() / "tenants" / "b.db", "CREATE TABLE notes (x);");
        auto first = run_strata({"forwards", "--databases", "tenants/*.db"}, in_dir(dir.path()));
        CHECK(first.exit_code == 1);
        CHECK(first.out.find("tenants/b.db: FAILED: ") != std::string::npos);
        CHECK(first.out.find("3 databases: 1 migrated, 1 up to date, 1 failed\n") !=
              std::string::npos);
        CHECK(applied_count(dir.path() / "tenants" / "a.db") == 3);
        CHECK(applied_count(dir.path() / "tenants" / "b.db") == 1); // rolled back, nothing half

        execute_sql(dir.path() / "tenants" / "b.db", "DROP TABLE notes;");
        auto second = run_strata({"forwards", "--databases", "tenants/*.db"}, in_dir(dir.path()));
        CHECK(second.exit_code == 0);
        CHECK(second.out == "tenants/a.db: up to date\n"
                            "tenants/b.db: applied 2 migrations\n"
                            "tenants/c.db: up to date\n"
                            "3 databases: 1 migrated, 2 up to date, 0 failed\n");
        CHECK(applied_count(dir.path() / "tenants" / "b.db") == 3);
    }

    TEST_CASE("--jobs 2: every database migrated, the lines in the order of --jobs 1") {
        TempDir dir;
        write_standard_project(dir.path());
        fs::create_directories(dir.path() / "one");
        fs::create_directories(dir.path() / "two");
        for (int i = 0; i < 24; ++i) {
            const std::string name = "t" + std::to_string(100 + i) + ".db";
            // Every third one cannot be migrated (a table in the way of the first migration).
            const std::string sql =
                i % 3 == 0 ? "CREATE TABLE users (x);" : "PRAGMA user_version=1;";
            execute_sql(dir.path() / "one" / name, sql);
            execute_sql(dir.path() / "two" / name, sql);
        }
        auto serial = run_strata({"forwards", "--databases", "one/*.db"}, in_dir(dir.path()));
        auto parallel =
            run_strata({"forwards", "--databases", "two/*.db", "--jobs", "2"}, in_dir(dir.path()));
        CHECK(serial.exit_code == 1);
        CHECK(parallel.exit_code == 1);
        std::string expected = serial.out;
        for (std::size_t at = expected.find("one/"); at != std::string::npos;
             at = expected.find("one/", at))
            expected.replace(at, 4, "two/");
        CHECK(parallel.out == expected);
        CHECK(count_of(parallel.out, "applied 3 migrations") == 16);
        CHECK(count_of(parallel.out, "FAILED") == 8);
        CHECK(lines_of(parallel.out).back() == "24 databases: 16 migrated, 0 up to date, 8 failed");
        CHECK(applied_count(dir.path() / "two" / "t101.db") == 3);
        // The library's test ("many") shows that jobs work at once; here, that --jobs gets there.
        auto verbose = run_strata({"check", "--databases", "two/*.db", "--jobs", "2", "-v"},
                                  in_dir(dir.path()));
        CHECK(verbose.err.find("strata: 24 databases, 2 at a time\n") != std::string::npos);
        auto one = run_strata({"check", "--databases", "two/*.db", "-v"}, in_dir(dir.path()));
        CHECK(one.err.find("strata: 24 databases, 1 at a time\n") != std::string::npos);
        CHECK_FALSE(has_table(dir.path() / "two" / "t121.db", "notes"));
    }

    TEST_CASE("--json: one document with each database's outcome and the summary") {
        TempDir dir;
        write_tenants(dir.path());
        write_file(dir.path() / "tenants" / "b2.db", std::string(4096, 'x'));
        auto r =
            run_strata({"forwards", "--databases", "tenants/*.db", "--json"}, in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.err.empty());
        const JsonValue doc = parse_json(r.out);
        CHECK(doc["schema"].string == "strata/1");
        CHECK(doc["command"].string == "forwards");
        CHECK_FALSE(doc["ok"].boolean);
        const auto& dbs = doc["databases"].array;
        REQUIRE(dbs.size() == 4);
        CHECK(dbs[0]["database"].string == (dir.path() / "tenants" / "a.db").string());
        CHECK(dbs[0]["outcome"].string == "migrated");
        CHECK(dbs[0]["applied"].number == 3);
        CHECK(dbs[0]["error"].is_null());
        CHECK(dbs[2]["outcome"].string == "failed");
        CHECK(dbs[2]["error"]["kind"].string == "database");
        CHECK(dbs[2]["error"]["exit_code"].number == 5);
        CHECK(dbs[3]["outcome"].string == "up to date");
        CHECK(doc["summary"]["databases"].number == 4);
        CHECK(doc["summary"]["migrated"].number == 2);
        CHECK(doc["summary"]["failed"].number == 1);
    }

    TEST_CASE("check over many databases: where each stands; --exit-code 3 when any is behind") {
        TempDir dir;
        write_tenants(dir.path());
        auto r = run_strata({"check", "--databases", "tenants/*.db"}, in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "tenants/a.db: 3 migrations pending\n"
                       "tenants/b.db: 2 migrations pending\n"
                       "tenants/c.db: up to date\n"
                       "3 databases: 1 up to date, 2 pending, 0 failed\n");
        CHECK_FALSE(has_table(dir.path() / "tenants" / "a.db", "migrations")); // never writes
        auto gate = run_strata({"check", "--databases", "tenants/*.db", "--exit-code", "-q"},
                               in_dir(dir.path()));
        CHECK(gate.exit_code == 3);
        CHECK(gate.out.empty());
        REQUIRE(
            run_strata({"forwards", "--databases", "tenants/*.db"}, in_dir(dir.path())).exit_code ==
            0);
        auto after =
            run_strata({"check", "--databases", "tenants/*.db", "--exit-code"}, in_dir(dir.path()));
        CHECK(after.exit_code == 0);
        CHECK(lines_of(after.out).back() == "3 databases: 3 up to date, 0 pending, 0 failed");
    }

    TEST_CASE("sync over many asks nothing: reversing needs --yes, per database") {
        TempDir dir;
        write_tenants(dir.path());
        // c.db has a migration this project no longer has.
        execute_sql(dir.path() / "tenants" / "c.db", "CREATE TABLE extra (x);");
        REQUIRE(
            run_strata({"--database", "tenants/c.db", "forwards"}, in_dir(dir.path())).exit_code ==
            0);
        fs::remove(dir.path() / "migrations" / "core" / "0003_add_tags.up.sql");
        fs::remove(dir.path() / "migrations" / "core" / "0003_add_tags.down.sql");
        auto refused = run_strata({"sync", "--databases", "tenants/*.db"}, in_dir(dir.path()));
        CHECK(refused.exit_code == 1);
        const auto lines = lines_of(refused.out);
        REQUIRE(lines.size() == 4);
        CHECK(lines[0] == "tenants/a.db: applied 2 migrations");
        CHECK(lines[1] == "tenants/b.db: applied 1 migration");
        CHECK(lines[2].starts_with("tenants/c.db: FAILED: "));
        CHECK(lines[2].find("nothing is asked") != std::string::npos);
        CHECK(applied_count(dir.path() / "tenants" / "c.db") == 3);
        auto agreed =
            run_strata({"sync", "--databases", "tenants/*.db", "--yes"}, in_dir(dir.path()));
        CHECK(agreed.exit_code == 0);
        CHECK(agreed.out == "tenants/a.db: up to date\n"
                            "tenants/b.db: up to date\n"
                            "tenants/c.db: reversed 1 migration, applied 0 migrations\n"
                            "3 databases: 1 migrated, 2 up to date, 0 failed\n");
        CHECK(applied_count(dir.path() / "tenants" / "c.db") == 2);
        CHECK_FALSE(has_table(dir.path() / "tenants" / "c.db", "tags"));
    }

    TEST_CASE("an interrupted run over many databases: exit 130, the migrations in flight undone") {
        for (const bool json : {false, true}) {
            CAPTURE(json);
            TempDir dir;
            write_endless_project(dir.path());
            fs::create_directories(dir / "tenants");
            const std::vector<fs::path> dbs{dir / "tenants" / "a.db", dir / "tenants" / "b.db"};
            for (const fs::path& db : dbs)
                execute_sql(db, "PRAGMA journal_mode = WAL;");
            std::vector<std::string> args{"forwards", "--databases", "tenants/*.db", "--jobs", "2"};
            if (json)
                args.push_back("--json");

            StrataProcess child = start_strata(args, in_dir(dir.path()));
            // Both databases are at 0002, which never ends by itself.
            for (const fs::path& db : dbs)
                REQUIRE(wait_until_recorded(db, "0001"));
            child.send_signal(SIGINT);
            const RunResult r = child.wait();
            INFO("stdout: " << r.out);
            INFO("stderr: " << r.err);

            CHECK(r.exit_code == 130);
            const std::string message = "interrupted after 0 of 2 databases; the migration in "
                                        "flight was rolled back, and a new run goes on from there";
            if (json) {
                CHECK(r.out.empty());
                JsonValue doc;
                REQUIRE_NOTHROW(doc = parse_json(r.err));
                CHECK(doc["error"]["kind"].string == "interrupted");
                CHECK(doc["error"]["exit_code"].number == 130);
                CHECK(doc["error"]["message"].string == message);
            } else {
                CHECK(r.err == "strata: " + message + "\n");
            }
            for (const fs::path& db : dbs) {
                CAPTURE(db);
                CHECK(has_table(db, "t1"));
                CHECK_FALSE(has_table(db, "t2"));
                CHECK(applied_count(db) == 1);
                CHECK(query_text(db, "PRAGMA integrity_check") == "ok");
            }
        }
    }

    TEST_CASE("usage errors: exit 2 before any database is touched") {
        TempDir dir;
        write_tenants(dir.path());
        const auto before = read_file(dir.path() / "tenants" / "a.db");
        for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
                 {"forwards", "--jobs", "2"},
                 {"forwards", "--databases", "tenants/*.db", "--database", "x.db"},
                 {"forwards", "--databases", "nothing/*.db"},
                 {"forwards", "--databases", "tenants/*.db", "--databases-from", "l.txt"},
                 {"forwards", "--databases", "tenants/*.db", "--preview"},
                 {"forwards", "--databases", "tenants/*.db", "--jobs", "0"},
             }) {
            CAPTURE(args);
            auto r = run_strata(args, in_dir(dir.path()));
            CHECK(r.exit_code == 2);
            CHECK(r.out.empty());
            CHECK(r.err.starts_with("strata: error: "));
        }
        CHECK(read_file(dir.path() / "tenants" / "a.db") == before);
        auto nothing = run_strata({"forwards", "--databases", "nothing/*.db"}, in_dir(dir.path()));
        CHECK(nothing.err.find("no database file matches \"nothing/*.db\"") != std::string::npos);
    }
}
