"""Benchmark: point decisions, ``why`` on long histories, and ``replay`` of many accounts.

Prints figures; asserts nothing about wall-clock time. Three sections:

(a) Point decisions with given facts, 20 and 100 generated rules, every rule evaluated
    and the ids of all that fire collected: decisions per second of chronolex's
    evaluation core (``Evaluator.assess``; ``Evaluator.point(..., given=)`` for
    reference) next to the same rules in ``common-expression-language`` (CEL),
    ``zen-engine`` (a decision table, hit policy "collect") and one plain Python
    function per rule. Every condition is generated once as a small tree and written
    in each syntax by ``_generate.render``; on a sample of fact sets every contestant
    must return the same set of fired rule ids as chronolex, or the run stops. Inputs
    are prepared once per fact set outside the timed loop for every contestant
    (``given_facts``, a ``cel.Context``, a JSON text for zen). Goal: within 1.5x of the
    hand-written functions (an earlier goal of 5x the fastest peer was withdrawn: at 20
    rules chronolex is level with hand-written Python, the honest limit of one process).
(b) ``chronolex.decide`` (with its look-ahead) on one account of 1,000, 10,000 and
    100,000 events under ``policies/huabei``: median latency over a few actions and
    instants. Goal: sub-linear growth (100k/1k under 100x).
(d) Schedules (issue: walks that took minutes). First, looking up the occurrence that
    holds an instant, for a weekly two-hour window, a weekly window whose occurrences last
    a year (each overlaps the next 52) and a quarter-hourly one-minute window, at random
    instants of the next century: chronolex's expansion near the instant, next to
    dateutil searching from DTSTART as chronolex did before (the same answers are
    checked). The commands' "before" figures were measured on the previous release. Then whole commands on the shipped bundle with that schedule: ``why`` with
    year-long weekly occurrences, a six-month ``timeline`` of the quarter-hourly window,
    a 400-year ``timeline``, ``why`` in the year 9000, and reading a recurrence that never
    comes (``validate``'s check).
(c) A replay of 100,000 accounts (a few events each) at one instant, one
    ``chronolex.decide`` per account and action and one JSON line written per decision,
    as ``chronolex replay`` does; the ``MemorySource`` build is timed separately.

    pip install -e '.[bench]'      # the peers of (a); a peer that is missing is skipped
    python benchmarks/evaluate.py [--quick] [--section a|b|c|d] [--accounts N] [--action A|all]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _generate as gen  # noqa: E402

import chronolex  # noqa: E402
from chronolex.events.event import AccountHistory  # noqa: E402

HUABEI = ROOT / "policies" / "huabei"


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def version_of(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


# -- (a) point decisions ------------------------------------------------------------------


class Contestant:
    """One way to answer "which rules fire" for a prepared input: ``run(inputs)`` gives fired ids."""

    def __init__(self, label: str, short: str, prepare: Callable[[dict[str, object]], Any],
                 fire: Callable[[Any], list[str]]) -> None:
        self.label = label
        self.short = short
        self.prepare = prepare
        self.fire = fire
        self.inputs: list[Any] = []
        self.prepare_seconds = 0.0
        self.times: list[float] = []

    def load(self, fact_sets: Sequence[dict[str, object]]) -> None:
        started = time.perf_counter()
        self.inputs = [self.prepare(f) for f in fact_sets]
        self.prepare_seconds = time.perf_counter() - started

    def run_once(self) -> float:
        fire = self.fire
        started = time.perf_counter()
        out = [fire(x) for x in self.inputs]
        elapsed = time.perf_counter() - started
        assert len(out) == len(self.inputs)
        return elapsed


def chronolex_contestants(made: list[gen.Rule], tmp: Path) -> tuple[list[Contestant], chronolex.Bundle]:
    bundle = chronolex.load_bundle(gen.write_bundle(tmp / f"bench-{len(made)}", made))
    evaluator = chronolex.Evaluator(bundle)
    at = chronolex.parse_instant("2026-03-10T12:00", bundle.timezone)
    version = evaluator.version_at(at, None)
    assert version is not None and len(version.rules) == len(made)
    empty = AccountHistory("", ())

    def prepare(facts: dict[str, object]) -> Any:
        return chronolex.given_facts(bundle, facts, at)

    def assess(given: Any) -> list[str]:
        assessment = evaluator.assess(version, given, "open", at)
        if assessment.undetermined:
            raise SystemExit(f"chronolex left rules undetermined with every fact known: {assessment.undetermined}")
        return [o.rule.id for o in assessment.restricting]

    def point(given: Any) -> list[str]:
        return [o.rule.id for o in evaluator.point(empty, "open", at, given=given).assessment.restricting]

    return [Contestant("chronolex Evaluator.assess", "chronolex", prepare, assess),
            Contestant("chronolex Evaluator.point(given=)", "point", prepare, point)], bundle


def peer_inputs(facts: dict[str, object]) -> dict[str, object]:
    """The fact set with decimals as floats (neither CEL nor ZEN has a decimal type)."""
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in facts.items()}


def cel_contestant(made: list[gen.Rule]) -> Contestant | str:
    try:
        import cel
    except ImportError:
        return "common-expression-language: not installed here (pip install -e '.[bench]'); skipped"
    programs = [(rule[0], cel.compile(gen.restricts(rule, "cel"))) for rule in made]

    def fire(context: Any) -> list[str]:
        return [rule_id for rule_id, program in programs if program.execute(context) is True]

    return Contestant(f"common-expression-language {version_of('common-expression-language')}", "cel",
                      lambda facts: cel.Context(variables=peer_inputs(facts)), fire)


def zen_contestant(made: list[gen.Rule]) -> Contestant | str:
    try:
        import zen
    except ImportError:
        return "zen-engine: not installed here (pip install -e '.[bench]'); skipped"
    table = {
        "hitPolicy": "collect",
        "passThrough": False,
        # One input column without a field: each cell is a whole expression over the input.
        "inputs": [{"id": "condition", "name": "Condition", "field": ""}],
        "outputs": [{"id": "rule", "name": "Rule", "field": "rule"}],
        "rules": [{"_id": rule[0], "condition": gen.restricts(rule, "zen"), "rule": json.dumps(rule[0])}
                  for rule in made],
    }
    graph = {
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}, "content": {}},
            {"id": "rules", "type": "decisionTableNode", "name": "Rules", "position": {"x": 200, "y": 0},
             "content": table},
            {"id": "response", "type": "outputNode", "name": "Response", "position": {"x": 400, "y": 0},
             "content": {}},
        ],
        "edges": [{"id": "in", "sourceId": "request", "targetId": "rules", "type": "edge"},
                  {"id": "out", "sourceId": "rules", "targetId": "response", "type": "edge"}],
    }
    decision = zen.ZenEngine().create_decision(json.dumps(graph))

    def fire(context: str) -> list[str]:
        return [row["rule"] for row in decision.evaluate(context)["result"]]

    return Contestant(f"zen-engine {version_of('zen-engine')} (decision table, collect)", "zen",
                      lambda facts: json.dumps(peer_inputs(facts)), fire)


def python_contestant(made: list[gen.Rule]) -> Contestant:
    source = "\n".join(f"def rule_{i}(f):\n    return {gen.restricts(rule, 'python')}\n" for i, rule in enumerate(made))
    namespace: dict[str, Any] = {}
    exec(compile(source, "<hand-written rules>", "exec"), namespace)  # noqa: S102 - our own generated source
    functions = [(rule[0], namespace[f"rule_{i}"]) for i, rule in enumerate(made)]

    def fire(facts: dict[str, object]) -> list[str]:
        return [rule_id for rule_id, function in functions if function(facts)]

    return Contestant("hand-written Python functions", "python", lambda facts: facts, fire)


def section_a(quick: bool) -> None:
    count = 300 if quick else 2000
    repeat = 3 if quick else 5
    sample = count if quick else 500
    fact_sets = gen.fact_sets(count)
    print(f"(a) point decisions with given facts: {count:,} random fact sets, every rule evaluated and "
          f"every fired rule id collected; median of {repeat} interleaved runs")
    for sizes in (20, 100):
        made = gen.rules(sizes)
        with tempfile.TemporaryDirectory() as tmp:
            ours, _bundle = chronolex_contestants(made, Path(tmp))
        contestants: list[Contestant] = list(ours)
        skipped: list[str] = []
        for peer in (cel_contestant(made), zen_contestant(made)):
            if isinstance(peer, str):
                skipped.append(peer)
            else:
                contestants.append(peer)
        contestants.append(python_contestant(made))
        for contestant in contestants:
            contestant.load(fact_sets)
        reference = contestants[0]
        expected = [sorted(reference.fire(x)) for x in reference.inputs[:sample]]
        agreement = []
        for contestant in contestants[1:]:
            got = [sorted(contestant.fire(x)) for x in contestant.inputs[:sample]]
            same = sum(a == b for a, b in zip(expected, got))
            if same != sample:
                index = next(i for i, (a, b) in enumerate(zip(expected, got)) if a != b)
                raise SystemExit(
                    f"ABORT: {contestant.label} disagrees with chronolex on {sample - same} of {sample} fact sets;"
                    f" first: fact set {index} {fact_sets[index]}: chronolex {expected[index]}, "
                    f"{contestant.label} {got[index]}")
            agreement.append(f"{contestant.short} {same}/{sample}")
        for _ in range(repeat):  # interleaved, so a busy moment of the machine hits everyone alike
            for contestant in contestants:
                contestant.times.append(contestant.run_once())
        fired = sum(len(e) for e in expected) / max(len(expected), 1)
        print(f"  {sizes} rules (on average {fired:.1f} fire per decision)")
        print(f"    agreement with chronolex: {', '.join(agreement)}")
        for line in skipped:
            print(f"    {line}")
        print(f"    {'contestant':<52} {'decisions/s':>12} {'us/decision':>12} {'input prep us':>14}")
        rates: dict[str, float] = {}
        for contestant in contestants:
            median = statistics.median(contestant.times)
            rates[contestant.label] = count / median
            print(f"    {contestant.label:<52} {count / median:>12,.0f} {1e6 * median / count:>12.1f} "
                  f"{1e6 * contestant.prepare_seconds / count:>14.1f}")
        core = rates[reference.label]
        peers = {c.short: rates[c.label] for c in contestants if c.short in ("cel", "zen")}
        if peers:
            best = max(peers, key=lambda k: peers[k])
            print(f"    chronolex assess / fastest peer ({best}): {core / peers[best]:.2f}x")
        hand = rates[contestants[-1].label] / core
        print(f"    goal: chronolex assess within 1.5x of hand-written: hand-written is {hand:.2f}x faster -> "
              f"{met(hand <= 1.5)}")


# -- (b) why on long histories ----------------------------------------------------------


def section_b(quick: bool) -> None:
    bundle = chronolex.load_bundle(HUABEI)
    evaluator = chronolex.Evaluator(bundle)
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    budget = 0.5 if quick else 3.0  # seconds per query before repeats stop (at most 5 runs)
    instants = ("2025-07-10T12:00", "2026-03-08T02:30", "2026-11-11T09:00")
    queries = [(action, text, chronolex.parse_instant(text, bundle.timezone))
               for text in instants for action in bundle.actions]
    print(f"(b) why on one account: chronolex.decide with look-ahead, policies/huabei, {len(queries)} queries "
          f"({', '.join(bundle.actions)} at {', '.join(instants)}), events spread over 2024-2026")
    print(f"    {'events':>8} {'history build':>14} {'median latency':>15} {'fastest query':>14} "
          f"{'slowest query':>14}")
    medians: dict[int, float] = {}
    for size in sizes:
        events = list(gen.events("acct-bench", size, random.Random(size)))
        started = time.perf_counter()
        history = AccountHistory("acct-bench", events)
        built = time.perf_counter() - started
        per_query = []
        for action, _text, at in queries:
            runs: list[float] = []
            while len(runs) < 5 and sum(runs) < budget:
                started = time.perf_counter()
                chronolex.decide(bundle, history, action, at, evaluator=evaluator)
                runs.append(time.perf_counter() - started)
            per_query.append(statistics.median(runs))
        medians[size] = statistics.median(per_query)
        print(f"    {size:>8,} {built:>12.3f} s {1e3 * medians[size]:>12.1f} ms {1e3 * min(per_query):>11.1f} ms "
              f"{1e3 * max(per_query):>11.1f} ms", flush=True)
    low, high = sizes[0], sizes[-1]
    ratio = medians[high] / medians[low]
    linear = high / low
    print(f"    growth {high // 1000}k/{low // 1000}k: {ratio:.1f}x  (goal: sub-linear, under {linear:.0f}x) -> "
          f"{met(ratio < linear)}")


# -- (c) replay ---------------------------------------------------------------------------


def section_c(quick: bool, accounts: int | None, action: str) -> None:
    bundle = chronolex.load_bundle(HUABEI)
    evaluator = chronolex.Evaluator(bundle)
    count = accounts if accounts is not None else (2_000 if quick else 100_000)
    actions = bundle.actions if action == "all" else (action,)
    if any(a not in bundle.actions for a in actions):
        raise SystemExit(f"unknown action {action!r} (actions: {', '.join(bundle.actions)}, all)")
    at_text = "2026-03-10T12:00"
    at = chronolex.parse_instant(at_text, bundle.timezone)
    rng = random.Random(3)
    events = [e for i in range(count) for e in gen.events(f"acct-{i:06d}", rng.randint(3, 8), rng)]
    started = time.perf_counter()
    source = chronolex.MemorySource(events)
    build = time.perf_counter() - started
    print(f"(c) replay of {count:,} accounts ({len(events):,} events, 3-8 each) at {at_text}, "
          f"action {'/'.join(actions)}: chronolex.decide + one JSON line per decision, as 'chronolex replay'")
    deciding = writing = 0.0
    outcomes: dict[str, int] = {}
    step = max(count // 10, 1)
    started = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for done, account in enumerate(source.accounts(), 1):
            history = source.history(account)
            for name in actions:
                t0 = time.perf_counter()
                decision = chronolex.decide(bundle, history, name, at, evaluator=evaluator)
                t1 = time.perf_counter()
                sink.write(json.dumps(decision.to_json(), ensure_ascii=False, sort_keys=False) + "\n")
                writing += time.perf_counter() - t1
                deciding += t1 - t0
                outcomes[decision.decision] = outcomes.get(decision.decision, 0) + 1
            if done % step == 0 and done < count:
                elapsed = time.perf_counter() - started
                print(f"      ... {done:,}/{count:,} accounts, {done / elapsed:,.0f}/s, "
                      f"about {(count - done) * elapsed / done:,.0f} s to go", file=sys.stderr, flush=True)
    total = time.perf_counter() - started
    print(f"    {'MemorySource build':<40} {build:>9.2f} s  ({len(events) / build:,.0f} events/s)")
    print(f"    {'decide + JSON line per account':<40} {total:>9.2f} s  {count / total:>9,.0f} accounts/s")
    print(f"    {'  of which chronolex.decide':<40} {deciding:>9.2f} s  {count / deciding:>9,.0f} accounts/s")
    print(f"    {'  of which to_json + json.dumps':<40} {writing:>9.2f} s")
    print(f"    {'with the MemorySource build':<40} {build + total:>9.2f} s  {count / (build + total):>9,.0f} accounts/s")
    print(f"    outcomes: {', '.join(f'{k} {v:,}' for k, v in sorted(outcomes.items()))}")
    print(f"    goal: none set by the issue; {count:,} accounts took {(build + total) / 60:.1f} min on this machine")


def _from_dtstart(schedule: Any, at: Any, zone: Any) -> Any:
    """The occurrence holding ``at`` as chronolex found it before: dateutil's ``before``,
    which expands from DTSTART, over every occurrence that could still last until ``at``."""
    from datetime import timedelta

    from dateutil.rrule import rrulestr

    from chronolex.instants import localize
    recurrence = rrulestr(schedule.rrule, dtstart=schedule.start.astimezone(zone).replace(tzinfo=None), cache=True)
    local_at = at.astimezone(zone).replace(tzinfo=None)
    d = schedule.duration
    earliest = local_at - d.elapsed - timedelta(days=d.years * 366 + d.months * 31 + d.weeks * 7 + d.days, hours=3)
    local_start = recurrence.before(local_at + timedelta(hours=3), inc=True)
    found = None
    while local_start is not None and local_start >= earliest:
        start = localize(local_start, zone)
        end = d.shift(start, zone, 1)
        if start <= at < end and (found is None or start > found[0]):
            found = (start, end)
        local_start = recurrence.before(local_start)
    return found


def _changed_bundle(folder: Path, old: str, new: str) -> Path:
    import shutil
    target = folder / f"huabei-{len(list(folder.iterdir()))}"
    shutil.copytree(HUABEI, target)
    path = target / "versions" / "2026.03.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def section_d(quick: bool) -> None:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from chronolex.instants import Duration
    from chronolex.model import Schedule
    from chronolex.time.activity import occurrence_at

    print("\n(d) schedules: occurrence lookups, then whole commands")
    zone = ZoneInfo("Asia/Shanghai")
    start = chronolex.parse_instant("2026-03-01", zone)
    weekly = "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0"
    quarter = "FREQ=HOURLY;BYMINUTE=0,15,30,45;BYSECOND=0"
    rng = random.Random(13)
    lookups = 3 if quick else 8  # dateutil from DTSTART takes seconds a lookup for the quarter-hourly one
    instants = [start + timedelta(seconds=rng.randrange(20 * 365 * 86400)) for _ in range(lookups)]
    print(f"    {'occurrence lookup, ' + str(lookups) + ' instants in 2026-2046':<44} {'chronolex':>12} "
          f"{'from DTSTART':>14} {'speed-up':>9}")
    for label, rule, duration in (("weekly PT2H", weekly, "PT2H"), ("weekly P1Y (overlapping)", weekly, "P1Y"),
                                  ("quarter-hourly PT1M", quarter, "PT1M")):
        schedule = Schedule(rule, Duration.parse(duration), start)
        began = time.perf_counter()
        ours = [occurrence_at(schedule, at, zone) for at in instants]
        new = (time.perf_counter() - began) / lookups
        began = time.perf_counter()
        theirs = [_from_dtstart(schedule, at, zone) for at in instants]
        old = (time.perf_counter() - began) / lookups
        if ours != theirs:
            raise SystemExit(f"{label}: the two expansions disagree")
        print(f"    {label:<44} {new * 1000:>9.2f} ms {old * 1000:>11.2f} ms {old / new:>8.0f}x")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        schedule_line = f'schedule: {{rrule: "{weekly}", duration: PT2H}}'
        yearly = _changed_bundle(folder, schedule_line, schedule_line.replace("PT2H", "P1Y"))
        quarterly = _changed_bundle(folder, "  - id: MW-WEEKLY\n", (
            "  - id: MW-QUARTER\n    category: maintenance\n    title: Quarter-hourly settlement\n"
            "    actions: [borrow]\n"
            f'    schedule: {{rrule: "{quarter}", duration: PT1M}}\n'
            "    message: Settlement in progress.\n    remedy: Try again in a minute.\n  - id: MW-WEEKLY\n"))
        never = _changed_bundle(folder, weekly, "FREQ=HOURLY;BYYEARDAY=-1;BYMONTH=2")
        events = chronolex.read_events(HUABEI / "examples" / "events.jsonl", zone)
        source = chronolex.MemorySource(events)

        def timed(label: str, work: Callable[[], str], before: str) -> None:
            began = time.perf_counter()
            what = work()
            print(f"    {label:<56} {time.perf_counter() - began:>7.2f} s  {what:<22} before: {before}")

        print(f"    {'command (before: as measured on the previous release)':<56} {'time':>9}")

        def why(bundle_path: Path, account: str, action: str, at: str) -> Callable[[], str]:
            def run() -> str:
                bundle = chronolex.load_bundle(bundle_path)
                decision = chronolex.decide(bundle, source.history(account), action,
                                            chronolex.parse_instant(at, zone))
                return decision.decision
            return run

        def timeline(bundle_path: Path, action: str, begin: str, end: str) -> Callable[[], str]:
            def run() -> str:
                bundle = chronolex.load_bundle(bundle_path)
                found = chronolex.timeline(bundle, source.history("acct-1001"), action,
                                           chronolex.parse_instant(begin, zone), chronolex.parse_instant(end, zone))
                return f"{len(found):,} intervals"
            return run

        timed("why, weekly occurrences lasting P1Y", why(yearly, "acct-1002", "open", "2026-03-08T01:30"),
              "299 s")
        timed("timeline 6 months, quarter-hourly PT1M (borrow)",
              timeline(quarterly, "borrow", "2026-03-16", "2026-03-23" if quick else "2026-09-16"),
              "stopped at 20,000 steps after minutes")
        if not quick:
            timed("timeline 400 years, weekly PT2H (open)", timeline(HUABEI, "open", "2026-01-01", "2426-01-01"),
                  "96 s, stopped at 20,000 steps")
        timed("why at 9000-01-01", why(HUABEI, "acct-1002", "open", "9000-01-01"), "13 s")

        def refused() -> str:
            try:
                chronolex.load_bundle(never)
            except chronolex.ChronolexError as exc:
                return exc.diagnostics[0].code if exc.diagnostics else "refused"
            return "loaded"
        timed("validate, an RRULE that never comes", refused, "17 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run (under a minute)")
    parser.add_argument("--section", choices=["a", "b", "c", "d"], help="run one section only (default: all)")
    parser.add_argument("--accounts", type=int, help="accounts in (c) (default: 100,000; --quick: 2,000)")
    parser.add_argument("--action", default="open", help="action(s) decided per account in (c): one, or 'all'")
    args = parser.parse_args()
    if args.accounts is not None and args.accounts < 1:
        parser.error("--accounts must be at least 1")
    print(f"chronolex {chronolex.__version__} benchmark{' (--quick)' if args.quick else ''}: Python "
          f"{platform.python_version()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
          "(other processes share these cores: figures move with it)")
    started = time.perf_counter()
    if args.section in (None, "a"):
        section_a(args.quick)
    if args.section in (None, "b"):
        section_b(args.quick)
    if args.section in (None, "c"):
        section_c(args.quick, args.accounts, args.action)
    if args.section in (None, "d"):
        section_d(args.quick)
    print(f"total {time.perf_counter() - started:.0f} s, load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
