// SPDX-License-Identifier: MIT
#include "strata/api/version.hpp"

#include "strata/executor/database.hpp"

#ifndef STRATA_VERSION
#error "STRATA_VERSION is set by meson.build from the project's version"
#endif

namespace strata {

std::string_view version() {
    return STRATA_VERSION;
}

std::string_view sqlite_version() {
    return linked_sqlite_version();
}

bool use_single_owner_connections() {
    return configure_single_owner_sqlite();
}

std::string_view sqlite_threading() {
    return sqlite_threading_mode();
}

} // namespace strata
