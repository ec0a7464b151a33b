// SPDX-License-Identifier: MIT
#include "core/api/managers.hpp"
#include "core/api/run_support.hpp"
#include "core/error.hpp"

#include <map>

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

namespace {

// Orders ids by numeric value, so "0001" finds the row recorded as "1".
struct IdLess {
    bool operator()(std::string_view a, std::string_view b) const { return compare_ids(a, b) < 0; }
};

} // namespace

CheckMigrationManager::CheckMigrationManager(Context context, std::string app_name)
    : m_context(context), m_app_name(std::move(app_name)) {}

std::vector<MigrationStatus> CheckMigrationManager::get_migration_statuses() {
    auto apps = m_context.project.select_apps(m_app_name);
    auto sets = load_sets(apps);
    auto connection = open_existing(m_context.project, OpenMode::ReadOnly);
    const AppliedByApp applied = read_applied(connection.get());

    std::vector<MigrationStatus> statuses;
    for (const MigrationSet& set : sets) {
        const auto& rows = applied_of(applied, set.app_name);
        std::map<std::string_view, const AppliedMigration*, IdLess> by_id;
        for (const auto& row : rows)
            by_id.emplace(row.migration_id, &row);
        for (const Migration& m : set.migrations) {
            MigrationStatus status{set.app_name, m.id, m.description, false, ""};
            if (auto found = by_id.find(m.id); found != by_id.end()) {
                status.has_ran = true;
                status.state = MigrationState::Applied;
                status.ran_on = found->second->ran_on;
            }
            statuses.push_back(std::move(status));
        }
    }
    return statuses;
}

} // namespace strata
