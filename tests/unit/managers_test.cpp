// SPDX-License-Identifier: MIT
#include "strata/loader/loader.hpp"
#include "strata/strata.hpp"
#include "support/code_project.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <thread>
#include <vector>

using namespace strata;
using strata::test::read_file;
using strata::test::table_exists;
using strata::test::TempDir;
using strata::test::TestDatabase;
using strata::test::write_file;

namespace {

// A project with one app "core" and three migrations creating t1..t3.
struct Fixture {
    TempDir dir;
    Project project;

    Fixture() : project(test::core_project(dir.path())) {
        for (int i = 1; i <= 3; ++i) {
            const std::string table = "t" + std::to_string(i);
            test::add_migration(project, "000" + std::to_string(i) + "_create_" + table,
                                "CREATE TABLE " + table + " (x);\n", "DROP TABLE " + table + ";\n");
        }
    }

    int table_count() const {
        TestDatabase db(project.database.string(), SQLITE_OPEN_READONLY);
        return sqlite::query_int64(db, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 't_'");
    }
};

struct ScriptedPrompter : Prompter {
    bool answer;
    int asked = 0;
    std::string question;
    explicit ScriptedPrompter(bool a) : answer(a) {}
    bool confirm(const std::string& q) override {
        ++asked;
        question = q;
        return answer;
    }
};

std::filesystem::path up_file(const Fixture& f, int i) {
    return f.project.apps[0].migrations_dir /
           ("000" + std::to_string(i) + "_create_t" + std::to_string(i) + ".up.sql");
}

void remove_migration(const Fixture& f, int i) {
    const auto up = up_file(f, i);
    std::filesystem::remove(up);
    std::filesystem::remove(up.parent_path() / (up.stem().stem().string() + ".down.sql"));
}

// The kind of the Error `run` throws; fails the test when it throws none.
template <typename Run>
ErrorKind kind_thrown(Run run) {
    try {
        run();
    } catch (const Error& e) {
        return e.kind();
    }
    FAIL("expected an Error");
    return ErrorKind::Usage;
}

std::vector<std::string> recorded_checksums(const Fixture& f) {
    TestDatabase db(f.project.database.string(), SQLITE_OPEN_READONLY);
    sqlite::Statement query(db, "SELECT checksum FROM migrations ORDER BY id");
    std::vector<std::string> sums;
    while (query.step())
        sums.push_back(query.column_text(0));
    return sums;
}

std::vector<MigrationState> states(const Fixture& f) {
    std::vector<MigrationState> out;
    for (const auto& status : CheckMigrationManager(Context{f.project}).get_migration_statuses())
        out.push_back(status.state);
    return out;
}

} // namespace

TEST_SUITE("managers") {
    TEST_CASE("forwards applies everything, then has nothing to do") {
        Fixture f;
        Context context{f.project};
        auto result = ForwardsMigrationManager(context).run();
        CHECK(result.success);
        CHECK(result.message == "Applied 3 migrations.");
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
        CHECK(ForwardsMigrationManager(context, {.preview = true}).run().success);
        CHECK(previews.count == 3);
        CHECK_FALSE(std::filesystem::exists(f.project.database));
    }

    TEST_CASE("an unknown id is an error and creates nothing") {
        Fixture f;
        Context context{f.project};
        CHECK_THROWS_AS(
            ForwardsMigrationManager(context, {.app = "core", .target = MigrationId("42")}).run(),
            Error);
        CHECK_FALSE(std::filesystem::exists(f.project.database));
    }

    TEST_CASE("backwards asks, and a no changes nothing") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}).run();
        ScriptedPrompter no(false);
        auto result =
            BackwardsMigrationManager(Context{f.project, nullptr, &no}, {.app = "core"}).run();
        CHECK_FALSE(result.success);
        CHECK(result.message == "Not proceeding.");
        CHECK(no.asked == 1);
        CHECK(f.table_count() == 3);

        ScriptedPrompter yes(true);
        result = BackwardsMigrationManager(Context{f.project, nullptr, &yes},
                                           {.app = "core", .target = All{}})
                     .run();
        CHECK(result.success);
        CHECK(result.message == "Reversed 3 migrations.");
        CHECK(f.table_count() == 0);
    }

    TEST_CASE("backwards without a prompter needs auto_agree") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}).run();
        CHECK_THROWS_AS(BackwardsMigrationManager(Context{f.project}, {.app = "core"}).run(),
                        Error);
        CHECK(BackwardsMigrationManager(Context{f.project}, {.app = "core", .auto_agree = true})
                  .run()
                  .success);
        CHECK(f.table_count() == 2);
        CHECK(BackwardsMigrationManager(Context{f.project},
                                        {.app = "core", .target = Count{5}, .auto_agree = true})
                  .run()
                  .message == "Reversed 2 migrations.");
        CHECK(BackwardsMigrationManager(Context{f.project}, {.app = "core", .auto_agree = true})
                  .run()
                  .message == "No migrations to reverse!");
    }

    TEST_CASE("goto moves forwards and backwards") {
        Fixture f;
        Context context{f.project};
        CHECK(GotoMigrationManager(context, {.app = "core", .target = MigrationId("0002")})
                  .run()
                  .message == "Applied 2 migrations.");
        CHECK(f.table_count() == 2);
        CHECK(
            GotoMigrationManager(context, {.app = "core", .target = Initial{}, .auto_agree = true})
                .run()
                .message == "Reversed 2 migrations.");
        CHECK(f.table_count() == 0);
    }

    TEST_CASE("check reports statuses in forwards order without creating the database") {
        Fixture f;
        Context context{f.project};
        auto statuses = CheckMigrationManager(context).get_migration_statuses();
        REQUIRE(statuses.size() == 3);
        CHECK_FALSE(statuses[0].has_ran);
        CHECK_FALSE(std::filesystem::exists(f.project.database));

        ForwardsMigrationManager(context, {.app = "core", .target = Count{1}}).run();
        statuses = CheckMigrationManager(context, {.app = "core"}).get_migration_statuses();
        CHECK(statuses[0].migration_id.text() == "0001");
        CHECK(statuses[0].description == "create t1");
        CHECK(statuses[0].has_ran);
        CHECK_FALSE(statuses[0].ran_on.empty());
        CHECK_FALSE(statuses[1].has_ran);
        CHECK(statuses[1].ran_on.empty());
    }

    TEST_CASE("an unknown app is a usage error") {
        Fixture f;
        try {
            ForwardsMigrationManager(Context{f.project}, {.app = "nope"}).run();
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Usage);
        }
    }

    TEST_CASE("check tells applied, modified, missing and pending apart") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}, {.app = "core", .target = MigrationId("0002")})
            .run();
        using S = MigrationState;
        CHECK(states(f) == std::vector<S>{S::Applied, S::Applied, S::Pending});

        write_file(up_file(f, 1), "CREATE TABLE t1 (x, y);\n");
        remove_migration(f, 2);
        auto statuses = CheckMigrationManager(Context{f.project}).get_migration_statuses();
        REQUIRE(statuses.size() == 3);
        CHECK(statuses[0].state == S::Modified);
        CHECK(statuses[0].has_ran);
        CHECK(statuses[1].state == S::Missing);
        CHECK(statuses[1].migration_id.text() == "0002");
        CHECK(statuses[1].description == "create t2"); // from the state row
        CHECK(statuses[1].has_ran);
        CHECK_FALSE(statuses[1].ran_on.empty());
        CHECK(statuses[2].state == S::Pending);
        CHECK(state_name(S::Modified) == "modified");
        CHECK(state_name(S::Missing) == "missing");
    }

    TEST_CASE("forwards refuses while an applied migration is modified, unless allowed") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}, {.app = "core", .target = MigrationId("0002")})
            .run();
        const auto sums = recorded_checksums(f);
        write_file(up_file(f, 1), "CREATE TABLE t1 (x, y);\n");

        CHECK(kind_thrown([&] { ForwardsMigrationManager(Context{f.project}).run(); }) ==
              ErrorKind::Drift);
        CHECK(f.table_count() == 2);
        // Nothing pending changes nothing: an edited history is refused all the same.
        CHECK(kind_thrown([&] {
                  ForwardsMigrationManager(Context{f.project},
                                           {.app = "core", .target = MigrationId("0001")})
                      .run();
              }) == ErrorKind::Drift);

        Context allowed{f.project};
        allowed.allow_modified = true;
        CHECK(ForwardsMigrationManager(allowed).run().message == "Applied 1 migration.");
        CHECK(f.table_count() == 3);
        CHECK(recorded_checksums(f)[0] == sums[0]); // --allow-modified records nothing new
    }

    TEST_CASE("forwards refuses a migration older than the newest applied one, unless allowed") {
        Fixture f;
        remove_migration(f, 2);
        ForwardsMigrationManager(Context{f.project}).run(); // 0001 and 0003
        write_file(up_file(f, 2), "CREATE TABLE t2 (x);\n");
        write_file(up_file(f, 2).parent_path() / "0002_create_t2.down.sql", "DROP TABLE t2;\n");
        write_file(up_file(f, 2).parent_path() / "0004_create_t4.up.sql", "CREATE TABLE t4 (x);\n");
        write_file(up_file(f, 2).parent_path() / "0004_create_t4.down.sql", "DROP TABLE t4;\n");

        CHECK(kind_thrown([&] { ForwardsMigrationManager(Context{f.project}).run(); }) ==
              ErrorKind::Drift);
        CHECK(kind_thrown([&] {
                  ForwardsMigrationManager(Context{f.project}, {.app = "core", .target = Count{1}})
                      .run();
              }) == ErrorKind::Drift);
        CHECK(f.table_count() == 2);

        f.project.settings.out_of_order = OutOfOrder::Allow;
        struct Order : RunObserver {
            std::vector<std::string> ids;
            void on_step_finished(const Step& step, std::chrono::microseconds) override {
                ids.push_back(step.migration_id.text());
            }
        } order;
        CHECK(ForwardsMigrationManager(Context{f.project, &order}).run().message ==
              "Applied 2 migrations.");
        CHECK(order.ids == std::vector<std::string>{"0002", "0004"});
    }

    TEST_CASE("forwards refuses while the database holds migrations the project does not have") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}).run();
        remove_migration(f, 3);
        CHECK(kind_thrown([&] { ForwardsMigrationManager(Context{f.project}).run(); }) ==
              ErrorKind::NewerDatabase);
        CHECK(f.table_count() == 3);
    }

    TEST_CASE("repair records the current checksum, then forwards proceeds") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}, {.app = "core", .target = MigrationId("0002")})
            .run();
        const auto before = recorded_checksums(f);
        CHECK(RepairMigrationManager(Context{f.project}, {.app = "core"}).run().message ==
              "Nothing to repair: no applied migration of core was modified.");

        write_file(up_file(f, 2), "CREATE TABLE t2 (x, y);\n");
        const std::string now = load_migrations(f.project.apps[0]).migrations[1].checksum;
        const auto result = RepairMigrationManager(Context{f.project}, {.app = "core"}).run();
        CHECK(result.success);
        CHECK(result.message == "Repaired core 0002 (create t2): checksum " +
                                    before[1].substr(0, 8) + "… -> " + now.substr(0, 8) + "…");
        CHECK(recorded_checksums(f) == std::vector<std::string>{before[0], now});
        CHECK(ForwardsMigrationManager(Context{f.project}).run().message == "Applied 1 migration.");
        CHECK(RepairMigrationManager(Context{f.project}, {}).run().message ==
              "Nothing to repair: no applied migration of any app was modified.");
    }

    TEST_CASE("repair of one id") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}, {.app = "core", .target = MigrationId("0002")})
            .run();
        write_file(up_file(f, 1), "CREATE TABLE t1 (x, y);\n");
        write_file(up_file(f, 2), "CREATE TABLE t2 (x, y);\n");
        const auto before = recorded_checksums(f);

        CHECK(RepairMigrationManager(Context{f.project},
                                     {.app = "core", .migration = MigrationId("2")})
                  .run()
                  .message.starts_with("Repaired core 0002 (create t2): checksum "));
        const auto after = recorded_checksums(f);
        CHECK(after[0] == before[0]); // only the one named
        CHECK(after[1] != before[1]);
        CHECK(RepairMigrationManager(
                  Context{f.project},
                  {.app = "core", .migration = *parse_migration_ref("0002_create_t2")})
                  .run()
                  .message ==
              "Nothing to repair: core 0002_create_t2 matches its recorded checksum.");

        CHECK(kind_thrown([&] {
                  RepairMigrationManager(Context{f.project},
                                         {.app = "core", .migration = MigrationId("42")})
                      .run();
              }) == ErrorKind::UnknownMigration);
        CHECK(kind_thrown([&] {
                  RepairMigrationManager(Context{f.project},
                                         {.app = "core", .migration = MigrationId("3")})
                      .run();
              }) == ErrorKind::UnknownMigration); // not applied
        CHECK(kind_thrown([&] {
                  RepairMigrationManager(Context{f.project}, {.migration = MigrationId("1")}).run();
              }) == ErrorKind::Usage);
        remove_migration(f, 1);
        CHECK(kind_thrown([&] {
                  RepairMigrationManager(Context{f.project},
                                         {.app = "core", .migration = MigrationId("1")})
                      .run();
              }) == ErrorKind::Drift); // files gone: nothing to take a checksum from
    }

    TEST_CASE("repair also records the current down SQL") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}).run();
        write_file(up_file(f, 3), "CREATE TABLE t3 (x, y);\n");
        write_file(up_file(f, 3).parent_path() / "0003_create_t3.down.sql",
                   "DROP TABLE t3; -- v2\n");
        RepairMigrationManager(Context{f.project}, {.app = "core"}).run();
        TestDatabase db(f.project.database.string(), SQLITE_OPEN_READONLY);
        CHECK(sqlite::query_text(db, "SELECT down_sql FROM migrations WHERE name = '0003'") ==
              "DROP TABLE t3; -- v2\n");
    }

    TEST_CASE("clean forgets the rows whose files are gone, after asking") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}).run();
        CHECK(CleanMigrationManager(Context{f.project}, {.app = "core"}).run().message ==
              "Nothing to clean.");
        remove_migration(f, 3);

        ScriptedPrompter no(false);
        CHECK(CleanMigrationManager(Context{f.project, nullptr, &no}, {.app = "core"})
                  .run()
                  .message == "Not proceeding.");
        CHECK(no.question.starts_with("These applied migrations have no files;"));
        CHECK(no.question.find("  core 0003 (create t3), applied ") != std::string::npos);
        CHECK(no.question.ends_with("Forget 1 migration?"));
        CHECK(recorded_checksums(f).size() == 3);

        CHECK(kind_thrown([&] {
                  CleanMigrationManager(Context{f.project}, {.app = "core"}).run();
              }) == ErrorKind::Refused); // no one to ask

        ScriptedPrompter yes(true);
        const auto result =
            CleanMigrationManager(Context{f.project, nullptr, &yes}, {.app = "core"}).run();
        CHECK(result.success);
        CHECK(result.message == "Forgot core 0003 (create t3)\nCleaned 1 migration.");
        CHECK(recorded_checksums(f).size() == 2);
        CHECK(f.table_count() == 3); // its table stays: clean runs no SQL
        CHECK(ForwardsMigrationManager(Context{f.project}).run().message ==
              "No migrations need to be run");
    }

    TEST_CASE("sync at start-up rolls a release back and forwards again") {
        Fixture f;
        Context context{f.project};
        CHECK(SyncMigrationManager(context).run().message == "Applied 3 migrations.");
        CHECK(SyncMigrationManager(context).run().message ==
              "The database already matches the project.");

        // An older release: 0003 is not in its files.
        const std::string up3 = read_file(up_file(f, 3));
        remove_migration(f, 3);
        CHECK(kind_thrown([&] { SyncMigrationManager(context).run(); }) == ErrorKind::Refused);
        ScriptedPrompter no(false);
        CHECK_FALSE(SyncMigrationManager(Context{f.project, nullptr, &no}).run().success);
        CHECK(no.question == "Reverse 1 migration?");
        CHECK(f.table_count() == 3);

        CHECK(SyncMigrationManager(context, {.auto_agree = true}).run().message ==
              "Reversed 1 migration.");
        CHECK(f.table_count() == 2);
        CHECK(recorded_checksums(f).size() == 2);

        write_file(up_file(f, 3), up3);
        write_file(up_file(f, 3).parent_path() / "0003_create_t3.down.sql", "DROP TABLE t3;\n");
        CHECK(SyncMigrationManager(context, {.app = "core"}).run().message ==
              "Applied 1 migration.");
        CHECK(f.table_count() == 3);
    }

    TEST_CASE("sync reverses and applies in one run, and refuses edited history") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}, {.app = "core", .target = MigrationId("0002")})
            .run();
        remove_migration(f, 2); // applied, then gone
        ScriptedPrompter yes(true);
        Context context{f.project, nullptr, &yes};
        CHECK(SyncMigrationManager(context).run().message ==
              "Reversed 1 migration and applied 1 migration.");
        CHECK(yes.question == "Reverse 1 migration, then apply 1 migration?");

        write_file(up_file(f, 1), "CREATE TABLE t1 (x, y);\n");
        CHECK(kind_thrown([&] { SyncMigrationManager(context).run(); }) == ErrorKind::Drift);
        context.allow_modified = true;
        CHECK(SyncMigrationManager(context).run().message ==
              "The database already matches the project.");
    }

    TEST_CASE("typed targets: a count, an id, a full name, all and the place before the first") {
        Fixture f;
        CHECK(ForwardsMigrationManager(Context{f.project}, {.target = Count{2}}).run().message ==
              "Applied 2 migrations.");
        CHECK(f.table_count() == 2);
        CHECK(
            BackwardsMigrationManager(
                Context{f.project}, {.app = "core", .target = MigrationId("2"), .auto_agree = true})
                .run()
                .message == "Reversed 1 migration.");
        CHECK(f.table_count() == 1);
        CHECK(ForwardsMigrationManager(
                  Context{f.project},
                  {.app = "core", .target = *parse_migration_ref("0003_create_t3")})
                  .run()
                  .message == "Applied 2 migrations.");
        CHECK(kind_thrown([&] {
                  ForwardsMigrationManager(
                      Context{f.project},
                      {.app = "core", .target = *parse_migration_ref("0003_wrong")})
                      .run();
              }) == ErrorKind::UnknownMigration);
        CHECK(GotoMigrationManager(Context{f.project},
                                   {.app = "core", .target = MigrationId("1"), .auto_agree = true})
                  .run()
                  .message == "Reversed 2 migrations.");
        CHECK(GotoMigrationManager(Context{f.project},
                                   {.app = "core", .target = Initial{}, .auto_agree = true})
                  .run()
                  .message == "Reversed 1 migration.");
        CHECK(f.table_count() == 0);
        ForwardsMigrationManager(Context{f.project}).run();
        CHECK(BackwardsMigrationManager(Context{f.project}, {.target = All{}, .auto_agree = true})
                  .run()
                  .message == "Reversed 3 migrations.");
    }

    TEST_CASE("an app is named, or left unset for every app; \"all\" is not an app name") {
        Fixture f;
        CHECK(kind_thrown([&] {
                  ForwardsMigrationManager(Context{f.project}, {.app = "all"}).run();
              }) == ErrorKind::Usage);
        CHECK(kind_thrown([&] {
                  CheckMigrationManager(Context{f.project}, {.app = "nope"}).status();
              }) == ErrorKind::Usage);
    }

    TEST_CASE("status: up to date, pending, modified, newer than this application") {
        Fixture f;
        CheckMigrationManager check(Context{f.project});
        DatabaseStatus status = check.status();
        CHECK(status.state == DatabaseState::Pending);
        REQUIRE(status.pending.size() == 3);
        CHECK(status.pending[0].migration_id.text() == "0001");
        CHECK_FALSE(std::filesystem::exists(f.project.database)); // status never creates it

        ForwardsMigrationManager(Context{f.project}).run();
        status = check.status();
        CHECK(status.state == DatabaseState::UpToDate);
        CHECK(database_state_name(status.state) == "up to date");
        CHECK(status.pending.empty());
        CHECK(status.all.size() == 3);

        write_file(up_file(f, 2), "CREATE TABLE t2 (x, y);\n");
        status = check.status();
        CHECK(status.state == DatabaseState::Modified);
        REQUIRE(status.modified.size() == 1);
        CHECK(status.modified[0].migration_id.text() == "0002");

        // A newer release applied 0003: this program does not have it. That outranks the edit.
        remove_migration(f, 3);
        status = check.status();
        CHECK(status.state == DatabaseState::NewerThanApp);
        CHECK(database_state_name(status.state) == "newer than this application");
        REQUIRE(status.unknown.size() == 1);
        CHECK(status.unknown[0].migration_id.text() == "0003");
    }

    TEST_CASE("a database newer than the program: forwards refuses with its own kind, sync "
              "downgrades") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}).run();
        remove_migration(f, 3);
        try {
            ForwardsMigrationManager(Context{f.project}).run();
            FAIL("expected NewerDatabase");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::NewerDatabase);
            CHECK(std::string(e.what()).find("core 0003") != std::string::npos);
        }
        CHECK(f.table_count() == 3);
        CHECK(SyncMigrationManager(Context{f.project}, {.auto_agree = true}).run().message ==
              "Reversed 1 migration.");
        CHECK(f.table_count() == 2);
        CHECK(CheckMigrationManager(Context{f.project}).status().state == DatabaseState::UpToDate);
    }

    TEST_CASE("each option changes what it names") {
        Fixture f;
        // preview: nothing is created
        ForwardsMigrationManager(Context{f.project}, {.preview = true}).run();
        CHECK_FALSE(std::filesystem::exists(f.project.database));
        // fake: recorded, not run (several fake migrations need consent)
        CHECK(kind_thrown([&] {
                  ForwardsMigrationManager(Context{f.project}, {.fake = true}).run();
              }) == ErrorKind::Refused);
        ForwardsMigrationManager(Context{f.project}, {.fake = true, .auto_agree = true}).run();
        CHECK(f.table_count() == 0);
        CHECK(CheckMigrationManager(Context{f.project}).status().state == DatabaseState::UpToDate);
    }

    TEST_CASE("backwards options: auto_agree, preview") {
        Fixture f;
        ForwardsMigrationManager(Context{f.project}).run();
        // auto_agree: reversing without a prompter needs it
        CHECK(kind_thrown([&] {
                  BackwardsMigrationManager(Context{f.project}, {.app = "core", .target = All{}})
                      .run();
              }) == ErrorKind::Refused);
        CHECK(BackwardsMigrationManager(Context{f.project},
                                        {.app = "core", .target = All{}, .preview = true})
                  .run()
                  .success);
        CHECK(recorded_checksums(f).size() == 3);
        CHECK(BackwardsMigrationManager(Context{f.project},
                                        {.app = "core", .target = All{}, .auto_agree = true})
                  .run()
                  .success);
        CHECK(recorded_checksums(f).empty());
    }

    TEST_CASE("threads: several threads migrating one database apply each migration once") {
        Fixture f;
        struct Counting : RunObserver {
            int finished = 0;
            void on_step_finished(const Step&, std::chrono::microseconds) override { ++finished; }
        };
        constexpr int k_threads = 4;
        std::vector<Counting> observers(k_threads);
        std::vector<std::optional<ErrorKind>> failures(k_threads);
        std::vector<std::thread> threads;
        for (int i = 0; i < k_threads; ++i)
            threads.emplace_back([&, i] {
                try {
                    ForwardsMigrationManager(
                        Context{.project = f.project, .observer = &observers[i]})
                        .run();
                } catch (const Error& e) {
                    failures[i] = e.kind();
                }
            });
        for (std::thread& thread : threads)
            thread.join();
        int applied = 0;
        for (int i = 0; i < k_threads; ++i) {
            CHECK_FALSE(failures[i].has_value());
            applied += observers[i].finished;
        }
        CHECK(applied == 3);
        CHECK(f.table_count() == 3);
        CHECK(recorded_checksums(f).size() == 3);
    }
}

namespace {

// Fixture's "core" plus "notes" (one migration), which depends on core.
struct DependentFixture : Fixture {
    DependentFixture() {
        AppConfig notes;
        notes.name = "notes";
        notes.migrations_dir = dir / "notes";
        notes.depends_on = {"core"};
        project.apps.push_back(notes);
        write_file(notes.migrations_dir / "0001_create_n.up.sql", "CREATE TABLE n (x);\n");
        write_file(notes.migrations_dir / "0001_create_n.down.sql", "DROP TABLE n;\n");
    }
};

struct NoticeRecorder : RunObserver {
    std::vector<std::string> notices;
    void on_notice(std::string_view text) override { notices.emplace_back(text); }
};

} // namespace

TEST_SUITE("managers") {
    TEST_CASE("one app's forwards applies the apps it depends on first, and says so") {
        DependentFixture f;
        NoticeRecorder observer;
        Context context{f.project, &observer};
        MigrationResult result = ForwardsMigrationManager(context, {.app = "notes"}).run();
        CHECK(result.success);
        CHECK(f.table_count() == 3);
        CHECK(observer.notices ==
              std::vector<std::string>{"notes depends on core: applying core first"});
        TestDatabase db(f.project.database.string(), SQLITE_OPEN_READONLY);
        CHECK(sqlite::query_int64(db, "SELECT count(*) FROM migrations WHERE app_name = 'notes'") ==
              1);
    }

    TEST_CASE("backwards and goto refuse an app while a dependent app has migrations applied") {
        DependentFixture f;
        Context context{f.project};
        REQUIRE(ForwardsMigrationManager(context).run().success);
        CHECK(kind_thrown([&] {
                  BackwardsMigrationManager(context, {.app = "core", .auto_agree = true}).run();
              }) == ErrorKind::Refused);
        CHECK(kind_thrown([&] {
                  GotoMigrationManager(context, {.app = "core", .auto_agree = true}).run();
              }) == ErrorKind::Refused);
        CHECK(f.table_count() == 3);
        // Every app together is fine: dependents go first.
        CHECK(BackwardsMigrationManager(context, {.target = All{}, .auto_agree = true})
                  .run()
                  .success);
        CHECK(f.table_count() == 0);
    }

    TEST_CASE("redo reverses the latest migration and applies it again; only_app picks the app") {
        Fixture f;
        Context context{f.project};
        REQUIRE(ForwardsMigrationManager(context).run().success);
        write_file(up_file(f, 3), "CREATE TABLE t3 (x, y);\n");
        MigrationResult result = RedoMigrationManager(context, {.auto_agree = true}).run();
        CHECK(result.message == "Redid core 0003 (create t3).");
        TestDatabase db(f.project.database.string(), SQLITE_OPEN_READONLY);
        CHECK(sqlite::query_int64(db, "SELECT count(*) FROM pragma_table_info('t3')") == 2);
        CHECK(CheckMigrationManager(context).status().state == DatabaseState::UpToDate);

        DependentFixture two;
        Context two_apps{two.project};
        CHECK(kind_thrown([&] { RedoMigrationManager(two_apps, {.auto_agree = true}).run(); }) ==
              ErrorKind::Usage);
        CHECK(&only_app(f.project, OneAppCommand::Backwards) == &f.project.apps.front());
    }
}
