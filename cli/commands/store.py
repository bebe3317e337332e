"""``chronolex store verify --db PATH``: the full check of an event store.

Parsing and rendering only: :meth:`chronolex.EventStore.verify` runs SQLite's
``integrity_check`` and recomputes the checksum each ingest recorded, so a byte changed
inside a stored event (which SQLite cannot see) is found too. Exit 0 when the store is
sound, 1 when it is damaged (each problem listed), 2 when the file is not a store.
"""

from __future__ import annotations

import click

from chronolex import EventStore
from chronolex.cli._common import EXIT_FINDINGS, emit


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def store() -> None:
    """Check the embedded event store: SQLite's integrity check and every ingest's checksum."""


@store.command()
@click.option("--db", "db", envvar="CHRONOLEX_DB", show_envvar=True, required=True,
              type=click.Path(dir_okay=False), help="The event store to check.")
def verify(db: str) -> None:
    """Check the store at --db: SQLite's integrity check, then every batch checksum recomputed.

    Each ingest records how many events it added and a SHA-256 of their stored text;
    this recomputes them all, so a changed byte inside an event is found as well as a
    broken page or index. Exit 0 when the store is sound, 1 when it is damaged (every
    problem is listed), 2 when the file is not an event store.
    """
    with EventStore(db) as opened:
        report = opened.verify()
    name = click.format_filename(db)
    noun = "event" if report.events == 1 else "events"
    batches = "batch" if report.batches == 1 else "batches"
    counts = f"{report.events} {noun} in {report.batches} {batches}"
    lines = [f"{name}: sound ({counts}; integrity check ok, every checksum matches)" if report.sound
             else f"{name}: damaged ({len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}; "
                  f"{counts} read)"]
    lines += [f"  problem: {problem}" for problem in report.problems]
    lines += [f"  note: {note}" for note in report.notes]
    emit("\n".join(lines) + "\n")
    if not report.sound:
        raise SystemExit(EXIT_FINDINGS)
