"""What every command shares: the exit codes, the one bad-input exception, the one-line
error message, finding the bundle, reading instants, and writing output.

Commands import this module, never :mod:`chronolex.cli.app`, which imports them.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import click

import chronolex
from chronolex.cli.render import findings as report

if TYPE_CHECKING:
    from chronolex import EventSource

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2


class BadInput(click.ClickException):
    """Bad usage or input: one line on stderr, exit code 2, never a traceback."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file: Any = None) -> None:
        click.echo(f"chronolex: error: {self.format_message()}", err=True)


def fail(message: str) -> NoReturn:
    raise BadInput(message)


def error_line(error: chronolex.ChronolexError) -> str:
    """The first diagnostic as ``file:line:col: code: message (help: …)``, and how many others there are."""
    first = error.diagnostics[0] if error.diagnostics else None
    if first is None:
        return str(error)
    where = f"{report.display_path(first.span.file)}:{first.span.line}:{first.span.column}: " if first.span else ""
    tail = f" (and {error.others} more)" if error.others else ""
    hint = f" (help: {first.help})" if first.help else ""
    return f"{where}{first.code}: {first.message}{hint}{tail}"


#: After the first problem of an error, at most this many more are listed, one a line.
_MORE_LISTED = 20


def error_text(error: chronolex.ChronolexError) -> str:
    """:func:`error_line`, then each further problem on its own indented line (a bounded
    number, then how many were left out): a file with many bad records is fixed in one
    pass, not one run per record."""
    lines = [error_line(error)]
    rest = [d for d in error.diagnostics[1:] if d.severity is chronolex.Severity.ERROR]
    for diagnostic in rest[:_MORE_LISTED]:
        lines.append("  " + error_line(chronolex.ChronolexError([diagnostic])))
    if len(rest) > _MORE_LISTED:
        lines.append(f"  … {len(rest) - _MORE_LISTED} more not listed here")
    return "\n".join(lines)


# -- shared helpers -------------------------------------------------------------------


_MAX_SOURCE_BYTES = 10 * 1024 * 1024  # a file larger than this was refused; its lines are not shown


@lru_cache(maxsize=64)
def _file_lines(file: str) -> tuple[str, ...]:
    try:
        with open(file, "rb") as handle:
            raw = handle.read(_MAX_SOURCE_BYTES + 1)
    except OSError:
        return ()
    if len(raw) > _MAX_SOURCE_BYTES:
        return ()
    return tuple(raw.decode("utf-8-sig", errors="replace").splitlines())


def source_line(file: str, line: int) -> str:
    lines = _file_lines(file)
    return lines[line - 1] if 1 <= line <= len(lines) else ""


def resolve_bundle(reference: str | None) -> tuple[Path, str | None]:
    """A bundle directory and an optional version from ``PATH[@VERSION]`` or a bundle name.

    No reference: ``CHRONOLEX_BUNDLE``, else the only bundle under ``./policies``.
    """
    if not reference:
        reference = os.environ.get("CHRONOLEX_BUNDLE")
    if not reference:
        found = chronolex.find_bundles(["policies"]) if Path("policies").is_dir() else ()
        if len(found) == 1:
            return found[0], None
        if not found:
            fail("no bundle given and none found under ./policies (pass a bundle path or set CHRONOLEX_BUNDLE)")
        fail("several bundles under ./policies; choose one: " + ", ".join(p.as_posix() for p in found))
    path_text, _, version = reference.partition("@") if "@" in reference else (reference, "", "")
    path = Path(path_text)
    if not (path / "bundle.yaml").is_file() and (Path("policies") / path_text / "bundle.yaml").is_file():
        path = Path("policies") / path_text
    if path.is_file() and path.name == "bundle.yaml":
        path = path.parent
    if not (path / "bundle.yaml").is_file():
        fail(f"{path_text}: not a bundle (no bundle.yaml there)")
    return path, version or None


def parse_time(text: str, bundle: chronolex.Bundle, option: str, notes: list[str] | None = None) -> datetime:
    """The instant ``option`` names. A wall time moved out of a DST gap, or the first of
    two in a fold, is appended to ``notes`` as a sentence: the command shows it, since
    the instant answered for is then not the one the user may have meant."""
    try:
        instant = chronolex.parse_instant(text, bundle.timezone)
        note = chronolex.wall_time_note(text, bundle.timezone)
    except ValueError as exc:
        fail(f"{option}: {exc}")
    if note is not None and notes is not None:
        notes.append(f"{option} {note}")
    return instant


def emit(text: str) -> None:
    sys.stdout.write(report.printable(text))



def write_atomically(path: Path, text: str) -> None:
    """``text`` written whole to ``path`` (see :func:`output_stream`)."""
    with output_stream(str(path)) as out:
        out.write(report.printable(text))


def write_parquet(path: str, table: Any) -> None:
    """An Arrow table written to ``path`` as Parquet, whole or not at all (see :func:`output_stream`)."""
    with output_stream(path) as out:
        out.flush()
        chronolex.write_batch(table, out.buffer, "parquet")


def writes_to_stdout(output: str | None) -> bool:
    """No ``--output``, or ``-``: the usual way to say standard output."""
    return output is None or output == "-"


@contextmanager
def output_stream(output: str | None) -> Iterator[TextIO]:
    """Standard output (no ``--output``, or ``-``), or a file written under a temporary
    name in the same folder and renamed when the block ends without error: a reader never
    sees half a file, and a failed run leaves no file behind. A path that cannot be
    written is bad input (exit 2), never a traceback.

    A path that exists and is not a regular file (``/dev/null``, a terminal, a named pipe)
    is written in place: renaming over it would replace the device with a file. A
    symbolic link keeps pointing where it did: the file it names is replaced."""
    if writes_to_stdout(output):
        yield sys.stdout
        return
    assert output is not None
    path = Path(output)
    try:
        mode: int | None = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # a symbolic-link loop, a file where a folder should be
        fail(f"cannot write {output}: {exc.strerror or exc}")
    if mode is not None and stat.S_ISDIR(mode):
        fail(f"cannot write {output}: it is a directory")
    if mode is not None and not stat.S_ISREG(mode):
        with _written(output, path, None) as handle:
            yield handle
        return
    if path.is_symlink():
        path = path.resolve()
    with _written(output, path, path.with_name(f".{path.name}.{os.getpid()}.tmp")) as handle:
        yield handle


@contextmanager
def _written(output: str, path: Path, temporary: Path | None) -> Iterator[TextIO]:
    """``path`` opened for writing, directly or through ``temporary`` renamed at the end."""
    try:
        handle = (temporary or path).open("w", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    try:
        with handle:
            yield handle
        if temporary is not None:
            os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        fail(f"cannot write {output}: {exc.strerror or exc}")
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise


_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def check_input_file(path: str, what: str) -> None:
    """Refuse, before it is opened, an input ``path`` that is not a regular file: a named
    pipe with no writer would block for ever, a device (``/dev/zero``) never ends, and a
    symbolic-link loop cannot be opened. A missing file is left to the reader, which
    says so in its own words; ``-`` (standard input) is left alone."""
    if path == "-":
        return
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        fail(f"{what} {path}: {exc.strerror or exc}")
    for test, kind in _KINDS:
        if test(mode):
            fail(f"{what} {path}: is {kind}, not a regular file (give a file, or copy the data to one first)")


def load_reference(reference: str | None) -> tuple[chronolex.Bundle, str | None]:
    path, version = resolve_bundle(reference)
    return chronolex.load_bundle(path), version


# -- options the commands that read events share ----------------------------------------

bundle_option = click.option("--bundle", "bundle_ref", help="Bundle path or name (default: CHRONOLEX_BUNDLE, "
                             "else the only bundle under ./policies).")
_SKIP_BAD_EVENTS = "chronolex.skip_bad_events"


def _remember_skip(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    ctx.meta[_SKIP_BAD_EVENTS] = value


def skip_bad_requested() -> bool:
    """Whether --skip-bad-events was given to the running command."""
    return bool(click.get_current_context().meta.get(_SKIP_BAD_EVENTS, False))


def events_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--events`` and ``--skip-bad-events``; the flag reaches :func:`open_events` through
    the click context, so each command reads events the same way."""
    command = click.option(
        "--skip-bad-events", is_flag=True, expose_value=False, callback=_remember_skip,
        help="Leave out event records that do not fit (and say how many) instead of stopping.",
    )(command)
    return click.option("--events", "event_files", multiple=True, type=click.Path(dir_okay=False),
                        help="Events as JSON Lines or CSV (repeatable).")(command)
_CHECK_STORE = "chronolex.check_store"


def _remember_check(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    ctx.meta[_CHECK_STORE] = value


def db_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--db`` and ``--check-store``; the flag reaches :func:`open_events` through the click context."""
    command = click.option(
        "--check-store", is_flag=True, expose_value=False, callback=_remember_check,
        envvar="CHRONOLEX_CHECK_STORE", show_envvar=True,
        help="Run SQLite's quick check on the --db store when opening it; a damaged store is refused.",
    )(command)
    return click.option("--db", "db_path", type=click.Path(dir_okay=False),
                        help="The embedded event store (default: CHRONOLEX_DB).")(command)
format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                             show_default=True)


def load(bundle_ref: str | None) -> chronolex.Bundle:
    path, version = resolve_bundle(bundle_ref)
    if version:
        fail("--bundle takes a bundle, not BUNDLE@VERSION: the version in force is chosen by time")
    return chronolex.load_bundle(path)


#: At most this many problems of skipped records are printed (the count covers all).
_SKIPPED_SHOWN = 10


def report_skipped(skipped: chronolex.SkippedRecords | None) -> None:
    """Say loudly, on standard error, that records were left out, how many, and why."""
    if skipped is None:
        return
    records = "record" if skipped.count == 1 else "records"
    click.echo(f"warning: {skipped.count} bad event {records} skipped (--skip-bad-events); "
               "every answer below leaves them out:", err=True)
    shown = [d for d in skipped.problems if d.code != "too-many-errors"][:_SKIPPED_SHOWN]
    for diagnostic in shown:
        click.echo("  " + error_line(chronolex.ChronolexError([diagnostic])), err=True)
    if len(skipped.problems) > len(shown):
        click.echo("  … and more (fix the listed ones and read again to see the rest)", err=True)


def skipped_notes(source: EventSource | chronolex.SkippedRecords) -> list[str]:
    """A note for the answer itself (not only standard error) when bad records were skipped."""
    skipped = source if isinstance(source, chronolex.SkippedRecords) else getattr(source, "skipped", None)
    if skipped is None:
        return []
    records = "record was" if skipped.count == 1 else "records were"
    return [f"{skipped.count} bad event {records} skipped (--skip-bad-events): this answer leaves them out"]


def skipped_input(source: EventSource) -> dict[str, Any]:
    """What the decision documents record about the input: the bad records skipped, if any."""
    skipped = getattr(source, "skipped", None)
    return {"input": {"skipped": skipped.count}} if skipped is not None else {}


def open_events(bundle: chronolex.Bundle, event_files: Sequence[str], db_path: str | None) -> EventSource:
    """The event source named by --events, --db or CHRONOLEX_DB (exactly one)."""
    db_path = db_path or (os.environ.get("CHRONOLEX_DB") if not event_files else None)
    if event_files and db_path:
        fail("give --events or --db, not both")
    for path in event_files:
        check_input_file(path, "--events")
    if db_path:
        check_input_file(db_path, "--db")
    if event_files:
        source = chronolex.open_source(event_files, bundle.timezone, catalog=bundle.events,
                                       skip_bad=click.get_current_context().meta.get(_SKIP_BAD_EVENTS, False))
        report_skipped(source.skipped)
        return source
    if db_path:
        if not Path(db_path).is_file():
            fail(f"{db_path}: no such event store (create it with 'chronolex ingest')")
        store = chronolex.EventStore(db_path, check=click.get_current_context().meta.get(_CHECK_STORE, False))
        if bundle.events is None:
            return store
        return chronolex.CheckedSource(store, bundle.events, bundle.timezone, db_path)
    fail("no events: give --events FILE or --db PATH (or set CHRONOLEX_DB)")
