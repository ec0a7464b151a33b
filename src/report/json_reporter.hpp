// SPDX-License-Identifier: MIT
#pragma once

#include "strata/api/managers.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace strata::report {

// Renders statuses as a JSON array with one compact object per line, for example
//   {"app_name":"core","migration_id":"0001","description":"create users",
//    "has_ran":true,"ran_on":"2026-11-21T10:00:00.123Z","status":"applied"}
// (on one line); ran_on is null when has_ran is false; status is "pending", "applied",
// "modified", "missing" or "not runnable" (a migration written in C++, which only the
// application that defines it can run; has_ran is true for the last four). An empty list is
// "[]". Ends with "\n".
std::string render_statuses_json(const std::vector<MigrationStatus>& statuses);

// A wait for another connection's lock (RunObserver::on_waiting_for_lock) as one JSON object on
// one line, ending with "\n":
//   {"event":"waiting_for_lock","database":"app.db","timeout_ms":5000}
std::string render_lock_wait_json(std::string_view database, std::chrono::milliseconds timeout);

// `text` as a JSON string literal, quotes included. Control characters are escaped, bytes that
// are not valid UTF-8 become \ufffd, and the rest passes through unchanged.
std::string json_string(std::string_view text);

} // namespace strata::report
