// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

// A fault-injection shim over SQLite's default VFS, for test builds only (strata_fault). It is
// registered as the default VFS, so every database strata opens goes through it. It counts
// the calls of each kind and, as configured, kills the process at the n-th call, fails it with
// an I/O error or SQLITE_FULL, or simulates a power loss at the n-th sync (the model of
// SQLite's own crash tests). See tests/reliability/README.md for the specification syntax.
namespace strata::test {

// How a fault specification asks the shim to behave.
struct FaultSpec {
    enum class Mode { None, Count, Kill, IoErr, Full, Crash };
    Mode mode = Mode::None;
    unsigned kinds = 0;      // bit mask of the call kinds that are counted towards `at`
    long long at = 0;        // the 1-based call index of the fault
    bool persistent = false; // IoErr/Full: every later call of those kinds fails too
    unsigned long long seed = 0;
    unsigned crash_actions = 0; // Crash: the set of keep/drop/garble to pick from, per write
    bool lying_sync = false;    // Crash: xSync succeeds but persists nothing (a control run)
};

// Parses a specification such as "kill:write,sync:17", "ioerr:read:5:persistent",
// "full:write:3", "crash:sync:4:seed=9:keep|drop|garble[:lie]" or "count". Throws
// std::invalid_argument with a message naming the bad part.
FaultSpec parse_fault_spec(std::string_view text);

// Reads STRATA_FAULT and STRATA_FAULT_REPORT once and registers the shim as the default VFS.
// Without STRATA_FAULT the shim still counts (and reports, when STRATA_FAULT_REPORT is set).
// Throws std::invalid_argument on a bad specification.
void install_fault_vfs_from_environment();

// Writes the per-kind call counts, and whether the fault fired, to STRATA_FAULT_REPORT (or
// to stderr in count mode when that is unset). Called once strata has closed its databases.
void write_fault_report();

} // namespace strata::test
