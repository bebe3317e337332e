"""``chronolex ingest FILE… --db PATH``: append event files to the embedded store.

Parsing and rendering only: the engine reads and checks the files
(:mod:`engine.eventio`) and owns the store (:mod:`engine.store`). Every file is read
and checked before the store is opened, so a bad record leaves the store untouched
(and a store that did not exist is not created); then all events go in in one
transaction.

The command is not registered here: ``cli/main.py`` adds it to the group
(``cli.add_command(ingest)``). For the same reason this module imports ``cli.main``
only when the command runs: ``cli.main`` imports this module, and a module-level
import back would make the outcome depend on which of the two is imported first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import tzinfo
from typing import NoReturn

import click

import engine
from engine.eventio import read_files
from engine.store import EventStore
from engine.timeutil import load_zone

_MORE = re.compile(r"^(\d+) more problems")


def _error_line(error: engine.ChronolexError) -> str:
    """The first diagnostic as ``file:line:col: code: message (help: …)``, and how many others there are.

    The first diagnostic is written by ``cli.main._error_line``, as for every other
    command. Only the tail differs when there are several: the group's says "and N
    more; run 'chronolex validate' for all", but validate does not read event files,
    and it counts the "N more problems not listed" marker of a capped report as one.
    """
    from cli.main import _error_line as main_error_line

    if len(error.diagnostics) <= 1:
        return main_error_line(error)
    more = 0
    for other in error.diagnostics[1:]:
        counted = _MORE.match(other.message) if other.code == "too-many-errors" else None
        more += int(counted.group(1)) if counted else 1
    return f"{main_error_line(engine.ChronolexError(error.diagnostics[:1]))} (and {more} more)"


def _bad_input(message: str) -> NoReturn:
    from cli.main import BadInput

    raise BadInput(message)


def _zone(zone_name: str | None, bundle: str | None) -> tzinfo:
    """The timezone for instants written without an offset: --timezone, else the bundle's."""
    if zone_name and bundle:
        _bad_input("give either --timezone or --bundle, not both")
    if zone_name:
        try:
            return load_zone(zone_name)
        except ValueError as exc:
            _bad_input(f"--timezone: {exc}")
    from cli.main import BadInput, resolve_bundle

    try:
        path, _ = resolve_bundle(bundle)
    except BadInput as exc:
        if bundle:
            raise
        _bad_input(f"{exc.format_message()}; or pass --timezone (instants without an offset are read in it)")
    loaded = engine.load_bundle(path)
    return loaded.timezone


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--db", "db", envvar="CHRONOLEX_DB", show_envvar=True, required=True,
              type=click.Path(dir_okay=False), help="The event store to append to (created if missing).")
@click.option("--timezone", "zone_name", metavar="TZ",
              help="IANA zone for instants written without an offset (default: the bundle's).")
@click.option("--bundle", help="Take the timezone from this bundle (default: CHRONOLEX_BUNDLE, else the only "
                               "bundle under ./policies).")
def ingest(files: Sequence[str], db: str, zone_name: str | None, bundle: str | None) -> None:
    """Append the events of FILES (JSON Lines or CSV) to the store at --db.

    The same event twice (same id, or same content) is stored once, so ingesting a
    file again adds nothing. All files are checked first; any bad record stops the
    command before the store is touched, and the store takes all events or none.
    Exit 0 on success, 2 for bad usage or a bad record (named by file:line:col).
    """
    try:
        zone = _zone(zone_name, bundle)
        events = read_files(files, zone)
        with EventStore(db, create=True) as store:
            result = store.ingest(events)
    except engine.ChronolexError as error:
        _bad_input(_error_line(error))
    noun = "event" if result.total == 1 else "events"
    click.echo(f"ingested {result.total} {noun} ({result.added} new, {result.duplicates} already stored) "
               f"into {click.format_filename(db)}")
