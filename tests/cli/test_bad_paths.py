"""Paths that cannot be used as given, for every option that reads or writes a file.

Output (every option that writes a file, found from the commands themselves): a missing
folder, a file where a folder should be, a symbolic-link loop or a directory is one line
naming the path, exit 2, no traceback and no file left behind; a device or a named pipe is
written in place, never replaced by a regular file; a link keeps pointing at its file.

Input (``--events``, ``--db``, ``--facts``, ``--decision-log``, the files of a bundle): a
named pipe, a device or a link loop is refused before it is opened, exit 2: a pipe
with no writer would otherwise block for ever.
"""

from __future__ import annotations

import importlib
import os
import shutil
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from chronolex.cli.app import COMMANDS, cli
from tests.conftest import HUABEI
from tests.hardening.support import bounded

EVENTS = str(HUABEI / "examples" / "events.jsonl")
OLD_NEW = (f"{HUABEI}@2025.07", f"{HUABEI}@2026.03")

#: Each option that writes a file, and a command line that writes it to PATH.
OUTPUTS: dict[tuple[str, str], Callable[[str], list[str]]] = {
    ("validate", "--output"): lambda p: ["validate", str(HUABEI), "-o", p],
    ("test", "--junit"): lambda p: ["test", str(HUABEI / "tests" / "maintenance.yaml"), "--junit", p],
    ("replay", "--output"): lambda p: ["replay", "--at", "2026-03-16T10:00", "--events", EVENTS,
                                       "--bundle", str(HUABEI), "-o", p],
    ("diff", "--output"): lambda p: ["diff", *OLD_NEW, "--no-semantic", "-o", p],
    ("diff", "--list-affected"): lambda p: ["diff", *OLD_NEW, "--no-semantic", "--accounts", "--events", EVENTS,
                                            "--at", "2026-03-16T10:00", "--list-affected", p, "-o", "-"],
}


def run(args: list[str]) -> Result:
    with bounded(" ".join(args[:2])):
        return CliRunner().invoke(cli, args)


def _writes_a_file(option: click.Option) -> bool:
    text = (option.help or "").lower()
    return isinstance(option.type, click.Path) and "write" in text and ("this file" in text or "here" in text)


def test_the_table_lists_every_option_that_writes_a_file() -> None:
    found = set()
    for name, entry in COMMANDS.items():
        command = getattr(importlib.import_module(entry.module), entry.attribute)
        for param in command.params:
            if isinstance(param, click.Option) and _writes_a_file(param):
                found.add((name, max(param.opts, key=len)))
    assert found == set(OUTPUTS)


def _bad_targets(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    (tmp_path / "loop-a").symlink_to(tmp_path / "loop-b")
    (tmp_path / "loop-b").symlink_to(tmp_path / "loop-a")
    (tmp_path / "a-dir").mkdir()
    return {
        "missing folder": str(tmp_path / "no-such-dir" / "out.txt"),
        "a file as folder": str(tmp_path / "a-file" / "out.txt"),
        "link loop": str(tmp_path / "loop-a"),
        "directory": str(tmp_path / "a-dir"),
    }


@pytest.mark.parametrize("case", ["missing folder", "a file as folder", "link loop", "directory"])
@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_an_output_path_that_cannot_be_written_is_one_line_and_exit_2(tmp_path: Path, output: tuple[str, str],
                                                                     case: str) -> None:
    target = _bad_targets(tmp_path)[case]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = run(OUTPUTS[output](target))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    if case == "directory":  # click's own check of the option, with its usage lines
        assert last.endswith(f"'{target}' is a directory.")
    else:
        assert result.stderr.startswith(f"chronolex: error: cannot write {target}: ")
        assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no temporary file left


@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_a_named_pipe_is_written_in_place_not_replaced(tmp_path: Path, output: tuple[str, str]) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    result = run(OUTPUTS[output](str(pipe)))
    reader.join(timeout=10)
    assert result.exit_code in (0, 1), result.output
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert received and received[0]


@pytest.mark.skipif(not os.path.exists("/dev/full") or os.geteuid() == 0,
                    reason="as root, a regression would replace the /dev/full device with a file")
@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_a_full_device_is_exit_2_and_stays_a_device(output: tuple[str, str]) -> None:
    result = run(OUTPUTS[output]("/dev/full"))
    assert result.exit_code == 2
    assert result.stderr == "chronolex: error: cannot write /dev/full: No space left on device\n"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_a_folder_without_write_permission_is_exit_2(tmp_path: Path, output: tuple[str, str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = run(OUTPUTS[output](str(locked / "out.txt")))
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 2
    assert result.stderr == f"chronolex: error: cannot write {locked / 'out.txt'}: Permission denied\n"


def test_an_output_through_a_link_replaces_the_file_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.jsonl"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    result = run(OUTPUTS[("replay", "--output")](str(link)))
    assert result.exit_code == 0
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text(encoding="utf-8").startswith('{"account": "acct-1001"')


# -- inputs ------------------------------------------------------------------------------

def _special(tmp_path: Path, kind: str) -> str:
    if kind == "named pipe":
        path = tmp_path / "events.jsonl"
        os.mkfifo(path)
        return str(path)
    if kind == "link loop":
        (tmp_path / "a.jsonl").symlink_to(tmp_path / "b.jsonl")
        (tmp_path / "b.jsonl").symlink_to(tmp_path / "a.jsonl")
        return str(tmp_path / "a.jsonl")
    return "/dev/zero"


INPUTS: dict[str, Callable[[str], list[str]]] = {
    "why --events": lambda p: ["why", "acct-1002", "--at", "2026-03-01", "--events", p, "--bundle", str(HUABEI)],
    "why --db": lambda p: ["why", "acct-1002", "--at", "2026-03-01", "--db", p, "--bundle", str(HUABEI)],
    "timeline --events": lambda p: ["timeline", "acct-1002", "--from", "2026-03-01", "--to", "2026-03-02",
                                    "--events", p, "--bundle", str(HUABEI)],
    "replay --events": lambda p: ["replay", "--at", "2026-03-01", "--events", p, "--bundle", str(HUABEI)],
    "replay --db": lambda p: ["replay", "--at", "2026-03-01", "--db", p, "--bundle", str(HUABEI)],
    "evaluate --facts": lambda p: ["evaluate", "--facts", p, "--at", "2026-03-01", "--action", "open",
                                   "--bundle", str(HUABEI)],
    "diff --decision-log": lambda p: ["diff", *OLD_NEW, "--no-semantic", "--events", EVENTS, "--decision-log", p],
}
MESSAGES = {
    "named pipe": "is a named pipe, not a regular file",
    "device": "is a character device, not a regular file",
    "link loop": "Too many levels of symbolic links",
}


@pytest.mark.parametrize("kind", ["named pipe", "device", "link loop"])
@pytest.mark.parametrize("command", sorted(INPUTS))
def test_an_input_that_is_not_a_regular_file_is_refused_before_it_is_opened(tmp_path: Path, command: str,
                                                                           kind: str) -> None:
    path = _special(tmp_path, kind)
    result = run(INPUTS[command](path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr
    if command == "evaluate --facts" and kind == "link loop":  # click's own check: the file does not exist
        assert result.stderr.strip().endswith(f"'{path}' does not exist.")
    else:
        assert result.stderr == (f"chronolex: error: {command.split()[1]} {path}: {MESSAGES[kind]}"
                                 + ("" if kind == "link loop" else " (give a file, or copy the data to one first)")
                                 + "\n")


@pytest.mark.parametrize("command", ["validate", "why"])
def test_a_named_pipe_among_a_bundles_files_is_refused_with_its_name(tmp_path: Path, command: str) -> None:
    bundle = tmp_path / "huabei"
    shutil.copytree(HUABEI, bundle)
    os.mkfifo(bundle / "versions" / "2099.01.yaml")
    args = ["validate", str(bundle)] if command == "validate" else [
        "why", "acct-1002", "--at", "2026-03-01", "--events", EVENTS, "--bundle", str(bundle)]
    result = run(args)
    assert result.exit_code == 2
    pipe = bundle / "versions" / "2099.01.yaml"
    assert result.stderr == (f"chronolex: error: {pipe}:1:1: io-error: {pipe} is not a regular file (a named pipe, "
                             "device or socket); refused\n")
