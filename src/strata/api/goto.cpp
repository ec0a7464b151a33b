// SPDX-License-Identifier: MIT
#include "strata/api/managers.hpp"
#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/plan/drift.hpp"

#include <algorithm>

namespace strata {

using namespace detail;

GotoMigrationManager::GotoMigrationManager(Context context, GotoOptions options)
    : m_context(context), m_options(std::move(options)) {}

MigrationResult GotoMigrationManager::run() {
    if (m_options.app == "all")
        throw Error(ErrorKind::Usage, "goto needs one app name, not \"all\"");
    auto apps = selected_apps(m_context, m_options.app);
    RunStart start =
        start_run(m_context, apps, m_options.preview ? OpenMode::ReadOnly : OpenMode::ReadWrite);
    auto& sets = start.sets;
    auto& connection = start.connection;
    const AppliedByApp& applied = start.applied;

    const auto& rows = applied_of(applied, sets.front().app_name);
    Plan plan = plan_goto(sets.front(), rows, m_options.target);
    // Moving forwards must not build on edited history nor slip a migration under
    // newer ones. Reversing alone is always allowed; missing migrations are
    // reversed with their stored SQL.
    const PlanCounts planned = counts_of(plan);
    if (planned.forwards > 0) {
        const Drift drift = find_drift(sets.front(), rows);
        refuse_drift({drift}, out_of_order_steps(plan, rows, drift),
                     {m_context.allow_modified, true, m_context.project.settings.out_of_order});
    }
    if (plan.empty())
        return {true, plan.note};
    if (plan.reverses_anything())
        refuse_while_dependents_applied(m_context, apps, applied);
    observer_of(m_context).on_plan(plan);
    if (m_options.preview) {
        preview(m_context, plan);
        return {true, ""};
    }
    if (plan.reverses_anything() &&
        !confirmed(m_context, m_options.auto_agree, "Reverse " + count_of(planned.backwards) + "?"))
        return declined();
    const ExecutionReport report = execute(m_context, connection, plan, applied, false);
    return {true, summary(planned, report)};
}

} // namespace strata
