// SPDX-License-Identifier: MIT
#pragma once

#include <unistd.h>

#include <utility>

namespace strata::util {

// Owns a POSIX file descriptor and closes it when it goes out of scope.
class FileDescriptor {
  public:
    explicit FileDescriptor(int fd = -1) : m_fd(fd) {}
    ~FileDescriptor() { reset(); }
    FileDescriptor(FileDescriptor&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept {
        if (this != &other) {
            reset();
            m_fd = std::exchange(other.m_fd, -1);
        }
        return *this;
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    // Closes now and returns close()'s result (0, or -1 with errno set); a later reset is a
    // no-op. Writers call it so that an error reported only at close is not lost.
    int close() { return ::close(std::exchange(m_fd, -1)); }
    // Closes the descriptor, if any, ignoring errors.
    void reset() {
        if (m_fd >= 0)
            ::close(std::exchange(m_fd, -1));
    }

  private:
    int m_fd;
};

} // namespace strata::util
