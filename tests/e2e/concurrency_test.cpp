// SPDX-License-Identifier: MIT
// Several `strata forwards` processes released at the same instant on one database.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/sqlite_probe.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <cctype>

using namespace strata::test;

namespace {

constexpr int k_migrations = 6;

std::string id_of(int n) {
    std::string id = std::to_string(n);
    return std::string(4 - id.size(), '0') + id;
}

// Each migration creates a table and records itself in side_effects, which has no unique key:
// a migration applied twice would leave two rows.
void write_side_effect_project(const std::filesystem::path& root,
                               const std::string& extra_top_level = "") {
    AppSpec app;
    app.name = "core";
    for (int n = 1; n <= k_migrations; ++n) {
        std::string id = id_of(n);
        std::string up;
        if (n == 1)
            up += "CREATE TABLE side_effects (migration TEXT);\n";
        up += "CREATE TABLE t" + id + " (x);\n";
        up += "INSERT INTO side_effects VALUES ('" + id + "');\n";
        std::string down = "DELETE FROM side_effects WHERE migration = '" + id + "';\n" +
                           "DROP TABLE t" + id + ";\n";
        if (n == 1)
            down += "DROP TABLE side_effects;\n";
        app.migrations.push_back({id, "step_" + id, up, down});
    }
    ProjectSpec project;
    project.apps.push_back(app);
    project.extra_top_level = extra_top_level;
    write_project(root, project);
}

// Every process succeeded quietly and, across all of them, each migration was applied once;
// the ones from `first_pending` on were applied by exactly one of these processes.
void check_applied_exactly_once(const std::vector<RunResult>& results,
                                const std::filesystem::path& db, int first_pending) {
    std::string all_out;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& r = results[i];
        CAPTURE(i);
        INFO("stdout: " << r.out);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.err.find("already exists") == std::string::npos);
        CHECK(r.err.find("strata: error") == std::string::npos);
        all_out += r.out;
    }
    std::vector<std::pair<std::string, std::string>> expected_rows;
    for (int n = 1; n <= k_migrations; ++n) {
        std::string id = id_of(n);
        CAPTURE(id);
        expected_rows.emplace_back("core", id);
        CHECK(query_int(db, "SELECT count(*) FROM side_effects WHERE migration = '" + id + "'") ==
              1);
        CHECK(has_table(db, "t" + id));
        INFO("all stdout: " << all_out);
        CHECK(count_of(all_out, "Applying core " + id + " (step " + id + ") ... ok (") ==
              (n >= first_pending ? 1U : 0U));
    }
    CHECK(query_int(db, "SELECT count(*) FROM side_effects") == k_migrations);
    CHECK(migration_rows(db) == expected_rows);
}

} // namespace

TEST_SUITE("e2e_concurrency") {
    TEST_CASE("concurrent forwards on a missing database apply each migration exactly once") {
        TempDir dir;
        write_side_effect_project(dir.path());
        std::size_t processes = 2;
        SUBCASE("2 processes") {
            processes = 2;
        }
        SUBCASE("8 processes") {
            processes = 8;
        }
        CAPTURE(processes);

        auto results = run_strata_together(
            std::vector<std::vector<std::string>>(processes, {"forwards"}), in_dir(dir.path()));
        REQUIRE(results.size() == processes);
        check_applied_exactly_once(results, dir / "app.db", 1);
    }

    TEST_CASE("concurrent forwards on a half-migrated database apply each migration once") {
        TempDir dir;
        write_side_effect_project(dir.path());
        REQUIRE(run_strata({"forwards", "core", "0003"}, in_dir(dir.path())).exit_code == 0);
        std::size_t processes = 2;
        SUBCASE("2 processes") {
            processes = 2;
        }
        SUBCASE("8 processes") {
            processes = 8;
        }
        CAPTURE(processes);

        auto results = run_strata_together(
            std::vector<std::vector<std::string>>(processes, {"forwards"}), in_dir(dir.path()));
        REQUIRE(results.size() == processes);
        check_applied_exactly_once(results, dir / "app.db", 4);
    }

    TEST_CASE("a database locked past busy_timeout_ms exits 4 and changes nothing") {
        TempDir dir;
        write_side_effect_project(dir.path(), "busy_timeout_ms = 50\n");
        auto db = dir / "app.db";
        REQUIRE(run_strata({"forwards", "core", "1"}, in_dir(dir.path())).exit_code == 0);
        FileSnapshot before(db);

        RunResult r;
        {
            HeldWriteLock lock(db);
            r = run_strata({"forwards"}, in_dir(dir.path()));
        }
        INFO("stdout: " << r.out);
        CHECK(r.exit_code == 4);
        CHECK(r.err.rfind("strata: error: ", 0) == 0);
        std::string lower = r.err;
        for (auto& c : lower)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        CHECK(lower.find("lock") != std::string::npos);
        CHECK(before.unchanged());
        CHECK(query_int(db, "SELECT count(*) FROM side_effects") == 1);
    }
}
