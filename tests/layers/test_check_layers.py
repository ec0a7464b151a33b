#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/check-layers on small made-up trees: each rule of docs/architecture.md is reported
when broken, and a tree that keeps them all passes."""

import pathlib
import subprocess
import sys
import tempfile

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "check-layers"

# One file per rule, each breaking it once: (path under src/, content, expected message part).
VIOLATIONS = [
    ("util/text.cpp", '#include "core/error.hpp"\n', "util/ must not include"),
    ("core/state/store.cpp", '#include "core/plan/plan.hpp"\n', "core/state must not include core/plan"),
    ("core/loader/l.cpp", '#include "core/executor/x.hpp"\n', "core/loader must not include core/executor"),
    ("core/project/p.cpp", '#include "report/r.hpp"\n', "core must not include report"),
    ("report/r.cpp", '#include "core/executor/backup.hpp"\n', "report sees only"),
    ("cli/c.cpp", '#include "core/loader/loader.hpp"\n', "cli sees only"),
    ("cli/d.cpp", "void f() { fs::current_path(dir); }\n", "no file-system work"),
    ("cli/e.cpp", "void f() { ::chdir(dir); }\n", "no file-system work"),
    ("core/api/a.cpp", "#include <sqlite3.h>\n", "SQLite only in state/ and executor/"),
    ("core/loader/t.cpp", "#include <toml++/toml.h>\n", "toml++ only"),
    ("core/executor/s.cpp", 'auto q = "SELECT * FROM main.migrations";\n', "only core/state/ names"),
]

ALLOWED = [
    ("util/text.cpp", "#include <string>\n"),
    ("core/plan/plan.cpp", '#include "core/state/applied_migration.hpp"\n#include "core/loader/migration.hpp"\n'),
    ("core/state/store.cpp", '#include <sqlite3.h>\nauto q = "SELECT * FROM main.migrations";\n'),
    ("core/api/a.cpp", '#include "core/executor/executor.hpp"\n#include "util/file.hpp"\n'),
    ("report/r.cpp", '#include "core/plan/plan.hpp"\n'),
    ("cli/c.cpp", '#include "report/r.hpp"\n#include "core/api/managers.hpp"\n// fs::exists in a comment\n'),
    ("core/project/project.cpp", "#include <toml++/toml.h>\n"),
]


def run(files):
    with tempfile.TemporaryDirectory() as root:
        for path, content in files:
            target = pathlib.Path(root, "src", path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        return subprocess.run([sys.executable, str(SCRIPT), root], capture_output=True, text=True)


def main():
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        if not ok:
            print(f"FAILED: {what}")

    for path, content, expected in VIOLATIONS:
        result = run([(path, content)])
        check(result.returncode == 1 and expected in result.stdout and path in result.stdout,
              f"{path} should be reported ({expected}); got {result.returncode}: {result.stdout}")
    result = run(ALLOWED)
    check(result.returncode == 0, f"allowed tree should pass; got: {result.stdout}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
