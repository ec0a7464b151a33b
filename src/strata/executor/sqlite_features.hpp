// SPDX-License-Identifier: MIT
// What `strata lint` reads in a migration's text without SQLite: the table of SQL features and
// the SQLite release that brought each, a token scan that finds them (never inside comments,
// strings or quoted names), destructive statements and `-- strata:nolint` comments.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// A feature of SQLite's SQL and the release that brought it, with the release notes saying so.
struct SqliteFeature {
    std::string_view name;   // as messages name it: "DROP COLUMN", "unhex()"
    int version;             // as sqlite3_libversion_number() counts: 3035000 for 3.35.0
    std::string_view source; // the release notes, e.g. https://sqlite.org/releaselog/3_35_0.html
    std::string_view function = {}; // for a built-in function, its name in lower case; else ""
};

// Every feature lint knows, the syntax first, then the functions.
std::span<const SqliteFeature> sqlite_features();

// The feature that the built-in function `name` is (any case), or nullptr for a function
// older than every row (or not built in at all).
const SqliteFeature* function_feature(std::string_view name);

// A place in one statement's text: its byte offset from the statement's start.
struct FeatureUse {
    const SqliteFeature* feature;
    std::size_t offset;
};

// The syntax features `statement` (one statement, as SQLite's prepare delimits it) uses, in
// text order, each kind once. Functions are not among them (SQLite names those: lint's probe).
std::vector<FeatureUse> syntax_features(std::string_view statement);

// A statement that removes data: DROP TABLE, ALTER TABLE ... DROP COLUMN, or DELETE without
// WHERE (a DELETE in a trigger's body is not the statement's own).
struct DestructiveUse {
    std::string_view what; // "DROP TABLE", "DROP COLUMN", "DELETE without WHERE"
    std::size_t offset;
};
std::optional<DestructiveUse> destructive_statement(std::string_view statement);

// Where the function `name` is called in `statement` (`name(`, any case, not in a comment or a
// string), or nullopt.
std::optional<std::size_t> function_call_offset(std::string_view statement, std::string_view name);

// A comment `-- strata:nolint ID[, ID...]` and the line it is on.
struct NolintComment {
    int line;
    std::vector<std::string> ids;
};

// Every `-- strata:nolint` comment of a file's text (its first line is line 1); ids may be
// separated by commas or blanks.
std::vector<NolintComment> nolint_comments(std::string_view text);

} // namespace strata
