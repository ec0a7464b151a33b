// SPDX-License-Identifier: MIT
#pragma once

#include "strata/executor/database.hpp"
#include "strata/executor/foreign_keys.hpp"
#include "strata/executor/observer.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "strata/migration_id.hpp"
#include "strata/plan/plan.hpp"
#include "strata/project/project.hpp"
#include "strata/state/applied_migration.hpp"
#include "strata/state/state_store.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace strata {

class StateStore;

struct ExecutorOptions {
    bool fake = false; // record (or forget) steps without running their SQL
    ForeignKeyMode foreign_keys = ForeignKeyMode::Deferred;
    TransactionScope transaction = TransactionScope::Each;
    const std::atomic<bool>* cancel = nullptr; // when it becomes true, the run stops
    std::string state_table = std::string(k_default_state_table); // Settings::state_table
    // Note the rows each migration writes through SQLite's update hook, so the foreign-key
    // check looks at them only; off for a connection whose hook may be the application's.
    bool track_rows = true;
};

struct ExecutionReport {
    std::size_t done = 0;    // steps applied or reversed by this run
    std::size_t skipped = 0; // steps another runner had already done
};

// Runs a plan. Each step runs in a BEGIN IMMEDIATE transaction that also records (or removes)
// its state row, after checking inside the write lock that the step is still needed. With
// TransactionScope::All the whole plan shares one transaction. A failure rolls back (that step,
// or the whole plan, which the error then says) and stops: Error(MigrationFailed), Error(Busy)
// when the write lock could not be had within the busy timeout, Error(Interrupted) on cancel.
// With foreign keys deferred, enforcement is off while a step runs and the tables it touched
// are checked before COMMIT: each step's with TransactionScope::Each, the whole run's once with
// TransactionScope::All (a rebuild may span several migrations). A foreign key SQLite cannot
// check (its parent is not unique) is skipped with a warning to the observer.
// Before anything runs, down SQL stored in the database (Step::runs_stored_sql) must be
// valid text without an after-commit section, or the run stops with Error(Refused); before
// each step, the connection must be in the state strata set up (check_connection_state).
// A migration written in C++ (Step::code) runs its callback in place of SQL, under the same
// policy and checks; reversing one without a down callback, or one the program does not have
// (no down SQL is stored for it), is refused before anything runs with Error(Refused).
class Executor {
  public:
    Executor(sqlite::Database db, RunObserver& observer, ExecutorOptions options);
    // Returns what was done; throws as described above (progress() then tells what was kept).
    // `planned_from`: the state the plan was computed from. When given, each step first checks
    // inside the write lock that nothing but the plan's own steps changed that state (another
    // runner doing the same steps is fine: they are skipped); any other change by a concurrent
    // run stops this one with Error(Busy) before the step.
    // Each step leaves `plan` (off its front) once it is over: committed and its after-commit
    // section run, or skipped. So a long run holds the steps still to come, not every step;
    // with TransactionScope::All they all stay until the whole run has committed. On return
    // the plan is empty; after a throw it holds the step that failed and those after it. That
    // step has itself committed when what failed came after its COMMIT (its after-commit
    // section, or an observer's on_step_finished), and with All so have the steps after it.
    // Observers get a step while it is still in the plan.
    ExecutionReport run(Plan& plan, const AppliedByApp* planned_from = nullptr);
    // The steps committed so far by this executor.
    const ExecutionReport& progress() const { return m_progress; }

  private:
    void run_each(Plan& plan);
    void run_as_one(Plan& plan);
    // Runs one step inside the caller's transaction; false when another run already did it.
    bool run_step(const StateStore& state, const Plan& plan, std::size_t index);
    // Checks the app's state against what the plan expects (see run()).
    void check_state_unchanged(const StateStore& state, const Plan& plan, std::size_t index);
    void run_after_commit(const Step& step);
    // Checks what `touched` could have broken (see check_foreign_keys); reports keys SQLite
    // cannot check. Throws Error(MigrationFailed) naming `step`, or the whole run when it is
    // null.
    void check_deferred_keys(const TouchedTables& touched, const Step* step);
    // Drops the previous migration's temp objects and checks the connection is in
    // m_connection_state before `before` (a step or an after-commit section) runs.
    void reset_connection(const std::string& before);
    // Reads PRAGMA data_version; when another connection has committed since the last call,
    // forgets what this run knew of the state table (m_checked, m_state_table_ready).
    void note_other_writers();
    bool cancelled() const;
    [[noreturn]] void throw_interrupted(const Step* in_flight) const;

    sqlite::Database m_db;
    RunObserver& m_observer;
    ExecutorOptions m_options;
    ExecutionReport m_progress;

    // What one app's rows in the state table are expected to be while the run goes on, when
    // a snapshot was given: the snapshot's, less the ids reversed since, plus the rows written
    // since. A few bytes per step, not a set of every applied id: a long run holds no copy of
    // the table.
    struct ExpectedState {
        std::set<MigrationId> reversed; // snapshot ids reversed since (by this run or, as
                                        // the plan foresaw, by another)
        std::vector<std::int64_t> ours; // row ids this run wrote, sorted
        std::map<std::int64_t, MigrationId> accepted; // rows another run wrote for this
                                                      // run's steps (which are then skipped)
        std::set<MigrationId> ahead; // steps still to come that another run did already
    };
    const AppliedByApp* m_planned_from = nullptr;
    std::map<std::string, ExpectedState, std::less<>> m_expected;
    bool m_checking = false;
    // PRAGMA data_version when the apps in m_checked were last checked: while it stays the same
    // no other connection has committed, so the check costs nothing per step.
    std::int64_t m_data_version = -1;
    // Inside run_as_one's one transaction, which holds the write lock from its BEGIN, no other
    // connection can commit: data_version is read once, at the first step.
    bool m_others_shut_out = false;
    std::set<std::string, std::less<>> m_checked;
    // The state table exists: this run created or found it, and no one else has written since.
    bool m_state_table_ready = false;
    // The state table's rows of sqlite_sequence, while this run knows them without reading.
    std::optional<std::vector<SequenceRow>> m_sequence;
    // The last step or section may have changed the connection (see run_step): the next one
    // starts with reset_connection.
    bool m_connection_touched = true;

    // TransactionScope::All with foreign keys deferred: the tables of every step so far.
    TouchedTables m_run_touched;
    // With foreign keys deferred: which tables refer to which, followed through the run.
    ForeignKeyGraph m_foreign_key_graph;
    // Foreign keys already reported as not checkable in this run.
    std::set<std::string> m_warned_keys;
    // Statements run so far by each step of the current plan (on_statement_executed's index).
    std::map<const Step*, std::size_t> m_statements;
    // The connection's settings every step must start from (set when a run starts).
    ConnectionState m_connection_state;
};

} // namespace strata
