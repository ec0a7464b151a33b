// SPDX-License-Identifier: MIT
#include "strata/api/managers.hpp"
#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/plan/drift.hpp"
#include "strata/terms.hpp"

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

ForwardsMigrationManager::ForwardsMigrationManager(Context context, ForwardsOptions options)
    : m_context(context), m_options(std::move(options)) {}

MigrationResult ForwardsMigrationManager::run() {
    const Project& project = m_context.project;
    if (!m_options.app)
        if (const MigrationRef* ref = std::get_if<MigrationRef>(&m_options.target))
            throw Error(ErrorKind::Usage, "a migration id needs an app: " + ref->text(), {},
                        "name the app: " +
                            terms::command(terms::Command::Forwards, "APP " + ref->text()));
    // One app is applied on top of what it depends on: those apps' pending migrations run
    // first, whatever the target says of the named app.
    auto apps = m_options.app
                    ? with_dependencies(project, *selected_apps(m_context, m_options.app).front())
                    : selected_apps(m_context, m_options.app);
    // Every file is read, checked and hashed before anything is written.
    RunStart start =
        start_run(m_context, apps, m_options.preview ? OpenMode::ReadOnly : OpenMode::ReadWrite);
    auto& sets = start.sets;
    auto& connection = start.connection;
    const AppliedByApp& applied = start.applied;

    // Every app's plan is made, and the whole run checked against drift, before anything runs:
    // a refusal leaves the database as it was.
    std::vector<Drift> drifts;
    std::vector<Plan> app_plans;
    std::vector<OutOfOrderStep> out_of_order;
    std::vector<std::string> notes;
    drifts.reserve(sets.size());
    app_plans.reserve(sets.size());
    // A Count is the next pending migrations of the whole run, not of every app.
    const Count* count = std::get_if<Count>(&m_options.target);
    std::size_t left = count != nullptr ? count->value : 0;
    std::vector<std::string> dependencies_applied;
    // Each set is done with once planned: its texts move into the steps (plan_forwards(&&)).
    for (MigrationSet& set : sets) {
        const auto& rows = applied_of(applied, set.app_name);
        drifts.push_back(find_drift(set, rows));
        if (m_options.app && set.app_name != *m_options.app) {
            app_plans.push_back(plan_forwards(std::move(set), rows, Latest{}));
            if (!app_plans.back().empty())
                dependencies_applied.push_back(set.app_name);
            for (OutOfOrderStep& step : out_of_order_steps(app_plans.back(), rows, drifts.back()))
                out_of_order.push_back(std::move(step));
            continue;
        }
        if (count != nullptr && left == 0)
            continue;
        app_plans.push_back(
            plan_forwards(std::move(set), rows,
                          count != nullptr ? ForwardsTarget(Count{left}) : m_options.target));
        notes.push_back(app_plans.back().note);
        for (OutOfOrderStep& step : out_of_order_steps(app_plans.back(), rows, drifts.back()))
            out_of_order.push_back(std::move(step));
        if (count != nullptr)
            left -= std::min(left, app_plans.back().steps.size());
    }
    refuse_drift(drifts, out_of_order,
                 {m_context.allow_modified, false, project.settings.out_of_order});

    Plan plan;
    for (Plan& app_plan : app_plans)
        append_plan(plan, std::move(app_plan));
    if (plan.empty())
        return {true, notes_of(notes, "No migrations need to be run")};

    if (!dependencies_applied.empty()) {
        std::string names;
        for (const std::string& name : dependencies_applied)
            names += (names.empty() ? "" : ", ") + name;
        observer_of(m_context).on_notice(*m_options.app + " depends on " + names + ": applying " +
                                         (dependencies_applied.size() == 1 ? names : "them") +
                                         " first");
    }
    observer_of(m_context).on_plan(plan);
    if (m_options.preview) {
        preview(m_context, plan);
        return {true, ""};
    }
    if (m_options.fake && plan.steps.size() > 1 &&
        !confirmed(m_context, m_options.auto_agree,
                   "Record " + count_of(plan.steps.size()) + " as applied without running them?"))
        return declined();
    // The plan holds what runs: the migrations' texts are not held twice while it runs.
    std::vector<MigrationSet>().swap(sets);
    const PlanCounts planned = counts_of(plan);
    const ExecutionReport report = execute(m_context, connection, plan, applied, m_options.fake);
    if (m_options.fake && report.done > 0)
        return {true, "Recorded " + count_of(report.done) + " as applied without running them."};
    return {true, summary(planned, report)};
}

} // namespace strata
