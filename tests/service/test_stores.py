"""Per-thread store connections: a connection opened before a new store's first ingest
sees the events once that ingest has committed."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path

import chronolex
from chronolex.service.stores import ThreadStores
from tests.conftest import HUABEI
from tests.service.conftest import make_client
from tests.service.support import MemoryLog


def test_a_thread_opened_before_the_first_ingest_sees_the_events_after_it(tmp_path: Path) -> None:
    stores = ThreadStores(tmp_path / "new.db")
    early = stores.get()
    assert early.history("a").events == ()
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)

    def ingest() -> None:
        stores.get().ingest([chronolex.Event("a", at, "kyc_verified", at)])
        stores.renew()

    thread = threading.Thread(target=ingest)
    thread.start()
    thread.join()
    assert len(stores.get().history("a").events) == 1


def test_events_posted_to_a_new_store_are_decided_on(tmp_path: Path) -> None:
    bundle = chronolex.load_bundle(HUABEI)
    path = tmp_path / "new.db"
    chronolex.EventStore(path, create=True).close()
    with make_client(bundle, HUABEI, None, log=MemoryLog()) as client:
        client.app.state.service.stores = ThreadStores(path)  # type: ignore[attr-defined]
        ask = {"account": "acct-new", "action": "open", "at": "2026-03-16T10:00"}
        assert client.post("/v1/decide", json=ask).status_code == 404
        events = [{"account": "acct-new", "at": "2026-03-01", "type": "profile_updated", "occupation": "student"}]
        assert client.post("/v1/events", json=events).json()["added"] == 1
        for _ in range(4):  # whichever worker thread answers
            assert "regulation" in client.post("/v1/decide", json=ask).json()["blocked_by"]
