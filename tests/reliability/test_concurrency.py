#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Concurrent runners on one database.

N processes (N = 2, 4, 8, 16) are released together against one database of the generated
200-migration fixture, in three scenarios:
  missing  every process runs `strata forwards` and the database does not exist yet;
  half     the same on a database at k=100;
  race     from k=100, half the processes run `forwards`, the other half
           `backwards core all --yes`; the final state may be any k;
  backup   from k=100, every process runs `forwards --backup` with keep_backups = 1: besides
           the checks below, every reported backup name is distinct (runs in the same
           millisecond included), every backup left is one a process reported and a healthy
           copy taken at k=100 or later, the newest reported backup is among them, and no
           temporary file is left. (That a backup outlives the run that made it is shown
           deterministically by tests/e2e/backup_schema_test.cpp.)
After each run:
  * every process exits 0 (busy_timeout_ms is raised to 60000 in the fixture copy, far above a
    run's length, so an exit 4 can only mean a lock strata gave up on without waiting, e.g. a
    deadlock, and counts as a failure); in the race, a process may instead exit 4 saying that
    "another run changed the database during this one": forwards and backwards interleave
    migration by migration, and a run whose plan no longer fits the database stops before the
    next step rather than leave a state no serial order could;
  * no stderr holds an error ("already exists", "duplicate column", "no such table" would be a
    migration run twice);
  * `side_effects` holds each migration 1..k exactly once and nothing else;
  * the progress lines agree: per migration, (applied at start) + (`Applying ... ok` lines) -
    (`Reversing ... ok` lines) equals (applied at the end), each count 0 or 1;
  * the oracle says CONSISTENT (k=200 for missing and half).

The barrier does not sleep: each child is a /bin/sh that writes one byte to a "ready" pipe and
then blocks reading a line from a "go" pipe before it execs strata. The parent reads N ready
bytes (so every child is waiting), then writes N newlines in one write: all are released at once.

Usage: test_concurrency.py --build DIR [--quick] [--reps R] [--n 2,4,8,16]
                           [--scenarios missing,half,race,backup] [--keep]
Ends with `N passed, N failed` (one check per run); exits 1 when any run failed.
"""

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402

COUNT = 200
HALF = 100
BUSY_TIMEOUT_MS = 60000
RUN_TIMEOUT_S = 60
BAD_STDERR = ("already exists", "duplicate column", "no such table", "strata: error",
              "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
PROGRESS = re.compile(r"^(Applying|Reversing) core (\d+) \(.*\) \.\.\. ok \(", re.M)


def prepare_fixture(work, strata):
    """The 200-migration fixture with a long busy timeout, and a template database at k=100."""
    project = os.path.join(work, "fixture")
    subprocess.run([sys.executable, os.path.join(HERE, "make_fixture.py"), "--count", str(COUNT),
                    "--out", project], check=True, stdout=subprocess.DEVNULL)
    toml = os.path.join(project, "strata.toml")
    with open(toml) as f:
        text = f.read()
    text = text.replace('database = "app.db"\n',
                        'database = "app.db"\nbusy_timeout_ms = %d\n' % BUSY_TIMEOUT_MS, 1)
    with open(toml, "w") as f:
        f.write(text)
    half = os.path.join(work, "half.db")
    subprocess.run([strata, "--database", half, "forwards", "core", "%04d" % HALF], cwd=project,
                   check=True, stdout=subprocess.DEVNULL, env=clean_env())
    ok, k, reason = oracle.check(project, half, target=HALF)
    if not ok:
        sys.exit("template database at k=%d is not consistent: %s" % (HALF, reason))
    oracle.references(project)  # warm the reference cache before any timing
    return project, half


BACKED_UP = re.compile(r"^Backed up .* to (.*)$", re.M)
BACKUP_TOML = "strata-backup.toml"


def add_backup_project(project):
    """A second project file beside the fixture's, keeping one backup per database."""
    with open(os.path.join(project, "strata.toml")) as f:
        text = f.read()
    with open(os.path.join(project, BACKUP_TOML), "w") as f:
        f.write(text.replace('database = "app.db"\n', 'database = "app.db"\nkeep_backups = 1\n', 1))


def check_backups(run_dir, results):
    """The problems with the backups a `backup` run left ([] when there are none), and the
    numbers reported and left."""
    problems = []
    reported = []
    for code, out, _ in results:
        names = [os.path.basename(name) for name in BACKED_UP.findall(out)]
        # A process that planned after the others had finished has nothing to back up.
        nothing_to_do = out.startswith("No migrations need to be run")
        if code == 0 and len(names) != (0 if nothing_to_do else 1):
            problems.append("a process reported %d backups: %r" % (len(names), out[:200]))
        reported += names
    if len(set(reported)) != len(reported):
        problems.append("backup names reported twice: %r" % sorted(reported))
    left = sorted(name for name in os.listdir(run_dir) if name.endswith(".bak"))
    temporary = [name for name in os.listdir(run_dir) if name.endswith(".tmp")]
    if temporary:
        problems.append("temporary files left: %r" % temporary)
    if not set(left) <= set(reported):
        problems.append("backups nobody reported: %r" % sorted(set(left) - set(reported)))
    if reported and max(reported, key=backup_order) not in left:
        problems.append("the newest backup %s is gone" % max(reported, key=backup_order))
    for name in left:
        con = sqlite3.connect("file:%s?mode=ro" % os.path.join(run_dir, name), uri=True)
        try:
            verdict = con.execute("PRAGMA quick_check").fetchone()[0]
            k = con.execute("SELECT count(*) FROM migrations").fetchone()[0]
        finally:
            con.close()
        if verdict != "ok" or k < HALF:
            problems.append("backup %s: quick_check %s, k=%d" % (name, verdict, k))
    return problems, len(reported), len(left)


def backup_order(name):
    """Time, then attempt: app.db.<time>[_<n>].bak."""
    stem = name[:-len(".bak")]
    time_part, _, attempt = stem.rpartition("Z_")
    if time_part and attempt.isdigit():
        return (time_part + "Z", int(attempt))
    return (stem, 0)


def clean_env():
    env = {k: v for k, v in os.environ.items() if k != "STRATA_DATABASE"}
    env["NO_COLOR"] = "1"
    return env


def run_together(strata, project, db, argvs, outdir):
    """Starts one strata per argv behind a pipe barrier, releases them at once, waits for all.
    Returns [(exit code or None if it hung, stdout, stderr)]."""
    n = len(argvs)
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    script = 'printf r >&%d; exec %d>&-; read _; exec "$@" </dev/null' % (ready_w, ready_w)
    procs = []
    files = []
    env = clean_env()
    try:
        for i, argv in enumerate(argvs):
            out_path = os.path.join(outdir, "p%02d.out" % i)
            err_path = os.path.join(outdir, "p%02d.err" % i)
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                procs.append(subprocess.Popen(
                    ["/bin/sh", "-c", script, "sh", strata, "--database", db] + argv,
                    cwd=project, stdin=go_r, stdout=out, stderr=err, pass_fds=(ready_w,),
                    env=env))
            files.append((out_path, err_path))
    finally:
        os.close(ready_w)
        os.close(go_r)
    # The barrier: one byte from every child means every child is about to block on `go`.
    got = 0
    while got < n:
        chunk = os.read(ready_r, n - got)
        if not chunk:
            break  # every writer is gone: a child died before the barrier; reported below
        got += len(chunk)
    os.close(ready_r)
    os.write(go_w, b"\n" * n)
    os.close(go_w)

    deadline = time.monotonic() + RUN_TIMEOUT_S
    results = []
    for proc, (out_path, err_path) in zip(procs, files):
        try:
            code = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = None
        with open(out_path, encoding="utf-8", errors="replace") as f:
            out = f.read()
        with open(err_path, encoding="utf-8", errors="replace") as f:
            err = f.read()
        results.append((code, out, err))
    if got < n:
        results.append((None, "", "only %d of %d children reached the barrier" % (got, n)))
    return results


def side_effect_counts(db):
    if not os.path.exists(db):
        return {}
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        has = con.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'side_effects'")
        if not has.fetchone()[0]:
            return {}
        return dict(con.execute("SELECT migration, count(*) FROM side_effects GROUP BY migration"))
    finally:
        con.close()


CONFLICT = "another run changed the database during this one"


def check_run(project, db, results, start_k, argvs, target, allow_conflict=False):
    """The problems found in one run ([] when it passed)."""
    problems = []
    applied = {}
    reversed_ = {}
    for i, (code, out, err) in enumerate(results):
        label = "process %d (%s)" % (i, " ".join(argvs[i]) if i < len(argvs) else "barrier")
        if code is None:
            problems.append("%s did not finish within %d s: %s" % (label, RUN_TIMEOUT_S,
                                                                   err.strip()[:200]))
            continue
        conflict = allow_conflict and code == 4 and CONFLICT in err
        if code != 0 and not conflict:
            problems.append("%s exited %d: %s" % (label, code, err.strip()[:300]))
        for text in BAD_STDERR:
            if conflict and text == "strata: error":
                continue
            if text in err:
                problems.append("%s wrote %r to stderr: %s" % (label, text, err.strip()[:300]))
        for verb, ident in PROGRESS.findall(out):
            bucket = applied if verb == "Applying" else reversed_
            bucket[int(ident)] = bucket.get(int(ident), 0) + 1

    ok, k, reason = oracle.check(project, db, target=target)
    if not ok:
        problems.append("oracle: INCONSISTENT: " + reason)
        return problems

    counts = side_effect_counts(db)
    wrong = []
    for i in range(1, COUNT + 1):
        want = 1 if i <= k else 0
        have = counts.pop("%04d" % i, 0)
        if have != want:
            wrong.append("%04d x%d" % (i, have))
    wrong += ["unknown %r x%d" % item for item in counts.items()]
    if wrong:
        problems.append("side_effects (k=%d): %s" % (k, ", ".join(wrong[:10])))

    for i in range(1, COUNT + 1):
        start = 1 if i <= start_k else 0
        end = 1 if i <= k else 0
        ups, downs = applied.get(i, 0), reversed_.get(i, 0)
        if start + ups - downs != end or ups > 1 + downs or downs > start + ups:
            problems.append("migration %04d: applied at start %d, %d `Applying ... ok`, %d "
                            "`Reversing ... ok`, applied at the end %d" % (i, start, ups, downs,
                                                                           end))
            break
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, help="Meson build folder holding strata")
    parser.add_argument("--quick", action="store_true", help="3 repetitions instead of 10")
    parser.add_argument("--reps", type=int, help="repetitions per (scenario, N)")
    parser.add_argument("--n", default="2,4,8,16", help="process counts (default 2,4,8,16)")
    parser.add_argument("--scenarios", default="missing,half,race,backup")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--work", default="/dev/shm" if os.path.isdir("/dev/shm") else None)
    args = parser.parse_args()

    strata = os.path.join(os.path.abspath(args.build), "strata")
    if not os.access(strata, os.X_OK):
        sys.exit("no strata binary at " + strata)
    reps = args.reps or (3 if args.quick else 10)
    counts = [int(x) for x in args.n.split(",")]
    scenarios = args.scenarios.split(",")
    for s in scenarios:
        if s not in ("missing", "half", "race", "backup"):
            sys.exit("unknown scenario " + s)

    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="strata-concurrency.", dir=args.work)
    project, half = prepare_fixture(work, strata)
    add_backup_project(project)
    print("concurrency: scenarios %s, N %s, %d rep(s) each, %d migrations, busy_timeout_ms %d, "
          "work %s" % (",".join(scenarios), args.n, reps, COUNT, BUSY_TIMEOUT_MS, work))

    passed = failed = processes = 0
    finals = {}
    backups = {}  # n -> [reported, left, names with an attempt number]
    for scenario in scenarios:
        for n in counts:
            scenario_started = time.monotonic()
            ok_runs = 0
            for rep in range(reps):
                run_dir = os.path.join(work, "%s-n%d-r%d" % (scenario, n, rep))
                os.mkdir(run_dir)
                db = os.path.join(run_dir, "app.db")
                if scenario == "missing":
                    start_k, target = 0, COUNT
                    argvs = [["forwards"]] * n
                else:
                    shutil.copyfile(half, db)
                    start_k = HALF
                    if scenario == "half":
                        target = COUNT
                        argvs = [["forwards"]] * n
                    elif scenario == "backup":
                        target = COUNT
                        argvs = [["-p", BACKUP_TOML, "forwards", "--backup"]] * n
                    else:
                        target = None
                        argvs = [["forwards"] if i % 2 == 0 else
                                 ["backwards", "core", "all", "--yes"] for i in range(n)]
                results = run_together(strata, project, db, argvs, run_dir)
                processes += n
                problems = check_run(project, db, results, start_k, argvs, target,
                                     allow_conflict=scenario == "race")
                if scenario == "race":
                    _, k, _ = oracle.check(project, db)
                    finals.setdefault(n, []).append(k)
                if scenario == "backup":
                    found, reported, left = check_backups(run_dir, results)
                    problems += found
                    totals = backups.setdefault(n, [0, 0, 0])
                    totals[0] += reported
                    totals[1] += left
                    totals[2] += sum("Z_" in out for _, out, _ in results)
                if problems:
                    failed += 1
                    print("FAIL  %s N=%d rep %d:" % (scenario, n, rep))
                    for p in problems[:8]:
                        print("      " + p)
                    print("      files kept in " + run_dir)
                    print("      reproduce: %s --build %s --scenarios %s --n %d --reps %d"
                          % (sys.argv[0], args.build, scenario, n, rep + 1))
                else:
                    passed += 1
                    ok_runs += 1
                    if not args.keep:
                        shutil.rmtree(run_dir)
            print("%-8s N=%-2d %d/%d runs ok (%.1f s)" % (scenario, n, ok_runs, reps,
                                                       time.monotonic() - scenario_started))
    for n, ks in sorted(finals.items()):
        print("race N=%d final k: %s" % (n, " ".join(str(k) for k in ks)))
    for n, (reported, left, suffixed) in sorted(backups.items()):
        print("backup N=%d: %d backups reported (%d named with an attempt number), %d left"
              % (n, reported, suffixed, left))
    if not args.keep and failed == 0:
        shutil.rmtree(work)
    print("concurrency: %d runs, %d processes, took %.1f s" % (passed + failed, processes,
                                                             time.monotonic() - started))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
