// SPDX-License-Identifier: MIT
// The one rule for what may name the database: a file, opened exactly as named. SQLite would
// otherwise read some names as something else: "" is a temporary database, ":memory:" one in
// memory, and "file:..." a URI whose parameters (mode=memory, nolock=1, vfs=...) change how, or
// whether, anything is saved. A migration run against any of those reports success and keeps
// nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace strata {

// Why `path` cannot name the database file, or nullopt when it can. The reason reads after
// "the database path \"...\" ", e.g. "is empty".
std::optional<std::string> database_path_problem(std::string_view path);

// A hint for a problem database_path_problem found in `path`.
std::string database_path_hint(std::string_view path);

} // namespace strata
