// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct sqlite3;

namespace strata::test {

// Read-only questions about a SQLite database file. Each call opens the file read-only and
// closes it again, so no test keeps a lock or a connection while strata runs. Every function
// throws std::runtime_error when the file is missing or the SQL fails.

// The first column of the first row as text ("" for NULL); throws when there is no row.
std::string query_text(const std::filesystem::path& db, const std::string& sql);
// The first column of the first row as an integer; throws when there is no row.
long long query_int(const std::filesystem::path& db, const std::string& sql);
// Every row, every column as text (NULL becomes "<null>").
std::vector<std::vector<std::string>> query_rows(const std::filesystem::path& db,
                                                 const std::string& sql);
// Names of the tables in the schema, sorted, without SQLite's internal sqlite_* tables.
std::vector<std::string> table_names(const std::filesystem::path& db);
// Whether a table of that name exists.
bool has_table(const std::filesystem::path& db, const std::string& table);
// (app_name, name) of every row of strata's `migrations` table, in run order (by id).
std::vector<std::pair<std::string, std::string>> migration_rows(const std::filesystem::path& db);

// Waits until strata's state table in `db` records migration `name`: a run in another process
// has committed it. For a database in WAL mode, whose readers never wait for the writer's open
// transaction. False after 20 s.
bool wait_until_recorded(const std::filesystem::path& db, const std::string& name);

// Runs `sql` on `db` read-write, creating the file when missing. For setting up a test
// (a pre-existing database, a file to compare with), never for checking results.
void execute_sql(const std::filesystem::path& db, const std::string& sql);

// Holds SQLite's write lock on `db` (BEGIN IMMEDIATE) for its lifetime, so a test can show
// what strata does when another process is writing.
class HeldWriteLock {
  public:
    explicit HeldWriteLock(const std::filesystem::path& db);
    ~HeldWriteLock();
    HeldWriteLock(const HeldWriteLock&) = delete;
    HeldWriteLock& operator=(const HeldWriteLock&) = delete;

  private:
    ::sqlite3* m_db = nullptr;
};

// Copies `db` to `target` as a crash in the middle of a transaction leaves it: a transaction
// runs `change_sql` with a page cache small enough to spill changed pages into the file, the
// file and its hot journal (target + "-journal") are copied while it is still open, and then
// it is rolled back. Opening `target` needs the journal rolled back first.
void copy_mid_transaction(const std::filesystem::path& db, const std::filesystem::path& target,
                          const std::string& change_sql);

// Whether anything exists at `path`.
bool file_exists(const std::filesystem::path& path);

// A file's bytes (or its absence) at one moment, to prove later that nothing changed it.
class FileSnapshot {
  public:
    explicit FileSnapshot(std::filesystem::path path);
    // True when the file is still absent, or still has exactly the same bytes.
    bool unchanged() const;
    // The bytes taken, or nullopt when the file did not exist.
    const std::optional<std::string>& bytes() const { return m_bytes; }

  private:
    std::filesystem::path m_path;
    std::optional<std::string> m_bytes;
};

// Whether two files exist and have the same bytes.
bool same_bytes(const std::filesystem::path& a, const std::filesystem::path& b);

} // namespace strata::test
