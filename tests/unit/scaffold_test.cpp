// SPDX-License-Identifier: MIT
// `strata new` and `strata init` as library calls: file names, contents, and refusals.
#include "strata/api/scaffold.hpp"
#include "strata/error.hpp"
#include "strata/project/project.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace strata;
using strata::test::read_file;
using strata::test::TempDir;
using strata::test::write_file;

namespace {

// 2026-11-21 09:30:00 UTC.
std::chrono::system_clock::time_point sample_time() {
    using namespace std::chrono;
    return sys_days{year{2026} / 11 / 21} + hours{9} + minutes{30};
}

AppConfig app_in(const std::filesystem::path& folder) {
    AppConfig app;
    app.name = "core";
    app.migrations_dir = folder;
    return app;
}

template <typename Call>
Error error_from(Call call) {
    try {
        call();
    } catch (const Error& error) {
        return error;
    }
    FAIL("no Error was thrown");
    return Error(ErrorKind::Usage, "unreachable");
}

} // namespace

TEST_SUITE("scaffold") {
    TEST_CASE("ids are the UTC time to the second") {
        CHECK(timestamp_id(sample_time()) == "20261121093000");
        CHECK(timestamp_id(sample_time() + std::chrono::milliseconds(999)) == "20261121093000");
        CHECK(timestamp_id(std::chrono::system_clock::time_point{}) == "19700101000000");
    }

    TEST_CASE("new writes a pair of files with the template marker and placeholder comments") {
        TempDir dir;
        NewMigrationFiles files = create_migration(app_in(dir / "migrations/core"), "Create users",
                                                   "", "", sample_time());
        CHECK(files.id == "20261121093000");
        CHECK(files.name == "20261121093000_create_users");
        CHECK(files.up_path == dir / "migrations/core/20261121093000_create_users.up.sql");
        CHECK(files.down_path == dir / "migrations/core/20261121093000_create_users.down.sql");
        const std::string marker =
            "-- strata:template (delete this line when you write the migration)\n";
        CHECK(read_file(files.up_path) ==
              marker + "-- Create users: write the SQL to apply here\n");
        CHECK(read_file(files.down_path) ==
              marker + "-- Create users: write the SQL that undoes it here\n");
    }

    TEST_CASE("new writes the SQL it is given, ending in a newline") {
        TempDir dir;
        NewMigrationFiles files =
            create_migration(app_in(dir.path()), "add email", "ALTER TABLE users ADD email;",
                             "ALTER TABLE users DROP email;\n", sample_time());
        CHECK(read_file(files.up_path) == "ALTER TABLE users ADD email;\n");
        CHECK(read_file(files.down_path) == "ALTER TABLE users DROP email;\n");
    }

    TEST_CASE("a description with a newline stays a one-line comment") {
        TempDir dir;
        NewMigrationFiles files =
            create_migration(app_in(dir.path()), "two\nlines", "", "", sample_time());
        CHECK(files.name == "20261121093000_two_lines");
        CHECK(read_file(files.up_path) ==
              "-- strata:template (delete this line when you write the migration)\n"
              "-- two lines: write the SQL to apply here\n");
    }

    TEST_CASE("new refuses a description without letters or digits") {
        TempDir dir;
        Error error = error_from(
            [&] { create_migration(app_in(dir.path()), "--- !", "", "", sample_time()); });
        CHECK(error.kind() == ErrorKind::Usage);
        CHECK(
            error.message() ==
            "the description \"--- !\" has no letters or digits to name the migration files with");
        CHECK(error.hint() == "describe the migration in a few words, e.g. \"create users\"");
        CHECK(std::filesystem::is_empty(dir.path()));
    }

    TEST_CASE("a second migration in the same second takes the next free id") {
        TempDir dir;
        write_file(dir / "20261121093000_other.up.sql", "SELECT 1;\n");
        write_file(dir / "20261121093000_other.down.sql", "SELECT 1;\n");
        NewMigrationFiles files =
            create_migration(app_in(dir.path()), "create users", "", "", sample_time());
        CHECK(files.id == "20261121093001");
        CHECK(read_file(dir / "20261121093000_other.up.sql") == "SELECT 1;\n");
        CHECK(std::filesystem::exists(dir / "20261121093001_create_users.up.sql"));
    }

    TEST_CASE("next_migration_id goes on from the newest id and never below it") {
        auto ids = [](std::vector<std::string> texts) {
            std::vector<MigrationId> out;
            for (const std::string& text : texts)
                out.emplace_back(text);
            return out;
        };
        // An app with no files: the time, or 0001 when asked for a sequence.
        CHECK(next_migration_id({}, sample_time(), IdStyle::Auto) == "20261121093000");
        CHECK(next_migration_id({}, sample_time(), IdStyle::Sequence) == "0001");
        // A sequence continues at its width, with or without asking for one.
        CHECK(next_migration_id(ids({"0001", "0002"}), sample_time(), IdStyle::Auto) == "0003");
        CHECK(next_migration_id(ids({"0002", "0001"}), sample_time(), IdStyle::Sequence) == "0003");
        CHECK(next_migration_id(ids({"0009"}), sample_time(), IdStyle::Auto) == "0010");
        CHECK(next_migration_id(ids({"999"}), sample_time(), IdStyle::Auto) == "1000");
        // Time ids: the time when it is later than the newest, else the newest + 1.
        CHECK(next_migration_id(ids({"20261121092959"}), sample_time(), IdStyle::Auto) ==
              "20261121093000");
        CHECK(next_migration_id(ids({"20261121093000"}), sample_time(), IdStyle::Auto) ==
              "20261121093001");
        CHECK(next_migration_id(ids({"20301231235959"}), sample_time(), IdStyle::Auto) ==
              "20301231235960");
        // A sequence cannot start in an app numbered by time.
        Error error = error_from(
            [&] { next_migration_id(ids({"20261121093000"}), sample_time(), IdStyle::Sequence); });
        CHECK(error.kind() == ErrorKind::Usage);
        CHECK(error.message() == "this app's migrations are numbered by time (the newest is "
                                 "20261121093000); a sequence starts only in an app without "
                                 "migrations");
    }

    TEST_CASE("create_migration continues a sequence and transliterates the description") {
        TempDir dir;
        write_file(dir / "0001_a.up.sql", "SELECT 1;\n");
        write_file(dir / "0001_a.down.sql", "SELECT 1;\n");
        write_file(dir / "0002_b.up.sql", "SELECT 1;\n");
        write_file(dir / "0002_b.down.sql", "SELECT 1;\n");
        NewMigrationFiles files =
            create_migration(app_in(dir.path()), "add caf\xC3\xA9 menu", "", "", sample_time());
        CHECK(files.name == "0003_add_cafe_menu");
        CHECK(std::filesystem::exists(dir / "0003_add_cafe_menu.down.sql"));
    }

    TEST_CASE("init writes a project file that parses, and the migrations folder") {
        TempDir dir;
        InitFiles files = init_project(dir.path(), "core");
        CHECK(files.project_file == dir / "strata.toml");
        CHECK(files.migrations_dir == dir / "migrations/core");
        CHECK(std::filesystem::is_directory(files.migrations_dir));
        CHECK(std::filesystem::is_empty(files.migrations_dir));

        std::string text = read_file(files.project_file);
        CHECK(text.find("database = \"app.db\"") != std::string::npos);
        CHECK(text.find("# busy_timeout_ms = 5000") != std::string::npos);
        CHECK(text.find("name = \"core\"") != std::string::npos);
        CHECK(text.find("migrations = \"migrations/core\"") != std::string::npos);

        Project project = parse_project(text, files.project_file, [](const std::string&) {
            return std::optional<std::string>{};
        });
        REQUIRE(project.apps.size() == 1);
        CHECK(project.apps[0].name == "core");
        CHECK(project.busy_timeout_ms == 5000);
        CHECK(project.database.filename() == "app.db");
        CHECK(std::filesystem::equivalent(project.apps[0].migrations_dir, files.migrations_dir));
    }

    TEST_CASE("init refuses an existing strata.toml and leaves it alone") {
        TempDir dir;
        write_file(dir / "strata.toml", "# mine\n");
        Error error = error_from([&] { init_project(dir.path(), "main"); });
        CHECK(error.kind() == ErrorKind::Usage);
        CHECK(error.message() == "a project file already exists here");
        CHECK(error.where().path == (dir / "strata.toml").string());
        CHECK(read_file(dir / "strata.toml") == "# mine\n");
        CHECK_FALSE(std::filesystem::exists(dir / "migrations"));
    }

    TEST_CASE("init refuses app names the project file would refuse") {
        TempDir dir;
        for (std::string name : {"", "all", "my app", "a/b", "é"}) {
            CAPTURE(name);
            Error error = error_from([&] { init_project(dir.path(), name); });
            CHECK(error.kind() == ErrorKind::Usage);
            CHECK(error.message() == "\"" + name + "\" is not a valid app name");
            CHECK(error.hint() ==
                  "app names use letters, digits, '_' and '-', and cannot be \"all\"");
        }
        CHECK(std::filesystem::is_empty(dir.path()));
        CHECK_NOTHROW(init_project(dir.path(), "Core_2-b"));
    }
}
