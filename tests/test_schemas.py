"""The JSON Schemas themselves: valid draft 2020-12, referenced by every shipped file, and
accepting the documents the reference pages (docs/reference/) show."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from chronolex.bundle.schemas import SCHEMA_NAMES, schema, validator
from tests.conftest import HUABEI, ROOT

SHIPPED_YAML = sorted(p for p in (ROOT / "policies").rglob("*.y*ml") if p.suffix in (".yaml", ".yml"))


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_schema_is_valid_draft_2020_12(name: str) -> None:
    document = schema(name)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)


@pytest.mark.parametrize("path", SHIPPED_YAML, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_yaml_file_names_its_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    target = (path.parent / first[len(prefix):]).resolve()
    assert target.is_file() and target.parent == (ROOT / "schemas").resolve()
    kind = "bundle" if path.name == "bundle.yaml" else "version" if path.parent.name == "versions" else "test"
    assert target.name == f"{kind}.schema.json"


def test_example_events_follow_the_event_schema() -> None:
    lines = (HUABEI / "examples" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines
    for line in lines:
        errors = list(validator("event").iter_errors(json.loads(line)))
        assert errors == [], line


def test_design_examples_validate() -> None:
    events = [
        {"account": "acct-1001", "at": "2026-02-11T10:00:00+08:00", "type": "repayment_overdue", "days": 45},
        {"account": "acct-1001", "at": "2026-02-12T09:00:00+08:00", "type": "login_failed",
         "recorded_at": "2026-02-12T09:00:01+08:00"},
    ]
    for event in events:
        validator("event").validate(event)
    decision = {
        "account": "acct-1001", "action": "open", "at": "2026-03-08T02:30:00+08:00", "known_at": None,
        "decision": "blocked",
        "policy": {"bundle": "huabei", "version": "2026.03", "effective_from": "2026-03-01T00:00:00+08:00"},
        "blocked_by": ["platform", "maintenance"],
        "reasons": [
            {"rule": "PLAT-SCORE-FLOOR", "category": "platform", "title": "Credit score floor", "source": None,
             "condition": "credit_score < 600",
             "evidence": [{"fact": "credit_score", "value": 580,
                           "from_events": [{"at": "2026-01-05T00:00:00+08:00", "type": "credit_score_updated"}]}],
             "lifts": {"at": None, "when": "credit_score >= 600"}},
            {"rule": "MW-CORE-UPGRADE", "category": "maintenance", "lifts": {"at": "2026-03-08T05:00:00+08:00"}},
        ],
        "next_change": {"at": "2026-03-08T05:00:00+08:00", "decision": "blocked", "blocked_by": ["platform"]},
    }
    validator("decision").validate(decision)
    with pytest.raises(jsonschema.ValidationError):
        validator("decision").validate({**decision, "decison": "blocked"})
    with pytest.raises(jsonschema.ValidationError):
        validator("event").validate({"account": "a", "at": "2026-01-01"})


def test_a_policy_test_file_validates() -> None:
    document = {
        "cases": [
            {"name": "student is blocked", "action": "open", "at": "2026-04-01T09:00",
             "events": [{"at": "2026-01-01", "type": "profile_updated", "occupation": "student"}],
             "expect": {"decision": "blocked", "blocked_by": ["regulation"], "rules": ["REG-STUDENT-LENDING"]}},
            {"name": "table", "action": "open",
             "table": [{"at": "2026-03-08T01:30", "expect": {"decision": "blocked"}},
                       {"at": "2026-03-08T05:00", "expect": {"decision": "allowed"}}]},
        ]
    }
    validator("test").validate(document)
