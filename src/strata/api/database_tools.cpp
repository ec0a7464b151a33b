// SPDX-License-Identifier: MIT
#include "strata/api/database_tools.hpp"

#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/executor/backup.hpp"
#include "strata/executor/schema_dump.hpp"

namespace strata {

using namespace detail;

std::string schema_of(const Project& project) {
    auto connection = open_existing(project, OpenMode::ReadOnly);
    if (connection == nullptr)
        return {};
    try {
        return dump_schema(connection->db(), project.settings.state_table);
    } catch (...) {
        rethrow_as_error(connection->path(), "reading the schema");
    }
}

MigrationResult restore_backup(Context context, const std::filesystem::path& backup,
                               bool auto_agree) {
    const Project& project = context.project;
    const DatabaseOptions options = database_options(project);
    // Checked before asking, so no one is asked to confirm a restore that cannot work.
    check_backup(backup, options);
    if (!confirmed(context, auto_agree,
                   "Replace " + project.database.string() + " with " + backup.string() + "?"))
        return declined();
    restore_database(project.database, backup, options,
                     CopyOptions{.cancel = context.cancel, .observer = &observer_of(context)});
    return {true, "Restored " + project.database.string() + " from " + backup.string() + "."};
}

} // namespace strata
