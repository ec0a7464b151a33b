// SPDX-License-Identifier: MIT
// How far a command goes, as types rather than strings: forwards to the latest migration, by a
// count, or up to a named one; backwards by a count, all the way, or down to a named one; goto a
// named migration or the place before the first.
#pragma once

#include "strata/migration_id.hpp"

#include <cstddef>
#include <variant>

namespace strata {

// Every pending migration.
struct Latest {};
// Every applied migration.
struct All {};
// The place before the first migration (goto): every applied migration is reversed.
struct Initial {};
// So many migrations: forwards, the next pending ones of the whole run (dependencies first);
// backwards, the most recently applied ones.
struct Count {
    std::size_t value = 1;
};

// Forwards: Latest (the default), Count, or a migration (it and the pending ones before it).
using ForwardsTarget = std::variant<Latest, Count, MigrationRef>;
// Backwards: Count (the default: the most recent one), All, or a migration (it and everything
// applied after it).
using BackwardsTarget = std::variant<Count, All, MigrationRef>;
// Goto: exactly a migration, or Initial.
using GotoTarget = std::variant<MigrationRef, Initial>;

} // namespace strata
