#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every ```console example of the documentation, run against the built strata.

    test_doc_console.py --strata BIN [--update] FILE.md...

A console block holds `$ command` lines (a line ending in `\\` continues on the next), each
followed by the output it prints. Each command runs in bash on a pseudo-terminal (standard
input, output and error, as a reader typing it would see them, with NO_COLOR=1), with `strata`
on PATH meaning BIN. The output is compared with what the block shows, after these
normalisations, applied to both sides:
  - times such as 2026-11-21T09:30:12.345Z become <time>; durations such as (1.2 ms), <ms>;
  - the folder the document runs in is shown as /srv/app;
  - `strata new` writes ids from the clock: where the block shows a path with another id, the
    written files are renamed to the ids shown, so later commands see the documented ids.
A command shown without output (a list of invocations) is run, and its output not compared.
A prompt is answered with what the block shows after `[y/N] ` (nothing: Enter).

Each document runs in its own temp folder, which its blocks share in order (the first starts
empty). An HTML comment on the line before a block changes that:
  <!-- console: setup=NAME -->     the block starts in a fresh copy of tests/docs/console/NAME
  <!-- console: setup=NAME then="strata forwards" -->   ...and runs that command (unchecked)
  <!-- console: skip -->           the block is not run (say why in the text around it)
A block without a `$ ` line (an error message on its own) is not run.

--update rewrites each compared output in place with what strata printed (keeping the
document's text where the two are equal after normalisation); review the diff afterwards.
Ends with "N passed, N failed"; exits 1 when anything failed.
"""
import argparse
import os
import pathlib
import pty
import re
import select
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import fcntl

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE / "console"
SHOWN_FOLDER = "/srv/app"
FENCE = re.compile(r"^(\s*)```console\s*$")
DIRECTIVE = re.compile(r"^\s*<!--\s*console:(.*?)-->\s*$")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
DURATION = re.compile(r"\(\d+(\.\d+)? m?s\)")
NEW_PATH = re.compile(r"^(?P<dir>\S*?)(?P<id>\d{14})_(?P<rest>\S+\.(up|down)\.sql)$")
ANSWER = re.compile(r"\[y/N\] ?(.*)$")
TIMEOUT = 60


class Command:
    def __init__(self, text, line):
        self.text = text
        self.line = line  # the file's line (1-based) of the `$`
        self.output = []  # expected lines, without the block's indentation
        self.first = self.last = None  # index range of those lines in the file


class Block:
    def __init__(self, line, indent, directive):
        self.line = line
        self.indent = indent
        self.directive = directive
        self.commands = []


def parse(lines):
    blocks = []
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        indent = fence.group(1)
        directive = {}
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j >= 0 and DIRECTIVE.match(lines[j]):
            for token in shlex.split(DIRECTIVE.match(lines[j]).group(1)):
                key, _, value = token.partition("=")
                directive[key] = value
        block = Block(i + 1, indent, directive)
        i += 1
        pending = None
        while i < len(lines) and lines[i].strip() != "```":
            text = lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip()
            if pending is not None:
                pending.text += "\n" + text
                if not text.endswith("\\"):
                    pending = None
            elif text.startswith("$ "):
                command = Command(text[2:], i + 1)
                block.commands.append(command)
                if text.endswith("\\"):
                    pending = command
            elif block.commands:
                command = block.commands[-1]
                if command.first is None:
                    command.first = i
                command.output.append(text)
                command.last = i + 1
            i += 1
        for command in block.commands:  # blank lines between commands are not output
            while command.output and not command.output[-1].strip():
                command.output.pop()
                command.last -= 1
        blocks.append(block)
        i += 1
    return blocks


def normalised(text, folder):
    text = text.replace(str(folder), SHOWN_FOLDER)
    text = TIME.sub("<time>", text)
    return DURATION.sub("(<ms>)", text)


def run_on_terminal(command, folder, env, answers):
    """Runs `command` in bash on a pseudo-terminal; returns what the terminal showed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
    # The terminal's own echo of an answer comes from the kernel's line discipline, after or
    # before strata's next output as it happens to run: it is off, and the answer is shown
    # here, right after its question, as a person sees it.
    attributes = termios.tcgetattr(slave)
    attributes[3] &= ~termios.ECHO
    termios.tcsetattr(slave, termios.TCSANOW, attributes)
    process = subprocess.Popen(["bash", "--norc", "--noprofile", "-c", command], cwd=folder,
                               env=env, stdin=slave, stdout=slave, stderr=slave,
                               start_new_session=True)
    os.close(slave)
    shown = b""
    answers = list(answers)
    try:
        while True:
            ready, _, _ = select.select([master], [], [], TIMEOUT)
            if not ready:
                process.kill()
                shown += b"\n[test: no output for %d s; killed]\n" % TIMEOUT
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed: every writer has exited
                break
            if not chunk:
                break
            shown += chunk
            # The question ends with "[y/N] ": answered only once its last byte has come, so
            # the answer is shown where a person typed it.
            if shown.endswith(b"[y/N] "):
                answer = (answers.pop(0) if answers else "").encode()
                shown += answer + b"\r\n"
                os.write(master, answer + b"\n")
    finally:
        os.close(master)
        process.wait()
    return as_seen(shown.decode("utf-8", "replace").replace("\r\n", "\n"))


def as_seen(text):
    """What a terminal shows once the output is done: a carriage return moves back to the
    start of the line and what follows overwrites it, as strata's live progress (a slow step's
    elapsed time on a loaded machine) does."""
    lines = []
    for line in text.split("\n"):
        screen = ""
        for part in line.split("\r"):
            screen = part + screen[len(part):]
        lines.append(screen.rstrip(" ") if "\r" in line else screen)
    return "\n".join(lines)


def rename_new_ids(actual, expected, folder):
    """`strata new` names files after the clock: renames them to the ids the block shows and
    returns the output with those ids."""
    lines = actual.split("\n")
    for index, line in enumerate(lines):
        if index >= len(expected):
            break
        got, want = NEW_PATH.match(line), NEW_PATH.match(expected[index])
        if got and want and got.group("id") != want.group("id") and \
                (got.group("dir"), got.group("rest")) == (want.group("dir"), want.group("rest")):
            source = folder / line
            if source.is_file():
                source.rename(folder / expected[index])
            lines[index] = expected[index]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--strata", required=True)
    parser.add_argument("--update", action="store_true")
    parser.add_argument("docs", nargs="+")
    args = parser.parse_args()
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="strata-doc-console.") as work:
        work = pathlib.Path(work).resolve()
        bin_dir = work / "bin"
        bin_dir.mkdir()
        os.symlink(os.path.abspath(args.strata), bin_dir / "strata")
        env = {"PATH": str(bin_dir) + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": str(work), "NO_COLOR": "1", "TERM": "dumb", "LC_ALL": "C.UTF-8",
               "TZ": "UTC"}
        for number, doc in enumerate(args.docs):
            path = pathlib.Path(doc)
            lines = path.read_text(encoding="utf-8").split("\n")
            folder = work / ("doc%d" % number)
            folder.mkdir()
            replacements = []
            for block in parse(lines):
                if "skip" in block.directive or not block.commands:
                    continue
                if "setup" in block.directive:
                    shutil.rmtree(folder)
                    shutil.copytree(FIXTURES / block.directive["setup"], folder)
                if "then" in block.directive:
                    run_on_terminal(block.directive["then"], folder, env, [])
                for command in block.commands:
                    answers = [m.group(1) for m in map(ANSWER.search, command.output) if m]
                    actual = run_on_terminal(command.text, folder, env, answers)
                    if not command.output:
                        continue
                    actual = rename_new_ids(actual.rstrip("\n"), command.output, folder)
                    expected = "\n".join(command.output)
                    if normalised(actual, folder) == normalised(expected, folder):
                        passed += 1
                        continue
                    if args.update:
                        shown = actual.replace(str(folder), SHOWN_FOLDER).split("\n")
                        replacements.append((command.first, command.last,
                                             [block.indent + s if s else s for s in shown]))
                        print("updated %s:%d: $ %s" % (os.path.relpath(doc), command.line,
                                                       command.text.split("\n")[0]))
                        passed += 1
                        continue
                    failed += 1
                    print("FAIL %s:%d: $ %s\n--- the document shows\n%s\n--- strata printed\n%s\n"
                          % (os.path.relpath(doc), command.line, command.text, expected, actual))
            if replacements:
                for first, last, new in sorted(replacements, reverse=True):
                    lines[first:last] = new
                path.write_text("\n".join(lines), encoding="utf-8")
    if passed + failed == 0:
        print("FAIL: no console example found")
        failed = 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
