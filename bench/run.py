#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""strata against the sqlite3 CLI floor (and dbmate when installed), measured in one run.

Every tool runs the same logical migrations: each creates a table (with a foreign key to the
previous one), creates an index and inserts 3 rows. The floor is the `sqlite3` CLI running the
same SQL with the same transactions and the same state-table INSERT per migration: what any
migration runner costs at least. hyperfine times each cell (medians of --runs runs, after
--warmup untimed ones) on a work folder on tmpfs; each cell's result is checked afterwards
(tables present, state rows counted), and each baseline is checked to be what it claims.
Prints a markdown table of medians and ratios to the floor (and the scaling series with
--full); --output writes it to a file too.

Usage: bench/run.py [--strata build/strata] [--runs 5] [--runs-small 32] [--warmup 1] [-n 1000]
                    [--small-n 100] [--full] [--dir /dev/shm] [--output FILE]
Needs hyperfine and sqlite3 (Debian: apt-get install hyperfine sqlite3). dbmate is used when
bench/install-dbmate has installed it into bench/.tools (or it is on PATH); skipped otherwise.
"""
import argparse
import hashlib
import json
import os
import platform
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
STATE_TABLE = """CREATE TABLE migrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, app_name TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT NOT NULL, checksum TEXT NOT NULL, down_sql TEXT NOT NULL,
    ran_on TEXT NOT NULL, UNIQUE (app_name, name));
"""


class BenchError(Exception):
    pass


def fail(message):
    raise BenchError(message)


def sql_quote(text):
    return "'" + text.replace("'", "''") + "'"


# --- corpora ------------------------------------------------------------------------------------

def table_migration(i):
    """Migration i of the table-per-migration corpus: (name, up, down)."""
    parent = f" REFERENCES t{i - 1} (id)" if i > 1 else ""
    up = (f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, parent INTEGER{parent}, v TEXT);\n"
          f"CREATE INDEX t{i}_parent ON t{i} (parent);\n"
          f"INSERT INTO t{i} (id, parent, v) VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c');\n")
    return f"{i:06d}_table_{i}", up, f"DROP TABLE t{i};\n"


BOUNDED_TABLES = 8


def bounded_migration(i):
    """Migration i of the bounded corpus: the first creates a fixed set of tables, every later
    one inserts, updates, and drops and re-creates an index on a small table, so that SQLite's
    own cost per migration stays flat however many migrations there are."""
    if i == 1:
        up = "CREATE TABLE counters (k INTEGER PRIMARY KEY, n INTEGER NOT NULL);\n"
        up += "INSERT INTO counters (k, n) VALUES " + ", ".join(
            f"({k}, 0)" for k in range(BOUNDED_TABLES)) + ";\n"
        up += "CREATE INDEX counters_n ON counters (n);\n"
        for k in range(BOUNDED_TABLES):
            up += (f"CREATE TABLE log{k} (id INTEGER PRIMARY KEY, "
                   f"k INTEGER REFERENCES counters (k), v TEXT);\n")
        down = "".join(f"DROP TABLE log{k};\n" for k in range(BOUNDED_TABLES))
        return "000001_bounded_tables", up, down + "DROP TABLE counters;\n"
    k = i % BOUNDED_TABLES
    up = (f"INSERT INTO log{k} (id, k, v) VALUES ({i}, {k}, 'row {i}');\n"
          f"UPDATE counters SET n = n + 1 WHERE k = {k};\n"
          "DROP INDEX counters_n;\nCREATE INDEX counters_n ON counters (n);\n")
    down = f"DELETE FROM log{k} WHERE id = {i};\nUPDATE counters SET n = n - 1 WHERE k = {k};\n"
    return f"{i:06d}_bounded_{i}", up, down


def corpus(kind, n):
    make = table_migration if kind == "tables" else bounded_migration
    return [make(i) for i in range(1, n + 1)]


def expected_tables(kind, n):
    return n if kind == "tables" else BOUNDED_TABLES + 1


# --- what each tool runs ------------------------------------------------------------------------

def write_strata_project(root, migrations, settings=""):
    folder = os.path.join(root, "migrations", "core")
    os.makedirs(folder)
    with open(os.path.join(root, "strata.toml"), "w") as f:
        f.write('database = "app.db"\n' + settings +
                '[[apps]]\nname = "core"\nmigrations = "migrations/core"\n')
    for name, up, down in migrations:
        with open(os.path.join(folder, name + ".up.sql"), "w") as f:
            f.write(up)
        with open(os.path.join(folder, name + ".down.sql"), "w") as f:
            f.write(down)


def state_insert(name, up, down):
    checksum = hashlib.sha256(up.encode()).hexdigest()
    return ("INSERT INTO migrations (app_name, name, description, checksum, down_sql, ran_on) "
            f"VALUES ('core', '{name[:6]}', {sql_quote(name[7:])}, '{checksum}', "
            f"{sql_quote(down)}, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));\n")


def write_floor_apply(path, migrations, one_transaction=False):
    """The floor of `forwards`: each migration's SQL and its state row in one transaction
    (or all of them in one, the floor of transaction = "all")."""
    with open(path, "w") as f:
        f.write("PRAGMA synchronous = FULL;\nPRAGMA foreign_keys = OFF;\n" + STATE_TABLE)
        if one_transaction:
            f.write("BEGIN IMMEDIATE;\n")
        for name, up, down in migrations:
            if not one_transaction:
                f.write("BEGIN IMMEDIATE;\n")
            f.write(up + state_insert(name, up, down))
            if not one_transaction:
                f.write("COMMIT;\n")
        if one_transaction:
            f.write("COMMIT;\n")


def write_floor_rollback(path, migrations):
    """The floor of `backwards all`: each down and the removal of its state row, newest first,
    in one transaction each."""
    with open(path, "w") as f:
        f.write("PRAGMA synchronous = FULL;\nPRAGMA foreign_keys = OFF;\n")
        for name, _up, down in reversed(migrations):
            f.write(f"BEGIN IMMEDIATE;\n{down}"
                    f"DELETE FROM migrations WHERE app_name = 'core' AND name = '{name[:6]}';\n"
                    "COMMIT;\n")


def write_dbmate_folder(folder, migrations):
    os.makedirs(folder)
    for name, up, down in migrations:
        with open(os.path.join(folder, name + ".sql"), "w") as f:
            f.write(f"-- migrate:up\n{up}\n-- migrate:down\n{down}")


def find_dbmate():
    local = os.path.join(HERE, ".tools", "node_modules", "@dbmate", "linux-x64", "bin", "dbmate")
    if os.access(local, os.X_OK):
        return local
    return shutil.which("dbmate")


# --- checks -------------------------------------------------------------------------------------

def query(db, sql):
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def check_database(db, state_table, kind, n, label):
    """A cell cannot be fast by doing nothing: its database holds every table and state row."""
    if not os.path.exists(db):
        fail(f"{label}: no database after the run")
    tables = query(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                       "name NOT IN ('migrations', 'schema_migrations', 'sqlite_sequence')")[0][0]
    rows = query(db, f"SELECT count(*) FROM {state_table}")[0][0]
    if tables != expected_tables(kind, n) or rows != n:
        fail(f"{label}: expected {expected_tables(kind, n)} tables and {n} state rows, "
             f"found {tables} and {rows}")


def check_empty(db, state_table, label):
    tables = query(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                       "name NOT IN ('migrations', 'schema_migrations', 'sqlite_sequence')")[0][0]
    rows = query(db, f"SELECT count(*) FROM {state_table}")[0][0]
    if tables != 0 or rows != 0:
        fail(f"{label}: expected everything reversed, found {tables} tables and {rows} rows")


def run(command, cwd=None, expect=0):
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if expect is not None and done.returncode != expect:
        fail(f"{' '.join(command)} exited {done.returncode}, expected {expect}:\n"
             f"{done.stdout}{done.stderr}")
    return done


# --- timing -------------------------------------------------------------------------------------

def hyperfine(args, work, cells, small=False):
    """Times `cells` ([(label, command, prepare)]) side by side with hyperfine; returns medians
    (s). `small`: cells of at most -n migrations, which take milliseconds and vary more from run
    to run, get --runs-small runs, split over --rounds hyperfine runs whose order of the cells
    alternates, so that a slow spell of the machine falls on every cell rather than on the
    ones that happened to run during it."""
    out = os.path.join(work, "hyperfine.json")
    runs = args.runs_small if small else args.runs
    rounds = max(1, min(args.rounds if small else 1, runs))
    times = {label: [] for label, _c, _p in cells}
    for round_number in range(rounds):
        order = cells if round_number % 2 == 0 else cells[::-1]
        command = ["hyperfine", "--shell=none", "--warmup", str(args.warmup), "--runs",
                   str(-(-runs // rounds)), "--style", "none", "--export-json", out]
        for _label, _cmd, prepare in order:
            command += ["--prepare", prepare or "true"]
        command += [shlex.join(cmd) for _label, cmd, _prepare in order]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            fail("hyperfine failed:\n" + done.stdout + done.stderr)
        with open(out) as f:
            for (label, _c, _p), result in zip(order, json.load(f)["results"]):
                times[label] += result["times"]
    return {label: statistics.median(samples) for label, samples in times.items()}


def fsync_count(command, prepare):
    """How many fsync and fdatasync calls `command` makes (strace -c)."""
    run(prepare)
    done = subprocess.run(["strace", "-f", "-c", "-e", "trace=fsync,fdatasync", "-o",
                           "/dev/stderr"] + command, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"{' '.join(command)} failed under strace:\n{done.stderr}")
    total = 0
    for line in done.stderr.splitlines():
        fields = line.split()
        if fields and fields[-1] in ("fsync", "fdatasync"):
            total += int(fields[3])
    return total


def peak_rss_kib(command, prepare):
    run(prepare)
    done = subprocess.run(["/usr/bin/time", "-f", "%M"] + command, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"{' '.join(command)} failed:\n{done.stderr}")
    return int(done.stderr.strip().splitlines()[-1])


# --- the scenarios ------------------------------------------------------------------------------

class Bench:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.strata = args.strata
        self.sqlite3 = shutil.which("sqlite3") or fail("no sqlite3 CLI (apt-get install sqlite3)")
        self.dbmate = find_dbmate()
        self.rows = []     # (scenario, floor s, strata s, dbmate s or None)
        self.notes = []
        self.scaling = []  # (corpus, n, floor s, strata s)
        self.rss = {}      # n: {tool: peak RSS in KiB}

    def folder(self, name):
        path = os.path.join(self.work, name)
        os.makedirs(path)
        return path

    def setup_apply(self, tag, kind, n, settings=""):
        """Projects for one apply-all cell; returns (cells, checks)."""
        migrations = corpus(kind, n)
        root = self.folder(tag)
        project = os.path.join(root, "strata")
        write_strata_project(project, migrations, settings)
        floor_dir = os.path.join(root, "floor")
        os.makedirs(floor_dir)
        one = 'transaction = "all"' in settings
        write_floor_apply(os.path.join(floor_dir, "apply.sql"), migrations, one)
        floor_db = os.path.join(floor_dir, "app.db")
        strata_db = os.path.join(project, "app.db")
        cells = [
            ("floor", [self.sqlite3, floor_db, f".read {floor_dir}/apply.sql"],
             f"rm -f {floor_db}"),
            ("strata", [self.strata, "-q", "-C", project, "forwards"], f"rm -f {strata_db}"),
        ]
        checks = [(floor_db, "migrations", "floor"), (strata_db, "migrations", "strata")]
        if self.dbmate and not settings:
            dbmate_dir = os.path.join(root, "dbmate")
            write_dbmate_folder(os.path.join(dbmate_dir, "migrations"), migrations)
            dbmate_db = os.path.join(dbmate_dir, "app.db")
            cells.append(("dbmate", self.dbmate_command(dbmate_dir, "up"), f"rm -f {dbmate_db}"))
            checks.append((dbmate_db, "schema_migrations", "dbmate"))
        return cells, checks

    def dbmate_command(self, folder, verb):
        return [self.dbmate, "--url", f"sqlite:{folder}/app.db", "--migrations-dir",
                f"{folder}/migrations", "--no-dump-schema", verb]

    def apply_all(self, n, kind="tables", settings="", scenario=None):
        tag = f"apply-{kind}-{n}-{len(self.rows)}-{len(self.scaling)}"
        cells, checks = self.setup_apply(tag, kind, n, settings)
        medians = hyperfine(self.args, self.work, cells, small=n <= self.args.n)
        for db, table, label in checks:
            check_database(db, table, kind, n, f"{scenario or tag} ({label})")
        if scenario:
            self.rows.append((scenario, medians["floor"], medians["strata"], medians.get("dbmate")))
        return medians, cells

    def prove_foreign_keys_off(self):
        """The foreign_keys = "off" baseline performs no check: a dangling key is accepted with
        it and refused with the default."""
        dangling = [("000001_parent", "CREATE TABLE p (id INTEGER PRIMARY KEY);\n",
                     "DROP TABLE p;\n"),
                    ("000002_child", "CREATE TABLE c (id INTEGER PRIMARY KEY, "
                     "p INTEGER REFERENCES p (id));\nINSERT INTO c VALUES (1, 999);\n",
                     "DROP TABLE c;\n")]
        off = self.folder("fk-proof-off")
        write_strata_project(off, dangling, 'foreign_keys = "off"\n')
        run([self.strata, "-q", "-C", off, "forwards"])
        deferred = self.folder("fk-proof-deferred")
        write_strata_project(deferred, dangling)
        if run([self.strata, "-q", "-C", deferred, "forwards"], expect=None).returncode == 0:
            fail("the default foreign-key mode accepted a dangling key")

    def prove_transaction_all(self):
        """transaction = "all" is one transaction: a failure in the last migration leaves none
        of the earlier ones applied."""
        migrations = corpus("tables", 3) + [("000004_broken", "SELECT * FROM missing;\n", "")]
        root = self.folder("all-proof")
        write_strata_project(root, migrations, 'transaction = "all"\n')
        if run([self.strata, "-q", "-C", root, "forwards"], expect=None).returncode == 0:
            fail('transaction = "all": a failing migration was accepted')
        db = os.path.join(root, "app.db")
        if os.path.exists(db) and query(db, "SELECT count(*) FROM sqlite_master "
                                            "WHERE name LIKE 't%'")[0][0] != 0:
            fail('transaction = "all" committed part of a failed run')

    def build_embedded_app(self, project):
        """bench/embedded_noop.cpp built with `project`'s migrations compiled in (`strata
        embed`) and the libstrata.a beside the strata binary, linked statically as the CLI is;
        None, with a note, when there is no compiler or no such library."""
        library = os.path.join(os.path.dirname(os.path.abspath(self.strata)), "src",
                               "libstrata.a")
        compiler = shutil.which("c++")
        if compiler is None or not os.path.exists(library):
            self.notes.append("No-op from embedded migrations: skipped (it needs c++ and the "
                              "libstrata.a of the strata binary's build)")
            return None
        folder = self.folder("embedded")
        source = os.path.join(folder, "migrations.cpp")
        run([self.strata, "-q", "-C", project, "embed", "-o", source])
        app = os.path.join(folder, "embedded_noop")
        build = [compiler, "-std=c++20", "-O2", "-I", os.path.join(REPO, "src"),
                 os.path.join(HERE, "embedded_noop.cpp"), source, library, "-lsqlite3",
                 "-lcrypto", "-pthread", "-o", app]
        if run(build + ["-static"], expect=None).returncode != 0:
            run(build)
            self.notes.append("No-op from embedded migrations: the application is linked with "
                              "shared libraries (no static ones at hand), whose loading it pays")
        return app

    def no_op_and_check(self, n):
        """No-op forwards, check, and the no-op from a bundle and from embedded migrations,
        against sqlite3 opening the database and reading the state table."""
        medians, cells = self.apply_all(n)
        project = cells[1][1][3]
        db = os.path.join(project, "app.db")
        # Drift detection is on in the no-op cell: an edited up file is refused.
        first_up = os.path.join(project, "migrations", "core", "000001_table_1.up.sql")
        with open(first_up) as f:
            original = f.read()
        with open(first_up, "a") as f:
            f.write("-- edited\n")
        if run([self.strata, "-q", "-C", project, "forwards"], expect=None).returncode != 2:
            fail("no-op: an edited up file was not reported as drift")
        with open(first_up, "w") as f:
            f.write(original)
        bundle = os.path.join(self.work, "release.strata")
        run([self.strata, "-q", "-C", project, "bundle", "-o", bundle])
        # The bundle runs in a folder with no migrations: it cannot read them from files.
        bundle_dir = self.folder("bundle-run")
        bundle_db = os.path.join(bundle_dir, "app.db")
        shutil.copyfile(db, bundle_db)
        floor = [self.sqlite3, db, "SELECT * FROM migrations ORDER BY id"]
        cells = [("floor", floor, None),
                 ("forwards", [self.strata, "-q", "-C", project, "forwards"], None),
                 ("check", [self.strata, "-q", "-C", project, "check", "--exit-code"], None),
                 ("bundle", [self.strata, "-q", "-C", bundle_dir, "forwards", "--bundle", bundle,
                             "--database", bundle_db], None)]
        checked = [(db, "no-op"), (bundle_db, "bundle no-op")]
        embedded_app = self.build_embedded_app(project)
        if embedded_app:
            embedded_db = os.path.join(self.folder("embedded-run"), "app.db")
            # It checks the applied migrations' checksums (an edited one is refused), and with
            # nothing edited it has nothing to do.
            shutil.copyfile(db, embedded_db)
            with sqlite3.connect(embedded_db) as edited:
                edited.execute("UPDATE migrations SET checksum = 'edited' WHERE id = 1")
            edited.close()
            if run([embedded_app, embedded_db], expect=None).returncode == 0:
                fail("no-op from embedded migrations: an edited migration was not refused")
            shutil.copyfile(db, embedded_db)
            if "No migrations need to be run" not in run([embedded_app, embedded_db]).stdout:
                fail("no-op from embedded migrations: the run was not a no-op")
            cells.append(("embedded", [embedded_app, embedded_db], None))
            checked.append((embedded_db, "embedded no-op"))
        if self.dbmate:
            dbmate_dir = os.path.join(os.path.dirname(project), "dbmate")
            cells.append(("dbmate", self.dbmate_command(dbmate_dir, "up"), None))
            cells.append(("dbmate status", self.dbmate_command(dbmate_dir, "status"), None))
        times = hyperfine(self.args, self.work, cells, small=True)
        for path, label in checked:
            check_database(path, "migrations", "tables", n, label)
        self.rows.append((f"no-op `forwards`, N={n} applied", times["floor"], times["forwards"],
                          times.get("dbmate")))
        self.rows.append((f"`check`, N={n}", times["floor"], times["check"],
                          times.get("dbmate status")))
        self.rows.append((f"no-op `forwards --bundle`, N={n}", times["floor"], times["bundle"],
                          None))
        if embedded_app:
            self.rows.append((f"no-op `forwards` from embedded migrations, N={n}",
                              times["floor"], times["embedded"], None))

    def rollback_all(self, n):
        migrations = corpus("tables", n)
        root = self.folder(f"rollback-{n}")
        project = os.path.join(root, "strata")
        write_strata_project(project, migrations)
        run([self.strata, "-q", "-C", project, "forwards"])
        applied = os.path.join(root, "applied.db")
        shutil.copyfile(os.path.join(project, "app.db"), applied)
        floor_dir = os.path.join(root, "floor")
        os.makedirs(floor_dir)
        write_floor_rollback(os.path.join(floor_dir, "rollback.sql"), migrations)
        floor_db = os.path.join(floor_dir, "app.db")
        strata_db = os.path.join(project, "app.db")
        cells = [("floor", [self.sqlite3, floor_db, f".read {floor_dir}/rollback.sql"],
                  f"cp {applied} {floor_db}"),
                 ("strata", [self.strata, "-q", "-C", project, "backwards", "all", "--yes"],
                  f"cp {applied} {strata_db}")]
        checks = [(floor_db, "migrations"), (strata_db, "migrations")]
        if self.dbmate:
            dbmate_dir = os.path.join(root, "dbmate")
            write_dbmate_folder(os.path.join(dbmate_dir, "migrations"), migrations)
            run(self.dbmate_command(dbmate_dir, "up"))
            dbmate_applied = os.path.join(root, "dbmate-applied.db")
            shutil.copyfile(os.path.join(dbmate_dir, "app.db"), dbmate_applied)
            # dbmate reverses one migration per call.
            script = os.path.join(root, "dbmate-rollback.sh")
            with open(script, "w") as f:
                f.write("set -e\n" + f"{' '.join(self.dbmate_command(dbmate_dir, 'rollback'))} "
                        ">/dev/null\n" * n)
            cells.append(("dbmate", ["sh", script],
                          f"cp {dbmate_applied} {os.path.join(dbmate_dir, 'app.db')}"))
            checks.append((os.path.join(dbmate_dir, "app.db"), "schema_migrations"))
        times = hyperfine(self.args, self.work, cells, small=True)
        for db, table in checks:
            check_empty(db, table, f"rollback all N={n}")
        self.rows.append((f"rollback all, N={n}", times["floor"], times["strata"],
                          times.get("dbmate")))

    def default_against_off(self, n):
        """The foreign-key check's own cost: the default project and the same project with
        foreign_keys = "off", side by side in one hyperfine run (prove_foreign_keys_off shows
        that the second checks nothing)."""
        cells, checks = self.setup_apply(f"fk-{n}", "tables", n)
        off = os.path.join(self.work, f"fk-{n}", "off")
        write_strata_project(off, corpus("tables", n), 'foreign_keys = "off"\n')
        off_db = os.path.join(off, "app.db")
        cells = [cell for cell in cells if cell[0] in ("floor", "strata")]
        cells.append(("off", [self.strata, "-q", "-C", off, "forwards"], f"rm -f {off_db}"))
        times = hyperfine(self.args, self.work, cells, small=True)
        for db, table, label in checks[:2] + [(off_db, "migrations", "off")]:
            check_database(db, table, "tables", n, f"default against off ({label})")
        self.rows.append((f'apply all, N={n}, foreign_keys = "off" (same run as the default)',
                          times["floor"], times["off"], None))
        self.notes.append(f"Foreign-key check, apply all N={n}: the default (deferred) run takes "
                          f"{times['strata'] / times['off']:.3f} times the same run with "
                          f'foreign_keys = "off", measured side by side.')

    def on_disk(self, n, folder):
        """Apply all on a real file system, where every COMMIT waits for fsync: strata may add
        no fsync of its own. Counted with strace when it is installed, timed either way."""
        saved_work = self.work
        self.work = tempfile.mkdtemp(prefix="strata-bench-disk-", dir=folder)
        try:
            cells, checks = self.setup_apply(f"disk-{n}", "tables", n)
            cells = [cell for cell in cells if cell[0] in ("floor", "strata")]
            times = hyperfine(self.args, self.work, cells)
            for db, table, label in checks[:2]:
                check_database(db, table, "tables", n, f"on disk ({label})")
            self.rows.append((f"apply all, N={n}, on disk ({folder}, real fsync)",
                              times["floor"], times["strata"], None))
            if shutil.which("strace"):
                counts = {label: fsync_count(cmd, shlex.split(prepare))
                          for label, cmd, prepare in cells}
                self.notes.append(f"fsync and fdatasync calls, apply all N={n} on disk (strace): "
                                  + ", ".join(f"{label} {c}" for label, c in counts.items()))
                if counts["strata"] > counts["floor"]:
                    fail(f"on disk: strata made {counts['strata']} fsync calls, the floor "
                         f"{counts['floor']}")
        finally:
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = saved_work

    def peak_rss(self, n):
        cells, _checks = self.setup_apply(f"rss-{n}", "tables", n)
        # One run's peak can vary by a few percent: the median of --runs runs, the tools taken in
        # turn as the timed cells are.
        samples = {label: [] for label, _cmd, _prepare in cells}
        for _ in range(self.args.runs):
            for label, cmd, prepare in cells:
                samples[label].append(peak_rss_kib(cmd, shlex.split(prepare)))
        rss = {label: statistics.median(kib) for label, kib in samples.items()}
        self.rss[n] = rss
        self.notes.append(
            f"Peak RSS, apply all N={n} (/usr/bin/time -f %M, median of {self.args.runs} runs): " +
            ", ".join(f"{label} {kib / 1024:.1f} MiB" for label, kib in rss.items()))

    def rss_growth(self, small, large):
        """How much higher each tool's peak is at `large` migrations than at `small`, beside how
        much more text the migrations are (strata may grow by the floor's growth plus that)."""
        def texts(n):
            return sum(len(up) + len(down) for _name, up, down in corpus("tables", n))
        more_text = (texts(large) - texts(small)) / 2**20
        grown = {label: (self.rss[large][label] - self.rss[small][label]) / 1024
                 for label in self.rss[small]}
        self.notes.append(
            f"Peak RSS from N={small} to N={large}: the migrations' up and down files grow by "
            f"{more_text:.1f} MiB; " + ", ".join(f"{label} +{mib:.1f} MiB"
                                                for label, mib in grown.items()) +
            f"; strata's growth beyond the floor's: {grown['strata'] - grown['floor']:+.1f} MiB")

    def scaling_series(self):
        for kind, sizes in (("bounded", (1000, 10000, 100000)), ("tables", (1000, 10000))):
            for n in sizes:
                medians, _cells = self.apply_all(n, kind)
                self.scaling.append((kind, n, medians["floor"], medians["strata"]))


# --- report -------------------------------------------------------------------------------------

def ms(seconds):
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def ratio(value, floor):
    return "-" if value is None else f"{value / floor:.2f}x"


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Linux {platform.release()}"


def report(bench, args):
    lines = [f"Machine: {machine()}; work folder on {args.dir or 'the default temp folder'}; "
             f"medians of {args.runs_small} hyperfine runs (in {max(1, min(args.rounds, args.runs_small))} "
             f"rounds, the cells' order alternating) for cells of up to {args.n} migrations, "
             f"{args.runs} for larger ones, each after {args.warmup} untimed.", "",
             "| scenario | sqlite3 floor | strata | strata / floor | dbmate | dbmate / floor |",
             "|---|---:|---:|---:|---:|---:|"]
    for scenario, floor, strata, dbmate in bench.rows:
        lines.append(f"| {scenario} | {ms(floor)} | {ms(strata)} | {ratio(strata, floor)} | "
                     f"{ms(dbmate)} | {ratio(dbmate, floor)} |")
    lines.append("")
    lines += [f"- {note}" for note in bench.notes]
    if not bench.dbmate:
        lines.append("- dbmate: not installed (bench/install-dbmate), its columns are empty.")
    if bench.scaling:
        lines += ["", "Scaling (apply all; strata's share = (strata - floor) / N):", "",
                  "| corpus | N | sqlite3 floor | strata | strata / floor | strata's share |",
                  "|---|---:|---:|---:|---:|---:|"]
        for kind, n, floor, strata in bench.scaling:
            share = (strata - floor) / n * 1e6
            lines.append(f"| {kind} | {n:,} | {ms(floor)} | {ms(strata)} | "
                         f"{strata / floor:.2f}x | {share:.1f} us/migration |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strata", default=os.path.join("build", "strata"))
    parser.add_argument("--runs", type=int, default=5, help="hyperfine runs per cell")
    parser.add_argument("--runs-small", type=int, default=32,
                        help="hyperfine runs per cell of at most -n migrations (milliseconds each)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="hyperfine runs the --runs-small runs of a cell are split over, "
                             "the cells' order alternating")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed runs of each cell first (each after its --prepare)")
    parser.add_argument("-n", type=int, default=1000, help="migrations of the main scenarios")
    parser.add_argument("--small-n", type=int, default=100, help="the small apply and rollback")
    parser.add_argument("--full", action="store_true",
                        help="also apply all at 10 x N and the scaling series (slow)")
    parser.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                        help="where to create the benchmark's files (tmpfs by default)")
    parser.add_argument("--output", help="also write the markdown report to this file")
    parser.add_argument("--disk-dir", default=os.path.dirname(HERE),
                        help="a folder on a real file system for the on-disk cell (default: "
                             "the repository's; '' skips the cell)")
    args = parser.parse_args()
    args.strata = os.path.abspath(args.strata)
    if shutil.which("hyperfine") is None:
        sys.exit("bench: hyperfine is not installed (apt-get install hyperfine)")
    with tempfile.TemporaryDirectory(prefix="strata-bench-", dir=args.dir) as work:
        bench = Bench(args, work)
        try:
            bench.prove_foreign_keys_off()
            bench.prove_transaction_all()
            bench.apply_all(args.small_n, scenario=f"apply all, N={args.small_n}")
            bench.apply_all(args.n, scenario=f"apply all, N={args.n}")
            bench.apply_all(args.n, settings='foreign_keys = "off"\n',
                            scenario=f'apply all, N={args.n}, foreign_keys = "off"')
            bench.apply_all(args.n, settings='transaction = "all"\n',
                            scenario=f'apply all, N={args.n}, transaction = "all" '
                                     '(floor: one transaction)')
            if args.full:
                bench.apply_all(10 * args.n, scenario=f"apply all, N={10 * args.n}")
            bench.default_against_off(args.n)
            bench.no_op_and_check(args.n)
            bench.rollback_all(args.small_n)
            bench.peak_rss(args.n)
            if args.full:
                bench.peak_rss(10 * args.n)
                bench.rss_growth(args.n, 10 * args.n)
            if args.disk_dir:
                bench.on_disk(args.n, args.disk_dir)
            if args.full:
                bench.scaling_series()
        except BenchError as error:
            sys.exit(f"bench: {error}")
    text = report(bench, args)
    print(text, end="")
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
