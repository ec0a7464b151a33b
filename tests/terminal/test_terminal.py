#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""strata on a pseudo-terminal, as a person sees it: the question on the terminal while
standard output goes to a file, y and n answered, a long migration's elapsed time, a wait for
a lock held by another process, a backup's progress, none of these with -q or without a
terminal, and the colour rules (--color, NO_COLOR, TERM=dumb).

Usage: test_terminal.py STRATA_BINARY. Reads the terminal until the expected text appears;
the time limits only turn a hang into a failure, they never order events."""

import os
import pty
import re
import select
import sqlite3
import subprocess
import sys
import tempfile
import termios
import time

STRATA = os.path.abspath(sys.argv[1])
DEADLINE = 120  # seconds: a failure guard, not synchronisation

# Two seconds or more of work for SQLite, whatever the machine: 20 million rows counted.
SLOW_SQL = ("CREATE TABLE big AS WITH RECURSIVE c(x) AS "
            "(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) "
            "SELECT count(*) AS n FROM c;\n")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def make_project(root, migrations, top=""):
    """strata.toml with one app "core" and `migrations`: (id_slug, up, down) tuples."""
    write(os.path.join(root, "strata.toml"),
          'database = "app.db"\n' + top + '\n[[apps]]\nname = "core"\n'
          'migrations = "migrations/core"\n')
    for name, up, down in migrations:
        write(os.path.join(root, "migrations", "core", name + ".up.sql"), up)
        write(os.path.join(root, "migrations", "core", name + ".down.sql"), down)


USERS = ("0001_create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
         "DROP TABLE users;\n")


def environment(**changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "STRATA_DATABASE", "COLUMNS", "CLICOLOR_FORCE")}
    env["TERM"] = "xterm"
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class Terminal:
    """strata with stdin, stderr and (unless `stdout_file`) stdout on a pseudo-terminal."""

    def __init__(self, args, cwd, env=None, stdout_file=None):
        master, slave = pty.openpty()
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.OPOST  # no "\n" -> "\r\n": what is read is what strata wrote
        attrs[3] &= ~(termios.ECHO | termios.ECHONL)
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        self.master = master
        self.text = ""
        self.stdout_file = stdout_file
        out = open(stdout_file, "wb") if stdout_file else slave
        self.process = subprocess.Popen([STRATA] + args, cwd=cwd, env=env or environment(),
                                        stdin=slave, stdout=out, stderr=slave,
                                        start_new_session=True)
        os.close(slave)
        if stdout_file:
            out.close()

    def _read(self, until):
        ready, _, _ = select.select([self.master], [], [], max(0.0, until - time.monotonic()))
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            data = b""
        if not data:
            return False
        self.text += data.decode("utf-8", "replace")
        return True

    def expect(self, pattern):
        """Reads until `pattern` (a regular expression) appears; fails at end of output."""
        until = time.monotonic() + DEADLINE
        while not re.search(pattern, self.text):
            if not self._read(until):
                raise AssertionError("never saw %r on the terminal; it shows:\n%r"
                                     % (pattern, self.text))

    def send(self, line):
        os.write(self.master, (line + "\n").encode())

    def finish(self):
        until = time.monotonic() + DEADLINE
        while self._read(until):
            pass
        try:
            code = self.process.wait(timeout=max(1, until - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError("strata did not end; the terminal shows:\n%r" % self.text)
        os.close(self.master)
        self.stdout = ""
        if self.stdout_file:
            with open(self.stdout_file, encoding="utf-8") as f:
                self.stdout = f.read()
        return code


def run(args, cwd, **kwargs):
    terminal = Terminal(args, cwd, **kwargs)
    code = terminal.finish()
    return code, terminal


def rows(db):
    with sqlite3.connect(db) as con:
        return [r[0] for r in con.execute("SELECT substr(name, 1, 4) FROM migrations ORDER BY 1")]


def check(condition, message, shown=""):
    if not condition:
        raise AssertionError(message + ("\n" + repr(shown) if shown else ""))


# --- the tests ------------------------------------------------------------------------------

def test_question_on_the_terminal_while_stdout_goes_to_a_file(root):
    make_project(root, [USERS])
    assert run(["forwards"], root)[0] == 0
    log = os.path.join(root, "log.txt")

    t = Terminal(["backwards", "core"], root, stdout_file=log)
    t.expect(r"  core 0001 \(create users\)\nReverse 1 migration\? \[y/N\] $")
    t.send("n")
    check(t.finish() == 1, "a no exits 1")
    check(t.stdout == "Not proceeding.\n", "the outcome goes to the file", t.stdout)
    check(rows(os.path.join(root, "app.db")) == ["0001"], "a no changes nothing")

    t = Terminal(["backwards", "core"], root, stdout_file=log)
    t.expect(r"Reverse 1 migration\? \[y/N\] $")
    t.send("y")
    check(t.finish() == 0, "a yes reverses", t.text)
    check("Reversing core 0001 (create users) ... ok (" in t.stdout, "progress in the file",
          t.stdout)
    check(t.stdout.endswith("Reversed 1 migration.\n"), "the summary in the file", t.stdout)
    check("Reversing" not in t.text, "the terminal shows only the question", t.text)
    check(rows(os.path.join(root, "app.db")) == [], "the migration was reversed")


def test_a_long_migration_shows_its_elapsed_time(root):
    make_project(root, [("0001_big", SLOW_SQL, "DROP TABLE big;\n")])
    t = Terminal(["forwards"], root)
    t.expect(r"Applying core 0001 \(big\) \.\.\. \r?Applying core 0001 \(big\) \.\.\. 1 s")
    check(t.finish() == 0, "the migration is applied", t.text)
    check(re.search(r"\rApplying core 0001 \(big\) \.\.\. (\033\[32m)?ok(\033\[0m)? "
                    r"\(\d+\.\d\d s\)\n", t.text),
          "the result replaces the elapsed time", t.text)
    check(t.text.endswith("Applied 1 migration.\n"), "then the summary", t.text)


def test_no_elapsed_time_with_q_or_without_a_terminal(root):
    make_project(root, [("0001_big", SLOW_SQL, "DROP TABLE big;\n")])
    code, t = run(["forwards", "-q"], root)
    check(code == 0 and t.text == "", "-q prints nothing on success", t.text)
    code, t = run(["backwards", "core", "--yes"], root, stdout_file=os.path.join(root, "log"))
    check(code == 0, "reversed", t.text)
    code, t = run(["forwards"], root, stdout_file=os.path.join(root, "log"))
    check(code == 0, "applied", t.text)
    check("\r" not in t.stdout and " 1 s" not in t.stdout, "a file gets no live news", t.stdout)
    check(t.stdout.startswith("Applying core 0001 (big) ... ok ("), "only the result", t.stdout)


def hold_write_lock(db):
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("CREATE TABLE IF NOT EXISTS other (x)")
    con.execute("BEGIN IMMEDIATE")
    return con


def test_a_wait_for_the_lock_says_so_with_the_timeout(root):
    make_project(root, [USERS], top="busy_timeout_ms = 60000\n")
    holder = hold_write_lock(os.path.join(root, "app.db"))
    t = Terminal(["forwards"], root)
    t.expect(r"waiting for the write lock on app\.db \(held by another connection\), "
             r"up to 60 s\n")
    holder.rollback()
    holder.close()
    check(t.finish() == 0, "applied once the lock was released", t.text)
    check("Applied 1 migration." in t.text, "the run went on", t.text)
    check(rows(os.path.join(root, "app.db")) == ["0001"], "the row is there")


def test_no_lock_news_with_q_or_without_a_terminal(root):
    # The lock is never released: strata gives up after its timeout (exit 4, Busy).
    make_project(root, [USERS], top="busy_timeout_ms = 2500\n")
    holder = hold_write_lock(os.path.join(root, "app.db"))
    try:
        code, t = run(["forwards", "-q"], root)
        check(code == 4, "busy", t.text)
        check("waiting" not in t.text, "-q: no lock news", t.text)
        code, t = run(["forwards"], root, stdout_file=os.path.join(root, "log"))
        check(code == 4, "busy", t.text)
        check("waiting" not in t.stdout + t.text, "a file: no lock news", t.stdout + t.text)
    finally:
        holder.rollback()
        holder.close()


def test_a_backup_shows_its_progress(root):
    make_project(root, [USERS])
    with sqlite3.connect(os.path.join(root, "app.db")) as con:  # about 4 MB: several chunks
        con.execute("CREATE TABLE payload (b BLOB)")
        con.executemany("INSERT INTO payload VALUES (randomblob(4000))", [()] * 1000)
    t = Terminal(["forwards", "--backup"], root)
    t.expect(r"Copying app\.db \.\.\. \d+%")
    check(t.finish() == 0, "applied", t.text)
    check(re.search(r"\r *\rBacked up app\.db to app\.db\.\S+\.bak\n", t.text),
          "the progress line gives way to the result", t.text)

    assert run(["backwards", "core", "--yes"], root)[0] == 0
    code, t = run(["forwards", "--backup", "-q"], root)
    check(code == 0 and "Copying" not in t.text, "-q: no progress", t.text)


def test_colour_rules(root):
    make_project(root, [USERS])
    assert run(["forwards"], root)[0] == 0
    log = os.path.join(root, "log")
    cases = [
        ([], {}, None, True),
        ([], {"NO_COLOR": "1"}, None, False),
        ([], {"NO_COLOR": ""}, None, True),  # an empty NO_COLOR is unset (no-color.org)
        ([], {"TERM": "dumb"}, None, False),
        (["--color=never"], {}, None, False),
        (["--color=always"], {"NO_COLOR": "1"}, None, True),
        ([], {}, log, False),  # auto: a file is not a terminal
        (["--color=always"], {}, log, True),
    ]
    for options, env, stdout_file, coloured in cases:
        code, t = run(["check"] + options, root, env=environment(**env), stdout_file=stdout_file)
        shown = t.stdout if stdout_file else t.text
        check(code == 0, "check ran", t.text)
        check(("\033[" in shown) == coloured,
              "%s %s %s: colour %s" % (options, env, "file" if stdout_file else "terminal",
                                       coloured), shown)


def main():
    tests = [(name, f) for name, f in globals().items() if name.startswith("test_")]
    failed = 0
    for name, test in tests:
        with tempfile.TemporaryDirectory(prefix="strata-terminal-") as root:
            try:
                test(root)
                print("ok   " + name)
            except AssertionError as error:
                failed += 1
                print("FAIL " + name + ": " + str(error))
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
