#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Test 3: power loss.

strata_fault runs in crash mode: it remembers every write and truncate since each file's last
xSync and, at the s-th xSync call, puts each file back to its synced state, replays each
unsynced write kept, dropped or garbled (chosen per write from the seed; garbling stays inside
the write's own range, as SQLite's power-safe-overwrite assumption allows) and kills the
process: the model of SQLite's own crash tests (test6.c). For every s, in journal modes
DELETE and WAL with synchronous = FULL, for a forwards 0 -> 20 run on a missing database and a
backwards 20 -> 0 run, and for each damage pattern (seeds 1 and 2 choosing among keep, drop
and garble per write; seed 1 dropping every unsynced write; seed 1 garbling every one):
  - the database is CONSISTENT once reopened (the reopen rolls a hot journal back or recovers
    the WAL);
  - no migration that strata reported as done (its `... ok` line, read from the child's
    stdout up to the crash) is lost;
  - the release binary run again reaches the target.
"""

import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_harness as h  # noqa: E402
import oracle  # noqa: E402

N = 20
MODES = ("delete", "wal")
PATTERNS = [  # (seed, actions)
    (1, "keep|drop|garble"),
    (2, "keep|drop|garble"),
    (1, "drop"),
    (1, "garble"),
]
QUICK_PATTERNS = [(1, "keep|drop|garble"), (1, "drop")]
SCENARIOS = [
    # name, command, template (None = missing database), target, the line of a done step
    ("forwards", ["forwards", "--yes"], None, N, re.compile(r"^Applying core (\d+) .*\.\.\. ok")),
    ("backwards", ["backwards", "core", "all", "--yes"], "k20", 0,
     re.compile(r"^Reversing core (\d+) .*\.\.\. ok")),
]


def control(bins, work, args, tally):
    """The same sweep (DELETE, forwards, seed 1) on a disk that ignores fsync (`:lie`): the
    oracle must find damage in some runs, or the model and the checks cannot see a power loss
    at all. Returns the number of runs."""
    project = os.path.join(work, "hand20-delete")
    probe = os.path.join(work, "probe-control.db")
    h.copy_database(None, probe)
    counts, _ = h.count_calls(bins, project, probe, ["forwards", "--yes"], work)
    cases = list(range(1, counts["sync"] + 1, 3 if args.quick else 1))
    damaged = []

    def one(s):
        db = os.path.join(work, "control-%d.db" % s)
        h.copy_database(None, db)
        crashed = h.run(bins.fault, project, db, ["forwards", "--yes"],
                        fault="crash:sync:%d:seed=1:keep|drop|garble:lie" % s)
        reported = [line for line in crashed.stdout.splitlines() if line.endswith(")")
                    and "... ok" in line]
        ok, state, _ = oracle.check(project, db)
        if not ok or state < len(reported):
            damaged.append(s)
        h.copy_database(None, db)

    h.sweep(args.jobs, cases, one)
    print("control: fsync ignored by the disk: %d of %d runs damaged (inconsistent or a "
          "reported migration lost)" % (len(damaged), len(cases)), flush=True)
    tally.check(damaged, "control: no damage",
                "a disk that ignores fsync never damaged the database: the crash model or the "
                "oracle is not working", "STRATA_FAULT='crash:sync:S:seed=1:keep|drop|garble:lie'")
    return len(cases)


def main():
    parser = h.arguments(__doc__.split("\n")[0])
    args = parser.parse_args()
    # The shim decides what a power loss keeps, and the process, not the machine, dies: what
    # the real file system does with fsync changes nothing but the time. So the default is
    # /dev/shm (4x faster); --workdir /var/tmp runs the same sweep on disk.
    bins = h.Binaries(args.build)
    work = h.make_workdir(args, "strata-power-")
    tally = h.Tally()
    started = time.monotonic()
    patterns = QUICK_PATTERNS if args.quick else PATTERNS
    runs_total = 0

    for mode in MODES:
        project = h.hand20_project(
            work, "hand20-" + mode, 'journal_mode = "%s"\nsynchronous = "full"\n' % mode)
        k20 = os.path.join(work, "template-%s-k20.db" % mode)
        r = h.run(bins.strata, project, k20, ["forwards", "-q"])
        assert r.returncode == 0, r.stderr
        # A WAL template must be one file: copying a database without its -wal loses data.
        assert not os.path.exists(k20 + "-wal") or os.path.getsize(k20 + "-wal") == 0
        assert oracle.check(project, k20, target=N)[0]
        templates = {"k20": k20}

        for name, command, template_name, target, done_line in SCENARIOS:
            template = templates.get(template_name)
            probe = os.path.join(work, "probe-%s-%s.db" % (mode, name))
            h.copy_database(template, probe)
            counts, result = h.count_calls(bins, project, probe, command, work)
            assert result.returncode == 0, result.stderr
            syncs = counts["sync"]
            step = 1 if not args.quick else 3
            cases = [(s, seed, actions) for s in range(1, syncs + 1, step)
                     for seed, actions in patterns]
            states = {}
            reported_max = [0]

            def one(case):
                s, seed, actions = case
                spec = "crash:sync:%d:seed=%d:%s" % (s, seed, actions)
                db = os.path.join(work, "%s-%s-%d-%d-%s.db" % (
                    mode, name, s, seed, actions.replace("|", "")))
                h.copy_database(template, db)
                setup = "cp %s %s" % (template, db) if template else "rm -f %s" % db
                repro = h.reproduce_line(bins, project, db, command, spec, setup)
                crashed = h.run(bins.fault, project, db, command, fault=spec)
                if not tally.check(crashed.signal == 9, "%s %s: no crash" % (mode, name),
                                   "%s: expected SIGKILL, got exit %d: %s"
                                   % (spec, crashed.returncode, crashed.stderr.strip()[:300]),
                                   repro):
                    return
                reported = [m.group(1) for m in map(done_line.match,
                                                    crashed.stdout.splitlines()) if m]
                reported_max[0] = max(reported_max[0], len(reported))
                ok, state, reason = oracle.check(project, db)
                if not tally.check(ok, "%s %s: inconsistent after power loss" % (mode, name),
                                   "%s: %s" % (spec, reason), repro):
                    return
                states[state] = states.get(state, 0) + 1
                # Reported steps are consecutive from the start: forwards 1..r, backwards N..N-r+1.
                lost = state < len(reported) if target == N else state > N - len(reported)
                tally.check(not lost, "%s %s: reported migration lost" % (mode, name),
                            "%s: strata reported %s done, the database is at k=%d"
                            % (spec, reported, state), repro)
                resumed = h.run(bins.strata, project, db, command)
                if not tally.check(resumed.returncode == 0, "%s %s: resume failed" % (mode, name),
                                   "%s (state %d): resume exited %d: %s"
                                   % (spec, state, resumed.returncode,
                                      resumed.stderr.strip()[:300]), repro):
                    return
                ok, final, reason = oracle.check(project, db, target=target)
                if tally.check(ok, "%s %s: wrong state after resume" % (mode, name),
                               "%s: %s" % (spec, reason), repro):
                    h.copy_database(None, db)

            scenario_start = time.monotonic()
            h.sweep(args.jobs, cases, one)
            runs_total += len(cases)
            print("%-6s %-9s %s: %d syncs, %d runs (%d patterns), most steps reported before a "
                  "crash %d, states after recovery: %s  [%.1f s]" % (
                      mode, name, " ".join(command), syncs, len(cases), len(patterns),
                      reported_max[0], " ".join("k=%d:%d" % kv for kv in sorted(states.items())),
                      time.monotonic() - scenario_start), flush=True)

    runs_total += control(bins, work, args, tally)
    print("power-loss runs: %d in %.1f s (work folder on %s)"
          % (runs_total, time.monotonic() - started, os.path.dirname(work)))
    return h.finish(tally, work, args.keep)


if __name__ == "__main__":
    sys.exit(main())
