#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Test 1: kill at every write.

strata_fault kills itself (SIGKILL) at the k-th xWrite/xSync/xTruncate/xDelete call, for every
k of three runs of the hand-written fixture:
  forwards   0 -> 20 on an existing database at k=0 (its state table already there)
  backwards  20 -> 0 (`backwards core all --yes`)
  first-run  0 -> 20 on a missing database (the state table is created by the run)
After each kill the database must be CONSISTENT (oracle.py), and the release binary run again
must reach the target and leave it CONSISTENT at the target. Works on /dev/shm: a kill does
not lose what the process wrote, so fsync does not matter here.
"""

import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_harness as h  # noqa: E402
import oracle  # noqa: E402

N = 20
# --quick: every kill point up to the 40th, then every 13th.
QUICK_HEAD, QUICK_EVERY = 40, 13
SCENARIOS = [
    # name, command, template state (None = missing database), target
    ("forwards", ["forwards", "--yes"], "k0", N),
    ("backwards", ["backwards", "core", "all", "--yes"], "k20", 0),
    ("first-run", ["forwards", "--yes"], None, N),
]


def prepare_templates(bins, project, work):
    """Databases the runs start from: k0 (migrated up and back down: state table, no rows)
    and k20 (fully migrated), made by the release binary."""
    templates = {}
    k20 = os.path.join(work, "template-k20.db")
    r = h.run(bins.strata, project, k20, ["forwards", "-q"])
    assert r.returncode == 0, r.stderr
    k0 = os.path.join(work, "template-k0.db")
    r = h.run(bins.strata, project, k0, ["forwards", "-q"])
    assert r.returncode == 0, r.stderr
    r = h.run(bins.strata, project, k0, ["backwards", "core", "all", "--yes", "-q"])
    assert r.returncode == 0, r.stderr
    templates["k20"], templates["k0"] = k20, k0
    for name, path in templates.items():
        ok, k, reason = oracle.check(project, path)
        assert ok and k == (N if name == "k20" else 0), reason
    return templates


def main():
    args = h.arguments(__doc__.split("\n")[0]).parse_args()
    bins = h.Binaries(args.build)
    work = h.make_workdir(args, "strata-kill-")
    project = h.hand20_project(work)
    templates = prepare_templates(bins, project, work)
    tally = h.Tally()
    h.release_binary_has_no_shim(bins, tally)
    started = time.monotonic()
    total_points = 0
    all_points = 0
    kinds = ",".join(h.MUTATING)

    for name, command, template_name, target in SCENARIOS:
        template = templates.get(template_name)
        probe = os.path.join(work, "probe-%s.db" % name)
        h.copy_database(template, probe)
        counts, result = h.count_calls(bins, project, probe, command, work)
        assert result.returncode == 0, result.stderr
        points = sum(counts[kind] for kind in h.MUTATING)
        ks = h.sampled(points, *((QUICK_HEAD, QUICK_EVERY) if args.quick else ()))
        total_points += len(ks)
        all_points += points
        states = {}

        def one(k):
            db = os.path.join(work, "%s-%d.db" % (name, k))
            h.copy_database(template, db)
            fault = "kill:%s:%d" % (kinds, k)
            setup = "cp %s %s" % (template, db) if template else "rm -f %s" % db
            repro = h.reproduce_line(bins, project, db, command, fault, setup)
            killed = h.run(bins.fault, project, db, command, fault=fault)
            if not tally.check(
                killed.signal == 9,
                "%s: not killed" % name,
                "k=%d: expected SIGKILL, got exit %d: %s"
                % (k, killed.returncode, killed.stderr.strip()[:300]),
                repro,
            ):
                return
            ok, state, reason = oracle.check(project, db)
            if not tally.check(ok, "%s: inconsistent after kill" % name, "k=%d: %s" % (k, reason),
                               repro):
                return
            states[state] = states.get(state, 0) + 1
            resumed = h.run(bins.strata, project, db, command)
            if not tally.check(
                resumed.returncode == 0,
                "%s: resume failed" % name,
                "k=%d (state %d): resume exited %d: %s"
                % (k, state, resumed.returncode, resumed.stderr.strip()[:300]),
                repro + "; " + " ".join([bins.strata, "-C", project, "--database", db] + command),
            ):
                return
            ok, final, reason = oracle.check(project, db, target=target)
            if tally.check(ok, "%s: wrong state after resume" % name, "k=%d: %s" % (k, reason),
                           repro):
                h.copy_database(None, db)

        scenario_start = time.monotonic()
        h.sweep(args.jobs, ks, one)
        print(
            "%-10s %s: %d kill points (write=%d sync=%d truncate=%d delete=%d), %d run, "
            "states after the kill: %s  [%.1f s]"
            % (
                name,
                " ".join(command),
                points,
                counts["write"],
                counts["sync"],
                counts["truncate"],
                counts["delete"],
                len(ks),
                " ".join("k=%d:%d" % kv for kv in sorted(states.items())),
                time.monotonic() - scenario_start,
            ),
            flush=True,
        )

    print("kill points: %d, run: %d, in %.1f s" % (all_points, total_points,
                                                    time.monotonic() - started))
    return h.finish(tally, work, args.keep)


if __name__ == "__main__":
    sys.exit(main())
