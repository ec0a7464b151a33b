// SPDX-License-Identifier: MIT
#pragma once

#include "core/api/managers.hpp"

#include <filesystem>
#include <string>

namespace strata {

// The schema of the project's database as SQL (see dump_schema), without strata's own table;
// "" when the database does not exist. Never writes to the database.
std::string schema_of(const Project& project);

// Puts a backup (written by --backup) back in place of the project's database, after asking
// (unless auto_agree). Refuses with Error(Busy) while another connection holds the database.
MigrationResult restore_backup(Context context, const std::filesystem::path& backup,
                               bool auto_agree = false);

} // namespace strata
