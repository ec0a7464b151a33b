// SPDX-License-Identifier: MIT
#include "strata/project/database_path.hpp"

#include "util/text.hpp"

namespace strata {

namespace {

bool is_uri(std::string_view path) {
    // SQLite compares the scheme without regard to case when it decides on a URI.
    return util::starts_with_ignoring_ascii_case(path, "file:");
}

} // namespace

std::optional<std::string> database_path_problem(std::string_view path) {
    if (path.empty())
        return "is empty (SQLite would use a temporary database and keep nothing)";
    if (path == ":memory:")
        return "names an in-memory database, which keeps nothing";
    if (is_uri(path))
        return "is a URI; strata opens a file exactly as named, never a URI (whose parameters "
               "could keep the changes in memory or drop the locking)";
    return std::nullopt;
}

std::string database_path_hint(std::string_view path) {
    if (path.empty())
        return "give the path of a database file (an unset shell variable gives an empty one)";
    if (is_uri(path))
        return "give the file's path without \"file:\" and without parameters";
    return "give the path of a database file";
}

} // namespace strata
