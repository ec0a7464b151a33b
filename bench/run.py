#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""strata's benchmarks, reported as ratios against a baseline measured in the same run.

  fk-check  `forwards` of N migrations with foreign_keys = "deferred" (the scoped check before
            each COMMIT) against the same run with foreign_keys = "off" (no check), on a database
            that already holds a large table with foreign keys: the check must cost almost
            nothing and must not grow with the size of the database.
  no-op     `forwards` with nothing pending (what an app runs at every start) against the
            sqlite3 CLI opening the same database and reading the state table.

Usage: bench/run.py [--strata build/strata] [--migrations 1000] [--rounds 7] [--big-rows 200000]
                    [--dir DIR]
The work folder defaults to /dev/shm when it exists: on a disk, the 1000 fsyncs of a run (one
per migration's COMMIT) make the timings noise. Exits 1 when fk-check's ratio exceeds
--max-fk-ratio (default 1.05).
"""
import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time


def write_project(root, migrations):
    """N migrations; each creates a table that refers to the previous one and fills it."""
    folder = os.path.join(root, "migrations", "core")
    os.makedirs(folder)
    with open(os.path.join(root, "strata.toml"), "w") as f:
        f.write('database = "app.db"\n[[apps]]\nname = "core"\nmigrations = "migrations/core"\n')
    for i in range(1, migrations + 1):
        parent = f" REFERENCES t{i - 1} (id)" if i > 1 else ""
        up = (f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, parent INTEGER{parent}, v TEXT);\n"
              f"INSERT INTO t{i} (id, parent, v) VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c');\n"
              f"CREATE INDEX t{i}_parent ON t{i} (parent);\n")
        name = f"{i:06d}_table_{i}"
        with open(os.path.join(folder, name + ".up.sql"), "w") as f:
            f.write(up)
        with open(os.path.join(folder, name + ".down.sql"), "w") as f:
            f.write(f"DROP TABLE t{i};\n")


def write_seed(path, big_rows):
    """A database that already holds a large parent/child pair with foreign keys."""
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE TABLE orders (id INTEGER PRIMARY KEY,"
        "  customer INTEGER REFERENCES customers (id), total REAL);")
    db.executemany("INSERT INTO customers VALUES (?, ?)",
                   ((i, f"c{i}") for i in range(1, big_rows // 10 + 1)))
    db.executemany("INSERT INTO orders VALUES (?, ?, ?)",
                   ((i, i % (big_rows // 10) + 1, i * 0.5) for i in range(1, big_rows + 1)))
    db.commit()
    db.close()


def timed(command, cwd):
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(command)}\n{done.stderr.decode()}")
    return elapsed


def fk_check(args, work):
    project = os.path.join(work, "fk")
    write_project(project, args.migrations)
    seed = os.path.join(work, "seed.db")
    write_seed(seed, args.big_rows)
    target = os.path.join(project, "app.db")
    times = {"deferred": [], "off": []}
    for round_ in range(args.rounds):
        # Alternate which mode goes first, so drift on a noisy machine hits both alike.
        modes = ["deferred", "off"] if round_ % 2 == 0 else ["off", "deferred"]
        for mode in modes:
            shutil.copyfile(seed, target)
            times[mode].append(timed([args.strata, "-q", "forwards", "--foreign-keys", mode],
                                     project))
    deferred = statistics.median(times["deferred"])
    off = statistics.median(times["off"])
    ratio = deferred / off
    print(f"fk-check: {args.migrations} migrations on a database with {args.big_rows} "
          f"child rows, median of {args.rounds}")
    print(f"  foreign_keys=off (baseline)  {off * 1000:9.1f} ms")
    print(f"  foreign_keys=deferred        {deferred * 1000:9.1f} ms   ratio {ratio:.3f}")
    return ratio


def no_op(args, work):
    project = os.path.join(work, "noop")
    write_project(project, args.migrations)
    subprocess.run([args.strata, "-q", "forwards"], cwd=project, check=True)
    sqlite_cli = shutil.which("sqlite3")
    if sqlite_cli is None:
        print("no-op: skipped (no sqlite3 CLI for the baseline)")
        return None
    times = {"strata": [], "sqlite3": []}
    for round_ in range(args.rounds * 3):
        order = ["strata", "sqlite3"] if round_ % 2 == 0 else ["sqlite3", "strata"]
        for tool in order:
            command = ([args.strata, "-q", "forwards"] if tool == "strata" else
                       [sqlite_cli, "app.db", "SELECT * FROM migrations ORDER BY id"])
            times[tool].append(timed(command, project))
    strata = statistics.median(times["strata"])
    baseline = statistics.median(times["sqlite3"])
    print(f"no-op: forwards with {args.migrations} applied and none pending, "
          f"median of {args.rounds * 3}")
    print(f"  sqlite3 CLI reading the state table (baseline)  {baseline * 1000:7.2f} ms")
    print(f"  strata forwards                                 {strata * 1000:7.2f} ms   "
          f"ratio {strata / baseline:.2f}")
    return strata / baseline


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strata", default=os.path.join("build", "strata"))
    parser.add_argument("--migrations", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--big-rows", type=int, default=200000)
    parser.add_argument("--max-fk-ratio", type=float, default=1.05)
    parser.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                        help="where to create the benchmark's files")
    args = parser.parse_args()
    args.strata = os.path.abspath(args.strata)
    with tempfile.TemporaryDirectory(prefix="strata-bench-", dir=args.dir) as work:
        print(f"work folder: {work}")
        ratio = fk_check(args, work)
        no_op(args, work)
    if ratio > args.max_fk_ratio:
        print(f"fk-check ratio {ratio:.3f} is above {args.max_fk_ratio}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
