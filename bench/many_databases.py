#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""strata over many small databases: `--databases GLOB` against a shell loop, in one run.

Creates N small SQLite files (a third with nothing applied, a third with the first migration, a
third with the first two), then times three ways of bringing every one up to date, each on its
own fresh copy of the files:
  - the baseline: a bash loop running `strata --database FILE forwards -q` once per file;
  - `strata forwards --databases 'DIR/*.db' --jobs 1`;
  - the same with `--jobs 2`.
Every database is checked afterwards (all three migrations recorded, the tables and the row
they create present), for the baseline too, so no way can be fast by doing nothing. Prints
each time, databases per second and the ratios to the baseline; exits 1 when a check fails.

Usage: bench/many_databases.py [--strata build/strata] [-n 10000] [--dir /dev/shm]
"""
import argparse
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

MIGRATIONS = [
    ("0001_create_accounts",
     "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
     "DROP TABLE accounts;\n"),
    ("0002_create_events",
     "CREATE TABLE events (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts(id),"
     " at TEXT);\nCREATE INDEX events_account ON events(account_id);\n",
     "DROP TABLE events;\n"),
    ("0003_seed_settings",
     "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT);\n"
     "INSERT INTO settings VALUES ('plan', 'free');\n",
     "DROP TABLE settings;\n"),
]


class BenchError(Exception):
    pass


def write_project(root):
    folder = os.path.join(root, "migrations", "core")
    os.makedirs(folder)
    for name, up, down in MIGRATIONS:
        with open(os.path.join(folder, name + ".up.sql"), "w", encoding="utf-8") as f:
            f.write(up)
        with open(os.path.join(folder, name + ".down.sql"), "w", encoding="utf-8") as f:
            f.write(down)
    with open(os.path.join(root, "strata.toml"), "w", encoding="utf-8") as f:
        f.write('database = "app.db"\n\n[[apps]]\nname = "core"\nmigrations = "migrations/core"\n')


def run(args, cwd):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"{shlex.join(args)} exited {result.returncode}: {result.stderr}")
    return result.stdout


def templates(strata, root):
    """Three databases: nothing applied, the first migration, the first two."""
    paths = []
    for applied in range(3):
        path = os.path.join(root, f"template{applied}.db")
        sqlite3.connect(path).close()
        if applied:
            run([strata, "--database", path, "forwards", "core", MIGRATIONS[applied - 1][0][:4],
                 "-q"], root)
        paths.append(path)
    return paths


def populate(folder, count, sources):
    os.makedirs(folder)
    for i in range(count):
        shutil.copyfile(sources[i % 3], os.path.join(folder, f"tenant{i:05d}.db"))


def check_all(folder, count):
    names = sorted(os.listdir(folder))
    databases = [n for n in names if n.endswith(".db")]
    if len(databases) != count:
        raise BenchError(f"{folder}: {len(databases)} databases, expected {count}")
    for name in databases:
        con = sqlite3.connect(os.path.join(folder, name))
        try:
            rows = con.execute("SELECT name FROM migrations ORDER BY id").fetchall()
            plan = con.execute("SELECT value FROM settings WHERE key = 'plan'").fetchone()
            events = con.execute("SELECT count(*) FROM events").fetchone()
        except sqlite3.Error as error:
            raise BenchError(f"{folder}/{name}: {error}") from error
        finally:
            con.close()
        if [r[0] for r in rows] != [m[0][:4] for m in MIGRATIONS] or plan != ("free",) or events != (0,):
            raise BenchError(f"{folder}/{name}: not fully migrated ({rows})")


def timed(args, cwd):
    start = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise BenchError(f"{shlex.join(args)} exited {result.returncode}: {result.stderr[-2000:]}")
    return elapsed, result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strata", default=os.path.join("build", "strata"))
    parser.add_argument("-n", type=int, default=10000, help="how many databases (default 10000)")
    parser.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                        help="where the work folder goes (default: /dev/shm)")
    options = parser.parse_args()
    strata = os.path.abspath(options.strata)
    count = options.n
    work = tempfile.mkdtemp(prefix="strata-many-", dir=options.dir)
    try:
        write_project(work)
        sources = templates(strata, work)
        results = {}

        folder = os.path.join(work, "loop")
        populate(folder, count, sources)
        loop = ('for f in loop/*.db; do "$0" --database "$f" forwards -q || exit 1; done')
        results["loop"], _ = timed(["bash", "-c", loop, strata], work)
        check_all(folder, count)
        shutil.rmtree(folder)

        for jobs in (1, 2):
            folder = os.path.join(work, f"jobs{jobs}")
            populate(folder, count, sources)
            elapsed, out = timed([strata, "forwards", "--databases", f"jobs{jobs}/*.db",
                                  "--jobs", str(jobs)], work)
            # Every template lacks at least the third migration: every database migrates.
            expected = f"{count} databases: {count} migrated, 0 up to date, 0 failed"
            if out.splitlines()[-1] != expected:
                raise BenchError(f"--jobs {jobs}: summary {out.splitlines()[-1]!r}")
            results[f"jobs{jobs}"] = elapsed
            check_all(folder, count)
            shutil.rmtree(folder)
    except BenchError as error:
        print(f"bench/many_databases.py: {error}", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{count} databases, each brought to 3 migrations (a third had 0, 1 and 2 applied)")
    print(f"| way                                        | seconds | databases/s | vs loop |")
    print(f"|--------------------------------------------|--------:|------------:|--------:|")
    rows = [("loop: `strata --database X forwards` each", "loop"),
            ("`strata forwards --databases` --jobs 1", "jobs1"),
            ("`strata forwards --databases` --jobs 2", "jobs2")]
    for label, key in rows:
        seconds = results[key]
        print(f"| {label:<42} | {seconds:7.2f} | {count / seconds:11.0f} | "
              f"{results['loop'] / seconds:6.1f}x |")
    print("3 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
