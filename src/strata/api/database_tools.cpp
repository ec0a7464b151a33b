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
    // A restore replaces a file; under an application's open connection that would pull the
    // database away from it.
    if (context.connection != nullptr)
        throw Error(ErrorKind::Usage,
                    "restore_backup replaces the database file and cannot run on the "
                    "application's own connection",
                    {},
                    "close the connection, then restore with project.database set and "
                    "Context::connection left null");
    const DatabaseOptions options = database_options(context);
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
