// SPDX-License-Identifier: MIT
#pragma once

#include "strata/api/many_databases.hpp"

#include <string>
#include <string_view>

namespace strata::report {

// The line a person reads for one database of a run over many, without a newline: the path
// (already made printable by the caller), then "applied 3 migrations", "up to date",
// "2 migrations pending", ... or "FAILED: " and the error's first line.
std::string render_database_line(const DatabaseResult& result, std::string_view path);

// The closing line, without a newline: "3 databases: 1 migrated, 1 up to date, 1 failed"
// (check: "... 1 up to date, 1 pending, 1 failed").
std::string render_many_summary(ManyCommand command, const ManyDatabasesSummary& summary);

} // namespace strata::report
