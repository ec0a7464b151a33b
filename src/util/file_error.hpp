// SPDX-License-Identifier: MIT
// The failures of util's file reader and writer, for callers to word in their own terms.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace strata::util {

// What went wrong with a file.
enum class FileProblem {
    NotFound,         // no such file (or a link to nothing, or a path through a non-folder)
    NotRegular,       // a directory, FIFO, socket or device: never opened
    TooLarge,         // larger than the reader's limit
    Unreadable,       // stat, open or read failed (permissions, I/O error, ...)
    Exists,           // a write that never replaces found the name taken
    CannotCreate,     // the temporary file beside the target could not be created
    CannotWrite,      // writing or closing the temporary file failed
    CannotSync,       // fsync of the file failed
    CannotRename,     // giving the file its final name failed
    CannotSyncFolder, // fsync of the folder failed (the file already has its name)
};

// What a path turned out to be, for NotRegular.
enum class FileKind { Regular, Directory, Fifo, Socket, CharacterDevice, BlockDevice, Other };

// "a directory", "a FIFO", "a socket", "a character device", "a block device", ...
std::string_view describe(FileKind kind);

// A failed file operation. what() is a plain English sentence naming the path; callers that
// show errors to users build their own message from the fields.
struct FileError : std::runtime_error {
    FileError(FileProblem problem, std::string path, int error_number = 0,
              FileKind kind = FileKind::Regular, std::uint64_t size = 0, std::uint64_t limit = 0);

    // The operating system's text for error_number ("Permission denied"), or "" without one.
    std::string reason() const;

    FileProblem problem;
    int error_number;    // errno of the failed call; 0 when no call failed
    std::string path;    // the file the problem is about (the temporary for CannotCreate..Sync)
    FileKind kind;       // for NotRegular
    std::uint64_t size;  // for TooLarge: the size seen
    std::uint64_t limit; // for TooLarge: the reader's limit
};

} // namespace strata::util
