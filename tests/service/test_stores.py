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

#: The most worker threads Starlette's pool runs at once (anyio's default limiter).
ANYIO_THREADS = 40


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


def test_console_pages_reuse_the_services_connections_and_shutdown_closes_them(huabei: chronolex.Bundle,
                                                                              example_store: Path) -> None:
    pages = ["/?account=acct-1001&at=2026-03-16T10:00&action=open",
             "/timeline?account=acct-1001&at=2026-03-16T10:00&action=open&lang=zh-CN",
             "/?account=acct-10"]
    with make_client(huabei, HUABEI, example_store) as client:
        stores = client.app.state.service.stores  # type: ignore[attr-defined]
        for _ in range(15):
            for page in pages:
                answer = client.get(page)
                assert answer.status_code == 200, (page, answer.text[:300])
        assert client.get("/policy?old=2025.07&new=2026.03").status_code == 200  # the impact reads the store too
        assert "Opening Huabei is blocked" in client.get(pages[0]).text  # still answering after 46 pages
        # the pages read through the service's connections: one per worker thread that
        # served, never one per page
        assert 1 <= stores.open_count <= ANYIO_THREADS < 15 * len(pages)
        opened = stores.open_count
        assert client.post("/v1/decide", json={"account": "acct-1001", "action": "open",
                                               "at": "2026-03-16T10:00"}).status_code == 200
        assert stores.open_count <= max(opened + 1, ANYIO_THREADS)
    assert stores.open_count == 0  # the shutdown closed them all
