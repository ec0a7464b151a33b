// SPDX-License-Identifier: MIT
#pragma once

#include "strata/project/project.hpp"

#include <filesystem>
#include <string>

namespace strata {

// What `strata embed` generates.
struct EmbedOptions {
    std::string app_name = "all";                   // one app, or "all"
    std::string namespace_name = "strata_embedded"; // C++ namespace of the generated functions
};

// C++ source holding the migration files of the selected apps byte for byte, as arrays of
// strata::EmbeddedMigration ordered by id, and in namespace `options.namespace_name` the functions
// migration_source(app), app_names() and add_sources(context). Reads and checks every file as
// `forwards` would. Throws Error(Usage) for an unknown app or a namespace that is not a C++
// name, Error(MigrationFiles) for a bad migration file.
std::string embedded_source_text(const Project& project, const EmbedOptions& options);

// Writes embedded_source_text to `output`, replacing it atomically (a build never sees half a
// file). Throws as embedded_source_text, and Error(Output) when the file cannot be written.
void write_embedded_source(const Project& project, const EmbedOptions& options,
                           const std::filesystem::path& output);

} // namespace strata
