// SPDX-License-Identifier: MIT
// The strata binary: everything, including turning errors into exit codes, is in strata::cli.
#include "cli/commands.hpp"
#include "strata/api/version.hpp"

int main(int argc, char** argv) {
    // No connection of the CLI is ever used by two threads: spare SQLite's per-call mutex.
    strata::use_single_owner_connections();
    return strata::cli::run(argc, argv);
}
