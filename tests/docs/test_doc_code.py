#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every ```cpp block of the documentation compiles against strata's public headers.

Each block is one translation unit, compiled as a user would (`-std=c++20`, warnings as errors),
with only the public include folder on the path. A block whose first line is
`// not compiled: REASON` is skipped (none is, today); an example that stops compiling fails
the tests instead of drifting from the library.

usage: test_doc_code.py --cxx COMPILER --include DIR [--include DIR...] FILE.md...
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

BLOCK = re.compile(r"^```cpp\n(.*?)^```", re.S | re.M)


def blocks(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 2
        yield line, match.group(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cxx", required=True)
    parser.add_argument("--include", action="append", default=[])
    parser.add_argument("docs", nargs="+")
    args = parser.parse_args()

    passed = failed = 0
    with tempfile.TemporaryDirectory() as work:
        for doc in args.docs:
            for line, code in blocks(doc):
                where = f"{os.path.relpath(doc)}:{line}"
                if code.startswith("// not compiled:"):
                    continue
                source = os.path.join(work, "block.cpp")
                with open(source, "w", encoding="utf-8") as f:
                    f.write(f'#line {line} "{where.split(":")[0]}"\n{code}')
                command = [args.cxx, "-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                           "-fsyntax-only", source]
                for folder in args.include:
                    command += ["-I", folder]
                result = subprocess.run(command, capture_output=True, text=True)
                if result.returncode == 0:
                    passed += 1
                else:
                    failed += 1
                    print(f"FAIL {where}: the example does not compile\n{result.stderr}")
    if passed + failed == 0:
        print("FAIL: no cpp block found")
        failed = 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
