// SPDX-License-Identifier: MIT
// strata-generate: prints the man page or a shell's completions, generated from the CLI's
// table of commands and options, for the build to install. It runs on the build machine (a
// cross build compiles it natively), so it links only the table and its renderers.
#include "cli/completions.hpp"

#include <iostream>
#include <string_view>

int main(int argc, char** argv) {
    const std::string_view usage = "usage: strata-generate man VERSION | bash | zsh | fish\n";
    if (argc < 2) {
        std::cerr << usage;
        return 2;
    }
    const std::string_view what = argv[1];
    if (what == "man" && argc == 3)
        std::cout << strata::cli::man_page(argv[2]);
    else if (what == "bash" && argc == 2)
        std::cout << strata::cli::bash_completion();
    else if (what == "zsh" && argc == 2)
        std::cout << strata::cli::zsh_completion();
    else if (what == "fish" && argc == 2)
        std::cout << strata::cli::fish_completion();
    else {
        std::cerr << usage;
        return 2;
    }
    std::cout << std::flush;
    return std::cout ? 0 : 1;
}
