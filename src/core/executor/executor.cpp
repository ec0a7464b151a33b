// SPDX-License-Identifier: MIT
#include "core/executor/executor.hpp"

#include "core/error.hpp"
#include "core/executor/database.hpp"
#include "core/executor/sql_runner.hpp"
#include "core/state/state_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

namespace strata {

namespace {

std::string source_name(const Step& step) {
    return step.sql_path.empty() ? step.app_name + "/" + step.migration_id + " (stored down SQL)"
                                 : step.sql_path;
}

// Runs the step's SQL, turning a failure into a message that names the migration.
void run_step_sql(SQLite::Database& db, const Step& step) {
    try {
        run_migration_sql(db, step.sql, source_name(step));
    } catch (const Error& e) {
        const char* verb = step.direction == Direction::Forwards ? "applying" : "reversing";
        throw Error(e.kind(), std::string(verb) + " " + step.label() + " failed: " + e.message(),
                    e.where(), e.hint())
            .with_sqlite_code(e.sqlite_code().value_or(0));
    }
}

} // namespace

Executor::Executor(SQLite::Database& db, RunObserver& observer, ExecutorOptions options)
    : m_db(db), m_observer(observer), m_options(options) {}

ExecutionReport Executor::run(const Plan& plan) {
    m_progress = {};
    ExecutionReport& report = m_progress;
    StateStore state(m_db);
    for (const Step& step : plan.steps) {
        const bool forwards = step.direction == Direction::Forwards;
        try {
            // IMMEDIATE takes the write lock before reading the state, so the check below and
            // the work after it cannot interleave with another runner's.
            SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
            if (forwards)
                state.create_if_missing();
            const bool recorded =
                (forwards || state.exists()) && state.is_applied(step.app_name, step.migration_id);
            if (recorded == forwards) {
                m_observer.on_step_skipped(step, forwards ? "already applied by another run"
                                                          : "already reversed by another run");
                ++report.skipped;
                continue; // the transaction rolls back: nothing was written
            }
            m_observer.on_step_started(step);
            const auto started = std::chrono::steady_clock::now();
            if (!m_options.fake)
                run_step_sql(m_db, step);
            if (forwards)
                state.record(step);
            else
                state.remove(step.app_name, step.migration_id);
            transaction.commit();
            m_observer.on_step_finished(step, std::chrono::duration_cast<std::chrono::microseconds>(
                                                  std::chrono::steady_clock::now() - started));
            ++report.done;
        } catch (...) {
            rethrow_as_error(m_db.getFilename(), "running " + step.label());
        }
    }
    return report;
}

} // namespace strata
