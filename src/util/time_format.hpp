// SPDX-License-Identifier: MIT
// Times and durations as strata writes them in file names and progress lines.
#pragma once

#include <chrono>
#include <string>

namespace strata::util {

// `time` in UTC as YYYYMMDDHHMMSS, to the second (rounded down): "20261121093000".
std::string utc_digits(std::chrono::system_clock::time_point time);

// `time` in UTC as ISO 8601's basic format with milliseconds (rounded down):
// "20261121T093000.123Z". Fixed width, so such names sort by time.
std::string utc_basic_millis(std::chrono::system_clock::time_point time);

// A short duration for people: "12.3 ms" below a second, "1.23 s" from a second on.
std::string format_duration(std::chrono::microseconds elapsed);

} // namespace strata::util
