"""Small bundles for the semantic diff tests: a writer that turns rule dicts into a
bundle directory, the sides a diff compares, a checker that decides a witness with the
real evaluator, and Hypothesis strategies for random rule sets and fact values.

Bundles are written as YAML and loaded by the real loader, so the tests see rules
exactly as a policy author's files would give them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from hypothesis import strategies as st

from chronolex.evaluation.given import given_facts
from chronolex.evaluation.assess import Assessment, Evaluator
from chronolex.lang import nodes as n
from chronolex.lang import parse, render
from chronolex.bundle.load import load_bundle
from chronolex.model import Bundle
from chronolex.diff.semantic import Witness
from chronolex.diff.sides import Side

#: The fact catalog of every test bundle: an int that may be unknown, a bool that may be
#: unknown, an enum that may be unknown, an always-known count, a birth date and an age
#: computed from it (which the solver cannot model exactly).
FACTS: dict[str, Any] = {
    "credit_score": {"type": "int", "derive": {"latest": "credit_score_updated.score"}},
    "flag": {"type": "bool", "derive": {"latest": "flag_changed.value"}},
    "tier": {"type": {"enum": ["gold", "silver", "bronze"]}, "derive": {"latest": "tier_changed.tier"}},
    "failures": {"type": "int", "derive": {"count": "login_failed", "window": "PT24H"}},
    "birth_date": {"type": "date", "derive": {"latest": "profile_updated.birth_date"}},
    "age": {"type": "int", "expr": "years_between(birth_date, now)"},
}
ACTIONS = ("open", "borrow")
FIRST_VERSION = {"version": "1", "effective_from": "2026-01-01", "published_at": "2025-12-01T00:00:00+08:00"}


def rule(rule_id: str, when: str | None = None, *, category: str = "platform",
         actions: Sequence[str] = ("open",), **fields: Any) -> dict[str, Any]:
    """A rule as a version file writes it (``fields`` adds unless, on_unknown, window, ...)."""
    spec: dict[str, Any] = {"id": rule_id, "category": category, "actions": list(actions)}
    if when is not None:
        spec["when"] = when
    if category == "regulation":  # the loader requires a citation on every regulation rule
        spec["source"] = {"authority": "Test Authority", "document": "Test Rules"}
    spec.update(fields)
    return spec


def write_bundle(root: Path, versions: Sequence[Mapping[str, Any]], *, zone: str = "Asia/Shanghai",
                 facts: Mapping[str, Any] | None = None) -> Path:
    """Write ``bundle.yaml`` and one ``versions/<id>.yaml`` per mapping (``version``,
    ``effective_from``, ``published_at``, ``rules``) under ``root``; return ``root``."""
    (root / "versions").mkdir(parents=True)
    manifest = {
        "bundle": "demo",
        "timezone": zone,
        "actions": list(ACTIONS),
        "categories": {
            "regulation": {"precedence": 1, "title": "Regulation"},
            "platform": {"precedence": 2, "title": "Platform strategy"},
            "maintenance": {"precedence": 3, "title": "Maintenance window"},
        },
        "facts": dict(facts if facts is not None else FACTS),
    }
    (root / "bundle.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    for version in versions:
        document = {key: version[key] for key in ("version", "effective_from", "published_at")}
        document["rules"] = list(version["rules"])
        path = root / "versions" / f"{version['version']}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return root


def version_side(root: Path, rules: Sequence[Mapping[str, Any]], *, zone: str = "Asia/Shanghai",
                 label: str | None = None) -> Side:
    """A bundle with one version holding ``rules``, as the side ``root@1``."""
    bundle = load_bundle(write_bundle(root, [{**FIRST_VERSION, "rules": list(rules)}], zone=zone))
    version = bundle.version("1")
    assert version is not None
    return Side(label or f"{root.name}@1", bundle, version)


@contextmanager
def version_pair(old_rules: Sequence[Mapping[str, Any]], new_rules: Sequence[Mapping[str, Any]],
                 *, zone: str = "Asia/Shanghai") -> Iterator[tuple[Side, Side]]:
    """OLD and NEW sides in a temporary directory (for Hypothesis tests, which cannot
    share pytest's per-test ``tmp_path`` between examples)."""
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        yield version_side(base / "old", old_rules, zone=zone), version_side(base / "new", new_rules, zone=zone)


def assess(side: Side, action: str, at: datetime, facts: Mapping[str, object]) -> Assessment:
    """The real evaluator's assessment of ``action`` on ``side`` for given fact values
    (None: unknown), as ``chronolex evaluate --facts`` would make it."""
    bundle: Bundle = side.bundle
    raw = {name: value for name, value in facts.items() if name in bundle.facts}
    return Evaluator(bundle).assess(side.version_at(at), given_facts(bundle, raw, at), action, at)


def decide(side: Side, action: str, witness: Witness) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(decision, blocked_by, restricting rule ids) of a witness on one side."""
    assessment = assess(side, action, witness.at, witness.facts)
    return (assessment.decision, assessment.blocked_by(side.bundle),
            tuple(sorted(o.rule.id for o in assessment.restricting)))


# -- random rule sets --------------------------------------------------------------------------

_THRESHOLDS = st.sampled_from([500, 550, 600, 650])
_TIERS = st.sampled_from(["gold", "silver", "bronze"])
#: Days the random rules' active intervals and windows start or end on (local dates).
_DAYS = ("2026-01-01", "2026-02-15", "2026-03-29", "2026-07-01")
_RRULES = st.sampled_from([
    "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0",
    "FREQ=WEEKLY;BYDAY=SA;BYHOUR=1;BYMINUTE=0;BYSECOND=0",
])


def _atoms() -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda op, v: f"credit_score {op} {v}", st.sampled_from(["<", "<=", ">=", "=="]), _THRESHOLDS),
        st.sampled_from(["flag", "not flag", "failures >= 3", "is_unknown(credit_score)"]),
        st.builds(lambda op, v: f'tier {op} "{v}"', st.sampled_from(["==", "!="]), _TIERS),
        st.lists(_TIERS, min_size=1, max_size=2, unique=True).map(
            lambda vs: "tier in [" + ", ".join(f'"{v}"' for v in vs) + "]"),
    )


def conditions() -> st.SearchStrategy[str]:
    """A condition over the test catalog: one atom, or two joined by and/or."""
    return st.one_of(
        _atoms(),
        st.builds(lambda a, op, b: f"({a}) {op} ({b})", _atoms(), st.sampled_from(["and", "or"]), _atoms()),
    )


@st.composite
def rule_sets(draw: st.DrawFn, min_size: int = 1, max_size: int = 3) -> list[dict[str, Any]]:
    """A few rules with random conditions, categories, actions, ``on_unknown`` and timing
    (always, an ``active`` interval, a one-off ``window`` or a weekly ``schedule``)."""
    count = draw(st.integers(min_value=min_size, max_value=max_size))
    rules = []
    for index in range(count):
        fields: dict[str, Any] = {}
        if draw(st.booleans()):
            fields["unless"] = draw(_atoms())
        timing = draw(st.sampled_from(["always", "always", "active", "window", "schedule"]))
        if timing == "active":
            start, end = sorted(draw(st.lists(st.sampled_from(_DAYS), min_size=2, max_size=2, unique=True)))
            fields["active"] = {"from": start, "until": end}
        elif timing == "window":
            day = draw(st.sampled_from(_DAYS))
            fields["window"] = {"start": f"{day}T01:00:00", "end": f"{day}T05:00:00"}
        elif timing == "schedule":
            fields["schedule"] = {"rrule": draw(_RRULES), "duration": "PT2H"}
        on_unknown = draw(st.sampled_from(["undetermined", "block", "allow"]))
        if on_unknown != "undetermined":
            fields["on_unknown"] = on_unknown
        rules.append(rule(
            f"R{index}", draw(conditions()),
            category=draw(st.sampled_from(["regulation", "platform"])),
            actions=draw(st.sampled_from([("open",), ("borrow",), ("open", "borrow")])),
            **fields,
        ))
    return rules


def _renamed(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "id": f"{r['id']}-RENAMED"} for r in rules]


def _reversed(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(reversed(rules))


def _double_negated(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "when": f"not (not ({r['when']}))"} for r in rules]


def _unless_folded(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``when: W, unless: U`` as ``when: (W) and not (U)``: the same under Kleene logic,
    on_unknown included (true exactly when W is true and U false, false when W is false
    or U true)."""
    folded = []
    for r in rules:
        if "unless" in r:
            r = {k: v for k, v in r.items() if k != "unless"} | {"when": f"({r['when']}) and not ({r['unless']})"}
        folded.append(r)
    return folded


def _split(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A rule ``when: A or B`` as two rules ``when: A`` and ``when: B``, all else equal."""
    out = []
    for r in rules:
        tree = parse(r["when"])
        if isinstance(tree, n.BoolOp) and tree.op == "or":
            out += [{**r, "id": f"{r['id']}-{i}", "when": render(part)} for i, part in enumerate(tree.operands)]
        else:
            out.append(r)
    return out


REFACTORS = {"rename": _renamed, "reorder": _reversed, "double-negation": _double_negated,
             "fold-unless": _unless_folded, "split": _split}


@st.composite
def refactored(draw: st.DrawFn, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rules`` rewritten by some refactors that cannot change any decision."""
    for name in draw(st.lists(st.sampled_from(sorted(REFACTORS)), max_size=3)):
        rules = REFACTORS[name](rules)
    return rules


@st.composite
def changed(draw: st.DrawFn, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rules`` with one field of one rule changed (a change that may or may not matter)."""
    index = draw(st.integers(min_value=0, max_value=len(rules) - 1))
    target = dict(rules[index])
    edit = draw(st.sampled_from(["when", "category", "on_unknown", "drop-unless"]))
    if edit == "when":
        target["when"] = draw(conditions())
    elif edit == "category":
        target["category"] = "platform" if target["category"] == "regulation" else "regulation"
        target["source"] = {"authority": "Test Authority", "document": "Test Rules"}
    elif edit == "on_unknown":
        target["on_unknown"] = draw(st.sampled_from(["undetermined", "block", "allow"]))
    else:
        target.pop("unless", None)
    return [*rules[:index], target, *rules[index + 1:]]


def fact_values() -> st.SearchStrategy[dict[str, object]]:
    """Values for the solver-modelled facts of :data:`FACTS` (None: unknown)."""
    return st.fixed_dictionaries({
        "credit_score": st.one_of(st.none(), st.integers(min_value=400, max_value=700)),
        "flag": st.one_of(st.none(), st.booleans()),
        "tier": st.one_of(st.none(), _TIERS),
        "failures": st.integers(min_value=0, max_value=6),
    })


def instants() -> st.SearchStrategy[datetime]:
    """Instants around the test versions' effective_from (2026-01-01, Shanghai), half of
    them in the small hours of a day a random window or interval starts on, or of a
    weekend (where the random schedules run)."""
    shanghai = ZoneInfo("Asia/Shanghai")
    anywhere = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 1, 1),
                            timezones=st.just(timezone.utc))
    days = st.sampled_from([date.fromisoformat(d) for d in _DAYS] + [date(2026, 1, 3), date(2026, 1, 4)])
    small_hours = st.builds(
        lambda day, minutes: datetime(day.year, day.month, day.day, tzinfo=shanghai) + timedelta(minutes=minutes),
        days, st.integers(min_value=0, max_value=6 * 60),
    ).map(lambda at: at.astimezone(timezone.utc))
    return st.one_of(anywhere, small_hours)
