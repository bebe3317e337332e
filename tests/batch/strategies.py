"""Random bundles with an event catalog, and random populations, for the batch engines.

Every derivation (latest, first, count, sum, min, max, exists, days_since), windows with
calendar and elapsed parts, ``where`` conditions over typed fields, ``expr`` facts with
every function of the language, unknown facts, ``on_unknown``, date against date-time
comparisons, and the three zones with DST (Asia/Shanghai has none, America/New_York and
Europe/Berlin do). Instants cluster on DST changes, window edges and event times, where
a batch engine would most easily disagree with the per-account engine.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from chronolex import AccountHistory, Bundle, Event, parse_instant
from chronolex.events.encoding import freeze_fields
from tests.replay_strategies import BundleSpec, load_spec

UTC = timezone.utc
ZONES = ("Asia/Shanghai", "America/New_York", "Europe/Berlin")
ACTIONS = ("open", "borrow", "raise_limit")
WINDOWS = ("PT24H", "P1D", "PT90M", "P1W", "P30D", "P1M", "P12M", "P1Y", "P1M2DT3H")

CATALOG = """\
events:
  score_updated: {fields: {score: int}}
  payment: {fields: {amount: decimal, channel: {enum: [card, bank, wallet]}, note: string}}
  hit: {fields: {}}
  flag_set: {fields: {on: bool}}
  profile_updated: {fields: {birth_date: date, occupation: string, last_seen: datetime}}
  status_changed: {fields: {status: {enum: [active, frozen, closed]}}}
"""

WHERES = ('amount >= 100', 'channel == "card"', 'channel in ["bank", "wallet"] and amount < 1000',
          'not (channel == "wallet")', 'note == "x" or amount > 5000', 'is_known(note)')


@st.composite
def _facts(draw: st.DrawFn) -> str:
    def window() -> str:
        return f", window: {draw(st.sampled_from(WINDOWS))}" if draw(st.booleans()) else ""

    def where() -> str:
        return f", where: '{draw(st.sampled_from(WHERES))}'" if draw(st.integers(0, 2)) == 0 else ""

    def default(value: str) -> str:
        return f", default: {value}" if draw(st.booleans()) else ""

    lines = [
        f"  score: {{type: int, derive: {{latest: score_updated.score{window()}{default('500')}}}}}",
        f"  first_score: {{type: int, derive: {{first: score_updated.score{window()}}}}}",
        f"  min_score: {{type: int, derive: {{min: score_updated.score{window()}}}}}",
        f"  max_amount: {{type: decimal, derive: {{max: payment.amount{window()}{where()}}}}}",
        f"  spent: {{type: decimal, derive: {{sum: payment.amount{window()}{where()}{default('0')}}}}}",
        f"  hits: {{type: int, derive: {{count: hit{window()}}}}}",
        f"  payments: {{type: int, derive: {{count: payment{window()}{where()}}}}}",
        f"  flagged: {{type: bool, derive: {{latest: flag_set.on{window()}{default('false')}}}}}",
        f"  any_flag: {{type: bool, derive: {{exists: flag_set{window()}}}}}",
        f"  days_since_payment: {{type: int, derive: {{days_since: payment{where()}}}}}",
        "  birth_date: {type: date, derive: {latest: profile_updated.birth_date}}",
        f"  last_seen: {{type: datetime, derive: {{max: profile_updated.last_seen{window()}}}}}",
        "  occupation: {type: string, derive: {latest: profile_updated.occupation}}",
        f"  status: {{type: {{enum: [active, frozen, closed]}}, derive: {{latest: status_changed.status"
        f"{default('active')}}}}}",
        "  age: {type: int, expr: 'years_between(birth_date, now)'}",
        "  months_old: {type: int, expr: 'months_between(birth_date, now)'}",
        "  days_unseen: {type: int, expr: 'days_between(last_seen, now)'}",
        "  spent_known: {type: decimal, expr: 'coalesce(spent, 0) + 1'}",
        "  score_gap: {type: int, expr: 'abs(score - 650)'}",
        "  lowest: {type: int, expr: 'min(score, first_score, 700)'}",
        "  highest: {type: decimal, expr: 'max(max_amount, spent)'}",
    ]
    return "facts:\n" + "\n".join(lines) + "\n"


CONDITIONS = (
    "score < 600", "score >= 620", "first_score == 550", "min_score <= 450", "max_amount > 1000",
    "spent >= 1500", "spent * 2 > 3000", "hits >= 2", "payments >= 2", "flagged", "not any_flag",
    "days_since_payment < 3", "days_since_payment >= 30", "age < 18", "age >= 18 and age < 20",
    "months_old < 220", "days_unseen > 5", "days_unseen <= 0", "spent_known > 600.5", "score_gap > 100",
    "lowest < 560", "highest >= 1200", 'status == "frozen"', 'status in ["frozen", "closed"]',
    'status not in ["active"]', 'occupation == "student"', 'occupation in ["student", "retired", "x"]',
    "is_unknown(score)", "is_known(birth_date)", 'birth_date > date("2007-03-01")',
    'birth_date <= datetime("2026-03-29T02:30:00")', 'birth_date < datetime("2025-11-02T01:30:00-05:00")',
    'birth_date == datetime("2008-03-09T00:00:00")', 'last_seen >= date("2026-03-08")',
    'last_seen < now - duration("P7D")', 'last_seen > datetime("2026-03-29T02:30:00")',
    "score + 10 >= 600", "-score < -600", "score in [450, 550, score]", "coalesce(score, 0) < 500",
    'status in []', "max(score, 600) == 600", "not (score < 600 or hits >= 1)",
)


@st.composite
def _condition(draw: st.DrawFn) -> str:
    first = draw(st.sampled_from(CONDITIONS))
    if draw(st.integers(0, 2)) == 0:
        op = draw(st.sampled_from(["and", "or"]))
        return f"({first}) {op} ({draw(st.sampled_from(CONDITIONS))})"
    return first


@st.composite
def _rule(draw: st.DrawFn, index: int) -> str:
    category = draw(st.sampled_from(["regulation", "platform", "maintenance", "risk"]))
    actions = draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True))
    lines = [f"  - id: R{index:02d}", f"    category: {category}", f"    actions: [{', '.join(sorted(actions))}]"]
    if category == "regulation":
        lines.append('    source: {authority: "Test Authority", document: "Test Rules"}')
    if draw(st.integers(0, 5)) > 0:
        lines.append(f"    when: '{draw(_condition())}'")
    if draw(st.integers(0, 3)) == 0:
        lines.append(f"    unless: '{draw(_condition())}'")
    timed = draw(st.sampled_from(["none", "none", "none", "active", "schedule"]))
    if timed == "active":
        start = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 6, 1)))
        lines.append(f"    active: {{from: {start.isoformat()}, until: {(start + timedelta(days=200)).isoformat()}}}")
    elif timed == "schedule":
        lines.append('    schedule: {rrule: "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=30;BYSECOND=0", duration: PT3H}')
    on_unknown = draw(st.sampled_from([None, None, "block", "allow", "undetermined"]))
    if on_unknown:
        lines.append(f"    on_unknown: {on_unknown}")
    return "\n".join(lines)


@st.composite
def batch_bundles(draw: st.DrawFn) -> BundleSpec:
    """A valid bundle with an event catalog, 1–2 versions and 1–6 rules each."""
    zone = draw(st.sampled_from(ZONES))
    manifest = (f"bundle: batch\ntimezone: {zone}\nactions: [{', '.join(ACTIONS)}]\n"
                "categories:\n  risk: {precedence: 5}\n" + CATALOG + draw(_facts()))
    files = [("bundle.yaml", manifest)]
    index = 0
    for number in range(1, draw(st.integers(1, 2)) + 1):
        rules = []
        for _ in range(draw(st.integers(1, 6))):
            index += 1
            rules.append(draw(_rule(index)))
        starts = date(2025, 1, 1) if number == 1 else draw(st.dates(date(2025, 6, 1), date(2026, 6, 1)))
        published = datetime(2024, 12, 1, 9) if number == 1 else datetime(starts.year, starts.month, starts.day, 9) \
            + timedelta(days=draw(st.integers(-30, 30)))
        files.append((f"versions/v{number}.yaml",
                      f'version: "v{number}"\neffective_from: {starts.isoformat()}\n'
                      f"published_at: {published.isoformat()}\nrules:\n" + "\n".join(rules) + "\n"))
    return BundleSpec(zone, tuple(files))


#: Instants where answers change most easily: DST changes in both DST zones, a 29 February, month ends.
SHARP = tuple(datetime.fromisoformat(t) for t in (
    "2025-03-09T07:00:00+00:00", "2025-03-30T01:00:00+00:00", "2025-10-26T01:00:00+00:00",
    "2025-11-02T06:00:00+00:00", "2026-03-08T07:00:00+00:00", "2026-03-29T01:00:00+00:00",
    "2026-03-29T00:30:00+00:00", "2025-11-02T05:30:00+00:00", "2026-02-28T16:00:00+00:00",
    "2026-03-01T05:00:00+00:00", "2025-12-31T23:00:00+00:00", "2026-01-31T15:59:59+00:00",
))
_LO = datetime(2025, 1, 1, tzinfo=UTC)
_SPAN = 2 * 366 * 24 * 3600


def instants() -> st.SearchStrategy[datetime]:
    near = st.builds(lambda t, s: t + timedelta(seconds=s), st.sampled_from(SHARP),
                     st.sampled_from([-3600, -1, 0, 1, 1800, 3600, 86400]))
    anywhere = st.builds(lambda s: _LO + timedelta(seconds=s), st.integers(0, _SPAN))
    return st.one_of(near, anywhere)


_FIELDS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "score_updated": st.builds(lambda s: {"score": s}, st.sampled_from([450, 550, 620, 680, 720])),
    "payment": st.fixed_dictionaries(
        {"amount": st.sampled_from([Decimal("99.99"), Decimal("100"), Decimal("500.5"), Decimal("1200"),
                                    Decimal("5000.0000000001")])},
        optional={"channel": st.sampled_from(["card", "bank", "wallet"]), "note": st.sampled_from(["x", "y"])}),
    "hit": st.just({}),
    "flag_set": st.builds(lambda b: {"on": b}, st.booleans()),
    "profile_updated": st.fixed_dictionaries({}, optional={
        "birth_date": st.sampled_from(["2007-03-01", "2008-02-29", "2008-03-09", "1980-02-29", "2006-11-30"]),
        "occupation": st.sampled_from(["student", "retired", "engineer"]),
        "last_seen": st.sampled_from(["2026-03-08T02:30:00", "2026-03-29T02:30:00", "2025-11-02T01:30:00",
                                      "2026-03-07T23:59:59+08:00", "2025-06-01T12:00:00Z"]),
    }),
    "status_changed": st.builds(lambda s: {"status": s}, st.sampled_from(["active", "frozen", "closed"])),
}


@st.composite
def _event(draw: st.DrawFn, account: str, around: datetime) -> Event:
    kind = draw(st.sampled_from(sorted(_FIELDS)))
    offset = draw(st.sampled_from([-86400 * 400, -86400 * 31, -86400 * 30, -86400, -5400, -3600, -1, 0]))
    at = around + timedelta(seconds=offset + draw(st.sampled_from([0, 0, -17, -86400 * 3])))
    recorded = at if draw(st.integers(0, 3)) else at + timedelta(hours=draw(st.integers(1, 24 * 20)))
    return Event(account, at, kind, recorded, freeze_fields(draw(_FIELDS[kind])))


@st.composite
def populations(draw: st.DrawFn, around: datetime, max_accounts: int = 6) -> list[AccountHistory]:
    """A few accounts whose events sit where windows and instants meet (ties included)."""
    histories = []
    for number in range(draw(st.integers(1, max_accounts))):
        account = f"acct-{number:03d}"
        events = draw(st.lists(_event(account, around), max_size=8))
        if events and draw(st.booleans()):  # a twin at the same instant with other fields
            original = draw(st.sampled_from(events))
            events.append(Event(account, original.at, original.type, original.recorded_at,
                                freeze_fields(draw(_FIELDS[original.type]))))
        if not events:
            events = [Event(account, around, "hit", around)]
        histories.append(AccountHistory(account, events))
    return histories


def load(spec: BundleSpec) -> Bundle:
    return load_spec(spec)


__all__ = ["ACTIONS", "SHARP", "batch_bundles", "instants", "load", "parse_instant", "populations"]
