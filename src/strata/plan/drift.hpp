// SPDX-License-Identifier: MIT
// Where the database and the project's files disagree: applied migrations whose up file changed
// (modified), applied migrations whose files are gone (missing), and pending migrations older
// than the newest applied one (out of order). Pure functions over what the caller already
// loaded: no file is read again and the state table is not queried again.
#pragma once

#include "strata/loader/migration.hpp"
#include "strata/migration_id.hpp"
#include "strata/plan/plan.hpp"
#include "strata/project/project.hpp"
#include "strata/state/applied_migration.hpp"

#include <string>
#include <vector>

namespace strata {

// A migration's files and its row in the state table, matched by id; either may be absent.
// Pointers refer into the set and rows given to pair_migrations.
struct MigrationPair {
    const Migration* migration = nullptr;      // null: applied, but its files are gone
    const AppliedMigration* applied = nullptr; // null: pending

    // Applied, and the up file's checksum differs from the one recorded when it ran.
    bool modified() const {
        return migration != nullptr && applied != nullptr &&
               migration->checksum != applied->checksum;
    }
};

// Every migration of the app and every applied row without files, in id order (ids compare
// numerically, so "0002" meets the row recorded as "2"). `set` must be in id order, without two
// equal ids, as every MigrationSet strata builds is. O(n) when the rows are in id order (run
// order is, unless migrations ran out of order), else O(n log n).
std::vector<MigrationPair> pair_migrations(const MigrationSet& set,
                                           const std::vector<AppliedMigration>& applied);

// An applied migration whose up file changed since it ran.
struct ModifiedMigration {
    const Migration* migration;      // the files as they are now
    const AppliedMigration* applied; // the row written when it ran
    // The most recently applied migration of its app (by run order): `backwards APP` reverses
    // it, and `forwards` then runs the edited SQL.
    bool newest_applied = false;
};

// How one app's files and its state rows disagree. Pointers refer into the set and rows given
// to find_drift.
struct Drift {
    std::string app_name;
    std::vector<ModifiedMigration> modified;      // in id order
    std::vector<const AppliedMigration*> missing; // applied rows without files, in run order

    bool empty() const { return modified.empty() && missing.empty(); }
};

// The modified and missing migrations of one app.
Drift find_drift(const MigrationSet& set, const std::vector<AppliedMigration>& applied);

// A forwards step that would run below a newer applied migration of its app.
struct OutOfOrderStep {
    const Step* step;              // points into the plan given to out_of_order_steps
    MigrationId newest_applied_id; // the highest id that stays applied
};

// The forwards steps of `app_plan` (one app's plan) whose id is lower than the highest id that
// stays applied once the plan's backwards steps have run. `applied` and `drift`: that app's rows
// and find_drift's answer for them. Rows whose files are gone do not count: they are reported
// (or reversed) as missing, and both ways out of that remove them.
std::vector<OutOfOrderStep> out_of_order_steps(const Plan& app_plan,
                                               const std::vector<AppliedMigration>& applied,
                                               const Drift& drift);

// What a command tolerates.
struct DriftPolicy {
    bool allow_modified = false; // --allow-modified
    bool allow_missing = false;  // sync and goto reverse missing migrations themselves
    OutOfOrder out_of_order = OutOfOrder::Error;
};

// Throws Error(Drift) naming the modified migrations, missing migrations and out-of-order steps
// that `policy` does not allow (at most ten of each kind, then how many more), with the ways
// out; returns when there is none.
void refuse_drift(const std::vector<Drift>& drifts, const std::vector<OutOfOrderStep>& out_of_order,
                  const DriftPolicy& policy);

// The first characters of a checksum for messages ("1a2b3c4d…"); "(none)" when empty.
std::string short_checksum(const std::string& checksum);

} // namespace strata
