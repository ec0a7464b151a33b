// SPDX-License-Identifier: MIT
// The command line's words for apps and targets ("all", "1", "0", an id or a full name) turned
// into the library's typed selections, in one place.
#pragma once

#include "cli/arguments.hpp"

#include <strata/strata.hpp>

namespace strata::cli {

// "all" (or nothing) selects every app.
AppSelection app_selection(const CommandLine& line);
// forwards [APP [all|1|ID]]: "all" every pending, "1" the next one, else up to that migration.
ForwardsTarget forwards_target(const CommandLine& line);
// backwards [APP [1|all|ID]] [--steps N]: one app reverses its latest by default, every app
// reverses everything.
BackwardsTarget backwards_target(const CommandLine& line);
// goto APP ID: "0" (any number of zeros) is the place before the first migration.
GotoTarget goto_target(const CommandLine& line);
// repair APP [all|ID]: nullopt repairs every modified migration.
std::optional<MigrationRef> repair_target(const CommandLine& line);

} // namespace strata::cli
