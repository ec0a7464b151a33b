// SPDX-License-Identifier: MIT
#include "core/api/managers.hpp"
#include "core/api/run_support.hpp"
#include "core/error.hpp"

namespace strata {

SyncMigrationManager::SyncMigrationManager(Context context, std::string app_name, bool auto_agree,
                                           bool preview)
    : m_context(context), m_app_name(std::move(app_name)), m_auto_agree(auto_agree),
      m_preview(preview) {}

MigrationResult SyncMigrationManager::run() {
    throw Error(ErrorKind::Usage, "sync is not implemented yet");
}

} // namespace strata
