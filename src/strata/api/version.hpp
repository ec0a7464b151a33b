// SPDX-License-Identifier: MIT
// Which strata and which SQLite an application is running, for its about box and bug reports,
// and how SQLite is set up for the process.
#pragma once

#include <string_view>

namespace strata {

// The version of libstrata, e.g. "0.1.0".
std::string_view version();

// The version of the SQLite library strata runs on (the one linked in, not the headers it was
// compiled against), e.g. "3.40.1".
std::string_view sqlite_version();

// Sets SQLite up for a program in which each connection is used by one thread at a time (any
// number of connections, on any threads) and nothing reads SQLite's memory statistics
// (sqlite3_memory_used): connections then take no mutex of their own on each call
// (SQLITE_CONFIG_MULTITHREAD), and allocations no global one (SQLITE_CONFIG_MEMSTATUS off).
// strata itself never shares a connection between threads. Call it before anything uses
// SQLite; it returns false, changing nothing, when that is too late or when SQLite was built
// single-threaded. The strata CLI calls it first; an application decides for itself.
bool use_single_owner_connections();

// How SQLite's connections guard themselves in this process: "serialized" (SQLite's default),
// "multi-thread" (after use_single_owner_connections) or "single-thread".
std::string_view sqlite_threading();

} // namespace strata
