"""Decisions to log in tests, and a way past the log's triggers to damage it on purpose."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import chronolex
from chronolex.log.record import NewDecision


def entry(n: int = 0, *, account: str = "acct-1001", at: str = "2026-03-16T10:00:00+08:00",
          decision: str = "blocked") -> NewDecision:
    """A decision as the service logs it; ``n`` varies the facts so that records differ."""
    blocked = ("platform",) if decision == "blocked" else ()
    return NewDecision(at=at, received_at="2026-03-16T10:00:00.004+08:00", known_at=None, account=account,
                       action="open", bundle="huabei", version="2026.03",
                       facts={"credit_score": 580 + n, "occupation": "教师", "kyc_verified": True,
                              "birth_date": None},
                       facts_given=False, decision=decision, blocked_by=blocked,
                       rules=("PLAT-SCORE-FLOOR",) if blocked else ())


def raw(path: Path) -> sqlite3.Connection:
    """The log's file without its triggers, as someone who can write the file has it."""
    db = sqlite3.connect(path, isolation_level=None)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    return db


def as_the_service_logs(bundle: chronolex.Bundle, history: chronolex.AccountHistory, action: str, at: datetime,
                        received: datetime, facts: Mapping[str, object] | None = None) -> NewDecision:
    """The decision the service would have logged for a request received at ``received``:
    decided with what was published and recorded by then, as ``POST /v1/decide`` does."""
    zone = bundle.timezone
    if facts is None:
        decision = chronolex.decide(bundle, history, action, at, received)
        values = chronolex.derive_facts(bundle, history, at, received)
    else:
        values = chronolex.given_facts(bundle, facts, at)
        decision = chronolex.decide_with_facts(bundle, values, action, at)
        if decision.version is not None and decision.version.published_at > received:
            raise AssertionError("a given-facts example must not need a version published later")
    return NewDecision(
        at=chronolex.format_instant(at, zone), received_at=chronolex.format_instant(received, zone), known_at=None,
        account=history.account, action=action, bundle=bundle.name,
        version=decision.version.id if decision.version is not None else None,
        facts={name: chronolex.json_value(value.value, zone) for name, value in sorted(values.items())},
        facts_given=facts is not None, decision=decision.decision, blocked_by=tuple(decision.blocked_by),
        rules=tuple(reason.rule.id for reason in decision.reasons))
