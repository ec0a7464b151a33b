// SPDX-License-Identifier: MIT
#include "strata/api/bundle.hpp"
#include "strata/api/managers.hpp"
#include "strata/error.hpp"
#include "strata/loader/loader.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using strata::Bundle;
using strata::Error;
using strata::ErrorKind;
using strata::test::TempDir;
using strata::test::write_file;

namespace {

// A project of two apps ("core", and "extra" depending on it) in `dir`, with settings that
// differ from the defaults so the bundle must carry them.
strata::Project two_app_project(const TempDir& dir) {
    strata::Project project;
    project.file = dir / "strata.toml";
    project.database = dir / "app.db";
    project.busy_timeout_ms = 1234;
    project.settings.transaction = strata::TransactionScope::All;
    project.settings.journal_mode = strata::JournalMode::Wal;
    project.settings.foreign_keys = strata::ForeignKeyMode::Immediate;
    project.settings.synchronous = strata::Synchronous::Extra;
    project.settings.out_of_order = strata::OutOfOrder::Allow;
    project.settings.state_table = "schema_log";
    strata::AppConfig extra{"extra", dir / "m" / "extra", {"core"}, {}};
    strata::AppConfig core{"core", dir / "m" / "core", {}, {}};
    project.apps = {extra, core}; // not sorted: the bundle sorts
    write_file(core.migrations_dir / "0001_create_items.up.sql",
               "\xEF\xBB\xBF"
               "CREATE TABLE items (id INTEGER PRIMARY KEY);\r\n");
    write_file(core.migrations_dir / "0001_create_items.down.sql", "DROP TABLE items;\n");
    write_file(core.migrations_dir / "0002_add_name.up.sql",
               "ALTER TABLE items ADD COLUMN name TEXT;\n");
    write_file(core.migrations_dir / "0002_add_name.down.sql",
               "ALTER TABLE items DROP COLUMN name;\n");
    write_file(extra.migrations_dir / "0001_seed.up.sql", "INSERT INTO items (id) VALUES (1);\n");
    write_file(extra.migrations_dir / "0001_seed.down.sql", "DELETE FROM items;\n");
    return project;
}

// The message of the ProjectFile error parse_bundle throws for `bytes`.
std::string refusal(std::string_view bytes) {
    try {
        strata::parse_bundle(bytes, "r.strata");
    } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::ProjectFile);
        return error.message();
    }
    return "(no error)";
}

// The text before the trailer, with `edit` applied and a fresh SHA-256 after it: a bundle whose
// hash is right but whose content is not what strata wrote.
std::string rehashed(std::string bytes, const std::function<void(std::string&)>& edit) {
    bytes.resize(bytes.size() - 72);
    edit(bytes);
    return bytes + "sha256 " + strata::sha256_hex(bytes) + "\n";
}

} // namespace

TEST_SUITE("bundle") {
    TEST_CASE("holds the settings, apps and migrations; checksums equal the folder's") {
        TempDir dir;
        const strata::Project project = two_app_project(dir);
        const std::string bytes = strata::bundle_bytes(project, {.label = "2.4"});
        CHECK(bytes.starts_with("strata-bundle 1\n3:2.4\n"));
        CHECK(bytes.find(dir.path().string()) == std::string::npos); // no paths

        const Bundle bundle = strata::parse_bundle(bytes, "r.strata");
        CHECK(bundle.label == "2.4");
        CHECK(bundle.project.database.empty());
        CHECK(bundle.project.busy_timeout_ms == 1234);
        const strata::Settings& settings = bundle.project.settings;
        CHECK(settings.transaction == strata::TransactionScope::All);
        CHECK(settings.journal_mode == strata::JournalMode::Wal);
        CHECK(settings.foreign_keys == strata::ForeignKeyMode::Immediate);
        CHECK(settings.synchronous == strata::Synchronous::Extra);
        CHECK(settings.out_of_order == strata::OutOfOrder::Allow);
        CHECK(settings.state_table == "schema_log");
        REQUIRE(bundle.project.apps.size() == 2);
        CHECK(bundle.project.apps[0].name == "core");
        CHECK(bundle.project.apps[1].name == "extra");
        CHECK(bundle.project.apps[1].depends_on == std::vector<std::string>{"core"});

        for (const strata::AppConfig* app : project.apps_in_dependency_order()) {
            const auto from_folder = strata::load_migrations(*app);
            const auto from_bundle =
                strata::load_migrations(app->name, *bundle.sources.at(app->name));
            REQUIRE(from_folder.migrations.size() == from_bundle.migrations.size());
            for (std::size_t i = 0; i < from_folder.migrations.size(); ++i) {
                CHECK(from_folder.migrations[i].name == from_bundle.migrations[i].name);
                CHECK(from_folder.migrations[i].checksum == from_bundle.migrations[i].checksum);
                CHECK(from_folder.migrations[i].down_sql.text() ==
                      from_bundle.migrations[i].down_sql.text());
            }
        }
    }

    TEST_CASE("the same project gives the same bytes; a changed migration changes them") {
        TempDir dir;
        const strata::Project project = two_app_project(dir);
        const std::string first = strata::bundle_bytes(project, {.label = "1"});
        CHECK(strata::bundle_bytes(project, {.label = "1"}) == first);
        CHECK(strata::bundle_bytes(project, {.label = "2"}) != first);
        write_file(dir / "m" / "core" / "0002_add_name.down.sql", "SELECT 1;\n");
        CHECK(strata::bundle_bytes(project, {.label = "1"}) != first);
    }

    TEST_CASE("an application migrates from a bundle through a Context") {
        TempDir dir;
        const strata::Project project = two_app_project(dir);
        strata::write_bundle(project, {.label = "2.4"}, dir / "r.strata");
        std::filesystem::remove_all(dir / "m"); // the bundle is all the application has

        Bundle bundle = strata::load_bundle(dir / "r.strata");
        bundle.project.database = dir / "device.db";
        strata::Context context{bundle.project};
        context.sources = bundle.sources;
        CHECK(strata::ForwardsMigrationManager(context).run().success);
        CHECK(strata::test::query_int(dir / "device.db", "SELECT count(*) FROM schema_log") == 3);
        CHECK(strata::test::query_int(dir / "device.db", "SELECT count(*) FROM items") == 1);
    }

    TEST_CASE("a damaged bundle is refused, each damage with its own message") {
        TempDir dir;
        const std::string bytes = strata::bundle_bytes(two_app_project(dir), {});
        for (std::size_t size : {std::size_t{0}, std::size_t{5}, std::size_t{15}, std::size_t{16},
                                 std::size_t{40}, bytes.size() / 2, bytes.size() - 1}) {
            INFO("truncated to " << size);
            CHECK(refusal(bytes.substr(0, size)).starts_with("the bundle is truncated"));
        }
        std::string flipped = bytes;
        flipped[bytes.size() / 2] ^= 0x01;
        CHECK(refusal(flipped) ==
              "the bundle is corrupted: its SHA-256 does not match its content");
        CHECK(refusal("SQLite format 3\n" + bytes) ==
              "not a strata bundle (it does not begin with \"strata-bundle\")");
        std::string newer = bytes;
        newer[14] = '2';
        CHECK(refusal(newer) ==
              "the bundle is of format 2, newer than this strata reads (format 1)");
        CHECK(refusal("strata-bundle x\n") ==
              "not a strata bundle (its first line is not \"strata-bundle N\")");
    }

    TEST_CASE("a well-hashed bundle with impossible content is refused without allocating") {
        TempDir dir;
        const std::string bytes = strata::bundle_bytes(two_app_project(dir), {});
        // The app count claims far more apps than the limit.
        const std::string many = rehashed(bytes, [](std::string& text) {
            const auto at = text.find("1:2\n4:core");
            REQUIRE(at != std::string::npos);
            text.replace(at, 3, "9:999999999");
        });
        CHECK(refusal(many) == "the bundle holds more apps than strata accepts (1000)");
        // A field length runs past the end.
        const std::string long_field = rehashed(bytes, [](std::string& text) {
            const auto at = text.find("4:core");
            text.replace(at, 1, "99999999");
        });
        CHECK(refusal(long_field) ==
              "the bundle's content is malformed although its SHA-256 matches");
    }

    TEST_CASE("an up file that does not give its recorded checksum is refused when loaded") {
        TempDir dir;
        const strata::Project project = two_app_project(dir);
        const std::string bytes = strata::bundle_bytes(project, {});
        // The first migration's recorded checksum, changed, under a fresh SHA-256.
        const std::string changed = rehashed(bytes, [](std::string& text) {
            const auto at = text.find("64:") + 3;
            text[at] = text[at] == '0' ? '1' : '0';
        });
        Bundle bundle = strata::parse_bundle(changed, "r.strata");
        // The other app loads; the damaged one is refused by the loader, naming the migration.
        CHECK(strata::load_migrations("extra", *bundle.sources.at("extra")).migrations.size() == 1);
        try {
            strata::load_migrations("core", *bundle.sources.at("core"));
            FAIL("no error");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::ProjectFile);
            CHECK(std::string(error.message()) ==
                  "the bundle's checksum of 0001_create_items does not match its SQL");
            CHECK(error.where().path == "r.strata");
        }
        // A command refuses it before the database exists.
        bundle.project.database = dir / "device.db";
        strata::Context context{bundle.project};
        context.sources = bundle.sources;
        CHECK_THROWS_AS(strata::ForwardsMigrationManager(context).run(), Error);
        CHECK_FALSE(std::filesystem::exists(dir / "device.db"));
    }

    TEST_CASE("a bundle's source lists both files of each migration, reads them, forgets one") {
        TempDir dir;
        const Bundle bundle =
            strata::parse_bundle(strata::bundle_bytes(two_app_project(dir), {}), "r.strata");
        const strata::MigrationSource& core = *bundle.sources.at("core");
        std::vector<strata::SourceEntry> entries = core.list();
        REQUIRE(entries.size() == 4);
        CHECK(entries[0].name == "0001_create_items.up.sql");
        CHECK(core.path_of(entries[0]) == "bundle:core/0001_create_items.up.sql");
        CHECK(entries[3].name == "0002_add_name.down.sql");
        std::string buffer;
        CHECK(core.read(entries[3], buffer) == "ALTER TABLE items DROP COLUMN name;\n");
        CHECK(core.reads_concurrently());

        core.remove("bundle:core/0002_add_name.down.sql");
        CHECK(core.list().size() == 3);
        CHECK_THROWS_AS(core.read(entries[3], buffer), Error);

        // The bytes stay alive with the source, after the bundle's text and the Bundle are gone.
        std::shared_ptr<const strata::MigrationSource> kept;
        {
            const std::string bytes = strata::bundle_bytes(two_app_project(dir), {});
            kept = strata::parse_bundle(bytes, "r.strata").sources.at("extra");
        }
        CHECK(kept->read(kept->list()[0], buffer) == "INSERT INTO items (id) VALUES (1);\n");
    }

    TEST_CASE("load_bundle names an unreadable file") {
        TempDir dir;
        try {
            strata::load_bundle(dir / "missing.strata");
            FAIL("no error");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::ProjectFile);
            CHECK(std::string(error.message()).starts_with("cannot read the bundle: "));
        }
    }
}
