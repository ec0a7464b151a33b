#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Out-of-memory sweep: drives the test_out_of_memory program.

    python3 tests/reliability/test_out_of_memory.py --build DIR [--quick] [--mode M] [--only N]

The program (DIR/tests/reliability/test_out_of_memory, built against the library) fails SQLite's
n-th allocation, only once ("transient") or from then on ("persistent"), for every n from 1 until
a forwards + backwards run on a 3-migration fixture no longer reaches n, and checks each
outcome, the database's consistency and SQLite's live allocations in process. Two processes
share the sweep (odd and even indices, one per core: --jobs). Every 100th index (and every
failing one) a process keeps the database, and this script checks those copies with oracle.py.

Run it on the sanitizer build (--build build-asan) so that LeakSanitizer also sees every leak.
--quick checks every 10th index. Reproduce a failure with the command it prints, e.g.
    build-asan/tests/reliability/test_out_of_memory --mode transient --only 123
Ends with "N passed, N failed"; exits 1 on any failure.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import oracle  # noqa: E402  (the suite's consistency checker, next to this file)

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.MULTILINE)
SWEPT = re.compile(r"^(transient|persistent): (\d+) allocation indices swept \(n = (\d+)\.\.(\d+)")
OUTCOME = re.compile(r"^    ((?:forwards|backwards) \S+)\s+(\d+)$")
CLEAN_RUN = re.compile(r"^a clean run makes .*$", re.MULTILINE)
# A full sweep takes about 90 s per core on the sanitizer build (2 cores); this stops a hung
# program long before CI's own limit.
TIMEOUT_SECONDS = 600


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build", help="the Meson build folder")
    parser.add_argument("--binary", help="the test program (default: BUILD/tests/reliability/...)")
    parser.add_argument("--quick", action="store_true", help="every 10th allocation index")
    parser.add_argument("--mode", choices=("transient", "persistent", "both"), default="both")
    parser.add_argument("--only", type=int, help="check one allocation index")
    parser.add_argument("--jobs", type=int, default=2, help="processes sharing the sweep")
    parser.add_argument("--sample-every", type=int, default=100)
    return parser.parse_args()


def start(binary, args, job, jobs, samples):
    """Starts process `job` of `jobs`: indices job+1, job+1+jobs*stride, ..."""
    stride = 10 if args.quick else 1
    command = [str(binary), "--mode", args.mode, "--samples", str(samples)]
    command += ["--sample-every", str(args.sample_every)]
    if args.only:
        command += ["--only", str(args.only)]
    else:
        command += ["--start", str(1 + job * stride), "--stride", str(jobs * stride)]
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    print("+ " + " ".join(command), flush=True)
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )


def check_samples(samples):
    """Checks every kept database with oracle.py; returns (passed, failed)."""
    passed = failed = 0
    project = samples / "project"
    for folder in sorted(p for p in samples.iterdir() if p.name != "project" and p.is_dir()):
        expected = int((folder / "expected_k").read_text().strip())
        database = folder / "app.db"
        ok, k, reason = oracle.check(str(project), str(database), app="core")
        if ok and k == expected:
            passed += 1
        else:
            failed += 1
            why = reason if not ok else f"oracle finds k={k}, the program found k={expected}"
            print(f"FAIL oracle on {folder.name}: {why}")
    return passed, failed


def main():
    args = parse_args()
    binary = Path(args.binary or Path(args.build) / "tests" / "reliability" / "test_out_of_memory")
    if not binary.exists():
        print(f"test_out_of_memory: {binary} not found (build it first)")
        print("0 passed, 1 failed")
        return 1
    jobs = 1 if args.only else max(1, args.jobs)
    passed = failed = 0
    sweeps = {}  # mode -> [indices swept, highest n]
    outcomes = {}  # (mode, "forwards ok") -> count
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="strata-oom-samples.") as scratch:
        runs = []
        for job in range(jobs):
            samples = Path(scratch) / f"job{job}"
            runs.append((job, samples, start(binary, args, job, jobs, samples)))
        for job, samples, process in runs:
            try:
                output, _ = process.communicate(timeout=TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
                output += f"\ntimed out after {TIMEOUT_SECONDS} s\n"
            mode = None
            for line in output.splitlines():
                if CLEAN_RUN.match(line) and job > 0:
                    continue
                if SUMMARY.match(line) or OUTCOME.match(line):
                    if OUTCOME.match(line) and mode:
                        what, count = OUTCOME.match(line).groups()
                        outcomes[(mode, what)] = outcomes.get((mode, what), 0) + int(count)
                    continue
                swept = SWEPT.match(line)
                if swept:
                    mode = swept.group(1)
                    total = sweeps.setdefault(mode, [0, 0])
                    total[0] += int(swept.group(2))
                    total[1] = max(total[1], int(swept.group(4)))
                print(f"[{job + 1}/{jobs}] {line}" if swept else line)
            summaries = SUMMARY.findall(output)
            if process.returncode not in (0, 1) or not summaries:
                # A crash, a sanitizer report or a leak report: the program's own count is moot.
                print(f"FAIL process {job + 1}: exited with status {process.returncode}")
                failed += 1
            else:
                ok, bad = (int(x) for x in summaries[-1])
                passed += ok
                failed += bad
                if process.returncode != 0 and bad == 0:
                    failed += 1
            if samples.exists():
                ok, bad = check_samples(samples)
                print(f"[{job + 1}/{jobs}] oracle.py checked {ok + bad} kept databases, "
                      f"{bad} inconsistent")
                passed += ok
                failed += bad
    for mode, (count, highest) in sorted(sweeps.items(), reverse=True):
        print(f"{mode}: {count} allocation indices swept (up to n = {highest})")
        for (m, what), number in sorted(outcomes.items()):
            if m == mode:
                print(f"    {what:<28} {number}")
    print(f"out of memory: {time.monotonic() - started:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
