// SPDX-License-Identifier: MIT
#pragma once

#include <utility>

namespace strata::util {

// The operating system's handle of an open file (a POSIX file descriptor; util/platform opens
// and closes it).
using NativeFile = int;

// The NativeFile of no file.
inline constexpr NativeFile k_no_file = -1;

// Closes `file` (platform.cpp). Returns 0, or the error number when the close reported an error
// (a write-back failure some file systems report only then).
int close_native_file(NativeFile file) noexcept;

// Owns an open file and closes it when it goes out of scope.
class FileDescriptor {
  public:
    explicit FileDescriptor(NativeFile fd = k_no_file) : m_fd(fd) {}
    ~FileDescriptor() { reset(); }
    FileDescriptor(FileDescriptor&& other) noexcept : m_fd(std::exchange(other.m_fd, k_no_file)) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept {
        if (this != &other) {
            reset();
            m_fd = std::exchange(other.m_fd, k_no_file);
        }
        return *this;
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;

    NativeFile get() const { return m_fd; }
    bool valid() const { return m_fd != k_no_file; }
    // Closes now and returns 0 or the close's error number; a later reset is a no-op. Writers
    // call it so that an error reported only at close is not lost.
    int close() { return close_native_file(std::exchange(m_fd, k_no_file)); }
    // Closes the file, if any, ignoring errors.
    void reset() {
        if (valid())
            close_native_file(std::exchange(m_fd, k_no_file));
    }

  private:
    NativeFile m_fd;
};

} // namespace strata::util
