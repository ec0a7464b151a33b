// SPDX-License-Identifier: MIT
#pragma once

#include "strata/api/import_formats.hpp"
#include "strata/api/managers.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace strata {

// What `import_migrations` converts, and where to.
struct ImportOptions {
    ImportFormat format = ImportFormat::GolangMigrate;
    std::filesystem::path source_dir; // the other tool's migrations folder
    AppSelection app{};               // nullopt: the project's only app
    // Also record the migrations that tool applied to the project's database in strata's state
    // table (adopting the database).
    bool adopt = false;
};

// What `import_migrations` did.
struct ImportResult {
    std::string app_name;
    std::vector<std::filesystem::path> written; // up and down file of each migration, in order
    std::vector<ImportNote> skipped;            // not converted, with the reason
    std::vector<ImportNote> notes;              // converted, but not exactly as the tool ran it
    std::vector<std::string> adopted;           // ids recorded as applied (with adopt)
};

// Converts another tool's migration folder into paired files in the app's migrations folder,
// and with options.adopt records what that tool applied to context.project.database. The other
// tool's state is read first, and files are checked before any is written: throws
// Error(Refused) for a golang-migrate database left dirty or a failed sqlx migration,
// Error(Usage) when a file to write exists already (nothing is written) or the database is
// missing, Error(Database) when the other tool's state table is missing or unreadable.
ImportResult import_migrations(const Context& context, const ImportOptions& options);

} // namespace strata
