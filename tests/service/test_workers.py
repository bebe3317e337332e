"""``chronolex serve --workers N``: several processes on one address, one service.

A real server with two workers on a loopback port it picks itself (``server_process``):
callers on many connections are answered, every decision is in the one log with its
chain whole, ``/metrics`` counts every worker's decisions whichever worker is scraped,
a killed worker is replaced, and SIGTERM stops them all.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

import chronolex
from chronolex.cli import workers
from chronolex.cli.app import cli
from tests.conftest import HUABEI
from tests.service.server_process import kill_all, start_serve, wait_ready

CONNECTIONS = 8
CALLS = 6  # per connection: single requests and batches of three


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def command_line(pid: int) -> bytes:
    """A process's command line; empty once it has exited (a zombie's, or one already reaped)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def started_at(pid: int) -> str | None:
    """When process ``pid`` started (in clock ticks since boot); None once it is gone. A pid
    with another start time is another process that was given the number afterwards."""
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def workers_of(server: subprocess.Popen[bytes]) -> set[int]:
    """The supervisor's live worker processes (spawn also starts a resource tracker: not one)."""
    return {pid for pid in children(server.pid)
            if b"chronolex.cli" in (line := command_line(pid)) or b"multiprocessing.spawn" in line}


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read()


def caller(port: int, number: int) -> list[str]:
    """One keep-alive connection sending CALLS calls; the decision ids it received."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    ids: list[str] = []
    for call in range(CALLS):
        asks = [{"account": f"w-{number}-{call}-{i}", "action": "open", "at": "2026-03-16T10:00",
                 "facts": {"credit_score": 450 + 37 * i + call}} for i in range(1 + 2 * (call % 2))]
        connection.request("POST", "/v1/decide", json.dumps(asks[0] if len(asks) == 1 else asks),
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        document = json.loads(response.read())
        assert response.status == 200, document
        ids += [d["decision_id"] for d in document["decisions"]] if len(asks) > 1 else [document["decision_id"]]
    return ids


def decisions_counted(port: int) -> float:
    status, text = get(port, "/metrics")
    assert status == 200
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.decode().splitlines()
               if line.startswith("chronolex_decisions_total{"))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, Path, Path]]:
    log = tmp_path / "decisions.db"
    output = tmp_path / "server.out"
    process, port = start_serve([str(HUABEI), "--log", str(log), "--reload-interval", "0", "--workers", "2"],
                                output)
    try:
        yield process, port, log, output
    finally:
        kill_all(process)  # whatever the test left running: the supervisor and its workers


def test_two_workers_answer_log_count_recover_and_stop(server: tuple[subprocess.Popen[bytes], int, Path, Path]) -> None:
    process, port, log_path, output = server
    started = workers_of(process)
    assert len(started) == 2, started

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        answered = [i for ids in pool.map(lambda n: caller(port, n), range(CONNECTIONS)) for i in ids]
    expected = CONNECTIONS * sum(1 + 2 * (call % 2) for call in range(CALLS))
    assert len(answered) == len(set(answered)) == expected
    # whichever worker answers the scrape, it counts every worker's decisions
    assert [decisions_counted(port) for _ in range(6)] == [expected] * 6
    with chronolex.DecisionLog(log_path) as log:
        assert log.verify().ok
        assert {r.decision_id for r in log.records()} == set(answered)

    # a worker killed outright is replaced, and the service goes on answering
    victim = min(started)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (victim in workers_of(process) or len(workers_of(process)) < 2):
        time.sleep(0.1)
    replaced = workers_of(process)
    assert victim not in replaced and len(replaced) == 2, replaced
    births = {pid: started_at(pid) for pid in replaced}
    wait_ready(process, port, output)
    more = [i for ids in ThreadPoolExecutor(4).map(lambda n: caller(port, 100 + n), range(4)) for i in ids]
    with chronolex.DecisionLog(log_path) as log:
        assert log.verify().ok
        assert log.count() == expected + len(more)

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0, output.read_text()[-3000:]
    # stopped and reaped (a pid in use again belongs to a process started since)
    assert not [pid for pid in replaced if births[pid] is not None and started_at(pid) == births[pid]]
    assert "exited with -9" in output.read_text()


def test_sockets_share_one_port_and_a_taken_port_is_refused_before_any_worker_starts() -> None:
    sockets = workers.reuse_port_sockets("127.0.0.1", 0, 3)
    try:
        assert len({s.getsockname() for s in sockets}) == 1
    finally:
        for sock in sockets:
            sock.close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", str(HUABEI), "--no-log", "--port", str(port), "--workers", "2"])
    assert result.exit_code == 2, result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_workers_that_keep_dying_as_they_start_stop_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "QUICK_EXITS_TOLERATED", 2)
    sockets = workers.reuse_port_sockets("127.0.0.1", 0, 1)
    supervisor = workers.Supervisor(sockets, sys.exit, (3,))
    assert supervisor.run() == 1
    assert all(s.fileno() == -1 for s in sockets)  # closed
