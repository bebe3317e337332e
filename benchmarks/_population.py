"""A generated population of huabei accounts, written as Parquet in the batch event layout.

Every account has exactly 12 events, generated column by column with numpy (a fixed seed
per block of accounts, so the same size gives the same bytes and a small population is
the start of a large one). The mix is chosen so that every rule of the huabei versions
2026.03 and 2026.06 blocks some accounts and lets others through at the benchmark's
instants, with the cases a real event log has and a batch engine can get wrong:

- facts with no value: no birth date (``REG-MINORS`` fails closed), no occupation
  (``REG-STUDENT-LENDING`` undetermined), no credit score (``PLAT-SCORE-FLOOR``
  undetermined unless the pilot tier exempts), never a password reset (the cool-down
  settles an unknown as allowed);
- partial updates (a profile change of the occupation alone keeps the birth date), a
  consent withdrawn after it was granted, a status frozen then active again;
- bursts of failed logins, password resets and loans, so the 24-hour, 7-day and 30-day
  counts cross their thresholds; loans of exactly 1,000 CNY for ``where: amount >= 1000``;
- events exactly on the instant, on a window's start and a microsecond either side;
- events after the instant (never seen), and customers whose every event comes later;
- events recorded late (``recorded_at`` up to 40 days after ``at``), for ``--as-known-at``;
- events of one type at the same instant, ordered by their id (``latest`` takes the last
  one in the per-account engine's order, ``seq``), and events without an id.

Columns and types are those of ``chronolex.batch.layout.column_types`` for the bundle;
``seq`` is each event's position in its account's history in the per-account engine's
order (time, recorded_at, type, id), computed here by the same sort.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

EVENTS_PER_ACCOUNT = 12
#: Accounts per generated block (one Parquet row group): bounds the memory of generation.
BLOCK = 50_000

US_PER_DAY = 86_400_000_000
US_PER_HOUR = 3_600_000_000

TYPES = ("credit_consent_changed", "credit_score_updated", "kyc_verified", "loan_disbursed", "login_failed",
         "password_reset", "profile_updated", "repayment_overdue", "status_changed", "tier_changed")
T_CONSENT, T_SCORE, T_KYC, T_LOAN, T_LOGIN, T_RESET, T_PROFILE, T_OVERDUE, T_STATUS, T_TIER = range(len(TYPES))
#: How often each type fills one of the last eight slots of an account (the first four are
#: KYC, profile, consent and score, each present for most accounts).
FILLER = {T_LOGIN: 0.22, T_RESET: 0.10, T_LOAN: 0.25, T_OVERDUE: 0.05, T_SCORE: 0.15, T_STATUS: 0.03,
          T_TIER: 0.06, T_CONSENT: 0.03, T_PROFILE: 0.06, T_KYC: 0.05}

OCCUPATIONS = ("driver", "engineer", "nurse", "retired", "self_employed", "student", "teacher")
CHANNELS = ("app", "h5", "web")
LOGIN_REASONS = ("bad_password", "otp_timeout", "device_check")
STATUS_REASONS = ("risk_review", "customer_request", "review_cleared")
SOURCES = ("bureau_a", "bureau_b", "internal")
PRODUCTS = ("cash", "shopping", "travel")
METHODS = ("bank_card", "id_card_and_face")


def account_name(index: int) -> str:
    return f"acct-{index:08d}"


def _shift_months(at: datetime, months: int) -> datetime:
    """``at`` moved by whole calendar months in its own zone, the day clamped to the month's end."""
    from dateutil.relativedelta import relativedelta
    return at + relativedelta(months=months)


def boundaries(at: datetime, zone: object) -> list[int]:
    """Instants (UTC microseconds) where a huabei fact window starts at ``at``, and ``at``."""
    local = at.astimezone(zone)  # type: ignore[arg-type]
    starts = [at - timedelta(hours=24), local - timedelta(days=7), local - timedelta(days=30),
              _shift_months(local, -12), at - timedelta(days=2), at]
    return [_micros(s) for s in starts]


def _micros(at: datetime) -> int:
    return (at - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)


def _strings(values: tuple[str, ...], codes: np.ndarray, present: np.ndarray) -> pa.Array:
    """A string column from codes into ``values``; null where ``present`` is false."""
    indices = pa.array(codes.astype(np.int32), mask=~present)
    return pa.DictionaryArray.from_arrays(indices, pa.array(values)).cast(pa.string())


def _decimal(cents: np.ndarray, present: np.ndarray) -> pa.Array:
    """A decimal128(38, 10) column of ``cents`` / 100, built from its 16-byte integers."""
    words = np.zeros((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents.astype(np.int64) * 100_000_000  # scale 10: cents * 10^8
    words[:, 1] = np.where(words[:, 0] < 0, -1, 0)
    validity = pa.py_buffer(np.packbits(present, bitorder="little"))
    return pa.Array.from_buffers(pa.decimal128(38, 10), len(cents), [validity, pa.py_buffer(words)],
                                 null_count=int((~present).sum()))


def _timestamps(micros: np.ndarray) -> pa.Array:
    return pa.array(micros.astype(np.int64), type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def block(first: int, count: int, at: datetime, zone: object, seed: int) -> pa.Table:
    """Accounts ``first`` .. ``first + count - 1`` (12 events each), sorted in layout order."""
    rng = np.random.default_rng([seed, first])
    n, k = count, EVENTS_PER_ACCOUNT
    T = _micros(at)
    day_24h, day_7d, day_30d, month_12, day_2, _ = boundaries(at, zone)

    kind = np.empty((n, k), dtype=np.int8)
    filler_types = np.array(list(FILLER), dtype=np.int8)
    weights = np.array(list(FILLER.values()))
    kind[:, 4:] = rng.choice(filler_types, size=(n, k - 4), p=weights / weights.sum())
    kind[:, 0] = np.where(rng.random(n) < 0.95, T_KYC, rng.choice(filler_types, size=n, p=weights / weights.sum()))
    kind[:, 1] = np.where(rng.random(n) < 0.97, T_PROFILE, T_LOGIN)
    kind[:, 2] = np.where(rng.random(n) < 0.93, T_CONSENT, T_LOAN)
    kind[:, 3] = np.where(rng.random(n) < 0.95, T_SCORE, T_OVERDUE)

    # when: mostly the last two years; the filler slots lean to the recent past
    ago = rng.uniform(0, 730 * US_PER_DAY, size=(n, k))
    mix = rng.random((n, k))
    mix[:, :4] = 1.0  # the first four slots stay in the last two years
    within = np.select([mix < 0.25, mix < 0.37, mix < 0.45, mix < 0.50], [30, 7, 2, 1], 0) * US_PER_DAY
    ago = np.where(within > 0, rng.random((n, k)) * within, ago)
    micros = T - ago.astype(np.int64)
    # 5% of filler events happen after the instant, and are never seen at it
    later = (mix >= 0.50) & (mix < 0.55)
    micros = np.where(later, T + rng.uniform(1, 60 * US_PER_DAY, size=(n, k)).astype(np.int64), micros)
    # 5% sit on a window's start or on the instant, or a microsecond either side
    edge = (mix >= 0.55) & (mix < 0.60)
    edges = np.array([day_24h, day_7d, day_30d, month_12, day_2, T], dtype=np.int64)
    on_edge = edges[rng.integers(0, len(edges), size=(n, k))] + rng.integers(-1, 2, size=(n, k))
    micros = np.where(edge, on_edge, micros)

    # bursts: failed logins, password resets, loans
    burst = rng.random(n)
    logins = burst < 0.04
    kind[logins, 4:10] = T_LOGIN
    micros[logins, 4:10] = T - rng.uniform(0, 23.9 * US_PER_HOUR, size=(int(logins.sum()), 6)).astype(np.int64)
    resets = (burst >= 0.04) & (burst < 0.07)
    kind[resets, 4:8] = T_RESET
    micros[resets, 4:8] = T - rng.uniform(0, 6.5 * US_PER_DAY, size=(int(resets.sum()), 4)).astype(np.int64)
    loans = (burst >= 0.07) & (burst < 0.11)
    kind[loans, 4:9] = T_LOAN
    micros[loans, 4:9] = T - rng.uniform(0, 29 * US_PER_DAY, size=(int(loans.sum()), 5)).astype(np.int64)
    # customers who join after the instant: every event later
    joins_later = burst >= 0.998
    micros[joins_later] = T + rng.uniform(1, 90 * US_PER_DAY, size=(int(joins_later.sum()), k)).astype(np.int64)

    # ties: an event of the same type at the same instant as the slot before it
    tie = rng.random((n, k)) < 0.02
    tie[:, :5] = False
    kind = np.where(tie, np.roll(kind, 1, axis=1), kind)
    micros = np.where(tie, np.roll(micros, 1, axis=1), micros)

    # recorded late: 5% within three days, 3% up to 40 days after
    late = rng.random((n, k))
    delay = np.where(late < 0.05, rng.uniform(60e6, 3 * US_PER_DAY, size=(n, k)),
                     np.where(late < 0.08, rng.uniform(3 * US_PER_DAY, 40 * US_PER_DAY, size=(n, k)), 0))
    delay = np.where(tie, np.roll(delay, 1, axis=1), delay)
    recorded = micros + delay.astype(np.int64)

    # an event that could tie with another on (at, recorded_at, type) has an id, so the
    # order is the same whoever sorts (the per-account engine breaks a full tie otherwise)
    has_id = (rng.random((n, k)) < 0.75) | tie | np.roll(tie, -1, axis=1) | edge

    kind, micros, recorded, has_id = kind.ravel(), micros.ravel(), recorded.ravel(), has_id.ravel()
    rows = n * k
    slot = np.tile(np.arange(k), n)
    is_ = {t: kind == t for t in range(len(TYPES))}
    u = rng.random((8, rows))

    # profile: the first slot carries birth date and occupation; a later one one of them
    first_profile = is_[T_PROFILE] & (slot == 1)
    has_birth = is_[T_PROFILE] & np.where(first_profile, u[0] >= 0.03, u[0] < 0.4)
    has_occupation = is_[T_PROFILE] & np.where(first_profile, u[1] >= 0.08, ~has_birth)
    has_occupation |= is_[T_PROFILE] & ~has_birth  # an update always carries a field
    today = (at.astimezone(zone)).date()  # type: ignore[arg-type]
    adult = (today.replace(year=today.year - 18) - date(1970, 1, 1)).days if not (today.month == 2 and today.day == 29) \
        else (date(today.year - 18, 2, 28) - date(1970, 1, 1)).days
    age_days = rng.uniform(18 * 365.25, 70 * 365.25, size=rows)
    birth = (today - date(1970, 1, 1)).days - age_days.astype(np.int64)
    minors = u[2] < 0.02
    birth = np.where(minors, (today - date(1970, 1, 1)).days - rng.uniform(13 * 365.25, 18 * 365.25, size=rows)
                     .astype(np.int64), birth)
    edge_birth = (u[2] >= 0.04) & (u[2] < 0.06)  # born exactly 18 years ago, a day before or after
    birth = np.where(edge_birth, adult + rng.integers(-1, 2, size=rows), birth)
    leap = (u[2] >= 0.06) & (u[2] < 0.065)  # born on 29 February
    birth = np.where(leap, (date(2008, 2, 29) - date(1970, 1, 1)).days, birth)
    others = np.array([i for i, name in enumerate(OCCUPATIONS) if name != "student"])
    occupation = np.where(u[3] < 0.06, OCCUPATIONS.index("student"), others[rng.integers(0, len(others), size=rows)])

    granted = np.where(slot == 2, u[4] < 0.95, u[4] < 0.75)
    score = np.clip(rng.normal(680, 70, size=rows), 300, 950).astype(np.int64)
    status = np.where(u[5] < 0.6, 0, np.where(u[5] < 0.9, 1, 2))
    tier = (u[6] < 0.5).astype(np.int64)
    days = np.where(u[7] < 0.1, 30 + (u[7] < 0.05), np.where(u[7] < 0.25, rng.integers(32, 91, size=rows),
                                                               rng.integers(1, 30, size=rows)))
    amount_kind = u[5]
    cents = np.where(amount_kind < 0.4, rng.integers(10_000, 100_000, size=rows),
                     np.where(amount_kind < 0.45, 100_000, np.where(amount_kind < 0.5, 99_999,
                              np.where(amount_kind < 0.9, rng.integers(100_000, 600_000, size=rows),
                                       rng.integers(600_000, 2_000_000, size=rows)))))

    names = pa.array([account_name(i) for i in range(first, first + n)])
    account = names.take(pa.array(np.repeat(np.arange(n), k)))
    slot_text = pa.array(slot).cast(pa.string())
    event_id = pc.binary_join_element_wise(account, slot_text, "/")
    event_id = pc.if_else(pa.array(has_id), event_id, pa.scalar(None, pa.string()))
    has_loan_id = is_[T_LOAN] | is_[T_OVERDUE]
    loan_id = pc.if_else(pa.array(has_loan_id), pc.binary_join_element_wise(pa.scalar("L"), account, slot_text, "-"),
                         pa.scalar(None, pa.string()))
    channel_present = is_[T_LOGIN] | is_[T_RESET]
    reason_present = is_[T_LOGIN] | is_[T_STATUS]
    reason = np.where(is_[T_LOGIN], rng.integers(0, 3, size=rows), 3 + rng.integers(0, 3, size=rows))
    columns = {
        "account": account,
        "at": _timestamps(micros),
        "recorded_at": _timestamps(recorded),
        "type": _strings(TYPES, kind, np.ones(rows, dtype=bool)),
        "id": event_id,
        "seq": pa.array(np.zeros(rows, dtype=np.int64)),
        "amount": _decimal(cents, is_[T_LOAN]),
        "birth_date": pa.array(birth.astype(np.int32), mask=~has_birth).cast(pa.date32()),
        "channel": _strings(CHANNELS, rng.integers(0, 3, size=rows), channel_present),
        "currency": _strings(("CNY",), np.zeros(rows), is_[T_LOAN]),
        "days": pa.array(days, mask=~is_[T_OVERDUE]),
        "granted": pa.array(granted, mask=~is_[T_CONSENT]),
        "loan_id": loan_id,
        "method": _strings(METHODS, rng.integers(0, 2, size=rows), is_[T_KYC]),
        "occupation": _strings(OCCUPATIONS, occupation, has_occupation),
        "product": _strings(PRODUCTS, rng.integers(0, 3, size=rows), is_[T_LOAN]),
        "reason": _strings(LOGIN_REASONS + STATUS_REASONS, reason, reason_present),
        "score": pa.array(score, mask=~is_[T_SCORE]),
        "source": _strings(SOURCES, rng.integers(0, 3, size=rows), is_[T_SCORE]),
        "status": _strings(("active", "frozen", "closed"), status, is_[T_STATUS]),
        "tier": _strings(("standard", "pilot"), tier, is_[T_TIER]),
    }
    table = pa.table(columns)
    # the per-account engine's order: time, recorded_at, type, id (an event without one first)
    order = pc.sort_indices(table, sort_keys=[(name, "ascending", "at_start") for name in
                                              ("account", "at", "recorded_at", "type", "id")])
    table = table.take(order)
    return table.set_column(5, "seq", pa.array(np.tile(np.arange(k, dtype=np.int64), n)))


def write_population(path: Path, accounts: int, at: datetime, zone: object, schema: pa.Schema,
                     seed: int = 14) -> int:
    """Write ``accounts`` accounts to the Parquet file ``path``; the number of events."""
    events = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for first in range(0, accounts, BLOCK):
            table = block(first, min(BLOCK, accounts - first), at, zone, seed).cast(schema)
            writer.write_table(table, row_group_size=len(table))
            events += len(table)
    return events


def layout_schema(types: dict[str, str]) -> pa.Schema:
    """The Arrow schema of the layout's column types (names as ``column_types`` gives them)."""
    def arrow(name: str) -> pa.DataType:
        if name.startswith("decimal128"):
            precision, scale = (int(x) for x in name[len("decimal128("):-1].split(","))
            return pa.decimal128(precision, scale)
        if name.startswith("timestamp"):
            return pa.timestamp("us", tz="UTC")
        return {"string": pa.string(), "int64": pa.int64(), "bool": pa.bool_(), "date32": pa.date32()}[name]
    return pa.schema([(column, arrow(kind)) for column, kind in types.items()])
