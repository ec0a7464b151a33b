// SPDX-License-Identifier: MIT
// The database is the file named, opened exactly as named: never in memory, never a temporary
// database, never a URI, never a FIFO or device. Each refusal names where the path came from.
#include "strata/project/database_path.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

using namespace strata::test;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// Files in `dir` other than strata.toml and the migrations folder.
std::vector<std::string> stray_files(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name != "strata.toml" && name != "migrations")
            names.push_back(name);
    }
    return names;
}

} // namespace

TEST_SUITE("database_path") {
    TEST_CASE("database_path_problem: empty, :memory: and URIs cannot name the database") {
        CHECK(strata::database_path_problem("").has_value());
        CHECK(strata::database_path_problem(":memory:").has_value());
        CHECK(strata::database_path_problem("file:app.db").has_value());
        CHECK(strata::database_path_problem("FILE:app.db?mode=memory").has_value());
        CHECK(strata::database_path_problem("file::memory:?cache=shared").has_value());
        CHECK_FALSE(strata::database_path_problem("app.db").has_value());
        CHECK_FALSE(strata::database_path_problem("/data/app.db").has_value());
        CHECK_FALSE(strata::database_path_problem("./file:app.db").has_value());
        CHECK_FALSE(strata::database_path_problem(":memory:.db").has_value());
    }
}

TEST_SUITE("e2e_database_path") {
    TEST_CASE("strata.toml: an in-memory, empty-after-expansion or URI database is refused at its "
              "line") {
        TempDir dir;
        ProjectSpec project;
        project.apps.push_back(users_notes_tags_app());
        std::string expected;
        RunOptions opts = in_dir(dir.path());
        SUBCASE(":memory:") {
            project.database = ":memory:";
            expected = "strata.toml:1:12: the database path \":memory:\" names an in-memory "
                       "database, which keeps nothing";
        }
        SUBCASE("file: URI with mode=memory") {
            project.database = "file:app.db?mode=memory";
            expected = "strata.toml:1:12: the database path \"file:app.db?mode=memory\" is a URI";
        }
        SUBCASE("plain file: URI") {
            project.database = "file:app.db";
            expected = "strata.toml:1:12: the database path \"file:app.db\" is a URI";
        }
        SUBCASE("an environment default that expands to :memory:") {
            project.database = "${STRATA_TEST_DB:-:memory:}";
            opts.unset_env.push_back("STRATA_TEST_DB");
            expected = "strata.toml:1:12: the database path \":memory:\" names an in-memory";
        }
        write_project(dir.path(), project);
        auto r = run_strata({"forwards"}, opts);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "strata: error: " + expected));
        CHECK(stray_files(dir.path()).empty());
    }

    TEST_CASE("--database and STRATA_DATABASE: empty, :memory: or URI values are refused, naming "
              "their origin") {
        TempDir dir;
        write_standard_project(dir.path());
        RunOptions opts = in_dir(dir.path());
        std::vector<std::string> args;
        std::string expected;
        SUBCASE("--database \"\" (an unset shell variable)") {
            args = {"--database", "", "forwards"};
            expected = "the database path \"\" given by --database is empty";
        }
        SUBCASE("--database :memory:") {
            args = {"--database", ":memory:", "forwards"};
            expected = "the database path \":memory:\" given by --database names an in-memory";
        }
        SUBCASE("--database file:app.db?nolock=1") {
            args = {"--database", "file:app.db?nolock=1", "forwards"};
            expected = "the database path \"file:app.db?nolock=1\" given by --database is a URI";
        }
        SUBCASE("STRATA_DATABASE=:memory:") {
            args = {"forwards"};
            opts.env.emplace_back("STRATA_DATABASE", ":memory:");
            expected = "given by the environment variable STRATA_DATABASE names an in-memory";
        }
        SUBCASE("STRATA_DATABASE set but empty") {
            args = {"forwards"};
            opts.env.emplace_back("STRATA_DATABASE", "");
            expected = "given by the environment variable STRATA_DATABASE is empty";
        }
        auto r = run_strata(args, opts);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, expected));
        CHECK(stray_files(dir.path()).empty());
    }

    TEST_CASE("a database path that is a FIFO or a folder is refused before it is opened") {
        TempDir dir;
        write_standard_project(dir.path());
        SUBCASE("FIFO: check does not block") {
            REQUIRE(::mkfifo((dir / "app.db").c_str(), 0600) == 0);
            for (const char* command : {"check", "forwards", "schema"}) {
                auto r = run_strata({command}, in_dir(dir.path()));
                INFO(command << " stderr: " << r.err);
                CHECK(r.exit_code == 5);
                CHECK(contains(r.err, "the database path app.db is a FIFO, not a database file"));
            }
        }
        SUBCASE("folder") {
            std::filesystem::create_directory(dir / "app.db");
            auto r = run_strata({"forwards"}, in_dir(dir.path()));
            INFO("stderr: " << r.err);
            CHECK(r.exit_code == 5);
            CHECK(contains(r.err, "the database path app.db is a directory"));
        }
    }

    TEST_CASE("a relative database path starting with \"file:\" inside a folder is a file") {
        TempDir dir;
        write_standard_project(dir.path());
        std::filesystem::create_directory(dir / "data");
        auto r = run_strata({"--database", "./file:app.db", "forwards"}, in_dir(dir.path()));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(migration_rows(dir / "file:app.db").size() == 3);
    }
}
