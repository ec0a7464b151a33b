// SPDX-License-Identifier: MIT
#include "core/executor/schema_dump.hpp"

#include "core/error.hpp"

namespace strata {

std::string dump_schema(SQLite::Database&) { return {}; }

void write_schema_file(SQLite::Database&, const std::filesystem::path&) {}

} // namespace strata
