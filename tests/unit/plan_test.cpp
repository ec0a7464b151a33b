// SPDX-License-Identifier: MIT
#include "strata/error.hpp"
#include "strata/plan/plan.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace strata;

namespace {

// The command line's words for targets, so the tables below read as users type them.
MigrationRef ref_of(std::string_view text) {
    auto ref = parse_migration_ref(text);
    if (!ref)
        throw Error(ErrorKind::UnknownMigration, "not an id: " + std::string(text));
    return *ref;
}
Plan forwards_to(const MigrationSet& set, const std::vector<AppliedMigration>& rows,
                 std::string_view word) {
    if (word == "all")
        return plan_forwards(set, rows, Latest{});
    if (word == "1")
        return plan_forwards(set, rows, Count{1});
    return plan_forwards(set, rows, ref_of(word));
}
// The same with the set given up: its planned migrations' texts move into the steps.
Plan forwards_taking(MigrationSet& set, const std::vector<AppliedMigration>& rows,
                     std::string_view word) {
    if (word == "all")
        return plan_forwards(std::move(set), rows, Latest{});
    if (word == "1")
        return plan_forwards(std::move(set), rows, Count{1});
    return plan_forwards(std::move(set), rows, ref_of(word));
}
Plan backwards_to(const MigrationSet& set, const std::vector<AppliedMigration>& rows,
                  std::string_view word) {
    if (word == "all")
        return plan_backwards(set, rows, All{});
    if (word == "1")
        return plan_backwards(set, rows, Count{1});
    return plan_backwards(set, rows, ref_of(word));
}
Plan goto_to(const MigrationSet& set, const std::vector<AppliedMigration>& rows,
             std::string_view word) {
    if (auto id = MigrationId::parse(word); id && id->key() == "0")
        return plan_goto(set, rows, Initial{});
    return plan_goto(set, rows, ref_of(word));
}

MigrationSet make_set(const std::vector<std::string>& ids) {
    MigrationSet set;
    set.app_name = "core";
    for (const auto& id : ids) {
        Migration m;
        m.app_name = "core";
        m.id = MigrationId(id);
        m.name = id + "_m" + id;
        m.description = "m" + id;
        m.up_sql = "-- up " + id;
        m.down_sql = "-- down " + id;
        m.path_prefix = std::make_shared<const std::string>("/p/");
        set.migrations.push_back(m);
    }
    return set;
}

// Rows in run order; `ids` may be out of id order to model an out-of-order history.
std::vector<AppliedMigration> applied(const std::vector<std::string>& ids) {
    std::vector<AppliedMigration> rows;
    std::int64_t row_id = 0;
    for (const auto& id : ids) {
        AppliedMigration row;
        row.row_id = ++row_id;
        row.app_name = "core";
        row.migration_id = MigrationId(id);
        row.description = "m" + id;
        row.down_sql = "-- stored down " + id;
        rows.push_back(row);
    }
    return rows;
}

// "F1 F2" / "B3 B2": direction and id of each step, for compact expectations.
std::string shape(const Plan& plan) {
    std::string out;
    for (const Step& s : plan.steps) {
        if (!out.empty())
            out += ' ';
        out += (s.direction == Direction::Forwards ? 'F' : 'B') + s.migration_id.text();
    }
    return out;
}

} // namespace

TEST_SUITE("plan") {
    TEST_CASE("forwards selects by target") {
        const auto set = make_set({"1", "2", "3", "10"});
        struct Row {
            std::vector<std::string> done;
            std::string target;
            std::string expected;
        };
        const std::vector<Row> rows = {
            {{}, "all", "F1 F2 F3 F10"},
            {{"1"}, "all", "F2 F3 F10"},
            {{}, "1", "F1"},
            {{"1", "2"}, "1", "F3"},
            {{}, "3", "F1 F2 F3"},
            {{"1"}, "3_m3", "F2 F3"},
            {{}, "0010", "F1 F2 F3 F10"},
            {{"1", "2", "3", "10"}, "all", ""},
            {{"2"}, "all", "F1 F3 F10"}, // planning fills a gap; drift.hpp decides if it may run
            {{"10", "1", "3"}, "all", "F2"}, // rows in run order, not id order
            {{"01", "3"}, "all", "F2 F10"},  // "01" is the id 1
        };
        for (const auto& row : rows) {
            CAPTURE(row.target);
            CHECK(shape(forwards_to(set, applied(row.done), row.target)) == row.expected);
            MigrationSet given_up = set;
            CHECK(shape(forwards_taking(given_up, applied(row.done), row.target)) == row.expected);
        }
    }

    TEST_CASE("a set given up moves its planned migrations' texts into the steps") {
        auto set = make_set({"1", "2", "3"});
        for (Migration& m : set.migrations)
            m.checksum = "sum " + m.id.text();
        const Plan copied = forwards_to(set, applied({"1"}), "2");
        const Plan moved = forwards_taking(set, applied({"1"}), "2");
        REQUIRE(moved.steps.size() == 1);
        for (const Plan* plan : {&copied, &moved}) {
            const Step& step = plan->steps[0];
            CHECK(step.sql == "-- up 2");
            CHECK(step.checksum == "sum 2");
            CHECK(step.sql_path() == "/p/2_m2.up.sql");
            CHECK(step.down_sql == "-- down 2");
            CHECK(step.label() == "core 2 (m2)");
        }
        // Moved out of the planned migration only; the others keep theirs.
        CHECK(set.migrations[1].up_sql.empty());
        CHECK(set.migrations[1].checksum.empty());
        CHECK(set.migrations[0].up_sql == "-- up 1");
        CHECK(set.migrations[2].up_sql == "-- up 3");
        CHECK(set.migrations[2].checksum == "sum 3");
        CHECK(set.migrations[2].down_sql.text() == "-- down 3");
        // The planned migration keeps what finding it by id needs, and nothing else.
        const Migration& planned = set.migrations[1];
        CHECK(planned.down_sql.text().empty());
        CHECK(planned.description.empty());
        CHECK(planned.name.empty());
        CHECK(planned.path_prefix == nullptr);
        CHECK(set.find(MigrationId("2")) == &planned);
    }

    TEST_CASE("a set given up loses the planned migrations at its front") {
        // On a new database every migration is planned, and each leaves the set once its step
        // is made: the set ends empty.
        auto fresh = make_set({"1", "2", "3"});
        CHECK(shape(forwards_taking(fresh, {}, "all")) == "F1 F2 F3");
        CHECK(fresh.migrations.empty());
        // Behind an applied migration the planned ones stay (hollow) and are still found.
        auto partly = make_set({"1", "2", "3"});
        CHECK(shape(forwards_taking(partly, applied({"2"}), "all")) == "F1 F3");
        REQUIRE(partly.migrations.size() == 2);
        CHECK(partly.migrations[0].id.text() == "2");
        CHECK(partly.find(MigrationId("3")) == &partly.migrations[1]);
        CHECK(partly.migrations[1].up_sql.empty());
    }

    TEST_CASE("DownSql::take moves the text out unless a copy shares it") {
        DownSql shared(std::string("DROP TABLE t;"));
        const DownSql copy = shared;
        CHECK(shared.take() == "DROP TABLE t;");
        CHECK(copy.text() == "DROP TABLE t;"); // the copy keeps its text
        CHECK(shared.text().empty());

        static int reads = 0;
        const DownSql::ReadFile read = [](const MigrationSource&, const SourceEntry& file) {
            ++reads;
            return "DROP TABLE " + file.name + ";";
        };
        DownSql lazy(std::make_shared<const FolderSource>("."), SourceEntry{"u", 0}, read);
        CHECK_FALSE(lazy.loaded());
        CHECK(lazy.take() == "DROP TABLE u;"); // read on the way out
        CHECK(reads == 1);
        CHECK(lazy.text().empty());
    }

    TEST_CASE("forwards explains an empty plan") {
        const auto set = make_set({"1", "2"});
        CHECK(forwards_to(set, applied({"1", "2"}), "all").note == "No migrations need to be run");
        CHECK(forwards_to(set, applied({"1"}), "1_m1").note == "Migration core 1 has already run");
        CHECK(forwards_to(set, applied({"1"}), "all").note.empty());
    }

    TEST_CASE("forwards steps carry SQL, checksum and down SQL") {
        auto set = make_set({"1"});
        set.migrations[0].checksum = "abc";
        const Plan plan = forwards_to(set, {}, "all");
        REQUIRE(plan.steps.size() == 1);
        CHECK(plan.steps[0].sql == "-- up 1");
        CHECK(plan.steps[0].down_sql == "-- down 1");
        CHECK(plan.steps[0].checksum == "abc");
        CHECK(plan.steps[0].sql_path() == "/p/1_m1.up.sql");
        CHECK_FALSE(plan.steps[0].runs_stored_sql());
        CHECK(plan.steps[0].label() == "core 1 (m1)");
        // The same from a set given up: the step takes the migration's name and prefix.
        const Plan taken = plan_forwards(std::move(set), {}, Latest{});
        REQUIRE(taken.steps.size() == 1);
        CHECK(taken.steps[0].sql_path() == "/p/1_m1.up.sql");
        CHECK_FALSE(taken.steps[0].runs_stored_sql());
    }

    TEST_CASE("forwards rejects an unknown id, listing the valid ones") {
        const auto set = make_set({"1", "2"});
        try {
            forwards_to(set, {}, "7");
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::UnknownMigration);
            CHECK(std::string(e.what()) ==
                  "app \"core\" has no migration \"7\"\n  hint: valid ids: 1_m1, 2_m2");
        }
        CHECK_THROWS_AS(forwards_to(set, {}, "1_wrong"), Error);
        CHECK_THROWS_AS(forwards_to(set, {}, "abc"), Error);
    }

    TEST_CASE("backwards selects newest first by run order") {
        const auto set = make_set({"1", "2", "3"});
        struct Row {
            std::vector<std::string> done;
            std::string target;
            std::string expected;
        };
        const std::vector<Row> rows = {
            {{"1", "2", "3"}, "1", "B3"},
            {{"1", "2", "3"}, "all", "B3 B2 B1"},
            {{"1", "2", "3"}, "2", "B3 B2"},
            {{"1", "2", "3"}, "2_m2", "B3 B2"},
            {{"1", "3", "2"}, "1", "B2"},    // run order, not id order
            {{"1", "3", "2"}, "3", "B2 B3"}, // it and everything applied after it
            {{}, "1", ""},
            {{}, "all", ""},
        };
        for (const auto& row : rows) {
            CAPTURE(row.target);
            CHECK(shape(backwards_to(set, applied(row.done), row.target)) == row.expected);
        }
        CHECK(backwards_to(set, {}, "all").note == "No migrations to reverse!");
    }

    TEST_CASE("backwards by steps") {
        const auto set = make_set({"1", "2", "3"});
        CHECK(shape(plan_backwards(set, applied({"1", "2", "3"}), Count{2})) == "B3 B2");
        CHECK(shape(plan_backwards(set, applied({"1", "2", "3"}), Count{9})) == "B3 B2 B1");
        CHECK(shape(plan_backwards(set, applied({"1"}), Count{0})).empty());
    }

    TEST_CASE("backwards takes the down file when present, else the stored down SQL") {
        const auto set = make_set({"1"});
        const Plan plan = backwards_to(set, applied({"1", "2"}), "all");
        REQUIRE(plan.steps.size() == 2);
        CHECK(plan.steps[0].migration_id.text() == "2");
        CHECK(plan.steps[0].sql == "-- stored down 2");
        CHECK(plan.steps[0].sql_path().empty());
        CHECK(plan.steps[0].runs_stored_sql());
        CHECK(plan.steps[1].sql == "-- down 1");
        CHECK(plan.steps[1].sql_path() == "/p/1_m1.down.sql");
        CHECK_FALSE(plan.steps[1].runs_stored_sql());
    }

    TEST_CASE("backwards rejects an id that is not applied, naming the applied ones") {
        const auto set = make_set({"1", "2", "3"});
        try {
            backwards_to(set, applied({"1", "2"}), "3");
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::UnknownMigration);
            CHECK(std::string(e.what()) ==
                  "app \"core\" has no applied migration \"3\"\n  hint: applied ids: 1, 2");
        }
    }

    TEST_CASE("goto moves either way") {
        const auto set = make_set({"1", "2", "3", "4"});
        struct Row {
            std::vector<std::string> done;
            std::string target;
            std::string expected;
        };
        const std::vector<Row> rows = {
            {{}, "2", "F1 F2"},
            {{"1", "2", "3", "4"}, "2", "B4 B3"},
            {{"1", "2", "3", "4"}, "0", "B4 B3 B2 B1"},
            {{"1", "3"}, "2", "B3 F2"},
            {{"1", "2"}, "2", ""},
            {{}, "0", ""},
        };
        for (const auto& row : rows) {
            CAPTURE(row.target);
            CHECK(shape(goto_to(set, applied(row.done), row.target)) == row.expected);
        }
        CHECK(goto_to(set, applied({"1", "2"}), "2").note == "App core is already at 2");
        CHECK_THROWS_AS(goto_to(set, {}, "9"), Error);
    }

    TEST_CASE("goto 0 reverses every applied migration, a migration with id 0000 included") {
        const auto set = make_set({"0000", "1", "2"});
        struct Row {
            std::vector<std::string> done;
            std::string target;
            std::string expected;
        };
        const std::vector<Row> rows = {
            {{"0000", "1", "2"}, "0", "B2 B1 B0000"},
            {{"0000", "1", "2"}, "000", "B2 B1 B0000"},
            {{"0000"}, "0", "B0000"},
            {{}, "0", ""},
            // The migration whose id is 0 is named by its full name.
            {{"0000", "1", "2"}, "0000_m0000", "B2 B1"},
            {{}, "0000_m0000", "F0000"},
        };
        for (const auto& row : rows) {
            CAPTURE(row.target);
            CHECK(shape(goto_to(set, applied(row.done), row.target)) == row.expected);
        }
        CHECK(goto_to(set, {}, "0").note == "App core has no applied migrations");
        CHECK(goto_to(set, applied({"0000"}), "0000_m0000").note == "App core is already at 0000");
        CHECK_THROWS_AS(goto_to(set, {}, ""), Error);
    }

    TEST_CASE("backwards across apps counts by run order, whatever the app") {
        MigrationSet core = make_set({"1", "2", "3"});
        MigrationSet billing = make_set({"1"});
        billing.app_name = "billing";
        billing.migrations[0].app_name = "billing";
        // Run order: core 1, core 2, billing 1, core 3.
        AppliedByApp by_app;
        by_app["core"] = applied({"1", "2", "3"});
        by_app["core"][2].row_id = 4;
        by_app["billing"] = applied({"1"});
        by_app["billing"][0].app_name = "billing";
        by_app["billing"][0].row_id = 3;
        const std::vector<MigrationSet> sets = {core, billing};

        auto labels = [](const Plan& plan) {
            std::string out;
            for (const Step& s : plan.steps)
                out += (out.empty() ? "" : ", ") + s.app_name + " " + s.migration_id.text();
            return out;
        };
        CHECK(labels(plan_backwards_newest(sets, by_app, 1)) == "core 3");
        CHECK(labels(plan_backwards_newest(sets, by_app, 2)) == "core 3, billing 1");
        CHECK(labels(plan_backwards_newest(sets, by_app, 9)) ==
              "core 3, billing 1, core 2, core 1");
        // Only the apps given count; the others' rows are left alone.
        CHECK(labels(plan_backwards_newest({billing}, by_app, 9)) == "billing 1");
        const Plan none = plan_backwards_newest(sets, {}, 1);
        CHECK(none.empty());
        CHECK(none.note == "No migrations to reverse!");
        // The down SQL comes from the files, as for one app.
        CHECK(plan_backwards_newest(sets, by_app, 1).steps[0].sql == "-- down 3");
    }

    TEST_CASE("goto can target an applied migration whose files are gone") {
        const auto set = make_set({"1"});
        CHECK(shape(goto_to(set, applied({"1", "2", "3"}), "2")) == "B3");
    }

    TEST_CASE("sync reverses the migrations whose files are gone, then applies pending ones") {
        struct Row {
            std::vector<std::string> files;
            std::vector<std::string> done; // run order
            std::string expected;
        };
        const std::vector<Row> rows = {
            {{"1", "2"}, {"1", "2", "3"}, "B3"},       // a release rollback
            {{"1"}, {"1", "3", "2", "4"}, "B4 B2 B3"}, // newest first by run order
            {{"1", "2", "4"}, {"1", "3"}, "B3 F2 F4"}, // reversals before pending ones
            {{"1", "2", "3"}, {"1"}, "F2 F3"},         // nothing missing: forwards
            {{"1", "2"}, {"0001", "0002"}, ""},        // ids compare as numbers
            {{}, {"1"}, "B1"},
        };
        for (const auto& row : rows) {
            CAPTURE(row.expected);
            CHECK(shape(plan_sync(make_set(row.files), applied(row.done))) == row.expected);
        }
        const Plan in_sync = plan_sync(make_set({"1"}), applied({"1"}));
        CHECK(in_sync.note == "The database already matches the project.");
    }

    TEST_CASE("sync reverses with the stored down SQL") {
        const Plan plan = plan_sync(make_set({"1"}), applied({"1", "2"}));
        REQUIRE(plan.steps.size() == 1);
        CHECK(plan.steps[0].direction == Direction::Backwards);
        CHECK(plan.steps[0].sql == "-- stored down 2");
        CHECK(plan.steps[0].sql_path().empty());
        CHECK(plan.steps[0].label() == "core 2 (m2)");
    }

    TEST_CASE("ids longer than 64 bits plan by numeric value, written either way") {
        // 2^64 is 18446744073709551616: these ids do not fit an integer.
        const auto set = make_set({"9", "18446744073709551616", "100000000000000000000000000001"});
        CHECK(shape(forwards_to(set, applied({"0009"}), "all")) ==
              "F18446744073709551616 F100000000000000000000000000001");
        CHECK(shape(forwards_to(set, {}, "0018446744073709551616")) == "F9 F18446744073709551616");
        CHECK(shape(backwards_to(
                  set, applied({"9", "00018446744073709551616", "100000000000000000000000000001"}),
                  "18446744073709551616_m18446744073709551616")) ==
              "B100000000000000000000000000001 B00018446744073709551616");
        CHECK(shape(goto_to(set, applied({"9", "18446744073709551616"}), "9")) ==
              "B18446744073709551616");
        CHECK(goto_to(set, applied({"9", "18446744073709551616"}), "018446744073709551616").note ==
              "App core is already at 18446744073709551616");
    }

    TEST_CASE("pending and reverses_anything") {
        const auto set = make_set({"1", "2", "3"});
        const auto pending = pending_migrations(set, applied({"0002"}));
        REQUIRE(pending.size() == 2);
        CHECK(pending[0]->id.text() == "1");
        CHECK(pending[1]->id.text() == "3");
        CHECK_FALSE(forwards_to(set, {}, "all").reverses_anything());
        CHECK(backwards_to(set, applied({"1"}), "1").reverses_anything());
    }
}
