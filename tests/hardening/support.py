"""What the hardening tests share: a hang guard, an audit of what ran, and a bundle to break.

- :func:`bounded` is a wall-clock alarm around one call on hostile input. Its bound is
  generous (real calls take milliseconds): it catches a call that never ends, and says
  nothing about speed, which is measured in benchmarks/.
- :func:`nothing_runs` records, through a Python audit hook, every attempt to run code
  made at run time (``exec``/``eval`` of anything but an installed module being
  imported), start a process, load a native library, open a socket, unpickle, or
  create, remove or write a file while it is active, and fails if there was one.
  Parsing a hostile file must do none of these.
- :func:`broken_bundle` writes a private copy of the shipped bundle with one file
  replaced, and :func:`validate` runs ``chronolex validate`` on it through click's runner.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from chronolex.cli.app import cli
from tests.conftest import HUABEI

#: Seconds after which a call on hostile input is taken to hang (not a speed target).
BOUND = 10.0

#: The version file the tests break; 2026.06 extends it, so its loss must not be reported twice.
VERSION_FILE = "versions/2026.03.yaml"
REAL_VERSION = (HUABEI / VERSION_FILE).read_bytes()
REAL_MANIFEST = (HUABEI / "bundle.yaml").read_bytes()


class Hangs(Exception):
    """A call ran past :data:`BOUND`."""


@contextmanager
def bounded(what: str, seconds: float = BOUND) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise Hangs(f"{what} did not finish within {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- what ran ---------------------------------------------------------------------------

_RUNS_CODE = frozenset({
    "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty", "subprocess.Popen",
    "pty.spawn", "ctypes.dlopen", "socket.connect", "socket.bind", "pickle.find_class",
    "os.remove", "os.rename", "os.rmdir", "shutil.rmtree", "os.chmod",
})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_recording: list[str] | None = None


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _recording is None:
        return
    if event in _RUNS_CODE:
        _recording.append(f"{event}{_short(args)}")
    elif event == "exec" and args and not _from_a_module(args[0]):
        _recording.append(f"exec{_short(args)}")
    elif event == "open" and len(args) >= 3:
        mode, flags = args[1], args[2]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writes:
            _recording.append(f"open for writing {_short(args)}")


def _from_a_module(code: object) -> bool:
    """Whether ``code`` is the body of a module file being imported (the engine and its
    libraries import some modules on first use, e.g. a time zone's data): that is not code
    made from input."""
    filename = getattr(code, "co_filename", "")
    return isinstance(filename, str) and filename.endswith(".py") and os.path.isfile(filename)


def _short(args: tuple[object, ...]) -> str:
    text = repr(args)
    return text if len(text) <= 200 else text[:200] + "…"


sys.addaudithook(_audit)


_warmed = False


def _warm_up() -> None:
    """Check the shipped bundle once, unrecorded: the first use of some libraries builds
    classes from source text (dataclasses and attrs ``exec`` a generated ``__init__``),
    which is how they are made, not code made from input. Without this a hardening test
    run on its own, before anything else imported them, would fail on them."""
    global _warmed
    if not _warmed:
        _warmed = True
        import chronolex
        chronolex.check_bundle(HUABEI)


@contextmanager
def nothing_runs() -> Iterator[list[str]]:
    """Fail if the block runs code, starts a process or writes a file (see the module docstring)."""
    global _recording
    _warm_up()
    seen: list[str] = []
    _recording = seen
    try:
        yield seen
    finally:
        _recording = None
    assert not seen, f"hostile input made the engine do: {seen}"


# -- a bundle to break ------------------------------------------------------------------


def broken_bundle(root: Path, replace: dict[str, bytes]) -> Path:
    """A copy of the shipped bundle's manifest and versions under ``root``, with the files
    ``replace`` names (relative paths) replaced by the given bytes; returns the bundle directory.

    The bundle's own policy tests are left out: they are not what these tests break, and
    checking them would only make every call slower."""
    target = root / "huabei"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy2(HUABEI / "bundle.yaml", target / "bundle.yaml")
    shutil.copytree(HUABEI / "versions", target / "versions")
    for rel, raw in replace.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
    return target


def line_of(raw: bytes, needle: bytes) -> int:
    """1-based line of the first ``needle`` in ``raw`` (the tests compute positions, never copy them)."""
    index = raw.index(needle)
    return raw[:index].count(b"\n") + 1


def with_line(raw: bytes, key: bytes, new_line: bytes) -> bytes:
    """``raw`` with its first line starting with ``key`` replaced by ``new_line`` (line end kept)."""
    lines = raw.split(b"\n")
    for index, line in enumerate(lines):
        if line.startswith(key):
            lines[index] = new_line
            return b"\n".join(lines)
    raise AssertionError(f"no line starts with {key!r}")


@dataclass(frozen=True)
class CliOutcome:
    """What a user sees: exit code, stdout, stderr, and any exception that escaped click."""

    exit_code: int
    stdout: str
    stderr: str
    escaped: BaseException | None

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def run_chronolex(*args: str) -> CliOutcome:
    result: Result = CliRunner().invoke(cli, list(args))
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    return CliOutcome(result.exit_code, result.stdout, result.stderr, escaped)


def validate(bundle: Path) -> CliOutcome:
    return run_chronolex("validate", str(bundle))


def assert_no_traceback(outcome: CliOutcome) -> None:
    assert outcome.escaped is None, f"an exception escaped the command: {outcome.escaped!r}"
    assert "Traceback" not in outcome.text


def finding_heads(outcome: CliOutcome) -> list[str]:
    """The gcc-style first lines of the findings ``validate`` printed (``file:line:col: severity[code]: …``)."""
    return [line for line in outcome.stdout.splitlines() if "error[" in line or "warning[" in line]


def error_line(outcome: CliOutcome) -> str:
    """The error line a command that fails on bad input prints on stderr (exit code 2); the
    further problems of the same input, if any, follow it on indented lines."""
    lines = outcome.stderr.strip().splitlines()
    assert lines and all(line.startswith("  ") for line in lines[1:]), \
        f"expected one error line (and indented further problems) on stderr, got {outcome.stderr!r}"
    return lines[0]
