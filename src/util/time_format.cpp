// SPDX-License-Identifier: MIT
#include "util/time_format.hpp"

#include "util/platform.hpp"

#include <cstdio>
#include <ctime>

namespace strata::util {

namespace {

// Rounding down, not toward zero, keeps a time just before a second in that second, also
// before 1970.
std::tm utc_of(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto seconds_since_epoch =
        static_cast<std::time_t>(floor<seconds>(time.time_since_epoch()).count());
    return utc_calendar_time(seconds_since_epoch);
}

} // namespace

std::string utc_digits(std::chrono::system_clock::time_point time) {
    const std::tm utc = utc_of(time);
    char text[40];
    std::snprintf(text, sizeof text, "%04d%02d%02d%02d%02d%02d", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
    return text;
}

std::string utc_basic_millis(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto since_epoch = floor<milliseconds>(time.time_since_epoch());
    const auto millis = (since_epoch - floor<seconds>(since_epoch)).count();
    const std::tm utc = utc_of(time);
    char text[40];
    std::snprintf(text, sizeof text, "%04d%02d%02dT%02d%02d%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(millis));
    return text;
}

std::string format_duration(std::chrono::microseconds elapsed) {
    char text[32];
    const auto micros = static_cast<double>(elapsed.count());
    if (elapsed < std::chrono::seconds(1))
        std::snprintf(text, sizeof text, "%.1f ms", micros / 1e3);
    else
        std::snprintf(text, sizeof text, "%.2f s", micros / 1e6);
    return text;
}

} // namespace strata::util
