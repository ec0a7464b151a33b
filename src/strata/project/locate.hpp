// SPDX-License-Identifier: MIT
// Where a command runs and which project file it reads: the file-system work the CLI leaves to
// the library. Running "in another folder" (-C DIR) never changes the process's current folder,
// which an application embedding strata shares with the rest of its code: paths are resolved
// against the folder instead.
#pragma once

#include <filesystem>
#include <optional>

namespace strata {

// The folder a command works in.
struct WorkingFolder {
    std::filesystem::path path;     // as given (-C DIR), or "" for the current folder
    std::filesystem::path absolute; // the same folder as an absolute path

    // `relative` as seen from this folder: unchanged when absolute or when `path` is "".
    std::filesystem::path resolve(const std::filesystem::path& relative) const;
};

// `directory` (-C DIR) when given, else the current folder. Throws Error(Usage) when
// `directory` does not exist or is not a folder.
WorkingFolder working_folder(const std::optional<std::filesystem::path>& directory);

// The name of the project file strata looks for.
inline constexpr const char* k_project_file_name = "strata.toml";

// The project file a command in `folder` reads: `explicit_file` (-p FILE, seen from `folder`)
// when given, else the nearest strata.toml in `folder` or one of its parents (as an absolute
// path when it is in a parent). Throws Error(ProjectFile) when there is none, with a hint that
// fits how it was named.
std::filesystem::path find_project_file(const WorkingFolder& folder,
                                        const std::optional<std::filesystem::path>& explicit_file);

} // namespace strata
