#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Test 4: I/O errors at every call index.

strata_fault fails the k-th call of one kind (write, sync, read, truncate, open, delete) with
SQLITE_IOERR_* or SQLITE_FULL (SQLITE_CANTOPEN for opens), transient (only call k) or
persistent (k and every later call of that kind), in three runs of the hand-written fixture:
  forwards   0 -> 20 on a missing database
  backwards  20 -> 0 (`backwards core all --yes`)
  check      on a database at k=10
Each run must end without a signal, with exit 0 (and then at its target) or exit 5 (the
documented code for "the database cannot be opened, read or written"), and a one-line error
that carries SQLite's message and names the database or the migration file. The database must
then be CONSISTENT (so the migration in flight is either fully applied or not at all), and the
release binary run again must reach the target. `check` must leave the file byte-identical and
must make no write, sync, truncate or delete call at all (count mode).
"""

import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_harness as h  # noqa: E402
import oracle  # noqa: E402

N = 20
KINDS = ("write", "sync", "read", "truncate", "open", "delete")
FAULTS = ("ioerr", "full")
PERSISTENCE = ("transient", "persistent")
SQLITE_TEXTS = ("disk I/O error", "database or disk is full", "unable to open database file")
EXIT_IO = 5


def sampling(kind, quick):
    """(head, every) for h.sampled: every call index, except writes (the most numerous) after
    the 200th, where every 3rd; --quick takes the first 20 of each kind, then every 25th."""
    if quick:
        return 20, 25
    if kind == "write":
        return 200, 3
    return ()

SCENARIOS = [
    # name, command, template (None = missing database), target (None = unchanged)
    ("forwards", ["forwards", "--yes"], None, N),
    ("backwards", ["backwards", "core", "all", "--yes"], "k20", 0),
    ("check", ["check"], "k10", None),
]


def prepare_templates(bins, project, work):
    templates = {}
    for k in (10, 20):
        path = os.path.join(work, "template-k%d.db" % k)
        command = ["forwards", "core", "%04d" % k, "-q"]
        r = h.run(bins.strata, project, path, command)
        assert r.returncode == 0, r.stderr
        ok, got, reason = oracle.check(project, path, target=k)
        assert ok, reason
        templates["k%d" % k] = path
    return templates


def message_problem(stderr, db):
    """Why an error message falls short, or None: one `strata: error:` line carrying SQLite's
    message and naming the database file or the migration file in question."""
    text = stderr.strip()
    if not text.startswith("strata: error: "):
        return "stderr does not start with 'strata: error: ': %r" % text[:200]
    if not any(t in text for t in SQLITE_TEXTS):
        return "stderr carries none of SQLite's I/O messages %s: %r" % (SQLITE_TEXTS, text[:300])
    if os.path.basename(db) not in text and ".sql" not in text:
        return "stderr names neither the database nor a migration file: %r" % text[:300]
    return None


def check_no_writes(bins, project, templates, work, tally):
    """`check` in count mode on a missing database, at k=10 and at k=20: no mutating call."""
    for name in (None, "k10", "k20"):
        db = os.path.join(work, "check-count-%s.db" % (name or "missing"))
        h.copy_database(templates.get(name), db)
        before = h.sha256_of(db)
        counts, result = h.count_calls(bins, project, db, ["check"], work)
        writes = {kind: counts[kind] for kind in h.MUTATING}
        repro = h.reproduce_line(bins, project, db, ["check"], "count")
        tally.check(result.returncode == 0, "check: count run failed",
                    "exit %d: %s" % (result.returncode, result.stderr.strip()), repro)
        tally.check(not any(writes.values()), "check: writes",
                    "check on %s made mutating calls %s" % (name or "a missing database", writes),
                    repro)
        tally.check(h.sha256_of(db) == before, "check: changed the file",
                    "check on %s changed or created the file" % (name or "a missing database"),
                    repro)
        print("check on %-16s calls: %s" % (name or "a missing database", " ".join(
            "%s=%d" % kv for kv in counts.items())), flush=True)


def main():
    parser = h.arguments(__doc__.split("\n")[0])
    args = parser.parse_args()
    bins = h.Binaries(args.build)
    work = h.make_workdir(args, "strata-ioerr-")
    project = h.hand20_project(work)
    templates = prepare_templates(bins, project, work)
    tally = h.Tally()
    started = time.monotonic()
    check_no_writes(bins, project, templates, work, tally)
    outcomes_total = {}
    runs_total = 0

    for name, command, template_name, target in SCENARIOS:
        template = templates.get(template_name)
        probe = os.path.join(work, "probe-%s.db" % name)
        h.copy_database(template, probe)
        counts, result = h.count_calls(bins, project, probe, command, work)
        assert result.returncode == 0, result.stderr
        template_hash = h.sha256_of(template) if template else None
        cases = []
        for kind in KINDS:
            for k in h.sampled(counts[kind], *sampling(kind, args.quick)):
                for fault in FAULTS:
                    for persistence in PERSISTENCE:
                        cases.append((kind, k, fault, persistence))
        outcomes = {}

        def one(case):
            kind, k, fault, persistence = case
            spec = "%s:%s:%d:%s" % (fault, kind, k, persistence)
            db = os.path.join(work, "%s-%s.db" % (name, spec.replace(":", "-")))
            h.copy_database(template, db)
            setup = "cp %s %s" % (template, db) if template else "rm -f %s" % db
            repro = h.reproduce_line(bins, project, db, command, spec, setup)
            r = h.run(bins.fault, project, db, command, fault=spec)
            key = "exit %d" % r.returncode
            outcomes[key] = outcomes.get(key, 0) + 1
            if not tally.check(0 <= r.returncode < 128, "%s: crashed" % name,
                               "%s: exit %d (signal %d): %s" % (spec, r.returncode, r.signal,
                                                                r.stderr.strip()[:300]), repro):
                return
            if r.returncode != 0:
                problem = message_problem(r.stderr, db)
                tally.check(problem is None, "%s: error message" % name,
                            "%s: %s" % (spec, problem), repro)
                tally.check(r.returncode == EXIT_IO,
                            "%s: exit %d for an I/O error (documented: %d)"
                            % (name, r.returncode, EXIT_IO),
                            "%s: %s" % (spec, r.stderr.strip()[:300]), repro)
            if target is None:
                # check never changes the file, whatever fails (compared before the oracle
                # opens it).
                tally.check(h.sha256_of(db) == template_hash, "check: changed the file",
                            "%s: the database changed" % spec, repro)
            ok, state, reason = oracle.check(project, db)
            if not tally.check(ok, "%s: inconsistent after the fault" % name,
                               "%s: %s" % (spec, reason), repro):
                return
            if target is None:
                return
            if r.returncode == 0:
                tally.check(state == target, "%s: exit 0 short of the target" % name,
                            "%s: exit 0 but k=%d, expected %d" % (spec, state, target), repro)
            resumed = h.run(bins.strata, project, db, command)
            if not tally.check(resumed.returncode == 0, "%s: resume failed" % name,
                               "%s (state %d): resume exited %d: %s"
                               % (spec, state, resumed.returncode, resumed.stderr.strip()[:300]),
                               repro):
                return
            ok, final, reason = oracle.check(project, db, target=target)
            if tally.check(ok, "%s: wrong state after resume" % name, "%s: %s" % (spec, reason),
                           repro):
                h.copy_database(None, db)

        scenario_start = time.monotonic()
        h.sweep(args.jobs, cases, one)
        runs_total += len(cases)
        for key, n in outcomes.items():
            outcomes_total[key] = outcomes_total.get(key, 0) + n
        print("%-10s %s: calls %s; %d runs; outcomes %s  [%.1f s]" % (
            name,
            " ".join(command),
            " ".join("%s=%d" % (kind, counts[kind]) for kind in KINDS),
            len(cases),
            " ".join("%s:%d" % kv for kv in sorted(outcomes.items())),
            time.monotonic() - scenario_start,
        ), flush=True)

    print("fault runs: %d in %.1f s" % (runs_total, time.monotonic() - started))
    return h.finish(tally, work, args.keep)


if __name__ == "__main__":
    sys.exit(main())
