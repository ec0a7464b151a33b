// SPDX-License-Identifier: MIT
#include "util/file_reader.hpp"

#include "util/platform.hpp"

#include <system_error>

namespace strata::util {

namespace {

// not_a_directory too: "a/b" where "a" is a file names nothing, as std::filesystem says as well.
FileProblem problem_for_missing(const std::error_code& error) {
    return error == std::errc::no_such_file_or_directory || error == std::errc::not_a_directory
               ? FileProblem::NotFound
               : FileProblem::Unreadable;
}

void check_status(const FileStatus& status, const std::string& path, std::uint64_t max_size) {
    if (status.kind != FileKind::Regular)
        throw FileError(FileProblem::NotRegular, path, 0, status.kind);
    if (status.size > max_size)
        throw FileError(FileProblem::TooLarge, path, 0, FileKind::Regular, status.size, max_size);
}

} // namespace

std::string read_file(const std::filesystem::path& file, std::uint64_t max_size) {
    const std::string path = file.string();
    // The status first so that a FIFO or device is never opened; a non-blocking open plus the
    // open file's status closes the gap if the file is swapped for one between the two calls.
    std::error_code error;
    std::optional<FileStatus> status = file_status(file, Links::Follow, error);
    if (!status)
        throw FileError(problem_for_missing(error), path, error.value());
    check_status(*status, path, max_size);

    const FileDescriptor fd = open_file(file, {.non_blocking = true}, error);
    if (!fd.valid())
        throw FileError(problem_for_missing(error), path, error.value());
    status = file_status(fd, error);
    if (!status)
        throw FileError(FileProblem::Unreadable, path, error.value());
    check_status(*status, path, max_size);

    std::string content;
    content.reserve(static_cast<std::size_t>(status->size));
    char buffer[65536];
    for (;;) {
        const std::size_t got = read_some(fd, buffer, sizeof buffer, error);
        if (error)
            throw FileError(FileProblem::Unreadable, path, error.value());
        if (got == 0)
            break;
        content.append(buffer, got);
        // The file may grow while it is read; the limit holds for what is read, too.
        if (content.size() > max_size)
            throw FileError(FileProblem::TooLarge, path, 0, FileKind::Regular, content.size(),
                            max_size);
    }
    return content;
}

} // namespace strata::util
