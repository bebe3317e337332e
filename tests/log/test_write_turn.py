"""Processes sharing a decision log take turns on its lock file (``chronolex.log.turn``).

What a user of ``serve --workers N`` relies on: a writer that waits too long gets the same
"locked by another process" error as before, a writer that gave up does not keep the
turn, a killed process gives its turn back, and appends from several processes form one
chain.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from chronolex import ChronolexError, DecisionLog
from chronolex.log.turn import WriteTurn
from tests.helpers.decisions import entry


@pytest.fixture
def path(tmp_path: Path) -> Path:
    with DecisionLog(tmp_path / "decisions.db", create=True) as log:
        log.append([entry(0)])
    return tmp_path / "decisions.db"


def eventually_free(turn: WriteTurn) -> None:
    """Wait (60 s at most) until the turn can be taken at once, then give it back."""
    deadline = time.monotonic() + 60
    while True:
        try:
            turn.give(turn.take(wait=0))
            return
        except TimeoutError:
            assert time.monotonic() < deadline, "the turn was never given back"
            time.sleep(0.01)


def test_a_writer_waits_for_the_turn_then_is_refused_with_the_logs_error(path: Path) -> None:
    other = WriteTurn(path)
    held = other.take(wait=1.0)
    assert held is not None and other.path == Path(f"{path}-lock")
    try:
        with DecisionLog(path, wait=0.05) as log:
            assert log.count() == 1  # readers do not take turns
            with pytest.raises(ChronolexError, match=r"locked by another process \(waited 0.05 s"):
                log.append([entry(1)])
    finally:
        other.give(held)
    with DecisionLog(path, wait=0.05) as log:
        eventually_free(WriteTurn(path))  # the writer that gave up has let go of the turn too
        assert log.append([entry(1)])[0].seq == 2 and log.verify().ok


def test_a_writer_waiting_for_the_turn_gets_it_when_it_is_given_back(path: Path) -> None:
    other = WriteTurn(path)
    held = other.take(wait=1.0)
    with DecisionLog(path, wait=60) as log:
        result: list[int] = []
        writer = threading.Thread(target=lambda: result.extend(r.seq for r in log.append([entry(1)])))
        writer.start()
        writer.join(0.2)
        assert writer.is_alive() and not result  # waiting for the turn
        other.give(held)
        writer.join(60)
        assert result == [2]


def _hold_turn_forever(path: str) -> None:  # pragma: no cover - runs in a child process
    WriteTurn(path).take(wait=10)
    print("held", flush=True)
    time.sleep(600)


def test_a_killed_process_gives_its_turn_back(path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; from tests.log.test_write_turn import "
                              "_hold_turn_forever as h; h(sys.argv[1])", str(path)],
                             stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parents[2])
    try:
        assert child.stdout is not None and child.stdout.readline() == b"held\n"
        with pytest.raises(TimeoutError):
            WriteTurn(path).take(wait=0)
    finally:
        child.kill()
        child.wait()
    eventually_free(WriteTurn(path))
    with DecisionLog(path) as log:
        assert log.append([entry(1)])[0].seq == 2


def _append_many(path: str, start: int, count: int) -> None:  # pragma: no cover - child process
    with DecisionLog(path) as log:
        for n in range(start, start + count):
            log.append([entry(n)])


def test_appends_from_several_processes_form_one_chain(path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_append_many, args=(str(path), 1000 * k, 60)) for k in (1, 2, 3)]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
        assert child.exitcode == 0
    with DecisionLog(path) as log:
        assert log.count() == 1 + 3 * 60 and log.verify().ok
        assert sorted(r.seq for r in log.records()) == list(range(1, 182))


def test_where_no_lock_file_can_be_made_writers_rely_on_sqlites_lock(tmp_path: Path) -> None:
    turn = WriteTurn(tmp_path / "no such directory" / "decisions.db")
    assert turn.take(wait=0) is None
    turn.give(None)
