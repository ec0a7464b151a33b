#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""strata killed with SIGKILL at a random moment, 300 times.

Each run copies a database of the generated 200-migration fixture, starts strata on it and
SIGKILLs it at a random moment:
  * 80% of the runs go forwards (`strata forwards`) from a random starting point k0 in 0..199
    (k0 = 0: the database does not exist yet, so the kill can hit its creation);
  * 20% go backwards (`strata backwards core all --yes`) from the fully migrated state.
After the kill the oracle must find the database CONSISTENT at some k, with
    k0 + (migrations strata reported `... ok`) <= k <= k0 + (migrations it started)
(mirrored for backwards: nothing reported done is lost, nothing not started happened), and
running the same command again must exit 0 and reach the target (200, or 0 backwards),
CONSISTENT again.

Choosing the moment. strata writes `Applying core 0042 (...) ... ` when a migration's
transaction has started and `ok (0.4 ms)` when it has committed, flushing each part, so its
stdout is a sequence of progress events. A run draws the migration j it aims at
uniformly from 1..200 (then k0 below it), and one of j's two events; it reads the child's
stdout until that event has arrived, then waits a random delay uniform in [0, 1 ms] (about two
migrations) and kills. 5% of the runs instead kill at a delay uniform in [0, T_start] after the
start, T_start being the measured time to the first event (loading the files, opening or
creating the database, creating the state table). The delay is only a
source of randomness: the event is what places the kill inside the run, so every run is killed
while strata works, whatever the machine's speed, and the kills spread evenly over the
migrations and, through the delay, over each migration's transaction, commit and the gap to the
next. The seed fixes every run's direction, k0, e and delay; the exact instruction hit also
depends on timing, so a failure is reproduced by rerunning its seed and run number (a few times
if need be) and by the kept database.

Usage: test_random_kill.py --build DIR [--quick] [--runs N] [--seed S] [--run I] [--keep]
Ends with `N passed, N failed` (one check per run); exits 1 when any run failed.
"""

import argparse
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402

COUNT = 200
BACKWARDS_SHARE = 0.2
STARTUP_SHARE = 0.05  # runs killed before the first migration starts
DELAY_S = 0.001
RUN_TIMEOUT_S = 30
# Where the kills landed, by what the database shows afterwards.
STATS = {"between migrations (or before the first)": 0, "in a migration, rolled back": 0,
         "in a migration, committed but not yet reported": 0}
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
INCONSISTENT = "after the kill: INCONSISTENT: "
FORWARDS = ["forwards"]
BACKWARDS = ["backwards", "core", "all", "--yes"]


def clean_env():
    env = {k: v for k, v in os.environ.items() if k != "STRATA_DATABASE"}
    env["NO_COLOR"] = "1"
    return env


class Templates:
    """Databases of the fixture at k = 0..COUNT, made by strata one migration at a time and
    each checked by the oracle; copied for every run."""

    def __init__(self, work, project, strata):
        self.dir = os.path.join(work, "templates")
        os.mkdir(self.dir)
        db = os.path.join(work, "building.db")
        for k in range(1, COUNT + 1):
            subprocess.run([strata, "--database", db, "-q", "forwards", "core", "1"],
                           cwd=project, check=True, env=clean_env(), timeout=RUN_TIMEOUT_S)
            shutil.copyfile(db, self.path(k))
        os.remove(db)
        self.project = project
        self.checked = set()

    def path(self, k):
        return os.path.join(self.dir, "k%03d.db" % k)

    def copy_to(self, k, db):
        if k == 0:
            return
        if k not in self.checked:
            ok, _, reason = oracle.check(self.project, self.path(k), target=k)
            if not ok:
                raise RuntimeError("template k=%d is not consistent: %s" % (k, reason))
            self.checked.add(k)
        shutil.copyfile(self.path(k), db)


class Progress:
    """Counts strata's progress events in its stdout: a migration started (`... ` after
    Applying/Reversing) and a migration done (`ok (` ending that line)."""

    def __init__(self):
        self.pending = ""    # the current, incomplete line
        self.started = 0
        self.done = 0
        self.in_step = False  # the current line's start has been counted

    def feed(self, chunk):
        self.pending += chunk
        while True:
            line, newline, rest = self.pending.partition("\n")
            is_step = line.startswith("Applying ") or line.startswith("Reversing ")
            if is_step and " ... " in line and not self.in_step:
                self.started += 1
                self.in_step = True
            if not newline:
                return
            if is_step and " ... ok (" in line:
                self.done += 1
            self.in_step = False
            self.pending = rest

    @property
    def events(self):
        return self.started + self.done


def calibrate(strata, project, work):
    """Time from start to the first progress event, on a missing database."""
    db = os.path.join(work, "calibrate.db")
    best = None
    for _ in range(3):
        if os.path.exists(db):
            os.remove(db)
        t0 = time.perf_counter()
        proc = subprocess.Popen([strata, "--database", db, "forwards"], cwd=project,
                                stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=clean_env())
        os.read(proc.stdout.fileno(), 1)
        first = time.perf_counter() - t0
        proc.stdout.read()
        proc.wait()
        best = first if best is None else min(best, first)
    os.remove(db)
    return best


def plan_run(seed, index, t_start):
    """(backwards, k0, event, delay) of run `index`. The migration j the kill aims at is drawn
    first, uniformly from 1..200, so the k left behind spreads evenly over the fixture; the
    starting point k0 is then uniform below j (forwards) or 200 (backwards)."""
    rng = random.Random("%d:%d" % (seed, index))
    backwards = rng.random() < BACKWARDS_SHARE
    j = rng.randint(1, COUNT)
    if backwards:
        k0, m = COUNT, COUNT - j + 1  # j is the m-th migration reversed
    else:
        k0 = rng.randrange(0, j)
        m = j - k0  # j is the m-th migration applied
    if rng.random() < STARTUP_SHARE:
        return backwards, k0, 0, rng.uniform(0, t_start)
    # Event 2m-1: migration j has started; 2m: it has committed.
    return backwards, k0, 2 * m - 1 + rng.randrange(2), rng.uniform(0, DELAY_S)


def kill_run(strata, project, db, argv, event, delay):
    """Starts strata, kills it after progress event `event` plus `delay`; returns
    (exit status, Progress, kill time in s since start)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([strata, "--database", db] + argv, cwd=project,
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=clean_env())
    progress = Progress()
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while progress.events < event:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break  # strata went quiet for RUN_TIMEOUT_S: kill it now; the checks judge it
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        progress.feed(chunk.decode("utf-8", "replace"))
    if delay > 0:
        time.sleep(delay)
    killed_at = time.perf_counter() - t0
    try:
        proc.send_signal(signal.SIGKILL)
    except ProcessLookupError:
        pass
    # Everything strata printed before it died counts (it is in the pipe).
    rest = proc.stdout.read()
    progress.feed(rest.decode("utf-8", "replace"))
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.wait()
    return proc.returncode, progress, killed_at, err


def one_run(strata, project, templates, work, seed, index, t_start):
    """Returns (problems, k after the kill, whether it was killed, description, database)."""
    backwards, k0, event, delay = plan_run(seed, index, t_start)
    argv = BACKWARDS if backwards else FORWARDS
    target = 0 if backwards else COUNT
    db = os.path.join(work, "run%03d.db" % index)
    templates.copy_to(k0, db)
    desc = "%s from k0=%d, kill after event %d + %.3f ms" % (
        "backwards" if backwards else "forwards", k0, event, delay * 1000)

    status, progress, killed_at, err = kill_run(strata, project, db, argv, event, delay)
    killed = status == -signal.SIGKILL
    problems = []
    if not killed and status != 0:
        problems.append("strata exited %d before the kill: %s" % (status, err.strip()[:300]))
    ok, k, reason = oracle.check(project, db)
    if not ok:
        problems.append(INCONSISTENT + reason)
        return problems, k, killed, desc, db
    if backwards:
        low, high = k0 - progress.started, k0 - progress.done
    else:
        low, high = k0 + progress.done, k0 + progress.started
    if progress.started == progress.done:
        STATS["between migrations (or before the first)"] += 1
    elif k == (high if backwards else low):
        STATS["in a migration, rolled back"] += 1
    elif k == (low if backwards else high):
        STATS["in a migration, committed but not yet reported"] += 1
    if not low <= k <= high:
        problems.append("after the kill k=%d, but strata had started %d and finished %d "
                        "migration(s) from k0=%d: expected %d <= k <= %d" %
                        (k, progress.started, progress.done, k0, low, high))

    resume = subprocess.run([strata, "--database", db] + argv, cwd=project,
                            capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            env=clean_env(), timeout=RUN_TIMEOUT_S)
    if resume.returncode != 0:
        problems.append("resume exited %d: %s" % (resume.returncode, resume.stderr.strip()[:300]))
    for text in SANITIZER_REPORTS:
        if text in err or text in resume.stderr:
            problems.append("sanitizer report: %r" % text)
    ok2, k2, reason2 = oracle.check(project, db, target=target)
    if not ok2:
        problems.append("after resuming: INCONSISTENT: " + reason2)
    return problems, k, killed, desc + " (killed at %.1f ms)" % (killed_at * 1000), db


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, help="Meson build folder holding strata")
    parser.add_argument("--quick", action="store_true", help="60 runs instead of 300")
    parser.add_argument("--runs", type=int, help="number of runs (default 300)")
    parser.add_argument("--seed", type=int, help="seed (default: random, printed)")
    parser.add_argument("--run", type=int, help="only run number I of this seed")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--work", default="/dev/shm" if os.path.isdir("/dev/shm") else None)
    args = parser.parse_args()

    strata = os.path.join(os.path.abspath(args.build), "strata")
    if not os.access(strata, os.X_OK):
        sys.exit("no strata binary at " + strata)
    runs = args.runs or (60 if args.quick else 300)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    indices = [args.run] if args.run is not None else list(range(runs))

    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="strata-random-kill.", dir=args.work)
    project = os.path.join(work, "fixture")
    subprocess.run([sys.executable, os.path.join(HERE, "make_fixture.py"), "--count", str(COUNT),
                    "--out", project], check=True, stdout=subprocess.DEVNULL)
    oracle.references(project)
    templates = Templates(work, project, strata)
    t_start = calibrate(strata, project, work)
    print("random kill: seed %d, %d run(s), %d migrations, first event after %.1f ms, work %s"
          % (seed, len(indices), COUNT, t_start * 1000, work))
    print("prepared in %.1f s" % (time.monotonic() - started))

    passed = failed = killed_runs = inconsistent = 0
    ks = {"forwards": set(), "backwards": set()}
    for index in indices:
        try:
            problems, k, killed, desc, db = one_run(strata, project, templates, work, seed, index,
                                                    t_start)
        except Exception as error:  # a harness failure fails the run, not the suite
            problems, k, killed, desc, db = ["harness error: %r" % (error,)], -1, False, "", ""
        killed_runs += killed
        if k >= 0:
            ks["backwards" if desc.startswith("backwards") else "forwards"].add(k)
        if problems:
            failed += 1
            inconsistent += any(p.startswith(INCONSISTENT) for p in problems)
            print("FAIL  run %d: %s" % (index, desc))
            for p in problems:
                print("      " + p)
            print("      reproduce: %s --build %s --seed %d --run %d --keep" %
                  (sys.argv[0], args.build, seed, index))
            if db:
                kept = db + ".failed"
                if os.path.exists(db):
                    shutil.copyfile(db, kept)
                print("      database after resuming kept as " + kept)
        else:
            passed += 1
        if os.path.exists(db) and not args.keep:
            os.remove(db)
        if (index + 1) % 50 == 0:
            print("... %d runs, %d failed (%.1f s)" % (index + 1, failed,
                                                     time.monotonic() - started))

    print("killed mid-run: %d of %d runs (the others finished before the kill landed)" %
          (killed_runs, len(indices)))
    for where, count in STATS.items():
        print("  kill landed %s: %d" % (where, count))
    print("distinct k after the kill: %d forwards, %d backwards, %d in all" %
          (len(ks["forwards"]), len(ks["backwards"]), len(ks["forwards"] | ks["backwards"])))
    print("inconsistent after the kill: %d of %d runs" % (inconsistent, len(indices)))
    if not args.keep and failed == 0:
        shutil.rmtree(work)
    else:
        print("work folder kept: " + work)
    print("random kill took %.1f s (seed %d)" % (time.monotonic() - started, seed))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
