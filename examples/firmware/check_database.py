#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks that a device database equals a fresh database at one release, without strata.

    check_database.py DATABASE PROJECT_DIR [--through ID]

PROJECT_DIR is a release's strata project (examples/firmware/v1 or v2). The reference is built
by plain SQLite (Python's sqlite3 module): a new in-memory database to which each of the
release's up files, in id order (up to and including migration ID with --through), is applied
as SQLite's ALTER TABLE documentation asks of a table rebuild: foreign keys off, one
transaction, `PRAGMA foreign_key_check` empty before COMMIT. The database equals the reference
when:
  - `PRAGMA integrity_check` is ok and `PRAGMA foreign_key_check` is empty;
  - every object of sqlite_schema (type, name, table, SQL text) is the same, the SQL text
    normalised (whitespace, and the quotes `ALTER TABLE ... RENAME` puts around a name);
  - every table holds the same rows (compared as multisets of every column), sqlite_sequence
    included, except the row of strata's own state table;
  - the state table lists exactly the reference's migrations, in order, with the checksums of
    their up files (SHA-256) and their down files' SQL (what `sync` runs after a rollback).
The database is checked on a copy (with its -journal or -wal file), so a hot journal left by a
power cut stays for strata to roll back.

Prints "ok: ..." and exits 0, or prints what differs and exits 1. From Python:
`Checker().compare(database, project_dir, through=None)` returns a list of differences (empty
when equal) and keeps each reference for the next call.
"""

import argparse
import collections
import difflib
import hashlib
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import tomllib

AFTER_COMMIT = "-- strata:after-commit"
UP_FILE = re.compile(r"^(\d+)_(.+)\.up\.sql$")
SQL_TOKEN = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|--[^\n]*|/\*.*?\*/|\s+"""
    r"""|[A-Za-z0-9_$]+|.""",
    re.S,
)
PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
SHOWN_ROWS = 10


class Migration:
    """One migration of a release: its app, id, and the text of its up and down files."""

    def __init__(self, app, ident, up_path):
        self.app = app
        self.ident = ident
        self.up = read_migration_file(up_path)
        self.down = read_migration_file(up_path[: -len(".up.sql")] + ".down.sql")
        self.checksum = hashlib.sha256(self.up.encode("utf-8")).hexdigest()


class Release:
    """A release's project: the state table's name and its migrations in the order applied."""

    def __init__(self, project_dir):
        with open(os.path.join(project_dir, "strata.toml"), "rb") as f:
            settings = tomllib.load(f)
        self.state_table = settings.get("state_table", "migrations")
        self.migrations = []
        # Apps in file order: enough for the releases here, whose one app depends on nothing.
        for app in settings["apps"]:
            folder = os.path.join(project_dir, app["migrations"])
            found = sorted(
                (int(m.group(1)), m.group(1), name)
                for name in os.listdir(folder)
                if (m := UP_FILE.match(name))
            )
            self.migrations += [
                Migration(app["name"], ident, os.path.join(folder, name))
                for _, ident, name in found
            ]

    def through(self, ident):
        """The migrations up to and including `ident` (all of them when None)."""
        if ident is None:
            return self.migrations
        for i, migration in enumerate(self.migrations):
            if int(migration.ident) == int(ident):
                return self.migrations[: i + 1]
        raise ValueError("the release has no migration %s" % ident)


def read_migration_file(path):
    """The text strata runs and checksums: byte-order mark removed, CRLF turned into LF."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.replace(b"\r\n", b"\n").decode("utf-8")


def normalise_sql(text):
    """SQL text as tokens separated by single spaces, comments dropped and plain names
    unquoted, so "CREATE TABLE \"sensors\" (" (after a rename) equals "CREATE TABLE sensors(".
    """
    if text is None:
        return None
    tokens = []
    for token in SQL_TOKEN.findall(text):
        if token.isspace() or token.startswith("--") or token.startswith("/*"):
            continue
        if token[0] in "\"`[" and PLAIN_NAME.match(token[1:-1]):
            token = token[1:-1]
        tokens.append(token)
    return " ".join(tokens)


def quote(name):
    return '"' + name.replace('"', '""') + '"'


class Snapshot:
    """What is compared of one database: schema, rows, state table and health checks."""

    def __init__(self, conn, state_table):
        self.problems = []
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            self.problems.append("integrity_check: " + "; ".join(integrity[:5]))
        orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
        if orphans:
            self.problems.append("foreign_key_check: %s" % orphans[:5])
        skipped = (state_table.lower(), "sqlite_sequence")
        self.schema = sorted(
            (kind, name, table, normalise_sql(sql))
            for kind, name, table, sql in conn.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_schema"
            )
            if table.lower() not in skipped
        )
        self.tables = [name for kind, name, _, _ in self.schema if kind == "table"]
        self.rows = {table: table_rows(conn, table) for table in self.tables}
        self.rows["sqlite_sequence"] = []
        if conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").fetchone():
            self.rows["sqlite_sequence"] = [
                row
                for row in table_rows(conn, "sqlite_sequence")
                if row[0].lower() != state_table.lower()
            ]
        self.state = []
        if conn.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE",
            (state_table,),
        ).fetchone():
            self.state = conn.execute(
                "SELECT app_name, name, checksum, down_sql FROM %s ORDER BY id" % quote(state_table)
            ).fetchall()


def table_rows(conn, table):
    """Every row of `table`, every column, sorted by SQLite (binary collation) so the list is
    the rows as a multiset."""
    width = len(conn.execute("SELECT * FROM %s LIMIT 0" % quote(table)).description)
    order = ", ".join("%d COLLATE BINARY" % (i + 1) for i in range(width))
    return conn.execute("SELECT * FROM %s ORDER BY %s" % (quote(table), order)).fetchall()


def build_reference(migrations):
    """A fresh in-memory database with `migrations` applied by plain SQLite."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    # Step 1 of SQLite's procedure for a table rebuild: with enforcement on, the DROP TABLE of a
    # parent would cascade to its children.
    conn.execute("PRAGMA foreign_keys = OFF")
    for migration in migrations:
        body, _, after_commit = migration.up.partition("\n" + AFTER_COMMIT + "\n")
        conn.executescript("BEGIN IMMEDIATE;\n" + body + "\n;")
        orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
        if orphans:
            raise RuntimeError(
                "the reference is broken: %s %s leaves rows whose foreign keys point nowhere: %s"
                % (migration.app, migration.ident, orphans[:5])
            )
        conn.execute("COMMIT")
        if after_commit.strip():
            conn.executescript(after_commit)
    return conn


def open_copy(database, scratch):
    """A connection to a copy of `database` and its journal, so opening it (which rolls a hot
    journal back) leaves the original as strata will find it."""
    copy = os.path.join(scratch, "copy.db")
    for suffix in ("", "-journal", "-wal"):
        if os.path.exists(copy + suffix):
            os.remove(copy + suffix)
        if os.path.exists(database + suffix):
            shutil.copyfile(database + suffix, copy + suffix)
    return sqlite3.connect("file:%s?mode=rw" % copy, uri=True, isolation_level=None)


def describe_rows(table, have, want):
    """The rows only the database or only the reference holds, a few of each."""
    extra = collections.Counter(have) - collections.Counter(want)
    missing = collections.Counter(want) - collections.Counter(have)
    lines = ["table %s: %d row(s) in the database, %d in the reference" % (
        table, len(have), len(want))]
    for label, source, rows in (("only in the database", have, extra),
                                ("only in the reference", want, missing)):
        listed = []
        for row in source:  # in SQLite's order, as the rows were read
            if rows[row] > 0:
                rows[row] -= 1
                listed.append(row)
        for row in listed[:SHOWN_ROWS]:
            lines.append("  %s: %r" % (label, row))
        if len(listed) > SHOWN_ROWS:
            lines.append("  %s: ... %d more" % (label, len(listed) - SHOWN_ROWS))
    return lines


def differences(actual, expected, migrations):
    """Readable lines saying how `actual` differs from `expected` (none when equal)."""
    lines = list(actual.problems)
    if actual.schema != expected.schema:
        lines.append("schema (normalised sqlite_schema rows) differs:")
        lines += [
            "  " + line.rstrip("\n")
            for line in difflib.unified_diff(
                ["%s %s on %s: %s" % row for row in expected.schema],
                ["%s %s on %s: %s" % row for row in actual.schema],
                "reference", "database", lineterm="", n=0,
            )
        ]
    for table in sorted(set(actual.rows) | set(expected.rows)):
        have, want = actual.rows.get(table, []), expected.rows.get(table, [])
        if have != want:
            lines += describe_rows(table, have, want)
    wanted_state = [(m.app, m.ident, m.checksum, m.down) for m in migrations]
    if actual.state != wanted_state:
        lines.append("state table differs (applied migrations, in order):")
        for i in range(max(len(actual.state), len(wanted_state))):
            have = actual.state[i] if i < len(actual.state) else None
            want = wanted_state[i] if i < len(wanted_state) else None
            if have == want:
                continue
            lines.append("  #%d: database %s, reference %s" % (
                i + 1, describe_state_row(have), describe_state_row(want)))
            if have and want and have[:2] == want[:2]:
                if have[2] != want[2]:
                    lines.append("      checksum %s, the up file's is %s" % (have[2], want[2]))
                if have[3] != want[3]:
                    lines.append("      the stored down SQL is not the down file's")
    return lines


def describe_state_row(row):
    return "(none)" if row is None else "%s %s" % (row[0], row[1])


class Checker:
    """Compares databases with references, building each reference once."""

    def __init__(self):
        self._references = {}
        self._scratch = tempfile.mkdtemp(prefix="firmware-check.")

    def close(self):
        shutil.rmtree(self._scratch, ignore_errors=True)

    def reference(self, project_dir, through=None):
        """(migrations, Snapshot) of a fresh database at `project_dir`'s release, up to and
        including migration `through` (every migration when None)."""
        key = (os.path.abspath(project_dir), None if through is None else int(through))
        if key not in self._references:
            release = Release(project_dir)
            migrations = release.through(through)
            conn = build_reference(migrations)
            try:
                self._references[key] = (migrations, Snapshot(conn, release.state_table))
            finally:
                conn.close()
        return self._references[key]

    def open_copy(self, database):
        """A connection to a copy of `database` (see open_copy)."""
        return open_copy(database, self._scratch)

    def compare(self, database, project_dir, through=None):
        """The differences between `database` and the reference (an empty list when equal)."""
        migrations, expected = self.reference(project_dir, through)
        if not os.path.exists(database):
            return ["the database %s does not exist" % database]
        conn = self.open_copy(database)
        try:
            actual = Snapshot(conn, Release(project_dir).state_table)
        finally:
            conn.close()
        return differences(actual, expected, migrations)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database")
    parser.add_argument("project_dir", help="the release's strata project (v1 or v2)")
    parser.add_argument("--through", metavar="ID", help="the last migration applied")
    args = parser.parse_args()
    checker = Checker()
    try:
        found = checker.compare(args.database, args.project_dir, args.through)
        migrations, _ = checker.reference(args.project_dir, args.through)
    finally:
        checker.close()
    if found:
        print("\n".join(found))
        return 1
    print("ok: %s equals a fresh database with %d migration(s) of %s" % (
        args.database, len(migrations), args.project_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
