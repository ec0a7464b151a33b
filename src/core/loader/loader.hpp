// SPDX-License-Identifier: MIT
#pragma once

#include "core/loader/migration.hpp"
#include "core/loader/migration_source.hpp"
#include "core/project/project.hpp"

#include <string_view>

namespace strata {

// Builds an app's ordered migration set from its files: pairs each up with its down, checks
// names, encoding (UTF-8, no NUL bytes), emptiness and duplicate ids, strips a BOM, turns CRLF
// into LF and hashes the up SQL. Throws Error(MigrationFiles) naming the offending file.
MigrationSet load_migrations(std::string_view app_name, const MigrationSource& source);

// The same for an app of a project, reading its migrations folder.
MigrationSet load_migrations(const AppConfig& app);

// Normalises file text as the checksum sees it: BOM removed, CRLF turned into LF.
std::string normalise_sql_text(std::string_view raw);

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// The description shown for a slug: '_' turned into spaces.
std::string describe_slug(std::string_view slug);

} // namespace strata
