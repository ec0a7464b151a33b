// SPDX-License-Identifier: MIT
#include "strata/executor/stand_in_functions.hpp"

#include "strata/error.hpp"

#include <sqlite3.h>

namespace strata {

namespace {

void return_null(sqlite3_context* context, int, sqlite3_value**) {
    sqlite3_result_null(context);
}

} // namespace

void register_stand_in_functions(sqlite3* db, const std::vector<std::string>& names) {
    // Innocuous: strata's connections run with trusted_schema off, under which a view or
    // trigger may only call functions marked so.
    constexpr int k_flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    for (const std::string& name : names) {
        const int code = sqlite3_create_function_v2(db, name.c_str(), -1, k_flags, nullptr,
                                                    &return_null, nullptr, nullptr, nullptr);
        if (code != SQLITE_OK)
            throw Error(ErrorKind::Database, "cannot register a stand-in for the function \"" +
                                                 name + "\": " + sqlite3_errstr(code))
                .with_sqlite_code(code);
    }
}

} // namespace strata
