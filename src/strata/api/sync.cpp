// SPDX-License-Identifier: MIT
#include "strata/api/managers.hpp"
#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/plan/drift.hpp"

#include <algorithm>

namespace strata {

using namespace detail;

namespace {

constexpr std::string_view k_in_sync = "The database already matches the project.";

// One plan for every selected app: every reversal first, dependents before the apps they
// depend on (as `backwards all` does), then every forwards step, dependencies first (as
// `forwards all` does). `app_plans` are in dependency order, each with its reversals first.
Plan merge_app_plans(std::vector<Plan>& app_plans) {
    Plan plan;
    for (auto app = app_plans.rbegin(); app != app_plans.rend(); ++app)
        for (Step& step : app->steps)
            if (step.direction == Direction::Backwards)
                plan.steps.push_back(std::move(step));
    for (Plan& app : app_plans)
        for (Step& step : app.steps)
            if (step.direction == Direction::Forwards)
                plan.steps.push_back(std::move(step));
    return plan;
}

std::string question_for(std::size_t reversals, std::size_t applies) {
    std::string question = "Reverse " + count_of(reversals);
    if (applies > 0)
        question += ", then apply " + count_of(applies);
    return question + "?";
}

std::string sync_summary(PlanCounts planned, const ExecutionReport& report) {
    // With steps done by a concurrent run the split per direction is unknown: say it plainly.
    if (report.skipped > 0 || planned.backwards == 0 || planned.forwards == 0)
        return summary(planned, report);
    return "Reversed " + count_of(planned.backwards) + " and applied " +
           count_of(planned.forwards) + ".";
}

} // namespace

SyncMigrationManager::SyncMigrationManager(Context context, SyncOptions options)
    : m_context(context), m_options(std::move(options)) {}

MigrationResult SyncMigrationManager::run() {
    const Project& project = m_context.project;
    auto apps = selected_apps(m_context, m_options.app); // dependency order for every app
    RunStart start =
        start_run(m_context, apps, m_options.preview ? OpenMode::ReadOnly : OpenMode::ReadWrite);
    auto& sets = start.sets;
    auto& connection = start.connection;
    const AppliedByApp& applied = start.applied;

    // Plan and check everything before the database is touched: a refusal changes nothing.
    std::vector<Drift> drifts;
    std::vector<Plan> app_plans;
    std::vector<OutOfOrderStep> out_of_order;
    drifts.reserve(sets.size());
    app_plans.reserve(sets.size());
    for (const MigrationSet& set : sets) {
        const auto& rows = applied_of(applied, set.app_name);
        drifts.push_back(find_drift(set, rows));
        app_plans.push_back(plan_sync(set, rows));
        // Judged after this app's reversals: a release's own hotfix may sit below a reversed id.
        for (OutOfOrderStep& step : out_of_order_steps(app_plans.back(), rows, drifts.back()))
            out_of_order.push_back(std::move(step));
    }
    // Missing migrations are what sync is for; edited ones it cannot fix.
    refuse_drift(drifts, out_of_order,
                 {m_context.allow_modified, true, project.settings.out_of_order});

    Plan plan = merge_app_plans(app_plans);
    if (plan.empty())
        return {true, std::string(k_in_sync)};

    observer_of(m_context).on_plan(plan);
    if (m_options.preview) {
        preview(m_context, plan);
        return {true, ""};
    }
    const PlanCounts planned = counts_of(plan);
    if (planned.backwards > 0 && !confirmed(m_context, m_options.auto_agree,
                                            question_for(planned.backwards, planned.forwards)))
        return declined();
    const ExecutionReport report = execute(m_context, connection, plan, applied, false);
    return {true, sync_summary(planned, report)};
}

} // namespace strata
