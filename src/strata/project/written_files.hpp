// SPDX-License-Identifier: MIT
// The one rule for where strata may write a file besides the database (schema_file): never
// over a file the project consists of. A schema_file that names the database would replace it
// with text; one that names the project file or a migration would rewrite the project itself.
#pragma once

#include "strata/project/project.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace strata {

// Why strata must not write `target` for `project`, or nullopt when it may. Refused: the
// database, its -journal, -wal and -shm files, the project file, and every app's migrations
// folder and anything in it. Paths are compared resolved (links, "." and "..") and, for files
// that exist, by device and inode. The reason reads after the path, e.g. "is the database
// app.db". Touches the file system (stat) but never throws.
std::optional<std::string> written_file_problem(const Project& project,
                                                const std::filesystem::path& target);

// What to do about a problem written_file_problem found with `key` (e.g. "schema_file").
std::string written_file_hint(std::string_view key);

} // namespace strata
