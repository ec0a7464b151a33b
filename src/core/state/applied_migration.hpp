// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>

namespace strata {

// One row of the state table: a migration that has been applied to the database.
struct AppliedMigration {
    std::int64_t row_id = 0; // run order: a later run has a higher row id
    std::string app_name;
    std::string migration_id; // the id as its file named it
    std::string description;
    std::string checksum;
    std::string down_sql; // as applied, so the migration can be reversed without its files
    std::string ran_on;   // UTC, ISO-8601 with milliseconds
};

} // namespace strata
