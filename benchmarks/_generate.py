"""Inputs for ``benchmarks/evaluate.py``: generated rules, fact sets and event histories.

One small generator makes each rule condition as a tiny tree, and :func:`render` writes
that tree in each contestant's syntax (chronolex, CEL, the ZEN expression language and
plain Python), so every contestant evaluates the same logic. Everything is seeded.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Union
from zoneinfo import ZoneInfo

import chronolex
from chronolex.events.encoding import freeze_fields

# -- (a) rules over given facts -----------------------------------------------------------

BUNDLE = """\
bundle: bench
title: Generated point-decision benchmark bundle
timezone: Asia/Shanghai
actions: [open, borrow]
facts:
  credit_score: {type: int, derive: {latest: credit_score_updated.score}}
  overdue_days_max_12m: {type: int, derive: {max: repayment_overdue.days, window: P12M, default: 0}}
  login_failures_24h: {type: int, derive: {count: login_failed, window: PT24H, default: 0}}
  password_resets_7d: {type: int, derive: {count: password_reset, window: P7D, default: 0}}
  age: {type: int, derive: {latest: profile_updated.age}}
  borrowed_30d: {type: decimal, derive: {sum: loan_disbursed.amount, window: P30D, default: 0}}
  kyc_verified: {type: bool, derive: {exists: kyc_verified}}
  credit_report_consent: {type: bool, derive: {latest: credit_consent_changed.granted, default: false}}
  account_status: {type: {enum: [active, frozen, closed]}, derive: {latest: status_changed.status, default: active}}
  account_tier: {type: {enum: [standard, pilot]}, derive: {latest: tier_changed.tier, default: standard}}
  occupation: {type: string, derive: {latest: profile_updated.occupation}}
"""

#: Numeric facts: (low, high) of the generated values; thresholds are drawn from the same range.
INTS = {
    "credit_score": (300, 850),
    "overdue_days_max_12m": (0, 120),
    "login_failures_24h": (0, 10),
    "password_resets_7d": (0, 5),
    "age": (14, 80),
}
DECIMALS = {"borrowed_30d": (0, 20_000)}
BOOLS = ("kyc_verified", "credit_report_consent")
ENUMS = {"account_status": ("active", "frozen", "closed"), "account_tier": ("standard", "pilot")}
STRINGS = {"occupation": ("engineer", "student", "teacher", "minor", "retired", "farmer")}

# A condition tree: ("cmp", fact, op, number) | ("eq", fact, op, text) | ("in", fact, texts)
# | ("bool", fact) | ("not", tree) | ("and", tree, tree) | ("or", tree, tree)
Tree = tuple[Any, ...]


def _atom(rng: random.Random) -> Tree:
    kind = rng.choice(["int", "int", "int", "decimal", "bool", "enum", "string"])
    if kind == "int":
        fact = rng.choice(sorted(INTS))
        low, high = INTS[fact]
        return ("cmp", fact, rng.choice(["<", "<=", ">", ">=", "==", "!="]), rng.randint(low, high))
    if kind == "decimal":
        fact = rng.choice(sorted(DECIMALS))
        low, high = DECIMALS[fact]
        return ("cmp", fact, rng.choice(["<", ">="]), rng.randint(low, high))
    if kind == "bool":
        fact = rng.choice(BOOLS)
        return ("bool", fact) if rng.random() < 0.5 else ("not", ("bool", fact))
    pool = ENUMS if kind == "enum" else STRINGS
    fact = rng.choice(sorted(pool))
    values = pool[fact]
    if rng.random() < 0.4:
        return ("in", fact, tuple(sorted(rng.sample(values, 2))))
    return ("eq", fact, rng.choice(["==", "!="]), rng.choice(values))


def condition(rng: random.Random) -> Tree:
    shape = rng.randint(0, 4)
    if shape == 0:
        return _atom(rng)
    if shape == 1:
        return ("and", _atom(rng), _atom(rng))
    if shape == 2:
        return ("or", _atom(rng), _atom(rng))
    if shape == 3:
        return ("or", ("and", _atom(rng), _atom(rng)), _atom(rng))
    return ("not", ("or", _atom(rng), _atom(rng)))


SYNTAX = {  # and, or, not-prefix, not-suffix, list-open, list-close
    "chronolex": (" and ", " or ", "not (", ")", "[", "]"),
    "cel": (" && ", " || ", "!(", ")", "[", "]"),
    "zen": (" and ", " or ", "not (", ")", "[", "]"),
    "python": (" and ", " or ", "not (", ")", "(", ")"),
}


def render(tree: Tree, target: str) -> str:
    """``tree`` in the syntax of ``target`` (chronolex, cel, zen, python): always parenthesised."""
    and_, or_, not_open, not_close, list_open, list_close = SYNTAX[target]

    def name(fact: str) -> str:
        return f"f[{fact!r}]" if target == "python" else fact

    def text(value: str) -> str:
        return f'"{value}"'

    head = tree[0]
    if head == "cmp":
        _, fact, op, number = tree
        literal = f"{number}.0" if target == "cel" and fact in DECIMALS else str(number)
        return f"{name(fact)} {op} {literal}"
    if head == "eq":
        _, fact, op, value = tree
        return f"{name(fact)} {op} {text(value)}"
    if head == "in":
        _, fact, values = tree
        items = ", ".join(text(v) for v in values)
        if target == "python" and len(values) == 1:
            items += ","
        return f"{name(fact)} in {list_open}{items}{list_close}"
    if head == "bool":
        return name(tree[1])
    if head == "not":
        return f"{not_open}{render(tree[1], target)}{not_close}"
    joiner = and_ if head == "and" else or_
    return "(" + joiner.join(render(t, target) for t in tree[1:]) + ")"


Rule = tuple[str, Tree, Union[Tree, None]]  # id, when, unless


def rules(count: int, seed: int = 11) -> list[Rule]:
    """``count`` rules: an id, a ``when`` tree and (one in five) an ``unless`` tree."""
    rng = random.Random(seed)
    made: list[Rule] = []
    for index in range(count):
        unless: Tree | None = None
        if rng.random() < 0.2:
            unless = ("eq", "account_tier", "==", "pilot") if rng.random() < 0.5 else _atom(rng)
        made.append((f"R-{index:04d}", condition(rng), unless))
    return made


def restricts(rule: Rule, target: str) -> str:
    """The whole "this rule restricts" condition (``when and not unless``) for a peer."""
    _, when, unless = rule
    return render(when if unless is None else ("and", when, ("not", unless)), target)


def write_bundle(root: Path, made: list[Rule]) -> Path:
    """A chronolex bundle with ``made`` as the rules of one version, every rule on ``open``."""
    (root / "versions").mkdir(parents=True)
    (root / "bundle.yaml").write_text(BUNDLE, encoding="utf-8")
    lines = [
        'version: "2024.01"',
        "effective_from: 2024-01-01",
        "published_at: 2023-12-20T10:00:00+08:00",
        "rules:",
    ]
    for index, (rule_id, when, unless) in enumerate(made):
        category = "regulation" if index % 4 == 0 else "platform"
        lines += [
            f"  - id: {rule_id}",
            f"    category: {category}",
            f"    title: Generated rule {index}",
            "    actions: [open, borrow]",
            f"    when: '{render(when, 'chronolex')}'",
        ]
        if unless is not None:
            lines.append(f"    unless: '{render(unless, 'chronolex')}'")
        if category == "regulation":
            lines.append(f"    source: {{authority: Authority {index % 7}, document: Notice {index}, clause: Art. {index}}}")
    (root / "versions" / "2024.01.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def fact_sets(count: int, seed: int = 13) -> list[dict[str, object]]:
    """``count`` random fact sets, every fact known; decimals as :class:`Decimal` with cents."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        facts: dict[str, object] = {}
        for fact, (low, high) in INTS.items():
            facts[fact] = rng.randint(low, high)
        for fact, (low, high) in DECIMALS.items():
            facts[fact] = Decimal(rng.randint(low * 100, high * 100)) / 100
        for fact in BOOLS:
            facts[fact] = rng.random() < 0.7
        for fact, values in {**ENUMS, **STRINGS}.items():
            facts[fact] = rng.choice(values)
        made.append(facts)
    return made


# -- (b), (c) event histories for the shipped huabei bundle ------------------------------

ZONE = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2024, 1, 1, tzinfo=ZONE)
END = dt.datetime(2027, 1, 1, tzinfo=ZONE)

#: Event types the huabei facts read, with their relative frequency in a history.
WEIGHTS = {
    "login_failed": 30,
    "loan_disbursed": 20,
    "credit_score_updated": 10,
    "password_reset": 6,
    "repayment_overdue": 5,
    "credit_consent_changed": 5,
    "profile_updated": 4,
    "kyc_verified": 3,
    "status_changed": 3,
    "tier_changed": 2,
}
OCCUPATIONS = ("engineer", "teacher", "student", "retired", "farmer")


def _fields(rng: random.Random, kind: str) -> dict[str, object]:
    if kind == "loan_disbursed":
        return {"amount": Decimal(rng.randint(10_000, 2_000_000)) / 100}
    if kind == "credit_score_updated":
        return {"score": rng.randint(450, 800), "source": "credit_bureau"}
    if kind == "repayment_overdue":
        return {"days": rng.randint(1, 90)}
    if kind == "credit_consent_changed":
        return {"granted": rng.random() < 0.8}
    if kind == "profile_updated":
        year = rng.randint(1950, 2010)
        return {"birth_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "occupation": rng.choice(OCCUPATIONS)}
    if kind == "kyc_verified":
        return {"method": "id_card_and_face"}
    if kind == "status_changed":
        return {"status": rng.choices(["active", "frozen", "closed"], [8, 2, 1])[0]}
    if kind == "tier_changed":
        return {"tier": rng.choice(["standard", "pilot"])}
    return {}


def events(account: str, count: int, rng: random.Random) -> Iterator[chronolex.Event]:
    """``count`` events of ``account`` spread at random over 2024-2026 (UTC instants)."""
    kinds = list(WEIGHTS)
    weights = [WEIGHTS[k] for k in kinds]
    span = (END - START).total_seconds()
    # Every account starts verified, with a profile and consent, so later rules matter.
    opening = START + dt.timedelta(seconds=rng.random() * span / 4)
    first = [("kyc_verified", opening), ("profile_updated", opening), ("credit_consent_changed", opening)]
    drawn = [(k, START + dt.timedelta(seconds=rng.random() * span)) for k in rng.choices(kinds, weights, k=count - 3)]
    for kind, at in first[: max(count, 0)] + drawn:
        utc = at.astimezone(dt.timezone.utc).replace(microsecond=0)
        fields = _fields(rng, kind)
        if kind == "credit_consent_changed" and at == opening:
            fields = {"granted": True}
        yield chronolex.Event(account, utc, kind, utc, freeze_fields(fields))


__all__ = ["BUNDLE", "condition", "events", "fact_sets", "render", "restricts", "rules", "write_bundle"]
