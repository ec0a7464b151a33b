// SPDX-License-Identifier: MIT
#include "strata/api/managers.hpp"
#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/terms.hpp"

#include <algorithm>

namespace strata {

using namespace detail;

const AppConfig& only_app(const Project& project, OneAppCommand command) {
    if (project.apps.size() == 1)
        return project.apps.front();
    const terms::Command which =
        command == OneAppCommand::Redo ? terms::Command::Redo : terms::Command::Backwards;
    std::string names;
    for (const AppConfig& app : project.apps)
        names += (names.empty() ? "" : ", ") + app.name;
    std::string hint = "name one: " + terms::command(which, "APP");
    if (command == OneAppCommand::Backwards)
        hint += current_audience() == Audience::CommandLine
                    ? ", or all for every app (`strata backwards all`)"
                    : ", or leave the app unset for every app";
    throw Error(ErrorKind::Usage,
                "which app? this project has " + std::to_string(project.apps.size()) +
                    " apps: " + names,
                {}, hint);
}

RedoMigrationManager::RedoMigrationManager(Context context, RedoOptions options)
    : m_context(context), m_options(std::move(options)) {}

MigrationResult RedoMigrationManager::run() {
    const Project& project = m_context.project;
    if (m_options.app && *m_options.app == "all")
        throw Error(ErrorKind::Usage, "redo works on one app, not \"all\"", {},
                    "name the app: " + terms::command(terms::Command::Redo, "APP"));
    const AppConfig& app = m_options.app ? *project.select_apps(*m_options.app).front()
                                         : only_app(project, OneAppCommand::Redo);
    RunStart start =
        start_run(m_context, {&app}, m_options.preview ? OpenMode::ReadOnly : OpenMode::ReadWrite);
    const MigrationSet& set = start.sets.front();
    auto& connection = start.connection;
    const AppliedByApp& applied = start.applied;
    const auto& rows = applied_of(applied, app.name);
    if (rows.empty())
        return {true, "No migrations to redo!"};

    // The latest by run order is the one a developer just applied and is now editing.
    const AppliedMigration& latest = rows.back();
    const auto file =
        std::find_if(set.migrations.begin(), set.migrations.end(),
                     [&latest](const Migration& m) { return m.id == latest.migration_id; });
    if (file == set.migrations.end())
        throw Error(ErrorKind::MigrationFiles,
                    "cannot redo app \"" + app.name + "\" migration " + latest.migration_id.text() +
                        ": its files are gone",
                    {},
                    "to only reverse it (with its stored down SQL): " +
                        terms::command(terms::Command::Backwards, app.name));
    refuse_while_dependents_applied(m_context, {&app}, applied);

    Plan plan = plan_backwards(set, rows, Count{1});
    // Planned as if the migration had never run, so its step carries the up file as it is now
    // (an edited file is the point of redo) and the checksum to record.
    std::vector<AppliedMigration> without_latest(rows.begin(), rows.end() - 1);
    for (Step& step : plan_forwards(set, without_latest, Latest{}).steps)
        if (step.migration_id == latest.migration_id)
            plan.steps.push_back(std::move(step));

    observer_of(m_context).on_plan(plan);
    if (m_options.preview) {
        preview(m_context, plan);
        return {true, ""};
    }
    if (!confirmed(m_context, m_options.auto_agree,
                   "Reverse " + plan.steps.front().label() + " and apply it again?"))
        return declined();
    const PlanCounts planned = counts_of(plan);
    const std::string label = plan.steps.front().label();
    const ExecutionReport report = execute(m_context, connection, plan, applied, false);
    if (report.done < planned.forwards + planned.backwards)
        return {true, summary(planned, report)};
    return {true, "Redid " + label + "."};
}

} // namespace strata
