#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The consistency oracle of the reliability suite.

A database is CONSISTENT for a fixture of N migrations (one app, files in
PROJECT/migrations/<app>) when:
  - PRAGMA integrity_check is ok and PRAGMA foreign_key_check is empty;
  - the state table `migrations` holds exactly the app's migrations 1..k, in id order, with the
    checksums of their up files (no table, or no file at all, means k = 0);
  - its schema and data fingerprints equal those of a fresh database to which plain SQLite
    (this module, not strata) applied up files 1..k in order, each in its own transaction,
    with the file's `-- strata:after-commit` section run after the commit;
  - after this check opened (and so recovered) it, no hot rollback journal is left beside it.

The fingerprints leave out the `migrations` table, sqlite_sequence and the sqlite_stat tables
(ANALYZE runs in an after-commit section, which a crash may legitimately skip).

Command line:  oracle.py --project DIR --db PATH [--app core] [--target N]
prints `CONSISTENT k=<k>` (exit 0) or `INCONSISTENT: <reason>` (exit 1).
Python:        import oracle; ok, k, reason = oracle.check(project, db, app="core", target=None)

Reference fingerprints are computed once per fixture content and cached on disk (under
$STRATA_ORACLE_CACHE, else /dev/shm/strata-oracle-cache, else the temp folder), so a sweep that
checks thousands of databases builds them once.
"""

import argparse
import hashlib
import json
import marshal
import os
import re
import sqlite3
import sys
import tempfile

MARKER = "-- strata:after-commit"
UP_NAME = re.compile(r"^(\d+)_(.+)\.up\.sql$")
EXCLUDED_TABLES = ("migrations", "sqlite_sequence")

# In-process memo of reference fingerprints: key -> list indexed by k.
_memo = {}


def normalise(raw):
    """The text strata checksums and runs: BOM removed, CRLF turned into LF."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.replace(b"\r\n", b"\n")


def list_migrations(project, app="core"):
    """The app's migrations in the order strata applies them: [(id, up_path, down_path)]."""
    folder = os.path.join(project, "migrations", app)
    found = []
    for name in os.listdir(folder):
        m = UP_NAME.match(name)
        if m:
            down = os.path.join(folder, name[: -len(".up.sql")] + ".down.sql")
            found.append((int(m.group(1)), m.group(1), os.path.join(folder, name), down))
    found.sort()
    return [(ident, up, down) for _, ident, up, down in found]


def split_sections(text):
    """(in_transaction, after_commit): the file split at a line that reads exactly MARKER."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.rstrip(" \t\r") == MARKER:
            return "\n".join(lines[:i]) + "\n", "\n".join(lines[i + 1 :])
    return text, ""


def apply_file(conn, path):
    """Runs one migration file as strata would, with foreign keys off (strata's default
    "deferred" mode turns enforcement off before BEGIN) and one transaction."""
    body, after = split_sections(normalise(open(path, "rb").read()).decode("utf-8"))
    conn.executescript("BEGIN IMMEDIATE;\n" + body + "\n;\nCOMMIT;")
    if after.strip():
        conn.executescript(after)


def table_names(conn):
    rows = conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_stat%' "
        "ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows if r[0] not in EXCLUDED_TABLES]


def fingerprint(conn):
    """{"schema": digest, "tables": {table: digest}}: rows compared as sorted multisets, so a
    duplicated row (a double application) changes the digest and row order does not."""
    schema_rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema "
        "WHERE tbl_name NOT IN ('migrations', 'sqlite_sequence') "
        "AND name NOT LIKE 'sqlite_stat%' ORDER BY type, name"
    ).fetchall()
    schema = hashlib.sha256(repr(schema_rows).encode()).hexdigest()
    tables = {}
    for table in table_names(conn):
        quoted = '"' + table.replace('"', '""') + '"'
        width = len(conn.execute("SELECT * FROM %s LIMIT 0" % quoted).description)
        # Sorted by every column (binary collation, whatever the declared one), so the digest
        # is that of the rows as a multiset and SQLite does the sorting.
        order = ", ".join("%d COLLATE BINARY" % (i + 1) for i in range(width))
        rows = conn.execute("SELECT * FROM %s ORDER BY %s" % (quoted, order)).fetchall()
        tables[table] = hashlib.sha256(marshal.dumps(rows)).hexdigest()
    return {"schema": schema, "tables": tables, "schema_rows": [list(r) for r in schema_rows]}


def _cache_dir():
    base = os.environ.get("STRATA_ORACLE_CACHE")
    if not base:
        shm = "/dev/shm"
        parent = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else tempfile.gettempdir()
        base = os.path.join(parent, "strata-oracle-cache")
    os.makedirs(base, exist_ok=True)
    return base


def fixture_key(project, app="core"):
    """A digest of the app's migration files: copies of one fixture share their references."""
    # marshal's format and SQLite's output may change between versions: part of the key.
    version = "v2:%s:%d.%d:%s" % (sqlite3.sqlite_version, *sys.version_info[:2], app)
    h = hashlib.sha256(version.encode())
    for ident, up, _ in list_migrations(project, app):
        h.update(b"\0" + ident.encode() + b"\0" + normalise(open(up, "rb").read()))
    return h.hexdigest()[:32]


def references(project, app="core"):
    """Reference fingerprints for k = 0..N (a list indexed by k), built with plain SQLite on a
    fresh in-memory database and cached on disk."""
    key = fixture_key(project, app)
    if key in _memo:
        return _memo[key]
    path = os.path.join(_cache_dir(), key + ".json")
    try:
        with open(path) as f:
            refs = json.load(f)
    except (OSError, ValueError):
        conn = sqlite3.connect(":memory:", isolation_level=None)
        refs = [fingerprint(conn)]
        for _, up, _ in list_migrations(project, app):
            apply_file(conn, up)
            refs.append(fingerprint(conn))
        conn.close()
        # Written under a unique name and renamed: parallel sweeps may race to fill the cache.
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(refs, f)
        os.replace(tmp, path)
    _memo[key] = refs
    return refs


def checksums(project, app="core"):
    return [
        hashlib.sha256(normalise(open(up, "rb").read())).hexdigest()
        for _, up, _ in list_migrations(project, app)
    ]


def _describe_difference(actual, expected, k):
    if actual["schema"] != expected["schema"]:
        have = {tuple(r[:2]) for r in actual["schema_rows"]}
        want = {tuple(r[:2]) for r in expected["schema_rows"]}
        extra = sorted(have - want)
        missing = sorted(want - have)
        if extra or missing:
            return "schema differs from the reference at k=%d: extra %s, missing %s" % (
                k,
                extra,
                missing,
            )
        changed = sorted(
            tuple(a[:2])
            for a in actual["schema_rows"]
            for e in expected["schema_rows"]
            if a[:2] == e[:2] and a != e
        )
        return "schema differs from the reference at k=%d: changed %s" % (k, changed)
    tables = sorted(
        t
        for t in set(actual["tables"]) | set(expected["tables"])
        if actual["tables"].get(t) != expected["tables"].get(t)
    )
    return "data differs from the reference at k=%d in tables %s" % (k, tables)


def _journal_is_hot(path):
    """A leftover rollback journal SQLite would play back: non-empty with a valid header."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return False
    return head == b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"


def check(project, db, app="core", target=None):
    """(ok, k, reason): whether `db` is CONSISTENT for the fixture at `project`; k is the number
    of applied migrations (-1 when it cannot be told); reason is "" when ok."""
    project = os.path.abspath(project)
    refs = references(project, app)
    n = len(refs) - 1
    if not os.path.exists(db):
        k = 0
        if target is not None and k != target:
            return False, k, "database missing: k=0, expected k=%d" % target
        return True, 0, ""

    try:
        # mode=rw: never creates the file; opening it rolls a hot journal back (the recovery
        # SQLite performs on the next open after a crash).
        conn = sqlite3.connect("file:%s?mode=rw" % db, uri=True, isolation_level=None)
    except sqlite3.Error as e:
        return False, -1, "cannot open: %s" % e
    try:
        try:
            integrity = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            if integrity != ["ok"]:
                return False, -1, "integrity_check: %s" % "; ".join(integrity[:5])
            violations = conn.execute("PRAGMA foreign_key_check").fetchall()
            if violations:
                return False, -1, "foreign_key_check: %s" % violations[:5]
            has_state = conn.execute(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'migrations'"
            ).fetchone()[0]
            rows = []
            if has_state:
                rows = conn.execute(
                    "SELECT app_name, name, checksum FROM migrations ORDER BY id"
                ).fetchall()
            journal_mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            actual = fingerprint(conn)
        except sqlite3.Error as e:
            return False, -1, "cannot read: %s" % e
    finally:
        conn.close()

    ids = [ident for ident, _, _ in list_migrations(project, app)]
    sums = checksums(project, app)
    k = len(rows)
    if k > n:
        return False, k, "state table holds %d rows, the fixture has %d migrations" % (k, n)
    for i, (row_app, name, checksum) in enumerate(rows):
        if row_app != app or name != ids[i]:
            return False, k, "state row %d is (%s, %s), expected (%s, %s): not migrations 1..%d" % (
                i + 1,
                row_app,
                name,
                app,
                ids[i],
                k,
            )
        if checksum != sums[i]:
            return False, k, "state row %d (%s) has checksum %s, the file's is %s" % (
                i + 1,
                name,
                checksum,
                sums[i],
            )
    expected = refs[k]
    if actual["schema"] != expected["schema"] or actual["tables"] != expected["tables"]:
        return False, k, _describe_difference(actual, expected, k)
    if journal_mode == "delete" and _journal_is_hot(db + "-journal"):
        return False, k, "a hot journal is left beside the database after it was reopened"
    if target is not None and k != target:
        return False, k, "consistent at k=%d, expected k=%d" % (k, target)
    return True, k, ""


def main(argv=None):
    parser = argparse.ArgumentParser(description="Checks a strata database against a fixture.")
    parser.add_argument("--project", required=True, help="the fixture's folder (strata.toml)")
    parser.add_argument("--db", required=True, help="the database file")
    parser.add_argument("--app", default="core")
    parser.add_argument("--target", type=int, default=None, help="also require k == TARGET")
    args = parser.parse_args(argv)
    ok, k, reason = check(args.project, args.db, args.app, args.target)
    if ok:
        print("CONSISTENT k=%d" % k)
        return 0
    print("INCONSISTENT: %s" % reason)
    return 1


if __name__ == "__main__":
    sys.exit(main())
