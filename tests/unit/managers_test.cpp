// SPDX-License-Identifier: MIT
#include "core/strata.hpp"
#include "support/temp_dir.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

using namespace strata;
using strata::test::TempDir;
using strata::test::write_file;

namespace {

// A project with one app "core" and three migrations creating t1..t3.
struct Fixture {
    TempDir dir;
    Project project;

    Fixture() {
        project.file = dir / "strata.toml";
        project.database = dir / "app.db";
        AppConfig app;
        app.name = "core";
        app.migrations_dir = dir / "migrations";
        project.apps.push_back(app);
        for (int i = 1; i <= 3; ++i) {
            const std::string name = "000" + std::to_string(i) + "_create_t" + std::to_string(i);
            write_file(app.migrations_dir / (name + ".up.sql"),
                       "CREATE TABLE t" + std::to_string(i) + " (x);\n");
            write_file(app.migrations_dir / (name + ".down.sql"),
                       "DROP TABLE t" + std::to_string(i) + ";\n");
        }
    }

    int table_count() const {
        SQLite::Database db(project.database.string(), SQLite::OPEN_READONLY);
        return db.execAndGet("SELECT count(*) FROM sqlite_schema WHERE name LIKE 't_'").getInt();
    }
};

struct ScriptedPrompter : Prompter {
    bool answer;
    int asked = 0;
    explicit ScriptedPrompter(bool a) : answer(a) {}
    bool confirm(const std::string&) override {
        ++asked;
        return answer;
    }
};

} // namespace

TEST_SUITE("managers") {
    TEST_CASE("forwards applies everything, then has nothing to do") {
        Fixture f;
        Context context{f.project};
        auto result = ForwardsMigrationManager(context).run();
        CHECK(result.success);
        CHECK(result.message == "Applied 3 migration(s).");
        CHECK(f.table_count() == 3);
        result = ForwardsMigrationManager(context).run();
        CHECK(result.message == "No migrations need to be run");
    }

    TEST_CASE("preview neither creates the database nor runs anything") {
        Fixture f;
        Context context{f.project};
        struct Previews : RunObserver {
            int count = 0;
            void on_preview(const Step&) override { ++count; }
        } previews;
        context.observer = &previews;
        CHECK(ForwardsMigrationManager(context, "all", "all", false, true).run().success);
        CHECK(previews.count == 3);
        CHECK_FALSE(std::filesystem::exists(f.project.database));
    }

    TEST_CASE("an unknown id is an error and creates nothing") {
        Fixture f;
        Context context{f.project};
        CHECK_THROWS_AS(ForwardsMigrationManager(context, "core", "42").run(), Error);
        CHECK_FALSE(std::filesystem::exists(f.project.database));
    }

    TEST_CASE("backwards asks, and a no changes nothing") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}).run();
        ScriptedPrompter no(false);
        auto result = BackwardsMigrationManager(Context{f.project, nullptr, &no}, "core").run();
        CHECK_FALSE(result.success);
        CHECK(result.message == "Not proceeding.");
        CHECK(no.asked == 1);
        CHECK(f.table_count() == 3);

        ScriptedPrompter yes(true);
        result = BackwardsMigrationManager(Context{f.project, nullptr, &yes}, "core", "all").run();
        CHECK(result.success);
        CHECK(result.message == "Reversed 3 migration(s).");
        CHECK(f.table_count() == 0);
    }

    TEST_CASE("backwards without a prompter needs auto_agree") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}).run();
        CHECK_THROWS_AS(BackwardsMigrationManager(Context{f.project}, "core").run(), Error);
        CHECK(run_backwards(Context{f.project}, "core", "1", true).success);
        CHECK(f.table_count() == 2);
        CHECK(BackwardsMigrationManager(Context{f.project}, "core", "1", true)
                  .with_steps(5)
                  .run()
                  .message == "Reversed 2 migration(s).");
        CHECK(BackwardsMigrationManager(Context{f.project}, "core", "1", true).run().message ==
              "No migrations to reverse!");
    }

    TEST_CASE("goto moves forwards and backwards") {
        Fixture f;
        Context context{f.project};
        CHECK(GotoMigrationManager(context, "core", "0002").run().message ==
              "Applied 2 migration(s).");
        CHECK(f.table_count() == 2);
        CHECK(GotoMigrationManager(context, "core", "0", true).run().message ==
              "Reversed 2 migration(s).");
        CHECK(f.table_count() == 0);
    }

    TEST_CASE("check reports statuses in forwards order without creating the database") {
        Fixture f;
        Context context{f.project};
        auto statuses = CheckMigrationManager(context).get_migration_statuses();
        REQUIRE(statuses.size() == 3);
        CHECK_FALSE(statuses[0].has_ran);
        CHECK_FALSE(std::filesystem::exists(f.project.database));

        ForwardsMigrationManager(context, "core", "1").run();
        statuses = CheckMigrationManager(context, "core").get_migration_statuses();
        CHECK(statuses[0].migration_id == "0001");
        CHECK(statuses[0].description == "create t1");
        CHECK(statuses[0].has_ran);
        CHECK_FALSE(statuses[0].ran_on.empty());
        CHECK_FALSE(statuses[1].has_ran);
        CHECK(statuses[1].ran_on.empty());
    }

    TEST_CASE("an unknown app is a usage error") {
        Fixture f;
        try {
            ForwardsMigrationManager(Context{f.project}, "nope").run();
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Usage);
        }
    }
}
