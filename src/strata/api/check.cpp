// SPDX-License-Identifier: MIT
#include "strata/api/managers.hpp"
#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/plan/drift.hpp"

namespace strata {

using namespace detail;

std::string_view state_name(MigrationState state) {
    switch (state) {
    case MigrationState::Pending:
        return "pending";
    case MigrationState::Applied:
        return "applied";
    case MigrationState::Modified:
        return "modified";
    case MigrationState::Missing:
        return "missing";
    case MigrationState::NotRunnable:
        return "not runnable";
    }
    return "pending";
}

std::string_view database_state_name(DatabaseState state) {
    switch (state) {
    case DatabaseState::UpToDate:
        return "up to date";
    case DatabaseState::Pending:
        return "pending";
    case DatabaseState::Modified:
        return "modified";
    case DatabaseState::NewerThanApp:
        return "newer than this application";
    }
    return "up to date";
}

CheckMigrationManager::CheckMigrationManager(Context context, CheckOptions options)
    : m_context(context), m_options(std::move(options)) {}

DatabaseStatus CheckMigrationManager::status() {
    DatabaseStatus status;
    status.all = get_migration_statuses();
    for (const MigrationStatus& row : status.all) {
        switch (row.state) {
        case MigrationState::Pending:
            status.pending.push_back(row);
            break;
        case MigrationState::Modified:
            status.modified.push_back(row);
            break;
        case MigrationState::Missing:
        case MigrationState::NotRunnable:
            status.unknown.push_back(row);
            break;
        case MigrationState::Applied:
            break;
        }
    }
    status.state = !status.unknown.empty()    ? DatabaseState::NewerThanApp
                   : !status.modified.empty() ? DatabaseState::Modified
                   : !status.pending.empty()  ? DatabaseState::Pending
                                              : DatabaseState::UpToDate;
    return status;
}

std::vector<MigrationStatus> CheckMigrationManager::get_migration_statuses() {
    auto apps = selected_apps(m_context, m_options.app);
    auto sets = load_sets(m_context, apps);
    auto connection = open_existing(m_context, OpenMode::ReadOnly);
    const AppliedByApp applied = read_applied(connection.get(), m_context.project);

    std::vector<MigrationStatus> statuses;
    for (const MigrationSet& set : sets) {
        // Missing rows take their place by id among the app's files.
        for (const MigrationPair& pair : pair_migrations(set, applied_of(applied, set.app_name))) {
            MigrationStatus status;
            status.app_name = set.app_name;
            if (pair.migration != nullptr) {
                status.migration_id = pair.migration->id;
                status.description = pair.migration->description;
            } else {
                status.migration_id = pair.applied->migration_id;
                status.description = pair.applied->description;
            }
            if (pair.applied == nullptr && pair.migration != nullptr) {
                // Forwards will store this pending migration's down SQL, so its down file is
                // checked here as forwards would check it; an applied one's is read only when
                // it is reversed.
                (void)pair.migration->down_sql.text();
            }
            if (pair.applied != nullptr) {
                status.has_ran = true;
                status.ran_on = pair.applied->ran_on;
                status.state =
                    pair.migration != nullptr
                        ? pair.modified() ? MigrationState::Modified : MigrationState::Applied
                    : is_code_checksum(pair.applied->checksum) ? MigrationState::NotRunnable
                                                               : MigrationState::Missing;
            }
            statuses.push_back(std::move(status));
        }
    }
    return statuses;
}

} // namespace strata
