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
    }
    return "pending";
}

CheckMigrationManager::CheckMigrationManager(Context context, std::string app_name)
    : m_context(context), m_app_name(std::move(app_name)) {}

std::vector<MigrationStatus> CheckMigrationManager::get_migration_statuses() {
    auto apps = m_context.project.select_apps(m_app_name);
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
            if (pair.applied != nullptr) {
                status.has_ran = true;
                status.ran_on = pair.applied->ran_on;
                status.state = pair.migration == nullptr ? MigrationState::Missing
                               : pair.modified()         ? MigrationState::Modified
                                                         : MigrationState::Applied;
            }
            statuses.push_back(std::move(status));
        }
    }
    return statuses;
}

} // namespace strata
