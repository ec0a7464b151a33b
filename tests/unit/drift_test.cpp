// SPDX-License-Identifier: MIT
// drift.hpp: pairing files with state rows, modified/missing/out-of-order detection, and the
// refusal message. All pure: no files, no database.
#include "strata/error.hpp"
#include "strata/loader/loader.hpp"
#include "strata/loader/migration_source.hpp"
#include "strata/plan/drift.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace strata;

namespace {

// Files of app `app` with these ids; each checksum is "sum<id>".
MigrationSet files(const std::vector<std::string>& ids, const std::string& app = "core") {
    MigrationSet set;
    set.app_name = app;
    for (const auto& id : ids) {
        Migration m;
        m.app_name = app;
        m.id = MigrationId(id);
        m.name = id + "_m" + id;
        m.description = "m" + id;
        m.up_sql = "-- up " + id;
        m.down_sql = "-- down " + id;
        m.checksum = "sum" + id;
        m.path_prefix = std::make_shared<const std::string>("migrations/" + app + "/");
        set.migrations.push_back(m);
    }
    return set;
}

// State rows in run order; a checksum of "sum<id>" matches files(), anything else is an edit.
struct RowSpec {
    RowSpec(std::string id_, std::string checksum_ = "")
        : id(std::move(id_)), checksum(std::move(checksum_)) {}
    std::string id;
    std::string checksum; // "" means "sum<id>"
};
std::vector<AppliedMigration> rows(const std::vector<RowSpec>& specs,
                                   const std::string& app = "core") {
    std::vector<AppliedMigration> out;
    std::int64_t row_id = 0;
    for (const auto& spec : specs) {
        AppliedMigration row;
        row.row_id = ++row_id;
        row.app_name = app;
        row.migration_id = MigrationId(spec.id);
        row.description = "m" + spec.id;
        row.checksum = spec.checksum.empty() ? "sum" + spec.id : spec.checksum;
        row.down_sql = "-- stored down " + spec.id;
        row.ran_on = "T" + spec.id;
        out.push_back(row);
    }
    return out;
}

// "P1 A2 M3 X5": pending, applied, modified, missing (and the id), in the order given.
std::string shape(const std::vector<MigrationPair>& pairs) {
    std::string out;
    for (const MigrationPair& pair : pairs) {
        if (!out.empty())
            out += ' ';
        if (pair.migration == nullptr)
            out += 'X' + pair.applied->migration_id.text();
        else if (pair.applied == nullptr)
            out += 'P' + pair.migration->id.text();
        else
            out += (pair.modified() ? 'M' : 'A') + pair.migration->id.text();
    }
    return out;
}

std::string ids_of(const std::vector<OutOfOrderStep>& steps) {
    std::string out;
    for (const auto& entry : steps)
        out += (out.empty() ? "" : " ") + entry.step->migration_id.text() + "<" +
               entry.newest_applied_id.text();
    return out;
}

// A one-app forwards-only plan of `ids`, as plan_forwards would make it.
Plan forwards_of(const MigrationSet& set, const std::vector<std::string>& ids) {
    Plan plan;
    for (const auto& id : ids) {
        const Migration* m = set.find(id);
        REQUIRE(m != nullptr);
        Step step;
        step.app_name = set.app_name;
        step.migration_id = m->id;
        step.description = m->description;
        step.name = m->name;
        step.path_prefix = m->path_prefix;
        plan.steps.push_back(step);
    }
    return plan;
}

std::string refusal(const std::vector<Drift>& drifts, const std::vector<OutOfOrderStep>& early,
                    const DriftPolicy& policy, Audience audience = Audience::CommandLine) {
    const AudienceScope scope(audience);
    try {
        refuse_drift(drifts, early, policy);
    } catch (const Error& e) {
        // Unknown applied migrations mean a newer release migrated the database.
        const bool newer = std::any_of(drifts.begin(), drifts.end(),
                                       [](const Drift& d) { return !d.missing.empty(); }) &&
                           !policy.allow_missing;
        CHECK(e.kind() == (newer ? ErrorKind::NewerDatabase : ErrorKind::Drift));
        return e.what();
    }
    return "";
}

} // namespace

TEST_SUITE("drift") {
    TEST_CASE("files and rows pair by numeric id, in id order, missing rows in their place") {
        struct Row {
            std::vector<std::string> files;
            std::vector<RowSpec> applied;
            std::string expected;
        };
        const std::vector<Row> table = {
            {{"1", "2", "3"}, {}, "P1 P2 P3"},
            {{"1", "2", "3"}, {{"1"}, {"2"}, {"3"}}, "A1 A2 A3"},
            {{"0001", "0002"},
             {{"1", "sum0001"}, {"2", "sum0002"}},
             "A0001 A0002"}, // "1" meets "0001"
            {{"1", "2"}, {{"2", "edited"}}, "P1 M2"},
            {{"1", "10"}, {{"1"}, {"5"}, {"10"}, {"20"}}, "A1 X5 A10 X20"},
            {{"3"}, {{"2"}, {"1"}}, "X1 X2 P3"},           // sorted by id, whatever the run order
            {{"1", "2", "3"}, {{"3"}, {"1"}}, "A1 P2 A3"}, // 1 ran after 3 (out of order)
            {{"1", "2"}, {{"1"}, {"01", "sum1"}}, "A1 X01 P2"}, // the first row of an id pairs
            {{}, {{"1"}}, "X1"},
        };
        for (const auto& row : table) {
            CAPTURE(row.expected);
            const MigrationSet set = files(row.files);
            const auto applied = rows(row.applied);
            CHECK(shape(pair_migrations(set, applied)) == row.expected);
        }
    }

    TEST_CASE("find_drift lists modified ones by id and missing ones by run order") {
        const MigrationSet set = files({"1", "2", "3"});
        const auto applied = rows({{"3", "x"}, {"7"}, {"1", "y"}, {"5"}, {"2"}});
        const Drift drift = find_drift(set, applied);
        CHECK(drift.app_name == "core");
        CHECK_FALSE(drift.empty());
        REQUIRE(drift.modified.size() == 2);
        CHECK(drift.modified[0].migration->id.text() == "1");
        CHECK(drift.modified[0].applied->checksum == "y");
        CHECK(drift.modified[1].migration->id.text() == "3");
        REQUIRE(drift.missing.size() == 2);
        CHECK(drift.missing[0]->migration_id.text() == "7"); // applied before 5
        CHECK(drift.missing[1]->migration_id.text() == "5");

        CHECK(find_drift(set, rows({{"1"}, {"2"}})).empty());
        CHECK(find_drift(set, {}).empty());
    }

    TEST_CASE("a CRLF-only edit is not a modification, a real edit is") {
        auto load = [](const std::string& up) {
            return load_migrations("core",
                                   MemorySource("", {{"1_a.up.sql", up}, {"1_a.down.sql", ""}}));
        };
        const MigrationSet original = load("CREATE TABLE a (x);\nCREATE TABLE b (y);\n");
        auto applied = rows({{"1", original.migrations[0].checksum}});

        CHECK(find_drift(load("CREATE TABLE a (x);\r\nCREATE TABLE b (y);\r\n"), applied).empty());
        CHECK(find_drift(load("\xEF\xBB\xBF"
                              "CREATE TABLE a (x);\nCREATE TABLE b (y);\n"),
                         applied)
                  .empty());
        const MigrationSet edited = load("CREATE TABLE a (x, z);\nCREATE TABLE b (y);\n");
        CHECK(find_drift(edited, applied).modified.size() == 1);
    }

    TEST_CASE("out of order: pending below the newest id that stays applied") {
        const MigrationSet set = files({"1", "2", "3", "4", "10"});
        struct Row {
            std::vector<RowSpec> applied;
            std::vector<std::string> planned;
            std::string expected;
        };
        const std::vector<Row> table = {
            {{{"1"}, {"2"}}, {"3", "4"}, ""},    // linear
            {{{"1"}, {"3"}}, {"2", "4"}, "2<3"}, // a gap below 3
            {{{"10"}}, {"1", "2", "3"}, "1<10 2<10 3<10"},
            {{{"0003"}}, {"2"}, "2<0003"}, // compared as numbers
            {{{"1"}, {"99"}}, {"2"}, ""},  // 99 has no files: missing, not newest
            {{}, {"1", "2"}, ""},          // nothing applied
            {{{"1"}, {"3"}}, {}, ""},      // nothing planned
        };
        for (const auto& row : table) {
            CAPTURE(row.expected);
            const auto applied = rows(row.applied);
            const Drift drift = find_drift(set, applied);
            const Plan plan = forwards_of(set, row.planned);
            CHECK(ids_of(out_of_order_steps(plan, applied, drift)) == row.expected);
        }
    }

    TEST_CASE("out of order is judged after the plan's own reversals") {
        const MigrationSet set = files({"1", "2", "3"});
        const auto applied = rows({{"1"}, {"3"}});
        const Drift drift = find_drift(set, applied);
        Plan plan = forwards_of(set, {"2"});
        CHECK(ids_of(out_of_order_steps(plan, applied, drift)) == "2<3");

        Step reverse;
        reverse.direction = Direction::Backwards;
        reverse.app_name = "core";
        reverse.migration_id = MigrationId("3");
        plan.steps.insert(plan.steps.begin(), reverse);
        CHECK(out_of_order_steps(plan, applied, drift).empty());
    }

    TEST_CASE("the refusal names each modified file with both checksums") {
        MigrationSet set = files({"1", "2"});
        set.migrations[0].checksum = "5e6f7a8b90123456";
        const auto applied = rows({{"1", "1a2b3c4d5e6f7a8b"}, {"2"}});
        const std::string what = refusal({find_drift(set, applied)}, {}, {});
        CHECK(what == "applied migrations changed since they ran:\n"
                      "  core 1 (m1): migrations/core/1_m1.up.sql (checksum 1a2b3c4d… when "
                      "applied, now 5e6f7a8b…)\n"
                      "  hint: restore the files as they were when they ran, or record an "
                      "intentional edit with `strata repair core`; --allow-modified runs anyway");
        CHECK_NOTHROW(
            refuse_drift({find_drift(set, applied)}, {}, {true, false, OutOfOrder::Error}));
    }

    TEST_CASE("a long refusal lists ten migrations and counts the rest") {
        // Every applied migration edited (a tool rewrote the files): 12 findings of one kind.
        std::vector<std::string> ids;
        std::vector<RowSpec> edited;
        for (int i = 1; i <= 12; ++i) {
            ids.push_back(std::to_string(i));
            edited.push_back({std::to_string(i), "old" + std::to_string(i)});
        }
        const MigrationSet set = files(ids);
        const std::string what = refusal({find_drift(set, rows(edited))}, {}, {});
        CHECK(what.find("core 10 (m10)") != std::string::npos);
        CHECK(what.find("core 11 (m11)") == std::string::npos);
        CHECK(what.find("\n  … and 2 more (`strata check` lists every migration)\n  hint: ") !=
              std::string::npos);
        const std::string in_library =
            refusal({find_drift(set, rows(edited))}, {}, {}, Audience::Library);
        CHECK(in_library.find("… and 2 more (CheckMigrationManager lists every migration)") !=
              std::string::npos);

        // One line more than the limit is shown rather than counted.
        ids.pop_back();
        edited.pop_back();
        const std::string eleven = refusal({find_drift(files(ids), rows(edited))}, {}, {});
        CHECK(eleven.find("core 11 (m11)") != std::string::npos);
        CHECK(eleven.find("more (") == std::string::npos);
    }

    TEST_CASE("an edit of the newest applied migration is run by backwards then forwards") {
        MigrationSet set = files({"1", "2"});
        set.migrations[1].checksum = "5e6f7a8b90123456";
        const auto applied = rows({{"1"}, {"2", "1a2b3c4d5e6f7a8b"}});
        const Drift drift = find_drift(set, applied);
        REQUIRE(drift.modified.size() == 1);
        CHECK(drift.modified[0].newest_applied);
        CHECK(refusal({drift}, {}, {}) ==
              "applied migrations changed since they ran:\n"
              "  core 2 (m2): migrations/core/2_m2.up.sql (checksum 1a2b3c4d… when applied, now "
              "5e6f7a8b…)\n"
              "  hint: to run the edited SQL, reverse the migration with `strata backwards core` "
              "(its down file must undo what ran) and apply it again with `strata forwards`; or "
              "restore the file as it was when it ran; --allow-modified runs anyway");

        // Newest by run order, not by id; a missing row ran later, so it is the newest.
        const auto later_row = rows({{"2", "1a2b3c4d5e6f7a8b"}, {"1"}});
        CHECK_FALSE(find_drift(set, later_row).modified[0].newest_applied);
        const auto missing_after = rows({{"1"}, {"2", "1a2b3c4d5e6f7a8b"}, {"7"}});
        CHECK_FALSE(find_drift(set, missing_after).modified[0].newest_applied);
    }

    TEST_CASE("newest and older edits in several apps get one hint each") {
        MigrationSet core = files({"1", "2"});
        core.migrations[1].checksum = "new2";
        MigrationSet billing = files({"1", "2"}, "billing");
        billing.migrations[0].checksum = "new1";
        MigrationSet other = files({"1"}, "other");
        other.migrations[0].checksum = "new1";
        const auto core_rows = rows({{"1"}, {"2", "old2"}});
        const Drift core_drift = find_drift(core, core_rows);
        const auto billing_rows = rows({{"1", "old1"}, {"2"}}, "billing");
        const Drift billing_drift = find_drift(billing, billing_rows);
        const auto other_rows = rows({{"1", "old1"}}, "other");
        const Drift other_drift = find_drift(other, other_rows);
        const std::string what = refusal({core_drift, billing_drift, other_drift}, {}, {});
        CHECK(what.ends_with(
            "  hint: to run the edited SQL, reverse the migration with `strata backwards APP` "
            "(for core, other) (its down file must undo what ran) and apply it again with "
            "`strata forwards`; or restore the file as it was when it ran\n"
            "  hint: restore the files as they were when they ran, or record an intentional edit "
            "with `strata repair billing`; --allow-modified runs anyway"));
    }

    TEST_CASE("the refusal names missing migrations and both ways out") {
        const MigrationSet set = files({"1"});
        const auto applied = rows({{"1"}, {"2"}, {"3"}});
        const std::string what = refusal({find_drift(set, applied)}, {}, {});
        CHECK(what == "the database has applied migrations that this project does not have (a "
                      "newer release may have applied them):\n"
                      "  core 2 (m2), applied T2\n"
                      "  core 3 (m3), applied T3\n"
                      "  hint: `strata sync core` reverses them with the down SQL stored when "
                      "they ran; `strata clean core` forgets them and keeps their changes");
        // Sync and goto reverse missing migrations themselves.
        CHECK_NOTHROW(
            refuse_drift({find_drift(set, applied)}, {}, {false, true, OutOfOrder::Error}));
    }

    TEST_CASE("the refusal lists out-of-order files unless out_of_order is allow") {
        const MigrationSet set = files({"1", "2", "3"});
        const auto applied = rows({{"1"}, {"3"}});
        const Drift drift = find_drift(set, applied);
        const Plan plan = forwards_of(set, {"2"});
        const auto early = out_of_order_steps(plan, applied, drift);
        CHECK(refusal({drift}, early, {}) ==
              "pending migrations are older than the newest applied migration of their app:\n"
              "  core 2 (m2): migrations/core/2_m2.up.sql (newest applied: 3)\n"
              "  hint: give them ids after the newest applied one (rename both files), or apply "
              "them anyway with --out-of-order (out_of_order = \"allow\" in strata.toml)");
        CHECK_NOTHROW(refuse_drift({drift}, early, {false, false, OutOfOrder::Allow}));
    }

    TEST_CASE("every kind of drift of every app is reported at once, one hint each") {
        MigrationSet core = files({"1", "2"});
        core.migrations[0].checksum = "new1";
        const auto core_rows = rows({{"1", "old1"}, {"9"}});
        MigrationSet billing = files({"1", "2", "3"}, "billing");
        billing.migrations[1].checksum = "new2";
        const auto billing_rows = rows({{"1"}, {"2", "old2"}, {"4"}}, "billing");

        const Drift core_drift = find_drift(core, core_rows);
        const Drift billing_drift = find_drift(billing, billing_rows);
        const Plan billing_plan = forwards_of(billing, {"3"});
        const auto early = out_of_order_steps(billing_plan, billing_rows, billing_drift);
        CHECK(early.empty()); // 4 is missing, so 3 is not out of order
        const Plan core_plan = forwards_of(core, {"2"});
        const auto core_early = out_of_order_steps(core_plan, core_rows, core_drift);
        CHECK(core_early.empty()); // 9 is missing too

        MigrationSet other = files({"1", "5"}, "other");
        const auto other_rows = rows({{"5"}}, "other");
        const Drift other_drift = find_drift(other, other_rows);
        const Plan other_plan = forwards_of(other, {"1"});
        const auto other_early = out_of_order_steps(other_plan, other_rows, other_drift);

        CHECK(refusal({core_drift, billing_drift, other_drift}, other_early, {}) ==
              "the database has applied migrations that this project does not have (a newer "
              "release may have applied them):\n"
              "  core 9 (m9), applied T9\n"
              "  billing 4 (m4), applied T4\n"
              "applied migrations changed since they ran:\n"
              "  core 1 (m1): migrations/core/1_m1.up.sql (checksum old1 when applied, now "
              "new1)\n"
              "  billing 2 (m2): migrations/billing/2_m2.up.sql (checksum old2 when applied, now "
              "new2)\n"
              "pending migrations are older than the newest applied migration of their app:\n"
              "  other 1 (m1): migrations/other/1_m1.up.sql (newest applied: 5)\n"
              "  hint: `strata sync` reverses them with the down SQL stored when they ran; "
              "`strata clean APP` (for core, billing) forgets them and keeps their changes\n"
              "  hint: restore the files as they were when they ran, or record an intentional "
              "edit with `strata repair APP` (for core, billing); --allow-modified runs anyway\n"
              "  hint: give them ids after the newest applied one (rename both files), or apply "
              "them anyway with --out-of-order (out_of_order = \"allow\" in strata.toml)");
    }

    TEST_CASE("no drift, no refusal") {
        const MigrationSet set = files({"1", "2"});
        const auto applied = rows({{"1"}});
        CHECK_NOTHROW(refuse_drift({find_drift(set, applied)}, {}, {}));
        CHECK_NOTHROW(refuse_drift({}, {}, {}));
    }

    TEST_CASE("checksums are shortened for messages") {
        CHECK(short_checksum(std::string(64, 'a')) == "aaaaaaaa…");
        CHECK(short_checksum("abc") == "abc");
        CHECK(short_checksum("") == "(none)");
    }
}
