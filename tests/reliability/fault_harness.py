# SPDX-License-Identifier: MIT
"""Shared plumbing of the fault-injection tests (kill, power loss, I/O errors, disk full):
options, binaries, work folders, running strata with a fault specification, counting calls,
a parallel sweep, and the `N passed, N failed` tally with reproduction lines."""

import argparse
import concurrent.futures
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402
import make_fixture  # noqa: E402

MUTATING = ("write", "sync", "truncate", "delete")
RUN_TIMEOUT = 120  # seconds per strata run; a hang is a failure, not a stuck CI job
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
# Sanitizer reports seen in any run (argv, excerpt); Tally.finish counts each as a failure.
sanitizer_reports = []


def arguments(description, default_jobs=None):
    """The options every script takes: --build DIR, --quick, --jobs N, --workdir DIR, --keep."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--build", default="build", help="the Meson build folder (default build)")
    parser.add_argument("--quick", action="store_true", help="a smaller, sampled sweep")
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs or min(2, os.cpu_count() or 1),
        help="runs in parallel (default: 2, or 1 on a 1-core machine)",
    )
    parser.add_argument("--workdir", help="where the work folder is made (default /dev/shm)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    return parser


class Binaries:
    """DIR/strata (the release binary) and DIR/tests/reliability/strata_fault (strata + shim)."""

    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.strata = os.path.join(self.build, "strata")
        self.fault = os.path.join(self.build, "tests", "reliability", "strata_fault")
        for path in (self.strata, self.fault):
            if not os.access(path, os.X_OK):
                sys.exit("missing %s: build it first (ninja -C %s)" % (path, build))


def make_workdir(args, prefix):
    base = args.workdir or ("/dev/shm" if os.path.isdir("/dev/shm") else None)
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def hand20_project(workdir, name="hand20", extra_toml=""):
    """A copy of the hand-written fixture in workdir/name; extra_toml adds top-level keys."""
    project = os.path.join(workdir, name)
    make_fixture.copy_hand20(project)
    if extra_toml:
        path = os.path.join(project, "strata.toml")
        text = open(path).read()
        # Top-level keys must come before the first [[apps]] table.
        head, sep, tail = text.partition("[[apps]]")
        open(path, "w").write(head + extra_toml.rstrip("\n") + "\n\n" + sep + tail)
    return project


class Result:
    def __init__(self, returncode, stdout, stderr, seconds):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds

    @property
    def signal(self):
        return -self.returncode if self.returncode < 0 else 0


def run(binary, project, db, command, fault=None, report=None, preexec=None, extra_env=None,
        argv_prefix=None):
    """Runs `binary [ARGV_PREFIX...] -C project --database db COMMAND...` with
    STRATA_FAULT=fault (argv_prefix: e.g. prlimit's options and the strata binary)."""
    env = dict(os.environ)
    env.pop("STRATA_DATABASE", None)
    env.pop("STRATA_FAULT", None)
    env.pop("STRATA_FAULT_REPORT", None)
    env["NO_COLOR"] = "1"
    if fault:
        env["STRATA_FAULT"] = fault
    if report:
        env["STRATA_FAULT_REPORT"] = report
    # A sanitizer build must die loudly (a signal, not exit 1, which strata also uses).
    env.setdefault("ASAN_OPTIONS", "abort_on_error=1:detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "abort_on_error=1:print_stacktrace=1")
    if extra_env:
        env.update(extra_env)
    argv = [binary] + list(argv_prefix or []) + ["-C", project, "--database", db] + list(command)
    start = time.monotonic()
    try:
        done = subprocess.run(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=RUN_TIMEOUT,
            preexec_fn=preexec,
        )
    except subprocess.TimeoutExpired as e:
        return Result(999, (e.stdout or b"").decode(errors="replace"), "timed out", RUN_TIMEOUT)
    stderr = done.stderr.decode(errors="replace")
    for marker in SANITIZER_MARKERS:
        at = stderr.find(marker)
        if at >= 0:
            sanitizer_reports.append((argv, fault, stderr[max(0, at - 200) : at + 1500]))
            break
    return Result(done.returncode, done.stdout.decode(errors="replace"), stderr,
                  time.monotonic() - start)


def count_calls(binaries, project, db, command, scratch):
    """{kind: calls} of one fault-free run of COMMAND (count mode), and the run's Result."""
    report = os.path.join(scratch, "count-%d-%d.txt" % (os.getpid(), threading.get_ident()))
    result = run(binaries.fault, project, db, command, fault="count", report=report)
    counts = {}
    with open(report) as f:
        for item in f.read().split():
            key, _, value = item.partition("=")
            counts[key] = int(value)
    os.remove(report)
    return counts, result


def reproduce_line(binaries, project, db, command, fault=None, setup=""):
    env = ("STRATA_FAULT='%s' " % fault) if fault else ""
    line = "%s%s -C %s --database %s %s" % (env, binaries.fault, project, db, " ".join(command))
    return (setup + "; " if setup else "") + line


def sha256_of(path):
    if not os.path.exists(path):
        return None
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def copy_database(template, db):
    """Puts the template database (or nothing, when template is None) at db."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    if template:
        shutil.copyfile(template, db)


def sampled(total, head=None, every=1):
    """The call indexes 1..total a sweep visits: all of them, or (with `head`) every index up
    to `head` and then every `every`-th; the last index is always included. Deterministic, so
    a failure reproduces with the same index."""
    if total <= 0:
        return []
    if head is None:
        return list(range(1, total + 1))
    picked = [k for k in range(1, total + 1) if k <= head or (k - head) % every == 0]
    if picked[-1] != total:
        picked.append(total)
    return picked


class Tally:
    """Counts checks; prints each failure (with its reproduction) as it happens, but at most
    `limit` per category so a systematic bug does not flood the log."""

    def __init__(self, limit=5):
        self.passed = 0
        self.failed = 0
        self.limit = limit
        self.by_category = {}
        self.lock = threading.Lock()

    def ok(self, n=1):
        with self.lock:
            self.passed += n

    def fail(self, category, message, reproduce):
        with self.lock:
            self.failed += 1
            seen = self.by_category.get(category, 0)
            self.by_category[category] = seen + 1
            if seen < self.limit:
                print("FAIL [%s] %s\n  reproduce: %s" % (category, message, reproduce), flush=True)
            elif seen == self.limit:
                print("FAIL [%s] ... (further failures of this kind are counted only)" % category)

    def check(self, condition, category, message, reproduce):
        if condition:
            self.ok()
        else:
            self.fail(category, message, reproduce)
        return condition

    def finish(self):
        for argv, fault, excerpt in sanitizer_reports:
            repro = "STRATA_FAULT='%s' %s" % (fault or "", " ".join(argv))
            self.fail("sanitizer report", excerpt, repro)
        if self.by_category:
            print("failures by category:")
            for category, n in sorted(self.by_category.items()):
                print("  %6d  %s" % (n, category))
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


def finish(tally, work, keep):
    """Prints the summary line; removes the work folder unless kept or something failed."""
    code = tally.finish()
    if not keep and code == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("work folder kept: %s" % work)
    return code


def sweep(jobs, cases, work):
    """Runs work(case) for every case on `jobs` threads (each case runs its own processes)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(work, case) for case in cases]:
            future.result()


def release_binary_has_no_shim(binaries, tally):
    """The release binary must not contain the fault-injection VFS."""
    data = open(binaries.strata, "rb").read()
    found = [marker for marker in (b"STRATA_FAULT", b"strata_fault") if marker in data]
    tally.check(
        not found,
        "release binary contains the shim",
        "%s contains %s" % (binaries.strata, found),
        "grep -c STRATA_FAULT %s" % binaries.strata,
    )
