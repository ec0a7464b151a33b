// SPDX-License-Identifier: MIT
#include "core/loader/migration_source.hpp"

#include "core/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

namespace strata {

namespace {

std::string reason(int error_number) {
    return std::generic_category().message(error_number);
}

// Same rule as the loader's: dotfiles (editor and macOS "._" leftovers) are never migrations,
// and ".SQL" counts as ".sql" so that the loader reports a mis-cased file instead of silently
// skipping a migration.
bool is_candidate(const std::string& name) {
    if (name.empty() || name.front() == '.' || name.size() < 4)
        return false;
    std::string tail = name.substr(name.size() - 4);
    std::transform(tail.begin(), tail.end(), tail.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
    return tail == ".sql";
}

const char* file_kind(mode_t mode) {
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    return "not a regular file";
}

[[noreturn]] void throw_not_regular(const std::string& path, mode_t mode) {
    throw Error(ErrorKind::MigrationFiles,
                std::string("migration file is not a regular file (it is ") + file_kind(mode) + ")",
                SourceLocation{path},
                "rename or remove it: every name ending in .sql must be a file (or a link to one)");
}

[[noreturn]] void throw_unreadable(const std::string& path, int error_number) {
    throw Error(ErrorKind::MigrationFiles, "cannot read migration file: " + reason(error_number),
                SourceLocation{path});
}

// Closes the descriptor on every path out of read_regular_file.
class FileDescriptor {
  public:
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    ~FileDescriptor() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return m_fd; }

  private:
    int m_fd;
};

std::string read_regular_file(const std::string& path) {
    // stat first so that a FIFO or device is never opened (opening a FIFO blocks, opening some
    // devices has side effects); O_NONBLOCK plus fstat closes the gap if the file is swapped
    // between the two calls.
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        throw_unreadable(path, errno);
    if (!S_ISREG(info.st_mode))
        throw_not_regular(path, info.st_mode);

    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (fd.get() < 0)
        throw_unreadable(path, errno);
    if (::fstat(fd.get(), &info) != 0)
        throw_unreadable(path, errno);
    if (!S_ISREG(info.st_mode))
        throw_not_regular(path, info.st_mode);

    std::string content;
    content.reserve(static_cast<std::size_t>(info.st_size));
    char buffer[65536];
    for (;;) {
        ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
        if (got == 0)
            break;
        if (got < 0) {
            if (errno == EINTR)
                continue;
            throw_unreadable(path, errno);
        }
        content.append(buffer, static_cast<std::size_t>(got));
    }
    return content;
}

} // namespace

FolderSource::FolderSource(std::filesystem::path folder) : m_folder(std::move(folder)) {}

std::vector<SourceFile> FolderSource::list_sql_files() const {
    const std::string folder = m_folder.string();
    auto folder_error = [&](const std::error_code& ec) {
        return Error(ErrorKind::MigrationFiles, "cannot read migrations folder: " + ec.message(),
                     SourceLocation{folder},
                     "create the folder, or fix the app's \"migrations\" path in strata.toml");
    };

    std::error_code ec;
    std::filesystem::directory_iterator it(m_folder, ec);
    if (ec)
        throw folder_error(ec);

    std::vector<SourceFile> files;
    for (; it != std::filesystem::directory_iterator{}; it.increment(ec)) {
        if (ec)
            throw folder_error(ec);
        std::string name = it->path().filename().string();
        if (!is_candidate(name))
            continue;
        std::string path = (m_folder / name).string();
        std::string content = read_regular_file(path);
        files.push_back(SourceFile{std::move(name), std::move(path), std::move(content)});
    }
    if (ec)
        throw folder_error(ec);
    return files;
}

void FolderSource::remove(const std::string& path) const {
    // unlink, not remove(): a directory that somehow took a migration's name is never deleted.
    // A file that is already gone is what the caller wanted, so that is not a failure.
    if (::unlink(path.c_str()) == 0)
        return;
    int error_number = errno;
    if (error_number != ENOENT)
        throw Error(ErrorKind::Database, "cannot delete migration file: " + reason(error_number),
                    SourceLocation{path});
}

MemorySource::MemorySource(std::vector<SourceFile> files) : m_files(std::move(files)) {}

void MemorySource::remove(const std::string& path) const {
    std::erase_if(m_files, [&](const SourceFile& file) { return file.path == path; });
}

} // namespace strata
