// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace strata::test {

// A fresh folder for one test, removed with everything in it when the test ends.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    // path() / relative
    std::filesystem::path operator/(std::string_view relative) const { return m_path / relative; }

  private:
    std::filesystem::path m_path;
};

// Writes `content` to `path`, creating parent folders.
void write_file(const std::filesystem::path& path, std::string_view content);
// The whole file as bytes; throws when it cannot be read.
std::string read_file(const std::filesystem::path& path);
// The names of the entries of `folder`, sorted.
std::vector<std::string> names_in(const std::filesystem::path& folder);

} // namespace strata::test
