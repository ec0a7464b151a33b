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
    ("util/text.cpp", '#include "strata/error.hpp"\n', "util/ must not include"),
    ("strata/state/store.cpp", '#include "strata/plan/plan.hpp"\n', "strata/state must not include strata/plan"),
    ("strata/loader/l.cpp", '#include "strata/executor/x.hpp"\n', "strata/loader must not include strata/executor"),
    ("strata/project/p.cpp", '#include "report/r.hpp"\n', "strata must not include report"),
    ("report/r.cpp", '#include "strata/executor/backup.hpp"\n', "report sees only"),
    ("cli/c.cpp", '#include "strata/loader/loader.hpp"\n', "cli sees only"),
    ("cli/d.cpp", "void f() { fs::current_path(dir); }\n", "no file-system work"),
    ("cli/e.cpp", "void f() { ::chdir(dir); }\n", "no file-system work"),
    ("strata/api/a.cpp", "#include <sqlite3.h>\n", "SQLite only in state/ and executor/"),
    ("strata/loader/t.cpp", "#include <toml++/toml.h>\n", "toml++ only"),
    ("strata/executor/s.cpp", 'auto q = "SELECT * FROM main.migrations";\n', "only strata/state/ names"),
    ("util/file_reader.cpp", "#include <unistd.h>\n", "system calls only in util/platform.cpp"),
    ("cli/terminal.cpp", "#include <sys/ioctl.h>\n", "system calls only in util/platform.cpp"),
]

ALLOWED = [
    ("util/text.cpp", "#include <string>\n"),
    ("strata/plan/plan.cpp", '#include "strata/state/applied_migration.hpp"\n#include "strata/loader/migration.hpp"\n'),
    ("strata/state/store.cpp", '#include <sqlite3.h>\nauto q = "SELECT * FROM main.migrations";\n'),
    ("strata/api/a.cpp", '#include "strata/executor/executor.hpp"\n#include "util/file.hpp"\n'),
    ("report/r.cpp", '#include "strata/plan/plan.hpp"\n'),
    ("cli/c.cpp", '#include "report/r.hpp"\n#include "strata/api/managers.hpp"\n// fs::exists in a comment\n'),
    ("strata/project/project.cpp", "#include <toml++/toml.h>\n"),
    ("util/platform.cpp", "#include <unistd.h>\n#include <sys/stat.h>\n"),
    ("cli/signals.cpp", "#include <csignal>\n"),
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
