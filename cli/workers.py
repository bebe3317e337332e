"""Worker processes of ``chronolex serve --workers N``: one listening socket each.

A Python process decides on one core at a time, so a service that must use the
machine's cores runs several processes on one address. uvicorn's own ``--workers``
shares one socket among them, and an asyncio server accepts every connection waiting
when it wakes: with keep-alive clients one worker took all eight connections of a
benchmark while the other sat idle. Here each worker has its own socket, bound to the
same address with ``SO_REUSEPORT``, and the kernel spreads new connections over them.

The supervisor (this process) binds the sockets before it starts a worker, so a port
already in use is an error at once; it restarts a worker that dies, gives up when
workers keep dying at start (a broken bundle, say), and on SIGINT or SIGTERM asks every
worker to finish what it is answering and waits for them.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

logger = logging.getLogger("chronolex.serve")

#: A worker that exits this soon after it started counts as failing to start.
QUICK_EXIT_SECONDS = 10.0
#: Give up after this many quick exits in a row.
QUICK_EXITS_TOLERATED = 5
#: How long stopped workers may take to finish what they are answering.
STOP_SECONDS = 15.0


def reuse_port_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` listening sockets on one address, bound with ``SO_REUSEPORT`` (port 0:
    the first socket's free port, then the same one for the others). Raises ``OSError``
    (the address is in use, cannot be assigned...) with nothing left open."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise OSError("this system has no SO_REUSEPORT: serve one process (leave out --workers)")
    family, kind, proto, _, address = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, kind, proto)
            opened.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(address)
            sock.listen(2048)
            sock.set_inheritable(True)
            address = (address[0], sock.getsockname()[1], *address[2:])
    except OSError:
        for sock in opened:
            sock.close()
        raise
    return opened


class Supervisor:
    """Runs ``target(sock, *args)`` in one spawned process per socket, until stopped."""

    def __init__(self, sockets: list[socket.socket], target: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.sockets = sockets
        self.target = target
        self.args = args
        self.context = multiprocessing.get_context("spawn")  # a fresh interpreter: no state copied by fork
        self.stopping = threading.Event()
        self.processes: list[BaseProcess | None] = [None] * len(sockets)
        self.started: list[float] = [0.0] * len(sockets)

    def _start(self, index: int) -> None:
        process = self.context.Process(target=self.target, args=(self.sockets[index], *self.args),
                                       name=f"chronolex-worker-{index + 1}")
        process.start()
        self.processes[index] = process
        self.started[index] = time.monotonic()
        logger.info("started worker %d (process %s)", index + 1, process.pid)

    def run(self) -> int:
        """Serve until SIGINT or SIGTERM (0), or until workers keep dying at start (1)."""
        previous = {sig: signal.signal(sig, lambda *_: self.stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        quick_exits = 0
        try:
            for index in range(len(self.sockets)):
                self._start(index)
            while not self.stopping.wait(0.25):
                for index, process in enumerate(self.processes):
                    if process is None or process.is_alive():
                        continue
                    lived = time.monotonic() - self.started[index]
                    logger.error("worker %d (process %s) exited with %s after %.1f s", index + 1, process.pid,
                                 process.exitcode, lived)
                    quick_exits = quick_exits + 1 if lived < QUICK_EXIT_SECONDS else 0
                    if quick_exits >= QUICK_EXITS_TOLERATED:
                        logger.error("workers keep exiting as they start: stopping (see the errors above)")
                        return 1
                    self._start(index)
            return 0
        finally:
            self._stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for sock in self.sockets:
                sock.close()

    def _stop(self) -> None:
        alive = [p for p in self.processes if p is not None and p.is_alive()]
        for process in alive:
            process.terminate()  # SIGTERM: uvicorn finishes the requests under way
        deadline = time.monotonic() + STOP_SECONDS
        for process in alive:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.error("worker process %s did not stop in %.0f s: killed", process.pid, STOP_SECONDS)
                process.kill()
                process.join()
