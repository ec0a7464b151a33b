// SPDX-License-Identifier: MIT
// What the managers share: opening the database without creating it, reading the state table
// once, asking for consent, and executing a plan with the project's safety settings.
#pragma once

#include "strata/api/managers.hpp"
#include "strata/api/shared_load.hpp"
#include "strata/executor/database.hpp"
#include "strata/executor/executor.hpp"
#include "strata/loader/migration.hpp"
#include "strata/plan/plan.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace strata::detail {

RunObserver& observer_of(const Context& context);
// The apps `app` selects: one, or every app in dependency order. Throws Error(Usage) for an
// unknown app.
std::vector<const AppConfig*> selected_apps(const Context& context, const AppSelection& app);
// `app` and every app it depends on (depends_on, followed through), each after the apps it
// depends on: what a command on `app` alone must apply first.
std::vector<const AppConfig*> with_dependencies(const Project& project, const AppConfig& app);
// The apps that depend on `app`, directly or through another app.
std::vector<const AppConfig*> dependents_of(const Project& project, const AppConfig& app);
// Throws Error(Refused) when an app that depends on one of `reversing` (and is not among them)
// has migrations applied: reversing what it builds on would pull the ground from under it.
void refuse_while_dependents_applied(const Context& context,
                                     const std::vector<const AppConfig*>& reversing,
                                     const AppliedByApp& applied);

// "all" or the app's name, for messages.
std::string selection_name(const AppSelection& app);
// The connection options of `project`. Throws Error(Usage) when busy_timeout_ms is outside
// the range strata.toml allows.
DatabaseOptions database_options(const Project& project);

// The same, with the context's observer told of lock waits and its cancel flag ending them.
DatabaseOptions database_options(const Context& context);

// The database when its file exists, else nullptr: reading never creates it, so bad input, a
// preview or a declined prompt leave no file behind.
std::unique_ptr<Connection> open_existing(const Project& project, OpenMode mode);
// The context's own connection (Context::connection) when it has one, else as above with the
// context's lock-wait options. Throws Error(Usage) when the application's connection is inside
// a transaction, or read-only and `mode` writes.
std::unique_ptr<Connection> open_existing(const Context& context, OpenMode mode);

// Every app's applied migrations from one read of the project's state table (empty without a
// database).
AppliedByApp read_applied(const Connection* connection, const Project& project);
const std::vector<AppliedMigration>& applied_of(const AppliedByApp& by_app, const std::string& app);

// Reads, checks and hashes every app's files before the database is touched: from the source
// `context.sources` names for the app, else from its migrations folder.
std::vector<MigrationSet> load_sets(const Context& context,
                                    const std::vector<const AppConfig*>& apps);
// The same, each app's source first passed through `wrap` (which may filter what it lists).
std::vector<MigrationSet> load_sets(const Context& context,
                                    const std::vector<const AppConfig*>& apps,
                                    const SourceWrapper& wrap);

// What a command starts from: the apps' migrations (load_sets), the database when it exists
// (open_existing) and its applied migrations (read_applied).
struct RunStart {
    std::vector<MigrationSet> sets;
    std::unique_ptr<Connection> connection;
    AppliedByApp applied;
};
// The files are read and hashed on a second thread while this one opens the database and
// reads its state table, and then on both (SharedLoad): the two parts cost about the same, and
// neither reads what the other writes. With no database file yet (and no connection of the
// application's), there is nothing to overlap: the files load on this thread alone. Errors come
// as when the two ran in turn: a migration file's first. `wrap` is called on one of the
// threads, before start_run returns.
RunStart start_run(const Context& context, const std::vector<const AppConfig*>& apps, OpenMode mode,
                   const SourceWrapper& wrap = {});

// Asks before a plan that needs consent; false means the user said no. Throws Error(Refused)
// when consent is needed and there is no one to ask.
bool confirmed(const Context& context, bool auto_agree, const std::string& question);
MigrationResult declined();

// Hands every step to the observer's on_preview.
void preview(const Context& context, const Plan& plan);

std::string count_of(std::size_t n);

// How many steps of a plan go each way: what the run's summary says, counted before the run
// takes the steps off the plan.
struct PlanCounts {
    std::size_t forwards = 0;
    std::size_t backwards = 0;
};
PlanCounts counts_of(const Plan& plan);
// "Applied 2 migrations." and the like.
std::string summary(PlanCounts planned, const ExecutionReport& report);

// Runs `plan` with the project's settings: creates the database if needed, applies
// journal_mode and synchronous, backs the database up first when asked, and rewrites the
// schema file afterwards when anything changed.
// `planned_from` is the state the plan was made from: the executor stops with Error(Busy) when
// another run changes it in a way the plan did not foresee. Each step leaves the plan once it
// is over (Executor::run).
ExecutionReport execute(const Context& context, std::unique_ptr<Connection>& connection, Plan& plan,
                        const AppliedByApp& planned_from, bool fake);

} // namespace strata::detail
