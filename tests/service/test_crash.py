"""Crash safety: ``chronolex serve`` killed with SIGKILL at random moments while a
client process sends decide requests. Every decision whose response the client
received is in the log, the log's chain verifies, and the server starts again on it.

The server is a real process on a loopback port it picks itself (``server_process``);
the moments are drawn from a seeded generator, so a failing trial can be run again.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import chronolex
from tests.conftest import HUABEI
from tests.service.server_process import start_serve

TRIALS = 20
REQUESTS = 400  # per client: more than a trial can send before its kill
CLIENT = Path(__file__).with_name("crash_client.py")


def start_server(log: Path, output: Path) -> tuple[subprocess.Popen[bytes], int]:
    return start_serve([str(HUABEI), "--log", str(log), "--reload-interval", "0"], output)


def test_every_answered_decision_survives_kill_9(tmp_path: Path) -> None:
    log_path = tmp_path / "decisions.db"
    output = tmp_path / "server.out"
    moments = random.Random(15)
    answered: set[str] = set()
    for trial in range(TRIALS):
        server, port = start_server(log_path, output)
        client = subprocess.Popen([sys.executable, str(CLIENT), str(port), str(REQUESTS)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(moments.uniform(0.05, 0.6))
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        received, errors = client.communicate(timeout=60)
        assert client.returncode == 0, errors.decode()
        ids = received.decode().split()
        answered.update(ids)
        with chronolex.DecisionLog(log_path) as log:
            verification = log.verify()
            assert verification.ok, (trial, verification)
            logged = {record.decision_id for record in log.records()}
        missing = answered - logged
        assert not missing, f"trial {trial}: {len(missing)} answered decisions are not in the log"
    assert len(answered) > TRIALS  # the kills fell while requests were being answered
    verified = subprocess.run([sys.executable, "-m", "chronolex", "log", "verify", str(log_path)],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    server, _ = start_server(log_path, output)  # and the server starts again on the log
    server.send_signal(signal.SIGINT)
    assert server.wait(timeout=60) == 0
