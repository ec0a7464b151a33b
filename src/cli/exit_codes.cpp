// SPDX-License-Identifier: MIT
#include "cli/exit_codes.hpp"

namespace strata::cli {

int exit_code_for(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::Usage:
    case ErrorKind::ProjectFile:
    case ErrorKind::MigrationFiles:
    case ErrorKind::Drift:
    case ErrorKind::NewerDatabase:
        return k_exit_usage;
    // An id the app does not have is reported like a failed run, as the spec asks ("exit 1").
    case ErrorKind::UnknownMigration:
    case ErrorKind::MigrationFailed:
    case ErrorKind::Refused:
    case ErrorKind::Output:
        return k_exit_failed;
    case ErrorKind::Busy:
        return k_exit_busy;
    case ErrorKind::Database:
        return k_exit_database;
    // The CLI replaces this with 128 + the signal's number (130 SIGINT, 143 SIGTERM).
    case ErrorKind::Interrupted:
        return k_exit_interrupted;
    }
    return k_exit_failed;
}

int exit_code_for(const MigrationResult& result) {
    return result.success ? k_exit_success : k_exit_failed;
}

} // namespace strata::cli
