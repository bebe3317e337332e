"""Reloads: a broken bundle written over a good one is refused and the good one keeps
answering; a good change replaces it; /readyz and the metrics say what happened."""

from __future__ import annotations

import time
from pathlib import Path

from starlette.testclient import TestClient

import chronolex
from tests.service.conftest import make_client
from tests.service.support import FixedClock, MemoryLog, valid

ASK = {"account": "a-1", "action": "open", "at": "2026-07-01T10:00", "facts": {"credit_score": 500}}


def test_a_broken_bundle_is_refused_and_the_good_one_keeps_answering(huabei_copy: Path) -> None:
    bundle = chronolex.load_bundle(huabei_copy)
    with make_client(bundle, huabei_copy, None, log=MemoryLog()) as client:
        before = client.post("/v1/decide", json=ASK).json()
        assert before["policy"]["version"] == "2026.06"
        version = huabei_copy / "versions" / "2026.06.yaml"
        good = version.read_text(encoding="utf-8")
        version.write_text(good.replace("rules:", "rules: [", 1), encoding="utf-8")
        [outcome] = client.app.state.watcher.poll()  # type: ignore[attr-defined]
        assert outcome.result == "refused" and "versions/2026.06.yaml" in str(outcome.error)
        after = client.post("/v1/decide", json=ASK).json()
        assert {**after, "decision_id": None} == {**before, "decision_id": None}
        ready = client.get("/readyz")
        assert ready.status_code == 200  # the old bundle serves: ready, with the reason shown
        assert "2026.06.yaml" in valid(ready.json(), "service", "ready")["bundles"]["huabei"]["reload_error"]
        assert client.app.state.watcher.poll() == []  # type: ignore[attr-defined]  # unchanged files: no work
        forced = client.post("/v1/admin/reload")
        assert forced.status_code == 422 and forced.json()["reloads"][0]["result"] == "refused"
        assert 'chronolex_bundle_reloads_total{bundle="huabei",result="refused"} 2.0' in client.get("/metrics").text

        version.write_text(good.replace("summary:", "summary: Reloaded.", 1), encoding="utf-8")
        [outcome] = client.app.state.watcher.poll()  # type: ignore[attr-defined]
        assert outcome.result == "loaded"
        assert client.get("/readyz").json()["bundles"]["huabei"]["reload_error"] is None
        reloaded = client.app.state.service.state.bundles["huabei"]  # type: ignore[attr-defined]
        assert reloaded is not bundle and reloaded.version("2026.06").summary.startswith("Reloaded.")
        assert valid(client.post("/v1/admin/reload").json(), "service", "reloads")["reloads"][0]["result"] == "loaded"


def test_the_files_are_polled_while_the_service_runs(huabei_copy: Path) -> None:
    bundle = chronolex.load_bundle(huabei_copy)
    state = chronolex.ServiceState(FixedClock(), {"huabei": bundle}, {"huabei": huabei_copy})
    with TestClient(chronolex.create_app(state, reload_interval=0.05)) as client:
        (huabei_copy / "bundle.yaml").write_text("bundle: [", encoding="utf-8")
        deadline = time.monotonic() + 30
        while "huabei" not in state.reload_errors and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "bundle.yaml" in state.reload_errors["huabei"]
        assert client.post("/v1/decide", json=ASK).json()["decision"] == "blocked"
