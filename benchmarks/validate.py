"""Benchmark: validate a generated bundle of 5,000 rules over 10 versions.

Prints the wall time of ``chronolex validate`` (the engine's ``validate``) next to a
baseline that only parses the same files with plain ``yaml.safe_load`` and checks them
with plain ``jsonschema``. Goal: validate costs at most twice the baseline.

    python benchmarks/validate.py [--rules 5000] [--versions 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import chronolex  # noqa: E402

BUNDLE = """\
bundle: generated
title: Generated benchmark bundle
timezone: Asia/Shanghai
actions: [open, borrow, raise_limit]
facts:
  credit_score: {type: int, derive: {latest: credit_score_updated.score}}
  overdue_days_max_12m: {type: int, derive: {max: repayment_overdue.days, window: P12M, default: 0}}
  login_failures_24h: {type: int, derive: {count: login_failed, window: PT24H, default: 0}}
  account_status: {type: {enum: [active, frozen, closed]}, derive: {latest: status_changed.status, default: active}}
  kyc_verified: {type: bool, derive: {exists: kyc_verified}}
  birth_date: {type: date, derive: {latest: profile_updated.birth_date}}
  age: {type: int, expr: "years_between(birth_date, now)"}
  borrowed_30d: {type: decimal, derive: {sum: loan_disbursed.amount, window: P30D, default: 0}}
  occupation: {type: string, derive: {latest: profile_updated.occupation}}
  account_tier: {type: {enum: [standard, pilot]}, derive: {latest: tier_changed.tier, default: standard}}
"""

CONDITIONS = [
    "credit_score < {n}",
    "overdue_days_max_12m > {m} and credit_score < {n}",
    'account_status == "frozen" or login_failures_24h >= {k}',
    "not kyc_verified",
    "age < 18 or is_unknown(birth_date)",
    "borrowed_30d >= {n}0 and account_tier != \"pilot\"",
    'occupation in ["student", "minor"]',
]


def rule(rng: random.Random, index: int, version: int) -> str:
    category = rng.choice(["regulation", "platform", "platform", "maintenance"])
    actions = sorted(rng.sample(["open", "borrow", "raise_limit"], rng.randint(1, 3)))
    lines = [
        f"  - id: R-{version:02d}-{index:04d}",
        f"    category: {category}",
        f"    title: Generated rule {index}",
        f"    actions: [{', '.join(actions)}]",
    ]
    if category == "maintenance":
        day = 1 + index % 27
        lines.append(f"    window: {{start: '2026-{version:02d}-{day:02d}T01:00:00+08:00', "
                     f"end: '2026-{version:02d}-{day:02d}T01:30:00+08:00'}}")
    else:
        condition = rng.choice(CONDITIONS).format(n=rng.randint(300, 700), m=rng.randint(1, 90), k=rng.randint(3, 9))
        lines.append(f"    when: '{condition.replace(chr(39), chr(39) * 2)}'")
        if rng.random() < 0.2:
            lines.append('    unless: account_tier == "pilot"')
    if category == "regulation":
        lines.append(f"    source: {{authority: Authority {index % 7}, document: Notice {index}, clause: Art. {index % 30}}}")
    lines.append(f"    message: Generated message for rule {index}.")
    return "\n".join(lines)


def generate(root: Path, rules: int, versions: int, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    (root / "versions").mkdir(parents=True)
    (root / "bundle.yaml").write_text(BUNDLE, encoding="utf-8")
    per_version = rules // versions
    files = [root / "bundle.yaml"]
    for v in range(1, versions + 1):
        start = dt.date(2026, v, 1)
        body = [
            f'version: "2026.{v:02d}"',
            f"effective_from: {start.isoformat()}",
            f"published_at: {(start - dt.timedelta(days=7)).isoformat()}T10:00:00+08:00",
            f"summary: Generated version {v}",
            "rules:",
        ]
        body += [rule(rng, i, v) for i in range(per_version)]
        path = root / "versions" / f"2026.{v:02d}.yaml"
        path.write_text("\n".join(body) + "\n", encoding="utf-8")
        files.append(path)
    return files


def baseline(files: list[Path]) -> None:
    schemas = {
        name: jsonschema.Draft202012Validator(json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text()))
        for name in ("bundle", "version")
    }

    def plain(value: object) -> object:  # safe_load makes dates; the schema wants strings
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    for file in files:
        data = plain(yaml.safe_load(file.read_text(encoding="utf-8")))
        validator = schemas["bundle" if file.name == "bundle.yaml" else "version"]
        errors = list(validator.iter_errors(data))
        assert not errors, errors[0]


def timed(fn: object, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", type=int, default=5000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "generated"
        files = generate(root, args.rules, args.versions)
        size = sum(f.stat().st_size for f in files)
        result = chronolex.validate([root])
        errors = [d for d in result.diagnostics if d.severity is chronolex.Severity.ERROR]
        if errors:
            raise SystemExit(f"generated bundle does not validate: {errors[0]}")
        ours = timed(lambda: chronolex.validate([root]), args.repeat)
        base = timed(lambda: baseline(files), args.repeat)
    print(f"bundle: {args.rules} rules over {args.versions} versions, {len(files)} files, {size / 1024:.0f} KiB")
    print(f"chronolex validate           median {statistics.median(ours):7.3f} s  (runs: "
          + ", ".join(f"{t:.3f}" for t in ours) + ")")
    print(f"yaml.safe_load + jsonschema  median {statistics.median(base):7.3f} s  (runs: "
          + ", ".join(f"{t:.3f}" for t in base) + ")")
    ratio = statistics.median(ours) / statistics.median(base)
    print(f"ratio: {ratio:.2f}x  (goal: at most 2.00x) -> {'met' if ratio <= 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
