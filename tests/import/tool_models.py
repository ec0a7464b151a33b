# SPDX-License-Identifier: MIT
"""Small, faithful models of how other migration runners apply SQL files to SQLite and record
them, so that `strata import --database` can be tested on the databases they leave behind.
Each model applies a folder in its tool's format, in version order, and writes its state table
as that tool does. Standard library only."""

import hashlib
import os
import re
import sqlite3


def _connect(database):
    db = sqlite3.connect(database, isolation_level=None)
    return db


def _in_transaction(db, sql):
    db.executescript("BEGIN;\n" + sql + "\nCOMMIT;")


def _split(text, up_marker, down_marker, drop=()):
    """The up and down sections of a single-file migration: (up, down, options of the up line)."""
    up, down, section, options = [], [], None, ""
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith(up_marker):
            section, options = up, stripped[len(up_marker):]
            continue
        if stripped.startswith(down_marker):
            section = down
            continue
        if any(stripped.startswith(d) for d in drop):
            continue
        if section is not None:
            section.append(line)
    return "".join(up), "".join(down), options


def golang_migrate(folder, database):
    """golang-migrate's sqlite3 driver: one row (version, dirty); dirty while a file runs."""
    db = _connect(database)
    db.executescript("CREATE TABLE IF NOT EXISTS schema_migrations (version uint64, dirty bool);"
                     "CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);")
    for name in sorted(os.listdir(folder), key=lambda n: int(n.split("_")[0])):
        if not name.endswith(".up.sql"):
            continue
        version = int(name.split("_")[0])
        _in_transaction(db, "DELETE FROM schema_migrations; "
                            "INSERT INTO schema_migrations (version, dirty) VALUES (%d, 1);" % version)
        with open(os.path.join(folder, name), encoding="utf-8", newline="") as f:
            _in_transaction(db, f.read())
        _in_transaction(db, "DELETE FROM schema_migrations; "
                            "INSERT INTO schema_migrations (version, dirty) VALUES (%d, 0);" % version)
    db.close()


def goose(folder, database, reapply=()):
    """goose: a goose_db_version row per apply (is_applied = 1) and per rollback (0, in goose's
    older releases); the versions in `reapply` are applied, rolled back and applied again."""
    db = _connect(database)
    exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'goose_db_version'").fetchone()
    if not exists:
        db.executescript("CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                         "version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, "
                         "tstamp TIMESTAMP DEFAULT (datetime('now')));"
                         "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1);")
    names = [n for n in os.listdir(folder) if n.endswith(".sql")]
    for name in sorted(names, key=lambda n: int(n.split("_")[0])):
        version = int(name.split("_")[0])
        with open(os.path.join(folder, name), encoding="utf-8", newline="") as f:
            text = f.read()
        up, down, _ = _split(text, "-- +goose Up", "-- +goose Down",
                             ("-- +goose StatementBegin", "-- +goose StatementEnd"))
        no_tx = "-- +goose NO TRANSACTION" in text
        runs = [(up, 1)]
        if version in reapply:
            runs += [(down, 0), (up, 1)]
        for sql, applied in runs:
            record = ("INSERT INTO goose_db_version (version_id, is_applied) VALUES (%d, %d);"
                      % (version, applied))
            if no_tx:
                db.executescript(sql)
                db.executescript(record)
            else:
                _in_transaction(db, sql + "\n" + record)
    db.close()


def dbmate(folder, database):
    """dbmate: schema_migrations(version) with one row per applied file."""
    db = _connect(database)
    db.executescript('CREATE TABLE IF NOT EXISTS "schema_migrations" '
                     "(version varchar(128) primary key);")
    for name in sorted(n for n in os.listdir(folder) if n.endswith(".sql")):
        version = name.split("_")[0]
        with open(os.path.join(folder, name), encoding="utf-8", newline="") as f:
            up, _, options = _split(f.read(), "-- migrate:up", "-- migrate:down")
        record = "INSERT INTO schema_migrations (version) VALUES ('%s');" % version
        if "transaction:false" in options:
            db.executescript(up)
            db.executescript(record)
        else:
            _in_transaction(db, up + "\n" + record)
    db.close()


def sqlx(folder, database):
    """sqlx: _sqlx_migrations with the description, success flag and SHA-384 of the up file."""
    db = _connect(database)
    db.executescript("CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, "
                     "description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT "
                     "CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, "
                     "execution_time BIGINT NOT NULL);")
    pattern = re.compile(r"^(\d+)_(.+?)(\.up)?\.sql$")
    for name in sorted(os.listdir(folder), key=lambda n: int(n.split("_")[0])):
        match = pattern.match(name)
        if not match or name.endswith(".down.sql"):
            continue
        with open(os.path.join(folder, name), "rb") as f:
            raw = f.read()
        sql = raw.decode("utf-8")
        description = match.group(2).replace("_", " ")
        checksum = hashlib.sha384(raw).digest()
        # executescript would commit first: the statements run one by one inside BEGIN.
        db.execute("BEGIN")
        for statement in _statements(sql):
            db.execute(statement)
        db.execute("INSERT INTO _sqlx_migrations (version, description, success, checksum, "
                   "execution_time) VALUES (?, ?, 1, ?, 0)",
                   (int(match.group(1)), description, checksum))
        db.execute("COMMIT")
    db.close()


def diesel(folder, database):
    """diesel: __diesel_schema_migrations(version, run_on), the version being the folder's date
    and time without dashes."""
    db = _connect(database)
    db.executescript("CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) "
                     "PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);")
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isdir(path):
            continue
        version = name.split("_")[0].replace("-", "")
        with open(os.path.join(path, "up.sql"), encoding="utf-8", newline="") as f:
            up = f.read()
        _in_transaction(db, up + "\nINSERT INTO __diesel_schema_migrations (version) VALUES ('%s');"
                        % version)
    db.close()


def _statements(sql):
    """SQL split into complete statements with SQLite's own rule (sqlite3.complete_statement)."""
    out, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current)
            current = ""
    if current.strip() and not all(l.strip().startswith("--") or not l.strip()
                                   for l in current.splitlines()):
        out.append(current)
    return out


MODELS = {
    "golang-migrate": golang_migrate,
    "goose": goose,
    "dbmate": dbmate,
    "sqlx": sqlx,
    "diesel": diesel,
}
