"""The DuckDB plan decides exactly as the per-account engine, on every account and action.

The per-account engine (``chronolex why``) is the specification; these tests hold the
compiled plan to it: random bundles that use every derivation, window kind, ``where``,
``expr`` function, unknowns and ``on_unknown``, in zones with and without DST, at
instants on DST changes and window edges, with and without a knowledge cut; and every
shipped example account at every instant where its timeline changes.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chronolex
from chronolex.batch.duckdb_engine import connect, run_duckdb
from chronolex.batch.histories import table_from_histories
from chronolex.batch.plan import compile_plan
from chronolex.batch.python_engine import decision_rows
from tests.batch.strategies import batch_bundles, instants, load, populations
from tests.conftest import ROOT

HUABEI = ROOT / "policies" / "huabei"
EVENTS = HUABEI / "examples" / "events.jsonl"


def first_difference(batch: list[dict[str, object]], reference: list[dict[str, object]]) -> str:
    """The first row where the two disagree, in full (for the failure message)."""
    for ours, theirs in zip(batch, reference):
        if ours != theirs:
            return f"duckdb: {ours}\npython: {theirs}"
    return f"{len(batch)} rows against {len(reference)}"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_duckdb_decides_every_row_as_the_per_account_engine(data: st.DataObject) -> None:
    spec = data.draw(batch_bundles(), label="bundle")
    bundle = load(spec)
    at = data.draw(instants(), label="at")
    histories = data.draw(populations(at), label="histories")
    known_at = data.draw(st.one_of(st.none(), st.sampled_from([at, at - timedelta(days=3), at + timedelta(hours=5)])),
                         label="known_at")
    table = table_from_histories(bundle, histories)
    batch = run_duckdb(compile_plan(bundle, at, known_at), table).to_pylist()
    reference = decision_rows(bundle, histories, at, known_at).to_pylist()
    assert batch == reference, first_difference(batch, reference) + "\n" + spec.text()


def test_the_shipped_accounts_agree_at_every_instant_their_timelines_change() -> None:
    bundle = chronolex.load_bundle(HUABEI)
    source = chronolex.open_source([EVENTS], bundle.timezone, catalog=bundle.events)
    histories = [source.history(a) for a in source.accounts()]
    table = table_from_histories(bundle, histories)
    start = chronolex.parse_instant("2026-02-01", bundle.timezone)
    end = chronolex.parse_instant("2026-05-01", bundle.timezone)
    instants_seen = set()
    for history in histories:
        for action in bundle.actions:
            for interval in chronolex.timeline(bundle, history, action, start, end):
                instants_seen.update({interval.start, interval.start - timedelta(microseconds=1)})
    assert len(instants_seen) > 40
    checked = 0
    connection = connect()
    for at in sorted(instants_seen):
        batch = run_duckdb(compile_plan(bundle, at), table, connection=connection).to_pylist()
        reference = decision_rows(bundle, histories, at).to_pylist()
        assert batch == reference, f"at {at}: " + first_difference(batch, reference)
        checked += len(batch)
    assert checked == len(instants_seen) * 30


def test_the_batch_rows_equal_why_field_for_field() -> None:
    bundle = chronolex.load_bundle(HUABEI)
    source = chronolex.open_source([EVENTS], bundle.timezone, catalog=bundle.events)
    at = chronolex.parse_instant("2026-03-08T02:30", bundle.timezone)
    rows = chronolex.replay_batch(bundle, [str(EVENTS)], at).to_pylist()
    assert len(rows) == 30
    for row in rows:
        decision = chronolex.decide(bundle, source.history(row["account"]), row["action"], at)
        document = decision.to_json()
        assert row["decision"] == document["decision"]
        assert row["blocked_by"] == document["blocked_by"]
        assert row["rules"] == [r["rule"] for r in document["reasons"]]
        assert row["undetermined"] == [r["rule"] for r in document.get("undetermined", [])]
        assert row["version"] == (document["policy"] or {}).get("version")
        assert row["at"] == document["at"]
