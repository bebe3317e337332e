"""Benchmark: what one append to the decision log costs (prints figures; not a test).

A decision is answered only once it is in the log, so a request that has no other to share
a commit with waits for a whole durable commit of its own. This measures that cost on this
machine's disk: appends of ``--group`` decisions at a time (1: a lone request; more: calls
that share a commit) to a log already holding ``--records`` records, one thread, in
alternating rounds with two settings of SQLite's ``synchronous``:

- ``FULL``: the log as it is (every commit reaches the disk before the answer);
- ``NORMAL``: the baseline without the wait for the disk (WAL mode then survives a crash
  of the process, not of the machine), to show what the sync itself costs.

Printed per setting and group size: the time one append takes (wall), the processor time
it uses (user and system), both per commit and per record, and the median over rounds.

    python benchmarks/log_append.py [--records 50000] [--appends 1000] [--rounds 4] [--group 1 4 16]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from chronolex.log.record import NewDecision
from chronolex.log.store import DecisionLog

SETTINGS = ("FULL", "NORMAL")


def decision(number: int, rng: random.Random) -> NewDecision:
    """A decision about a random account (the log's account index takes it somewhere inside)."""
    return NewDecision("2026-03-16T10:00:00+08:00", "2026-03-16T10:00:00.004+08:00", None,
                       f"acct-{rng.randrange(100_000):07d}", "open", "huabei", "2026.03",
                       {"credit_score": 450 + number % 350, "kyc_verified": True, "occupation": "engineer",
                        "birth_date": "1990-05-14"}, True, "blocked", ("platform",), ("PLAT-SCORE-FLOOR",))


def filled(folder: Path, records: int) -> Path:
    """A log of ``records`` records, written in large commits (copied for every run)."""
    path = folder / "filled.db"
    rng = random.Random(15)
    with DecisionLog(path, create=True) as log:
        for start in range(0, records, 1000):
            log.append([decision(n, rng) for n in range(start, min(records, start + 1000))])
    return path


def run(source: Path, folder: Path, setting: str, group: int, appends: int, seed: int) -> dict[str, float]:
    """``appends`` appends of ``group`` decisions to a copy of ``source``: seconds per commit."""
    path = folder / f"run-{setting}-{group}-{seed}.db"
    shutil.copyfile(source, path)
    rng = random.Random(seed)
    batches = [[decision(n * group + k, rng) for k in range(group)] for n in range(appends)]
    with DecisionLog(path) as log:
        log._db.execute(f"PRAGMA synchronous = {setting}")  # noqa: SLF001 - the baseline setting
        before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        for batch in batches:
            log.append(batch)
        wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    for suffix in ("", "-wal", "-shm", "-lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return {"wall": wall / appends, "user": (after.ru_utime - before.ru_utime) / appends,
            "system": (after.ru_stime - before.ru_stime) / appends}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=50_000, help="records in the log before the runs")
    parser.add_argument("--appends", type=int, default=1000, help="appends a run")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--group", type=int, nargs="+", default=[1, 4, 16], help="decisions an append")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="chronolex-log-append-"))
    try:
        source = filled(folder, options.records)
        figures: dict[tuple[str, int], list[dict[str, float]]] = {}
        for round_ in range(options.rounds):
            for group in options.group:
                for setting in SETTINGS:
                    figures.setdefault((setting, group), []).append(
                        run(source, folder, setting, group, options.appends, round_))
        print(f"appends to a log of {options.records:,} records, {options.appends:,} a run, "
              f"median of {options.rounds} alternating rounds (ms):")
        print(f"  {'synchronous':<12} {'group':>5}   {'wall/commit':>11} {'user/commit':>11} {'system/commit':>13}"
              f"   {'wall/record':>11} {'cpu/record':>10}")
        for group in options.group:
            for setting in SETTINGS:
                runs = figures[(setting, group)]
                wall, user, system = (statistics.median(r[k] for r in runs) * 1000 for k in ("wall", "user", "system"))
                print(f"  {setting:<12} {group:>5}   {wall:>11.3f} {user:>11.3f} {system:>13.3f}"
                      f"   {wall / group:>11.3f} {(user + system) / group:>10.3f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
