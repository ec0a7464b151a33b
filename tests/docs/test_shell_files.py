#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The generated man page and shell completions work in the programs that read them.

    test_shell_files.py --strata BIN --man strata.1 --bash strata --zsh _strata --fish strata.fish

  man   groff renders the page with every warning enabled and prints none;
  bash  the script parses (bash -n), and sourced into bash it completes a partial command, an
        option, an option's value, an app name and a migration id of a real project (the
        names come from the built strata, found as `strata` on PATH);
  fish  the script parses (fish --no-execute) and completes a command, an option, an app name
        and a migration id (`complete -C`);
  zsh   `zsh -n` (each shell skipped when it is not installed).
What the files contain (every command and option of the table) is the unit suite
`completions`. Ends with "N passed, N failed"; exits 1 when anything failed.
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

PROJECT = """database = "app.db"

[[apps]]
name = "core"
migrations = "migrations/core"

[[apps]]
name = "billing"
migrations = "migrations/billing"
"""

MIGRATIONS = {
    "core/20261121093000_create_users": "CREATE TABLE users (id INTEGER PRIMARY KEY);",
    "core/20261122093000_add_email": "ALTER TABLE users ADD COLUMN email TEXT;",
    "billing/0001_create_invoices": "CREATE TABLE invoices (id INTEGER PRIMARY KEY);",
}

# (words before the cursor and the word being completed, what COMPREPLY must hold exactly)
BASH_CASES = [
    (["strata", "forw"], ["forwards"]),
    (["strata", "sta"], ["status"]),
    (["strata", "help", "b"], ["backwards", "bundle"]),
    (["strata", "check", "--exit"], ["--exit-code"]),
    (["strata", "backwards", "--st"], ["--steps"]),
    (["strata", "forwards", "--foreign-keys", "i"], ["immediate"]),
    (["strata", "forwards", ""], ["all", "billing", "core"]),
    (["strata", "goto", "c"], ["core"]),
    (["strata", "goto", "core", "2026112"], ["20261121093000", "20261122093000"]),
    (["strata", "backwards", "billing", ""], ["0001"]),
    # The temp folder's parent holds no project, nor do its parents: nothing, and no error.
    (["strata", "-C", "..", "goto", ""], []),
]


# (the command line up to the cursor, what fish must offer exactly)
FISH_CASES = [
    ("strata forw", ["forwards"]),
    ("strata check --ex", ["--exit-code"]),
    ("strata goto ", ["billing", "core"]),
    ("strata forwards b", ["billing"]),
    ("strata backwards core 2026112", ["20261121093000", "20261122093000"]),
]


def run(command, **kwargs):
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          **kwargs)


def make_project(folder):
    (folder / "strata.toml").write_text(PROJECT, encoding="utf-8")
    for name, sql in MIGRATIONS.items():
        path = folder / "migrations" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(str(path) + ".up.sql").write_text(sql + "\n", encoding="utf-8")
        pathlib.Path(str(path) + ".down.sql").write_text("SELECT 1;\n", encoding="utf-8")


def bash_completions(script, words, env, cwd):
    """COMPREPLY of the bash script for `words` (the last one under the cursor), sorted."""
    quoted = " ".join("'%s'" % w for w in words)
    program = ("source '%s'\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_strata\n"
               "printf '%%s\\n' \"${COMPREPLY[@]}\"\n" % (script, quoted, len(words) - 1))
    result = run(["bash", "--norc", "--noprofile", "-c", program], env=env, cwd=cwd)
    return sorted(line for line in result.stdout.splitlines() if line), result


def main():
    parser = argparse.ArgumentParser()
    for name in ("strata", "man", "bash", "zsh", "fish"):
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    passed = failed = 0

    def report(ok, name, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("ok: " + name)
        else:
            failed += 1
            print("FAIL: %s\n%s" % (name, detail))

    if shutil.which("groff"):
        result = run(["groff", "-man", "-Tutf8", "-ww", "-z", args.man])
        report(result.returncode == 0 and not result.stdout, "man page renders without warnings",
               result.stdout)
    else:
        print("skipped: groff is not installed")

    result = run(["bash", "-n", args.bash])
    report(result.returncode == 0, "bash -n", result.stdout)
    with tempfile.TemporaryDirectory() as work:
        folder = pathlib.Path(work)
        make_project(folder)
        (folder / "bin").mkdir()
        os.symlink(os.path.abspath(args.strata), folder / "bin" / "strata")
        env = dict(os.environ, PATH=str(folder / "bin") + os.pathsep + os.environ["PATH"])
        env.pop("STRATA_DATABASE", None)
        for words, expected in BASH_CASES:
            got, result = bash_completions(os.path.abspath(args.bash), words, env, folder)
            report(got == expected and result.returncode == 0,
                   "bash completes %r" % " ".join(words),
                   "expected %r, got %r\n%s" % (expected, got, result.stdout))
        # The project options on the line choose the project the names come from.
        got, result = bash_completions(os.path.abspath(args.bash),
                                       ["strata", "-C", str(folder), "goto", "b"], env, "/")
        report(got == ["billing"], "bash reads the project of -C DIR", repr(got))
        if shutil.which("fish"):
            for line, expected in FISH_CASES:
                result = run(["fish", "--no-config", "-c",
                              "source '%s'; complete -C '%s'" % (os.path.abspath(args.fish), line)],
                             env=env, cwd=folder)
                got = sorted(entry.split("\t")[0] for entry in result.stdout.splitlines())
                report(got == expected, "fish completes %r" % line,
                       "expected %r, got %r" % (expected, result.stdout))

    for shell, command in (("zsh", ["zsh", "-n", args.zsh]),
                           ("fish", ["fish", "--no-execute", args.fish])):
        if shutil.which(shell):
            result = run(command)
            report(result.returncode == 0 and not result.stdout, shell + " syntax",
                   result.stdout)
        else:
            print("skipped: %s is not installed" % shell)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
