// SPDX-License-Identifier: MIT
// Commands that work on the database file itself rather than on migrations.
#pragma once

#include "strata/api/managers.hpp"

#include <filesystem>
#include <string>

namespace strata {

// The schema of the project's database as SQL (see dump_schema), without strata's own table;
// "" when the database does not exist (it is not created). Opens it read-only. Throws
// Error(Database) when it cannot be read, Error(Busy) when it stays locked.
std::string schema_of(const Project& project);

// Puts a backup (written by --backup) back in place of the project's database, after checking
// it and asking "Replace <database> with <backup>?" (unless auto_agree). The copy reports its
// progress to the context's observer and stops at the context's cancel flag, leaving the
// database as it was (Error(Interrupted)). Throws Error(Database) for a missing or damaged
// backup, Error(Busy) while another connection holds the database, Error(Refused) when
// confirmation is needed and no one can be asked, Error(Usage) when the context carries the
// application's own connection (a restore replaces the file under it).
MigrationResult restore_backup(Context context, const std::filesystem::path& backup,
                               bool auto_agree = false);

} // namespace strata
