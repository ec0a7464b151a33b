// SPDX-License-Identifier: MIT
#include "strata/api/run_support.hpp"

#include "strata/error.hpp"
#include "strata/executor/backup.hpp"
#include "strata/executor/schema_dump.hpp"
#include "strata/loader/loader.hpp"
#include "strata/project/written_files.hpp"
#include "strata/state/state_store.hpp"
#include "strata/terms.hpp"
#include "util/platform.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <set>

namespace strata::detail {

RunObserver& observer_of(const Context& context) {
    static RunObserver silent;
    return context.observer ? *context.observer : silent;
}

std::vector<const AppConfig*> selected_apps(const Context& context, const AppSelection& app) {
    if (!app)
        return context.project.apps_in_dependency_order();
    if (*app == "all")
        throw Error(ErrorKind::Usage, "\"all\" is not an app name", {},
                    "leave the app unset to select every app");
    return context.project.select_apps(*app);
}

std::vector<const AppConfig*> with_dependencies(const Project& project, const AppConfig& app) {
    std::set<std::string, std::less<>> needed{app.name};
    std::vector<const AppConfig*> queue{&app};
    while (!queue.empty()) {
        const AppConfig* next = queue.back();
        queue.pop_back();
        for (const std::string& name : next->depends_on) {
            // A Project built in code may name an app it lacks; strata.toml cannot.
            const AppConfig* dependency = project.find_app(name);
            if (dependency != nullptr && needed.insert(name).second)
                queue.push_back(dependency);
        }
    }
    std::vector<const AppConfig*> apps;
    for (const AppConfig* candidate : project.apps_in_dependency_order())
        if (needed.count(candidate->name) != 0)
            apps.push_back(candidate);
    return apps;
}

std::vector<const AppConfig*> dependents_of(const Project& project, const AppConfig& app) {
    std::vector<const AppConfig*> dependents;
    for (const AppConfig* candidate : project.apps_in_dependency_order()) {
        if (candidate->name == app.name)
            continue;
        for (const AppConfig* dependency : with_dependencies(project, *candidate))
            if (dependency->name == app.name) {
                dependents.push_back(candidate);
                break;
            }
    }
    return dependents;
}

namespace {

std::string reverse_dependent_hint(const std::string& dependent) {
    if (current_audience() == Audience::CommandLine)
        return "reverse " + dependent + " first (`strata backwards " + dependent +
               " all`), or every app together (`strata backwards all`)";
    return "reverse " + dependent + " first (BackwardsMigrationManager with app \"" + dependent +
           "\" and target All), or every app together (app unset, target All)";
}

} // namespace

void refuse_while_dependents_applied(const Context& context,
                                     const std::vector<const AppConfig*>& reversing,
                                     const AppliedByApp& applied) {
    auto included = [&reversing](const AppConfig* app) {
        return std::any_of(reversing.begin(), reversing.end(),
                           [app](const AppConfig* other) { return other->name == app->name; });
    };
    for (const AppConfig* app : reversing) {
        for (const AppConfig* dependent : dependents_of(context.project, *app)) {
            const std::size_t count = applied_of(applied, dependent->name).size();
            if (included(dependent) || count == 0)
                continue;
            throw Error(ErrorKind::Refused,
                        "cannot reverse app \"" + app->name + "\": app \"" + dependent->name +
                            "\" depends on it and has " + count_of(count) + " applied",
                        {}, reverse_dependent_hint(dependent->name));
        }
    }
}

std::string selection_name(const AppSelection& app) {
    return app ? *app : "all";
}

// Every connection of a run opens here, so a Project built in code gets the project file's
// limit on the busy timeout too.
DatabaseOptions database_options(const Project& project) {
    if (auto problem = busy_timeout_ms_problem(project.busy_timeout_ms))
        throw Error(ErrorKind::Usage, std::move(*problem));
    DatabaseOptions options;
    options.busy_timeout_ms = project.busy_timeout_ms;
    return options;
}

DatabaseOptions database_options(const Context& context) {
    DatabaseOptions options = database_options(context.project);
    options.observer = &observer_of(context);
    options.cancel = context.cancel;
    return options;
}

namespace {

std::unique_ptr<Connection> open_if_exists(const Project& project, OpenMode mode,
                                           const DatabaseOptions& options) {
    std::error_code ignored;
    if (!std::filesystem::exists(project.database, ignored))
        return nullptr;
    return std::make_unique<Connection>(project.database, mode, options);
}

} // namespace

// Opens the database when it exists. Reading never creates it: bad input, a preview or a
// declined prompt must leave no file behind.
std::unique_ptr<Connection> open_existing(const Project& project, OpenMode mode) {
    return open_if_exists(project, mode, database_options(project));
}

std::unique_ptr<Connection> open_existing(const Context& context, OpenMode mode) {
    if (context.connection != nullptr)
        return std::make_unique<Connection>(context.connection, mode, database_options(context));
    return open_if_exists(context.project, mode, database_options(context));
}

RunStart start_run(const Context& context, const std::vector<const AppConfig*>& apps, OpenMode mode,
                   const SourceWrapper& wrap) {
    SharedLoad load(context, apps, wrap);
    RunStart start;
    std::error_code ignored;
    if (context.connection == nullptr &&
        !std::filesystem::exists(context.project.database, ignored)) {
        // No database yet, so nothing to read beside the files: they load on this thread. A
        // second one would overlap nothing, and what it allocates would stay in a malloc arena
        // of its own, out of reach of SQLite's cache when the plan runs.
        load.work();
        start.sets = load.result();
        start.connection = open_existing(context, mode); // created meanwhile by another run
        start.applied = read_applied(start.connection.get(), context.project);
        return start;
    }
    // Hints are worded for the audience of the thread that called (AudienceScope).
    const Audience audience = current_audience();
    // SharedLoad keeps a file's error for result(); what else escapes (out of memory) is carried
    // over here, as std::async did, since a throw out of a SideThread ends the process.
    std::exception_ptr helper_failure;
    util::SideThread helper([&load, &helper_failure, audience] {
        try {
            const AudienceScope scope(audience);
            load.work();
        } catch (...) {
            helper_failure = std::current_exception();
        }
    });
    std::exception_ptr database_failure;
    try {
        start.connection = open_existing(context, mode);
        start.applied = read_applied(start.connection.get(), context.project);
    } catch (...) {
        database_failure = std::current_exception();
    }
    load.work(); // whatever the other thread has not started yet
    helper.join();
    if (helper_failure)
        std::rethrow_exception(helper_failure);
    start.sets = load.result(); // a file's error first, as when nothing ran in parallel
    if (database_failure)
        std::rethrow_exception(database_failure);
    return start;
}

// One read of the state table for every app: the whole cost of a run with nothing to do.
AppliedByApp read_applied(const Connection* connection, const Project& project) {
    AppliedByApp by_app;
    if (connection == nullptr)
        return by_app;
    try {
        std::vector<AppliedMigration> rows =
            StateStore(connection->db(), project.settings.state_table).all_applied();
        // Most databases hold one app's rows: they move over as they are.
        const bool one_app = std::all_of(rows.begin(), rows.end(), [&](const auto& row) {
            return row.app_name == rows.front().app_name;
        });
        if (one_app && !rows.empty())
            by_app[rows.front().app_name] = std::move(rows);
        else
            for (auto& row : rows)
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

std::vector<MigrationSet> load_sets(const Context& context,
                                    const std::vector<const AppConfig*>& apps) {
    return load_sets(context, apps, {});
}

std::vector<MigrationSet> load_sets(const Context& context,
                                    const std::vector<const AppConfig*>& apps,
                                    const SourceWrapper& wrap) {
    SharedLoad load(context, apps, wrap);
    load.work();
    return load.result();
}

MigrationResult declined() {
    return {false, "Not proceeding."};
}

// Asks before a plan that needs consent; false means the user said no.
bool confirmed(const Context& context, bool auto_agree, const std::string& question) {
    if (auto_agree)
        return true;
    if (context.prompter == nullptr)
        throw Error(ErrorKind::Refused, "this operation needs confirmation and no one can be asked",
                    {}, "pass " + terms::option(terms::Option::AutoAgree) + " to proceed");
    return context.prompter->confirm(question);
}

void preview(const Context& context, const Plan& plan) {
    for (const Step& step : plan.steps)
        observer_of(context).on_preview(step);
}

std::string count_of(std::size_t n) {
    return util::counted(n, "migration");
}

PlanCounts counts_of(const Plan& plan) {
    PlanCounts counts;
    for (const Step& step : plan.steps)
        ++(step.direction == Direction::Forwards ? counts.forwards : counts.backwards);
    return counts;
}

std::string summary(PlanCounts planned, const ExecutionReport& report) {
    std::string verb = planned.backwards == 0  ? "Applied"
                       : planned.forwards == 0 ? "Reversed"
                                               : "Moved";
    if (report.done == 0 && report.skipped > 0)
        return "No migrations need to be run (another run did them first).";
    std::string out = verb + " " + count_of(report.done) + ".";
    if (report.skipped > 0) {
        // Appended piecewise: GCC 12 at -O3 warns falsely (-Wrestrict) on chained operator+.
        out += ' ';
        out += std::to_string(report.skipped);
        out += " were already done by another run.";
    }
    return out;
}

namespace {

// strata.toml's schema_file was checked when the project was loaded; a Project built in code,
// or a --database override, gets the same rule here, before anything changes.
void check_schema_file(const Project& project) {
    const std::filesystem::path& schema_file = project.settings.schema_file;
    if (schema_file.empty())
        return;
    if (auto problem = written_file_problem(project, schema_file))
        throw Error(ErrorKind::Usage, "schema_file " + schema_file.string() + " " + *problem, {},
                    written_file_hint("schema_file"));
}

// Rewrites the schema file when the run changed the database, even a run that then failed:
// the file must describe the database as it is.
void write_schema_if_changed(const Context& context, Connection& connection,
                             const ExecutionReport& report) {
    const auto& schema_file = context.project.settings.schema_file;
    if (schema_file.empty() || report.done == 0)
        return;
    try {
        write_schema_file(connection.db(), schema_file, context.project.settings.state_table);
    } catch (...) {
        rethrow_as_error(connection.path(), "writing the schema file " + schema_file.string());
    }
    observer_of(context).on_schema_written(schema_file.string());
}

ExecutionReport execute_on(const Context& context, Connection& connection, bool existed, Plan& plan,
                           const AppliedByApp& planned_from, bool fake) {
    const Settings& settings = context.project.settings;
    configure_for_migrating(connection, settings);
    // Held until the run ends, so that no concurrent run prunes this run's backup meanwhile.
    std::optional<WrittenBackup> backup;
    if (settings.backup && existed) {
        backup.emplace(backup_database(
            connection, settings.keep_backups,
            CopyOptions{.cancel = context.cancel, .observer = &observer_of(context)}));
        observer_of(context).on_backup_created(connection.path().string(), backup->path().string());
    }

    ExecutorOptions options;
    options.fake = fake;
    options.foreign_keys = settings.foreign_keys;
    options.transaction = settings.transaction;
    options.cancel = context.cancel;
    options.state_table = settings.state_table;
    options.track_rows = !connection.borrowed();
    Executor executor(connection.db(), observer_of(context), options);
    try {
        executor.run(plan, &planned_from);
    } catch (...) {
        write_schema_if_changed(context, connection, executor.progress());
        throw;
    }
    write_schema_if_changed(context, connection, executor.progress());
    return executor.progress();
}

} // namespace

ExecutionReport execute(const Context& context, std::unique_ptr<Connection>& connection, Plan& plan,
                        const AppliedByApp& planned_from, bool fake) {
    const bool existed = connection != nullptr;
    // configure_for_migrating checks too, but only after the file exists: refused settings
    // must leave no empty database behind.
    check_settings(context.project.settings);
    check_schema_file(context.project);
    // A backup is a file named after the database's: a database in memory has no such name
    // (and copying it to a file beside nothing would surprise).
    if (context.project.settings.backup && existed && connection->in_memory())
        throw Error(ErrorKind::Usage,
                    "cannot back up an in-memory database: the application's connection has no "
                    "database file to write a backup beside",
                    {}, "turn the backup setting off for an in-memory database");
    if (!existed)
        connection = std::make_unique<Connection>(context.project.database, OpenMode::Create,
                                                  database_options(context));
    try {
        return execute_on(context, *connection, existed, plan, planned_from, fake);
    } catch (...) {
        // A run that fails on a database it created, before committing anything to it, leaves
        // no file behind, as if it had not started.
        if (!existed)
            discard_new_database(connection);
        throw;
    }
}

} // namespace strata::detail
