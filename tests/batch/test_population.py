"""A generated population of 10,000 huabei accounts at three instants: zero disagreements.

The accounts are drawn so that every rule of the shipped bundle blocks some of them and not
others (scores around the floor, overdue repayments, failed logins, loans, students and
minors, frozen accounts, withdrawn consents, events recorded late), and the three instants
fall under different versions and inside the maintenance windows. DuckDB must decide
every account and action as the per-account engine does; the first disagreement is
printed in full.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import chronolex
from chronolex import AccountHistory, Event
from chronolex.batch.duckdb_engine import connect, run_duckdb
from chronolex.batch.histories import table_from_histories
from chronolex.batch.plan import compile_plan
from chronolex.batch.python_engine import decision_rows
from chronolex.events.encoding import freeze_fields
from tests.batch.test_duckdb_agrees import first_difference
from tests.conftest import ROOT

HUABEI = ROOT / "policies" / "huabei"
ACCOUNTS = 10_000
INSTANTS = ("2026-03-08T02:30", "2026-03-16T10:00", "2026-11-11T09:00")
_START = datetime(2025, 9, 1, tzinfo=timezone.utc)


def _fields(kind: str, rng: random.Random) -> dict[str, object]:
    choose = rng.choice
    return {
        "credit_score_updated": lambda: {"score": choose([480, 560, 599, 600, 640, 720])},
        "repayment_overdue": lambda: {"days": choose([5, 30, 31, 60, 120])},
        "login_failed": lambda: {"channel": "app"},
        "loan_disbursed": lambda: {"amount": choose([Decimal("500"), Decimal("1000"), Decimal("4999.99"),
                                                     Decimal("6000")])},
        "profile_updated": lambda: choose([{"birth_date": choose(["2008-03-16", "2008-02-29", "1990-05-01"])},
                                           {"occupation": choose(["student", "engineer"])}, {}]),
        "status_changed": lambda: {"status": choose(["active", "frozen", "closed"])},
        "credit_consent_changed": lambda: {"granted": choose([True, False])},
        "kyc_verified": lambda: {"method": "face"},
        "password_reset": lambda: {"channel": "sms"},
        "tier_changed": lambda: {"tier": choose(["standard", "pilot"])},
    }[kind]()


def population(seed: int = 14) -> list[AccountHistory]:
    rng = random.Random(seed)
    kinds = ["credit_score_updated", "repayment_overdue", "login_failed", "loan_disbursed", "profile_updated",
             "status_changed", "credit_consent_changed", "kyc_verified", "password_reset", "tier_changed"]
    histories = []
    for number in range(ACCOUNTS):
        account = f"acct-{number:05d}"
        events = []
        if rng.random() < 0.85:  # most customers passed real-name checks and consented
            events.append(Event(account, _START, "kyc_verified", _START, freeze_fields({"method": "face"})))
            events.append(Event(account, _START, "credit_consent_changed", _START, freeze_fields({"granted": True})))
        for _ in range(rng.randint(1, 9)):
            kind = rng.choice(kinds)
            at = _START + timedelta(seconds=rng.randint(0, 480 * 86_400))
            late = timedelta(hours=rng.choice([0, 0, 0, 5, 200]))
            events.append(Event(account, at, kind, at + late, freeze_fields(_fields(kind, rng))))
        histories.append(AccountHistory(account, events))
    return histories


def test_ten_thousand_generated_accounts_agree_at_three_instants() -> None:
    bundle = chronolex.load_bundle(HUABEI)
    histories = population()
    table = table_from_histories(bundle, histories)
    connection = connect()
    outcomes: set[str] = set()
    rules: set[str] = set()
    for text in INSTANTS:
        at = chronolex.parse_instant(text, bundle.timezone)
        batch = run_duckdb(compile_plan(bundle, at), table, connection=connection).to_pylist()
        reference = decision_rows(bundle, histories, at).to_pylist()
        assert len(batch) == ACCOUNTS * len(bundle.actions)
        assert batch == reference, f"at {text}: " + first_difference(batch, reference)
        outcomes.update(row["decision"] for row in batch)
        rules.update(rule for row in batch for rule in row["rules"])
    # a population where rules bite, and not everywhere
    assert {"allowed", "blocked", "undetermined"} <= outcomes and len(rules) >= 8, (outcomes, rules)
