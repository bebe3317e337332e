"""Benchmark: ``chronolex serve`` under load on 127.0.0.1 (prints figures; not a test).

1. Generates a store of ``--accounts`` huabei accounts (default 100,000; five events each:
   KYC, profile, consent, credit score, a loan) through ``chronolex.read_event_files`` with
   the bundle's catalog, as ``chronolex ingest`` reads them, and keeps it in ``--keep``.
2. Starts ``chronolex serve policies/huabei --db STORE`` twice, one process with
   ``--log`` and one with ``--no-log`` (same run, so the log's cost is measured on the
   same machine state), and sends, from this process, over keep-alive connections:

   - single ``POST /v1/decide`` requests with given facts, at concurrency 1, 8 and 64;
   - the same with facts derived from the store (random accounts);
   - the batch form (``--batch`` requests a call) with given facts, at concurrency 1, 8 and 64;
   - single requests paced at ``--rate`` a second (open loop; latency counted from the
     moment each was due, so a slow server cannot hide its queue).

   Each scenario stops after ``--requests`` requests or ``--seconds`` seconds. Requests
   per second (decisions per second for batches), p50 and p99 latency are printed.

3. Measures the log's cost: single requests with given facts at concurrency 1, 8 and 64,
   with facts from the store at concurrency 8, and the batch form at concurrency 8, each
   on the server with the log and the one without, in alternating rounds.

4. Starts a third server with ``--workers`` processes (default: one per core) and
   measures it beside the one-process server in alternating rounds.

Goals (issue 15, on a 2-core machine): at least 2,000 decisions/s with given facts through
the batch form; p99 under 25 ms at 200 requests/s of single requests; the log costs at
most 30% of throughput.

    python benchmarks/serve.py [--accounts N] [--requests N] [--seconds S] [--batch N]
                               [--rate R] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import chronolex

ROOT = Path(__file__).resolve().parent.parent
HUABEI = ROOT / "policies" / "huabei"
AT = "2026-03-16T10:00:00+08:00"
CHUNK = 50_000  # events read and ingested at a time
ROUNDS = 4  # the log's cost is measured in this many alternating rounds


def _account_events(index: int, rng: random.Random) -> Iterator[dict[str, object]]:
    account = f"acct-{index:07d}"
    year = rng.randint(1950, 2010)
    yield {"account": account, "at": "2025-01-02T10:00:00+08:00", "type": "kyc_verified", "method": "id_card"}
    yield {"account": account, "at": "2025-01-02T10:05:00+08:00", "type": "profile_updated",
           "birth_date": f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
           "occupation": rng.choice(["engineer", "teacher", "student", "driver"])}
    yield {"account": account, "at": "2025-01-02T10:06:00+08:00", "type": "credit_consent_changed",
           "granted": rng.random() < 0.9}
    yield {"account": account, "at": f"2026-0{rng.randint(1, 2)}-1{rng.randint(0, 9)}T06:00:00+08:00",
           "type": "credit_score_updated", "score": rng.randint(450, 800), "source": "credit_bureau"}
    yield {"account": account, "at": f"2026-03-0{rng.randint(1, 9)}T14:30:00+08:00", "type": "loan_disbursed",
           "amount": f"{rng.randint(1, 80) * 100}.00", "currency": "CNY"}


def make_store(path: Path, accounts: int) -> None:
    """The generated store, written once (a store of the same size in ``--keep`` is reused)."""
    bundle = chronolex.load_bundle(HUABEI)
    rng = random.Random(15)
    scratch = path.with_suffix(".jsonl")
    started = time.perf_counter()
    with chronolex.EventStore(path, create=True) as store:
        lines: list[str] = []
        for index in range(accounts):
            lines.extend(json.dumps(e) for e in _account_events(index, rng))
            if len(lines) >= CHUNK or index == accounts - 1:
                scratch.write_text("\n".join(lines) + "\n", encoding="utf-8")
                store.ingest(chronolex.read_event_files([scratch], bundle.timezone, catalog=bundle.events))
                lines = []
        count = store.count()
    scratch.unlink()
    print(f"store: {accounts:,} accounts, {count:,} events, {time.perf_counter() - started:.1f} s to generate")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(store: Path, log: Path | None, workdir: Path, workers: int = 1) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    args = [sys.executable, "-m", "chronolex", "serve", str(HUABEI), "--db", str(store), "--port", str(port),
            "--reload-interval", "0", "--max-batch", "1000", "--workers", str(workers)]
    args += ["--log", str(log)] if log else ["--no-log"]
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=(workdir / f"server-{port}.err").open("wb"))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


class Connection:
    """One keep-alive HTTP/1.1 connection (asyncio streams; no client library in the way)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        return status, await self.reader.readexactly(length)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def closed_loop(port: int, concurrency: int, body: Callable[[int], bytes], requests: int, seconds: float,
                      per_call: int = 1) -> dict[str, float]:
    """``concurrency`` clients, each sending its next request when the last is answered."""
    latencies: list[float] = []
    issued = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal issued
        connection = Connection(port)
        while issued < requests and time.perf_counter() < deadline:
            number = issued
            issued += 1
            sent = time.perf_counter()
            status, payload = await connection.post("/v1/decide", body(number))
            if status != 200:
                raise SystemExit(f"status {status}: {payload[:300]!r}")
            latencies.append(time.perf_counter() - sent)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"calls": len(latencies), "per_s": len(latencies) * per_call / elapsed,
            "p50": percentile(latencies, 0.5) * 1000, "p99": percentile(latencies, 0.99) * 1000}


async def open_loop(port: int, rate: float, body: Callable[[int], bytes], requests: int,
                    seconds: float) -> dict[str, float]:
    """Requests due at a fixed rate, each on a free connection; latency from when it was due."""
    count = min(requests, int(rate * seconds))
    pool = [Connection(port) for _ in range(64)]
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for connection in pool:
        free.put_nowait(connection)
    latencies: list[float] = []
    start = time.perf_counter() + 0.1

    async def one(number: int) -> None:
        due = start + number / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        connection = await free.get()
        status, payload = await connection.post("/v1/decide", body(number))
        free.put_nowait(connection)
        if status != 200:
            raise SystemExit(f"status {status}: {payload[:300]!r}")
        latencies.append(time.perf_counter() - due)

    await asyncio.gather(*(one(n) for n in range(count)))
    elapsed = time.perf_counter() - start
    return {"calls": len(latencies), "per_s": len(latencies) / elapsed, "p50": percentile(latencies, 0.5) * 1000,
            "p99": percentile(latencies, 0.99) * 1000}


def given(number: int) -> dict[str, object]:
    return {"account": f"given-{number}", "action": "open", "at": AT,
            "facts": {"credit_score": 450 + number % 350, "kyc_verified": True, "credit_report_consent": True,
                      "birth_date": "1990-05-14", "occupation": "engineer"}}


def report(name: str, figures: dict[str, float], unit: str = "req/s") -> dict[str, float]:
    print(f"  {name:<50} {figures['per_s']:>8,.0f} {unit:<11} p50 {figures['p50']:>7.1f} ms   "
          f"p99 {figures['p99']:>7.1f} ms   ({figures['calls']:,.0f} calls)", flush=True)
    return figures


Scenario = tuple[str, Callable[[int], bytes], int, int, int]  # name, body, requests a call, calls, concurrency


def alternating(servers: dict[str, int], scenarios: tuple[Scenario, ...],
                seconds: float) -> dict[str, dict[str, float]]:
    """Each scenario (name, body, requests per call, calls, concurrency) on each server
    (label: port), in :data:`ROUNDS` alternating rounds, so a shift of the machine's load
    falls on both alike; the figures by "label name", each printed."""
    results: dict[str, dict[str, float]] = {}
    for name, body, per_call, calls, concurrency in scenarios:
        for label in servers:
            results[f"{label} {name}"] = {"calls": 0.0, "elapsed": 0.0, "p50": 0.0, "p99": 0.0}
        for _round in range(ROUNDS):
            for label, port in servers.items():
                figures = asyncio.run(closed_loop(port, concurrency, body, max(1, calls // ROUNDS),
                                                  seconds / ROUNDS, per_call))
                total = results[f"{label} {name}"]
                total["calls"] += figures["calls"]
                total["elapsed"] += figures["calls"] * per_call / figures["per_s"]
                total["p50"], total["p99"] = max(total["p50"], figures["p50"]), max(total["p99"], figures["p99"])
        for label in servers:
            total = results[f"{label} {name}"]
            total["per_s"] = total["calls"] * per_call / total["elapsed"]
            report(f"{name}, {label}", total, "decisions/s" if per_call > 1 else "req/s")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3000, help="requests per scenario, at most")
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds per scenario, at most")
    parser.add_argument("--batch", type=int, default=100, help="requests per call in the batch form")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second of the paced run")
    parser.add_argument("--keep", type=Path, help="keep the store here (and reuse it)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="worker processes of the server measured beside the one-process server "
                             "(default: one per core)")
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="chronolex-serve-bench-"))
    folder = options.keep or workdir
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / f"events-{options.accounts}.db"
    if not store.exists():
        make_store(store, options.accounts)
    rng = random.Random(7)
    accounts = [f"acct-{rng.randrange(options.accounts):07d}" for _ in range(options.requests)]

    def single(number: int) -> bytes:
        return json.dumps(given(number)).encode()

    def from_store(number: int) -> bytes:
        return json.dumps({"account": accounts[number % len(accounts)], "action": "open", "at": AT}).encode()

    def batch(number: int) -> bytes:
        return json.dumps([given(number * options.batch + i) for i in range(options.batch)]).encode()

    print(f"chronolex serve on 127.0.0.1, {os.cpu_count()} cores; at most {options.requests:,} requests or "
          f"{options.seconds:g} s a scenario; load average {os.getloadavg()[0]:.1f}")
    results: dict[str, dict[str, float]] = {}
    servers = []
    try:
        logged, logged_port = start(store, workdir / "decisions.db", workdir)
        servers.append(logged)
        bare, bare_port = start(store, None, workdir)
        servers.append(bare)
        several, several_port = start(store, workdir / "decisions-workers.db", workdir, options.workers)
        servers.append(several)
        requests, seconds = options.requests, options.seconds
        # enough calls that every connection of a concurrent run sends several in each round
        # (the scenario still stops after --seconds)
        batch_calls = max(requests // options.batch, 64 * ROUNDS)
        print("with the decision log:")
        for concurrency in (1, 8, 64):
            results[f"given c{concurrency}"] = report(f"given facts, concurrency {concurrency}", asyncio.run(
                closed_loop(logged_port, concurrency, single, requests, seconds)))
        for concurrency in (1, 8, 64):
            results[f"store c{concurrency}"] = report(f"facts from the store, concurrency {concurrency}", asyncio.run(
                closed_loop(logged_port, concurrency, from_store, requests, seconds)))
        for concurrency in (1, 8, 64):
            results[f"batch c{concurrency}"] = report(
                f"batch of {options.batch}, given facts, concurrency {concurrency}", asyncio.run(
                    closed_loop(logged_port, concurrency, batch, batch_calls, seconds, options.batch)), "decisions/s")
        results["paced"] = report(f"single, given facts, paced at {options.rate:g}/s", asyncio.run(
            open_loop(logged_port, options.rate, single, requests, seconds)))
        print("the log's cost: the same load on both servers, in alternating rounds (the machine's load shifts):")
        costs: tuple[Scenario, ...] = (
            *((f"given facts, concurrency {c}", single, 1, requests, c) for c in (1, 8, 64)),
            ("facts from the store, concurrency 8", from_store, 1, requests, 8),
            (f"batch of {options.batch}, concurrency 8", batch, options.batch, batch_calls, 8))
        results.update(alternating({"with log": logged_port, "no log": bare_port}, costs, seconds))
        results["bare paced"] = report(f"no log: single, given facts, paced at {options.rate:g}/s", asyncio.run(
            open_loop(bare_port, options.rate, single, requests, seconds)))
        print(f"one process beside {options.workers} worker processes (--workers {options.workers}), with the log, "
              "alternating rounds:")
        results.update(alternating({"1 process": logged_port, f"{options.workers} workers": several_port},
                                   (costs[1], costs[-1]), seconds))
        results["workers paced"] = report(
            f"{options.workers} workers: single, given facts, paced at {options.rate:g}/s", asyncio.run(
                open_loop(several_port, options.rate, single, requests, seconds)))
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    best_batch = max(results[f"batch c{concurrency}"]["per_s"] for concurrency in (1, 8, 64))
    several_batch = results[f"{options.workers} workers batch of {options.batch}, concurrency 8"]["per_s"]
    cost = {name: 1 - results[f"with log {name}"]["per_s"] / results[f"no log {name}"]["per_s"]
            for name, *_ in costs}
    print("goals:")
    print(f"  batch form, given facts: {best_batch:,.0f} decisions/s in one process, {several_batch:,.0f} with "
          f"{options.workers} workers (goal >= 2,000): {'met' if max(best_batch, several_batch) >= 2000 else 'NOT met'}")
    print(f"  p99 at {options.rate:g} req/s single: {results['paced']['p99']:.1f} ms (goal < 25 ms): "
          f"{'met' if results['paced']['p99'] < 25 else 'NOT met'}")
    print("  the log's cost (goal <= 30% of throughput):")
    for name, share in cost.items():
        print(f"    {name:<40} {100 * share:3.0f}%  {'met' if share <= 0.30 else 'NOT met'}")

if __name__ == "__main__":
    main()
