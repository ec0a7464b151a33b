// SPDX-License-Identifier: MIT
// The bench's application with migrations compiled in (bench/run.py runs `strata embed` on its
// project and builds this with the generated source): `embedded_noop DATABASE` runs forwards on
// DATABASE from the embedded migrations, as an application does at start-up, and prints the
// run's message. Its app's folder does not exist: reading a file would fail the run.
#include <iostream>
#include <strata/strata.hpp>

namespace strata_embedded {
void add_sources(strata::Context& context);
} // namespace strata_embedded

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: embedded_noop DATABASE\n";
        return 2;
    }
    strata::Project project;
    project.database = argv[1];
    strata::AppConfig app;
    app.name = "core";
    app.migrations_dir = "/nonexistent/strata-bench-embedded";
    project.apps.push_back(app);
    strata::Context context{project};
    strata_embedded::add_sources(context);
    try {
        std::cout << strata::ForwardsMigrationManager(context).run().message << '\n';
        return 0;
    } catch (const strata::Error& error) {
        std::cerr << error.what() << '\n';
        return 1;
    }
}
