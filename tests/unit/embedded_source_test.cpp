// SPDX-License-Identifier: MIT
#include "strata/api/embed.hpp"
#include "strata/api/managers.hpp"
#include "strata/error.hpp"
#include "strata/loader/loader.hpp"
#include "strata/loader/migration_source.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

using strata::EmbeddedMigration;
using strata::EmbeddedSource;
using strata::Error;
using strata::ErrorKind;
using strata::load_migrations;
using strata::test::TempDir;
using strata::test::write_file;

namespace {

// what() of the load-time error, after checking it is a MigrationFiles error.
std::string load_failure(std::span<const EmbeddedMigration> migrations) {
    try {
        load_migrations("core", EmbeddedSource("core", migrations));
    } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::MigrationFiles);
        return error.what();
    }
    return "(no error)";
}

// A project with one app "core" whose folder holds `files` (name -> content).
strata::Project project_in(const TempDir& dir,
                           const std::vector<std::pair<std::string, std::string>>& files) {
    strata::Project project;
    project.database = dir / "app.db";
    strata::AppConfig app;
    app.name = "core";
    app.migrations_dir = dir / "migrations";
    project.apps.push_back(app);
    for (const auto& [name, content] : files)
        write_file(app.migrations_dir / name, content);
    std::filesystem::create_directories(app.migrations_dir);
    return project;
}

} // namespace

TEST_SUITE("embedded_source") {
    TEST_CASE("offers each migration as its two files, named as in a folder") {
        const std::array<EmbeddedMigration, 2> migrations{{
            {"0001_create_users", "CREATE TABLE users (id INTEGER);\n", "DROP TABLE users;\n"},
            {"0002_nothing", "", ""},
        }};
        const EmbeddedSource source("core", migrations);
        const auto files = source.list_sql_files();
        REQUIRE(files.size() == 4);
        CHECK(files[0].name == "0001_create_users.up.sql");
        CHECK(files[0].content == "CREATE TABLE users (id INTEGER);\n");
        CHECK(files[3].name == "0002_nothing.down.sql");
        const auto entries = source.list();
        CHECK(source.path_of(entries[0]) == "embedded:core/0001_create_users.up.sql");
        CHECK(source.path_of(entries[1]) == "embedded:core/0001_create_users.down.sql");
    }

    TEST_CASE("loads with the checksum and normalisation of the same files in a folder") {
        // A BOM and CRLF line ends, as an editor may have saved the file.
        const std::string up = "\xEF\xBB\xBF"
                               "CREATE TABLE t (x);\r\nINSERT INTO t VALUES ('caf\xC3\xA9');\r\n";
        const std::array<EmbeddedMigration, 1> migrations{{{"0001_t", up, "DROP TABLE t;\r\n"}}};
        const auto embedded = load_migrations("core", EmbeddedSource("core", migrations));
        TempDir dir;
        write_file(dir / "0001_t.up.sql", up);
        write_file(dir / "0001_t.down.sql", "DROP TABLE t;\r\n");
        const auto folder = load_migrations("core", strata::FolderSource(dir.path()));
        REQUIRE(embedded.migrations.size() == 1);
        REQUIRE(folder.migrations.size() == 1);
        CHECK(embedded.migrations[0].checksum == folder.migrations[0].checksum);
        CHECK(embedded.migrations[0].up_sql == folder.migrations[0].up_sql);
        CHECK(embedded.migrations[0].down_sql.text() == "DROP TABLE t;\n");
        CHECK(embedded.migrations[0].description == "t");
        CHECK(embedded.migrations[0].up_path() == "embedded:core/0001_t.up.sql");
    }

    TEST_CASE("the loader's rules apply: names, template marker, encoding") {
        const std::array<EmbeddedMigration, 1> bad_name{{{"create_users", "SELECT 1;\n", ""}}};
        CHECK(load_failure(bad_name).starts_with(
            "embedded:core/create_users.down.sql: invalid migration file name: it must start"));
        const std::array<EmbeddedMigration, 1> template_left{
            {{"0001_a", "-- strata:template (delete this line when you write the migration)\n",
              ""}}};
        CHECK(load_failure(template_left)
                  .starts_with("embedded:core/0001_a.up.sql:1:1: this file is still the "
                               "template `strata new` wrote"));
        const std::array<EmbeddedMigration, 1> latin1{{{"0001_a", "SELECT 1;\n", "-- caf\xE9\n"}}};
        CHECK(load_failure(latin1).starts_with(
            "embedded:core/0001_a.down.sql:1:7: file is not valid UTF-8 (byte 0xE9)"));
        const std::array<EmbeddedMigration, 2> duplicate{
            {{"0001_a", "SELECT 1;\n", ""}, {"0001_b", "SELECT 2;\n", ""}}};
        CHECK(load_failure(duplicate).find("embedded:core/0001_") != std::string::npos);
    }

    TEST_CASE("cannot delete a compiled-in migration") {
        const std::array<EmbeddedMigration, 1> migrations{{{"0001_a", "SELECT 1;\n", ""}}};
        try {
            EmbeddedSource("core", migrations).remove("embedded:core/0001_a.up.sql");
            FAIL("remove did not throw");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::Usage);
            CHECK(std::string(error.what()) == "embedded:core/0001_a.up.sql: cannot delete a "
                                               "migration compiled into the program");
        }
    }

    TEST_CASE("Context::sources replaces the app's folder; --clean is refused for it") {
        TempDir dir;
        // The folder holds a different migration: it must not be read.
        strata::Project project = project_in(dir, {{"0009_folder.up.sql", "SELECT 9;\n"}});
        const std::array<EmbeddedMigration, 1> migrations{
            {{"0001_create_t", "CREATE TABLE t (x);\n", "DROP TABLE t;\n"}}};
        strata::Context context{project};
        context.sources["core"] = std::make_shared<const EmbeddedSource>("core", migrations);
        CHECK(strata::ForwardsMigrationManager(context).run().message == "Applied 1 migration.");
        const auto statuses = strata::CheckMigrationManager(context).get_migration_statuses();
        REQUIRE(statuses.size() == 1);
        CHECK(statuses[0].migration_id.text() == "0001");
        CHECK(statuses[0].state == strata::MigrationState::Applied);

        try {
            strata::BackwardsMigrationManager(
                context,
                {.app = "core", .target = strata::All{}, .auto_agree = true, .clean = true})
                .run();
            FAIL("backwards with clean did not throw");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::Usage);
            CHECK(std::string(error.what()) ==
                  "cannot delete the migration files of app \"core\": its migrations do not come "
                  "from a folder\n  hint: reverse the migrations without clean");
        }
        // Nothing was reversed.
        CHECK(strata::CheckMigrationManager(context).get_migration_statuses()[0].state ==
              strata::MigrationState::Applied);
        CHECK(strata::BackwardsMigrationManager(
                  context, {.app = "core", .target = strata::All{}, .auto_agree = true})
                  .run()
                  .message == "Reversed 1 migration.");
    }

    TEST_CASE("embedded_source_text: deterministic, exact bytes, long SQL as a char array") {
        TempDir dir;
        const std::string seed = "-- " + std::string(70'000, 'x') + "\nSELECT 1;\n";
        strata::Project project =
            project_in(dir, {{"0002_b.up.sql", "SELECT '?\?=\\\"\t\xC3\xA9';\r\n"},
                             {"0002_b.down.sql", ""},
                             {"0001_a.up.sql", seed},
                             {"0001_a.down.sql", "SELECT 0;\n"}});
        strata::EmbedOptions options;
        options.namespace_name = "app::migrations";
        const std::string text = strata::embedded_source_text(project, options);
        CHECK(text == strata::embedded_source_text(project, options));
        CHECK(text.find("namespace app::migrations {") != std::string::npos);
        // Sorted by id; trigraphs broken, quotes, backslashes and non-ASCII bytes escaped.
        CHECK(text.find("\"0001_a\"") < text.find("\"0002_b\""));
        CHECK(text.find(R"("SELECT '\?\?=\\\"\t\303\251';\015\n",)") != std::string::npos);
        CHECK(text.find("constexpr char k_app_0_0_up[" + std::to_string(seed.size()) + "]") !=
              std::string::npos);
        CHECK(text.find("std::string_view{k_app_0_0_up, sizeof k_app_0_0_up}") !=
              std::string::npos);
        // No literal piece of the output is longer than a line of it.
        CHECK(text.find("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") ==
              std::string::npos);

        options.namespace_name = "app::";
        CHECK_THROWS_AS(strata::embedded_source_text(project, options), Error);
        options.namespace_name = "1app";
        CHECK_THROWS_AS(strata::embedded_source_text(project, options), Error);
    }
}
