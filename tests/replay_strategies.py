"""Hypothesis strategies and helpers for replay tests: small random bundles, histories, instants.

A random bundle is drawn as YAML *text* (:class:`BundleSpec`) and loaded with
:func:`load_spec`, which writes it into a fresh ``tempfile.TemporaryDirectory()`` and
calls :func:`chronolex.load_bundle`: each Hypothesis example gets its own directory (a
function-scoped ``tmp_path`` would be shared by every example of a test).

The fact catalog is fixed, and every template of a rule draws on it:

=================  =========================================================  ===========
fact               derivation                                                 event type
=================  =========================================================  ===========
score              latest int, no default (unknown without an event)           score_updated
hits               count over a PT24H, P1D or P12M window (drawn per bundle)   hit
spent_30d          sum of a decimal over P30D, default 0                       payment
big_payments_30d   count over P30D ``where: "amount >= 1000"``, default 0       payment
verified           exists                                                      verified
days_since_reset   days_since                                                  password_reset
birth_date / age   latest date; age is ``years_between(birth_date, now)``      profile_updated
status             latest enum (with or without a default)                     status_changed
=================  =========================================================  ===========

The module also holds the small helpers the scenario tests share (:func:`ev`,
:func:`history`, :func:`local`, :data:`BUNDLES`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

import chronolex
from chronolex import AccountHistory, Bundle, Event, parse_instant
from chronolex.events.encoding import freeze_fields

__all__ = [
    "ACCOUNT",
    "ACTIONS",
    "BUNDLES",
    "BundleSpec",
    "ZONES",
    "bundle_specs",
    "ev",
    "event_lists",
    "history",
    "instants",
    "load_spec",
    "local",
    "known_ats",
    "knowledge_instants",
    "instants_after_events",
]

UTC = timezone.utc
#: The small fixture bundles of the scenario tests.
BUNDLES = Path(__file__).resolve().parent / "fixtures" / "bundles"
ACCOUNT = "acct-x"

ZONES = ("Asia/Shanghai", "America/New_York", "Europe/Berlin")
ACTIONS = ("open", "borrow")

# -- helpers for scenario tests ------------------------------------------------------------


def local(text: str, zone: ZoneInfo | str) -> datetime:
    """The instant (UTC) that ``text`` names; without an offset, wall time in ``zone``."""
    return parse_instant(text, zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone))


def ev(event_type: str, at: str | datetime, zone: ZoneInfo | str = "UTC", *, recorded: str | datetime | None = None,
       account: str = ACCOUNT, **fields: Any) -> Event:
    """An event of ``account``; ``at``/``recorded`` are instants or texts read in ``zone``."""
    when = at if isinstance(at, datetime) else local(at, zone)
    known = when if recorded is None else (recorded if isinstance(recorded, datetime) else local(recorded, zone))
    return Event(account, when, event_type, known, freeze_fields(fields))


def history(*events: Event | Iterable[Event], account: str = ACCOUNT) -> AccountHistory:
    flat: list[Event] = []
    for item in events:
        if isinstance(item, Event):
            flat.append(item)
        else:
            flat.extend(item)
    return AccountHistory(account, flat)


# -- random bundles ------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleSpec:
    """A bundle as the text of its files (relative path → YAML)."""

    zone: str
    files: tuple[tuple[str, str], ...]

    def write(self, root: Path) -> None:
        for name, text in self.files:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def text(self) -> str:
        """Every file, for a failing example's report."""
        return "\n".join(f"--- {name}\n{text}" for name, text in self.files)


def load_spec(spec: BundleSpec) -> Bundle:
    """Write ``spec`` into a fresh temporary directory and load it (the model outlives the files)."""
    with tempfile.TemporaryDirectory(prefix="chronolex-") as directory:
        spec.write(Path(directory))
        return chronolex.load_bundle(directory)


CONDITIONS = (
    "score < 600",
    "score >= 700",
    "hits >= 1",
    "hits >= 2",
    "spent_30d >= 1000",
    "big_payments_30d >= 1",
    "not verified",
    "verified",
    "days_since_reset < 2",
    "days_since_reset < 7",
    "age < 18",
    'status == "frozen"',
    'status in ["frozen", "closed"]',
)
EXEMPTIONS = ('status == "closed"', "score >= 650", "age >= 40", "verified", "hits >= 3")


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@st.composite
def _condition(draw: st.DrawFn) -> str:
    first = draw(st.sampled_from(CONDITIONS))
    if draw(st.integers(0, 3)) == 0:
        op = draw(st.sampled_from(["and", "or"]))
        second = draw(st.sampled_from(CONDITIONS).filter(lambda c: c != first))
        return f"{first} {op} {second}"
    return first


_DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31))


@st.composite
def _local_datetime(draw: st.DrawFn, lo: date = date(2025, 1, 1), hi: date = date(2026, 12, 31)) -> datetime:
    day = draw(st.dates(min_value=lo, max_value=hi))
    hour = draw(st.sampled_from([0, 1, 2, 3, 12, 23]))
    minute = draw(st.sampled_from([0, 30]))
    return datetime(day.year, day.month, day.day, hour, minute)


@st.composite
def _rule(draw: st.DrawFn, index: int, rule_id: str | None = None) -> str:
    category = draw(st.sampled_from(["regulation", "platform", "maintenance"]))
    actions = draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2, unique=True))
    lines = [f"  - id: {rule_id or f'R{index}'}", f"    category: {category}",
             f"    actions: [{', '.join(sorted(actions))}]"]
    if category == "regulation":
        lines.append('    source: {authority: "Test Authority", document: "Test Rules"}')
    timed = draw(st.sampled_from(["none", "none", "active", "window", "schedule"]))
    if category != "maintenance" or draw(st.booleans()) or timed == "none":
        lines.append(f"    when: {_q(draw(_condition()))}")
    if draw(st.integers(0, 3)) == 0:
        lines.append(f"    unless: {_q(draw(st.sampled_from(EXEMPTIONS)))}")
    if timed == "active":
        start, end = sorted(draw(st.lists(_DAYS, min_size=2, max_size=2, unique=True)))
        bounds = draw(st.sampled_from(["both", "from", "until"]))
        parts = []
        if bounds in ("both", "from"):
            parts.append(f"from: {start.isoformat()}")
        if bounds in ("both", "until"):
            parts.append(f"until: {end.isoformat()}")
        lines.append("    active: {" + ", ".join(parts) + "}")
    elif timed == "window":
        start = draw(_local_datetime())
        hours = draw(st.sampled_from([3, 30, 24 * 10]))
        end = start + timedelta(hours=hours)
        lines.append(f"    window: {{start: {start.isoformat()}, end: {end.isoformat()}}}")
    elif timed == "schedule":
        hour = draw(st.sampled_from([1, 2, 3, 22]))
        minute = draw(st.sampled_from([0, 30]))
        if draw(st.booleans()):
            freq = "FREQ=DAILY"
        else:
            freq = "FREQ=WEEKLY;BYDAY=" + draw(st.sampled_from(["SU", "MO", "SA"]))
        duration = draw(st.sampled_from(["PT30M", "PT1H", "PT2H"]))
        lines.append(f'    schedule: {{rrule: "{freq};BYHOUR={hour};BYMINUTE={minute};BYSECOND=0", '
                     f"duration: {duration}}}")
    on_unknown = draw(st.sampled_from([None, None, "block", "allow", "undetermined"]))
    if on_unknown is not None:
        lines.append(f"    on_unknown: {on_unknown}")
    return "\n".join(lines)


@st.composite
def bundle_specs(draw: st.DrawFn) -> BundleSpec:
    """A small valid bundle: 2–3 versions in 2025–2026 (sometimes retroactive, sometimes tied);
    a later version sometimes replaces a rule of the one before (same id, drawn anew)."""
    zone = draw(st.sampled_from(ZONES))
    window = draw(st.sampled_from(["PT24H", "P1D", "P12M"]))
    status_default = ", default: active" if draw(st.booleans()) else ""
    manifest = f"""\
bundle: random
timezone: {zone}
actions: [{", ".join(ACTIONS)}]
facts:
  score: {{type: int, derive: {{latest: score_updated.score}}}}
  hits: {{type: int, derive: {{count: hit, window: {window}}}}}
  spent_30d: {{type: decimal, derive: {{sum: payment.amount, window: P30D, default: 0}}}}
  big_payments_30d: {{type: int, derive: {{count: payment, window: P30D, where: "amount >= 1000", default: 0}}}}
  verified: {{type: bool, derive: {{exists: verified}}}}
  days_since_reset: {{type: int, derive: {{days_since: password_reset}}}}
  birth_date: {{type: date, derive: {{latest: profile_updated.birth_date}}}}
  age: {{type: int, expr: "years_between(birth_date, now)"}}
  status: {{type: {{enum: [active, frozen, closed]}}, derive: {{latest: status_changed.status{status_default}}}}}
"""
    count = draw(st.integers(2, 3))
    effective = draw(st.lists(_DAYS, min_size=count, max_size=count))
    if count == 3 and draw(st.integers(0, 3)) == 0:
        effective[2] = effective[1]  # a tie on effective_from
    stamps: set[tuple[date, int]] = set()
    files = [("bundle.yaml", manifest)]
    rule_index = 0
    for number, starts in enumerate(effective, start=1):
        retroactive = draw(st.integers(0, 3)) == 0
        while True:
            offset = draw(st.integers(1, 40)) * (1 if retroactive else -1)
            if (starts, offset) not in stamps:
                break
            retroactive = not retroactive
        stamps.add((starts, offset))
        published = datetime(starts.year, starts.month, starts.day, 9) + timedelta(days=offset)
        rules = []
        earlier = [f"R{i}" for i in range(1, rule_index + 1)]
        replaced = draw(st.sampled_from(earlier)) if earlier and draw(st.integers(0, 2)) == 0 else None
        for _ in range(draw(st.integers(1, 3))):
            rule_index += 1
            rules.append(draw(_rule(rule_index, replaced)))
            replaced = None
        files.append((
            f"versions/v{number}.yaml",
            f'version: "v{number}"\neffective_from: {starts.isoformat()}\n'
            f"published_at: {published.isoformat()}\nrules:\n" + "\n".join(rules) + "\n",
        ))
    return BundleSpec(zone, tuple(files))


# -- histories and instants ------------------------------------------------------------------

_START = datetime(2025, 1, 1, tzinfo=UTC)
_HOURS = 2 * 366 * 24


def instants(lo: datetime = _START, hours: int = _HOURS) -> st.SearchStrategy[datetime]:
    """UTC instants from ``lo`` on, on the half hour or at any second (so ties with events happen)."""
    coarse = st.builds(lambda h, m: lo + timedelta(hours=h, minutes=m), st.integers(0, hours), st.sampled_from([0, 30]))
    fine = st.builds(lambda s: lo + timedelta(seconds=s), st.integers(0, hours * 3600))
    return st.one_of(coarse, fine)


_FIELDS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "score_updated": st.builds(lambda s: {"score": s}, st.sampled_from([450, 550, 620, 680, 720])),
    "hit": st.just({}),
    "payment": st.builds(lambda a: {"amount": a}, st.sampled_from([Decimal("200"), Decimal("500.50"), Decimal("1200")])),
    "verified": st.just({}),
    "password_reset": st.just({}),
    "profile_updated": st.builds(
        lambda d: {"birth_date": d.isoformat()},
        st.dates(min_value=date(2006, 6, 1), max_value=date(2008, 12, 31)) | st.just(date(1980, 2, 29)),
    ),
    "status_changed": st.builds(lambda s: {"status": s}, st.sampled_from(["active", "frozen", "closed"])),
}


@st.composite
def _event(draw: st.DrawFn, lo: datetime = _START, hours: int = _HOURS, late: bool = True) -> Event:
    kind = draw(st.sampled_from(sorted(_FIELDS)))
    at = draw(instants(lo, hours))
    recorded = at
    if late and draw(st.integers(0, 3)) == 0:
        recorded = at + timedelta(hours=draw(st.integers(1, 24 * 20)))
    return Event(ACCOUNT, at, kind, recorded, freeze_fields(draw(_FIELDS[kind])))


#: Event types folded by ``latest``: for these, two events at the same instant may disagree.
_LATEST = ("score_updated", "profile_updated", "status_changed")


@st.composite
def event_lists(draw: st.DrawFn, min_size: int = 0, max_size: int = 8, lo: datetime = _START,
                hours: int = _HOURS, late: bool = True) -> list[Event]:
    """A few events; sometimes one has a twin of the same type at the same instants with
    other fields (so the order of events that tie on time matters). With ``late`` false,
    every event is recorded as it happens (``recorded_at == at``)."""
    events = draw(st.lists(_event(lo, hours, late), min_size=min_size, max_size=max_size))
    latest = [e for e in events if e.type in _LATEST]
    if latest and draw(st.booleans()):
        original = draw(st.sampled_from(latest))
        fields = draw(_FIELDS[original.type].filter(lambda f: f != dict(original.fields)))
        twin = Event(ACCOUNT, original.at, original.type, original.recorded_at, freeze_fields(fields))
        events.insert(draw(st.integers(0, len(events))), twin)
    return events


def known_ats(at: datetime) -> st.SearchStrategy[datetime | None]:
    """None (everything known) or a knowledge instant near ``at`` (before or after it)."""
    return st.one_of(st.none(), st.integers(-40 * 24, 60 * 24).map(lambda h: at + timedelta(hours=h)))


def knowledge_instants(at: datetime, events: Iterable[Event]) -> st.SearchStrategy[datetime]:
    """A knowledge instant K where the cut is sharpest: before, at or after ``at``; on an
    event's ``at`` or ``recorded_at``, or one second either side of it."""
    second = timedelta(seconds=1)
    events = list(events)
    near = st.integers(-40 * 24, 60 * 24).map(lambda h: at + timedelta(hours=h))
    choices = [near, st.sampled_from([at - second, at, at + second])]
    for chosen in (events, [e for e in events if e.at <= at]):  # those up to T most often
        edges = sorted({t + d for e in chosen for t in (e.at, e.recorded_at) for d in (-second, timedelta(0), second)})
        if edges:
            choices.append(st.sampled_from(edges))
    return st.one_of(*choices)


def instants_after_events(events: list[Event]) -> st.SearchStrategy[datetime]:
    """An instant T at most 40 days after one of ``events`` (so that events fall between a
    knowledge instant and T), or any instant when there is no event."""
    if not events:
        return instants()
    return st.builds(lambda e, s: e.at + timedelta(seconds=s), st.sampled_from(events), st.integers(0, 40 * 86400))

