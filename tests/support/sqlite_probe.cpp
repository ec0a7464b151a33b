// SPDX-License-Identifier: MIT
#include "support/sqlite_probe.hpp"

#include "support/temp_dir.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace strata::test {

namespace {

// One read-only connection for the length of one query.
class Connection {
  public:
    explicit Connection(const std::filesystem::path& db) {
        // SQLITE_OPEN_READONLY never creates the file: a missing database is an error here,
        // which is what the tests that say "not created" rely on not to mask.
        if (!std::filesystem::exists(db))
            throw std::runtime_error("no database at " + db.string());
        int rc = sqlite3_open_v2(db.c_str(), &m_db, SQLITE_OPEN_READONLY, nullptr);
        if (rc != SQLITE_OK) {
            std::string message = m_db != nullptr ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
            sqlite3_close(m_db);
            throw std::runtime_error("cannot open " + db.string() + ": " + message);
        }
    }
    ~Connection() { sqlite3_close(m_db); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    std::vector<std::vector<std::string>> rows(const std::string& sql) {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK)
            throw std::runtime_error("probe query failed: " + sql + ": " + sqlite3_errmsg(m_db));
        std::vector<std::vector<std::string>> result;
        int rc;
        while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
            std::vector<std::string> row;
            for (int i = 0; i < sqlite3_column_count(statement); ++i) {
                const unsigned char* text = sqlite3_column_text(statement, i);
                row.push_back(text != nullptr ? reinterpret_cast<const char*>(text) : "<null>");
            }
            result.push_back(std::move(row));
        }
        std::string message = sqlite3_errmsg(m_db);
        sqlite3_finalize(statement);
        if (rc != SQLITE_DONE)
            throw std::runtime_error("probe query failed: " + sql + ": " + message);
        return result;
    }

  private:
    sqlite3* m_db = nullptr;
};

std::vector<std::string> first_row(const std::filesystem::path& db, const std::string& sql) {
    auto rows = Connection(db).rows(sql);
    if (rows.empty() || rows.front().empty())
        throw std::runtime_error("probe query returned no row: " + sql);
    return rows.front();
}

} // namespace

std::string query_text(const std::filesystem::path& db, const std::string& sql) {
    std::string value = first_row(db, sql).front();
    return value == "<null>" ? std::string() : value;
}

long long query_int(const std::filesystem::path& db, const std::string& sql) {
    return std::stoll(first_row(db, sql).front());
}

std::vector<std::vector<std::string>> query_rows(const std::filesystem::path& db,
                                                 const std::string& sql) {
    return Connection(db).rows(sql);
}

std::vector<std::string> table_names(const std::filesystem::path& db) {
    std::vector<std::string> names;
    for (const auto& row : query_rows(db, "SELECT name FROM sqlite_schema WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                                          "ORDER BY name"))
        names.push_back(row.front());
    return names;
}

bool has_table(const std::filesystem::path& db, const std::string& table) {
    auto names = table_names(db);
    return std::find(names.begin(), names.end(), table) != names.end();
}

std::vector<std::pair<std::string, std::string>> migration_rows(const std::filesystem::path& db) {
    std::vector<std::pair<std::string, std::string>> result;
    for (const auto& row : query_rows(db, "SELECT app_name, name FROM migrations ORDER BY id"))
        result.emplace_back(row.at(0), row.at(1));
    return result;
}

namespace {

// Whether the state table of `db` records `name` yet (false while the file or the table does
// not exist).
bool records(const std::filesystem::path& db, const std::string& name) {
    sqlite3* handle = nullptr;
    bool found = false;
    if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
        sqlite3_stmt* query = nullptr;
        if (sqlite3_prepare_v2(handle, "SELECT 1 FROM migrations WHERE name = ?", -1, &query,
                               nullptr) == SQLITE_OK) {
            sqlite3_bind_text(query, 1, name.c_str(), -1, SQLITE_TRANSIENT);
            found = sqlite3_step(query) == SQLITE_ROW;
        }
        sqlite3_finalize(query);
    }
    sqlite3_close(handle);
    return found;
}

} // namespace

bool wait_until_recorded(const std::filesystem::path& db, const std::string& name) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!records(db, name))
        if (std::chrono::steady_clock::now() > deadline)
            return false;
    return true;
}

void execute_sql(const std::filesystem::path& db, const std::string& sql) {
    sqlite3* handle = nullptr;
    int rc =
        sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    char* message = nullptr;
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &message);
    std::string text = message != nullptr  ? message
                       : handle != nullptr ? sqlite3_errmsg(handle)
                                           : sqlite3_errstr(rc);
    sqlite3_free(message);
    sqlite3_close(handle);
    if (rc != SQLITE_OK)
        throw std::runtime_error("setup SQL failed on " + db.string() + ": " + text);
}

HeldWriteLock::HeldWriteLock(const std::filesystem::path& db) {
    int rc = sqlite3_open_v2(db.c_str(), &m_db, SQLITE_OPEN_READWRITE, nullptr);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(m_db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        std::string text = m_db != nullptr ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
        sqlite3_close(m_db);
        throw std::runtime_error("cannot lock " + db.string() + ": " + text);
    }
}

HeldWriteLock::~HeldWriteLock() {
    sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(m_db);
}

bool file_exists(const std::filesystem::path& path) {
    std::error_code ignored;
    return std::filesystem::exists(path, ignored);
}

FileSnapshot::FileSnapshot(std::filesystem::path path) : m_path(std::move(path)) {
    if (file_exists(m_path))
        m_bytes = read_file(m_path);
}

bool FileSnapshot::unchanged() const {
    if (!m_bytes)
        return !file_exists(m_path);
    return file_exists(m_path) && read_file(m_path) == *m_bytes;
}

bool same_bytes(const std::filesystem::path& a, const std::filesystem::path& b) {
    return file_exists(a) && file_exists(b) && read_file(a) == read_file(b);
}

void copy_mid_transaction(const std::filesystem::path& db, const std::filesystem::path& target,
                          const std::string& change_sql) {
    sqlite3* handle = nullptr;
    if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        sqlite3_close(handle);
        throw std::runtime_error("cannot open " + db.string());
    }
    auto run = [&](const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            std::string text = message != nullptr ? message : "?";
            sqlite3_free(message);
            sqlite3_close(handle);
            throw std::runtime_error("copy_mid_transaction: " + sql + ": " + text);
        }
    };
    run("PRAGMA journal_mode = DELETE; PRAGMA cache_size = 2; BEGIN IMMEDIATE;");
    run(change_sql);
    const std::filesystem::path journal = db.string() + "-journal";
    if (!std::filesystem::exists(journal)) {
        sqlite3_close(handle);
        throw std::runtime_error("copy_mid_transaction: the change wrote no journal");
    }
    std::filesystem::copy_file(db, target, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(journal, target.string() + "-journal",
                               std::filesystem::copy_options::overwrite_existing);
    run("ROLLBACK;");
    sqlite3_close(handle);
}

} // namespace strata::test
