"""Benchmark: worker processes taking turns on one decision log (prints figures; not a test).

``chronolex serve --workers N`` runs N processes that append to one decision log; each
commit takes the log's write lock for a few milliseconds, and a worker whose commit finds
it taken waits. This measures how long an append takes when ``--processes`` processes,
each with ``--threads`` threads appending one decision at a time through the service's
group commit, share one log for ``--seconds`` seconds, in alternating rounds with two
ways of waiting for the lock:

- ``sqlite``: SQLite's lock alone, waited for in its busy handler, which sleeps in
  growing steps of up to 100 ms (the baseline: what a log did before its lock file);
- ``chronolex``: ``DecisionLog`` as it is, whose writers first take turns on a lock file
  with ``flock`` (``chronolex.log.turn``), woken as soon as the turn is free.

Printed per round: appends per second over all processes, and the p50, p99 and largest
latency of one append.

    python benchmarks/log_contention.py [--processes 2] [--threads 8] [--seconds 5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import threading
import time
from pathlib import Path

from chronolex.log.record import NewDecision
from chronolex.log.store import DecisionLog
from chronolex.service.group_commit import GroupCommit

ENTRY = NewDecision("2026-03-16T10:00:00+08:00", "2026-03-16T10:00:00.004+08:00", None, "acct-1001", "open",
                    "huabei", "2026.03", {"credit_score": 580}, False, "blocked", ("platform",),
                    ("PLAT-SCORE-FLOOR",))


def _appender(path: str, mode: str, threads: int, seconds: float, start: float, out: multiprocessing.Queue) -> None:
    log = DecisionLog(path)
    if mode == "sqlite":
        log._turn.take = lambda wait: None  # type: ignore[method-assign]  # noqa: SLF001 - no lock file
    commit = GroupCommit(log)
    latencies: list[float] = []
    lock = threading.Lock()

    def run() -> None:
        mine = []
        while time.time() < start + seconds:
            began = time.perf_counter()
            commit.append([ENTRY])
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    while time.time() < start:
        time.sleep(0.001)
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    log.close()
    out.put(latencies)


def _round(mode: str, processes: int, threads: int, seconds: float) -> tuple[float, float, float, float]:
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as scratch:
        path = str(Path(scratch) / "decisions.db")
        DecisionLog(path, create=True).close()
        out: multiprocessing.Queue = context.Queue()
        start = time.time() + 1.5  # every process started and its log opened
        children = [context.Process(target=_appender, args=(path, mode, threads, seconds, start, out))
                    for _ in range(processes)]
        for child in children:
            child.start()
        latencies = sorted(x for _ in children for x in out.get())
        for child in children:
            child.join()
        with DecisionLog(path) as log:
            assert log.verify().ok and log.count() == len(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / seconds, statistics.median(latencies), p99, latencies[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="appending threads per process")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each way of waiting, alternating")
    args = parser.parse_args()
    print(f"{args.processes} processes x {args.threads} threads appending one decision at a time, "
          f"{args.seconds:g} s a round")
    print(f"{'waiting':<10} {'round':>5} {'appends/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for number in range(1, args.rounds + 1):
        for mode in ("sqlite", "chronolex"):
            rate, p50, p99, largest = _round(mode, args.processes, args.threads, args.seconds)
            print(f"{mode:<10} {number:>5} {rate:>10,.0f} {p50 * 1000:>8.1f} {p99 * 1000:>8.1f} {largest * 1000:>8.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
