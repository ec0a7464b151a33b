// SPDX-License-Identifier: MIT
// Which strata and which SQLite an application is running, for its about box and bug reports.
#pragma once

#include <string_view>

namespace strata {

// The version of libstrata, e.g. "0.1.0".
std::string_view version();

// The version of the SQLite library strata runs on (the one linked in, not the headers it was
// compiled against), e.g. "3.40.1".
std::string_view sqlite_version();

} // namespace strata
