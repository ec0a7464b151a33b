// SPDX-License-Identifier: MIT
// Every call strata makes to the operating system beyond standard C++: opening, reading, writing,
// syncing, renaming, removing and locking files, file status, volumes, users, the process id,
// the clock, threads, the terminal and signals. platform.cpp implements them for POSIX systems
// (tested on Linux); a port to another system replaces that one file and NativeFile
// (file_descriptor.hpp). Failures come back as std::error_code in std::generic_category (errno
// values), never thrown; only a thread that cannot be started throws (std::system_error).
#pragma once

#include "util/file_descriptor.hpp"
#include "util/file_error.hpp"

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace strata::util {

// --- files ---------------------------------------------------------------------------------------

// How open_file opens a path. Every file is opened close-on-exec and never becomes the
// process's controlling terminal.
struct OpenOptions {
    bool write = false;          // open for writing only (else for reading only)
    bool create_new = false;     // create the file; file_exists when the name is taken (a link too)
    bool follow_links = true;    // false: a link as the last component is an error
    bool non_blocking = false;   // an open that would wait (a FIFO without a writer) does not
    bool folder = false;         // the path must be a folder (not_a_directory otherwise)
    unsigned permissions = 0666; // of a created file, less the process's umask
};

// Opens `path`. On failure returns an invalid FileDescriptor and sets `error`.
FileDescriptor open_file(const std::filesystem::path& path, const OpenOptions& options,
                         std::error_code& error);

// Opens `name`, an entry of the open folder `folder` (openat: no path to walk again for each
// file of a folder). As open_file otherwise.
FileDescriptor open_file_in(const FileDescriptor& folder, const std::string& name,
                            const OpenOptions& options, std::error_code& error);

// Reads up to `size` bytes into `buffer`: the number read, 0 at the end of the file. An
// interrupted read is retried. On failure returns 0 and sets `error`.
std::size_t read_some(const FileDescriptor& file, char* buffer, std::size_t size,
                      std::error_code& error);

// Writes all of `content`, retrying interrupted and partial writes.
std::error_code write_all(const FileDescriptor& file, std::string_view content);

// Flushes the file's content and metadata to the disk (fsync).
std::error_code sync(const FileDescriptor& file);

// Flushes a folder's entries (names created, renamed or removed in it) to the disk. A file
// system that cannot sync a folder (EINVAL, EROFS) counts as success.
std::error_code sync_folder_entries(const std::filesystem::path& folder);

// Gives the file `from` the name `to`, replacing what had it, atomically.
std::error_code rename_file(const std::filesystem::path& from, const std::filesystem::path& to);

// Gives the file `from` the name `to` only if that name is free: file_exists otherwise. Tries
// renameat2(RENAME_NOREPLACE), then link() and unlink (the file keeps its second name if the
// unlink fails), then, on file systems with neither (FAT), a check then rename, which can
// lose only a race against a file created in between.
std::error_code rename_without_replacing(const std::filesystem::path& from,
                                         const std::filesystem::path& to);

// Removes the name `path` (a link itself, never what it points to). A folder is never removed:
// is_a_directory (or operation_not_permitted on some systems).
std::error_code remove_file(const std::filesystem::path& path);

// --- file status -------------------------------------------------------------------------------

// Which file a path leads to, however it is spelled: equal for hard links and bind mounts.
struct FileIdentity {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    bool operator==(const FileIdentity&) const = default;
};

// What file_status reports of a file.
struct FileStatus {
    FileKind kind = FileKind::Other;
    std::uint64_t size = 0;
    FileIdentity identity;
    unsigned permissions = 0; // the permission bits (07777)
    std::uint64_t owner = 0;  // the owner's user id
};

// Whether file_status looks through a link at the path's last component.
enum class Links { Follow, DoNotFollow };

// The status of the file at `path` (stat, or lstat with DoNotFollow); nullopt with `error` set
// when there is none (no_such_file_or_directory, not_a_directory, permission_denied, ...).
std::optional<FileStatus> file_status(const std::filesystem::path& path, Links links,
                                      std::error_code& error);

// One entry of a folder listing. `kind` is what the listing says (d_type): nullopt for a
// symbolic link, and for a type the file system does not report there.
struct FolderEntry {
    std::string name;
    std::optional<FileKind> kind;
};

// The entries of `folder`, "." and ".." left out, in the order the file system gives them;
// nullopt with `error` set when the folder cannot be opened or read.
std::optional<std::vector<FolderEntry>> list_folder(const std::filesystem::path& folder,
                                                    std::error_code& error);
// The same for an open folder (which stays open, its position unchanged for the caller).
std::optional<std::vector<FolderEntry>> list_folder(const FileDescriptor& folder,
                                                    std::error_code& error);

// The status of an open file (fstat).
std::optional<FileStatus> file_status(const FileDescriptor& file, std::error_code& error);

// The permissions has_access checks.
struct Access {
    bool read = false;
    bool write = false;
    bool search = false; // enter a folder (execute a file)
};

// Whether the process's effective user has every permission asked for on `path` (false when it
// does not exist). Root passes every check except on a read-only file system.
bool has_access(const std::filesystem::path& path, const Access& access);

// --- locks ---------------------------------------------------------------------------------------

// A lock several holders can share, or one only one can hold.
enum class LockKind { Shared, Exclusive };

// What try_lock found.
enum class LockResult {
    Locked,        // the lock is held until the file is closed
    HeldElsewhere, // another open file holds a lock that conflicts
    Unavailable,   // the file system has no locks (or the call failed otherwise)
};

// Takes an advisory lock on the whole of an open file without waiting (flock). It belongs to
// this open file, not to the process, and ends when the file is closed.
LockResult try_lock(const FileDescriptor& file, LockKind kind);

// --- volumes, users, the process ---------------------------------------------------------------

// What volume_status reports of the file system a path is on.
struct VolumeStatus {
    bool read_only = false;
    std::uint64_t available_bytes = 0; // free space an unprivileged user may use
};

// The file system `path` is on (statvfs); nullopt with `error` set when it cannot be examined.
std::optional<VolumeStatus> volume_status(const std::filesystem::path& path,
                                          std::error_code& error);

// The process's effective user id, as file owners are reported in FileStatus::owner.
std::uint64_t current_user_id();

// The login name of user `id`, or "uid N" when the system has no name for it.
std::string user_name(std::uint64_t id);

// The process's id, e.g. to name a temporary file no other process picks.
std::uint64_t process_id();

// `time` broken down in UTC (gmtime_r: safe from several threads).
std::tm utc_calendar_time(std::time_t time);

// --- threads -----------------------------------------------------------------------------------

// A thread for work done beside the caller's: it starts on another CPU than the caller's when
// the process may use one, then may move to any CPU the process may use. Started as a plain
// thread, it is queued on the caller's CPU more often than not and waits there for the caller's
// time slice to end (about a millisecond) while another CPU is idle: a short run's helper would
// start when the run is half over. The destructor joins.
class SideThread {
  public:
    // `work` must not throw (a throw ends the process, as from a std::thread). Throws
    // std::system_error when no thread can be started.
    explicit SideThread(std::function<void()> work);
    SideThread(const SideThread&) = delete;
    SideThread& operator=(const SideThread&) = delete;
    ~SideThread();

    // Waits for `work` to return (once; later calls return at once).
    void join();
    // After join(): whether the thread began on another CPU than the caller was running on
    // (false when the process may use only one, or the system does not say).
    bool started_elsewhere() const;

  private:
    struct State;
    std::unique_ptr<State> m_state;
};

// --- the terminal and signals ------------------------------------------------------------------

// The standard streams, as is_terminal and terminal_columns see them.
enum class StandardStream { Input, Output, Error };

// Whether the stream is a terminal (isatty).
bool is_terminal(StandardStream stream);

// The width in columns of the terminal `stream` writes to; 0 when it is not a terminal or its
// width is unknown.
std::size_t terminal_columns(StandardStream stream);

// Calls `handler` (with the signal number) on the first SIGINT or SIGTERM; the default action is
// restored then, so a second signal ends the process. A system call the signal interrupts (a
// prompt waiting on the terminal) returns instead of being restarted.
void on_interrupt_signals(void (*handler)(int));

// Writes past a file-size limit (SIGXFSZ) or to a closed pipe (SIGPIPE) fail with an error
// (EFBIG, EPIPE) instead of killing the process.
void ignore_write_failure_signals();

} // namespace strata::util
