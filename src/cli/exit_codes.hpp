// SPDX-License-Identifier: MIT
#pragma once

#include "strata/api/managers.hpp"
#include "strata/error.hpp"

namespace strata::cli {

// The process exit codes, documented in `strata --help` and the user guide.
inline constexpr int k_exit_success = 0;       // done, or nothing to do
inline constexpr int k_exit_failed = 1;        // a migration failed, or the user declined
inline constexpr int k_exit_usage = 2;         // bad usage, or a bad project or migration file
inline constexpr int k_exit_pending = 3;       // `check --exit-code` found pending migrations
inline constexpr int k_exit_busy = 4;          // the database stayed locked past busy_timeout
inline constexpr int k_exit_database = 5;      // the database cannot be opened, read or written
inline constexpr int k_exit_interrupted = 130; // SIGINT; SIGTERM gives 143 (128 + signal)

// The exit code for an error of this kind. The one place that maps errors to exit codes.
int exit_code_for(ErrorKind kind);

// The exit code for a command that returned normally: 1 when it did not succeed (declined).
int exit_code_for(const MigrationResult& result);

} // namespace strata::cli
