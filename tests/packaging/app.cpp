// SPDX-License-Identifier: MIT
// An application built against the installed libstrata (tests/packaging/test_packaging.py builds
// it with pkg-config, CMake and as a Meson subproject): migrates the project it is given and
// prints how many migrations are applied, so the test can compare with the database.
#include <algorithm>
#include <iostream>
#include <strata/strata.hpp>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: app PROJECT_FILE\n";
        return 2;
    }
    try {
        const strata::Project project =
            strata::load_project(argv[1], strata::process_environment());
        const strata::Context context{project};
        strata::ForwardsMigrationManager(context).run();
        const auto statuses = strata::CheckMigrationManager(context).get_migration_statuses();
        const auto applied =
            std::count_if(statuses.begin(), statuses.end(),
                          [](const strata::MigrationStatus& s) { return s.has_ran; });
        std::cout << "strata " << strata::version() << ": " << applied << " of " << statuses.size()
                  << " applied\n";
        return 0;
    } catch (const strata::Error& error) {
        std::cerr << error.what() << '\n';
        return 1;
    }
}
