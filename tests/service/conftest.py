"""Fixtures of the service tests: one store of the example accounts for the module, an
application over it with a fixed clock and a decision log."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")  # Starlette's own client
from starlette.testclient import TestClient  # noqa: E402

import chronolex
from chronolex.service.reload import full_check
from tests.conftest import HUABEI
from tests.service.support import FixedClock, MemoryLog

PLATFORM = "platform-token-0123456789"
READ = "read-token-0123456789abcdef"


@pytest.fixture(scope="session")
def huabei() -> chronolex.Bundle:
    return chronolex.load_bundle(HUABEI)


@pytest.fixture(scope="session")
def example_store(tmp_path_factory: pytest.TempPathFactory, huabei: chronolex.Bundle) -> Path:
    """The example accounts ingested once; tests that write copy it."""
    path = tmp_path_factory.mktemp("store") / "events.db"
    events = chronolex.read_event_files([HUABEI / "examples" / "events.jsonl"], huabei.timezone,
                                        catalog=huabei.events)
    with chronolex.EventStore(path, create=True) as store:
        store.ingest(events)
    return path


def make_client(bundle: chronolex.Bundle, source: Path, store: Path | None, *, log: Any = None,
                tokens: chronolex.Tokens | None = None, limits: chronolex.ServiceLimits | None = None,
                clock: FixedClock | None = None, check: Any = full_check) -> TestClient:
    state = chronolex.ServiceState(clock or FixedClock(), {bundle.name: bundle}, {bundle.name: source},
                                   store=chronolex.EventStore(store) if store else None, log=log)
    app = chronolex.create_app(state, tokens=tokens, limits=limits, check=check)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def store_copy(example_store: Path, tmp_path: Path) -> Path:
    target = tmp_path / "events.db"
    shutil.copy(example_store, target)
    return target


@pytest.fixture
def client(huabei: chronolex.Bundle, example_store: Path) -> Iterator[TestClient]:
    """An open service over the example store (read-only use) with an in-memory log."""
    with make_client(huabei, HUABEI, example_store, log=MemoryLog()) as test_client:
        yield test_client
