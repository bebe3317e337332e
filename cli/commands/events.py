"""``chronolex events convert IN… OUT.parquet``: event files or the store into the columnar layout.

Parsing and rendering only: :func:`chronolex.read_event_table` reads and checks the events
(every record against the event schema and the bundle's event catalog) and lays them out;
this writes the table as Parquet under a temporary name in the output's folder and renames
it at the end, so a bad record, or any failure, leaves no output file behind.
"""

from __future__ import annotations

from collections.abc import Sequence

import click
import pyarrow.compute as pc

import chronolex
from chronolex.cli._common import check_input_file, emit, fail, load, write_parquet


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def events() -> None:
    """Event files: convert JSON Lines, CSV or the store into Parquet for batch replay."""


@events.command()
@click.argument("paths", nargs=-1, required=True, metavar="IN... OUT.parquet")
@click.option("--db", "db", type=click.Path(dir_okay=False),
              help="Read the events of this store (then give only OUT.parquet).")
@click.option("--bundle", help="The bundle whose event catalog types the columns (default: CHRONOLEX_BUNDLE, "
                               "else the only bundle under ./policies).")
def convert(paths: Sequence[str], db: str | None, bundle: str | None) -> None:
    """Convert event files (JSON Lines, CSV, Parquet; globs allowed) or --db into one Parquet file.

    The output has the columnar event layout every batch engine reads: account, at,
    recorded_at (UTC instants), type, id, seq (the event's position in its account's
    history) and one typed column per field of the bundle's event catalog, sorted by
    account and time. Every record is checked as replay checks it; a bad record (named by
    file:line:col, or file, row and column for Parquet) stops the command with exit 2 and
    writes nothing. The file is written under a temporary name and renamed at the end.
    """
    *inputs, output = paths
    if not output.lower().endswith((".parquet", ".pq")):
        fail(f"the last argument is the output file, and must end in .parquet: {output!r}")
    if db and inputs:
        fail("give input files or --db, not both")
    if not db and not inputs:
        fail("no input: give event files before OUT.parquet, or --db STORE")
    for path in inputs:
        check_input_file(path, "input")
    if db:
        check_input_file(db, "--db")
    loaded = load(bundle)
    table = chronolex.read_event_table(loaded, inputs, db=db)
    write_parquet(str(output), table)
    accounts = pc.count_distinct(table["account"]).as_py()
    emit(f"{output}: {table.num_rows} event{'s' if table.num_rows != 1 else ''} of {accounts} "
         f"account{'s' if accounts != 1 else ''}\n")
