// SPDX-License-Identifier: MIT
#include "core/api/database_tools.hpp"

#include "core/api/run_support.hpp"
#include "core/error.hpp"

namespace strata {

std::string schema_of(const Project&) {
    return {};
}

MigrationResult restore_backup(Context, const std::filesystem::path&, bool) {
    throw Error(ErrorKind::Usage, "restore is not implemented yet");
}

} // namespace strata
