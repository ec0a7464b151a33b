// SPDX-License-Identifier: MIT
// `strata bundle` and `--bundle FILE`: a device's database migrated from one file, run as a real
// process on real SQLite files.
#include "strata/loader/loader.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata::test;

namespace {

using Rows = std::vector<std::vector<std::string>>;

// Release 2 of an app: three migrations; release 1 lacks the third.
AppSpec release(int number) {
    AppSpec app = users_notes_tags_app();
    app.migrations[2].up = "ALTER TABLE users ADD COLUMN email TEXT;\n"
                           "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT UNIQUE);\n";
    app.migrations[2].down = "DROP TABLE tags;\nALTER TABLE users DROP COLUMN email;\n";
    if (number == 1)
        app.migrations.pop_back();
    return app;
}

void write_release(const std::filesystem::path& root, int number) {
    ProjectSpec project;
    project.apps.push_back(release(number));
    project.extra_top_level = "transaction = \"all\"\n";
    write_project(root, project);
}

// strata's rows and the application's schema: what two databases must share.
Rows state_of(const std::filesystem::path& db) {
    return query_rows(db, "SELECT app_name, name, checksum FROM migrations ORDER BY id");
}
Rows schema_of(const std::filesystem::path& db) {
    return query_rows(db,
                      "SELECT type, name, sql FROM sqlite_schema "
                      "WHERE name NOT IN ('migrations', 'sqlite_sequence') ORDER BY type, name");
}

// Writes the bundle of the project in `root` to `output`.
void bundle(const std::filesystem::path& root, const std::filesystem::path& output,
            const std::string& label = "") {
    std::vector<std::string> args{"bundle", "-o", output.string()};
    if (!label.empty())
        args.insert(args.end(), {"--label", label});
    auto r = run_strata(args, in_dir(root));
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    // Shown relative to the folder strata ran in when it is inside it.
    CHECK(r.out ==
          "Wrote " + (output.parent_path() == root ? output.filename() : output).string() + "\n");
}

// `bytes` with the first migration's recorded checksum changed and the SHA-256 line written
// again: a bundle whose hash is right but whose content is not what strata wrote.
std::string with_wrong_checksum(const std::string& bytes) {
    std::string content = bytes.substr(0, bytes.size() - 72);
    const auto at = content.find("\n64:") + 4;
    content[at] = content[at] == '0' ? '1' : '0';
    return content + "sha256 " + strata::sha256_hex(content) + "\n";
}

} // namespace

TEST_SUITE("e2e_bundle") {
    TEST_CASE("forwards from a bundle gives the database forwards from the folder gives") {
        TempDir dir;
        write_release(dir / "v2", 2);
        bundle(dir / "v2", dir / "v2.strata", "2.0");
        REQUIRE(run_strata({"forwards"}, in_dir(dir / "v2")).exit_code == 0);

        // strata.toml is not read: the bundle is run from an empty folder.
        std::filesystem::create_directories(dir / "device");
        auto r = run_strata(
            {"forwards", "--bundle", (dir / "v2.strata").string(), "--database", "device.db"},
            in_dir(dir / "device"));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(state_of(dir / "device" / "device.db") == state_of(dir / "v2" / "app.db"));
        CHECK(schema_of(dir / "device" / "device.db") == schema_of(dir / "v2" / "app.db"));

        r = run_strata({"check", "--bundle", (dir / "v2.strata").string()}, [&] {
            RunOptions opts = in_dir(dir / "device");
            opts.env.emplace_back("STRATA_DATABASE", "device.db");
            return opts;
        }());
        CHECK(r.exit_code == 0);
        const auto lines = lines_of(r.out);
        REQUIRE(lines.size() == 4);
        CHECK(lines[0].starts_with("APP   MIGRATION  DESCRIPTION"));
        CHECK(lines[3].starts_with("core  0003       add tags      applied "));
    }

    TEST_CASE("two bundles of one project are byte-identical; a changed migration changes them") {
        TempDir dir;
        write_release(dir / "p", 2);
        bundle(dir / "p", dir / "a.strata", "2.0");
        bundle(dir / "p", dir / "b.strata", "2.0");
        CHECK(same_bytes(dir / "a.strata", dir / "b.strata"));
        write_file(dir / "p" / "migrations" / "core" / "0003_add_tags.down.sql", "SELECT 1;\n");
        bundle(dir / "p", dir / "c.strata", "2.0");
        CHECK(read_file(dir / "a.strata") != read_file(dir / "c.strata"));
    }

    TEST_CASE("a damaged bundle is refused before the database is touched") {
        TempDir dir;
        write_release(dir / "p", 2);
        bundle(dir / "p", dir / "good.strata");
        const std::string bytes = read_file(dir / "good.strata");
        std::string flipped = bytes;
        flipped[bytes.size() / 3] ^= 0x20;
        std::string newer = bytes;
        newer[14] = '9';
        const std::vector<std::pair<std::string, std::string>> cases{
            {bytes.substr(0, 10), "the bundle is truncated"},
            {bytes.substr(0, 30), "the bundle is truncated (it does not end with its SHA-256)"},
            {bytes.substr(0, bytes.size() - 1),
             "the bundle is truncated (it does not end with its SHA-256)"},
            {flipped, "the bundle is corrupted: its SHA-256 does not match its content"},
            {"PK\x03\x04" + bytes,
             "not a strata bundle (it does not begin with \"strata-bundle\")"},
            {newer, "the bundle is of format 9, newer than this strata reads (format 1)"},
            {with_wrong_checksum(bytes),
             "the bundle's checksum of 0001_create_users does not match its SQL"},
        };
        // One database that exists and one that does not: neither may change.
        execute_sql(dir / "existing.db", "CREATE TABLE kept (x);");
        for (const auto& [content, message] : cases) {
            INFO("expected: " << message);
            write_file(dir / "bad.strata", content);
            for (const char* db : {"existing.db", "new.db"}) {
                FileSnapshot before(dir / db);
                for (const char* command : {"forwards", "sync", "check"}) {
                    auto r = run_strata({command, "--bundle", "bad.strata", "--database", db},
                                        in_dir(dir.path()));
                    CHECK(r.exit_code == 2);
                    CHECK(r.err.starts_with("strata: error: bad.strata: " + message + "\n"));
                    CHECK(before.unchanged());
                }
            }
            CHECK_FALSE(file_exists(dir / "new.db"));
        }
    }

    TEST_CASE("--bundle needs a database and replaces the project file") {
        TempDir dir;
        write_release(dir / "p", 1);
        bundle(dir / "p", dir / "p" / "r.strata");
        auto r = run_strata({"forwards", "--bundle", "r.strata"}, in_dir(dir / "p"));
        CHECK(r.exit_code == 2);
        CHECK(r.err == "strata: error: --bundle needs the database to migrate\n"
                       "  hint: name it with --database PATH or the environment variable "
                       "STRATA_DATABASE\n");
        CHECK_FALSE(file_exists(dir / "p" / "app.db"));
        r = run_strata(
            {"forwards", "--bundle", "r.strata", "-p", "strata.toml", "--database", "x.db"},
            in_dir(dir / "p"));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("-p/--project does not apply") != std::string::npos);
        r = run_strata({"bundle"}, in_dir(dir / "p"));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("bundle needs the file to write") != std::string::npos);
    }

    TEST_CASE("verify from a bundle checks the release's pending migrations on a copy") {
        TempDir dir;
        write_release(dir / "v1", 1);
        REQUIRE(run_strata({"forwards"}, in_dir(dir / "v1")).exit_code == 0);
        const std::filesystem::path device = dir / "v1" / "app.db";
        const FileSnapshot before(device);
        write_release(dir / "v2", 2);
        bundle(dir / "v2", dir / "v2.strata");

        auto r = run_strata({"verify", "--bundle", "v2.strata", "--database", device.string()},
                            in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out == "verified  core 0003 (add tags)\nVerified 1 migration.\n");

        // A release whose down forgets a table: the bundle's own down is what verify ran.
        write_file(dir / "v2" / "migrations" / "core" / "0003_add_tags.down.sql",
                   "ALTER TABLE users DROP COLUMN email;\n");
        bundle(dir / "v2", dir / "forgetful.strata");
        r = run_strata({"verify", "--bundle", "forgetful.strata", "--database", device.string()},
                       in_dir(dir.path()));
        CHECK(r.exit_code == 1);
        CHECK(r.out.starts_with("MISMATCH  core 0003 (add tags)\n"));
        CHECK(r.out.find("    left behind: table tags\n") != std::string::npos);
        CHECK(before.unchanged());
    }

    TEST_CASE("sync with an older release's bundle reverses the newer migration from the bundle") {
        TempDir dir;
        write_release(dir / "v1", 1);
        write_release(dir / "v2", 2);
        bundle(dir / "v1", dir / "v1.strata", "1.0");
        bundle(dir / "v2", dir / "v2.strata", "2.0");
        REQUIRE(run_strata({"forwards"}, in_dir(dir / "v1")).exit_code == 0);
        const auto device = (dir / "device.db").string();

        auto r =
            run_strata({"sync", "--bundle", "v2.strata", "--database", device}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        execute_sql(device, "INSERT INTO users (name, email) VALUES ('ada', 'a@example.org');");

        r = run_strata({"sync", "--bundle", "v1.strata", "--database", device, "--yes"},
                       in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Reversed 1 migration.") != std::string::npos);
        CHECK(state_of(device) == state_of(dir / "v1" / "app.db"));
        CHECK(schema_of(device) == schema_of(dir / "v1" / "app.db"));
        CHECK(query_text(device, "SELECT name FROM users") == "ada");

        r = run_strata({"goto", "core", "0003", "--bundle", "v2.strata", "--database", device},
                       in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        r = run_strata(
            {"backwards", "core", "--bundle", "v2.strata", "--database", device, "--yes"},
            in_dir(dir.path()));
        CHECK(r.exit_code == 0);
        CHECK(state_of(device) == state_of(dir / "v1" / "app.db"));
    }
}
