#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The desktop scenario: notes built against an installed strata, then launched as a user would
launch it across an update, a kill in the middle of one, and a downgrade.

    run_scenario.py [--strata PROGRAM] [--notes N] [--keep]

PROGRAM is the installed `strata` whose `embed` generates the migrations' source (default:
`strata` on PATH); the library and its headers are found by pkg-config (set PKG_CONFIG_PATH,
and PKG_CONFIG_SYSROOT_DIR for a staged install; LD_LIBRARY_PATH for a shared libstrata).
Builds notes twice with the Makefile: 1.0 from a copy of the project holding only 0001 and
0002, and 2.0 with all four migrations. Then runs the steps of STEPS below in a temp folder
(removed unless --keep; kept when a step fails) and checks every database with Python's
sqlite3, never with strata. N is how many notes the user has before the update (default 2000:
enough for 0004 to run about a second on a desktop).
Ends with "N passed, N failed" (one check per step) and exits 1 when a step failed.
"""

import argparse
import hashlib
import os
import pathlib
import random
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
TIMEOUT_S = 300  # bound on every launch and build, and on waiting for a progress line
POLL_S = 0.002  # while waiting for the update to start writing, how often to look
LONG_STEP = "0004 tidy whitespace"  # the migration the kill lands in

STEPS = """\
 1. build notes 1.0 and 2.0 with make, pkg-config and the installed `strata embed`
 2. the data folder: $NOTES_DATA_DIR, else $XDG_DATA_HOME/notes-example, else ~/.local/...
 3. first launch of 1.0: creates notes.db, applies 0001 0002 (nothing to back up yet)
 4. 1.0 add, add, list: a no-op start each time; years of notes as 1.0 stored them
 5. 2.0 launched and killed (kill -9) inside 0004: the database stays at 0003
 6. 2.0 launched again: the hot journal is rolled back, 0004 runs, every note is kept
 7. 2.0 launched again: a no-op start
 8. 1.0 launched on 2.0's database: refused, exit 3, unknown migrations named, file untouched
 9. 2.0 add and list: the notes of every step are there"""


class StepFailed(Exception):
    """A launch or a database was not what the step expects."""


def tidy(text):
    """The rule of migration 0004 and of `notes add` (ASCII whitespace only)."""
    return " ".join(re.split(r"[ \t\n\r]+", text)).strip()


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Scenario:
    def __init__(self, strata, work, notes):
        self.strata = strata
        self.work = work
        self.note_count = notes
        self.data = work / "data"
        self.database = self.data / "notes.db"
        self.env = dict(os.environ)
        for name in ("NOTES_DATA_DIR", "XDG_DATA_HOME"):
            self.env.pop(name, None)
        self.apps = {}
        self.expected = []  # every note's body, in id order, as the database must hold it

    # --- building and launching ------------------------------------------------------------

    def build(self, version, project):
        build = self.work / ("build-" + version)
        command = ["make", "-C", str(HERE), "STRATA=" + self.strata, "NOTES_VERSION=" + version,
                   "PROJECT=" + str(project), "BUILD=" + str(build)]
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=self.env, timeout=TIMEOUT_S)
        if result.returncode != 0:
            raise StepFailed("%s failed:\n%s" % (" ".join(command), result.stdout))
        self.apps[version] = build / "notes"

    def launch(self, version, *arguments, env=None, data_dir=True):
        """Runs notes `version` to the end; returns (exit code, stdout, stderr)."""
        command = [str(self.apps[version])]
        if data_dir:
            command += ["--data-dir", str(self.data)]
        result = subprocess.run(command + list(arguments), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env or self.env,
                                stdin=subprocess.DEVNULL, timeout=TIMEOUT_S)
        return result.returncode, result.stdout, result.stderr

    def launch_ok(self, version, *arguments, env=None, data_dir=True):
        status, out, err = self.launch(version, *arguments, env=env, data_dir=data_dir)
        if status != 0:
            raise StepFailed("notes %s %s exited with %d:\n%s%s" % (
                version, " ".join(arguments), status, out, err))
        return out

    def launch_and_kill_inside(self, version, step):
        """Starts notes and sends SIGKILL inside `step`: once it has printed that the step began
        (the line comes after the migration's transaction has begun) and the step has started
        writing (its rollback journal exists). Returns notes's output."""
        proc = subprocess.Popen([str(self.apps[version]), "--data-dir", str(self.data), "list"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=self.env)
        started = re.compile(rb"^Step \d+/\d+: %s \.\.\.$" % re.escape(step.encode()),
                             re.MULTILINE)
        journal = pathlib.Path(str(self.database) + "-journal")
        output = b""
        deadline = time.monotonic() + TIMEOUT_S
        try:
            while not (started.search(output) and journal.exists()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StepFailed("%s did not start writing within %d s:\n%s" % (
                        step, TIMEOUT_S, output.decode(errors="replace")))
                # Reads the output as it comes; looks at the journal at least every POLL_S.
                ready, _, _ = select.select([proc.stdout], [], [], min(POLL_S, left))
                if ready:
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    if not chunk:
                        raise StepFailed("notes ended before it was killed inside %s:\n%s" % (
                            step, output.decode(errors="replace")))
                    output += chunk
        finally:
            proc.kill()
            rest, errors = proc.communicate(timeout=TIMEOUT_S)
        output = (output + rest).decode(errors="replace")
        if proc.returncode != -signal.SIGKILL:
            raise StepFailed("notes exited with %d before the kill:\n%s%s" % (
                proc.returncode, output, errors.decode(errors="replace")))
        return output

    # --- looking at databases with plain SQLite --------------------------------------------

    def open_copy(self, database):
        """A connection to a copy of `database` and its journal, so that a hot journal stays
        where it is for notes to roll back."""
        copy = self.work / "inspect.db"
        for suffix in ("", "-journal"):
            target = pathlib.Path(str(copy) + suffix)
            if target.exists():
                target.unlink()
            source = pathlib.Path(str(database) + suffix)
            if source.exists():
                shutil.copyfile(source, target)
        return sqlite3.connect(copy)

    def expect_database(self, applied, bodies=None, database=None):
        """Fails unless the database is sound, has applied exactly `applied` (ids) and holds
        the notes `bodies` (default: self.expected) in id order."""
        db = self.open_copy(database or self.database)
        try:
            problems = []
            if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                problems.append("integrity_check fails")
            if db.execute("PRAGMA foreign_key_check").fetchall():
                problems.append("foreign_key_check reports violations")
            ids = [r[0] for r in db.execute("SELECT name FROM migrations ORDER BY id")]
            if ids != applied:
                problems.append("applied migrations %s, expected %s" % (ids, applied))
            found = [r[0] for r in db.execute("SELECT body FROM notes ORDER BY id")]
            wanted = self.expected if bodies is None else bodies
            if found != wanted:
                problems.append("%d notes, expected %d (first difference at %s)" % (
                    len(found), len(wanted),
                    next((i for i, (a, b) in enumerate(zip(found, wanted)) if a != b),
                         min(len(found), len(wanted)))))
            if "0003" in applied:
                filed = db.execute("SELECT count(*) FROM notes WHERE notebook_id = 1").fetchone()
                if filed[0] != len(found):
                    problems.append("only %d notes are in the notebook Notes" % filed[0])
        finally:
            db.close()
        if problems:
            raise StepFailed("%s: %s" % (database or self.database, "; ".join(problems)))

    def note_bodies(self, database):
        with sqlite3.connect(database) as db:
            bodies = [r[0] for r in db.execute("SELECT body FROM notes")]
        db.close()
        return bodies

    def backups(self):
        return sorted(self.data.glob("notes.db.*.bak"))

    # --- the steps ---------------------------------------------------------------------------

    def step_build(self):
        old = self.work / "project-1.0"
        (old / "migrations" / "notes").mkdir(parents=True)
        shutil.copy(HERE / "strata.toml", old)
        for sql in (HERE / "migrations" / "notes").glob("000[12]_*.sql"):
            shutil.copy(sql, old / "migrations" / "notes")
        self.build("1.0", old / "strata.toml")
        self.build("2.0", HERE / "strata.toml")
        return "1.0 and 2.0 built"

    def step_default_folder(self):
        xdg = self.work / "xdg"
        env = dict(self.env, XDG_DATA_HOME=str(xdg), HOME=str(self.work / "home-unused"))
        self.launch_ok("2.0", "add", "in the XDG folder", env=env, data_dir=False)
        home = self.work / "home"
        env = dict(self.env, HOME=str(home))
        self.launch_ok("2.0", "add", "in the home folder", env=env, data_dir=False)
        chosen = self.work / "chosen"
        env = dict(self.env, NOTES_DATA_DIR=str(chosen), XDG_DATA_HOME=str(xdg))
        self.launch_ok("2.0", "add", "in the folder NOTES_DATA_DIR names", env=env, data_dir=False)
        for folder in (xdg / "notes-example", home / ".local" / "share" / "notes-example", chosen):
            if not (folder / "notes.db").is_file():
                raise StepFailed("no %s" % (folder / "notes.db"))
        if (self.work / "home-unused").exists():
            raise StepFailed("HOME was used although XDG_DATA_HOME was set")
        if len(self.note_bodies(xdg / "notes-example" / "notes.db")) != 1:
            raise StepFailed("NOTES_DATA_DIR was not used in place of XDG_DATA_HOME")
        return "each folder used"

    def step_first_launch(self):
        out = self.launch_ok("1.0")
        for wanted in ("Updating your notes for notes 1.0: 2 step(s)",
                       "Step 1/2: 0001 create notes ...", "Step 2/2: 0002 pin notes done in "):
            if wanted not in out:
                raise StepFailed("no %r in the output:\n%s" % (wanted, out))
        if self.backups():
            raise StepFailed("a backup of a database that did not exist: %s" % self.backups())
        self.expect_database(["0001", "0002"])
        return "migrated, no backup"

    def step_use_1_0(self):
        for text in ("Buy  milk\n", "  Call the plumber about the kitchen tap"):
            out = self.launch_ok("1.0", "add", text)
            if out:
                raise StepFailed("a start with nothing to do printed:\n%s" % out)
            self.expected.append(tidy(text))
        out = self.launch_ok("1.0", "list")
        if out != "1: Buy milk\n2: Call the plumber about the kitchen tap\n":
            raise StepFailed("list printed:\n%s" % out)
        # Years of notes as releases before 2.0 stored them: as typed, spacing and line breaks
        # included.
        rng = random.Random(7)
        words = ["milk", "meeting", "at", "ten", "draft", "the", "report", "ideas", "call",
                 "garden", "book", "ticket", "Tuesday", "remember", "to"]
        gaps = [" ", " ", " ", "  ", "\n", "\t", "\n\n", " \n "]
        typed = ["  " + "".join(rng.choice(words) + rng.choice(gaps)
                                for _ in range(rng.randint(30, 70)))
                 for _ in range(self.note_count)]
        with sqlite3.connect(self.database) as db:
            db.executemany("INSERT INTO notes (body) VALUES (?)", [(t,) for t in typed])
        db.close()
        self.expected.extend(typed)
        self.expect_database(["0001", "0002"])
        return "%d notes" % len(self.expected)

    def step_killed(self):
        out = self.launch_and_kill_inside("2.0", LONG_STEP)
        for wanted in ("Updating your notes for notes 2.0: 2 step(s)", "Backup: ",
                       "Step 1/2: 0003 notebooks done in "):
            if wanted not in out:
                raise StepFailed("no %r in the output:\n%s" % (wanted, out))
        if ("%s done in" % LONG_STEP) in out:
            raise StepFailed("%s finished before the kill:\n%s" % (LONG_STEP, out))
        if not pathlib.Path(str(self.database) + "-journal").exists():
            raise StepFailed("no journal left by the killed update")
        # What the next launch finds once SQLite has rolled back the hot journal.
        self.expect_database(["0001", "0002", "0003"])
        self.first_backup = self.backups()
        if len(self.first_backup) != 1:
            raise StepFailed("backups: %s" % self.first_backup)
        # The backup holds the database as 1.0 left it.
        self.expect_database(["0001", "0002"], database=self.first_backup[0])
        return "killed inside %s; at 0003" % LONG_STEP

    def step_recovered(self):
        out = self.launch_ok("2.0", "list")
        for wanted in ("Updating your notes for notes 2.0: 1 step(s)", "Backing up notes.db: 100%",
                       "Backup: ", "Step 1/1: %s done in " % LONG_STEP,
                       "1: Buy milk\n2: Call the plumber about the kitchen tap\n"):
            if wanted not in out:
                raise StepFailed("no %r in the output:\n%s" % (wanted, out))
        if pathlib.Path(str(self.database) + "-journal").exists():
            raise StepFailed("the journal is still there")
        self.expected = [tidy(body) for body in self.expected]
        self.expect_database(["0001", "0002", "0003", "0004"])
        if len(self.backups()) != 2:
            raise StepFailed("backups: %s" % self.backups())
        took = re.search(r"%s done in (\d+) ms" % LONG_STEP, out).group(1)
        return "%d notes kept, %s took %s ms" % (len(self.expected), LONG_STEP, took)

    def step_no_op(self):
        backups = self.backups()
        out = self.launch_ok("2.0", "list")
        if not out.startswith("1: Buy milk\n") or "Updating" in out:
            raise StepFailed("an up-to-date start printed:\n%s" % out[:500])
        if self.backups() != backups:
            raise StepFailed("an up-to-date start made a backup")
        return "ok"

    def step_refused(self):
        before = sha256(self.database)
        stat = self.database.stat()
        for arguments in (["list"], ["add", "from the old version"]):
            status, out, err = self.launch("1.0", *arguments)
            if status != 3:
                raise StepFailed("notes 1.0 exited with %d, expected 3:\n%s%s" % (
                    status, out, err))
            for wanted in ("saved by a newer version of notes",
                           "notes 1.0 does not know: 0003 notebooks, 0004 tidy whitespace.",
                           "please update notes", "The file was not changed."):
                if wanted not in err:
                    raise StepFailed("no %r in:\n%s" % (wanted, err))
        after = self.database.stat()
        if sha256(self.database) != before or after.st_mtime_ns != stat.st_mtime_ns:
            raise StepFailed("notes 1.0 changed the database")
        leftovers = [p.name for p in self.data.iterdir()
                     if p.name.startswith("notes.db-")]
        if leftovers:
            raise StepFailed("left behind: %s" % leftovers)
        self.expect_database(["0001", "0002", "0003", "0004"])
        return "exit 3, file untouched"

    def step_use_2_0(self):
        self.launch_ok("2.0", "add", "Pick up the   tickets")
        self.expected.append("Pick up the tickets")
        out = self.launch_ok("2.0", "list")
        lines = out.splitlines()
        if len(lines) != len(self.expected) or lines[-1] != "%d: Pick up the tickets" % len(
                self.expected):
            raise StepFailed("list printed %d lines, ending %r" % (len(lines), lines[-1:]))
        self.expect_database(["0001", "0002", "0003", "0004"])
        return "%d notes" % len(self.expected)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog="steps:\n" + STEPS)
    parser.add_argument("--strata", default="strata", help="the installed strata program")
    parser.add_argument("--notes", type=int, default=2000,
                        help="notes the user has before the update (default 2000)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="strata-desktop."))
    print("desktop scenario: strata = %s, in %s" % (args.strata, work), flush=True)
    scenario = Scenario(args.strata, work, args.notes)
    steps = [scenario.step_build, scenario.step_default_folder, scenario.step_first_launch,
             scenario.step_use_1_0, scenario.step_killed, scenario.step_recovered,
             scenario.step_no_op, scenario.step_refused, scenario.step_use_2_0]
    passed = failed = 0
    for line, step in zip(STEPS.splitlines(), steps):
        try:
            outcome = step()
        except (StepFailed, subprocess.TimeoutExpired, OSError, sqlite3.Error) as failure:
            print("FAILED %s\n%s" % (line, failure), flush=True)
            failed += 1
            break  # each step builds on the one before
        print("%s  ok (%s)" % (line, outcome), flush=True)
        passed += 1
    if failed:
        print("(kept %s)" % work)
    elif not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
