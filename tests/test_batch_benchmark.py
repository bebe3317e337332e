"""benchmarks/batch.py at a tiny size: its contestants agree row for row, and its population
exercises every rule. Timings are printed by the benchmark and never asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import HUABEI, ROOT

BENCHMARKS = ROOT / "benchmarks"


def run_benchmark(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCHMARKS / "batch.py"), "--accounts", "300", "--sample", "50",
                           "--repeat", "1", *options], capture_output=True, text=True, timeout=300)


def test_the_hand_written_query_and_chronolex_agree() -> None:
    """At the benchmark's instant and at the two it checks besides (a Sunday night in the
    maintenance windows as known days before, Double 11), on every row."""
    done = run_benchmark()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DIFFER" not in done.stdout
    assert done.stdout.count("Python engine on its 50 accounts: same rows") == 3
    if "chronolex batch on DuckDB: skipped" not in done.stdout:
        assert done.stdout.count("chronolex batch, DuckDB: same rows") == 3


def test_a_disagreement_fails_the_run_and_is_printed(tmp_path: Path) -> None:
    """A hand-written query that is wrong (a score floor of 650, not 600) is caught by the
    Python engine's sample: exit 1, the first differing row and the account's events."""
    source = (BENCHMARKS / "batch.py").read_text(encoding="utf-8")
    assert source.count("ELSE credit_score < 600 END") == 1
    broken = tmp_path / "batch.py"
    source = source.replace("ELSE credit_score < 600 END", "ELSE credit_score < 650 END")
    source = source.replace("ROOT = Path(__file__).resolve().parent.parent", f"ROOT = Path({str(ROOT)!r})")
    broken.write_text(source, encoding="utf-8")
    (tmp_path / "_population.py").write_text((BENCHMARKS / "_population.py").read_text(encoding="utf-8"),
                                             encoding="utf-8")
    done = subprocess.run([sys.executable, str(broken), "--accounts", "300", "--sample", "100", "--repeat", "1",
                           "--check-at"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "DISAGREEMENT: the Python engine differs from the hand-written query" in done.stdout
    assert "hand-written: {" in done.stdout and "the account's events (12):" in done.stdout


def test_the_population_blocks_and_lets_through_for_every_rule_it_can() -> None:
    """Each rule of 2026.06 read from the events restricts some accounts and not others
    (only the time-bound rules, the same for everyone, are left out), and some rules are
    undetermined for want of a fact."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import duckdb
        import _population as population
        import batch

        import chronolex
        from chronolex.batch.layout import column_types
    finally:
        sys.path.remove(str(BENCHMARKS))
    bundle = chronolex.load_bundle(HUABEI)
    at = chronolex.parse_instant(batch.DEFAULT_AT, bundle.timezone)
    schema = population.layout_schema(dict(column_types(bundle)))
    path = Path(ROOT / "build" / "test-population.parquet")
    path.parent.mkdir(exist_ok=True)
    population.write_population(path, 2000, at, bundle.timezone, schema)
    try:
        rows = duckdb.connect().sql(batch.handwritten_sql(path, at, None, bundle.timezone)).to_arrow_table().to_pylist()
    finally:
        path.unlink()
    blocked: dict[str, set[str]] = {}
    undetermined: set[str] = set()
    for row in rows:
        for rule in row["rules"]:
            blocked.setdefault(rule, set()).add(row["account"])
        undetermined.update(row["undetermined"])
    version = next(v for v in bundle.versions if v.id == "2026.06")
    read_from_events = {r.id for r in version.rules if r.when is not None}
    assert set(blocked) == read_from_events
    for rule in read_from_events:
        assert 0 < len(blocked[rule]) < 2000, rule
    assert undetermined == {"REG-STUDENT-LENDING", "PLAT-SCORE-FLOOR"}
    assert {row["decision"] for row in rows} == {"allowed", "blocked", "undetermined"}
