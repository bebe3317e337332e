"""Decisions to log in tests, and a way past the log's triggers to damage it on purpose."""

from __future__ import annotations

import sqlite3
from pathlib import Path

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
