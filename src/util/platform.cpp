// SPDX-License-Identifier: MIT
// The POSIX implementation of util/platform.hpp, the only file of strata that calls the
// operating system directly.
#include "util/platform.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

namespace strata::util {

namespace fs = std::filesystem;

namespace {

std::error_code last_error() {
    return {errno, std::generic_category()};
}

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

FileStatus status_of(const struct stat& info) {
    FileStatus status;
    status.kind = kind_of(info.st_mode);
    status.size = static_cast<std::uint64_t>(info.st_size);
    status.identity = {static_cast<std::uint64_t>(info.st_dev),
                       static_cast<std::uint64_t>(info.st_ino)};
    status.permissions = static_cast<unsigned>(info.st_mode & 07777);
    status.owner = static_cast<std::uint64_t>(info.st_uid);
    return status;
}

int descriptor_of(StandardStream stream) {
    switch (stream) {
    case StandardStream::Input:
        return STDIN_FILENO;
    case StandardStream::Output:
        return STDOUT_FILENO;
    case StandardStream::Error:
        break;
    }
    return STDERR_FILENO;
}

} // namespace

int close_native_file(NativeFile file) noexcept {
    // Not retried on EINTR: on Linux the descriptor is gone whatever close returned, and a
    // retry could close a descriptor another thread has just been given.
    return ::close(file) == 0 ? 0 : errno;
}

namespace {

int open_flags(const OpenOptions& options) {
    int flags = (options.write ? O_WRONLY : O_RDONLY) | O_CLOEXEC | O_NOCTTY;
    if (options.create_new)
        flags |= O_CREAT | O_EXCL; // O_EXCL never opens an existing name, a link included
    if (!options.follow_links)
        flags |= O_NOFOLLOW;
    if (options.non_blocking)
        flags |= O_NONBLOCK;
    if (options.folder)
        flags |= O_DIRECTORY;
    return flags;
}

} // namespace

FileDescriptor open_file(const fs::path& path, const OpenOptions& options, std::error_code& error) {
    FileDescriptor fd(
        ::open(path.c_str(), open_flags(options), static_cast<mode_t>(options.permissions)));
    error = fd.valid() ? std::error_code() : last_error();
    return fd;
}

FileDescriptor open_file_in(const FileDescriptor& folder, const std::string& name,
                            const OpenOptions& options, std::error_code& error) {
    FileDescriptor fd(::openat(folder.get(), name.c_str(), open_flags(options),
                               static_cast<mode_t>(options.permissions)));
    error = fd.valid() ? std::error_code() : last_error();
    return fd;
}

std::size_t read_some(const FileDescriptor& file, char* buffer, std::size_t size,
                      std::error_code& error) {
    error.clear();
    for (;;) {
        const ssize_t got = ::read(file.get(), buffer, size);
        if (got >= 0)
            return static_cast<std::size_t>(got);
        if (errno != EINTR) {
            error = last_error();
            return 0;
        }
    }
}

std::error_code write_all(const FileDescriptor& file, std::string_view content) {
    while (!content.empty()) {
        const ssize_t written = ::write(file.get(), content.data(), content.size());
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return last_error();
        }
        content.remove_prefix(static_cast<std::size_t>(written));
    }
    return {};
}

std::error_code sync(const FileDescriptor& file) {
    return ::fsync(file.get()) == 0 ? std::error_code() : last_error();
}

std::error_code sync_folder_entries(const fs::path& folder) {
    std::error_code error;
    const FileDescriptor fd = open_file(folder, {.folder = true}, error);
    if (error)
        return error;
    // Some file systems cannot sync a folder at all; their names are as durable as they get.
    if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != EROFS)
        return last_error();
    return {};
}

std::error_code rename_file(const fs::path& from, const fs::path& to) {
    return ::rename(from.c_str(), to.c_str()) == 0 ? std::error_code() : last_error();
}

std::error_code rename_without_replacing(const fs::path& from, const fs::path& to) {
#ifdef RENAME_NOREPLACE
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0)
        return {};
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return last_error();
#endif
    // link() fails with EEXIST when the name is taken, like O_EXCL.
    if (::link(from.c_str(), to.c_str()) == 0) {
        // The file already has its name; a second name left behind is only untidy.
        ::unlink(from.c_str());
        return {};
    }
    if (errno == EEXIST)
        return last_error();
    // No hard links on this file system (FAT on a device's SD card).
    struct stat info {};
    if (::lstat(to.c_str(), &info) == 0)
        return std::make_error_code(std::errc::file_exists);
    return rename_file(from, to);
}

std::error_code remove_file(const fs::path& path) {
    // unlink, not remove(): a folder that somehow took a file's name is never deleted.
    return ::unlink(path.c_str()) == 0 ? std::error_code() : last_error();
}

std::optional<FileStatus> file_status(const fs::path& path, Links links, std::error_code& error) {
    struct stat info {};
    const int result =
        links == Links::Follow ? ::stat(path.c_str(), &info) : ::lstat(path.c_str(), &info);
    if (result != 0) {
        error = last_error();
        return std::nullopt;
    }
    error.clear();
    return status_of(info);
}

namespace {

// Reads every entry of `directory` and closes it.
std::optional<std::vector<FolderEntry>> read_entries(DIR* directory, std::error_code& error) {
    std::vector<FolderEntry> entries;
    for (;;) {
        errno = 0; // readdir reports its end and its failure alike, except through errno
        const dirent* entry = ::readdir(directory);
        if (entry == nullptr) {
            if (errno != 0) {
                error = last_error();
                ::closedir(directory);
                return std::nullopt;
            }
            break;
        }
        const std::string_view name = entry->d_name;
        if (name == "." || name == "..")
            continue;
        std::optional<FileKind> kind;
        switch (entry->d_type) {
        case DT_REG:
            kind = FileKind::Regular;
            break;
        case DT_DIR:
            kind = FileKind::Directory;
            break;
        case DT_FIFO:
            kind = FileKind::Fifo;
            break;
        case DT_SOCK:
            kind = FileKind::Socket;
            break;
        case DT_CHR:
            kind = FileKind::CharacterDevice;
            break;
        case DT_BLK:
            kind = FileKind::BlockDevice;
            break;
        default:
            break; // a link (DT_LNK), or DT_UNKNOWN: the caller looks when it reads
        }
        entries.push_back({std::string(name), kind});
    }
    ::closedir(directory);
    error.clear();
    return entries;
}

} // namespace

std::optional<std::vector<FolderEntry>> list_folder(const std::filesystem::path& folder,
                                                    std::error_code& error) {
    DIR* directory = ::opendir(folder.c_str());
    if (directory == nullptr) {
        error = last_error();
        return std::nullopt;
    }
    return read_entries(directory, error);
}

std::optional<std::vector<FolderEntry>> list_folder(const FileDescriptor& folder,
                                                    std::error_code& error) {
    // fdopendir takes the descriptor over, so it gets one of its own, opened afresh (a
    // duplicate would share the folder's reading position with `folder`).
    const int own = ::openat(folder.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (own < 0) {
        error = last_error();
        return std::nullopt;
    }
    DIR* directory = ::fdopendir(own);
    if (directory == nullptr) {
        error = last_error();
        ::close(own);
        return std::nullopt;
    }
    return read_entries(directory, error);
}

std::optional<FileStatus> file_status(const FileDescriptor& file, std::error_code& error) {
    struct stat info {};
    if (::fstat(file.get(), &info) != 0) {
        error = last_error();
        return std::nullopt;
    }
    error.clear();
    return status_of(info);
}

bool has_access(const fs::path& path, const Access& access) {
    const int mode =
        (access.read ? R_OK : 0) | (access.write ? W_OK : 0) | (access.search ? X_OK : 0);
    // AT_EACCESS: the effective user, who is the one that will open the file.
    return ::faccessat(AT_FDCWD, path.c_str(), mode == 0 ? F_OK : mode, AT_EACCESS) == 0;
}

LockResult try_lock(const FileDescriptor& file, LockKind kind) {
    const int operation = (kind == LockKind::Shared ? LOCK_SH : LOCK_EX) | LOCK_NB;
    if (::flock(file.get(), operation) == 0)
        return LockResult::Locked;
    return errno == EWOULDBLOCK ? LockResult::HeldElsewhere : LockResult::Unavailable;
}

std::optional<VolumeStatus> volume_status(const fs::path& path, std::error_code& error) {
    struct statvfs volume {};
    if (::statvfs(path.c_str(), &volume) != 0) {
        error = last_error();
        return std::nullopt;
    }
    error.clear();
    return VolumeStatus{(volume.f_flag & ST_RDONLY) != 0,
                        static_cast<std::uint64_t>(volume.f_bavail) * volume.f_frsize};
}

std::uint64_t current_user_id() {
    return static_cast<std::uint64_t>(::geteuid());
}

std::string user_name(std::uint64_t id) {
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(16384);
    if (::getpwuid_r(static_cast<uid_t>(id), &entry, buffer.data(), buffer.size(), &found) == 0 &&
        found != nullptr)
        return found->pw_name;
    return "uid " + std::to_string(id);
}

std::uint64_t process_id() {
    return static_cast<std::uint64_t>(::getpid());
}

std::tm utc_calendar_time(std::time_t time) {
    std::tm utc{};
    ::gmtime_r(&time, &utc);
    return utc;
}

bool is_terminal(StandardStream stream) {
    return ::isatty(descriptor_of(stream)) != 0;
}

std::size_t terminal_columns(StandardStream stream) {
    const int fd = descriptor_of(stream);
    winsize size{};
    if (::isatty(fd) != 0 && ::ioctl(fd, TIOCGWINSZ, &size) == 0)
        return size.ws_col;
    return 0;
}

void on_interrupt_signals(void (*handler)(int)) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: a prompt waiting on the terminal returns instead of waiting on.
    action.sa_flags = static_cast<int>(SA_RESETHAND);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

void ignore_write_failure_signals() {
    // Past a file-size limit (ulimit -f) a write then fails with EFBIG, which the caller can
    // report and roll back, instead of the kernel killing the process mid-write.
    ::signal(SIGXFSZ, SIG_IGN);
    // A closed pipe (`strata forwards | logger` after the logger died) makes the write fail
    // with EPIPE instead of killing the process mid-transaction without a word.
    ::signal(SIGPIPE, SIG_IGN);
}

// --- threads ---------------------------------------------------------------------------------

struct SideThread::State {
    std::function<void()> work;
    pthread_t thread{};
    bool joinable = false;
    int caller_cpu = -1;
    int first_cpu = -1; // written by the thread, read after join
#if defined(__GLIBC__)
    bool widen = false; // started on other CPUs than `allowed`: given them all back at the start
    cpu_set_t allowed{};
#endif
};

namespace {

#if defined(__GLIBC__)
// The CPUs the calling thread may use (`allowed`) and those of them other than `current`, the
// one it runs on (`others`); false when there is no other, or the set does not fit a cpu_set_t.
bool other_cpus(int current, cpu_set_t& allowed, cpu_set_t& others) {
    if (current < 0 || current >= CPU_SETSIZE ||
        ::sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        return false;
    others = allowed;
    CPU_CLR(current, &others);
    return CPU_COUNT(&others) > 0;
}
#endif

} // namespace

SideThread::SideThread(std::function<void()> work) : m_state(std::make_unique<State>()) {
    State& state = *m_state;
    state.work = std::move(work);
    void* (*start)(void*) = [](void* argument) noexcept -> void* {
        State& started = *static_cast<State*>(argument);
        started.first_cpu = ::sched_getcpu();
#if defined(__GLIBC__)
        if (started.widen)
            ::pthread_setaffinity_np(::pthread_self(), sizeof started.allowed, &started.allowed);
#endif
        started.work();
        return nullptr;
    };
    int result = EAGAIN;
    state.caller_cpu = ::sched_getcpu();
#if defined(__GLIBC__)
    cpu_set_t others;
    pthread_attr_t attributes;
    if (other_cpus(state.caller_cpu, state.allowed, others) &&
        ::pthread_attr_init(&attributes) == 0) {
        state.widen = true;
        if (::pthread_attr_setaffinity_np(&attributes, sizeof others, &others) == 0)
            result = ::pthread_create(&state.thread, &attributes, start, &state);
        ::pthread_attr_destroy(&attributes);
        if (result != 0)
            state.widen = false; // no thread reads it: none was started
    }
#endif
    if (result != 0) // no other CPU, or it may not be chosen: a plain thread
        result = ::pthread_create(&state.thread, nullptr, start, &state);
    if (result != 0)
        throw std::system_error(result, std::generic_category(), "cannot start a thread");
    state.joinable = true;
}

SideThread::~SideThread() {
    join();
}

void SideThread::join() {
    if (!m_state->joinable)
        return;
    ::pthread_join(m_state->thread, nullptr);
    m_state->joinable = false;
}

bool SideThread::started_elsewhere() const {
    return m_state->caller_cpu >= 0 && m_state->first_cpu >= 0 &&
           m_state->first_cpu != m_state->caller_cpu;
}

} // namespace strata::util
