// SPDX-License-Identifier: MIT
#include "strata/api/managers.hpp"
#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/plan/drift.hpp"

#include <algorithm>

namespace strata {

using namespace detail;

namespace {

// A plan's notes joined, for the result message when nothing is to be done.
std::string notes_of(const std::vector<std::string>& notes, const std::string& fallback) {
    std::vector<std::string> distinct;
    for (const auto& note : notes)
        if (!note.empty() && std::find(distinct.begin(), distinct.end(), note) == distinct.end())
            distinct.push_back(note);
    if (distinct.empty())
        return fallback;
    std::string out;
    for (const auto& note : distinct)
        out += (out.empty() ? "" : "\n") + note;
    return out;
}

} // namespace

ForwardsMigrationManager::ForwardsMigrationManager(Context context, std::string app_name,
                                                   std::string migration_id, bool fake,
                                                   bool preview, bool auto_agree)
    : m_context(context), m_app_name(std::move(app_name)), m_migration_id(std::move(migration_id)),
      m_fake(fake), m_preview(preview), m_auto_agree(auto_agree) {}

MigrationResult ForwardsMigrationManager::run() {
    const Project& project = m_context.project;
    if (m_app_name == "all" && m_migration_id != "all" && m_migration_id != "1")
        throw Error(ErrorKind::Usage,
                    "a migration id needs an app: strata forwards APP " + m_migration_id);
    auto apps = project.select_apps(m_app_name);
    auto sets =
        load_sets(m_context, apps); // every file read, checked and hashed before the database

    auto connection =
        open_existing(m_context, m_preview ? OpenMode::ReadOnly : OpenMode::ReadWrite);
    const AppliedByApp applied = read_applied(connection.get(), project);

    // Every app's plan is made, and the whole run checked against drift, before anything runs:
    // a refusal leaves the database as it was.
    std::vector<Drift> drifts;
    std::vector<Plan> app_plans;
    std::vector<OutOfOrderStep> out_of_order;
    std::vector<std::string> notes;
    drifts.reserve(sets.size());
    app_plans.reserve(sets.size());
    bool planned_one = false;
    for (const MigrationSet& set : sets) {
        const auto& rows = applied_of(applied, set.app_name);
        drifts.push_back(find_drift(set, rows));
        // "1" means the next pending migration of the whole run, not of every app.
        if (planned_one)
            continue;
        app_plans.push_back(plan_forwards(set, rows, m_migration_id));
        notes.push_back(app_plans.back().note);
        for (OutOfOrderStep& step : out_of_order_steps(app_plans.back(), rows, drifts.back()))
            out_of_order.push_back(std::move(step));
        planned_one = m_migration_id == "1" && !app_plans.back().empty();
    }
    refuse_drift(drifts, out_of_order,
                 {m_context.allow_modified, false, project.settings.out_of_order});

    Plan plan;
    for (Plan& app_plan : app_plans)
        append_plan(plan, std::move(app_plan));
    if (plan.empty())
        return {true, notes_of(notes, "No migrations need to be run")};

    observer_of(m_context).on_plan(plan);
    if (m_preview) {
        preview(m_context, plan);
        return {true, ""};
    }
    if (m_fake && plan.steps.size() > 1 &&
        !confirmed(m_context, m_auto_agree,
                   "Record " + count_of(plan.steps.size()) + " as applied without running them?"))
        return declined();
    const ExecutionReport report = execute(m_context, connection, plan, applied, m_fake);
    return {true, summary(plan, report)};
}

} // namespace strata
