// SPDX-License-Identifier: MIT
#include "util/file_reader.hpp"

#include "util/file_descriptor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace strata::util {

namespace {

FileKind kind_of(mode_t mode) {
    if (S_ISREG(mode))
        return FileKind::Regular;
    if (S_ISDIR(mode))
        return FileKind::Directory;
    if (S_ISFIFO(mode))
        return FileKind::Fifo;
    if (S_ISSOCK(mode))
        return FileKind::Socket;
    if (S_ISCHR(mode))
        return FileKind::CharacterDevice;
    if (S_ISBLK(mode))
        return FileKind::BlockDevice;
    return FileKind::Other;
}

// ENOTDIR too: "a/b" where "a" is a file names nothing, as std::filesystem says as well.
FileProblem problem_for_missing(int error_number) {
    return error_number == ENOENT || error_number == ENOTDIR ? FileProblem::NotFound
                                                             : FileProblem::Unreadable;
}

void check_stat(const struct stat& info, const std::string& path, std::uint64_t max_size) {
    if (!S_ISREG(info.st_mode))
        throw FileError(FileProblem::NotRegular, path, 0, kind_of(info.st_mode));
    const auto size = static_cast<std::uint64_t>(info.st_size);
    if (size > max_size)
        throw FileError(FileProblem::TooLarge, path, 0, FileKind::Regular, size, max_size);
}

} // namespace

std::string read_file(const std::filesystem::path& file, std::uint64_t max_size) {
    const std::string path = file.string();
    // stat first so that a FIFO or device is never opened; O_NONBLOCK plus fstat closes the
    // gap if the file is swapped for one between the two calls.
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        const int error = errno;
        throw FileError(problem_for_missing(error), path, error);
    }
    check_stat(info, path, max_size);

    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid()) {
        const int error = errno;
        throw FileError(problem_for_missing(error), path, error);
    }
    if (::fstat(fd.get(), &info) != 0) {
        const int error = errno;
        throw FileError(FileProblem::Unreadable, path, error);
    }
    check_stat(info, path, max_size);

    std::string content;
    content.reserve(static_cast<std::size_t>(info.st_size));
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
        if (got == 0)
            break;
        if (got < 0) {
            const int error = errno;
            if (error == EINTR)
                continue;
            throw FileError(FileProblem::Unreadable, path, error);
        }
        content.append(buffer, static_cast<std::size_t>(got));
        // The file may grow while it is read; the limit holds for what is read, too.
        if (content.size() > max_size)
            throw FileError(FileProblem::TooLarge, path, 0, FileKind::Regular, content.size(),
                            max_size);
    }
    return content;
}

} // namespace strata::util
