// SPDX-License-Identifier: MIT
#include "strata/api/managers.hpp"
#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/loader/migration_source.hpp"

#include <algorithm>
#include <functional>
#include <optional>

namespace strata {

using namespace detail;

BackwardsMigrationManager::BackwardsMigrationManager(Context context, std::string app_name,
                                                     std::string migration_id, bool auto_agree,
                                                     bool clean, bool preview)
    : m_context(context), m_app_name(std::move(app_name)), m_migration_id(std::move(migration_id)),
      m_auto_agree(auto_agree), m_clean(clean), m_preview(preview) {}

BackwardsMigrationManager& BackwardsMigrationManager::with_steps(std::size_t steps) {
    m_steps = steps;
    return *this;
}

namespace {

void remove_files(const Context& context, const Plan& plan) {
    for (const Step& step : plan.steps) {
        for (const std::string* path : {&step.up_path, &step.down_path}) {
            if (path->empty())
                continue;
            const AppConfig* app = context.project.find_app(step.app_name);
            FolderSource(app ? app->migrations_dir : std::filesystem::path()).remove(*path);
            observer_of(context).on_file_removed(*path);
        }
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
    auto sets = load_sets(context, apps);
    auto connection =
        open_existing(context, preview_only ? OpenMode::ReadOnly : OpenMode::ReadWrite);
    const AppliedByApp applied = read_applied(connection.get(), context.project);

    const Plan plan = planner(sets, applied);
    if (plan.empty())
        return {true, "No migrations to reverse!"};

    observer_of(context).on_plan(plan);
    if (preview_only) {
        preview(context, plan);
        return {true, ""};
    }
    if (!confirmed(context, auto_agree, "Reverse " + count_of(plan.steps.size()) + "?"))
        return declined();
    const ExecutionReport report = execute(context, connection, plan, applied, false);
    if (clean)
        remove_files(context, plan);
    return {true, summary(plan, report)};
}

// Each app's own plan (an id, "1", "all" or a count), one app after the other.
BackwardsPlanner per_app(std::string migration_id, std::optional<std::size_t> steps) {
    return [migration_id = std::move(migration_id), steps](const std::vector<MigrationSet>& sets,
                                                           const AppliedByApp& applied) {
        Plan plan;
        for (const MigrationSet& set : sets) {
            const auto& rows = applied_of(applied, set.app_name);
            append_plan(plan, steps ? plan_backwards_steps(set, rows, *steps)
                                    : plan_backwards(set, rows, migration_id));
        }
        return plan;
    };
}

} // namespace

MigrationResult BackwardsMigrationManager::run() {
    if (m_app_name != "all")
        return run_backwards_over(m_context, m_context.project.select_apps(m_app_name),
                                  per_app(m_migration_id, m_steps), m_auto_agree, m_clean,
                                  m_preview);
    if (!m_steps && m_migration_id == "all") {
        // Every applied migration of every app, dependents first.
        auto apps = m_context.project.apps_in_dependency_order();
        std::reverse(apps.begin(), apps.end());
        return run_backwards_over(m_context, apps, per_app("all", std::nullopt), m_auto_agree,
                                  m_clean, m_preview);
    }
    // An id belongs to one app, so it cannot say how far to go back across apps.
    if (!m_steps && m_migration_id != "1")
        throw Error(ErrorKind::Usage,
                    "a migration id needs an app: strata backwards APP " + m_migration_id, {},
                    "with all, give `1` or --steps N (the most recently applied migrations of "
                    "every app, by run order) or `all`");
    // "1" and --steps count across apps, newest first by run order: dependents ran later.
    const std::size_t count = m_steps.value_or(1);
    return run_backwards_over(
        m_context, m_context.project.select_apps("all"),
        [count](const std::vector<MigrationSet>& sets, const AppliedByApp& applied) {
            return plan_backwards_newest(sets, applied, count);
        },
        m_auto_agree, m_clean, m_preview);
}

MigrationResult BackwardsMigrationManager::run_migrations_backwards(const AppConfig& app_config) {
    return run_backwards_over(m_context, {&app_config}, per_app(m_migration_id, m_steps),
                              m_auto_agree, m_clean, m_preview);
}

MigrationResult run_backwards(Context context, const std::string& app_name,
                              const std::string& migration_id, bool auto_agree, bool clean,
                              bool preview) {
    return BackwardsMigrationManager(context, app_name, migration_id, auto_agree, clean, preview)
        .run();
}

} // namespace strata
