// SPDX-License-Identifier: MIT
#include "core/api/managers.hpp"
#include "core/api/run_support.hpp"
#include "core/error.hpp"

namespace strata {

RepairMigrationManager::RepairMigrationManager(Context context, std::string app_name,
                                               std::string migration_id)
    : m_context(context), m_app_name(std::move(app_name)), m_migration_id(std::move(migration_id)) {
}

MigrationResult RepairMigrationManager::run() {
    throw Error(ErrorKind::Usage, "repair is not implemented yet");
}

CleanMigrationManager::CleanMigrationManager(Context context, std::string app_name, bool auto_agree)
    : m_context(context), m_app_name(std::move(app_name)), m_auto_agree(auto_agree) {}

MigrationResult CleanMigrationManager::run() {
    throw Error(ErrorKind::Usage, "clean is not implemented yet");
}

} // namespace strata
