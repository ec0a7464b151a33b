// SPDX-License-Identifier: MIT
#pragma once

#include "core/migration_id.hpp"
#include "core/state/applied_migration.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace SQLite {
class Database;
}

namespace strata {

// What the store records for a migration that has just been applied (ran_on is set by the
// store, in UTC).
struct NewStateRow {
    std::string app_name;
    MigrationId migration_id;
    std::string description;
    std::string checksum;
    std::string down_sql; // kept so the migration can be reversed without its files
};

// A new checksum (and down SQL) for an applied migration whose up file was edited on purpose.
struct ChecksumUpdate {
    std::string app_name;
    MigrationId migration_id;
    std::string old_checksum; // the row is only changed while it still holds this one
    std::string checksum;
    std::string down_sql;
};

// Names one row of the state table.
struct MigrationKey {
    std::string app_name;
    MigrationId migration_id;
};

// Owns every statement that touches strata's state table (`migrations`). Callers manage
// transactions, except for the batch edits of repair and clean, which take the write lock
// themselves; every read and delete is scoped by app.
class StateStore {
  public:
    static constexpr std::string_view k_table = "migrations";
    // Version of the table's layout, written into its CREATE statement so a later strata can
    // recognise and upgrade it.
    static constexpr int k_current_version = 1;

    explicit StateStore(SQLite::Database& db);

    // True when the state table exists. Throws Error(Database) when a table of that name exists
    // but was not created by strata (another tool's), or by a newer strata.
    bool exists() const;
    // Creates the table if it does not exist yet (inside the caller's transaction).
    void create_if_missing() const;

    // Every applied migration of every app, in run order. Empty when the table is missing.
    // Throws Error(Database) for a row whose id is not digits (the table was edited by hand).
    std::vector<AppliedMigration> all_applied() const;
    // The applied migrations of one app, in run order. Throws as all_applied().
    std::vector<AppliedMigration> applied(std::string_view app_name) const;
    // True when the app's migration `migration_id` is recorded under the id as written.
    bool is_applied(std::string_view app_name, const MigrationId& migration_id) const;

    // Records a forwards step as applied (ran_on = now, UTC).
    void record(const NewStateRow& row) const;
    // Removes the record of a reversed step.
    void remove(std::string_view app_name, const MigrationId& migration_id) const;

    // Writes every update in one BEGIN IMMEDIATE transaction. A row whose checksum is no longer
    // the update's old_checksum (another run changed it meanwhile) is left alone. Returns the
    // number of rows changed.
    std::size_t update_checksums(const std::vector<ChecksumUpdate>& updates) const;
    // Deletes the rows of `migrations` in one BEGIN IMMEDIATE transaction, running no SQL of
    // theirs. Returns the number of rows deleted.
    std::size_t forget(const std::vector<MigrationKey>& migrations) const;

  private:
    SQLite::Database& m_db;
};

} // namespace strata
