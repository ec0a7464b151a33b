# SPDX-License-Identifier: MIT
"""Round trip of `strata import` for one format (issue 12, part 3): a project in that tool's
format, its database migrated by a model of that tool (tool_models.py), imported with
--database, then `strata check` shows everything applied and `strata backwards all --yes`
reverses everything, leaving no project object behind. Also the refusals and the list of what
cannot be converted.

    python3 test_import_roundtrip.py STRATA FORMAT
"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tool_models  # noqa: E402

USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n" \
        "CREATE INDEX users_email ON users (email);\n"
USERS_DOWN = "DROP INDEX users_email;\nDROP TABLE users;\n"
POSTS = "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, title TEXT);\n"
TRIGGER = ("CREATE TRIGGER posts_title AFTER INSERT ON posts BEGIN\n"
           "  UPDATE posts SET title = trim(new.title) WHERE id = new.id;\n"
           "END;\n")
POSTS_DOWN = "DROP TRIGGER posts_title;\nDROP TABLE posts;\n"
VIEW = "CREATE VIEW user_posts AS SELECT users.email, posts.title FROM users JOIN posts " \
       "ON posts.user_id = users.id;\n"
VIEW_DOWN = "DROP VIEW user_posts;\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def crlf(text):
    return text.replace("\n", "\r\n")


def make_source(fmt, src):
    """The same three migrations in `fmt`'s layout, with that tool's markers; the number of
    migrations strata should write."""
    if fmt == "golang-migrate":
        write(f"{src}/000001_create_users.up.sql", crlf(USERS))
        write(f"{src}/000001_create_users.down.sql", crlf(USERS_DOWN))
        write(f"{src}/000002_create_posts.up.sql", POSTS + TRIGGER)
        write(f"{src}/000002_create_posts.down.sql", POSTS_DOWN)
        write(f"{src}/000003_user_posts.up.sql", VIEW)
        write(f"{src}/000003_user_posts.down.sql", VIEW_DOWN)
    elif fmt == "goose":
        write(f"{src}/00001_create_users.sql",
              crlf("-- +goose Up\n" + USERS + "\n-- +goose Down\n" + USERS_DOWN))
        write(f"{src}/00002_create_posts.sql",
              "-- +goose Up\n" + POSTS + "-- +goose StatementBegin\n" + TRIGGER +
              "-- +goose StatementEnd\n\n-- +goose Down\n" + POSTS_DOWN)
        write(f"{src}/00003_user_posts.sql",
              "-- +goose Up\n" + VIEW + "-- +goose Down\n" + VIEW_DOWN)
        write(f"{src}/00004_compact.sql", "-- +goose NO TRANSACTION\n-- +goose Up\nVACUUM;\n"
                                          "-- +goose Down\n")
        return 4
    elif fmt == "dbmate":
        write(f"{src}/20240101000000_create_users.sql",
              "-- migrate:up\n" + USERS + "\n-- migrate:down\n" + USERS_DOWN)
        write(f"{src}/20240102000000_create_posts.sql",
              crlf("-- migrate:up\n" + POSTS + TRIGGER + "\n-- migrate:down\n" + POSTS_DOWN))
        write(f"{src}/20240103000000_user_posts.sql",
              "-- migrate:up\n" + VIEW + "\n-- migrate:down\n" + VIEW_DOWN)
        write(f"{src}/20240104000000_compact.sql",
              "-- migrate:up transaction:false\nVACUUM;\n\n-- migrate:down\n")
        return 4
    elif fmt == "sqlx":
        write(f"{src}/20240101000000_create_users.up.sql", USERS)
        write(f"{src}/20240101000000_create_users.down.sql", USERS_DOWN)
        write(f"{src}/20240102000000_create_posts.up.sql", crlf(POSTS + TRIGGER))
        write(f"{src}/20240102000000_create_posts.down.sql", crlf(POSTS_DOWN))
        write(f"{src}/20240103000000_user_posts.up.sql", VIEW)
        write(f"{src}/20240103000000_user_posts.down.sql", VIEW_DOWN)
        # A simple (irreversible) migration: its data goes with the table the older down drops.
        write(f"{src}/20240104000000_seed_users.sql",
              "INSERT INTO users (email) VALUES ('a@example.com');\n")
        return 4
    elif fmt == "diesel":
        write(f"{src}/2024-01-01-000000_create_users/up.sql", USERS)
        write(f"{src}/2024-01-01-000000_create_users/down.sql", USERS_DOWN)
        write(f"{src}/2024-01-02-000000_create_posts/up.sql", POSTS + TRIGGER)
        write(f"{src}/2024-01-02-000000_create_posts/down.sql", crlf(POSTS_DOWN))
        write(f"{src}/2024-01-03-000000_user_posts/up.sql", VIEW)
        write(f"{src}/2024-01-03-000000_user_posts/down.sql", VIEW_DOWN)
    return 3


TOOL_TABLES = {"golang-migrate": {"schema_migrations", "version_unique"},
               "goose": {"goose_db_version"}, "dbmate": {"schema_migrations"},
               "sqlx": {"_sqlx_migrations"}, "diesel": {"__diesel_schema_migrations"}}


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


def run(strata, cwd, *args):
    return subprocess.run([strata, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def project(root):
    write(f"{root}/strata.toml",
          'database = "app.db"\n[[apps]]\nname = "core"\nmigrations = "migrations/core"\n')
    os.makedirs(f"{root}/migrations/core", exist_ok=True)


def objects(database):
    db = sqlite3.connect(database)
    rows = db.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                      "ORDER BY name").fetchall()
    db.close()
    return [name for (name,) in rows]


def tool_rows(database, fmt):
    db = sqlite3.connect(database)
    table = {"golang-migrate": "schema_migrations", "goose": "goose_db_version",
             "dbmate": "schema_migrations", "sqlx": "_sqlx_migrations",
             "diesel": "__diesel_schema_migrations"}[fmt]
    rows = db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    db.close()
    return rows


def round_trip(strata, fmt, root):
    project(root)
    count = make_source(fmt, f"{root}/src")
    model = tool_models.MODELS[fmt]
    if fmt == "goose":
        model(f"{root}/src", f"{root}/app.db", reapply=(3,))
    else:
        model(f"{root}/src", f"{root}/app.db")
    before = tool_rows(f"{root}/app.db", fmt)

    done = run(strata, root, "import", "--from", fmt, "src", "--database", "app.db", "--json")
    expect(done.returncode == 0, f"import exited {done.returncode}: {done.stderr}")
    document = json.loads(done.stdout)
    expect(document["ok"] and len(document["files"]) == 2 * count,
           f"import wrote {document['files']}")
    expect(len(document["adopted"]) == count, f"adopted {document['adopted']}")
    expect(len(os.listdir(f"{root}/migrations/core")) == 2 * count, "files in the app folder")

    check = run(strata, root, "check", "--json")
    expect(check.returncode == 0, f"check exited {check.returncode}: {check.stderr}")
    statuses = [m["status"] for m in json.loads(check.stdout)["migrations"]]
    expect(statuses == ["applied"] * count, f"check: {statuses}")
    forwards = run(strata, root, "forwards")
    expect(forwards.returncode == 0 and "No migrations" in forwards.stdout,
           f"forwards after import: {forwards.stdout}{forwards.stderr}")

    back = run(strata, root, "backwards", "all", "--yes")
    expect(back.returncode == 0, f"backwards exited {back.returncode}: {back.stderr}")
    left = set(objects(f"{root}/app.db")) - TOOL_TABLES[fmt] - {"migrations"}
    expect(not left, f"objects left after backwards all: {sorted(left)}")
    expect(tool_rows(f"{root}/app.db", fmt) == before, f"{fmt}'s table was changed")

    # The converted files run under strata too (goose's and dbmate's VACUUM after commit).
    again = run(strata, root, "forwards")
    expect(again.returncode == 0, f"forwards of the converted files: {again.stderr}")
    check = run(strata, root, "check", "--json")
    statuses = [m["status"] for m in json.loads(check.stdout)["migrations"]]
    expect(statuses == ["applied"] * count, f"check after forwards: {statuses}")


def refusals(strata, fmt, root):
    """A golang-migrate database left dirty and a failed sqlx migration are refused before a file
    is written; goose's Go migrations are listed as not converted (exit 1)."""
    project(root)
    make_source(fmt, f"{root}/src")
    tool_models.MODELS[fmt](f"{root}/src", f"{root}/app.db")
    db = sqlite3.connect(f"{root}/app.db")
    if fmt == "golang-migrate":
        db.execute("UPDATE schema_migrations SET dirty = 1")
    elif fmt == "sqlx":
        db.execute("UPDATE _sqlx_migrations SET success = 0 WHERE version = 20240103000000")
    db.commit()
    db.close()
    if fmt in ("golang-migrate", "sqlx"):
        done = run(strata, root, "import", "--from", fmt, "src", "--database", "app.db")
        expect(done.returncode == 1, f"refusal exited {done.returncode}: {done.stderr}")
        expect(("dirty" if fmt == "golang-migrate" else "failed") in done.stderr, done.stderr)
        expect(os.listdir(f"{root}/migrations/core") == [], "a refused import wrote files")
    if fmt == "golang-migrate":
        # The version golang-migrate stands at has no file here: it is listed, not recorded.
        with tempfile.TemporaryDirectory() as other:
            project(other)
            make_source(fmt, f"{other}/src")
            tool_models.golang_migrate(f"{other}/src", f"{other}/app.db")
            os.remove(f"{other}/src/000003_user_posts.up.sql")
            done = run(strata, other, "import", "--from", fmt, "src", "--database", "app.db",
                       "--json")
            document = json.loads(done.stdout)
            expect(done.returncode == 1 and document["adopted"] == ["000001", "000002"],
                   f"golang-migrate past the files: {done.returncode} {document['adopted']}")
            reasons = [s["reason"] for s in document["skipped"]]
            expect("version 3 is applied in the database but was not converted, so it is not "
                   "recorded" in reasons, f"skipped: {reasons}")
    if fmt == "goose":
        # The newest row of a version decides: 00003 was rolled back (is_applied = 0) after it
        # was applied, so it is not adopted.
        with tempfile.TemporaryDirectory() as other:
            project(other)
            make_source(fmt, f"{other}/src")
            tool_models.goose(f"{other}/src", f"{other}/app.db")
            db = sqlite3.connect(f"{other}/app.db")
            db.executescript("DROP VIEW user_posts; INSERT INTO goose_db_version "
                             "(version_id, is_applied) VALUES (3, 0);")
            db.close()
            done = run(strata, other, "import", "--from", fmt, "src", "--database", "app.db",
                       "--json")
            adopted = json.loads(done.stdout)["adopted"]
            expect(adopted == ["00001", "00002", "00004"], f"goose rollback: adopted {adopted}")
        write(f"{root}/src/00005_backfill.go", "package migrations\n")
        done = run(strata, root, "import", "--from", fmt, "src")
        expect(done.returncode == 1, f"import with a Go migration exited {done.returncode}")
        expect("00005_backfill.go: a goose migration written in Go" in done.stderr, done.stderr)
        expect(len(os.listdir(f"{root}/migrations/core")) == 8, "the SQL ones are written")
        again = run(strata, root, "import", "--from", fmt, "src")
        expect(again.returncode == 2 and "already has a migration" in again.stderr,
               f"a second import: {again.returncode} {again.stderr}")


def main():
    strata, fmt = os.path.abspath(sys.argv[1]), sys.argv[2]
    failures = 0
    for test in (round_trip, refusals):
        with tempfile.TemporaryDirectory() as root:
            try:
                test(strata, fmt, root)
                print(f"ok {test.__name__} {fmt}")
            except Failure as failure:
                failures += 1
                print(f"FAIL {test.__name__} {fmt}: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
