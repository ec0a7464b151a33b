#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Test 6: disk full for real.

The release binary runs under `prlimit --fsize=N` (RLIMIT_FSIZE: no file of the process may
grow past N bytes, and no write may start at or beyond N), with N swept in page-size (4 KiB)
steps from 0 to past the largest file of the run, for a forwards 0 -> 20 run on a missing
database and a backwards 20 -> 0 run. Two passes:
  ignored  SIGXFSZ ignored: the write fails with EFBIG (at an unaligned limit, after part of
           it was written), which SQLite reports as SQLITE_IOERR_WRITE; as in test 4, strata
           must exit 0 at its target or exit 5 with SQLite's message naming the database or
           the migration file;
  default  SIGXFSZ at its default action: the kernel kills strata at that write, as in test 1.
Either way the database must be CONSISTENT and the release binary, without the limit, must
then reach the target. In the ignored pass, limits are taken both at page boundaries and
1,000 bytes past them, so some writes are torn rather than refused whole.
"""

import os
import shutil
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_harness as h  # noqa: E402
import oracle  # noqa: E402
from test_io_errors import message_problem, EXIT_IO  # noqa: E402

N = 20
PAGE = 4096
SCENARIOS = [
    ("forwards", ["forwards", "--yes"], None, N),
    ("backwards", ["backwards", "core", "all", "--yes"], "k20", 0),
]


def ignore_sigxfsz():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def default_sigxfsz():
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)


def limited(bins, project, db, command, limit, ignore):
    """Runs the release binary under prlimit; returns (Result, reproduction line)."""
    prlimit = ["prlimit", "--fsize=%d" % limit, "--", bins.strata]
    result = h.run(prlimit[0], project, db, command, preexec=ignore_sigxfsz if ignore
                   else default_sigxfsz, argv_prefix=prlimit[1:])
    line = "%sprlimit --fsize=%d %s -C %s --database %s %s" % (
        "trap '' XFSZ; " if ignore else "", limit, bins.strata, project, db, " ".join(command))
    return result, "bash -c \"%s\"" % line.replace('"', '\\"')


def main():
    parser = h.arguments(__doc__.split("\n")[0])
    args = parser.parse_args()
    bins = h.Binaries(args.build)
    if not shutil.which("prlimit"):
        sys.exit("prlimit (util-linux) is needed")
    work = h.make_workdir(args, "strata-fsize-")
    project = h.hand20_project(work)
    k20 = os.path.join(work, "template-k20.db")
    r = h.run(bins.strata, project, k20, ["forwards", "-q"])
    assert r.returncode == 0, r.stderr
    templates = {"k20": k20}
    tally = h.Tally()
    started = time.monotonic()
    runs_total = 0
    step = PAGE * (4 if args.quick else 1)

    for name, command, template_name, target in SCENARIOS:
        template = templates.get(template_name)
        # The largest file the run writes is the database (rollback journals hold only the
        # pages a transaction changes), so the sweep ends one step past the final size.
        top = max(os.path.getsize(k20), os.path.getsize(template) if template else 0)
        limits = list(range(0, top + step, step))
        cases = [(limit, True) for limit in limits]
        cases += [(limit + 1000, True) for limit in limits]
        cases += [(limit, False) for limit in limits]
        outcomes = {}

        def one(case):
            limit, ignore = case
            label = "fsize=%d sigxfsz=%s" % (limit, "ignored" if ignore else "default")
            db = os.path.join(work, "%s-%d-%s.db" % (name, limit, "i" if ignore else "d"))
            h.copy_database(template, db)
            setup = "cp %s %s" % (template, db) if template else "rm -f %s" % db
            r, line = limited(bins, project, db, command, limit, ignore)
            repro = setup + "; " + line
            key = ("signal %d" % r.signal) if r.signal else ("exit %d" % r.returncode)
            outcomes[key] = outcomes.get(key, 0) + 1
            expected_signal = 0 if ignore else signal.SIGXFSZ
            if not tally.check(r.returncode >= 0 or r.signal == expected_signal,
                               "%s: unexpected signal" % name,
                               "%s: signal %d: %s" % (label, r.signal, r.stderr.strip()[:300]),
                               repro):
                return
            if not tally.check(r.returncode != 999, "%s: hang" % name, label + ": timed out",
                               repro):
                return
            if r.returncode > 0:
                problem = message_problem(r.stderr, db)
                tally.check(problem is None, "%s: error message" % name,
                            "%s: %s" % (label, problem), repro)
                tally.check(r.returncode == EXIT_IO,
                            "%s: exit %d for a full disk (documented: %d)"
                            % (name, r.returncode, EXIT_IO),
                            "%s: %s" % (label, r.stderr.strip()[:300]), repro)
            ok, state, reason = oracle.check(project, db)
            if not tally.check(ok, "%s: inconsistent" % name, "%s: %s" % (label, reason), repro):
                return
            if r.returncode == 0:
                tally.check(state == target, "%s: exit 0 short of the target" % name,
                            "%s: exit 0 but k=%d, expected %d" % (label, state, target), repro)
            resumed = h.run(bins.strata, project, db, command)
            if not tally.check(resumed.returncode == 0, "%s: resume failed" % name,
                               "%s (state %d): resume exited %d: %s"
                               % (label, state, resumed.returncode,
                                  resumed.stderr.strip()[:300]), repro):
                return
            ok, final, reason = oracle.check(project, db, target=target)
            if tally.check(ok, "%s: wrong state after resume" % name, "%s: %s" % (label, reason),
                           repro):
                h.copy_database(None, db)

        scenario_start = time.monotonic()
        h.sweep(args.jobs, cases, one)
        runs_total += len(cases)
        print("%-10s %s: limits 0..%d step %d (+1000 unaligned), %d runs; outcomes %s  [%.1f s]"
              % (name, " ".join(command), limits[-1], step, len(cases),
                 " ".join("%s:%d" % kv for kv in sorted(outcomes.items())),
                 time.monotonic() - scenario_start), flush=True)

    print("disk-full runs: %d in %.1f s" % (runs_total, time.monotonic() - started))
    return h.finish(tally, work, args.keep)


if __name__ == "__main__":
    sys.exit(main())
