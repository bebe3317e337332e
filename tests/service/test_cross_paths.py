"""The service decides as the library does, on bundles that are not the shipped one.

``POST /v1/decide`` derives its facts from the store the events were ingested into and
reads ``at`` and ``as_known_at`` as text; the library decides on the history in memory at
the instant itself. Random bundles in zones with DST (tests.batch.strategies), random
histories with late-recorded and same-instant events, and instants on DST changes,
month ends and 29 February must give the same decision document, lifts and next change
included, whichever path asked.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chronolex
from tests.batch.strategies import batch_bundles, instants, populations
from tests.examples import examples
from tests.service.conftest import make_client

_DST_NOTE = ("at ", "as_known_at ")  # the request's own wall-time notes, which the library is not given


@settings(max_examples=examples(12, 80), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_decide_over_the_store_is_the_librarys_decision_in_every_zone(data: st.DataObject) -> None:
    spec = data.draw(batch_bundles(), label="bundle")
    at = data.draw(instants(), label="at")
    histories = data.draw(populations(at, max_accounts=3), label="histories")
    known_at = data.draw(st.sampled_from([None, at, at - timedelta(days=3)]), label="known_at")
    with tempfile.TemporaryDirectory(prefix="chronolex-") as directory:
        root = Path(directory) / "bundle"
        spec.write(root)
        bundle = chronolex.load_bundle(root)
        store = Path(directory) / "events.db"
        with chronolex.EventStore(store, create=True) as events:
            events.ingest([event for history in histories for event in history.events])
        # a history the bundle's catalog refuses (a `datetime` field in a DST gap) is refused
        # by the service, which reads the store through that check; the library is handed
        # the history as built, so only the others are compared
        refused = {history.account for history in histories if bundle.events is not None and any(
            list(chronolex.catalog_problems(e.type, e.fields, bundle.events, bundle.timezone))
            for e in history.events)}
        requests: list[dict[str, str]] = []
        expected = []
        for history in histories:
            if history.account in refused:
                continue
            for action in bundle.actions:
                request = {"account": history.account, "action": action, "at": chronolex.format_instant(at, bundle.timezone)}
                if known_at is not None:
                    request["as_known_at"] = chronolex.format_instant(known_at, bundle.timezone)
                requests.append(request)
                expected.append(chronolex.decide(bundle, history, action, at, known_at)
                                .to_json())
        with make_client(bundle, root, store) as client:
            for account in sorted(refused):
                turned_down = client.post("/v1/decide", json={"account": account, "action": bundle.actions[0],
                                                              "at": chronolex.format_instant(at, bundle.timezone)})
                assert turned_down.status_code == 422 and "does not exist in" in turned_down.json()["detail"]
            if not requests:
                return
            answer = client.post("/v1/decide", json=requests)
        assert answer.status_code == 200, answer.text
        for request, got, want in zip(requests, answer.json()["decisions"], expected):
            got.pop("decision_id")
            notes = [n for n in got.pop("notes", None) or [] if not n.startswith(_DST_NOTE)]
            if notes:
                got["notes"] = notes
            if not want.get("notes"):
                want.pop("notes", None)
            assert got == want, f"{request}\n{spec.text()}"
