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

// Reads the open file `fd` whole into `content` (its memory reused), after checking its status
// unless `listed_regular`.
void read_whole(const FileDescriptor& fd, const std::string& path, std::uint64_t max_size,
                bool listed_regular, std::string& content) {
    std::error_code error;
    content.clear();
    if (!listed_regular) {
        std::optional<FileStatus> status = file_status(fd, error);
        if (!status)
            throw FileError(FileProblem::Unreadable, path, error.value());
        check_status(*status, path, max_size);
        content.reserve(static_cast<std::size_t>(status->size));
    }
    char buffer[65536];
    for (;;) {
        const std::size_t got = read_some(fd, buffer, sizeof buffer, error);
        if (error)
            throw FileError(FileProblem::Unreadable, path, error.value());
        if (got == 0)
            break;
        content.append(buffer, got); // into memory an earlier file left, when it is large enough
        // The file may grow while it is read; the limit holds for what is read, too.
        if (content.size() > max_size)
            throw FileError(FileProblem::TooLarge, path, 0, FileKind::Regular, content.size(),
                            max_size);
        // A read of a regular file returns less than asked only at its end (an interrupted
        // one is retried by read_some), so a short read saves the call that would return 0.
        if (got < sizeof buffer)
            break;
    }
}

// Opens `file` without blocking and reads it whole (read_whole).
std::string read_open(const std::filesystem::path& file, const std::string& path,
                      std::uint64_t max_size, bool follow_links, bool listed_regular) {
    std::error_code error;
    const FileDescriptor fd =
        open_file(file, {.follow_links = follow_links, .non_blocking = true}, error);
    if (!fd.valid())
        throw FileError(problem_for_missing(error), path, error.value());
    std::string content;
    read_whole(fd, path, max_size, listed_regular, content);
    return content;
}

// The whole file as read_file reads it, or nullopt with `missing` set (ENOENT or ENOTDIR) when
// nothing has that name. Throws FileError for every other problem.
std::optional<std::string> read_unless_missing(const std::filesystem::path& file,
                                               std::uint64_t max_size, std::error_code& missing) {
    const std::string path = file.string();
    // The status first so that a FIFO or device is never opened; a non-blocking open plus the
    // open file's status closes the gap if the file is swapped for one between the two calls.
    std::error_code error;
    std::optional<FileStatus> status = file_status(file, Links::Follow, error);
    if (!status) {
        const FileProblem problem = problem_for_missing(error);
        if (problem != FileProblem::NotFound)
            throw FileError(problem, path, error.value());
        missing = error;
        return std::nullopt;
    }
    check_status(*status, path, max_size);
    return read_open(file, path, max_size, true, false);
}

} // namespace

std::optional<std::string> read_file_if_present(const std::filesystem::path& file,
                                                std::uint64_t max_size) {
    std::error_code missing;
    return read_unless_missing(file, max_size, missing);
}

std::string read_file(const std::filesystem::path& file, std::uint64_t max_size) {
    std::error_code missing;
    std::optional<std::string> content = read_unless_missing(file, max_size, missing);
    if (!content)
        throw FileError(FileProblem::NotFound, file.string(), missing.value());
    return std::move(*content);
}

void read_listed_file_in(const FileDescriptor& folder, const std::string& name,
                         const std::string& path, std::uint64_t max_size, std::string& content) {
    // As read_listed_file: no link followed, no blocking open, the limit held while reading.
    std::error_code error;
    const FileDescriptor fd =
        open_file_in(folder, name, {.follow_links = false, .non_blocking = true}, error);
    if (!fd.valid())
        throw FileError(problem_for_missing(error), path, error.value());
    read_whole(fd, path, max_size, true, content);
}

std::string read_listed_file(const std::filesystem::path& file, std::uint64_t max_size) {
    // The listing already said "regular file, not a link", which is what the status calls of
    // read_file establish; a project's folder of a thousand migrations is read without a
    // thousand of them. Following no link keeps a link swapped in since from being followed to
    // a device; a FIFO swapped in is not waited on (the open does not block, and a read with
    // nothing to give fails) and can feed no more than `max_size`.
    return read_open(file, file.string(), max_size, false, true);
}

} // namespace strata::util
