"""``chronolex ingest FILE… --db PATH``: append event files to the embedded store.

Parsing and rendering only: the engine reads and checks the files
(:mod:`chronolex.events.files`) and owns the store (:mod:`chronolex.events.store`). Every file is read
and checked before the store is opened, so a bad record leaves the store untouched
(and a store that did not exist is not created); then all events go in in one
transaction.

"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import NoReturn

import click

import chronolex
from chronolex.cli._common import BadInput, check_input_file, resolve_bundle
from chronolex import EventStore, load_zone, read_event_files

def _bad_input(message: str) -> NoReturn:
    raise BadInput(message)


def _a_number(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    if value != value:  # NaN passes a range check: it compares false with both bounds
        raise click.BadParameter("not a number")
    return value


def _zone(zone_name: str | None, bundle: str | None) -> tuple[tzinfo, Mapping[str, chronolex.EventType] | None]:
    """The timezone for instants written without an offset (--timezone, else the bundle's),
    and the bundle's event catalog to check the records against (none with --timezone)."""
    if zone_name and bundle:
        _bad_input("give either --timezone or --bundle, not both")
    if zone_name:
        try:
            return load_zone(zone_name), None
        except ValueError as exc:
            _bad_input(f"--timezone: {exc}")
    try:
        path, _ = resolve_bundle(bundle)
    except BadInput as exc:
        if bundle:
            raise
        _bad_input(f"{exc.format_message()}; or pass --timezone (instants without an offset are read in it)")
    loaded = chronolex.load_bundle(path)
    return loaded.timezone, loaded.events


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--db", "db", envvar="CHRONOLEX_DB", show_envvar=True, required=True,
              type=click.Path(dir_okay=False), help="The event store to append to (created if missing).")
@click.option("--timezone", "zone_name", metavar="TZ",
              help="IANA zone for instants written without an offset (default: the bundle's).")
@click.option("--bundle", help="Take the timezone from this bundle (default: CHRONOLEX_BUNDLE, else the only "
                               "bundle under ./policies).")
@click.option("--wait", "wait", type=click.FloatRange(min=0, max=86_400), default=30.0, callback=_a_number,
              show_default=True, metavar="SECONDS",
              help="How long to wait for another process that is writing the store.")
@click.option("--check-store", "check", is_flag=True, envvar="CHRONOLEX_CHECK_STORE", show_envvar=True,
              help="Run SQLite's quick check on the store before appending; a damaged store is refused.")
def ingest(files: Sequence[str], db: str, zone_name: str | None, bundle: str | None, wait: float,
           check: bool) -> None:
    """Append the events of FILES (JSON Lines or CSV) to the store at --db.

    The same event twice (same id, or same content) is stored once, so ingesting a
    file again adds nothing. All files are checked first, against the bundle's event
    catalog when the timezone comes from the bundle; any bad record stops the
    command before the store is touched, and the store takes all events or none (a
    new store exists only once its first ingest has committed). While another
    process writes the store, this one says so and waits for it (--wait).
    Exit 0 on success, 2 for bad usage, a bad record (named by file:line:col) or a
    store that cannot be written.
    """
    zone, catalog = _zone(zone_name, bundle)
    for path in files:
        check_input_file(path, "ingest")
    events = read_event_files(files, zone, catalog=catalog)
    with EventStore(db, create=True, wait=wait, check=check) as store:
        result = store.ingest(events, on_wait=lambda: click.echo(
            f"waiting for another process to finish writing {click.format_filename(db)} "
            f"(up to {wait:g} s)…", err=True))
    noun = "event" if result.total == 1 else "events"
    click.echo(f"ingested {result.total} {noun} ({result.added} new, {result.duplicates} already stored) "
               f"into {click.format_filename(db)}")
