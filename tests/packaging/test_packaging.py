#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""strata consumed as a library, the three ways docs/library.md describes.

    tests/packaging/test_packaging.py [--build DIR] [--only NAME ...] [--keep]

Installs the build (`meson install --destdir` into a temp folder), then checks:
  headers      the installed headers are exactly strata/strata.hpp and what it includes,
               transitively, and each compiles on its own with only the installed include dir;
  pkg-config   app.cpp built with `c++ $(pkg-config --cflags --libs --static strata)`;
  cmake        app.cpp built with find_package(strata) and strata::strata;
  cmake-embed  tests/embed/embedded_app.cpp built with strata_embed() on a copy of
               tests/embed/project: the installed strata generates the source, the app migrates
               a database; an edited and an added .sql file are in effect after a rebuild;
  subproject   app.cpp built by a Meson project with subprojects/strata (the repository) and
               the documented strata.wrap, with dependency('strata');
  desktop      examples/desktop built with its Makefile (pkg-config and the installed
               `strata embed`), then its scenario run (examples/desktop/run_scenario.py):
               migrating at launch, a kill mid-migration, a database newer than the app;
  share        the man page and the bash, zsh and fish completions where man and each shell
               look for them, each naming every command.
Each app migrates a copy of examples/basic (cmake-embed and desktop: their own projects); the
test compares its output with the database.
Ends with "N passed, N failed"; exits 1 when anything failed.
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
# The version the installed library reports (strata::version()), as meson.build declares it.
VERSION = re.search(r"version : '([^']+)'", (REPO / "meson.build").read_text()).group(1)
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)
CHECKS = ["headers", "pkg-config", "cmake", "cmake-embed", "subproject", "desktop", "share"]


def run(command, **kwargs):
    """Runs command; returns (ok, output) with stdout and stderr together."""
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            **kwargs)
    if result.returncode != 0:
        return False, "$ %s\n%s" % (" ".join(map(str, command)), result.stdout)
    return True, result.stdout


def public_closure():
    """strata/strata.hpp and every header it includes, transitively (paths under src/)."""
    seen, todo = set(), ["strata/strata.hpp"]
    while todo:
        header = todo.pop()
        if header not in seen:
            seen.add(header)
            todo.extend(INCLUDE.findall((REPO / "src" / header).read_text(encoding="utf-8")))
    return seen


class Installed:
    """The build installed under DESTDIR, and where its pieces are."""

    def __init__(self, build, work):
        options = json.loads(run(["meson", "introspect", "--buildoptions", str(build)])[1])
        value = {o["name"]: o["value"] for o in options}
        self.destdir = work / "dest"
        self.prefix = self.destdir / value["prefix"].lstrip("/")
        self.include = self.prefix / value["includedir"]
        self.libdir = self.prefix / value["libdir"]
        self.bindir = self.prefix / value["bindir"]
        self.datadir = self.prefix / value["datadir"]
        self.mandir = self.prefix / value["mandir"]
        self.ok, self.output = run(["meson", "install", "-C", str(build), "--no-rebuild",
                                    "--destdir", str(self.destdir)])


def fresh_project(work, name):
    """A copy of examples/basic with no database; returns its project file."""
    project = work / ("project-" + name)
    shutil.copytree(REPO / "examples" / "basic", project,
                    ignore=shutil.ignore_patterns("*.db", "*.db-*"))
    return project / "strata.toml"


def check_app(app, work, name, libdir=None):
    """Runs app on a fresh project; None when its output and the database agree. libdir: where
    a shared libstrata was installed."""
    project_file = fresh_project(work, name)
    env = dict(os.environ)
    env.pop("STRATA_DATABASE", None)
    if libdir:
        env["LD_LIBRARY_PATH"] = str(libdir)
    result = subprocess.run([str(app), str(project_file)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, timeout=60)
    expected = len(list(project_file.parent.glob("migrations/*/*.up.sql")))
    if result.returncode != 0:
        return "app exited with %d: %s" % (result.returncode, result.stderr)
    want = "strata %s: %d of %d applied\n" % (VERSION, expected, expected)
    if result.stdout != want:
        return "app printed %r, expected %r" % (result.stdout, want)
    with sqlite3.connect(project_file.parent / "notes.db") as db:
        rows = db.execute("SELECT count(*) FROM migrations").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
    if rows != expected or not {"users", "notes"} <= tables:
        return "database has %d state rows and tables %s" % (rows, sorted(tables))
    return None


def check_headers(installed, work):
    found = {p.relative_to(installed.include).as_posix()
             for p in installed.include.rglob("*") if p.is_file()}
    wanted = public_closure()
    if found != wanted:
        return "installed headers differ from the public closure: extra %s, missing %s" % (
            sorted(found - wanted), sorted(wanted - found))
    for header in sorted(found):
        source = work / "one_header.cpp"
        source.write_text("#include <%s>\nint main() {}\n" % header, encoding="utf-8")
        # Only the installed include dir: the source tree is nowhere on the search path.
        ok, output = run(["c++", "-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
                          "-I", str(installed.include), str(source)])
        if not ok:
            return "%s does not compile on its own:\n%s" % (header, output)
    return None


def check_pkg_config(installed, work):
    env = dict(os.environ, PKG_CONFIG_PATH=str(installed.libdir / "pkgconfig"),
               PKG_CONFIG_SYSROOT_DIR=str(installed.destdir))
    ok, flags = run(["pkg-config", "--cflags", "--libs", "--static", "strata"], env=env)
    if not ok:
        return flags
    app = work / "pkg-config-app"
    ok, output = run(["c++", "-std=c++20", str(HERE / "app.cpp"), "-o", str(app)] + flags.split())
    return check_app(app, work, "pkg-config", installed.libdir) if ok else output


def check_cmake(installed, work):
    source, build = work / "cmake-src", work / "cmake-build"
    source.mkdir()
    shutil.copy(HERE / "cmake" / "CMakeLists.txt", source)
    shutil.copy(HERE / "app.cpp", source)
    ok, output = run(["cmake", "-S", str(source), "-B", str(build), "-DCMAKE_CXX_STANDARD=20",
                      "-DCMAKE_PREFIX_PATH=" + str(installed.prefix)])
    if ok:
        ok, output = run(["cmake", "--build", str(build)])
    return check_app(build / "app", work, "cmake", installed.libdir) if ok else output


def run_embedded_app(app, database, libdir):
    """Runs the cmake-embed app's forwards on database; (ok, stdout or the failure)."""
    env = dict(os.environ, LD_LIBRARY_PATH=str(libdir))
    result = subprocess.run([str(app), str(database), "forwards"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, timeout=60)
    if result.returncode != 0:
        return False, "embedded app exited with %d: %s" % (result.returncode, result.stderr)
    return True, result.stdout


def tables(database):
    with sqlite3.connect(database) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type='table'")}


def check_cmake_embed(installed, work):
    source, build = work / "embed-src", work / "embed-build"
    # The build runs the installed strata; a shared one finds its library in the staged
    # install only through LD_LIBRARY_PATH (an installed prefix has it in the loader's path).
    build_env = dict(os.environ, LD_LIBRARY_PATH=str(installed.libdir))
    source.mkdir()
    shutil.copy(HERE / "embed" / "CMakeLists.txt", source)
    shutil.copy(REPO / "tests" / "embed" / "embedded_app.cpp", source)
    shutil.copytree(REPO / "tests" / "embed" / "project", source / "db",
                    ignore=shutil.ignore_patterns("*.db", "*.db-*"))
    ok, output = run(["cmake", "-S", str(source), "-B", str(build), "-DCMAKE_CXX_STANDARD=20",
                      "-DCMAKE_PREFIX_PATH=" + str(installed.prefix)])
    if not ok:
        return output
    # The strata that generates the source is the one installed with the package.
    cache = (build / "CMakeCache.txt").read_text(encoding="utf-8")
    wanted = "STRATA_EXECUTABLE:FILEPATH=%s" % (installed.bindir / "strata")
    if wanted not in cache.splitlines():
        return "CMakeCache.txt does not hold %r" % wanted
    ok, output = run(["cmake", "--build", str(build)], env=build_env)
    if not ok:
        return output
    app = build / "embedded_app"
    ok, out = run_embedded_app(app, work / "embed-first.db", installed.libdir)
    if not ok or out != "Applied 4 migrations.\n":
        return "first build: %s" % out
    if not {"items", "tags", "seed"} <= tables(work / "embed-first.db"):
        return "first build: tables %s" % sorted(tables(work / "embed-first.db"))

    # Editing a migration: the next build regenerates the source, and a new database gets
    # the new SQL. (The mtime is moved on so that a coarse clock cannot hide the edit.)
    extra = source / "db" / "migrations" / "extra"
    edited = extra / "0002_nothing.up.sql"
    edited.write_text("CREATE TABLE edited (id INTEGER PRIMARY KEY);\n", encoding="utf-8")
    (extra / "0002_nothing.down.sql").write_text("DROP TABLE edited;\n", encoding="utf-8")
    later = edited.stat().st_mtime + 5
    for path in (edited, extra / "0002_nothing.down.sql"):
        os.utime(path, (later, later))
    ok, output = run(["cmake", "--build", str(build)], env=build_env)
    if not ok:
        return output
    ok, out = run_embedded_app(app, work / "embed-edited.db", installed.libdir)
    if not ok or "edited" not in tables(work / "embed-edited.db"):
        return "after editing a .sql file: %s, tables %s" % (
            out, sorted(tables(work / "embed-edited.db")))

    # Adding a migration: the glob (CONFIGURE_DEPENDS) sees it, and a database migrated by
    # the edited app gets exactly that one.
    (extra / "0003_added.up.sql").write_text("CREATE TABLE added (id INTEGER);\n",
                                             encoding="utf-8")
    (extra / "0003_added.down.sql").write_text("DROP TABLE added;\n", encoding="utf-8")
    ok, output = run(["cmake", "--build", str(build)], env=build_env)
    if not ok:
        return output
    ok, out = run_embedded_app(app, work / "embed-edited.db", installed.libdir)
    if not ok or out != "Applied 1 migration.\n":
        return "after adding a .sql file: %s" % out
    if "added" not in tables(work / "embed-edited.db"):
        return "after adding a .sql file: tables %s" % sorted(tables(work / "embed-edited.db"))
    return None


def check_subproject(installed, work):
    del installed  # built from the repository, not from the installation
    source, build = work / "meson-src", work / "meson-build"
    (source / "subprojects").mkdir(parents=True)
    shutil.copy(HERE / "subproject" / "meson.build", source)
    shutil.copy(HERE / "app.cpp", source)
    shutil.copy(HERE / "subproject" / "strata.wrap", source / "subprojects")
    (source / "subprojects" / "strata").symlink_to(REPO)
    ok, output = run(["meson", "setup", str(build), str(source)])
    if ok:
        ok, output = run(["ninja", "-C", str(build)])
    return check_app(build / "app", work, "subproject") if ok else output


def check_desktop(installed, work):
    env = dict(os.environ, PKG_CONFIG_PATH=str(installed.libdir / "pkgconfig"),
               PKG_CONFIG_SYSROOT_DIR=str(installed.destdir),
               LD_LIBRARY_PATH=str(installed.libdir), TMPDIR=str(work))
    scenario = REPO / "examples" / "desktop" / "run_scenario.py"
    result = subprocess.run([sys.executable, str(scenario), "--strata",
                             str(installed.bindir / "strata")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            timeout=600)
    # Indented, so that its own "N passed, N failed" is not taken for this script's.
    print("".join("  " + line for line in result.stdout.splitlines(keepends=True)), end="")
    return None if result.returncode == 0 else "the desktop scenario failed (above)"


SHARE_FILES = ["bash-completion/completions/strata", "zsh/site-functions/_strata",
               "fish/vendor_completions.d/strata.fish"]


def check_share(installed, work):
    del work
    paths = [installed.mandir / "man1" / "strata.1"] + [installed.datadir / p for p in SHARE_FILES]
    for path in paths:
        if not path.is_file():
            return "%s is not installed" % path.relative_to(installed.destdir)
        text = path.read_text(encoding="utf-8")
        for command in ("forwards", "backwards", "goto", "check", "sync", "bundle"):
            if command not in text:
                return "%s does not name %s" % (path.relative_to(installed.destdir), command)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build", help="the Meson build folder (default build)")
    parser.add_argument("--only", nargs="+", choices=CHECKS, default=CHECKS)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="strata-packaging."))
    passed = failed = 0
    try:
        installed = Installed(pathlib.Path(args.build).resolve(), work)
        if not installed.ok:
            print("FAILED: meson install\n" + installed.output)
            print("0 passed, 1 failed")
            return 1
        for name in args.only:
            problem = globals()["check_" + name.replace("-", "_")](installed, work)
            if problem:
                failed += 1
                print("FAILED: %s: %s" % (name, problem))
            else:
                passed += 1
                print("ok: %s" % name)
    finally:
        if args.keep:
            print("kept " + str(work))
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
