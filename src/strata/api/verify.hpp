// SPDX-License-Identifier: MIT
// `strata verify`, and the test helper an application calls from its own unit tests: every
// migration's down must put back the schema and the data its up changed.
#pragma once

#include "strata/api/managers.hpp"
#include "strata/executor/snapshot.hpp"
#include "strata/migration_id.hpp"

#include <string>
#include <vector>

namespace strata {

struct VerifyOptions {
    AppSelection app{}; // nullopt: every app, in dependency order
    // Start from an empty database with the migrations the real database has applied, instead
    // of a copy of it (its rows stay out of the check).
    bool fresh = false;
    // Verify every migration from zero on an empty database, not only the pending ones.
    bool all = false;
};

// Where verify started from: a copy of the database, or an empty database (--fresh or --all, or
// no database file yet).
enum class VerifyStart { Copy, Empty };

// One verified migration: `diff` is what its down left different from the state before its up
// (empty when it verified).
struct VerifiedMigration {
    std::string app_name;
    MigrationId migration_id;
    std::string description;
    SnapshotDiff diff;

    bool verified() const { return diff.empty(); }
};

// What VerifyMigrationManager::run() found: the migrations it checked, in order, up to and
// including the first whose down did not restore the state (the check stops there).
struct VerifyReport {
    VerifyStart start = VerifyStart::Copy;
    std::vector<VerifiedMigration> migrations;

    // Whether every checked migration verified.
    bool ok() const;
    // The migration whose down did not restore the state, or nullptr.
    const VerifiedMigration* mismatch() const;
};

// Checks each pending migration (VerifyOptions::all: every migration) on a database in memory:
// a snapshot, its up, its down, a snapshot compared with the first, its up again, then the
// next. The real database is only read (copied with SQLite's backup API) and never changed.
// A mismatch is a result, not an error. Throws Error(MigrationFailed) when a migration's SQL
// fails (e.g. "no such function" for a function the application registers in code), and the
// loader's and the copy's errors (MigrationFiles, Busy, Database).
class VerifyMigrationManager {
  public:
    explicit VerifyMigrationManager(Context context, VerifyOptions options = {});
    VerifyReport run();

  private:
    Context m_context;
    VerifyOptions m_options;
};

} // namespace strata
