"""What the console's tests serve: the shipped bundle with its example accounts in a
store, a decision log holding what "the platform" decided, a fixed clock, and a way to
run an application on a free loopback port (for the browser)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

import chronolex
from chronolex.events.store import EventStore
from chronolex.log.record import NewDecision
from chronolex.log.store import DecisionLog
from chronolex.service.console import console_routes
from chronolex.service.state import ServiceState
from tests.conftest import HUABEI

EVENTS = HUABEI / "examples" / "events.jsonl"
#: The instant of the support-agent story, and the clock the console falls back on.
STORY_AT = "2026-03-16T10:00"
#: What a <script> in a bundle or an event would do if it ran.
SCRIPT = "<script>window.__pwned = 1</script>"


class FixedClock:
    """The service's clock, stopped at 16 March 2026, 10:00 Beijing time."""

    def now(self) -> datetime:
        return datetime(2026, 3, 16, 2, 0, tzinfo=timezone.utc)

    def monotonic(self) -> float:
        return 0.0


def store_of(bundle: chronolex.Bundle, paths: list[Path], target: Path) -> EventStore:
    source = chronolex.open_source([str(p) for p in paths], bundle.timezone, catalog=bundle.events)
    with EventStore(target, create=True) as store:
        store.ingest([event for account in source.accounts() for event in source.history(account).events])
    return EventStore(target)


def logged(at: str, *, facts: dict[str, object], given: bool, decision: str, rules: tuple[str, ...]) -> NewDecision:
    return NewDecision(at=at, received_at=at.replace(":00+08:00", ":00.004+08:00"), known_at=None,
                       account="acct-1001", action="open", bundle="huabei", version="2026.03", facts=facts,
                       facts_given=given, decision=decision, blocked_by=("platform",) if rules else (),
                       rules=rules)


def story_log(path: Path) -> DecisionLog:
    """Two decisions about acct-1001 on the morning of 16 March: one as the replay gives
    it, and one on facts the caller gave that the events do not support."""
    log = DecisionLog(path, create=True)
    log.append([
        logged("2026-03-16T08:00:00+08:00", facts={"borrowed_30d": 0}, given=True, decision="allowed", rules=()),
        logged("2026-03-16T09:58:00+08:00", facts={"borrowed_30d": 6300}, given=False, decision="blocked",
               rules=("PLAT-RECENT-BORROWING",)),
    ])
    return log


def huabei_state(folder: Path) -> ServiceState:
    """The shipped bundle, its example accounts in a store, and the story's decision log."""
    bundle = chronolex.load_bundle(HUABEI)
    store = store_of(bundle, [EVENTS], folder / "events.db")
    return ServiceState(FixedClock(), {"huabei": bundle}, {"huabei": HUABEI}, store, story_log(folder / "log.db"))


def hostile_state(folder: Path) -> ServiceState:
    """A copy of the bundle whose rule title, message and citation hold a <script>, and an
    account whose event fields do: everything must show as text."""
    root = folder / "huabei"
    shutil.copytree(HUABEI, root)
    version = root / "versions" / "2026.03.yaml"
    text = version.read_text(encoding="utf-8")
    text = text.replace("en: Recent borrowing elsewhere on the platform blocks opening",
                        f"en: \"Recent borrowing {SCRIPT}\"")
    text = text.replace("en: You have borrowed a large amount on the platform in the last 30 days, so a new credit "
                        "line cannot be opened yet.", f"en: \"Message <img src=x onerror=alert(1)> {SCRIPT}\"")
    version.write_text(text, encoding="utf-8")
    events = folder / "hostile.jsonl"
    events.write_text(
        EVENTS.read_text(encoding="utf-8")
        + '{"account": "acct-evil", "at": "2026-03-01T09:00:00+08:00", "type": "loan_disbursed", "amount": 6000, '
          '"currency": "CNY", "product": "' + SCRIPT.replace('"', '\\"') + '", "loan_id": "L-1"}\n',
        encoding="utf-8")
    bundle = chronolex.load_bundle(root)
    store = store_of(bundle, [events], folder / "events.db")
    return ServiceState(FixedClock(), {"huabei": bundle}, {"huabei": root}, store, None)


def console_app(state: ServiceState) -> Starlette:
    """The console's routes in an application of their own, as the service mounts them."""
    return Starlette(routes=console_routes(state))


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """``app`` served by uvicorn on a free 127.0.0.1 port in a background thread; yields its URL.

    The listening socket is bound here (port 0: the system picks a free one) and handed to
    uvicorn: a port found free and passed on by number could be taken by another process
    before uvicorn binds it."""
    listening = socket.socket()
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind(("127.0.0.1", 0))
    port = int(listening.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, name="console-server",
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    try:
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the console's server did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()
