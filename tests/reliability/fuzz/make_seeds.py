#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora of the fuzz targets from the example project and the tests.

    python3 tests/reliability/fuzz/make_seeds.py [--out DIR]   (default: fuzz/corpus)

corpus/project: strata.toml texts (the example's, the guide's, the project tests' raw strings).
corpus/loader:  file sets in fuzz_loader's length-prefixed format (the example's apps, the file
                names the loader tests use).
corpus/run:     migrations in fuzz_run's format (option byte, then up/down texts separated by
                NUL): the example's apps and every SQL text the tests run, under each option.
Seed files are named by the SHA-1 of their content, as libFuzzer names its own; the script is
deterministic, so running it again only adds seeds for new test text.
"""

import argparse
import hashlib
import re
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EXAMPLE = ROOT / "examples" / "basic"

SQL_START = re.compile(
    r"^\s*(CREATE|INSERT|DROP|ALTER|SELECT|UPDATE|DELETE|PRAGMA|BEGIN|COMMIT|WITH|VACUUM|"
    r"ANALYZE|REINDEX|ATTACH|DETACH|SAVEPOINT|RELEASE|REPLACE|ROLLBACK|--)",
    re.IGNORECASE,
)
# One C++ string literal, or several adjacent ones (which the compiler joins).
LITERALS = re.compile(r'"(?:[^"\\\n]|\\.)*"(?:\s*"(?:[^"\\\n]|\\.)*")*')
ONE_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
RAW_LITERAL = re.compile(r'R"\((.*?)\)"', re.DOTALL)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "0": "\0"}


def unescape(body):
    out = []
    i = 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "x":
                match = re.match(r"[0-9a-fA-F]+", body[i + 2 :])
                if match:
                    out.append(chr(int(match.group(0), 16) & 0xFF))
                    i += 2 + len(match.group(0))
                    continue
            out.append(ESCAPES.get(nxt, nxt))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def string_literals(path):
    """Every string literal (adjacent ones joined) of a C++ file, unescaped."""
    text = path.read_text(encoding="utf-8")
    literals = [m.group(1) for m in RAW_LITERAL.finditer(text)]
    text = RAW_LITERAL.sub("", text)
    for match in LITERALS.finditer(text):
        literals.append("".join(unescape(p) for p in ONE_LITERAL.findall(match.group(0))))
    return literals


def test_sql_texts():
    texts = set()
    for path in sorted((ROOT / "tests").glob("**/*.cpp")):
        for literal in string_literals(path):
            if SQL_START.match(literal) and ";" in literal and len(literal) < 4000:
                texts.add(literal)
    return sorted(texts)


def example_apps():
    """{app: [(stem, up, down)]} of the example project."""
    apps = {}
    for folder in sorted((EXAMPLE / "migrations").iterdir()):
        stems = sorted(p.name[: -len(".up.sql")] for p in folder.glob("*.up.sql"))
        apps[folder.name] = [
            (
                stem,
                (folder / (stem + ".up.sql")).read_bytes(),
                (folder / (stem + ".down.sql")).read_bytes(),
            )
            for stem in stems
        ]
    return apps


def project_seeds():
    seeds = [(EXAMPLE / "strata.toml").read_bytes()]
    guide = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    seeds += [m.encode() for m in re.findall(r"```toml\n(.*?)```", guide, re.DOTALL)]
    project_test = ROOT / "tests" / "unit" / "project_test.cpp"
    if project_test.exists():
        for literal in string_literals(project_test):
            if "=" in literal or "[" in literal:
                seeds.append(literal.encode("utf-8", "surrogateescape"))
    seeds.append(
        b'database = "${DB:-app.db}"\nbusy_timeout_ms = 250\nforeign_keys = "immediate"\n'
        b'out_of_order = "allow"\ntransaction = "all"\njournal_mode = "wal"\n'
        b'synchronous = "extra"\nbackup = true\nkeep_backups = 2\nschema_file = "schema.sql"\n'
        b'[[apps]]\nname = "a"\nmigrations = "m/a"\n[[apps]]\nname = "b"\n'
        b'migrations = "m/b"\ndepends_on = ["a"]\n'
    )
    return seeds


def encode_files(files):
    out = b""
    for name, content in files:
        name = name.encode() if isinstance(name, str) else name
        out += bytes([len(name) & 0xFF]) + name[:255]
        out += struct.pack("<H", min(len(content), 0xFFFF)) + content[:0xFFFF]
    return out


def loader_seeds(apps):
    seeds = []
    for migrations in apps.values():
        files = []
        for stem, up, down in migrations:
            files += [(stem + ".up.sql", up), (stem + ".down.sql", down)]
        seeds.append(encode_files(files))
    loader_test = ROOT / "tests" / "unit" / "loader_test.cpp"
    if loader_test.exists():
        names = sorted(
            {
                literal
                for literal in string_literals(loader_test)
                if re.fullmatch(r"[^\s/]*\.sql", literal, re.IGNORECASE)
            }
        )
        for name in names:
            seeds.append(encode_files([(name, b"SELECT 1;\n")]))
        stems = sorted({n[: -len(".up.sql")] for n in names if n.endswith(".up.sql")})
        seeds.append(
            encode_files(
                [(s + suffix, b"SELECT 1;\n") for s in stems for suffix in (".up.sql", ".down.sql")]
            )
        )
    seeds.append(
        encode_files(
            [
                ("0002_b.up.sql", b"\xef\xbb\xbfCREATE TABLE b(x);\r\n"),
                ("0002_b.down.sql", b"DROP TABLE b;\r\n"),
                ("0001_a.up.sql", b"CREATE TABLE a(x);\n-- strata:after-commit\nVACUUM;\n"),
                ("0001_a.down.sql", b""),
                ("README.md", b"not a migration"),
            ]
        )
    )
    return seeds


def encode_run(option, migrations):
    parts = []
    for up, down in migrations:
        parts += [up, down]
    return bytes([option]) + b"\0".join(parts)


def run_seeds(apps, sql_texts):
    seeds = []
    # Options: deferred, immediate and off foreign keys; each migration alone or all as one.
    options = [0, 1, 2, 4]
    for option in options:
        for migrations in apps.values():
            seeds.append(encode_run(option, [(up, down) for _, up, down in migrations]))
    for text in sql_texts:
        seeds.append(encode_run(0, [(text.encode("utf-8", "surrogateescape"), b"")]))
    # The example's first app followed by each test text, so SQL meets existing tables.
    first = next(iter(apps.values()), [])
    base = [(up, down) for _, up, down in first]
    for text in sql_texts[:200]:
        seeds.append(encode_run(4, base + [(text.encode("utf-8", "surrogateescape"), b"")]))
    return seeds


def write(folder, seeds):
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for seed in seeds:
        path = folder / hashlib.sha1(seed).hexdigest()
        if not path.exists():
            path.write_bytes(seed)
            written += 1
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "corpus")
    args = parser.parse_args()
    apps = example_apps()
    sql_texts = test_sql_texts()
    for target, seeds in (
        ("project", project_seeds()),
        ("loader", loader_seeds(apps)),
        ("run", run_seeds(apps, sql_texts)),
    ):
        new = write(args.out / target, seeds)
        print(f"{target}: {len(set(seeds))} seeds ({new} new) in {args.out / target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
