"""Benchmark: structural + semantic diff of two generated 500-rule versions.

Goal (issue: diff): under 5 seconds on a 2-core machine. NEW is OLD with a few
thresholds moved, one rule renamed, one rule removed, one added, one condition
rewritten equivalently and one category changed, so the solver has both proofs of
"no change" and real differences (with witnesses) to find.

    python benchmarks/diff.py [--rules 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chronolex  # noqa: E402
from _generate import INTS, Rule, _atom, write_bundle  # noqa: E402
from chronolex.diff.policy_diff import diff_sides  # noqa: E402
from chronolex.diff.sides import Side  # noqa: E402


def narrow_rules(count: int, seed: int = 11) -> list[Rule]:
    """``count`` rules, each one case: an exact value of one number and two random
    comparisons. A real policy's rules each cover a small part of the accounts; random
    rules that together block everything (150 broad ones do) leave no decision to change."""
    rng = random.Random(seed)
    made: list[Rule] = []
    for i in range(count):
        fact = rng.choice(sorted(INTS))
        case = ("cmp", fact, "==", rng.randint(*INTS[fact]))
        made.append((f"R-{i:04d}", ("and", case, ("and", _atom(rng), _atom(rng))), None))
    return made


def _second_version(old_file: Path, seed: int = 5) -> str:
    """NEW: the text of OLD with a handful of edits a reviewer would make."""
    rng = random.Random(seed)
    lines = old_file.read_text(encoding="utf-8").splitlines()
    out = []
    edited = renamed = removed = recategorised = rewritten = 0
    skip = False
    for line in lines:
        if line.startswith('version: "2024.01"'):
            out.append('version: "2024.07"')
            continue
        if line.startswith("effective_from:"):
            out.append("effective_from: 2024-07-01")
            continue
        if line.startswith("published_at:"):
            out.append("published_at: 2024-06-20T10:00:00+08:00")
            continue
        if line.startswith("  - id: "):
            skip = False
            if removed == 0 and rng.random() < 0.01:
                removed += 1
                skip = True
                continue
            if renamed == 0 and rng.random() < 0.01:
                renamed += 1
                line = line + "-RENAMED"
        if skip:
            continue
        if line.startswith("    category: platform") and recategorised == 0 and rng.random() < 0.01:
            recategorised += 1
            out.append("    category: regulation")
            out.append("    source: {authority: Authority X, document: Notice X}")
            continue
        if line.startswith("    when: '") and edited < 5 and rng.random() < 0.02:
            match = re.search(r"([<>]=?|==) (\d+)", line)
            if match:
                line = line[:match.start(2)] + str(int(match.group(2)) + 7) + line[match.end(2):]
                edited += 1
        elif line.startswith("    when: '") and rewritten == 0 and rng.random() < 0.02:
            line = "    when: 'not (not (" + line[len("    when: '"):-1] + "))'"
            rewritten += 1
        out.append(line)
    out += [
        "  - id: R-NEW",
        "    category: platform",
        "    actions: [open]",
        "    when: 'credit_score < 420 and overdue_days_max_12m > 100'",
    ]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = write_bundle(Path(tmp) / "bench", narrow_rules(args.rules))
        old_file = root / "versions" / "2024.01.yaml"
        (root / "versions" / "2024.07.yaml").write_text(_second_version(old_file), encoding="utf-8")
        started = time.perf_counter()
        bundle = chronolex.load_bundle(root)
        load = time.perf_counter() - started
        old, new = bundle.version("2024.01"), bundle.version("2024.07")
        assert old is not None and new is not None
        sides = Side("old", bundle, old), Side("new", bundle, new)
        runs, structural_runs = [], []
        result = None
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = diff_sides(*sides, semantic=False)
            structural_runs.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = diff_sides(*sides)
            runs.append(time.perf_counter() - started)
    assert result is not None and result.semantic is not None
    findings = [f for a in result.semantic.actions for f in a.findings]
    kinds: dict[str, int] = {}
    for finding in findings:
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    print(f"versions: {len(old.rules)} and {len(new.rules)} rules, actions {', '.join(bundle.actions)}; "
          f"loading both took {load:.2f} s (not counted)")
    print(f"text changes: {len(result.structural.changes)}; findings: "
          + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(f"structural diff alone      median {statistics.median(structural_runs):6.3f} s")
    print(f"structural + semantic diff median {statistics.median(runs):6.3f} s  (runs: "
          + ", ".join(f"{t:.2f}" for t in runs) + ")")
    verdict = "met" if statistics.median(runs) < 5 else "NOT met"
    print(f"goal: under 5 s -> {verdict}")


if __name__ == "__main__":
    main()
