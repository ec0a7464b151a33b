#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A table of bad inputs, each refused cleanly.

Every row starts from a small valid project (two migrations, the database at k=1 unless the row
says otherwise), breaks one thing, runs one strata command and checks:
  * the exit code documented in docs/guide.md (1 migration failed/declined, 2 bad usage or bad
    project/migration file, 4 busy, 5 database cannot be opened/read/written);
  * the first stderr line is `strata: error: ...` and names the path (and line where there is
    one) or the offending argument;
  * the database file is byte-identical afterwards, with no -journal/-wal/-shm left beside it,
    and is not created when it was missing.
Rows about permissions run strata as an unprivileged user (uid/gid 65534 through setpriv), since
root ignores file modes. A row that hangs (a FIFO read, a lock never given up) fails on its time
limit instead of hanging the suite.

Usage: test_bad_inputs.py --build DIR [--quick] [--only NAME[,NAME...]] [--keep] [--verbose]
       [--list]
Ends with `N passed, N failed`; exits 1 when any row failed.
"""

import argparse
import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

NOBODY = 65534
BIG_MB_FULL = 50
BIG_MB_QUICK = 5
ROW_TIMEOUT_S = 15
# Run with --build pointing at an ASan/UBSan build, these fail a row even when the exit code
# happens to match.
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

BASE_TOML = """database = "app.db"
busy_timeout_ms = 300

[[apps]]
name = "core"
migrations = "migrations/core"
"""

APP_TABLE = """[[apps]]
name = "core"
migrations = "migrations/core"
"""

M1_UP = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n" \
        "INSERT INTO items (name) VALUES ('a'), ('b');\n"
M1_DOWN = "DROP TABLE items;\n"
M2_UP = "ALTER TABLE items ADD COLUMN tags TEXT;\n"
M2_DOWN = "ALTER TABLE items DROP COLUMN tags;\n"

UP1 = "migrations/core/0001_create_items.up.sql"
DOWN1 = "migrations/core/0001_create_items.down.sql"
UP2 = "migrations/core/0002_add_tags.up.sql"
DOWN2 = "migrations/core/0002_add_tags.down.sql"


class Row:
    """One bad input: how to build it, what to run, what strata must answer."""

    def __init__(self, name, setup, code, where=None, args=("forwards",), contains=(),
                 db="k1", user="root", hold=None, extra_check=None, timeout=ROW_TIMEOUT_S,
                 env=None, db_path="app.db", note=""):
        self.name = name
        self.setup = setup              # fn(ctx): breaks the project copy
        self.code = code                # expected exit code
        self.where = where              # substring of the first stderr line: path[:line:]
        self.args = list(args)
        self.contains = list(contains)  # further substrings of stderr
        self.db = db                    # "k1", "missing" or "custom" (setup writes it)
        self.user = user                # "root" or "nobody"
        self.hold = hold                # fn(ctx) -> context manager held while strata runs
        self.extra_check = extra_check  # fn(ctx) -> None or a failure reason
        self.timeout = timeout
        self.env = env or {}
        self.db_path = db_path          # relative to the case folder
        self.note = note


class Ctx:
    """The case folder of one row."""

    def __init__(self, root, baseline, big_mb):
        self.root = root
        self.baseline = baseline
        self.big_mb = big_mb

    def path(self, rel):
        return os.path.join(self.root, rel)

    def write(self, rel, data):
        full = self.path(rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)

    def remove(self, rel):
        os.remove(self.path(rel))

    def toml(self, text):
        self.write("strata.toml", text)

    def chown_tree(self, rel, uid):
        full = self.path(rel)
        os.chown(full, uid, uid)
        for top, dirs, files in os.walk(full):
            for name in dirs + files:
                os.lchown(os.path.join(top, name), uid, uid)


# --- helpers used by the rows ------------------------------------------------------------------

def toml_rows(*lines):
    return "\n".join(lines) + "\n"


def set_up2(text):
    return lambda ctx: ctx.write(UP2, text)


def add_pair(stem, up="SELECT 1;\n", down="", up_name=None, down_name=None):
    def setup(ctx):
        if up is not None:
            ctx.write("migrations/core/" + (up_name or stem + ".up.sql"), up)
        if down is not None:
            ctx.write("migrations/core/" + (down_name or stem + ".down.sql"), down)
    return setup


def write_db(ctx, statements, rel="app.db"):
    con = sqlite3.connect(ctx.path(rel))
    con.executescript(statements)
    con.commit()
    con.close()


def plant_state_row(down_sql):
    """Adds to the k=1 database a state row for migration 0009 of core, which has no files, whose
    stored down SQL is `down_sql` (str, or bytes stored as text whatever they hold): what anyone
    who can write the database file can do."""
    def setup(ctx):
        con = sqlite3.connect(ctx.path("app.db"))
        value = "CAST(? AS TEXT)" if isinstance(down_sql, bytes) else "?"
        con.execute("INSERT INTO migrations (app_name, name, description, checksum, down_sql, "
                    "ran_on) VALUES ('core', '0009', 'planted', 'x', " + value +
                    ", '2024-01-01T00:00:00Z')", (down_sql,))
        con.commit()
        con.close()
    return setup


def copy_baseline(ctx):
    shutil.copyfile(ctx.baseline, ctx.path("app.db"))


def rootpage_of(db, table):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?",
                           (table,)).fetchone()[0]
    finally:
        con.close()


def page_size_of(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA page_size").fetchone()[0]
    finally:
        con.close()


def corrupt_page(page_of):
    """Overwrites one page of a copy of the k=1 database with a repeating garbage pattern."""
    def setup(ctx):
        copy_baseline(ctx)
        db = ctx.path("app.db")
        size = page_size_of(db)
        page = page_of(db)
        with open(db, "r+b") as f:
            start = (page - 1) * size + (100 if page == 1 else 0)
            f.seek(start)
            f.write(bytes([0xA5, 0x5A, 0x00, 0xFF]) * ((size - (start % size)) // 4))
    return setup


def truncate_db(ctx):
    copy_baseline(ctx)
    db = ctx.path("app.db")
    size = page_size_of(db)
    with open(db, "r+b") as f:
        f.truncate(size)


@contextlib.contextmanager
def python_lock(ctx, begin, read_first=False):
    """Holds a lock on app.db from this process while strata runs. The database bytes are
    hashed before and after, never while this connection is open (closing any other descriptor
    on the file would drop the lock)."""
    con = sqlite3.connect(ctx.path("app.db"), isolation_level=None)
    con.execute(begin)
    if read_first:
        con.execute("SELECT count(*) FROM items").fetchone()
    try:
        yield
    finally:
        con.execute("ROLLBACK")
        con.close()


def big_sql(ctx, tail):
    """About big_mb MB of comment lines followed by `tail` (bytes); returns (bytes, tail line)."""
    line = b"-- " + b"x" * 76 + b"\n"
    count = ctx.big_mb * 1024 * 1024 // len(line)
    return M2_UP.encode() + line * count + tail, count + 2


def big_not_utf8(ctx):
    data, line = big_sql(ctx, b"SELECT '\xff';\n")
    ctx.write(UP2, data)
    ctx.big_line = line


def big_failing(ctx):
    # One statement carrying a string of big_mb MB: the transaction outgrows SQLite's page cache
    # and spills into the database file before the last statement fails, so the rollback has
    # real work to do.
    value = "y" * (ctx.big_mb * 1024 * 1024)
    ctx.write(UP2, M2_UP + "INSERT INTO items (name) VALUES ('" + value + "');\nSELEC 1;\n")


HOT_JOURNAL_WRITER = """
import os, sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA cache_size = 2")
con.execute("BEGIN")
con.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) "
            "INSERT INTO items (name) SELECT hex(randomblob(200)) FROM c")
os.kill(os.getpid(), 9)
"""


def hot_journal(ctx):
    """Leaves app.db with a hot journal: a writer whose tiny page cache spilled into the file
    is killed before it commits, as after a crash."""
    subprocess.run([sys.executable, "-c", HOT_JOURNAL_WRITER, ctx.path("app.db")], check=False)
    if not os.path.exists(ctx.path("app.db-journal")):
        raise RuntimeError("the killed writer left no journal")


def nobody_owns(*rels):
    def setup(ctx):
        for rel in rels:
            ctx.chown_tree(rel, NOBODY)
    return setup


def chain(*setups):
    def setup(ctx):
        for step in setups:
            step(ctx)
    return setup


def chmod(rel, mode):
    return lambda ctx: os.chmod(ctx.path(rel), mode)


def symlink(target, rel):
    return lambda ctx: os.symlink(target, ctx.path(rel))


def with_schema_file(value):
    """The base project with `schema_file = value` on line 2."""
    return lambda ctx: ctx.toml(toml_rows('database = "app.db"', 'schema_file = "%s"' % value,
                                          'busy_timeout_ms = 300', APP_TABLE))


def unchanged(rel):
    """Checks that `rel` still has the bytes the project copy gave it (after setup)."""
    def check(ctx):
        if not hasattr(ctx, "kept"):
            return "harness: nothing was remembered for " + rel
        with open(ctx.path(rel), "rb") as f:
            return None if f.read() == ctx.kept[rel] else rel + " was changed"
    return check


def remember(*rels):
    def setup(ctx):
        ctx.kept = {}
        for rel in rels:
            with open(ctx.path(rel), "rb") as f:
                ctx.kept[rel] = f.read()
    return setup


def absent(rel):
    def check(ctx):
        return None if not os.path.lexists(ctx.path(rel)) else rel + " was created"
    return check


def present(rel):
    def check(ctx):
        return None if os.path.lexists(ctx.path(rel)) else rel + " was deleted"
    return check


# --- the table ----------------------------------------------------------------------------------

def rows():
    t = []
    add = t.append
    P = "strata.toml"

    # Project file: exit 2, naming the file (and line:col when the problem has a place).
    add(Row("project_missing", lambda c: None, 2, "nope.toml", args=["-p", "nope.toml", "forwards"],
            db="missing"))
    add(Row("project_is_directory", lambda c: os.mkdir(c.path("proj.d")), 2, "proj.d",
            args=["-p", "proj.d", "forwards"], db="missing"))
    add(Row("project_unreadable", chmod(P, 0o000), 2, P, user="nobody"))
    add(Row("project_is_fifo", lambda c: os.mkfifo(c.path("proj.fifo")), 2, "proj.fifo",
            args=["-p", "proj.fifo", "forwards"], db="missing", contains=["FIFO"], timeout=10))
    add(Row("project_empty", lambda c: c.toml(""), 2, P, contains=["database"]))
    add(Row("project_whitespace_only", lambda c: c.toml(" \n\t\n\n"), 2, P, contains=["database"]))
    add(Row("toml_unterminated_string",
            lambda c: c.toml(toml_rows('busy_timeout_ms = 300', 'database = "app.db', '',
                                       APP_TABLE)),
            2, P + ":2:"))
    add(Row("toml_key_without_value",
            lambda c: c.toml(toml_rows('database =', APP_TABLE)), 2, P + ":1:"))
    add(Row("toml_bad_table_header",
            lambda c: c.toml(toml_rows('database = "app.db"', '', '[[apps]', 'name = "core"',
                                       'migrations = "migrations/core"')), 2, P + ":3:"))
    # Regression cases from fuzzing (tests/reliability/fuzz/regressions/project): toml++ 3.3
    # aborted on these before strata checked them itself.
    add(Row("fuzz_toml_non_ascii_table_header",
            lambda c: c.toml(toml_rows('database = "app.db"', '[\u00d9', APP_TABLE)), 2, P + ":2:"))
    add(Row("fuzz_toml_dot_table_header",
            lambda c: c.toml(toml_rows('database = "app.db"', '[.apps]', APP_TABLE)), 2, P,
            note="toml++ gives no position for this one; the file is named"))
    add(Row("fuzz_toml_non_ascii_after_value",
            lambda c: c.toml(toml_rows('database = app\u0400', APP_TABLE)), 2, P + ":1:"))
    add(Row("toml_duplicate_key",
            lambda c: c.toml(toml_rows('database = "app.db"', 'database = "other.db"', APP_TABLE)),
            2, P + ":2:"))
    add(Row("toml_table_redefinition",
            lambda c: c.toml(toml_rows('database = "app.db"', 'apps = []', '', APP_TABLE)),
            2, P + ":4:"))
    add(Row("unknown_top_level_key",
            lambda c: c.toml(toml_rows('databse = "app.db"', APP_TABLE)), 2, P + ":1:",
            contains=['did you mean "database"']))
    add(Row("unknown_app_key",
            lambda c: c.toml(toml_rows('database = "app.db"', '[[apps]]', 'name = "core"',
                                       'migration = "migrations/core"')), 2, P + ":4:",
            contains=["migrations"]))
    add(Row("busy_timeout_is_string",
            lambda c: c.toml(toml_rows('database = "app.db"', 'busy_timeout_ms = "300"',
                                       APP_TABLE)),
            2, P + ":2:", contains=["busy_timeout_ms"]))
    add(Row("busy_timeout_negative",
            lambda c: c.toml(toml_rows('database = "app.db"', 'busy_timeout_ms = -1', APP_TABLE)),
            2, P + ":2:", contains=["busy_timeout_ms"]))
    add(Row("busy_timeout_float",
            lambda c: c.toml(toml_rows('database = "app.db"', 'busy_timeout_ms = 1.5', APP_TABLE)),
            2, P + ":2:", contains=["busy_timeout_ms"]))
    add(Row("busy_timeout_beyond_int64",
            lambda c: c.toml(toml_rows('database = "app.db"',
                                       'busy_timeout_ms = 99999999999999999999', APP_TABLE)),
            2, P + ":2:"))
    add(Row("state_table_not_an_identifier",
            lambda c: c.toml(toml_rows('database = "app.db"', 'state_table = "strata state"',
                                       APP_TABLE)), 2, P + ":2:15:", contains=["state_table"]))
    add(Row("state_table_sqlite_prefix",
            lambda c: c.toml(toml_rows('database = "app.db"', 'state_table = "sqlite_state"',
                                       APP_TABLE)), 2, P + ":2:15:", contains=["sqlite_"]))
    add(Row("database_is_integer",
            lambda c: c.toml(toml_rows('database = 5', APP_TABLE)), 2, P + ":1:",
            contains=["database"]))
    add(Row("project_bom_not_at_start",
            lambda c: c.toml(toml_rows('database = "app.db"', '\ufeffbusy_timeout_ms = 300',
                                       APP_TABLE)), 2, P + ":2:"))
    add(Row("project_not_utf8",
            lambda c: c.write(P, b'database = "app\xff.db"\n' + APP_TABLE.encode()), 2, P + ":1:"))
    add(Row("project_utf16",
            lambda c: c.write(P, BASE_TOML.encode("utf-16")), 2, P))
    add(Row("project_nul_byte",
            lambda c: c.write(P, b'database = "app.db"\n\x00\n' + APP_TABLE.encode()), 2,
            P + ":2:"))
    add(Row("project_control_character",
            lambda c: c.write(P, b'database = "app\x07.db"\n' + APP_TABLE.encode()), 2, P + ":1:"))
    add(Row("no_apps", lambda c: c.toml('database = "app.db"\n'), 2, P, contains=["[[apps]]"]))
    add(Row("app_name_traversal",
            lambda c: c.toml(toml_rows('database = "app.db"', '[[apps]]', 'name = "../core"',
                                       'migrations = "migrations/core"')), 2, P + ":3:"))
    add(Row("app_name_all",
            lambda c: c.toml(toml_rows('database = "app.db"', '[[apps]]', 'name = "all"',
                                       'migrations = "migrations/core"')), 2, P + ":3:"))
    add(Row("app_listed_twice",
            lambda c: c.toml(toml_rows('database = "app.db"', APP_TABLE, APP_TABLE)), 2, P + ":7:",
            contains=['"core"']))
    add(Row("depends_on_unknown_app",
            lambda c: c.toml(toml_rows('database = "app.db"', APP_TABLE.rstrip('\n'),
                                       'depends_on = ["billing"]')), 2, P + ":5:",
            contains=['"billing"']))
    add(Row("dependency_cycle",
            lambda c: c.toml(toml_rows('database = "app.db"', '[[apps]]', 'name = "core"',
                                       'migrations = "migrations/core"', 'depends_on = ["b"]',
                                       '[[apps]]', 'name = "b"', 'migrations = "migrations/core"',
                                       'depends_on = ["core"]')), 2, P + ":"))
    add(Row("migrations_folder_missing",
            lambda c: c.toml(toml_rows('database = "app.db"', '[[apps]]', 'name = "core"',
                                       'migrations = "migrations/nope"')), 2, P + ":4:",
            contains=["migrations/nope"]))
    add(Row("migrations_folder_is_a_file",
            chain(lambda c: c.write("migrations/afile", "x"),
                  lambda c: c.toml(toml_rows('database = "app.db"', '[[apps]]', 'name = "core"',
                                             'migrations = "migrations/afile"'))), 2, "afile"))
    add(Row("env_var_unset",
            lambda c: c.toml(toml_rows('database = "${STRATA_R2_UNSET}/app.db"', APP_TABLE)),
            2, P + ":1:", contains=["STRATA_R2_UNSET"]))
    add(Row("env_bare_dollar",
            lambda c: c.toml(toml_rows('database = "$HOME/app.db"', APP_TABLE)), 2, P + ":1:"))
    add(Row("journal_mode_off",
            lambda c: c.toml(toml_rows('database = "app.db"', 'journal_mode = "off"', APP_TABLE)),
            2, P + ":2:", contains=["journal_mode"]))
    add(Row("synchronous_normal",
            lambda c: c.toml(toml_rows('database = "app.db"', 'synchronous = "normal"', APP_TABLE)),
            2, P + ":2:", contains=["synchronous"]))
    add(Row("foreign_keys_unknown_mode",
            lambda c: c.toml(toml_rows('database = "app.db"', 'foreign_keys = "sometimes"',
                                       APP_TABLE)), 2, P + ":2:", contains=["foreign_keys"]))

    # schema_file may not name a file the project consists of: refused at load, exit 2, at the
    # value's line (strata once replaced the database with the schema's text, exit 0).
    sf = "`schema_file`"
    add(Row("schema_file_is_database", with_schema_file("app.db"), 2, P + ":2:15:",
            contains=[sf, "is the database"]))
    add(Row("schema_file_is_database_via_dotdot", with_schema_file("migrations/../app.db"), 2,
            P + ":2:15:", contains=["is the database"]))
    add(Row("schema_file_is_link_to_database",
            chain(with_schema_file("schema.sql"), symlink("app.db", "schema.sql")), 2, P + ":2:15:",
            contains=["is the database"]))
    add(Row("schema_file_is_journal", with_schema_file("app.db-journal"), 2, P + ":2:15:",
            contains=["rollback journal"], extra_check=absent("app.db-journal")))
    add(Row("schema_file_is_wal", with_schema_file("app.db-wal"), 2, P + ":2:15:",
            contains=["write-ahead log"], extra_check=absent("app.db-wal")))
    add(Row("schema_file_is_project_file",
            chain(with_schema_file("strata.toml"), remember(P)), 2, P + ":2:15:",
            contains=["is the project file"], extra_check=unchanged(P)))
    add(Row("schema_file_is_migration",
            chain(with_schema_file(UP1), remember(UP1)), 2, P + ":2:15:",
            contains=["is in the migrations folder"], extra_check=unchanged(UP1)))
    add(Row("schema_file_in_migrations_folder", with_schema_file("migrations/core/schema.sql"), 2,
            P + ":2:15:", contains=["is in the migrations folder"],
            extra_check=absent("migrations/core/schema.sql")))
    add(Row("cli_database_is_schema_file", with_schema_file("schema.sql"), 2, "schema.sql",
            args=["--database", "schema.sql", "forwards"], db="missing", db_path="schema.sql",
            contains=["is the database"], note="an override that makes the two collide is "
                                               "refused by the library before the run"))

    # Migration files: refused at load time, exit 2, naming the file (and line:col for content).
    mc = "migrations/core/"
    add(Row("up_without_down", add_pair("0003_extra", down=None), 2, mc + "0003_extra.up.sql"))
    add(Row("down_without_up", add_pair("0003_extra", up=None), 2, mc + "0003_extra.down.sql"))
    add(Row("duplicate_id_numeric", add_pair("1_again"), 2, mc,
            contains=["1_again", "0001_create_items"]))
    add(Row("duplicate_id_same_digits", add_pair("0002_other"), 2, mc,
            contains=["0002_other", "0002_add_tags"]))
    add(Row("case_colliding_names", chain(add_pair("0003_X"), add_pair("0003_x")), 2, mc,
            contains=["0003_X", "0003_x"]))
    add(Row("upper_case_extension", add_pair("0003_x", up_name="0003_x.up.SQL"), 2,
            mc + "0003_x.up.SQL"))
    add(Row("name_without_id", add_pair("extra"), 2, mc + "extra."))
    add(Row("name_without_slug", add_pair("0003"), 2, mc + "0003."))
    add(Row("name_non_ascii_slug", add_pair("0003_caf\u00e9"), 2, mc + "0003_caf\u00e9."))
    add(Row("sql_not_utf8", lambda c: c.write(UP2, M2_UP.encode() + b"-- caf\xe9\n"), 2,
            UP2 + ":2:"))
    add(Row("sql_utf16", lambda c: c.write(UP2, M2_UP.encode("utf-16")), 2, UP2))
    add(Row("sql_nul_byte", lambda c: c.write(UP2, M2_UP.encode() + b"\x00SELECT 1;\n"), 2,
            UP2 + ":2:"))
    add(Row("down_not_utf8", lambda c: c.write(DOWN2, b"-- \xc3\x28\n" + M2_DOWN.encode()), 2,
            DOWN2 + ":1:"))
    # An empty or comment-only up file is a deliberate no-op; the unedited template of
    # `strata new` is not.
    template = "-- strata:template (delete this line when you write the migration)\n"
    add(Row("up_template_unedited", set_up2(template + "-- add tags: write the SQL here\n"), 2,
            UP2 + ":1:1:", contains=["template", "delete this line"]))
    add(Row("up_template_marker_kept", set_up2(template + M2_UP), 2, UP2 + ":1:1:",
            contains=["template"]))
    add(Row("down_template_unedited",
            lambda c: c.write(DOWN2, template + "-- add tags: write the SQL that undoes it\n"),
            2, DOWN2 + ":1:1:", contains=["template"]))
    add(Row("symlink_loop_file",
            chain(add_pair("0003_loop", up=None),
                  symlink("0003_loop.up.sql", mc + "0003_loop.up.sql")),
            2, mc + "0003_loop.up.sql"))
    add(Row("symlink_loop_folder",
            chain(lambda c: shutil.rmtree(c.path("migrations/core")),
                  symlink("core", "migrations/core")), 2, "migrations/core"))
    add(Row("fifo_as_migration",
            chain(add_pair("0003_fifo", up=None),
                  lambda c: os.mkfifo(c.path(mc + "0003_fifo.up.sql"))),
            2, mc + "0003_fifo.up.sql", timeout=10))
    add(Row("dev_zero_as_migration",
            chain(add_pair("0003_zero", up=None), symlink("/dev/zero", mc + "0003_zero.up.sql")),
            2, mc + "0003_zero.up.sql", timeout=10))
    add(Row("directory_as_migration",
            chain(add_pair("0003_dir", up=None),
                  lambda c: os.mkdir(c.path(mc + "0003_dir.up.sql"))),
            2, mc + "0003_dir.up.sql"))
    add(Row("migration_unreadable", chmod(UP2, 0o000), 2, UP2, user="nobody"))
    add(Row("migrations_folder_unreadable", chmod("migrations/core", 0o000), 2, "migrations/core",
            user="nobody"))
    add(Row("huge_file_not_utf8_at_end", big_not_utf8, 2, UP2 + ":",
            note="the whole file is read and checked before the database is opened"))

    # SQL that strata refuses or that fails: exit 1, file:line of the statement, rolled back.
    add(Row("sql_commit", set_up2(M2_UP + "COMMIT;\n"), 1, UP2 + ":2:"))
    add(Row("sql_begin", set_up2("BEGIN;\n" + M2_UP), 1, UP2 + ":1:"))
    add(Row("sql_rollback", set_up2(M2_UP + "ROLLBACK;\n"), 1, UP2 + ":2:"))
    add(Row("sql_end", set_up2(M2_UP + "END;\n"), 1, UP2 + ":2:"))
    add(Row("sql_attach", set_up2(M2_UP + "ATTACH DATABASE 'other.db' AS other;\n"), 1, UP2 + ":2:",
            extra_check=absent("other.db")))
    add(Row("sql_detach", set_up2(M2_UP + "DETACH DATABASE main;\n"), 1, UP2 + ":2:"))
    add(Row("sql_vacuum", set_up2(M2_UP + "VACUUM;\n"), 1, UP2 + ":2:"))
    add(Row("sql_writes_state_table",
            set_up2(M2_UP + "DELETE FROM migrations;\n"), 1, UP2 + ":2:"))
    add(Row("sql_drops_state_table", set_up2(M2_UP + "DROP TABLE migrations;\n"), 1, UP2 + ":2:"))
    add(Row("sql_pragma_foreign_keys_off", set_up2("PRAGMA foreign_keys = OFF;\n" + M2_UP), 1,
            UP2 + ":1:"))
    add(Row("sql_pragma_journal_mode_off", set_up2(M2_UP + "PRAGMA journal_mode = OFF;\n"), 1,
            UP2 + ":2:"))
    add(Row("sql_writable_schema_edit",
            set_up2(M2_UP + "PRAGMA writable_schema = ON;\nUPDATE sqlite_schema SET sql = "
                    "'CREATE TABLE items (' WHERE name = 'items';\n"), 1, UP2 + ":2:",
            note="writing sqlite_schema directly commits a database SQLite cannot read"))
    add(Row("sql_syntax_error_third_statement",
            set_up2(M2_UP + "INSERT INTO items (name) VALUES ('c');\nSELEC 1;\n"), 1, UP2 + ":3:"))
    add(Row("sql_no_such_table", set_up2(M2_UP + "INSERT INTO nosuch VALUES (1);\n"), 1,
            UP2 + ":2:", contains=["no such table"]))
    # A failed run on a database it created commits nothing and leaves no file behind.
    add(Row("atomic_run_fails_on_missing_db", set_up2("INSERT INTO nosuch VALUES (1);\n"), 1,
            UP2 + ":1:", args=["forwards", "--atomic"], db="missing",
            contains=["the whole run was rolled back", "0 of 2 migrations kept"]))
    add(Row("first_migration_fails_on_missing_db",
            lambda c: c.write(UP1, "INSERT INTO nosuch VALUES (1);\n"), 1, UP1 + ":1:",
            db="missing"))
    add(Row("sql_constraint_violation",
            set_up2(M2_UP + "INSERT INTO items (id, name) VALUES (1, 'dup');\n"), 1, UP2 + ":2:",
            contains=["UNIQUE"]))
    add(Row("sql_unterminated_string",
            set_up2(M2_UP + "INSERT INTO items (name) VALUES ('oops);\n"), 1, UP2 + ":2:"))
    # Regression cases from fuzzing (fuzz/regressions/run): a temp table or trigger must not
    # hide or edit strata's state table.
    add(Row("fuzz_sql_temp_trigger_on_state_table",
            set_up2(M2_UP + "CREATE TEMP TRIGGER forget AFTER INSERT ON main.migrations "
                    "BEGIN DELETE FROM migrations; END;\n"), 1, UP2 + ":2:"))
    # What a migration leaves behind must not reach the state table later: SQLite checks a
    # trigger's body only when it fires and a view's only when it is read.
    add(Row("sql_trigger_deletes_state_table",
            set_up2(M2_UP + "CREATE TRIGGER forget AFTER UPDATE ON items BEGIN DELETE FROM "
                    "migrations; END;\n"), 1, UP2 + ":2:", contains=['trigger "forget"']))
    add(Row("sql_trigger_update_of_writes_state_table",
            set_up2(M2_UP + "CREATE TRIGGER t AFTER UPDATE OF name ON items BEGIN UPDATE "
                    "migrations SET name = '9'; END;\n"), 1, UP2 + ":2:", contains=['trigger "t"']))
    add(Row("sql_view_reads_state_table",
            set_up2(M2_UP + "CREATE VIEW applied AS SELECT count(*) FROM migrations;\n"), 1,
            UP2 + ":2:", contains=['view "applied"']))
    add(Row("sql_instead_of_trigger_writes_state_table",
            set_up2(M2_UP + "CREATE VIEW v AS SELECT id FROM items;\nCREATE TRIGGER io INSTEAD OF "
                    "DELETE ON v BEGIN DELETE FROM migrations; END;\n"), 1, UP2 + ":3:",
            contains=['trigger "io"']))
    add(Row("sql_temp_trigger_reaches_state_table",
            set_up2(M2_UP + "CREATE TEMP TRIGGER t AFTER DELETE ON main.items BEGIN DELETE FROM "
                    "migrations; END;\n"), 1, UP2 + ":2:", contains=['trigger "t"']))
    add(Row("sql_trigger_chain_reaches_state_table",
            set_up2(M2_UP + "CREATE TABLE log (x);\nCREATE TRIGGER a AFTER UPDATE ON items BEGIN "
                    "INSERT INTO log VALUES (1); END;\nCREATE TRIGGER b AFTER INSERT ON log BEGIN "
                    "DELETE FROM migrations; END;\n"), 1, UP2 + ":3:",
            contains=['trigger "a" leads to trigger "b"']))
    add(Row("sql_trigger_writes_sqlite_sequence",
            set_up2(M2_UP + "CREATE TRIGGER s AFTER INSERT ON items BEGIN UPDATE sqlite_sequence "
                    "SET seq = 9223372036854775807 WHERE name = 'migrations'; END;\n"), 1,
            UP2 + ":2:", contains=["sqlite_sequence"]))
    add(Row("sql_trigger_unchecked_missing_table",
            set_up2(M2_UP + "CREATE TRIGGER later AFTER INSERT ON items BEGIN INSERT INTO audit "
                    "VALUES (1); DELETE FROM migrations; END;\n"), 1, UP2 + ":2:",
            contains=["cannot check"]))
    add(Row("sql_state_table_sequence_set_to_max",
            set_up2(M2_UP + "UPDATE sqlite_sequence SET seq = 9223372036854775807 WHERE name = "
                    "'migrations';\n"), 1, UP2 + ": applying", contains=["database or disk is full"],
            note="every later run would fail with \"database or disk is full\""))
    add(Row("sql_create_table_if_not_exists_state_table",
            set_up2(M2_UP + "CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY);\n"),
            1, UP2 + ":2:", contains=["set state_table"]))
    add(Row("sql_unterminated_comment",
            set_up2(M2_UP + "/* this comment hides the rest\n"
                    "INSERT INTO items (name) VALUES ('c');\n"),
            1, UP2 + ":2:",
            note="SQLite treats an unclosed /* as a comment to the end of the file"))
    add(Row("sql_load_extension", set_up2(M2_UP + "SELECT load_extension('/nonexistent');\n"), 1,
            UP2 + ":2:"))
    add(Row("sql_unknown_virtual_table_module",
            set_up2(M2_UP + "CREATE VIRTUAL TABLE v USING nosuchmodule(x);\n"), 1, UP2 + ":2:"))
    add(Row("sql_shell_dot_command", set_up2(".read other.sql\n" + M2_UP), 1, UP2 + ":1:"))
    add(Row("sql_bom_inside_keyword",
            set_up2(M2_UP + "INS\ufeffERT INTO items (name) VALUES ('c');\n"), 1, UP2 + ":2:",
            note="a BOM between statements is harmless (SQLite skips it); inside a word it is not"))
    add(Row("sql_release_unknown_savepoint", set_up2(M2_UP + "RELEASE nosuch;\n"), 1, UP2 + ":2:"))
    # Trust boundaries (docs/security.md): nothing a migration runs may write outside the
    # database, reach native code, or change the connection for the migrations after it.
    add(Row("sql_fts3_tokenizer_pointer",
            set_up2(M2_UP + "SELECT fts3_tokenizer('simple', x'4141414141414141');\n"), 1,
            UP2 + ":2:", contains=["fts3_tokenizer"],
            note="this SQLite accepts the two-argument form; strata crashed with SIGSEGV"))
    add(Row("sql_fts3_tokenizer_address",
            set_up2(M2_UP + "SELECT hex(fts3_tokenizer('simple'));\n"), 1, UP2 + ":2:",
            contains=["fts3_tokenizer"], note="the one-argument form leaks a code address"))
    add(Row("sql_fts3_tokenizer_in_trigger",
            set_up2(M2_UP + "CREATE TABLE log (p);\nCREATE TRIGGER leak AFTER UPDATE ON items "
                    "BEGIN INSERT INTO log VALUES (fts3_tokenizer('simple')); END;\n"
                    "UPDATE items SET tags = 'x';\n"), 1, UP2 + ":4:",
            contains=["fts3_tokenizer"]))
    add(Row("sql_sqlite_log", set_up2(M2_UP + "SELECT sqlite_log(1, 'planted');\n"), 1,
            UP2 + ":2:", contains=["sqlite_log"]))
    add(Row("sql_vacuum_into", set_up2(M2_UP + "VACUUM INTO 'copy.db';\n"), 1, UP2 + ":2:",
            contains=["VACUUM INTO"], extra_check=absent("copy.db")))
    add(Row("sql_vacuum_schema_into",
            set_up2(M2_UP + "VACUUM \"main\" /* a comment */ INTO 'copy.db';\n"), 1,
            UP2 + ":2:", contains=["VACUUM INTO"], extra_check=absent("copy.db")))
    add(Row("sql_ignore_check_constraints",
            set_up2("PRAGMA ignore_check_constraints = ON;\n" + M2_UP +
                    "CREATE TABLE c (x CHECK (x > 0));\nINSERT INTO c VALUES (-1);\n"), 1,
            UP2 + ":1:", contains=["ignore_check_constraints"],
            note="it let a migration commit rows that fail integrity_check"))
    add(Row("sql_pragma_synchronous_off", set_up2(M2_UP + "PRAGMA synchronous = OFF;\n"), 1,
            UP2 + ":2:", contains=["synchronous"]))
    add(Row("sql_pragma_trusted_schema_on", set_up2("PRAGMA trusted_schema = ON;\n" + M2_UP), 1,
            UP2 + ":1:", contains=["trusted_schema"]))
    add(Row("sql_pragma_query_only", set_up2(M2_UP + "PRAGMA query_only = ON;\n"), 1,
            UP2 + ":2:", contains=["query_only"]))
    add(Row("sql_pragma_temp_store_directory",
            set_up2(M2_UP + "PRAGMA temp_store_directory = '/tmp';\n"), 1, UP2 + ":2:",
            contains=["temp_store_directory"]))
    add(Row("sql_pragma_defer_foreign_keys",
            set_up2("PRAGMA defer_foreign_keys = ON;\n" + M2_UP), 1, UP2 + ":1:",
            contains=["foreign_keys"]))
    add(Row("sql_pragma_unknown_with_value", set_up2(M2_UP + "PRAGMA no_such_pragma = 1;\n"), 1,
            UP2 + ":2:", contains=["no_such_pragma"]))
    add(Row("sql_savepoint", set_up2(M2_UP + "SAVEPOINT keep;\n"), 1, UP2 + ":2:",
            contains=["SAVEPOINT"]))
    add(Row("sql_savepoint_atomic", set_up2(M2_UP + "SAVEPOINT keep;\n"), 1, UP2 + ":2:",
            args=["forwards", "--atomic"], contains=["SAVEPOINT"],
            note="with --atomic a savepoint left open let a later migration erase strata's "
                 "record of this one"))
    add(Row("sql_rollback_to_savepoint", set_up2(M2_UP + "ROLLBACK TO keep;\n"), 1, UP2 + ":2:",
            contains=["ROLLBACK TO"]))
    # Down SQL stored in the database, run by `sync` when the migration's files are gone: the
    # same guard as files, and no after-commit section at all.
    stored = "core/0009 (stored down SQL)"
    add(Row("stored_down_after_commit_vacuum_into",
            plant_state_row("SELECT 1;\n-- strata:after-commit\nVACUUM INTO 'stolen.db';\n"), 1,
            stored + ":2:", args=["sync", "--yes"], contains=["after-commit section"],
            extra_check=absent("stolen.db"),
            note="a planted row made `sync --yes` write any file"))
    add(Row("stored_down_after_commit_backwards",
            plant_state_row("SELECT 1;\n-- strata:after-commit\nANALYZE;\n"), 1, stored + ":2:",
            args=["backwards", "core", "--yes"], contains=["after-commit section"]))
    add(Row("stored_down_fts3_tokenizer",
            plant_state_row("SELECT fts3_tokenizer('simple', x'4141414141414141');\n"), 1,
            stored + ":1:", args=["sync", "--yes"], contains=["fts3_tokenizer"]))
    add(Row("stored_down_attach", plant_state_row("ATTACH 'other.db' AS other;\n"), 1,
            stored + ":1:", args=["sync", "--yes"], contains=["ATTACH"],
            extra_check=absent("other.db")))
    add(Row("stored_down_nul_byte", plant_state_row("SELECT 1;\n\x00DELETE FROM items;\n"), 1,
            stored + ":2:", args=["sync", "--yes"], contains=["NUL byte"]))
    add(Row("stored_down_not_utf8", plant_state_row(b"SELECT 1; -- caf\xe9\n"), 1,
            stored + ":1:", args=["sync", "--yes"], contains=["not valid UTF-8"]))
    add(Row("huge_file_failing_last_statement", big_failing, 1, UP2 + ":3:",
            note="a big string spills the transaction into the database file before it fails"))

    # The database: exit 5 (cannot be opened/read/written) or 4 (locked), never changed.
    add(Row("database_is_directory", lambda c: os.mkdir(c.path("app.db")), 5, "app.db",
            db="custom"))
    add(Row("database_parent_missing",
            lambda c: c.toml(BASE_TOML.replace('"app.db"', '"nodir/app.db"')), 5, "nodir/app.db",
            db="missing", extra_check=absent("nodir"), db_path="nodir/app.db"))
    add(Row("database_symlink_loop", symlink("app.db", "app.db"), 5, "app.db", db="custom"))
    add(Row("database_not_sqlite", lambda c: c.write("app.db", "hello, this is text\n" * 300), 5,
            "app.db", db="custom"))
    add(Row("database_header_page_corrupt", corrupt_page(lambda db: 1), 5, "app.db", db="custom"))
    add(Row("database_state_table_page_corrupt",
            corrupt_page(lambda db: rootpage_of(db, "migrations")), 5, "app.db", db="custom"))
    add(Row("database_truncated", truncate_db, 5, "app.db", db="custom"))
    add(Row("database_not_sqlite_check", lambda c: c.write("app.db", "not a database\n" * 300), 5,
            "app.db", args=["check"], db="custom"))
    add(Row("database_env_override_not_sqlite",
            lambda c: c.write("other.db", "not a database\n" * 300), 5, "other.db",
            env={"STRATA_DATABASE": "other.db"}, db_path="other.db", db="custom"))
    add(Row("database_read_only_file",
            chain(nobody_owns("."), chmod("app.db", 0o444)), 5, "app.db", user="nobody"))
    add(Row("database_folder_read_only",
            chain(nobody_owns("app.db"), chmod(".", 0o555)), 5, "app.db", user="nobody"))
    add(Row("database_folder_read_only_no_db", chmod(".", 0o555), 5, "app.db", user="nobody",
            db="missing"))
    add(Row("database_locked_by_writer", lambda c: None, 4, "app.db",
            hold=lambda c: python_lock(c, "BEGIN IMMEDIATE")))
    add(Row("database_locked_exclusive", lambda c: None, 4, "app.db",
            hold=lambda c: python_lock(c, "BEGIN EXCLUSIVE")))
    add(Row("database_reader_blocks_commit", lambda c: None, 4, "app.db",
            hold=lambda c: python_lock(c, "BEGIN", read_first=True)))
    add(Row("check_locked_exclusive", lambda c: None, 4, "app.db", args=["check"],
            hold=lambda c: python_lock(c, "BEGIN EXCLUSIVE")))
    add(Row("hot_journal_read_only_check", hot_journal, 5, "app.db", args=["check"],
            user="nobody", contains=["journal"],
            note="SQLite must roll the journal back first, which needs write access: the message "
                 "must say so, not only 'attempt to write a readonly database'"))
    add(Row("hot_journal_read_only_forwards", hot_journal, 5, "app.db", user="nobody"))
    add(Row("hot_journal_owned_by_another_user",
            chain(hot_journal, nobody_owns("."),
                  lambda c: os.chown(c.path("app.db-journal"), 0, 0)),
            5, "app.db", args=["check"], user="nobody",
            contains=["app.db-journal (owned by root", "do not delete app.db-journal"],
            note="the user may write the database and its folder but not root's journal"))
    add(Row("restore_page_size_into_wal",
            chain(lambda c: write_db(c, "PRAGMA journal_mode = WAL;"),
                  lambda c: write_db(c, "PRAGMA page_size = 1024; CREATE TABLE t (x);",
                                     "small.db")),
            5, "app.db", args=["restore", "small.db", "--yes"],
            contains=["WAL mode with pages of 4096 bytes", "journal_mode = DELETE"],
            note="SQLite's backup API answers SQLITE_READONLY; the cause is the page size"))
    add(Row("cli_database_is_directory", lambda c: os.mkdir(c.path("dir.db")), 5, "dir.db",
            args=["--database", "dir.db", "forwards"], db_path="dir.db", db="custom"))
    add(Row("state_table_of_another_tool",
            lambda c: write_db(c, "CREATE TABLE migrations (version INTEGER PRIMARY KEY, "
                                  "dirty INTEGER NOT NULL); INSERT INTO migrations VALUES (7, 0);"),
            5, "app.db", db="custom", contains=["migrations"]))
    add(Row("state_table_same_columns_no_marker",
            lambda c: write_db(c, "CREATE TABLE migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                                  "app_name TEXT NOT NULL, name TEXT NOT NULL, description TEXT "
                                  "NOT NULL, checksum TEXT NOT NULL, down_sql TEXT NOT NULL, "
                                  "ran_on TEXT NOT NULL, UNIQUE (app_name, name));"),
            5, "app.db", db="custom", contains=["migrations"]))
    add(Row("state_table_from_newer_strata",
            lambda c: write_db(c, "CREATE TABLE migrations ( -- strata state table v99\n"
                                  "id INTEGER PRIMARY KEY AUTOINCREMENT, app_name TEXT NOT NULL, "
                                  "name TEXT NOT NULL, description TEXT NOT NULL, checksum TEXT "
                                  "NOT NULL, down_sql TEXT NOT NULL, ran_on TEXT NOT NULL, "
                                  "future TEXT, UNIQUE (app_name, name));"),
            5, "app.db", db="custom", contains=["state table", "99"]))

    # The command line: exit 2 for bad usage, 1 for an unknown id or a needed prompt.
    add(Row("unknown_app", lambda c: None, 2, None, args=["forwards", "nosuch"],
            contains=['nosuch']))
    add(Row("unknown_app_missing_db", lambda c: None, 2, None, args=["forwards", "nosuch"],
            contains=['nosuch'], db="missing"))
    add(Row("unknown_migration_id", lambda c: None, 1, None, args=["forwards", "core", "0099"],
            contains=["0099"]))
    add(Row("backwards_id_not_applied", lambda c: None, 1, None,
            args=["backwards", "core", "0002", "--yes"], contains=["0002"]))
    add(Row("backwards_without_terminal", lambda c: None, 1, None, args=["backwards", "core"],
            contains=["standard input is not a terminal", "--yes"]))
    add(Row("goto_unknown_migration_id", lambda c: None, 1, None,
            args=["goto", "core", "0099", "--yes"], contains=["0099"]))
    add(Row("unknown_command", lambda c: None, 2, None, args=["frobnicate"],
            contains=["frobnicate"]))
    add(Row("unknown_option", lambda c: None, 2, None, args=["forwards", "--frobnicate"],
            contains=["--frobnicate"]))
    add(Row("steps_not_a_number", lambda c: None, 2, None,
            args=["backwards", "core", "--steps", "abc", "--yes"], contains=["abc"]))
    add(Row("steps_negative", lambda c: None, 2, None,
            args=["backwards", "core", "--steps", "-1", "--yes"], contains=["-1"]))
    add(Row("goto_unknown_app", lambda c: None, 2, None, args=["goto", "nosuch", "0001", "--yes"],
            contains=["nosuch"]))
    # An id belongs to one app: `backwards all ID` must not reverse (or --clean) every app.
    add(Row("backwards_all_with_id", lambda c: None, 2, None,
            args=["backwards", "all", "0001", "--clean", "--yes"],
            contains=["a migration id needs an app"], extra_check=present(UP1)))
    # Bundles (--bundle FILE): refused before the database is opened.
    for offset in (10, 40, -1):
        add(Row("bundle_truncated_at_%d" % offset, write_bundle(lambda b, o=offset: b[:o]), 2,
                "r.strata", args=BUNDLE_ARGS, contains=["the bundle is truncated"]))
    add(Row("bundle_flipped_byte", write_bundle(flip_middle), 2, "r.strata", args=BUNDLE_ARGS,
            contains=["SHA-256 does not match"]))
    add(Row("bundle_flipped_byte_missing_db", write_bundle(flip_middle), 2, "r.strata",
            args=BUNDLE_ARGS, db="missing", contains=["SHA-256 does not match"]))
    add(Row("bundle_wrong_magic", write_bundle(lambda b: b"SQLite format 3\0" + b), 2,
            "r.strata", args=BUNDLE_ARGS, contains=["not a strata bundle"]))
    add(Row("bundle_newer_format", lambda c: c.write("r.strata", bundle_of_base(7)), 2,
            "r.strata", args=BUNDLE_ARGS, contains=["format 7, newer than this strata reads"]))
    return t


def bundle_of_base(version=1):
    """The bundle `strata bundle` writes for the base project (docs/library.md, "Bundles for
    devices"), built here so a row can damage it."""
    def field(text):
        data = text.encode("utf-8")
        return str(len(data)).encode() + b":" + data + b"\n"
    out = b"strata-bundle %d\n" % version
    for value in ("", "deferred", "each", "", "full", "error", "migrations", "300", "1", "core",
                  "0", "2"):
        out += field(value)
    for name, up, down in (("0001_create_items", M1_UP, M1_DOWN), ("0002_add_tags", M2_UP, M2_DOWN)):
        out += field(name) + field(up) + field(down)
        out += field(hashlib.sha256(up.encode()).hexdigest())
    return out + b"sha256 " + hashlib.sha256(out).hexdigest().encode() + b"\n"


def write_bundle(transform):
    def setup(ctx):
        ctx.write("r.strata", transform(bundle_of_base()))
    return setup


def flip_middle(data):
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]


BUNDLE_ARGS = ("forwards", "--bundle", "r.strata", "--database", "app.db")


# --- running ------------------------------------------------------------------------------------

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def snapshot(path):
    """What the database path is: missing, a link, a directory, or a file and its hash."""
    if not os.path.lexists(path):
        return ("missing",)
    if os.path.islink(path):
        return ("link", os.readlink(path))
    if os.path.isdir(path):
        return ("dir",)
    return ("file", sha256_file(path))


def leftovers(db):
    return {db + s for s in ("-journal", "-wal", "-shm") if os.path.lexists(db + s)}


def make_baseline(work, strata):
    """A valid project and its database at k=1 (0001 applied by strata itself)."""
    base = os.path.join(work, "base")
    ctx = Ctx(base, None, 0)
    ctx.toml(BASE_TOML)
    ctx.write(UP1, M1_UP)
    ctx.write(DOWN1, M1_DOWN)
    ctx.write(UP2, M2_UP)
    ctx.write(DOWN2, M2_DOWN)
    subprocess.run([strata, "forwards", "core", "0001_create_items"], cwd=base, check=True,
                   env=clean_env(), stdout=subprocess.DEVNULL, timeout=30)
    baseline = os.path.join(work, "baseline.db")
    shutil.copyfile(os.path.join(base, "app.db"), baseline)
    os.remove(os.path.join(base, "app.db"))
    # The control: the untouched project migrates from k=1 to k=2, so every failure below is
    # caused by the one thing its row breaks.
    control = os.path.join(work, "control")
    shutil.copytree(base, control, symlinks=True)
    shutil.copyfile(baseline, os.path.join(control, "app.db"))
    result = subprocess.run([strata, "forwards"], cwd=control, env=clean_env(),
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        sys.exit("control run failed (exit %d): %s" % (result.returncode, result.stderr))
    return base, baseline


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("STRATA_DATABASE", "STRATA_R2_UNSET")}
    env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env


def run_row(row, work, base, baseline, strata, big_mb, keep, shown):
    case = os.path.join(work, row.name)
    shutil.copytree(base, case, symlinks=True)
    os.chmod(case, 0o755)
    ctx = Ctx(case, baseline, big_mb)
    if row.db == "k1":
        copy_baseline(ctx)
    row.setup(ctx)
    db = ctx.path(row.db_path)
    before = snapshot(db)
    journals_before = leftovers(db)
    if row.db == "missing" and before != ("missing",):
        return "setup left a database at " + row.db_path

    cmd = [strata] + row.args
    if row.user == "nobody":
        cmd = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
               "--"] + cmd
    hold = row.hold(ctx) if row.hold else contextlib.nullcontext()
    try:
        with hold:
            result = subprocess.run(cmd, cwd=case, env=clean_env(row.env), stdin=subprocess.DEVNULL,
                                    capture_output=True, timeout=row.timeout)
    except subprocess.TimeoutExpired:
        return "strata did not finish within %d s (hung)" % row.timeout
    stderr = result.stderr.decode("utf-8", "replace")
    stdout = result.stdout.decode("utf-8", "replace")

    shown.append(stderr.splitlines()[0] if stderr else "(no stderr)")
    problems = []
    if result.returncode != row.code:
        problems.append("exit %d, expected %d" % (result.returncode, row.code))
    first = stderr.splitlines()[0] if stderr else ""
    if not first.startswith("strata: error: "):
        problems.append("first stderr line is not `strata: error: ...`")
    where = row.where
    if where is not None and where.endswith(":") and hasattr(ctx, "big_line"):
        where += "%d:" % ctx.big_line
    if where is not None and where not in first:
        problems.append("first stderr line does not name %r" % where)
    for text in SANITIZER_REPORTS:
        if text in stderr:
            problems.append("sanitizer report: %r" % text)
    for text in row.contains:
        if text not in stderr:
            problems.append("stderr lacks %r" % text)
    # Let strata's files go before looking at them (a nobody-owned, read-only folder included).
    after = snapshot(db)
    if after != before:
        problems.append("database changed: %s -> %s" % (before[0], after[0]) if before[0] !=
                        after[0] else "database bytes changed")
    left = sorted(leftovers(db) - journals_before)
    if left:
        problems.append("left behind: " + ", ".join(os.path.basename(p) for p in left))
    if row.extra_check:
        extra = row.extra_check(ctx)
        if extra:
            problems.append(extra)
    if not problems:
        if not keep:
            remove_case(case)
        return None
    detail = "; ".join(problems)
    detail += "\n      command: (cd %s && %s)" % (case, " ".join(cmd))
    if stderr.strip():
        detail += "\n      stderr: " + stderr.strip().replace("\n", "\n              ")[:600]
    if stdout.strip():
        detail += "\n      stdout: " + stdout.strip().replace("\n", "\n              ")[:300]
    return detail


def remove_case(case):
    for top, dirs, _ in os.walk(case):
        for name in dirs:
            full = os.path.join(top, name)
            if not os.path.islink(full):
                os.chmod(full, 0o755)
    os.chmod(case, 0o755)
    shutil.rmtree(case, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, help="Meson build folder holding strata")
    parser.add_argument("--quick", action="store_true",
                        help="huge-file rows use %d MB instead of %d MB" % (BIG_MB_QUICK,
                                                                           BIG_MB_FULL))
    parser.add_argument("--only", help="comma-separated row names to run")
    parser.add_argument("--keep", action="store_true", help="keep every case folder")
    parser.add_argument("--verbose", action="store_true",
                        help="also print the first stderr line of passing rows")
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    parser.add_argument("--work", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                        help="where case folders are made (default /dev/shm)")
    args = parser.parse_args()

    table = rows()
    if args.list:
        for row in table:
            print("%-40s exit %d  %-8s %s" % (row.name, row.code, row.user, " ".join(row.args)))
        return 0
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {row.name for row in table}
        if unknown:
            sys.exit("unknown row(s): " + ", ".join(sorted(unknown)))
        table = [row for row in table if row.name in wanted]

    if os.geteuid() != 0 and any(row.user == "nobody" for row in table):
        sys.exit("run as root: the permission rows switch to uid %d with setpriv" % NOBODY)

    binary = os.path.join(os.path.abspath(args.build), "strata")
    if not os.access(binary, os.X_OK):
        sys.exit("no strata binary at " + binary)
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="strata-bad-inputs.", dir=args.work)
    os.chmod(work, 0o755)
    # A copy the unprivileged user can execute, wherever the build folder is.
    strata = os.path.join(work, "strata")
    shutil.copy2(binary, strata)
    os.chmod(strata, 0o755)
    big_mb = BIG_MB_QUICK if args.quick else BIG_MB_FULL
    print("bad inputs: %d rows, strata %s, work %s, huge files %d MB" % (len(table), binary, work,
                                                                           big_mb))
    base, baseline = make_baseline(work, strata)

    passed = failed = 0
    for row in table:
        row_started = time.monotonic()
        try:
            shown = []
            problem = run_row(row, work, base, baseline, strata, big_mb, args.keep, shown)
        except Exception as error:  # a broken row is a failure, not a crash of the suite
            problem = "harness error: %r" % (error,)
        took = time.monotonic() - row_started
        if problem is None:
            passed += 1
            print("ok    %-40s exit %d  (%.2f s)" % (row.name, row.code, took))
            if args.verbose and shown:
                print("      " + shown[0][:160])
        else:
            failed += 1
            print("FAIL  %-40s %s" % (row.name, problem))
            if row.note:
                print("      note: " + row.note)
            print("      reproduce: %s --build %s --only %s --keep" % (sys.argv[0], args.build,
                                                                      row.name))
    by_code = {}
    for row in table:
        by_code[row.code] = by_code.get(row.code, 0) + 1
    print("rows by expected exit code: " +
          ", ".join("%d: %d" % item for item in sorted(by_code.items())) +
          "; %d run as uid %d" % (sum(row.user == "nobody" for row in table), NOBODY))
    if not args.keep and failed == 0:
        remove_case(work)
    else:
        print("case folders kept under " + work)
    print("bad inputs took %.1f s" % (time.monotonic() - started))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
