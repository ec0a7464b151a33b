// SPDX-License-Identifier: MIT
#include "strata/executor/lint_probe.hpp"

#include "strata/error.hpp"
#include "strata/executor/database.hpp"
#include "strata/executor/sql_text.hpp"
#include "strata/executor/stand_in_functions.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <utility>

namespace strata {

namespace {

struct StatementDeleter {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Collects the functions SQLite resolves while preparing; allows everything, since the normal
// runner judges the same SQL under strata's policy afterwards.
class FunctionRecorder {
  public:
    explicit FunctionRecorder(sqlite3* db) : m_db(db) {
        sqlite3_set_authorizer(db, &FunctionRecorder::callback, this);
    }
    ~FunctionRecorder() { sqlite3_set_authorizer(m_db, nullptr, nullptr); }
    FunctionRecorder(const FunctionRecorder&) = delete;
    FunctionRecorder& operator=(const FunctionRecorder&) = delete;
    std::vector<std::string> take() { return std::exchange(m_functions, {}); }

  private:
    static int callback(void* self, int action, const char*, const char* a2, const char*,
                        const char*) {
        auto* recorder = static_cast<FunctionRecorder*>(self);
        if (action == SQLITE_FUNCTION && a2 != nullptr) {
            std::string name = lower(a2);
            if (std::find(recorder->m_functions.begin(), recorder->m_functions.end(), name) ==
                recorder->m_functions.end())
                recorder->m_functions.push_back(std::move(name));
        }
        return SQLITE_OK;
    }

    sqlite3* m_db;
    std::vector<std::string> m_functions;
};

} // namespace

ScratchDatabase::ScratchDatabase() {
    const int code =
        sqlite3_open_v2(":memory:", &m_handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (code != SQLITE_OK) {
        sqlite3_close_v2(m_handle);
        throw Error(ErrorKind::Database, std::string("cannot open a scratch database in memory: ") +
                                             sqlite3_errstr(code))
            .with_sqlite_code(code);
    }
    try {
        secure_connection(db());
    } catch (...) {
        sqlite3_close_v2(m_handle);
        throw;
    }
}

ScratchDatabase::~ScratchDatabase() {
    sqlite3_close_v2(m_handle);
}

std::vector<ProbedStatement> probe_statements(sqlite::Database database, std::string_view sql,
                                              const std::string& path) {
    sqlite3* db = database.handle();
    FunctionRecorder recorder(db);
    std::vector<ProbedStatement> probed;
    const char* const begin = sql.data();
    const char* const end = begin + sql.size();
    const char* at = begin;
    TextPosition position(begin, 1);
    constexpr std::string_view k_no_such_function = "no such function: ";

    while (true) {
        at = skip_blank(at, end);
        if (at >= end)
            break;
        ProbedStatement statement;
        StatementPtr prepared;
        const char* tail = nullptr;
        while (true) {
            sqlite3_stmt* raw = nullptr;
            const int code = sqlite3_prepare_v3(db, at, static_cast<int>(end - at), 0, &raw, &tail);
            prepared.reset(raw);
            if (code == SQLITE_OK)
                break;
            const std::string_view message = sqlite3_errmsg(db);
            std::string name = message.starts_with(k_no_such_function)
                                   ? lower(message.substr(k_no_such_function.size()))
                                   : std::string();
            // A stand-in already given and still unknown would loop: report SQLite's words.
            if (!name.empty() && std::find(statement.unknown.begin(), statement.unknown.end(),
                                           name) == statement.unknown.end()) {
                register_stand_in_functions(db, {name});
                statement.unknown.push_back(std::move(name));
                continue;
            }
            const int offset = sqlite3_error_offset(db);
            const char* failed_at = offset >= 0 && offset < end - at ? at + offset : at;
            position.advance_to(failed_at);
            throw Error(ErrorKind::MigrationFailed, "statement failed: " + std::string(message),
                        SourceLocation{path, position.line(), position.column()},
                        "fix the statement; lint prepares each statement as forwards would")
                .with_sqlite_code(sqlite3_extended_errcode(db))
                .with_source_line(std::string(line_at(begin, end, failed_at)));
        }
        statement.functions = recorder.take();
        if (prepared == nullptr) { // only a ';' or a comment was left
            if (tail == nullptr || tail <= at)
                break;
            at = tail;
            continue;
        }
        // SQLite skips a lone ';' before the statement it prepared.
        while (at < tail && *at == ';')
            at = skip_blank(at + 1, tail);
        statement.offset = static_cast<std::size_t>(at - begin);
        statement.text = std::string_view(at, static_cast<std::size_t>(tail - at));
        if (!is_vacuum(at, end)) {
            int stepped;
            while ((stepped = sqlite3_step(prepared.get())) == SQLITE_ROW) {
            }
            if (stepped != SQLITE_DONE) {
                position.advance_to(at);
                throw Error(ErrorKind::MigrationFailed,
                            "statement failed: " + std::string(sqlite3_errmsg(db)),
                            SourceLocation{path, position.line(), position.column()},
                            "fix the statement; lint runs each statement on a scratch database")
                    .with_sqlite_code(sqlite3_extended_errcode(db))
                    .with_source_line(std::string(line_at(begin, end, at)));
            }
        }
        probed.push_back(std::move(statement));
        at = tail;
    }
    return probed;
}

std::set<std::string> schema_objects(sqlite::Database db) {
    std::set<std::string> objects;
    sqlite::Statement query(db, "SELECT type, name FROM main.sqlite_schema "
                                "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
    while (query.step())
        objects.insert(query.column_text(0) + " " + query.column_text(1));
    return objects;
}

} // namespace strata
