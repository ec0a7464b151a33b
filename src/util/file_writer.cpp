// SPDX-License-Identifier: MIT
#include "util/file_writer.hpp"

#include "util/platform.hpp"

#include <string>
#include <utility>

namespace strata::util {

namespace fs = std::filesystem;

namespace {

// Names taken by leftovers of crashed runs (or planted links) are skipped; this many in a row
// means something else is wrong.
constexpr unsigned k_max_attempts = 100;

[[noreturn]] void fail(FileProblem problem, const fs::path& path, const std::error_code& error) {
    throw FileError(problem, path.string(), error.value());
}

[[noreturn]] void fail(FileProblem problem, const fs::path& path, int error_number) {
    throw FileError(problem, path.string(), error_number);
}

} // namespace

fs::path folder_of(const fs::path& path) {
    return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

fs::path temporary_path_for(const fs::path& target, unsigned attempt) {
    return fs::path(target.string() + "." + std::to_string(process_id()) + "." +
                    std::to_string(attempt) + ".tmp");
}

TemporaryFile TemporaryFile::create_beside(const fs::path& target, unsigned mode) {
    std::error_code error;
    fs::path path;
    for (unsigned attempt = 0; attempt < k_max_attempts; ++attempt) {
        path = temporary_path_for(target, attempt);
        // create_new never opens an existing name, a link included; not following links says
        // so twice.
        FileDescriptor fd = open_file(
            path, {.write = true, .create_new = true, .follow_links = false, .permissions = mode},
            error);
        if (fd.valid())
            return TemporaryFile(std::move(path), std::move(fd));
        if (error != std::errc::file_exists)
            break;
    }
    fail(FileProblem::CannotCreate, path, error);
}

TemporaryFile::~TemporaryFile() {
    m_fd.reset();
    if (!m_path.empty())
        remove_file(m_path);
}

TemporaryFile::TemporaryFile(TemporaryFile&& other) noexcept
    : m_path(std::exchange(other.m_path, {})), m_fd(std::move(other.m_fd)) {}

void TemporaryFile::write(std::string_view content) {
    if (!m_fd.valid())
        fail(FileProblem::CannotWrite, m_path,
             std::make_error_code(std::errc::bad_file_descriptor));
    if (const std::error_code error = write_all(m_fd, content))
        fail(FileProblem::CannotWrite, m_path, error);
}

void TemporaryFile::sync_and_close() {
    if (!m_fd.valid())
        fail(FileProblem::CannotSync, m_path, std::make_error_code(std::errc::bad_file_descriptor));
    if (const std::error_code error = sync(m_fd)) {
        m_fd.reset();
        fail(FileProblem::CannotSync, m_path, error);
    }
    if (const int error = m_fd.close(); error != 0)
        fail(FileProblem::CannotWrite, m_path, error);
}

void TemporaryFile::close() {
    m_fd.reset();
}

void sync_file(const fs::path& path) {
    std::error_code error;
    const FileDescriptor fd = open_file(path, {.follow_links = false}, error);
    if (fd.valid())
        error = sync(fd);
    if (error)
        fail(FileProblem::CannotSync, path, error);
}

void publish(const fs::path& temporary, const fs::path& target, WriteMode mode) {
    const std::error_code error = mode == WriteMode::Replace
                                      ? rename_file(temporary, target)
                                      : rename_without_replacing(temporary, target);
    if (error == std::errc::file_exists && mode == WriteMode::CreateNew)
        fail(FileProblem::Exists, target, error);
    if (error)
        fail(FileProblem::CannotRename, target, error);
}

void sync_folder(const fs::path& folder) {
    if (const std::error_code error = sync_folder_entries(folder))
        fail(FileProblem::CannotSyncFolder, folder, error);
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
