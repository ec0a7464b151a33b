// SPDX-License-Identifier: MIT
#include "core/executor/backup.hpp"

#include "core/error.hpp"

namespace strata {

std::filesystem::path backup_database(Connection&, int) {
    throw Error(ErrorKind::Database, "backups are not implemented yet");
}

std::vector<std::filesystem::path> list_backups(const std::filesystem::path&) { return {}; }

void restore_database(const std::filesystem::path&, const std::filesystem::path&,
                      const DatabaseOptions&) {
    throw Error(ErrorKind::Database, "restore is not implemented yet");
}

} // namespace strata
