// SPDX-License-Identifier: MIT
#include "util/path_identity.hpp"

#include "util/platform.hpp"

#include <algorithm>
#include <optional>
#include <system_error>

namespace strata::util {

namespace fs = std::filesystem;

namespace {

// Links followed: a link to a file is that file.
std::optional<FileIdentity> identity_of(const fs::path& path) {
    std::error_code error;
    const std::optional<FileStatus> status = file_status(path, Links::Follow, error);
    if (!status)
        return std::nullopt;
    return status->identity;
}

} // namespace

fs::path resolved_path(const fs::path& path) {
    std::error_code error;
    fs::path absolute = fs::absolute(path, error);
    if (error)
        absolute = path;
    fs::path resolved = fs::weakly_canonical(absolute, error);
    if (error)
        resolved = absolute.lexically_normal();
    // "dir/" and "dir" are one folder.
    while (!resolved.has_filename() && resolved.has_relative_path())
        resolved = resolved.parent_path();
    return resolved;
}

bool same_file(const fs::path& a, const fs::path& b) {
    if (resolved_path(a) == resolved_path(b))
        return true;
    const std::optional<FileIdentity> first = identity_of(a);
    return first && first == identity_of(b);
}

bool is_within(const fs::path& path, const fs::path& folder) {
    const fs::path inner = resolved_path(path);
    const fs::path outer = resolved_path(folder);
    // Compared element by element, so that "/a/bc" is not inside "/a/b".
    if (std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end()).first == outer.end())
        return true;
    const std::optional<FileIdentity> folder_identity = identity_of(folder);
    if (!folder_identity)
        return false;
    for (fs::path above = inner;; above = above.parent_path()) {
        if (identity_of(above) == folder_identity)
            return true;
        if (above == above.parent_path())
            return false;
    }
}

} // namespace strata::util
