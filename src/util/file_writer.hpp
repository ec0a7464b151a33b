// SPDX-License-Identifier: MIT
// The one way strata writes a file: beside the target under a temporary name, durable, then
// renamed into place, so that neither a reader nor a crash ever sees half a file.
#pragma once

#include "util/file_descriptor.hpp"
#include "util/file_error.hpp"

#include <filesystem>
#include <string_view>

namespace strata::util {

// What happens when the target name is taken.
enum class WriteMode {
    Replace,   // the new file takes the old one's place, atomically
    CreateNew, // FileError(Exists): an existing file (or link) is never replaced
};

// Writes `content` to `path` through a TemporaryFile in the same folder: write, fsync the file,
// publish under `path`, fsync the folder. The temporary is removed on every failure. Throws
// FileError: Exists (CreateNew only), CannotCreate, CannotWrite, CannotSync, CannotRename,
// CannotSyncFolder (the file is in place then, but its name may not survive a power loss).
void write_file_atomically(const std::filesystem::path& path, std::string_view content,
                           WriteMode mode);

// A file created beside a target under a name of its own, removed again unless released.
class TemporaryFile {
  public:
    // Creates an empty file beside `target` with `mode` (less the umask), exclusively and
    // without following a link: a name that is taken, even by a link planted there, is
    // skipped for the next one (see temporary_path_for). Throws FileError(CannotCreate).
    static TemporaryFile create_beside(const std::filesystem::path& target, unsigned mode = 0666);

    ~TemporaryFile();
    TemporaryFile(TemporaryFile&&) noexcept;
    TemporaryFile& operator=(TemporaryFile&&) = delete;
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    // Appends `content`. Throws FileError(CannotWrite).
    void write(std::string_view content);
    // Flushes the content to the disk and closes the file (a later write is an error).
    // Throws FileError(CannotSync, CannotWrite for an error reported at close).
    void sync_and_close();
    // Closes the file without syncing it, e.g. so that another library can open and fill it.
    void close();
    // Keeps the file: the destructor no longer removes it (call once it has been published).
    void release() { m_path.clear(); }

  private:
    TemporaryFile(std::filesystem::path path, FileDescriptor fd)
        : m_path(std::move(path)), m_fd(std::move(fd)) {}
    std::filesystem::path m_path;
    FileDescriptor m_fd;
};

// The names TemporaryFile::create_beside tries for `target`, attempt 0 first:
// "<target>.<pid>.<attempt>.tmp". They never end in ".sql" or ".bak".
std::filesystem::path temporary_path_for(const std::filesystem::path& target, unsigned attempt);

// Flushes the regular file at `path` to the disk (opened without following a link).
// Throws FileError(CannotSync).
void sync_file(const std::filesystem::path& path);

// Gives the complete file `temporary` the name `target` in the same folder. CreateNew never
// replaces (util::rename_without_replacing). Throws FileError(Exists, CannotRename).
void publish(const std::filesystem::path& temporary, const std::filesystem::path& target,
             WriteMode mode);

// Flushes a folder's entries (a new or renamed name) to the disk. A file system that cannot
// sync folders (EINVAL, EROFS) is not an error. Throws FileError(CannotSyncFolder).
void sync_folder(const std::filesystem::path& folder);

// The folder a path's file lives in: its parent, or "." for a bare name.
std::filesystem::path folder_of(const std::filesystem::path& path);

} // namespace strata::util
