// SPDX-License-Identifier: MIT
// The one way strata reads a file it is given (the project file, migration files).
#pragma once

#include "util/file_descriptor.hpp"
#include "util/file_error.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace strata::util {

// read_file's limit unless the caller gives one: 64 MiB. Far beyond any file a person writes
// by hand (a project file is a few hundred bytes), and small enough that a path pointing at a
// disk image or a log by mistake is refused before it is read into memory.
inline constexpr std::uint64_t k_default_max_file_size = std::uint64_t{64} * 1024 * 1024;

// The whole content of the regular file at `path` (a link to one is followed), as raw bytes.
// A FIFO, socket, device or directory is never opened: opening a FIFO blocks until a writer
// comes, and opening some devices has side effects. Throws FileError: NotFound, NotRegular
// (with its kind), TooLarge (more than `max_size` bytes), Unreadable.
std::string read_file(const std::filesystem::path& path,
                      std::uint64_t max_size = k_default_max_file_size);

// read_file for a file that may be absent (an optional .env): nullopt when nothing has that
// name, without throwing, since a run looks for such a file every time. Throws as read_file
// for every other problem.
std::optional<std::string> read_file_if_present(const std::filesystem::path& path,
                                                std::uint64_t max_size = k_default_max_file_size);

// read_file for a path that a folder listing has just shown to be a regular file and not a
// link: no status call. The open follows no link and never blocks, and at most `max_size`
// bytes are read, so a FIFO or link swapped in since the listing can neither hang the read nor
// lead elsewhere. Throws as read_file.
std::string read_listed_file(const std::filesystem::path& path,
                             std::uint64_t max_size = k_default_max_file_size);

// read_listed_file for the entry `name` of the open folder `folder` (one folder opened for all
// its files, none of their paths walked again), into `content`, whose memory is reused.
// `path` names the file in errors.
void read_listed_file_in(const FileDescriptor& folder, const std::string& name,
                         const std::string& path, std::uint64_t max_size, std::string& content);

} // namespace strata::util
