// SPDX-License-Identifier: MIT
#pragma once

#include "strata/migration_id.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace strata {

// One row of the state table: a migration that has been applied to the database.
struct AppliedMigration {
    std::int64_t row_id = 0; // run order: a later run has a higher row id
    std::string app_name;
    MigrationId migration_id; // as its file wrote it
    std::string description;
    std::string checksum;
    std::string down_sql; // as applied, so the migration can be reversed without its files
    std::string ran_on;   // UTC, ISO-8601 with milliseconds
    bool fake = false;    // recorded by --fake: its SQL never ran
};

// Applied migrations by app name, each app's in run order.
using AppliedByApp = std::map<std::string, std::vector<AppliedMigration>, std::less<>>;

} // namespace strata
