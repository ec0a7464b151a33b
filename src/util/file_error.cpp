// SPDX-License-Identifier: MIT
#include "util/file_error.hpp"

#include <system_error>
#include <utility>

namespace strata::util {

namespace {

std::string describe_problem(FileProblem problem, const std::string& path, int error_number,
                             FileKind kind, std::uint64_t size, std::uint64_t limit) {
    const std::string reason =
        error_number == 0 ? std::string() : ": " + std::generic_category().message(error_number);
    switch (problem) {
    case FileProblem::NotFound:
        return path + ": no such file" + reason;
    case FileProblem::NotRegular:
        return path + ": not a regular file (it is " + std::string(describe(kind)) + ")";
    case FileProblem::TooLarge:
        return path + ": file too large (" + std::to_string(size) + " bytes; the limit is " +
               std::to_string(limit) + ")";
    case FileProblem::Unreadable:
        return path + ": cannot read" + reason;
    case FileProblem::Exists:
        return path + ": a file of that name already exists";
    case FileProblem::CannotCreate:
        return path + ": cannot create" + reason;
    case FileProblem::CannotWrite:
        return path + ": cannot write" + reason;
    case FileProblem::CannotSync:
        return path + ": fsync failed" + reason;
    case FileProblem::CannotRename:
        return path + ": cannot rename into place" + reason;
    case FileProblem::CannotSyncFolder:
        return path + ": fsync of the folder failed" + reason;
    }
    return path + ": file error" + reason;
}

} // namespace

std::string_view describe(FileKind kind) {
    switch (kind) {
    case FileKind::Regular:
        return "a regular file";
    case FileKind::Directory:
        return "a directory";
    case FileKind::Fifo:
        return "a FIFO";
    case FileKind::Socket:
        return "a socket";
    case FileKind::CharacterDevice:
        return "a character device";
    case FileKind::BlockDevice:
        return "a block device";
    case FileKind::Other:
        break;
    }
    return "not a regular file";
}

FileError::FileError(FileProblem problem_, std::string path_, int error_number_, FileKind kind_,
                     std::uint64_t size_, std::uint64_t limit_)
    : std::runtime_error(describe_problem(problem_, path_, error_number_, kind_, size_, limit_)),
      problem(problem_), error_number(error_number_), path(std::move(path_)), kind(kind_),
      size(size_), limit(limit_) {}

std::string FileError::reason() const {
    return error_number == 0 ? std::string() : std::generic_category().message(error_number);
}

} // namespace strata::util
