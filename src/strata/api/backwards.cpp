// SPDX-License-Identifier: MIT
#include "strata/api/managers.hpp"
#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/loader/migration_source.hpp"
#include "strata/terms.hpp"

#include <algorithm>
#include <functional>
#include <optional>

namespace strata {

using namespace detail;

BackwardsMigrationManager::BackwardsMigrationManager(Context context, BackwardsOptions options)
    : m_context(context), m_options(std::move(options)) {}

namespace {

// A migration file that --clean deletes once the run has reversed its migration.
struct FileToRemove {
    std::filesystem::path folder; // the app's migrations folder
    std::string path;
};

// The files of the migrations `plan` reverses that still have them, taken from `sets` before
// the run (a plan's steps carry no paths they do not run).
std::vector<FileToRemove> files_of(const Context& context, const std::vector<MigrationSet>& sets,
                                   const Plan& plan) {
    std::vector<FileToRemove> files;
    for (const Step& step : plan.steps) {
        const auto set = std::find_if(sets.begin(), sets.end(), [&](const MigrationSet& s) {
            return s.app_name == step.app_name;
        });
        const Migration* migration = set != sets.end() ? set->find(step.migration_id) : nullptr;
        if (migration == nullptr)
            continue; // reversed with its stored down SQL: it has no files
        const AppConfig* app = context.project.find_app(step.app_name);
        for (std::string path : {migration->up_path(), migration->down_path()})
            if (!path.empty())
                files.push_back(
                    {app ? app->migrations_dir : std::filesystem::path(), std::move(path)});
    }
    return files;
}

void remove_files(const Context& context, const std::vector<FileToRemove>& files) {
    for (const FileToRemove& file : files) {
        FolderSource(file.folder).remove(file.path);
        observer_of(context).on_file_removed(file.path);
    }
}

// Makes the plan of one command from every selected app's files and applied rows.
using BackwardsPlanner = std::function<Plan(const std::vector<MigrationSet>&, const AppliedByApp&)>;

// Backwards over several apps: one plan, one confirmation, one run.
MigrationResult run_backwards_over(const Context& context, std::vector<const AppConfig*> apps,
                                   const BackwardsPlanner& planner, bool auto_agree, bool clean,
                                   bool preview_only) {
    // Checked before anything is read: a compiled-in or bundled migration has no file to delete,
    // and leaving it in place while the caller believes it gone would be worse than refusing.
    if (clean) {
        for (const AppConfig* app : apps) {
            if (context.sources.count(app->name) != 0)
                throw Error(ErrorKind::Usage,
                            "cannot delete the migration files of app \"" + app->name +
                                "\": its migrations do not come from a folder",
                            {}, "reverse the migrations without clean");
        }
    }
    RunStart start =
        start_run(context, apps, preview_only ? OpenMode::ReadOnly : OpenMode::ReadWrite);
    auto& sets = start.sets;
    auto& connection = start.connection;
    const AppliedByApp& applied = start.applied;

    Plan plan = planner(sets, applied);
    if (plan.empty())
        return {true, "No migrations to reverse!"};
    refuse_while_dependents_applied(context, apps, applied);

    observer_of(context).on_plan(plan);
    if (preview_only) {
        preview(context, plan);
        return {true, ""};
    }
    if (!confirmed(context, auto_agree, "Reverse " + count_of(plan.steps.size()) + "?"))
        return declined();
    const PlanCounts planned = counts_of(plan);
    const std::vector<FileToRemove> files =
        clean ? files_of(context, sets, plan) : std::vector<FileToRemove>();
    const ExecutionReport report = execute(context, connection, plan, applied, false);
    remove_files(context, files);
    return {true, summary(planned, report)};
}

// Each app's own plan, one app after the other.
BackwardsPlanner per_app(BackwardsTarget target) {
    return [target = std::move(target)](const std::vector<MigrationSet>& sets,
                                        const AppliedByApp& applied) {
        Plan plan;
        for (const MigrationSet& set : sets)
            append_plan(plan, plan_backwards(set, applied_of(applied, set.app_name), target));
        return plan;
    };
}

} // namespace

MigrationResult BackwardsMigrationManager::run() {
    const BackwardsOptions& o = m_options;
    if (o.app)
        return run_backwards_over(m_context, selected_apps(m_context, o.app), per_app(o.target),
                                  o.auto_agree, o.clean, o.preview);
    if (std::holds_alternative<All>(o.target)) {
        // Every applied migration of every app, dependents first.
        auto apps = m_context.project.apps_in_dependency_order();
        std::reverse(apps.begin(), apps.end());
        return run_backwards_over(m_context, apps, per_app(All{}), o.auto_agree, o.clean,
                                  o.preview);
    }
    // An id belongs to one app, so it cannot say how far to go back across apps.
    if (const MigrationRef* ref = std::get_if<MigrationRef>(&o.target))
        throw Error(
            ErrorKind::Usage, "a migration id needs an app: " + ref->text(), {},
            "name the app: " + terms::command(terms::Command::Backwards, "APP " + ref->text()) +
                "; for every app, give a count (" + terms::option(terms::Option::Steps) +
                ": the most recently applied migrations of every app, by run order) or "
                "all");
    // A count goes across apps, newest first by run order: dependents ran later.
    const std::size_t count = std::get<Count>(o.target).value;
    return run_backwards_over(
        m_context, selected_apps(m_context, std::nullopt),
        [count](const std::vector<MigrationSet>& sets, const AppliedByApp& applied) {
            return plan_backwards_newest(sets, applied, count);
        },
        o.auto_agree, o.clean, o.preview);
}

MigrationResult BackwardsMigrationManager::run_migrations_backwards(const AppConfig& app_config) {
    return run_backwards_over(m_context, {&app_config}, per_app(m_options.target),
                              m_options.auto_agree, m_options.clean, m_options.preview);
}

} // namespace strata
