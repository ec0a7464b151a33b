// SPDX-License-Identifier: MIT
#pragma once

#include "strata/error.hpp"
#include "strata/executor/sql_runner.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "strata/state/state_store.hpp"

#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace strata {

// What a migration may leave behind that reaches strata's state table later, checked inside
// its transaction before COMMIT (the reasons: state_table_guard.cpp):
//  - a trigger or view, created or changed by the migration, whose body writes or reads the
//    state table, or a trigger whose body writes sqlite_sequence;
//  - a change to the state table's row of sqlite_sequence.
// Construct it before the migration's SQL runs; call check() after.
class StateTableGuard {
  public:
    // Notes the triggers and views of the main and temp schemas and the state table's rows
    // of sqlite_sequence as they are now. Throws sqlite::Failure.
    StateTableGuard(sqlite::Database db, const StateStore& state);
    StateTableGuard(const StateTableGuard&) = delete;
    StateTableGuard& operator=(const StateTableGuard&) = delete;

    // Throws Error(MigrationFailed) when the migration changed the state table's sequence
    // row, or created or changed a trigger or view that reaches the state table or that strata
    // cannot check. The error points at the object's CREATE statement when `defined` names it,
    // else at `source` (the migration's file).
    void check(const std::vector<DefinedObject>& defined, const SourceLocation& source) const;

    // A trigger or view: schema ("main" or "temp"), type ("trigger" or "view"), name.
    using ObjectKey = std::tuple<std::string, std::string, std::string>;
    // What sqlite_schema says of one: the table a trigger is on, and the CREATE statement.
    struct ObjectDefinition {
        std::string table;
        std::string sql;
        bool operator==(const ObjectDefinition&) const = default;
    };
    using Objects = std::map<ObjectKey, ObjectDefinition>;

  private:
    void check_sequence(const SourceLocation& source) const;

    sqlite::Database m_db;
    const StateStore& m_state;
    Objects m_objects;
    std::vector<SequenceRow> m_sequence;
};

} // namespace strata
