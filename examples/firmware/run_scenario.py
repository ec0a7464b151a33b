#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The device update scenario: two firmware releases shipped as bundles, a power cut in the
middle of an update, a firmware rollback, and an all-or-nothing update.

    run_scenario.py [--strata COMMAND] [--seed N] [--keep]

COMMAND is how to run strata, split like a shell would split it (default: $STRATA), e.g.
    STRATA=build/strata examples/firmware/run_scenario.py
    STRATA="qemu-aarch64-static build-aarch64/strata" examples/firmware/run_scenario.py

Runs in a new temp folder (removed at the end unless --keep; kept when a step fails). Makes
release-1.0.strata and release-2.0.strata from the projects v1/ and v2/ with `strata bundle`,
then takes a device database through the steps listed in STEPS below. After every step
check_database.py (plain SQLite, not strata) compares the database with a fresh database at
the version the step must leave. Prints one line per step; on the first difference prints
it and exits 1. The seed (printed) chooses how far into the long migration each power cut
lands; rerun with --seed to repeat a run's choices.
"""

import argparse
import os
import random
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_database  # noqa: E402

V1 = os.path.join(HERE, "v1")
V2 = os.path.join(HERE, "v2")
APP = "device"
REBUILD_ID = "0003"  # the 12-step rebuild of sensors, the parent of readings and alarms
LONG_ID = "0004"     # the long migration the power cuts interrupt
CHILD_TABLES = ("readings", "alarms")
# Bounds for waiting on strata (qemu on a busy machine is slow), and how often a wait looks at
# what strata has written.
RUN_TIMEOUT_S = 600
POLL_S = 0.002
# A power cut must land inside the long migration; when a slow moment lets the migration
# finish first, the cut is tried again on a fresh copy (each time earlier).
POWER_CUT_ATTEMPTS = 3

STEPS = """\
 1. a new device database, release 1.0 forwards             -> 1.0
 2. release 2.0 forwards (rebuilds sensors, keeps children) -> 2.0
 3. a second device at 1.0; power cut during 2.0's update   -> 1.0 + 0003
 4. release 2.0 forwards again                              -> 2.0
 5. firmware rolled back: release 1.0 `sync`                -> 1.0
 6. power cut during 2.0's update with --atomic             -> 1.0
 7. release 2.0 forwards again with --atomic                -> 2.0
 8. `check --exit-code` with release 2.0                    -> up to date"""


class StepFailed(Exception):
    """A step left the database other than expected, or strata did not do what it must."""


class Scenario:
    """The steps, run with `strata` (a command as a list) in the folder `work`."""

    def __init__(self, strata, work, rng):
        self.strata = strata
        self.work = work
        self.rng = rng
        self.checker = check_database.Checker()
        self.bundles = {}
        self.env = {k: v for k, v in os.environ.items() if k != "STRATA_DATABASE"}
        self.env["NO_COLOR"] = "1"
        self.long_writes = 0  # bytes strata writes while the long migration runs (step 2)

    def path(self, name):
        return os.path.join(self.work, name)

    def run(self, arguments, expect=0):
        command = self.strata + arguments
        result = subprocess.run(command, cwd=self.work, env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                timeout=RUN_TIMEOUT_S)
        if result.returncode != expect:
            raise StepFailed("%s exited with %d, expected %d\n%s%s" % (
                shlex.join(command), result.returncode, expect, result.stdout, result.stderr))
        return result.stdout

    def make_bundles(self):
        for label, project in (("1.0", V1), ("2.0", V2)):
            bundle = self.path("release-%s.strata" % label)
            self.run(["-q", "-C", project, "bundle", "-o", bundle, "--label", label])
            self.bundles[label] = bundle

    def expect(self, db, project, through=None):
        """Fails the step unless `db` equals a fresh database at that version."""
        found = self.checker.compare(db, project, through)
        if found:
            raise StepFailed("%s differs from a fresh database at %s%s:\n%s" % (
                os.path.basename(db), os.path.basename(project),
                "" if through is None else " through %s" % through, "\n".join(found)))

    def migrate(self, command, release, db, *options):
        return self.run([command, "--bundle", self.bundles[release], "--database", db, "--yes",
                         *options])

    def children(self, db):
        """Row counts of the rebuilt parent's children (read from a copy of the database)."""
        conn = self.checker.open_copy(db)
        try:
            return {t: conn.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                    for t in CHILD_TABLES}
        finally:
            conn.close()

    def watch(self, arguments):
        return Watched(self.strata + arguments, self.work, self.env)

    def measure_long_migration(self, db):
        """Runs release 2.0 forwards on `db` and returns (its output, the bytes strata wrote
        while the long migration ran)."""
        run = self.watch(["forwards", "--bundle", self.bundles["2.0"], "--database", db, "--yes"])
        try:
            if not run.wait_until(lambda: run.started(LONG_ID)):
                raise StepFailed("%s %s never began:\n%s" % (APP, LONG_ID, run.text()))
            begin = run.written()
            run.wait_until(lambda: run.finished(LONG_ID))
            written = run.last_written - begin
        finally:
            status, output = run.finish()
        if status != 0:
            raise StepFailed("release 2.0 forwards exited with %d:\n%s" % (status, output))
        return output, written

    def power_cut(self, source, db, options, fraction):
        """Copies `source` to `db`, runs release 2.0 forwards on it and SIGKILLs strata once the
        long migration has written `fraction` of what it wrote in step 2. Returns (whether the
        cut landed inside the long migration, strata's output)."""
        for suffix in ("", "-journal", "-wal"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        shutil.copyfile(source, db)
        run = self.watch(["forwards", "--bundle", self.bundles["2.0"], "--database", db, "--yes",
                          *options])
        try:
            # strata prints "Applying device 0004 (...) ... " once the migration's transaction
            # has begun, and flushes it: from then on the long migration runs.
            if not run.wait_until(lambda: run.started(LONG_ID)):
                raise StepFailed("strata ended before %s %s began:\n%s" % (
                    APP, LONG_ID, run.text()))
            # Then the cut waits on what the migration has written (a condition, not a pause),
            # so it lands at the drawn point whatever the machine's speed.
            target = run.written() + int(fraction * self.long_writes)
            run.wait_until(lambda: run.written() >= target or run.finished(LONG_ID))
        finally:
            status, output = run.finish(kill=True)
        if status not in (0, -signal.SIGKILL):
            raise StepFailed("strata failed before the power cut (exit %d):\n%s" % (
                status, output))
        return status == -signal.SIGKILL and not run.finished(LONG_ID), output

    def power_cut_inside(self, source, db, options):
        """A power cut that lands inside the long migration, at a point drawn from the seed."""
        fraction = self.rng.uniform(0.0, 0.6)
        for _ in range(POWER_CUT_ATTEMPTS):
            landed, output = self.power_cut(source, db, options, fraction)
            if landed:
                return fraction
            fraction /= 4
        raise StepFailed("every power cut came after %s %s had finished:\n%s" % (
            APP, LONG_ID, output))

    def main(self):
        steps = STEPS.splitlines()
        self.step = "making the bundles"
        self.make_bundles()
        device = self.path("device.db")

        self.step = steps[0]
        self.migrate("forwards", "1.0", device)
        self.expect(device, V1)
        v1_copy = self.path("device-1.0.db")
        shutil.copyfile(device, v1_copy)
        report(steps[0], "ok")

        self.step = steps[1]
        output, self.long_writes = self.measure_long_migration(device)
        self.expect(device, V2)
        counts = self.children(device)
        if not all(counts.values()):
            raise StepFailed("the children of sensors are empty after the rebuild: %s" % counts)
        report(steps[1], "ok (%s; %s)" % (
            ", ".join("%d %s" % (n, t) for t, n in counts.items()),
            duration_of(output, LONG_ID)))

        self.step = steps[2]
        device = self.path("device-2.db")
        fraction = self.power_cut_inside(v1_copy, device, [])
        self.expect(device, V2, through=REBUILD_ID)
        report(steps[2], "ok (cut at %d%% of %s's writes)" % (fraction * 100, LONG_ID))

        self.step = steps[3]
        self.migrate("forwards", "2.0", device)
        self.expect(device, V2)
        report(steps[3], "ok")

        self.step = steps[4]
        output = self.migrate("sync", "1.0", device)
        self.expect(device, V1)
        reversed_ids = [line.split()[2] for line in output.splitlines()
                        if line.startswith("Reversing %s " % APP)]
        if reversed_ids != ["0005", "0004", "0003"]:
            raise StepFailed("sync reversed %s, expected 0005 0004 0003:\n%s" % (
                reversed_ids, output))
        report(steps[4], "ok (reversed %s from the stored down SQL)" % " ".join(reversed_ids))

        self.step = steps[5]
        rolled_back = self.path("device-rolled-back.db")
        shutil.copyfile(device, rolled_back)
        fraction = self.power_cut_inside(rolled_back, device, ["--atomic"])
        self.expect(device, V1)
        report(steps[5], "ok (cut at %d%% of %s's writes; 0003 rolled back too)" % (
            fraction * 100, LONG_ID))

        self.step = steps[6]
        self.migrate("forwards", "2.0", device, "--atomic")
        self.expect(device, V2)
        report(steps[6], "ok")

        self.step = steps[7]
        self.run(["check", "--bundle", self.bundles["2.0"], "--database", device,
                  "--exit-code", "-q"])
        report(steps[7], "ok")


class Watched:
    """strata running, its output read as it comes and its writes counted (the `wchar` of
    /proc/PID/io: every byte it passed to write(); under qemu-user, the emulator's)."""

    def __init__(self, command, cwd, env):
        self.proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.output = b""
        self.last_written = 0
        self.closed = False

    def text(self):
        return self.output.decode(errors="replace")

    def written(self):
        """Bytes written so far (the last count read once strata has ended)."""
        try:
            with open("/proc/%d/io" % self.proc.pid) as io:
                for line in io:
                    if line.startswith("wchar:"):
                        self.last_written = int(line.split()[1])
        except (OSError, ValueError):
            pass
        return self.last_written

    def started(self, ident):
        return ("Applying %s %s (" % (APP, ident)).encode() in self.output

    def finished(self, ident):
        line = self.output.partition(("Applying %s %s (" % (APP, ident)).encode())[2]
        return b" ... ok (" in line.partition(b"\n")[0]

    def wait_until(self, condition):
        """Reads strata's output until `condition()` holds (True), or strata has ended or
        RUN_TIMEOUT_S passed (then `condition()`); looks again at least every POLL_S."""
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while not condition():
            left = deadline - time.monotonic()
            if self.closed or left <= 0:
                return condition()
            ready, _, _ = select.select([self.proc.stdout], [], [], min(POLL_S, left))
            self.written()
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                self.closed = not chunk
                self.output += chunk
        return True

    def finish(self, kill=False):
        """(exit status, everything strata printed); SIGKILLs it first when `kill`."""
        if kill and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        rest, errors = self.proc.communicate(timeout=RUN_TIMEOUT_S)
        self.output += rest
        return self.proc.returncode, self.text() + errors.decode(errors="replace")


def duration_of(output, ident):
    for line in output.splitlines():
        if line.startswith("Applying %s %s (" % (APP, ident)) and "... ok (" in line:
            return "%s took %s" % (ident, line.split("... ok (")[1].rstrip(")"))
    return "%s: no timing" % ident


def report(step, outcome):
    print("%s  %s" % (step, outcome), flush=True)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog="steps:\n" + STEPS)
    parser.add_argument("--strata", default=os.environ.get("STRATA"),
                        help="how to run strata (default: $STRATA)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()
    if not args.strata:
        parser.error("name the strata to run with --strata or STRATA")
    # A path that exists is one word even with spaces in it (a build folder's binary).
    strata = [args.strata] if os.path.isfile(args.strata) else shlex.split(args.strata)
    # A relative binary is taken from where the script was started; the steps run elsewhere.
    strata = [os.path.abspath(part) if os.sep in part and not os.path.isabs(part) else part
              for part in strata]
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    work = tempfile.mkdtemp(prefix="strata-firmware.")
    print("firmware scenario: strata = %s, seed %d, in %s" % (shlex.join(strata), seed, work),
          flush=True)
    scenario = Scenario(strata, work, random.Random(seed))
    failed = True
    try:
        scenario.main()
        failed = False
    except StepFailed as failure:
        print("FAILED at step: %s\n%s" % (scenario.step.strip(), failure))
        print("(the databases are kept in %s; rerun with --seed %d)" % (work, seed))
    finally:
        scenario.checker.close()
        if not failed and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if failed:
        return 1
    print("all %d steps passed" % len(STEPS.splitlines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
