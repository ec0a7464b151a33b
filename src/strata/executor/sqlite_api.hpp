// SPDX-License-Identifier: MIT
// A thin layer over SQLite's C API, the only one strata's library uses: a non-owning view of a
// connection, an RAII prepared statement, an RAII transaction, and one exception for a failed
// call. Whoever catches that exception turns it into strata::Error (executor/sqlite_error).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace strata::sqlite {

// A failed SQLite call: its extended result code and SQLite's own message. It never leaves the
// library: rethrow_as_error and sqlite_error (executor/sqlite_error) translate it.
class Failure : public std::runtime_error {
  public:
    Failure(int code, const std::string& message) : std::runtime_error(message), m_code(code) {}
    // The extended result code (e.g. SQLITE_IOERR_FSYNC), whatever extended_result_codes says.
    int code() const noexcept { return m_code; }

  private:
    int m_code;
};

// Throws Failure for the result code `code` of a call on `db`, with the connection's message
// (sqlite3_errmsg) and its extended code when that refines `code`.
[[noreturn]] void fail(sqlite3* db, int code);

// A connection someone else owns (Connection, or the application): copying the view never
// copies or closes the connection.
class Database {
  public:
    explicit Database(sqlite3* handle) noexcept : m_handle(handle) {}
    sqlite3* handle() const noexcept { return m_handle; }
    // Runs `sql` (one or more statements, rows ignored). Throws Failure.
    void exec(const std::string& sql) const;
    // The same, returning SQLite's result code instead of throwing.
    int try_exec(const std::string& sql) const noexcept;
    // The file of the main database as SQLite opened it, for messages; ":memory:" for an
    // in-memory or temporary database (which has no file).
    std::string filename() const;
    // The rowid of the last row an INSERT on this connection added.
    std::int64_t last_insert_rowid() const noexcept;

  private:
    sqlite3* m_handle;
};

// One prepared statement, finalized on destruction. Parameters count from 1 and columns from 0,
// as in SQLite's C API.
class Statement {
  public:
    // Prepares the first statement of `sql`. Throws Failure when SQLite cannot prepare it, or
    // when `sql` holds no statement.
    Statement(Database db, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Bind a parameter. Throw Failure on a bad index or out of memory.
    void bind_text(int index, std::string_view value);
    void bind_int64(int index, std::int64_t value);
    void bind_null(int index);
    // Runs to the next row: true when there is one, false when the statement is done. Throws
    // Failure when the step fails.
    bool step();
    // Runs a statement that gives no row (INSERT, UPDATE, DELETE); returns how many rows it
    // changed. Throws Failure when it fails or gives a row.
    std::int64_t execute();
    // A column of the current row; NULL reads as "" and 0.
    std::string column_text(int column) const;
    std::int64_t column_int64(int column) const;
    bool column_is_null(int column) const;
    // Back to before the first row; the bindings stay.
    void reset() noexcept;

  private:
    sqlite3* m_db;
    sqlite3_stmt* m_statement = nullptr;
};

// The first column of the first row `sql` gives. Throw Failure when SQLite fails or there is
// no row.
std::int64_t query_int64(Database db, std::string_view sql);
std::string query_text(Database db, std::string_view sql);

enum class TransactionKind {
    Deferred,  // BEGIN: the first read or write takes its lock
    Immediate, // BEGIN IMMEDIATE: the write lock at once (after the busy handler's wait)
};

// A transaction begun by the constructor: commit() ends it; the destructor rolls it back when it
// was not committed, never throwing.
class Transaction {
  public:
    // Throws Failure when BEGIN fails (SQLITE_BUSY when the lock cannot be had).
    Transaction(Database db, TransactionKind kind);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    // Throws Failure when COMMIT fails; the destructor then rolls back.
    void commit();

  private:
    Database m_db;
    bool m_open = true;
};

} // namespace strata::sqlite
