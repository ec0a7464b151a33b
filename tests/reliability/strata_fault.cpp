// SPDX-License-Identifier: MIT
// strata_fault: the strata binary with the fault-injection VFS installed first. Test builds
// only; STRATA_FAULT and STRATA_FAULT_REPORT configure it (tests/reliability/README.md).
#include "cli/commands.hpp"
#include "fault_vfs.hpp"

#include <cstdio>
#include <stdexcept>

int main(int argc, char** argv) {
    try {
        strata::test::install_fault_vfs_from_environment();
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "strata_fault: bad STRATA_FAULT: %s\n", e.what());
        return 2;
    }
    const int code = strata::cli::run(argc, argv);
    // Every connection is closed by now, so the counts are complete.
    strata::test::write_fault_report();
    return code;
}
