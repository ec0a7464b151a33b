// SPDX-License-Identifier: MIT
#include "core/api/managers.hpp"

#include "core/error.hpp"
#include "core/executor/database.hpp"
#include "core/executor/executor.hpp"
#include "core/loader/loader.hpp"
#include "core/plan/plan.hpp"
#include "core/state/state_store.hpp"

#include <algorithm>
#include <map>
#include <memory>

namespace strata {

namespace {

RunObserver& observer_of(const Context& context) {
    static RunObserver silent;
    return context.observer ? *context.observer : silent;
}

DatabaseOptions database_options(const Project& project) {
    DatabaseOptions options;
    options.busy_timeout_ms = project.busy_timeout_ms;
    return options;
}

// Opens the database when it exists. Reading never creates it: bad input, a preview or a
// declined prompt must leave no file behind.
std::unique_ptr<Connection> open_existing(const Project& project, OpenMode mode) {
    std::error_code ignored;
    if (!std::filesystem::exists(project.database, ignored))
        return nullptr;
    return std::make_unique<Connection>(project.database, mode, database_options(project));
}

using AppliedByApp = std::map<std::string, std::vector<AppliedMigration>, std::less<>>;

// One read of the state table for every app: the whole cost of a run with nothing to do.
AppliedByApp read_applied(const Connection* connection) {
    AppliedByApp by_app;
    if (connection == nullptr)
        return by_app;
    try {
        for (auto& row : StateStore(connection->db()).all_applied())
            by_app[row.app_name].push_back(std::move(row));
    } catch (...) {
        rethrow_as_error(connection->path(), "reading the state table");
    }
    return by_app;
}

const std::vector<AppliedMigration>& applied_of(const AppliedByApp& by_app,
                                                const std::string& app) {
    static const std::vector<AppliedMigration> none;
    auto found = by_app.find(app);
    return found == by_app.end() ? none : found->second;
}

std::vector<MigrationSet> load_sets(const std::vector<const AppConfig*>& apps) {
    std::vector<MigrationSet> sets;
    sets.reserve(apps.size());
    for (const AppConfig* app : apps)
        sets.push_back(load_migrations(*app));
    return sets;
}

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

// Orders ids by numeric value, so "0001" finds the row recorded as "1".
struct IdLess {
    bool operator()(std::string_view a, std::string_view b) const { return compare_ids(a, b) < 0; }
};

MigrationResult declined() {
    return {false, "Not proceeding."};
}

// Asks before a plan that needs consent; false means the user said no.
bool confirmed(const Context& context, bool auto_agree, const std::string& question) {
    if (auto_agree)
        return true;
    if (context.prompter == nullptr)
        throw Error(ErrorKind::Refused, "this operation needs confirmation and no one can be asked",
                    {}, "pass auto_agree (--yes) to proceed");
    return context.prompter->confirm(question);
}

void preview(const Context& context, const Plan& plan) {
    for (const Step& step : plan.steps)
        observer_of(context).on_preview(step);
}

std::string count_of(std::size_t n) {
    return std::to_string(n) + " migration(s)";
}

std::string summary(const Plan& plan, const ExecutionReport& report) {
    std::size_t forwards = std::count_if(plan.steps.begin(), plan.steps.end(), [](const Step& s) {
        return s.direction == Direction::Forwards;
    });
    std::string verb = forwards == plan.steps.size() ? "Applied"
                       : forwards == 0               ? "Reversed"
                                                     : "Moved";
    if (report.done == 0 && report.skipped > 0)
        return "No migrations need to be run (another run did them first).";
    std::string out = verb + " " + count_of(report.done) + ".";
    if (report.skipped > 0)
        out += " " + std::to_string(report.skipped) + " were already done by another run.";
    return out;
}

ExecutionReport execute(const Context& context, std::unique_ptr<Connection>& connection,
                        const Plan& plan, bool fake) {
    if (connection == nullptr)
        connection = std::make_unique<Connection>(context.project.database, OpenMode::Create,
                                                  database_options(context.project));
    Executor executor(connection->db(), observer_of(context), ExecutorOptions{fake});
    return executor.run(plan);
}

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

} // namespace

// ---- forwards ----

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
    auto sets = load_sets(apps); // every file read, checked and hashed before the database

    auto connection = open_existing(project, m_preview ? OpenMode::ReadOnly : OpenMode::ReadWrite);
    const AppliedByApp applied = read_applied(connection.get());

    Plan plan;
    std::vector<std::string> notes;
    for (const MigrationSet& set : sets) {
        Plan app_plan = plan_forwards(set, applied_of(applied, set.app_name), m_migration_id);
        notes.push_back(app_plan.note);
        append_plan(plan, std::move(app_plan));
        // "1" means the next pending migration of the whole run, not of every app.
        if (m_migration_id == "1" && !plan.empty())
            break;
    }
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
    const ExecutionReport report = execute(m_context, connection, plan, m_fake);
    return {true, summary(plan, report)};
}

// ---- backwards ----

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

// Backwards over several apps: one plan, one confirmation, one run.
MigrationResult run_backwards_over(const Context& context, std::vector<const AppConfig*> apps,
                                   const std::string& migration_id,
                                   std::optional<std::size_t> steps, bool auto_agree, bool clean,
                                   bool preview_only) {
    auto sets = load_sets(apps);
    auto connection =
        open_existing(context.project, preview_only ? OpenMode::ReadOnly : OpenMode::ReadWrite);
    const AppliedByApp applied = read_applied(connection.get());

    Plan plan;
    for (const MigrationSet& set : sets) {
        const auto& rows = applied_of(applied, set.app_name);
        append_plan(plan, steps ? plan_backwards_steps(set, rows, *steps)
                                : plan_backwards(set, rows, migration_id));
    }
    if (plan.empty())
        return {true, "No migrations to reverse!"};

    observer_of(context).on_plan(plan);
    if (preview_only) {
        preview(context, plan);
        return {true, ""};
    }
    if (!confirmed(context, auto_agree, "Reverse " + count_of(plan.steps.size()) + "?"))
        return declined();
    const ExecutionReport report = execute(context, connection, plan, false);
    if (clean)
        remove_files(context, plan);
    return {true, summary(plan, report)};
}

} // namespace

MigrationResult BackwardsMigrationManager::run() {
    if (m_app_name == "all") {
        // As in Piccolo: every applied migration of every app, dependents first.
        auto apps = m_context.project.apps_in_dependency_order();
        std::reverse(apps.begin(), apps.end());
        return run_backwards_over(m_context, apps, "all", std::nullopt, m_auto_agree, m_clean,
                                  m_preview);
    }
    return run_backwards_over(m_context, m_context.project.select_apps(m_app_name), m_migration_id,
                              m_steps, m_auto_agree, m_clean, m_preview);
}

MigrationResult BackwardsMigrationManager::run_migrations_backwards(const AppConfig& app_config) {
    return run_backwards_over(m_context, {&app_config}, m_migration_id, m_steps, m_auto_agree,
                              m_clean, m_preview);
}

MigrationResult run_backwards(Context context, const std::string& app_name,
                              const std::string& migration_id, bool auto_agree, bool clean,
                              bool preview) {
    return BackwardsMigrationManager(context, app_name, migration_id, auto_agree, clean, preview)
        .run();
}

// ---- goto ----

GotoMigrationManager::GotoMigrationManager(Context context, std::string app_name,
                                           std::string migration_id, bool auto_agree, bool preview)
    : m_context(context), m_app_name(std::move(app_name)), m_migration_id(std::move(migration_id)),
      m_auto_agree(auto_agree), m_preview(preview) {}

MigrationResult GotoMigrationManager::run() {
    if (m_app_name == "all")
        throw Error(ErrorKind::Usage, "goto needs one app name, not \"all\"");
    auto apps = m_context.project.select_apps(m_app_name);
    auto sets = load_sets(apps);
    auto connection =
        open_existing(m_context.project, m_preview ? OpenMode::ReadOnly : OpenMode::ReadWrite);
    const AppliedByApp applied = read_applied(connection.get());

    Plan plan = plan_goto(sets.front(), applied_of(applied, sets.front().app_name), m_migration_id);
    if (plan.empty())
        return {true, plan.note};
    observer_of(m_context).on_plan(plan);
    if (m_preview) {
        preview(m_context, plan);
        return {true, ""};
    }
    if (plan.reverses_anything() &&
        !confirmed(m_context, m_auto_agree,
                   "Reverse " +
                       count_of(std::count_if(
                           plan.steps.begin(), plan.steps.end(),
                           [](const Step& s) { return s.direction == Direction::Backwards; })) +
                       "?"))
        return declined();
    const ExecutionReport report = execute(m_context, connection, plan, false);
    return {true, summary(plan, report)};
}

// ---- check ----

CheckMigrationManager::CheckMigrationManager(Context context, std::string app_name)
    : m_context(context), m_app_name(std::move(app_name)) {}

std::vector<MigrationStatus> CheckMigrationManager::get_migration_statuses() {
    auto apps = m_context.project.select_apps(m_app_name);
    auto sets = load_sets(apps);
    auto connection = open_existing(m_context.project, OpenMode::ReadOnly);
    const AppliedByApp applied = read_applied(connection.get());

    std::vector<MigrationStatus> statuses;
    for (const MigrationSet& set : sets) {
        const auto& rows = applied_of(applied, set.app_name);
        std::map<std::string_view, const AppliedMigration*, IdLess> by_id;
        for (const auto& row : rows)
            by_id.emplace(row.migration_id, &row);
        for (const Migration& m : set.migrations) {
            MigrationStatus status{set.app_name, m.id, m.description, false, ""};
            if (auto found = by_id.find(m.id); found != by_id.end()) {
                status.has_ran = true;
                status.ran_on = found->second->ran_on;
            }
            statuses.push_back(std::move(status));
        }
    }
    return statuses;
}

} // namespace strata
