#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The strata CLI needs the shared libraries its build options say, and no others.

Usage: test_runtime_linkage.py --strata PATH --expect full|runtime|shared [--packed-relocations]
  full     -Dstatic=auto (the default) or enabled: no shared library at all
  runtime  -Dstatic=disabled with -Dstatic_runtime=true: libstdc++ and libgcc linked in, libc
           shared
  shared   -Dstatic_runtime=false or a sanitizer build: libstdc++ loaded at run time
  --packed-relocations  the build packs relative relocations (DT_RELR): the dynamic section
                        must say so, and hardly any relative relocation may be left unpacked
Reads the binary's dynamic section with readelf (binutils, installed with the compiler).
"""
import argparse
import re
import subprocess
import sys


def dynamic_section(binary):
    return subprocess.run(["readelf", "-d", binary], capture_output=True, text=True,
                          check=True).stdout


def needed(dynamic):
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)


def unpacked_relative_relocations(binary):
    out = subprocess.run(["readelf", "-rW", binary], capture_output=True, text=True, check=True)
    return len(re.findall(r"R_\w+_RELATIVE", out.stdout))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--strata", required=True)
    parser.add_argument("--expect", required=True, choices=["full", "runtime", "shared"])
    parser.add_argument("--packed-relocations", action="store_true")
    args = parser.parse_args()
    dynamic = dynamic_section(args.strata)
    libraries = needed(dynamic)
    runtime = [lib for lib in libraries if lib.startswith(("libstdc++", "libgcc_s"))]
    problems = []
    if args.expect == "full" and libraries:
        problems.append(f"a fully static strata needs {libraries}")
    if args.expect == "runtime":
        if runtime:
            problems.append(f"static_runtime is on, yet strata needs {runtime}")
        if not any(lib.startswith("libc.so") for lib in libraries):
            problems.append(f"expected libc to stay shared, strata needs {libraries}")
    if args.expect == "shared" and not any(lib.startswith("libstdc++") for lib in libraries):
        problems.append(f"static_runtime is off, yet strata does not load libstdc++: {libraries}")
    if args.packed_relocations:
        if "(RELR)" not in dynamic:
            problems.append("relative relocations were to be packed, yet there is no DT_RELR")
        # Unpacked, strata has thousands; a few may stay unpacked (odd offsets).
        left = unpacked_relative_relocations(args.strata)
        if left > 100:
            problems.append(f"{left} relative relocations are not packed")
    for problem in problems:
        print("FAIL:", problem)
    print(f"{args.strata}: needs {', '.join(libraries) or 'no shared library'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
