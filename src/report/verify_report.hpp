// SPDX-License-Identifier: MIT
// `strata verify`'s report for people.
#pragma once

#include "strata/api/verify.hpp"

#include <string>

namespace strata::report {

// One line per checked migration ("verified core 0001 (create users)"); for the first whose
// down did not restore the database, what differs: objects left behind, missing or changed
// (with both SQL texts) and tables whose rows differ; then a summary line. Text from the
// database is made printable. Ends with "\n".
std::string render_verify_text(const VerifyReport& report);

// The summary alone: "Verified 2 migrations." or "core 0003 (add index): its down does not
// restore the database."
std::string verify_summary(const VerifyReport& report);

} // namespace strata::report
