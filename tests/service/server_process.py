"""``chronolex serve`` as a real process, on a loopback port the system picks for it.

A port found free beforehand (bind to port 0, close, pass the number on) can be taken by
another process (another test, or any outgoing connection, whose local port comes from
the same range) before the server binds it: the server then fails to start, or a test
talks to someone else's server. So the server is started with ``--port 0`` and the
test reads the port it bound from its log ("Uvicorn running on http://127.0.0.1:PORT",
or "serving on http://127.0.0.1:PORT with N workers").
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

#: How long a server may take to start on a loaded machine (it checks its bundles first).
START_SECONDS = 120.0

_BOUND = re.compile(rb"(?:Uvicorn running on|serving on) http://127\.0\.0\.1:(\d+) ")


def start_serve(arguments: list[str], output: Path) -> tuple[subprocess.Popen[bytes], int]:
    """``chronolex serve ARGUMENTS --port 0`` with its output appended to ``output``; the
    process and its port, once it answers ``/readyz``. The server leads a process group
    of its own, so that :func:`kill_all` stops its workers with it."""
    offset = output.stat().st_size if output.exists() else 0
    with output.open("ab") as sink:
        server = subprocess.Popen([sys.executable, "-m", "chronolex", "serve", *arguments, "--port", "0"],
                                  stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        port = _bound_port(server, output, offset)
        wait_ready(server, port, output)
    except BaseException:
        kill_all(server)
        raise
    return server, port


def kill_all(server: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the server and every process it started (its workers), then reap it."""
    try:
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:  # the group is gone: every process of it has exited
        pass
    server.wait()


def _bound_port(server: subprocess.Popen[bytes], output: Path, offset: int) -> int:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        exited = server.poll()
        with output.open("rb") as written:
            written.seek(offset)
            found = _BOUND.search(written.read())
        if found:
            return int(found[1])
        if exited is not None:
            raise AssertionError(f"the server exited with {exited}:\n{_tail(output)}")
        time.sleep(0.05)
    raise AssertionError(f"the server did not say which port it bound:\n{_tail(output)}")


def wait_ready(server: subprocess.Popen[bytes], port: int, output: Path) -> None:
    """Wait until the server on ``port`` answers ``/readyz`` with 200 (it may be loading)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server exited with {server.returncode}:\n{_tail(output)}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        time.sleep(0.05)
    raise AssertionError(f"the server did not become ready:\n{_tail(output)}")


def _tail(output: Path) -> str:
    return output.read_text(encoding="utf-8", errors="replace")[-3000:]
