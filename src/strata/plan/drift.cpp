// SPDX-License-Identifier: MIT
#include "strata/plan/drift.hpp"

#include "strata/error.hpp"
#include "strata/terms.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_set>

namespace strata {

namespace {

bool by_run_order(const AppliedMigration* a, const AppliedMigration* b) {
    return a->row_id < b->row_id;
}

std::string label_of(const AppliedMigration& row) {
    return row.app_name + " " + row.migration_id.text() + " (" + row.description + ")";
}

std::string label_of(const Migration& m) {
    return m.app_name + " " + m.id.text() + " (" + m.description + ")";
}

// One paragraph of the refusal: what is wrong, then one indented line per migration (as many as
// listed_lines shows).
struct Finding {
    std::string title;
    std::vector<std::string> lines;
    std::vector<std::string> apps;
    std::string hint;

    void add(const std::string& app, std::string line) {
        lines.push_back(std::move(line));
        if (std::find(apps.begin(), apps.end(), app) == apps.end())
            apps.push_back(app);
    }
};

// A refusal fits a terminal: a file rewritten by a tool can make every migration one line.
constexpr std::size_t k_lines_listed = 10;

// A finding's lines, the first k_lines_listed of them and then how many more there are.
std::string listed_lines(const std::vector<std::string>& lines) {
    std::string listed;
    const std::size_t shown = lines.size() > k_lines_listed + 1 ? k_lines_listed : lines.size();
    for (std::size_t i = 0; i < shown; ++i)
        listed += "\n" + lines[i];
    if (shown < lines.size())
        listed += "\n  … and " + std::to_string(lines.size() - shown) + " more (" +
                  terms::command(terms::Command::Check) + " lists every migration)";
    return listed;
}

} // namespace

std::vector<MigrationPair> pair_migrations(const MigrationSet& set,
                                           const std::vector<AppliedMigration>& applied) {
    // The rows in id order: run order already is, unless a migration ran out of order. Equal
    // ids keep run order, so the first to run is the one paired.
    std::vector<const AppliedMigration*> rows;
    rows.reserve(applied.size());
    for (const AppliedMigration& row : applied)
        rows.push_back(&row);
    const auto by_id = [](const AppliedMigration* a, const AppliedMigration* b) {
        return a->migration_id < b->migration_id;
    };
    if (!std::is_sorted(rows.begin(), rows.end(), by_id))
        std::stable_sort(rows.begin(), rows.end(), by_id);

    // The set is in id order too: one merge of the two.
    std::vector<MigrationPair> pairs;
    pairs.reserve(set.migrations.size() + rows.size());
    auto next = rows.begin();
    for (const Migration& m : set.migrations) {
        for (; next != rows.end() && (*next)->migration_id < m.id; ++next)
            pairs.push_back({nullptr, *next});
        MigrationPair pair{&m, nullptr};
        if (next != rows.end() && (*next)->migration_id == m.id)
            pair.applied = *next++;
        pairs.push_back(pair);
    }
    for (; next != rows.end(); ++next)
        pairs.push_back({nullptr, *next});
    return pairs;
}

Drift find_drift(const MigrationSet& set, const std::vector<AppliedMigration>& applied) {
    Drift drift;
    drift.app_name = set.app_name;
    const auto newest = std::max_element(
        applied.begin(), applied.end(),
        [](const AppliedMigration& a, const AppliedMigration& b) { return a.row_id < b.row_id; });
    for (const MigrationPair& pair : pair_migrations(set, applied)) {
        if (pair.migration == nullptr)
            drift.missing.push_back(pair.applied);
        else if (pair.modified())
            drift.modified.push_back({pair.migration, pair.applied, pair.applied == &*newest});
    }
    // Missing ones are reversed newest first by run order, so they are reported in that order.
    std::sort(drift.missing.begin(), drift.missing.end(), by_run_order);
    return drift;
}

std::vector<OutOfOrderStep> out_of_order_steps(const Plan& app_plan,
                                               const std::vector<AppliedMigration>& applied,
                                               const Drift& drift) {
    std::vector<OutOfOrderStep> found;
    if (app_plan.empty() || applied.empty())
        return found; // the cheap path of a run with nothing to do

    std::unordered_set<MigrationId> left_out;
    for (const Step& step : app_plan.steps)
        if (step.direction == Direction::Backwards)
            left_out.insert(step.migration_id);
    for (const AppliedMigration* row : drift.missing)
        left_out.insert(row->migration_id);
    const AppliedMigration* newest = nullptr;
    for (const AppliedMigration& row : applied)
        if (!left_out.count(row.migration_id) &&
            (newest == nullptr || row.migration_id > newest->migration_id))
            newest = &row;
    if (newest == nullptr)
        return found;

    for (const Step& step : app_plan.steps)
        if (step.direction == Direction::Forwards && step.migration_id < newest->migration_id)
            found.push_back({&step, newest->migration_id});
    return found;
}

void refuse_drift(const std::vector<Drift>& drifts, const std::vector<OutOfOrderStep>& out_of_order,
                  const DriftPolicy& policy) {
    Finding missing{"the database has applied migrations that this project does not have (a "
                    "newer release may have applied them):",
                    {},
                    {},
                    {}};
    // A migration written in C++ is missing from every program that does not register it (the
    // command line never does): no stored down SQL can stand in for it.
    Finding code{current_audience() == Audience::CommandLine
                     ? "the database has applied migrations written in C++, which are not "
                       "runnable from the command line:"
                     : "the database has applied migrations written in C++ that this program "
                       "does not register (a newer release may have applied them):",
                 {},
                 {},
                 {}};
    Finding modified{"applied migrations changed since they ran:", {}, {}, {}};
    Finding early{
        "pending migrations are older than the newest applied migration of their app:", {}, {}, {}};

    // Apps whose edited migration is the newest applied one (reversing it and applying it again
    // runs the edit) and apps with an older edited one (only repair or a restore fit).
    std::vector<std::string> newest_apps;
    std::vector<std::string> older_apps;
    for (const Drift& drift : drifts) {
        if (!policy.allow_missing)
            for (const AppliedMigration* row : drift.missing)
                (is_code_checksum(row->checksum) ? code : missing)
                    .add(drift.app_name, "  " + label_of(*row) + ", applied " + row->ran_on);
        if (!policy.allow_modified)
            for (const ModifiedMigration& m : drift.modified) {
                modified.add(drift.app_name,
                             "  " + label_of(*m.migration) + ": " +
                                 (m.migration->code
                                      ? code_source_name(m.migration->app_name, m.migration->name)
                                      : m.migration->up_path()) +
                                 " (checksum " + short_checksum(m.applied->checksum) +
                                 " when applied, now " + short_checksum(m.migration->checksum) +
                                 ")");
                auto& apps = m.newest_applied ? newest_apps : older_apps;
                if (std::find(apps.begin(), apps.end(), drift.app_name) == apps.end())
                    apps.push_back(drift.app_name);
            }
    }
    if (policy.out_of_order == OutOfOrder::Error)
        for (const OutOfOrderStep& entry : out_of_order)
            early.add(entry.step->app_name,
                      "  " + entry.step->label() + ": " + entry.step->sql_path() +
                          " (newest applied: " + entry.newest_applied_id.text() + ")");

    // One sync covers every app; clean takes one app at a time.
    missing.hint = (missing.apps.size() == 1 ? terms::command(terms::Command::Sync, missing.apps[0])
                                             : terms::command(terms::Command::Sync)) +
                   " reverses them with the down SQL stored when they ran; " +
                   terms::command_for_apps(terms::Command::Clean, missing.apps) +
                   " forgets them and keeps their changes";
    code.hint = current_audience() == Audience::CommandLine
                    ? "migrate this database with the application that defines them; " +
                          terms::command(terms::Command::Check) +
                          " lists them as not runnable from the command line"
                    : std::string("migrate this database with a program that registers them "
                                  "in Context::code_migrations");
    // Recording an edit of the newest migration with repair would leave the database without
    // what the edit adds; running it again does not.
    if (!newest_apps.empty())
        modified.hint = "to run the edited SQL, reverse the migration with " +
                        terms::command_for_apps(terms::Command::Backwards, newest_apps) +
                        " (its down file must undo what ran) and apply it again with " +
                        terms::command(terms::Command::Forwards) +
                        "; or restore the file as it was when it ran";
    if (!older_apps.empty())
        modified.hint += (modified.hint.empty() ? "" : "\n  hint: ") +
                         std::string("restore the files as they were when they ran, or record an "
                                     "intentional edit with ") +
                         terms::command_for_apps(terms::Command::Repair, older_apps);
    modified.hint += "; " + terms::option(terms::Option::AllowModified) + " runs anyway";
    early.hint = "give them ids after the newest applied one (rename both files), or apply them "
                 "anyway with " +
                 terms::option(terms::Option::OutOfOrder);

    std::string message;
    std::string hint;
    for (const Finding* finding : {&code, &missing, &modified, &early}) {
        if (finding->lines.empty())
            continue;
        message += (message.empty() ? "" : "\n") + finding->title;
        message += listed_lines(finding->lines);
        // Each problem has its own way out; one hint line each.
        hint += (hint.empty() ? "" : "\n  hint: ") + finding->hint;
    }
    // A newer database is not an editing mistake: an application tells its user to update.
    if (!message.empty())
        throw Error(missing.lines.empty() && code.lines.empty() ? ErrorKind::Drift
                                                                : ErrorKind::NewerDatabase,
                    message, {}, hint);
}

std::string short_checksum(const std::string& checksum) {
    if (checksum.empty())
        return "(none)";
    constexpr std::size_t k_shown = 8;
    return checksum.size() <= k_shown ? checksum : checksum.substr(0, k_shown) + "…";
}

} // namespace strata
