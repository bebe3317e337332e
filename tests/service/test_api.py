"""The API through Starlette's test client: every endpoint, its documents validated
against the schemas, the same documents as the command line, and the decision log
holding every decision that was answered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

import chronolex
from chronolex.cli.app import cli
from tests.conftest import FIXTURES, HUABEI
from tests.service.conftest import make_client
from tests.service.support import MemoryLog, valid

AT = "2026-03-16T10:00"


def cli_json(*args: str) -> object:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_decide_from_the_store_answers_the_decision_document_and_logs_it(client: TestClient) -> None:
    log: MemoryLog = client.app.state.service.state.log  # type: ignore[attr-defined]
    response = client.post("/v1/decide", json={"account": "acct-1001", "action": "open", "at": AT})
    assert response.status_code == 200
    document = valid(response.json(), "decision")
    assert (document["decision"], document["blocked_by"]) == ("blocked", ["platform"])
    [record] = [r for r in log.entries if r.decision_id == document["decision_id"]]
    entry = record.entry
    assert (entry.account, entry.action, entry.bundle, entry.version) == ("acct-1001", "open", "huabei", "2026.03")
    assert (entry.decision, entry.blocked_by, entry.rules) == ("blocked", ("platform",), ("PLAT-RECENT-BORROWING",))
    assert entry.at == "2026-03-16T10:00:00+08:00" and entry.received_at == "2026-03-16T10:00:00+08:00"
    assert entry.facts["borrowed_30d"] == 6300 and entry.facts_given is False


def test_decide_on_given_facts_needs_no_store_and_at_defaults_to_the_clock(huabei: chronolex.Bundle) -> None:
    log = MemoryLog()
    with make_client(huabei, HUABEI, None, log=log) as client:
        response = client.post("/v1/decide", json={"account": "a-1", "action": "open",
                                                    "facts": {"credit_score": 500, "kyc_verified": True}})
        assert response.status_code == 200
        document = valid(response.json(), "decision")
        assert document["at"] == "2026-03-16T10:00:00+08:00"  # the fixed clock, in the bundle's zone
        assert document["account"] == "a-1" and "PLAT-SCORE-FLOOR" in [r["rule"] for r in document["reasons"]]
        assert log.entries[-1].entry.facts_given and log.entries[-1].entry.facts["credit_score"] == 500
        missing = client.post("/v1/decide", json={"account": "a-1", "action": "open"})
        assert missing.status_code == 409
        assert valid(missing.json(), "service", "problem")["type"].endswith("/no-event-store")
        assert missing.headers["content-type"] == "application/problem+json"


def test_the_batch_form_is_decided_and_logged_in_one_transaction(client: TestClient) -> None:
    log: MemoryLog = client.app.state.service.state.log  # type: ignore[attr-defined]
    calls, count = log.calls, log.count()
    asks = [{"account": "acct-1001", "action": a, "at": AT} for a in ("open", "borrow", "raise_limit")]
    for body in (asks, {"requests": asks}):
        response = client.post("/v1/decide", json=body)
        assert response.status_code == 200
        documents = valid(response.json(), "service", "decisions")["decisions"]
        assert [d["action"] for d in documents] == ["open", "borrow", "raise_limit"]
        assert [d["decision_id"] for d in documents] == [r.decision_id for r in log.entries[-3:]]
    assert (log.calls - calls, log.count() - count) == (2, 6)
    bad = client.post("/v1/decide", json=[*asks, {"account": "acct-1001", "action": "fly"}])
    assert bad.status_code == 422 and bad.json()["index"] == 3 and bad.json()["field"] == "action"
    assert log.count() - count == 6  # a refused batch logs nothing


def test_decide_with_lang_answers_in_the_customers_language(client: TestClient) -> None:
    response = client.post("/v1/decide?lang=zh-CN", json={"account": "acct-1001", "action": "open", "at": AT})
    document = valid(response.json(), "decision")
    assert document["locale"] == "zh-CN" and "开通花呗" in document["summary"]["zh-CN"]
    assert client.post("/v1/decide?lang=fr", json={"account": "acct-1001", "action": "open"}).status_code == 422
    # a tag more specific than the bundle's (as a browser sends it) falls back to it, saying so
    regional = valid(client.post("/v1/decide?lang=zh-CN-u-nu-hanidec",
                                 json={"account": "acct-1001", "action": "open", "at": AT}).json(), "decision")
    assert regional["locale"] == "zh-CN" and regional["summary"]["zh-CN"] == document["summary"]["zh-CN"]
    assert "没有zh-CN-u-nu-hanidec的文本，以zh-CN显示" in regional["notes"]


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"account": "acct-1001", "action": "open", "colour": "red"}, 422, "unknown-field"),
    ({"account": "", "action": "open"}, 422, "bad-request-field"),
    ({"account": "acct-1001", "action": "fly"}, 422, "unknown-action"),
    ({"account": "acct-1001", "action": "open", "at": "16/03/2026"}, 422, "bad-instant"),
    ({"account": "acct-1001", "action": "open", "facts": {"credit_scor": 1}}, 422, "unknown-fact"),
    ({"account": "acct-1001", "action": "open", "facts": {"credit_score": "high"}}, 422, "bad-fact-value"),
    ({"account": "acct-1001", "action": "open", "facts": {}, "as_known_at": AT}, 422, "bad-request-field"),
    ({"account": "acct-1001", "action": "open", "bundle": "other"}, 404, "unknown-bundle"),
    ({"account": "acct-9999", "action": "open"}, 404, "unknown-account"),
    ([], 422, "empty-batch"),
    ("open", 422, "bad-request"),
])
def test_a_bad_decide_request_is_a_problem_document(client: TestClient, body: object, status: int, code: str) -> None:
    response = client.post("/v1/decide", json=body)
    assert response.status_code == status, response.text
    problem = valid(response.json(), "service", "problem")
    assert problem["type"] == f"https://chronolex.dev/problems/{code}" and problem["status"] == status


def test_an_unknown_account_may_be_decided_on_an_empty_history_when_asked(client: TestClient) -> None:
    response = client.post("/v1/decide", json={"account": "acct-9999", "action": "open", "at": AT,
                                               "allow_unknown_account": True})
    assert response.status_code == 200
    assert any("no events" in note for note in valid(response.json(), "decision")["notes"])


@pytest.mark.parametrize(("raw", "content_type", "status"), [
    (b'{"account": "acct-1001",', "application/json", 400),
    (b'{"account": "a", "account": "b", "action": "open"}', "application/json", 400),
    (b'{"account": "a", "action": "open", "facts": {"credit_score": NaN}}', "application/json", 400),
    (b"\xff\xfe", "application/json", 400),
    (b'{"account": "acct-1001", "action": "open"}', "text/plain", 415),
])
def test_a_body_that_is_not_json_is_refused(client: TestClient, raw: bytes, content_type: str, status: int) -> None:
    response = client.post("/v1/decide", content=raw, headers={"content-type": content_type})
    assert response.status_code == status
    valid(response.json(), "service", "problem")


def test_bodies_and_batches_over_their_limits_are_refused_with_413(huabei: chronolex.Bundle,
                                                                   example_store: Path) -> None:
    limits = chronolex.ServiceLimits(max_body_bytes=2000, max_batch=3, max_events=2)
    log = MemoryLog()
    with make_client(huabei, HUABEI, example_store, log=log, limits=limits) as client:
        ask = {"account": "acct-1001", "action": "open", "at": AT}
        assert client.post("/v1/decide", json=[ask] * 3).status_code == 200
        too_many = client.post("/v1/decide", json=[ask] * 4)
        assert too_many.status_code == 413 and too_many.json()["limit"] == 3
        too_big = client.post("/v1/decide", json={**ask, "facts": {"occupation": "x" * 3000}})
        assert too_big.status_code == 413 and too_big.json()["limit"] == 2000
        streamed = client.post("/v1/decide", content=iter([b"[", b" " * 2500, b"]"]),
                               headers={"content-type": "application/json"})
        assert streamed.status_code == 413  # no Content-Length: counted as it arrives
        events = [{"account": "n", "at": "2026-03-01", "type": "kyc_verified"}] * 3
        assert client.post("/v1/events", json=events).status_code == 413
    assert log.count() == 3


def test_events_are_checked_appended_once_and_then_decided_on(huabei: chronolex.Bundle, store_copy: Path) -> None:
    with make_client(huabei, HUABEI, store_copy, log=MemoryLog()) as client:
        events = [{"account": "acct-new", "at": "2026-03-01T09:00", "type": "profile_updated",
                   "occupation": "student"}]
        first = client.post("/v1/events", json=events)
        assert valid(first.json(), "service", "appended") == {"events": 1, "added": 1, "duplicates": 0}
        again = client.post("/v1/events", json={"events": events})
        assert again.json() == {"events": 1, "added": 0, "duplicates": 1}
        decided = client.post("/v1/decide", json={"account": "acct-new", "action": "open", "at": AT}).json()
        assert "regulation" in decided["blocked_by"]
        bad = client.post("/v1/events", json=[events[0], {"account": "acct-new", "at": "2026-03-02",
                                                          "type": "profile_updated", "birth_date": "soon"},
                                              {"account": "acct-new", "type": "kyc_verified"}])
        assert bad.status_code == 422
        problem = valid(bad.json(), "service", "problem")
        assert [e["where"] for e in problem["errors"]] == ["request:2:1", "request:3:1"]
        assert client.post("/v1/events", json=[]).status_code == 422
    with chronolex.EventStore(store_copy) as store:
        assert len(store.history("acct-new").events) == 1  # the refused call added nothing


def test_events_without_a_store_are_a_conflict(huabei: chronolex.Bundle) -> None:
    with make_client(huabei, HUABEI, None, log=MemoryLog()) as client:
        response = client.post("/v1/events", json=[{"account": "a", "at": "2026-03-01", "type": "kyc_verified"}])
        assert response.status_code == 409


def test_why_is_the_document_of_why_format_json(client: TestClient, example_store: Path) -> None:
    for query, args in ([{"action": "open"}, ["--action", "open"]], [{"lang": "zh-CN"}, ["--lang", "zh-CN"]],
                        [{"action": "open", "as_known_at": "2026-03-01"}, ["--action", "open", "--as-known-at",
                                                                          "2026-03-01"]]):
        response = client.get("/v1/accounts/acct-1001/why", params={"at": AT, **query})
        assert response.status_code == 200
        expected = cli_json("why", "acct-1001", "--at", AT, "--db", str(example_store), "--bundle", str(HUABEI),
                            "--format", "json", *args)
        assert response.json() == expected
        for document in response.json() if isinstance(response.json(), list) else [response.json()]:
            valid(document, "decision")


def test_timeline_is_the_document_of_timeline_format_json(client: TestClient, example_store: Path) -> None:
    params = {"from": "2026-03-01", "to": "2026-04-01", "action": "open"}
    response = client.get("/v1/accounts/acct-1001/timeline", params=params)
    assert response.status_code == 200
    expected = cli_json("timeline", "acct-1001", "--from", "2026-03-01", "--to", "2026-04-01", "--action", "open",
                        "--db", str(example_store), "--bundle", str(HUABEI), "--format", "json")
    assert valid(response.json(), "timeline") == expected


@pytest.mark.parametrize(("path", "params", "status", "code"), [
    ("/v1/accounts/acct-1001/timeline", {"from": "2026-03-01"}, 422, "missing-parameter"),
    ("/v1/accounts/acct-1001/timeline", {"from": "2026-04-01", "to": "2026-03-01"}, 422, "bad-range"),
    ("/v1/accounts/acct-1001/why", {"at": AT, "colour": "red"}, 422, "unknown-parameter"),
    ("/v1/accounts/acct-1001/why", {"at": AT, "action": "fly"}, 422, "unknown-action"),
    ("/v1/accounts/acct-1001/why", {"at": "yesterday"}, 422, "bad-instant"),
    ("/v1/accounts/acct-1001/why", {"at": AT, "bundle": "nope"}, 404, "unknown-bundle"),
    ("/v1/accounts/acct-9999/why", {"at": AT}, 404, "unknown-account"),
    ("/v1/bundles/nope/versions", {}, 404, "unknown-bundle"),
    ("/v1/diff", {"old": "huabei@2026.03"}, 422, "missing-parameter"),
    ("/v1/diff", {"old": "huabei@1999.01", "new": "huabei@2026.03"}, 404, "unknown-version"),
    ("/v1/diff", {"old": "huabei", "new": "huabei@2026.03"}, 422, "bad-operand"),
    ("/v1/nothing", {}, 404, "not-found"),
])
def test_bad_reads_are_problem_documents(client: TestClient, path: str, params: dict[str, str], status: int,
                                         code: str) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    assert valid(response.json(), "service", "problem")["type"].endswith("/" + code)


def test_a_diff_side_given_as_a_bare_version_id_is_told_how_to_name_it(client: TestClient) -> None:
    response = client.get("/v1/diff", params={"old": "2026.03", "new": "huabei@2026.06"})
    problem = valid(response.json(), "service", "problem")
    assert response.status_code == 404 and problem["type"].endswith("/unknown-bundle") and problem["field"] == "old"
    assert problem["detail"] == ("old: no bundle '2026.03' is loaded; '2026.03' is a version: write NAME@VERSION, "
                                 "e.g. huabei@2026.03")
    other = client.get("/v1/diff", params={"old": "huabei@2026.03", "new": "nope"}).json()
    assert other["detail"] == "new: no bundle 'nope' is loaded" and other["bundles"] == ["huabei"]


def test_a_wrong_method_is_a_problem_document(client: TestClient) -> None:
    response = client.get("/v1/decide")
    assert response.status_code == 405 and response.json()["type"].endswith("/method-not-allowed")


def test_bundles_versions_and_diff_are_the_commands_documents(client: TestClient) -> None:
    bundles = valid(client.get("/v1/bundles").json(), "service", "bundles")["bundles"]
    assert [(b["bundle"], b["in_force"]) for b in bundles] == [("huabei", "2026.03")]
    versions = client.get("/v1/bundles/huabei/versions").json()
    assert valid(versions, "service", "versions") == cli_json("versions", str(HUABEI), "--format", "json")
    diff = client.get("/v1/diff", params={"old": "huabei@2026.03", "new": "huabei@2026.06"}).json()
    valid(diff, "diff")
    expected = cli_json("diff", f"{HUABEI}@2026.03", f"{HUABEI}@2026.06", "--format", "json")
    for side in ("old", "new"):  # the operands are named as the caller wrote them
        expected["diffs"][0][side]["label"] = diff["diffs"][0][side]["label"]
    assert diff == expected


def test_health_readiness_and_metrics(client: TestClient) -> None:
    assert valid(client.get("/healthz").json(), "service", "health") == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    document = valid(ready.json(), "service", "ready")
    assert document["bundles"]["huabei"]["in_force"] == "2026.03" and document["store"] == {"events": 54}
    client.post("/v1/decide", json={"account": "acct-1001", "action": "open", "at": AT})
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'chronolex_decisions_total{action="open",bundle="huabei",outcome="blocked"}' in text
    assert 'chronolex_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/decide"}' in text
    assert "chronolex_log_size_bytes" in text and "chronolex_bundle_reloads" in text


def test_readyz_is_503_before_the_application_starts(huabei: chronolex.Bundle) -> None:
    client = make_client(huabei, HUABEI, None, log=MemoryLog())  # not entered: no lifespan, not started
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["problems"] == ["the service is starting or stopping"]


def test_an_unexpected_failure_is_a_500_problem_without_a_traceback(huabei: chronolex.Bundle,
                                                                     example_store: Path) -> None:
    class BrokenLog(MemoryLog):
        def append(self, decisions: object) -> list[chronolex.DecisionRecord]:
            raise RuntimeError("disk on fire")

    with make_client(huabei, HUABEI, example_store, log=BrokenLog()) as client:
        response = client.post("/v1/decide", json={"account": "acct-1001", "action": "open", "at": AT})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text and "disk on fire" not in response.text


def test_the_real_decision_log_holds_every_decision_answered_and_verifies(huabei: chronolex.Bundle,
                                                                          example_store: Path,
                                                                          tmp_path: Path) -> None:
    with chronolex.DecisionLog(tmp_path / "decisions.db", create=True) as log:
        with make_client(huabei, HUABEI, example_store, log=log) as client:
            one = client.post("/v1/decide", json={"account": "acct-1001", "action": "open", "at": AT}).json()
            batch = client.post("/v1/decide", json=[{"account": "x", "action": a, "facts": {"credit_score": 700}}
                                                    for a in ("open", "borrow")]).json()["decisions"]
            ready = valid(client.get("/readyz").json(), "service", "ready")
        records = list(log.records())
        assert [r.decision_id for r in records] == [one["decision_id"], *(d["decision_id"] for d in batch)]
        assert [(r.entry.account, r.entry.action, r.entry.decision) for r in records] == [
            ("acct-1001", "open", "blocked"), ("x", "open", batch[0]["decision"]), ("x", "borrow", batch[1]["decision"])]
        assert log.verify().ok and ready["log"]["records"] == 3


def test_a_log_that_cannot_be_written_answers_503_and_no_decision(huabei: chronolex.Bundle,
                                                                  example_store: Path) -> None:
    class FullLog(MemoryLog):
        def append(self, decisions: object) -> list[chronolex.DecisionRecord]:
            raise chronolex.ChronolexError.single("log-error", "decisions.db: cannot append: disk is full")

    with make_client(huabei, HUABEI, example_store, log=FullLog()) as client:
        response = client.post("/v1/decide", json={"account": "acct-1001", "action": "open", "at": AT})
    assert response.status_code == 503
    assert valid(response.json(), "service", "problem")["type"].endswith("/log-unavailable")
    assert "decision" not in response.json()


def test_an_answer_in_a_locale_without_a_sentence_template_says_so_in_its_notes(tmp_path: Path) -> None:
    # es has no sentence template: the summary is an English sentence around Spanish
    # texts, which the text answer says under "note:" and the JSON must say as well.
    root = FIXTURES / "bundles" / "locale-es"
    bundle = chronolex.load_bundle(root)
    with make_client(bundle, root, None, log=MemoryLog()) as es_client:
        request = {"account": "a-1", "action": "open", "at": "2026-03-02T10:00", "facts": {"kyc_verified": False}}
        document = valid(es_client.post("/v1/decide?lang=es", json=request).json(), "decision")
        assert document["summary"]["es"].startswith("Abrir la cuenta de préstamo is blocked by regulation")
        assert "no sentence template for es: the sentence is in en, the bundle's texts in es" in document["notes"]
        english = es_client.post("/v1/decide?lang=en", json=request).json()
        assert "notes" not in english
    (tmp_path / "none.jsonl").write_text("", encoding="utf-8")
    result = CliRunner().invoke(cli, ["why", "a-1", "--bundle", str(root), "--events", str(tmp_path / "none.jsonl"),
                                      "--allow-unknown-account", "--at", "2026-03-02T10:00", "--action", "open",
                                      "--lang", "es", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert any(note.startswith("no sentence template for es") for note in json.loads(result.stdout)["notes"])
