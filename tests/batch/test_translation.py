"""Every function and derivation of the language reaches SQL, and what cannot is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import chronolex
from chronolex.batch.plan import compile_plan
from chronolex.batch.sql_expr import TRANSLATED_FUNCTIONS
from chronolex.cli.app import cli
from chronolex.lang.functions import FUNCTIONS
from tests.batch.strategies import CATALOG
from tests.conftest import ROOT

DERIVATIONS = ("latest", "first", "count", "sum", "min", "max", "exists", "days_since")


def test_every_function_of_the_language_has_a_translation() -> None:
    assert set(FUNCTIONS) <= TRANSLATED_FUNCTIONS, sorted(set(FUNCTIONS) - TRANSLATED_FUNCTIONS)


def write_bundle(root: Path, facts: str, rules: str) -> chronolex.Bundle:
    (root / "versions").mkdir(parents=True)
    (root / "bundle.yaml").write_text("bundle: t\ntimezone: Europe/Berlin\nactions: [open]\n" + CATALOG
                                      + "facts:\n" + facts, encoding="utf-8")
    (root / "versions" / "v1.yaml").write_text('version: "v1"\neffective_from: 2025-01-01\n'
                                               "published_at: 2024-12-01T00:00:00\nrules:\n" + rules,
                                               encoding="utf-8")
    return chronolex.load_bundle(root)


@pytest.mark.parametrize("aggregation", DERIVATIONS)
def test_every_derivation_compiles(tmp_path: Path, aggregation: str) -> None:
    source = {"count": "payment", "exists": "payment", "days_since": "payment"}.get(aggregation, "payment.amount")
    kind = {"count": "int", "exists": "bool", "days_since": "int"}.get(aggregation, "decimal")
    bundle = write_bundle(tmp_path, f"  x: {{type: {kind}, derive: {{{aggregation}: {source}, window: P1M}}}}\n",
                          "  - {id: R1, category: platform, actions: [open], when: 'is_known(x)'}\n")
    at = chronolex.parse_instant("2026-03-29T02:30", bundle.timezone)
    assert '"fact:x"' in compile_plan(bundle, at).sql("duckdb")


@pytest.mark.parametrize(("condition", "construct"), [
    ("spent / 2 > 10", "divides per-account values"),
    ('last_seen + duration("P1D") > now', "shifts a per-account date by a duration"),
    ("years_between(last_seen, now) > 1", "wall-clock time in the bundle zone"),
    ("birth_date < last_seen", "per-account date with a per-account date-time"),
])
def test_a_construct_without_an_exact_translation_is_refused_by_name(tmp_path: Path, condition: str,
                                                                      construct: str) -> None:
    facts = ("  spent: {type: decimal, derive: {sum: payment.amount}}\n"
             "  last_seen: {type: datetime, derive: {latest: profile_updated.last_seen}}\n"
             "  birth_date: {type: date, derive: {latest: profile_updated.birth_date}}\n")
    bundle = write_bundle(tmp_path, facts, f"  - {{id: R-ODD, category: platform, actions: [open], when: '{condition}'}}\n")
    at = chronolex.parse_instant("2026-03-01", bundle.timezone)
    with pytest.raises(chronolex.Untranslatable) as raised:
        compile_plan(bundle, at)
    assert "rule R-ODD" in str(raised.value) and construct in str(raised.value)
    events = tmp_path / "events.jsonl"
    events.write_text('{"account": "a", "at": "2026-01-01T00:00:00+01:00", "type": "payment", "amount": 5}\n',
                      encoding="utf-8")
    runner = CliRunner()
    explicit = runner.invoke(cli, ["replay", "--at", "2026-03-01", "--events", str(events), "--bundle", str(tmp_path),
                                   "--engine", "duckdb"])
    assert explicit.exit_code == 2 and "R-ODD" in explicit.stderr and "Traceback" not in explicit.output
    auto = runner.invoke(cli, ["replay", "--at", "2026-03-01", "--events", str(events), "--bundle", str(tmp_path)])
    assert auto.exit_code == 0
    assert "note: deciding with the per-account engine (slower)" in auto.stderr and "R-ODD" in auto.stderr


def test_a_bundle_without_an_event_catalog_falls_back_loudly(tmp_path: Path) -> None:
    (tmp_path / "versions").mkdir()
    (tmp_path / "bundle.yaml").write_text(
        "bundle: t\ntimezone: Asia/Shanghai\nactions: [open]\nfacts:\n"
        "  n: {type: int, derive: {count: hit}}\n", encoding="utf-8")
    (tmp_path / "versions" / "v1.yaml").write_text(
        'version: "v1"\neffective_from: 2025-01-01\npublished_at: 2024-12-01T00:00:00\nrules:\n'
        "  - {id: R1, category: platform, actions: [open], when: 'n >= 1'}\n", encoding="utf-8")
    events = tmp_path / "e.jsonl"
    events.write_text('{"account": "a", "at": "2026-01-01T00:00:00+08:00", "type": "hit"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["replay", "--at", "2026-03-01", "--events", str(events), "--bundle",
                                      str(tmp_path), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0 and "no event catalog" in result.stdout
    assert '"decision": "blocked"' in (tmp_path / "out.jsonl").read_text(encoding="utf-8")


HUABEI = ROOT / "policies" / "huabei"
EVENTS = HUABEI / "examples" / "events.jsonl"


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_every_engine_and_format_gives_the_same_bytes(tmp_path: Path, suffix: str) -> None:
    outputs = []
    for engine in ("duckdb", "python"):
        target = tmp_path / f"{engine}{suffix}"
        result = CliRunner().invoke(cli, ["replay", "--at", "2026-03-08T02:30", "--events", str(EVENTS), "--bundle",
                                          str(HUABEI), "--engine", engine, "-o", str(target)])
        assert result.exit_code == 0, result.output
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    assert [p.name for p in sorted(tmp_path.iterdir())] == [f"duckdb{suffix}", f"python{suffix}"]


def test_show_plan_prints_the_query_for_the_engine() -> None:
    runner = CliRunner()
    duck = runner.invoke(cli, ["replay", "--at", "2026-03-16", "--bundle", str(HUABEI), "--events", str(EVENTS),
                               "--show-plan"])
    spark = runner.invoke(cli, ["replay", "--at", "2026-03-16", "--bundle", str(HUABEI), "--events", str(EVENTS),
                                "--show-plan", "--engine", "spark"])
    assert duck.exit_code == spark.exit_code == 0
    assert "ARG_MAX" in duck.stdout and "EPOCH_US" in duck.stdout
    assert "MAX_BY" in spark.stdout and "UNIX_MICROS" in spark.stdout
