// SPDX-License-Identifier: MIT
#pragma once

#include "strata/migration_id.hpp"

#include <functional>
#include <string>
#include <string_view>

struct sqlite3;

namespace strata {

// The body of a migration written in C++. It runs inside strata's transaction on the run's
// connection, under the same SQL policy as a migration file; it reports failure by throwing
// (any exception), which rolls the migration back. It must not finalize or close the handle.
using MigrationCallback = std::function<void(sqlite3*)>;

// A migration written in C++, for data changes SQL cannot express. It takes its place among an
// app's SQL migrations by id. Its checksum is code_checksum(version): change `version` whenever
// `up` changes, and the database reports it as modified, as it would an edited file.
struct CodeMigration {
    MigrationId id;           // e.g. MigrationId("0004"); no SQL migration of the app may use it
    std::string name;         // "<id>_<slug>", e.g. "0004_split_names"
    std::string version;      // not empty, one line: what the state table records
    MigrationCallback up;     // required
    MigrationCallback down{}; // empty: the migration is irreversible (reversing it is refused)
};

// Every checksum of a migration written in C++ starts with this, so any reader of the state
// table (the command line included, which has no callbacks) knows such a row.
inline constexpr std::string_view k_code_checksum_prefix = "code:";

// The checksum recorded for a migration written in C++: "code:" followed by its version.
std::string code_checksum(std::string_view version);

// Whether a recorded checksum is one of a migration written in C++.
bool is_code_checksum(std::string_view checksum);

// Where messages say a migration written in C++ comes from: "cpp:<app>/<name>".
std::string code_source_name(std::string_view app_name, std::string_view name);

} // namespace strata
