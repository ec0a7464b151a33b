// SPDX-License-Identifier: MIT
// Whether two paths name the same file, however they are spelled: links, "." and ".." are
// resolved, and files that exist are also compared by device and inode.
#pragma once

#include <filesystem>

namespace strata::util {

// `path` made absolute and resolved as far as it exists (links, "." and ".." followed, as
// std::filesystem::weakly_canonical does), without a trailing separator. Never throws: a path
// that cannot be resolved (a link loop, a folder it may not search) is only normalised.
std::filesystem::path resolved_path(const std::filesystem::path& path);

// Whether `a` and `b` name the same file: their resolved paths are equal, or both exist and
// are the same device and inode (a hard link, a bind mount). Never throws.
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

// Whether `path` is `folder` or anything below it: its resolved path starts with the folder's,
// or one of the existing folders above it is the same device and inode as `folder`. Never
// throws.
bool is_within(const std::filesystem::path& path, const std::filesystem::path& folder);

} // namespace strata::util
