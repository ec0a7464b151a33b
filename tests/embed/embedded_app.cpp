// SPDX-License-Identifier: MIT
// An application with the migrations of tests/embed/project compiled in (tests/meson.build runs
// `strata embed` on them): it has no project file and reads no migration file.
//   embedded_app DATABASE forwards   applies every pending migration
//   embedded_app DATABASE check      prints "APP ID STATE" per migration
//   embedded_app DATABASE clean      backwards all with clean (must be refused)
#include <iostream>
#include <strata/strata.hpp>
#include <string>

namespace test_embedded {
std::shared_ptr<const strata::MigrationSource> migration_source(std::string_view app);
std::vector<std::string_view> app_names();
void add_sources(strata::Context& context);
} // namespace test_embedded

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: embedded_app DATABASE forwards|check|clean\n";
        return 2;
    }
    strata::Project project;
    project.database = argv[1];
    for (std::string_view name : test_embedded::app_names()) {
        strata::AppConfig app;
        app.name = std::string(name);
        // A folder that does not exist: reading it would fail the run.
        app.migrations_dir = "/nonexistent/strata-embedded-test";
        project.apps.push_back(app);
    }
    project.apps.back().depends_on = {project.apps.front().name};
    strata::Context context{project};
    test_embedded::add_sources(context);
    const std::string command = argv[2];
    try {
        if (command == "forwards") {
            std::cout << strata::ForwardsMigrationManager(context).run().message << '\n';
        } else if (command == "check") {
            for (const auto& status :
                 strata::CheckMigrationManager(context).get_migration_statuses())
                std::cout << status.app_name << ' ' << status.migration_id.text() << ' '
                          << strata::state_name(status.state) << '\n';
        } else if (command == "clean") {
            std::cout << strata::BackwardsMigrationManager(
                             context, {.target = strata::All{}, .auto_agree = true, .clean = true})
                             .run()
                             .message
                      << '\n';
        } else {
            std::cerr << "unknown command " << command << '\n';
            return 2;
        }
        return 0;
    } catch (const strata::Error& error) {
        std::cerr << error.what() << '\n';
        return 1;
    }
}
