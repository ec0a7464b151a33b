// SPDX-License-Identifier: MIT
#pragma once

#include "strata/loader/migration_source.hpp"
#include "strata/project/project.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace strata {

// The bundle format this strata writes and the newest it reads (docs/library.md, "Bundles for
// devices").
inline constexpr int k_bundle_format = 1;
// The largest bundle file strata reads, in bytes.
inline constexpr std::uint64_t k_max_bundle_bytes = std::uint64_t{256} * 1024 * 1024;

// What a bundle file holds, ready for a Context: `Context ctx{bundle.project};
// ctx.sources = bundle.sources;`. project.database is empty: the caller names the database.
struct Bundle {
    std::string label;
    Project project; // settings, busy timeout and apps; no paths
    std::map<std::string, std::shared_ptr<const MigrationSource>, std::less<>> sources;
};

// What `strata bundle` writes.
struct BundleOptions {
    std::string label; // the release label stored in the bundle ("" for none)
};

// The bytes of the project's bundle: every app and migration (read and checked as forwards
// would), sorted, with the device settings and a SHA-256 over the whole. The same project gives
// the same bytes. Throws Error(MigrationFiles) for a bad migration file, Error(Usage) for a
// label or a project beyond the format's limits.
std::string bundle_bytes(const Project& project, const BundleOptions& options);

// Writes bundle_bytes to `output`, replacing it atomically. Throws as bundle_bytes, and
// Error(Output) when the file cannot be written.
void write_bundle(const Project& project, const BundleOptions& options,
                  const std::filesystem::path& output);

// Reads a bundle from its bytes; `where` names it in messages. Throws Error(ProjectFile) for
// a file that is not a bundle, is of a newer format, is truncated or corrupted (hash
// mismatch), or exceeds a limit. Its migrations meet the loader's rules when a command loads
// them, as a folder's do, and then an up file whose SQL does not give the checksum the bundle
// recorded is refused with Error(ProjectFile).
Bundle parse_bundle(std::string_view bytes, const std::filesystem::path& where);

// Reads the bundle file `path` (at most k_max_bundle_bytes) and parses it. Opens no database.
// Throws as parse_bundle, and Error(ProjectFile) when the file cannot be read.
Bundle load_bundle(const std::filesystem::path& path);

} // namespace strata
