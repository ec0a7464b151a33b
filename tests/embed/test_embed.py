#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Migrations compiled into an application against the same migrations run from folders.

    test_embed.py STRATA EMBEDDED_APP GENERATED_CPP PROJECT_DIR

EMBEDDED_APP was built by tests/meson.build from GENERATED_CPP, which `strata embed` wrote from
PROJECT_DIR. Checks that the embedded run and the CLI leave the same state rows (ids,
descriptions, checksums, down SQL) and schema, that each sees the other's database as up to
date, that the embedded run reads no migration file, that `strata embed` is deterministic and
that a compiled-in app refuses --clean. Ends with "N passed, N failed"; exits 1 on a failure.
"""

import pathlib
import shutil
import sqlite3
import subprocess
import sys
import tempfile

STRATA, APP, GENERATED, PROJECT = (pathlib.Path(a).resolve() for a in sys.argv[1:5])
FAILURES = []


def run(command, expect=0):
    result = subprocess.run([str(c) for c in command], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, timeout=60)
    if result.returncode != expect:
        raise AssertionError("%s exited with %d (expected %d)\nstdout: %s\nstderr: %s" % (
            " ".join(map(str, command)), result.returncode, expect, result.stdout,
            result.stderr))
    return result


def state_rows(db_path):
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT app_name, name, description, checksum, down_sql FROM migrations"
                          " ORDER BY app_name, name").fetchall()


def schema(db_path):
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema"
                          " WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()


def data(db_path):
    with sqlite3.connect(db_path) as db:
        return (db.execute("SELECT * FROM items ORDER BY id").fetchall(),
                db.execute("SELECT count(*), sum(length(word)) FROM seed").fetchone())


def project_copy(work, name):
    target = work / name
    shutil.copytree(PROJECT, target, ignore=shutil.ignore_patterns("*.db", "*.db-*"))
    return target


def cli(project, *args, expect=0):
    return run([STRATA, "-C", project] + list(args), expect=expect)


def test_same_state_and_schema(work):
    from_folders = project_copy(work, "folders")
    cli(from_folders, "forwards", "--yes")
    embedded = work / "embedded.db"
    out = run([APP, embedded, "forwards"]).stdout
    assert out == "Applied 4 migrations.\n", out
    rows = state_rows(embedded)
    assert len(rows) == 4, rows
    assert rows == state_rows(from_folders / "cli.db"), (rows, state_rows(from_folders / "cli.db"))
    assert schema(embedded) == schema(from_folders / "cli.db")
    assert data(embedded) == data(from_folders / "cli.db")
    # The loader's normalisation applied to the embedded bytes: BOM gone, CRLF turned into LF.
    assert ("core", "0002", "create tags") == rows[1][:3], rows[1]
    assert rows[1][4] == "DROP TABLE tags;\n", rows[1]
    items = data(embedded)[0]
    assert items == [(1, "café ??/ 東京")], items


def test_cli_database_is_up_to_date_for_the_app(work):
    project = project_copy(work, "cli-first")
    cli(project, "forwards", "--yes")
    status = run([APP, project / "cli.db", "check"]).stdout
    assert status == ("core 0001 applied\ncore 0002 applied\n"
                      "extra 0001 applied\nextra 0002 applied\n"), status
    out = run([APP, project / "cli.db", "forwards"]).stdout
    assert out == "No migrations need to be run\n", out


def test_app_database_is_up_to_date_for_the_cli(work):
    project = project_copy(work, "app-first")
    run([APP, project / "cli.db", "forwards"])
    cli(project, "check", "--exit-code")
    out = cli(project, "forwards", "--yes").stdout
    assert out == "No migrations need to be run\n", out
    status = cli(project, "check", "--json").stdout
    assert status.count('"status":"applied"') == 4, status


def test_reads_no_migration_file(work):
    # No project, no migrations folder anywhere: only the database the app is given.
    lonely = work / "lonely"
    lonely.mkdir()
    out = run([APP, lonely / "app.db", "forwards"]).stdout
    assert out == "Applied 4 migrations.\n", out
    assert sorted(p.name for p in lonely.iterdir()) == ["app.db"], list(lonely.iterdir())


def test_clean_is_refused(work):
    db = work / "clean.db"
    run([APP, db, "forwards"])
    result = run([APP, db, "clean"], expect=1)
    assert "its migrations do not come from a folder" in result.stderr, result.stderr
    assert len(state_rows(db)) == 4


def test_embed_is_deterministic(work):
    project = project_copy(work, "again")
    out = work / "again.cpp"
    cli(project, "--quiet", "embed", "-o", out, "--namespace", "test_embedded")
    assert out.read_bytes() == GENERATED.read_bytes()
    other = work / "other.cpp"
    cli(project, "--quiet", "embed", "-o", other, "--namespace", "test_embedded")
    assert other.read_bytes() == out.read_bytes()
    result = cli(project, "embed", "-o", work / "bad.cpp", "--namespace", "9lives", expect=2)
    assert 'not a C++ namespace name: "9lives"' in result.stderr, result.stderr
    assert not (work / "bad.cpp").exists()


def test_bad_file_is_refused(work):
    project = project_copy(work, "bad")
    (project / "migrations" / "core" / "0003_half.up.sql").write_text("SELECT 1;\n")
    result = cli(project, "embed", "-o", work / "bad.cpp", expect=2)
    assert "migration 0003_half is missing its down file" in result.stderr, result.stderr
    assert not (work / "bad.cpp").exists()


def test_output_is_required(work):
    project = project_copy(work, "no-output")
    result = cli(project, "embed", expect=2)
    assert result.stderr == ("strata: error: embed needs the file to write\n"
                             "  hint: usage: strata embed [APP|all] -o FILE.cpp\n"), result.stderr
    result = cli(project, "check", "-o", work / "x.cpp", expect=2)
    assert "-o" in result.stderr or "--output" in result.stderr, result.stderr


def main():
    passed = failed = 0
    for name, test in sorted(globals().items()):
        if not name.startswith("test_"):
            continue
        work = pathlib.Path(tempfile.mkdtemp(prefix="strata-embed."))
        try:
            test(work)
            passed += 1
            print("ok: " + name)
        except AssertionError as error:
            failed += 1
            print("FAILED: %s: %s" % (name, error))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
