// SPDX-License-Identifier: MIT
#pragma once

#include "strata/loader/migration.hpp"
#include "strata/migration_id.hpp"
#include "strata/state/applied_migration.hpp"
#include "strata/targets.hpp"

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

enum class Direction { Forwards, Backwards };

// One migration to apply or reverse. Owns its SQL so that a plan outlives the files it came from.
struct Step {
    Direction direction = Direction::Forwards;
    std::string app_name;
    MigrationId migration_id;
    std::string description;
    std::string sql; // up SQL (forwards) or down SQL (backwards)
    // Where `sql` came from: the migration's full name "<id>_<slug>", and the path prefix of
    // its files (Migration::path_prefix, shared). Both empty when `sql` is the down SQL the
    // state table stored; no prefix for a migration written in C++.
    std::string name;
    std::shared_ptr<const std::string> path_prefix;
    std::string checksum; // forwards: recorded in the state table; backwards: the row's, from
                          // stored down SQL
    std::string down_sql; // forwards: recorded in the state table
    // A migration written in C++: its callback (up forwards, down backwards) runs instead of
    // `sql`, and sql_path() names it (code_source_name). Null for SQL migrations.
    std::shared_ptr<const CodeMigration> code;

    // The file `sql` came from (the prefix, the name, and .up.sql forwards or .down.sql
    // backwards), code_source_name for a migration written in C++, or "" for stored down SQL.
    std::string sql_path() const;
    // Whether `sql` is the down SQL the state table stored (no file, no C++ migration).
    bool runs_stored_sql() const { return !code && !path_prefix; }
    // "<app> <id> (<description>)", for messages.
    std::string label() const;
};

// What to run, in order. `note` explains an empty plan ("No migrations need to be run").
struct Plan {
    // A deque, not a vector: a run takes each step off the front once it is over (see
    // Executor::run), and that frees the step, so a long run holds only the steps to come.
    std::deque<Step> steps;
    std::string note;

    bool empty() const { return steps.empty(); }
    bool reverses_anything() const;
};

// The migrations of one app that are not applied, in id order (`set` must be, as for
// pair_migrations). Planning fills gaps: whether a pending migration older than an applied one
// may run is decided by drift.hpp's checks.
std::vector<const Migration*> pending_migrations(const MigrationSet& set,
                                                 const std::vector<AppliedMigration>& applied);

// Forwards for one app: every pending migration (Latest), the first `Count` pending ones, or
// the pending ones up to and including a migration. Throws Error(UnknownMigration) for a
// migration the app does not have, listing the valid ids.
Plan plan_forwards(const MigrationSet& set, const std::vector<AppliedMigration>& applied,
                   const ForwardsTarget& target);
// The same for a caller that is done with `set`: the planned migrations' texts (up and down
// SQL, checksum, description, name) move into the steps instead of being copied, so a long run
// does not hold them twice while it is planned. A planned migration leaves `set` when all
// before it have (on a new database every one does); the others stay, keeping only their id,
// app and code: `set` stays valid for finding a migration by id, not for planning again.
Plan plan_forwards(MigrationSet&& set, const std::vector<AppliedMigration>& applied,
                   const ForwardsTarget& target);

// Backwards for one app; `applied` is in run order: the `Count` most recent, All, or a
// migration and everything applied after it. Down SQL comes from the files when they exist,
// otherwise from the state table (a step reversing a row recorded by a migration written in C++
// then carries that row's checksum, so the executor can refuse it). Throws Error(UnknownMigration)
// for one that is not applied.
Plan plan_backwards(const MigrationSet& set, const std::vector<AppliedMigration>& applied,
                    const BackwardsTarget& target);

// Backwards by count over several apps: the `steps` most recently applied migrations of all of
// `sets`' apps together, newest first by run order (the state table's row id). A dependent
// app's migrations ran after those they build on, so they are reversed first.
Plan plan_backwards_newest(const std::vector<MigrationSet>& sets, const AppliedByApp& applied,
                           std::size_t steps);

// Moves an app to exactly `target`: reverses applied migrations with a higher id (newest first),
// then applies pending ones up to it. Initial is the place before the first migration: it
// reverses every applied migration, one whose id is 0000 included. Throws
// Error(UnknownMigration) for an unknown migration.
Plan plan_goto(const MigrationSet& set, const std::vector<AppliedMigration>& applied,
               const GotoTarget& target);

// Makes one app match its files exactly: reverses the applied migrations whose files are gone
// (newest first by run order, with the down SQL stored when they ran), then applies every
// pending one in id order. Backwards steps come first. Says nothing about modified migrations
// or out-of-order ones: see drift.hpp.
Plan plan_sync(const MigrationSet& set, const std::vector<AppliedMigration>& applied);

// Appends `more` to `plan` (used to build one plan over several apps).
void append_plan(Plan& plan, Plan more);

} // namespace strata
