// SPDX-License-Identifier: MIT
#include "util/file_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <utility>

namespace strata::util {

namespace fs = std::filesystem;

namespace {

// Names taken by leftovers of crashed runs (or planted links) are skipped; this many in a row
// means something else is wrong.
constexpr unsigned k_max_attempts = 100;

[[noreturn]] void fail(FileProblem problem, const fs::path& path, int error_number) {
    throw FileError(problem, path.string(), error_number);
}

bool target_exists(const fs::path& target) {
    struct stat info {};
    return ::lstat(target.c_str(), &info) == 0;
}

// The no-replace publishing steps, each tried when the one before is not supported here.
// Returns 0, or the errno of the step that decided.
int publish_without_replacing(const fs::path& temporary, const fs::path& target) {
#ifdef RENAME_NOREPLACE
    if (::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return errno;
#endif
    // link() fails with EEXIST when the name is taken, like O_EXCL.
    if (::link(temporary.c_str(), target.c_str()) == 0) {
        // The file already has its name; a second name left behind is only untidy.
        ::unlink(temporary.c_str());
        return 0;
    }
    if (errno == EEXIST)
        return EEXIST;
    // No hard links on this file system (FAT on a device's SD card): a rename after a check,
    // which can only lose a race against a file created in between.
    if (target_exists(target))
        return EEXIST;
    return ::rename(temporary.c_str(), target.c_str()) == 0 ? 0 : errno;
}

} // namespace

fs::path folder_of(const fs::path& path) {
    return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

fs::path temporary_path_for(const fs::path& target, unsigned attempt) {
    return fs::path(target.string() + "." + std::to_string(::getpid()) + "." +
                    std::to_string(attempt) + ".tmp");
}

TemporaryFile TemporaryFile::create_beside(const fs::path& target, mode_t mode) {
    int error = 0;
    fs::path path;
    for (unsigned attempt = 0; attempt < k_max_attempts; ++attempt) {
        path = temporary_path_for(target, attempt);
        // O_EXCL never opens an existing name, a link included; O_NOFOLLOW says so twice.
        FileDescriptor fd(
            ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
        if (fd.valid())
            return TemporaryFile(std::move(path), std::move(fd));
        error = errno;
        if (error != EEXIST)
            break;
    }
    fail(FileProblem::CannotCreate, path, error);
}

TemporaryFile::~TemporaryFile() {
    m_fd.reset();
    if (!m_path.empty())
        ::unlink(m_path.c_str());
}

TemporaryFile::TemporaryFile(TemporaryFile&& other) noexcept
    : m_path(std::exchange(other.m_path, {})), m_fd(std::move(other.m_fd)) {}

void TemporaryFile::write(std::string_view content) {
    if (!m_fd.valid())
        fail(FileProblem::CannotWrite, m_path, EBADF);
    while (!content.empty()) {
        const ssize_t written = ::write(m_fd.get(), content.data(), content.size());
        if (written < 0) {
            if (errno == EINTR)
                continue;
            fail(FileProblem::CannotWrite, m_path, errno);
        }
        content.remove_prefix(static_cast<std::size_t>(written));
    }
}

void TemporaryFile::sync_and_close() {
    if (!m_fd.valid())
        fail(FileProblem::CannotSync, m_path, EBADF);
    if (::fsync(m_fd.get()) != 0) {
        const int error = errno;
        m_fd.reset();
        fail(FileProblem::CannotSync, m_path, error);
    }
    if (m_fd.close() != 0)
        fail(FileProblem::CannotWrite, m_path, errno);
}

void TemporaryFile::close() {
    m_fd.reset();
}

void sync_file(const fs::path& path) {
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid() || ::fsync(fd.get()) != 0)
        fail(FileProblem::CannotSync, path, errno);
}

void publish(const fs::path& temporary, const fs::path& target, WriteMode mode) {
    if (mode == WriteMode::Replace) {
        if (::rename(temporary.c_str(), target.c_str()) != 0)
            fail(FileProblem::CannotRename, target, errno);
        return;
    }
    const int error = publish_without_replacing(temporary, target);
    if (error == EEXIST)
        fail(FileProblem::Exists, target, error);
    if (error != 0)
        fail(FileProblem::CannotRename, target, error);
}

void sync_folder(const fs::path& folder) {
    FileDescriptor fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid())
        fail(FileProblem::CannotSyncFolder, folder, errno);
    if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != EROFS)
        fail(FileProblem::CannotSyncFolder, folder, errno);
}

void write_file_atomically(const fs::path& path, std::string_view content, WriteMode mode) {
    TemporaryFile temporary = TemporaryFile::create_beside(path);
    temporary.write(content);
    temporary.sync_and_close();
    publish(temporary.path(), path, mode);
    temporary.release();
    sync_folder(folder_of(path));
}

} // namespace strata::util
