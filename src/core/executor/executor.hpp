// SPDX-License-Identifier: MIT
#pragma once

#include "core/executor/observer.hpp"
#include "core/plan/plan.hpp"

#include <cstddef>

namespace SQLite {
class Database;
}

namespace strata {

struct ExecutorOptions {
    bool fake = false; // record (or forget) steps without running their SQL
};

struct ExecutionReport {
    std::size_t done = 0;    // steps applied or reversed by this run
    std::size_t skipped = 0; // steps another runner had already done
};

// Runs a plan. Each step runs in its own BEGIN IMMEDIATE transaction that also records (or
// removes) its state row, after checking inside the write lock that the step is still needed.
// A failure rolls that step back and stops: Error(MigrationFailed), or Error(Busy) when the
// write lock could not be had within the busy timeout. Earlier steps stay committed.
class Executor {
  public:
    Executor(SQLite::Database& db, RunObserver& observer, ExecutorOptions options);
    ExecutionReport run(const Plan& plan);

  private:
    SQLite::Database& m_db;
    RunObserver& m_observer;
    ExecutorOptions m_options;
};

} // namespace strata
