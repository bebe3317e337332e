"""Benchmark: ``diff --accounts --notify`` decided by the batch plans vs account by account.

Generated accounts (3-8 events each, the huabei catalog) are compared under two shipped
versions of huabei at one instant, side by side in one run:

- batch: the event table built from the histories, both versions decided by compiled
  plans in DuckDB, joined and counted there, then the notification rows (messages and
  remedies) written as Parquet — what ``chronolex diff OLD NEW --accounts --notify`` does;
- per account: ``chronolex.impact`` (today's path) and the notification rows from the
  per-account engine, on every account or on a sample (``--python-accounts``, the rate
  extrapolated).

Both give the same report on the accounts the per-account path decides; the benchmark
checks it and prints the first difference when there is one. Prints figures; not a test.

    python benchmarks/diff_accounts.py [--accounts 100000] [--python-accounts N]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow.parquet as pq  # noqa: E402

import _generate as gen  # noqa: E402
import chronolex  # noqa: E402

HUABEI = Path(__file__).resolve().parent.parent / "policies" / "huabei"
OLD, NEW, AT = "2025.07", "2026.03", "2026-03-10T12:00"


def population(count: int) -> chronolex.MemorySource:
    rng = random.Random(3)
    return chronolex.MemorySource(e for i in range(count) for e in gen.events(f"acct-{i:07d}", rng.randint(3, 8), rng))


def batch(old: chronolex.Side, new: chronolex.Side, source: chronolex.MemorySource, at: object,
          out: Path) -> tuple[chronolex.Impact, float, int]:
    started = time.perf_counter()
    run = chronolex.BatchImpact(old, new, at)  # type: ignore[arg-type]
    compiled = time.perf_counter()
    report = run.run(source)
    decided = time.perf_counter()
    assert run.changes is not None
    rows = chronolex.notifications(run.changes, "en")
    pq.write_table(rows, out)
    done = time.perf_counter()
    print(f"      batch: plans compiled {compiled - started:.2f} s, event table + decide + join + count "
          f"{decided - compiled:.2f} s, notification rows + Parquet {done - decided:.2f} s")
    return report, done - started, rows.num_rows


def per_account(old: chronolex.Side, new: chronolex.Side, source: chronolex.MemorySource, at: object,
                out: Path) -> tuple[chronolex.Impact, float, float]:
    started = time.perf_counter()
    report = chronolex.impact(old, new, source, at)  # type: ignore[arg-type]
    impact_seconds = time.perf_counter() - started
    rows = chronolex.notifications(chronolex.account_changes(old, new, source, at), "en")  # type: ignore[arg-type]
    pq.write_table(rows, out)
    return report, impact_seconds, time.perf_counter() - started


def first_difference(left: object, right: object, path: str = "") -> str | None:
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            found = first_difference(left.get(key), right.get(key), f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (a, b) in enumerate(zip(left, right)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if left == right else f"{path}: batch {left!r} != per-account {right!r}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--python-accounts", type=int, default=None,
                        help="decide this many accounts with the per-account engine (default: all)")
    args = parser.parse_args()
    bundle = chronolex.load_bundle(HUABEI)
    versions = {v.id: v for v in bundle.versions}
    old = chronolex.Side(f"huabei@{OLD}", bundle, versions[OLD])
    new = chronolex.Side(f"huabei@{NEW}", bundle, versions[NEW])
    at = chronolex.parse_instant(AT, bundle.timezone)
    sample = min(args.python_accounts or args.accounts, args.accounts)
    started = time.perf_counter()
    source = population(args.accounts)
    small = source if sample == args.accounts else population(sample)
    print(f"diff --accounts --notify: huabei {OLD} -> {NEW} at {AT}, {args.accounts:,} generated accounts "
          f"(built in {time.perf_counter() - started:.1f} s)")
    with tempfile.TemporaryDirectory() as folder:
        report, seconds, rows = batch(old, new, source, at, Path(folder) / "batch.parquet")
        print(f"    {'batch (DuckDB), all accounts':<40} {seconds:>8.2f} s  {args.accounts / seconds:>10,.0f} accounts/s"
              f"  ({report.to_json()['affected_count']:,} affected, {rows:,} notification rows)")
        expected, impact_seconds, total = per_account(old, new, small, at, Path(folder) / "python.parquet")
        label = "per account, all accounts" if small is source else f"per account, {sample:,}-account sample"
        print(f"    {label:<40} {total:>8.2f} s  {sample / total:>10,.0f} accounts/s"
              f"  (impact {impact_seconds:.2f} s, notification rows {total - impact_seconds:.2f} s)")
        if small is source:
            compared = report
        else:
            compared, _, _ = batch(old, new, small, at, Path(folder) / "check.parquet")
        difference = first_difference(compared.to_json(), expected.to_json())
        print(f"    same report on the {sample:,} accounts both decided: "
              f"{'yes' if difference is None else 'NO — first difference ' + difference}")
        python_all = total * args.accounts / sample
        print(f"    speed-up on {args.accounts:,} accounts: {python_all / seconds:,.0f}x"
              f"{' (per-account time extrapolated)' if small is not source else ''}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"    peak resident memory of the run: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
