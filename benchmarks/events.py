"""Benchmark: reading events into the columnar event table, columnar checks against the
per-account reader, in the same run over the same file.

Goal (issue 14, events at scale): checking does not cost a per-record Python parse and a
jsonschema call. The file is ``benchmarks/ingest.py``'s (the shipped bundle's kinds, half
with an ``id``, exact decimals, instants with an offset). Contestants:

- columnar: :func:`chronolex.read_event_table` (Arrow parses and checks whole columns);
- per-account reader: :func:`chronolex.open_source` with the bundle's catalog (what
  ``replay --engine python`` reads), and the same laid out as the table (the path
  ``read_event_table`` falls back to when in doubt). Both tables must be equal.

Then the columnar reader on the Parquet file ``events convert`` writes, and on CSV.

    python benchmarks/events.py [--events 1000000] [--python-events N]
"""

from __future__ import annotations

import argparse
import os
import csv
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

import chronolex
from chronolex.batch._from_events import table_of_histories
from chronolex.batch._text_columns import read_text_columns

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import BUNDLE, write_events  # noqa: E402


def timed(label: str, count: int, work, repeat: int = 1):  # type: ignore[no-untyped-def]
    """Run ``work`` ``repeat`` times; print the fastest run's wall and CPU time (all threads)
    and its rate. The machine is shared: CPU time says what the work costs whatever the load."""
    best = None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = work()
        run = (time.perf_counter() - start, time.process_time() - cpu)
        best = run if best is None or run[0] < best[0] else best
    seconds, cpu_seconds = best
    shown = f"best of {repeat}" if repeat > 1 else ""
    print(f"  {label:<40} {seconds:8.2f} s wall {cpu_seconds:8.2f} s CPU {count / seconds:>10,.0f} events/s {shown}")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--python-events", type=int, default=None,
                        help="how many events the per-account reader reads (default: all); its rate is per event")
    args = parser.parse_args()
    bundle = chronolex.load_bundle(BUNDLE)
    print("load average at the start: {:.1f} {:.1f} {:.1f} on {} cores".format(*os.getloadavg(), os.cpu_count()))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        write_events(path, args.events)
        print(f"{args.events:,} events, {path.stat().st_size / 2**20:,.0f} MiB of JSON Lines, "
              f"{len(set(json.loads(line)['account'] for line in path.open()))} accounts")
        assert read_text_columns(bundle, [path]) is not None, "the generated file takes the columnar path"
        table, fast = timed("columnar (read_event_table)", args.events,
                            lambda: chronolex.read_event_table(bundle, [path]), repeat=3)
        sample = path
        count = args.events
        if args.python_events and args.python_events < args.events:
            sample = Path(folder) / "sample.jsonl"
            with path.open() as full, sample.open("w") as out:
                for _, line in zip(range(args.python_events), full):
                    out.write(line)
            count = args.python_events
        source, slow = timed("per-account reader (open_source)", count,
                             lambda: chronolex.open_source([sample], bundle.timezone, catalog=bundle.events))
        exact, layout = timed("  … then laid out as the table", count,
                              lambda read=source: table_of_histories(bundle, (read.history(a) for a in read.accounts()), ""))
        if sample == path:
            assert exact.equals(table), "the two paths disagree"
            print("  tables equal: yes")
        print(f"  columnar / per-account reader: {(count / slow) and (args.events / fast) / (count / slow):.1f}x "
              f"(reader alone), {(args.events / fast) / (count / (slow + layout)):.1f}x (reader and layout)")
        del source, exact  # the per-account reader's million events: not held while the others run
        parquet = Path(folder) / "events.parquet"
        pq.write_table(table, parquet, compression="zstd")
        print(f"Parquet: {parquet.stat().st_size / 2**20:,.0f} MiB")
        timed("columnar, Parquet", args.events, lambda: chronolex.read_event_table(bundle, [parquet]), repeat=3)
        csv_path = Path(folder) / "events.csv"
        names = ["account", "at", "type", "id", "score", "source", "days", "loan_id", "channel", "status",
                 "reason", "method", "amount", "currency"]
        with path.open() as lines, csv_path.open("w", newline="") as out:
            writer = csv.DictWriter(out, names, quoting=csv.QUOTE_MINIMAL)
            writer.writeheader()
            for line in lines:
                writer.writerow(json.loads(line))
        csv_table, _ = timed("columnar, CSV", args.events, lambda: chronolex.read_event_table(bundle, [csv_path]),
                             repeat=3)
        assert csv_table.equals(table), "CSV and JSON Lines disagree"
    print(f"peak resident memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()
