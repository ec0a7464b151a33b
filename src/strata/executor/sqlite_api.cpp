// SPDX-License-Identifier: MIT
#include "strata/executor/sqlite_api.hpp"

#include <sqlite3.h>

namespace strata::sqlite {

void fail(sqlite3* db, int code) {
    // The connection's extended code describes this failure only when its primary part is
    // `code`: a call refused before it reached the connection (a misuse) leaves an older one.
    int extended = db != nullptr ? sqlite3_extended_errcode(db) : code;
    if ((extended & 0xff) != (code & 0xff))
        extended = code;
    const char* message = db != nullptr ? sqlite3_errmsg(db) : nullptr;
    throw Failure(extended, message != nullptr ? message : sqlite3_errstr(code));
}

void Database::exec(const std::string& sql) const {
    const int code = sqlite3_exec(m_handle, sql.c_str(), nullptr, nullptr, nullptr);
    if (code != SQLITE_OK)
        fail(m_handle, code);
}

int Database::try_exec(const std::string& sql) const noexcept {
    return sqlite3_exec(m_handle, sql.c_str(), nullptr, nullptr, nullptr);
}

std::int64_t Database::last_insert_rowid() const noexcept {
    return sqlite3_last_insert_rowid(m_handle);
}

std::string Database::filename() const {
    const char* name = sqlite3_db_filename(m_handle, "main");
    return name != nullptr && *name != '\0' ? name : ":memory:";
}

Statement::Statement(Database db, std::string_view sql) : m_db(db.handle()) {
    // SQLite prepares once more when another connection changed the schema while it compiled;
    // a second change in that window (other runs creating tables as fast as they can) still
    // gives SQLITE_SCHEMA, which a few more tries get past. A step retries on its own.
    constexpr int k_tries = 10;
    int code = SQLITE_SCHEMA;
    for (int tried = 0; code == SQLITE_SCHEMA && tried < k_tries; ++tried)
        code = sqlite3_prepare_v2(m_db, sql.data(), static_cast<int>(sql.size()), &m_statement,
                                  nullptr);
    if (code != SQLITE_OK)
        fail(m_db, code);
    // Text with nothing but blanks or comments prepares to no statement at all.
    if (m_statement == nullptr)
        throw Failure(SQLITE_MISUSE, "no SQL statement to prepare");
}

Statement::~Statement() {
    sqlite3_finalize(m_statement);
}

void Statement::bind_text(int index, std::string_view value) {
    const int code = sqlite3_bind_text(m_statement, index, value.data(),
                                       static_cast<int>(value.size()), SQLITE_TRANSIENT);
    if (code != SQLITE_OK)
        fail(m_db, code);
}

void Statement::bind_int64(int index, std::int64_t value) {
    const int code = sqlite3_bind_int64(m_statement, index, value);
    if (code != SQLITE_OK)
        fail(m_db, code);
}

void Statement::bind_null(int index) {
    const int code = sqlite3_bind_null(m_statement, index);
    if (code != SQLITE_OK)
        fail(m_db, code);
}

bool Statement::step() {
    const int code = sqlite3_step(m_statement);
    if (code == SQLITE_ROW)
        return true;
    if (code == SQLITE_DONE)
        return false;
    fail(m_db, code);
}

std::int64_t Statement::execute() {
    if (step())
        throw Failure(SQLITE_MISUSE, "a statement run for its changes returned a row");
    return sqlite3_changes64(m_db);
}

std::string Statement::column_text(int column) const {
    // As a blob: the bytes as stored, a NUL inside included.
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(m_statement, column));
    const int size = sqlite3_column_bytes(m_statement, column);
    return bytes != nullptr ? std::string(bytes, static_cast<std::size_t>(size)) : std::string();
}

std::int64_t Statement::column_int64(int column) const {
    return sqlite3_column_int64(m_statement, column);
}

bool Statement::column_is_null(int column) const {
    return sqlite3_column_type(m_statement, column) == SQLITE_NULL;
}

void Statement::reset() noexcept {
    sqlite3_reset(m_statement);
}

namespace {

void to_first_row(Statement& statement) {
    if (!statement.step())
        throw Failure(SQLITE_DONE, "the query returned no row");
}

} // namespace

std::int64_t query_int64(Database db, std::string_view sql) {
    Statement statement(db, sql);
    to_first_row(statement);
    return statement.column_int64(0);
}

std::string query_text(Database db, std::string_view sql) {
    Statement statement(db, sql);
    to_first_row(statement);
    return statement.column_text(0);
}

Transaction::Transaction(Database db, TransactionKind kind) : m_db(db) {
    m_db.exec(kind == TransactionKind::Immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
    // A failed statement or COMMIT may have ended the transaction already; ROLLBACK then fails
    // harmlessly.
    if (m_open)
        m_db.try_exec("ROLLBACK");
}

void Transaction::commit() {
    m_db.exec("COMMIT");
    m_open = false;
}

} // namespace strata::sqlite
