"""Decide the same random fact sets with chronolex and with ZEN, and collect every disagreement.

A case is one fact set decided under one (version, action) of the bundle, restricted
to the rules the ZEN translation covers (:mod:`tests.differential.zen_rules`). The
(version, action) pairs take turns, so every pair gets its share of the cases. Both
answers are the sorted ids of the rules that restrict and of those left undetermined;
a disagreement keeps the case whole (fact values, version, action, both answers) so the
failure message is enough to reproduce it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from chronolex import Bundle, Evaluator, given_facts
from tests.differential.fact_sets import FactSpace, draw_facts, fact_space
from tests.differential.zen_rules import (
    CLEAR,
    RESTRICTS,
    UNDETERMINED,
    translate_bundle,
    zen_context,
)

Translation = Mapping[tuple[str, str], tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class Answer:
    """Which rules restrict and which are undetermined (sorted ids), or why there is no answer."""

    restricting: tuple[str, ...] = ()
    undetermined: tuple[str, ...] = ()
    error: str | None = None

    @property
    def decision(self) -> str:
        if self.error is not None:
            return "error"
        if self.restricting:
            return "blocked"
        return "undetermined" if self.undetermined else "allowed"

    def describe(self) -> str:
        text = (f"{self.decision}; restricting [{', '.join(self.restricting)}]; "
                f"undetermined [{', '.join(self.undetermined)}]")
        return text if self.error is None else f"{text}; error: {self.error}"


@dataclass(frozen=True, slots=True)
class Case:
    number: int
    version: str
    action: str
    facts: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Disagreement:
    case: Case
    chronolex: Answer
    zen: Answer

    def describe(self) -> str:
        facts = ", ".join(f"{k}={'unknown' if v is None else repr(v)}" for k, v in sorted(self.case.facts.items()))
        return (f"case {self.case.number}: version {self.case.version}, action {self.case.action}\n"
                f"  facts: {facts}\n"
                f"  chronolex: {self.chronolex.describe()}\n"
                f"  zen:       {self.zen.describe()}")


@dataclass
class Comparison:
    """The outcome of a run: how many cases, every disagreement, and which outcomes each
    (version, action, rule) showed in chronolex's answers (to tell a thin run from a thorough one)."""

    cases: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)
    seen: dict[tuple[str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))

    def report(self, limit: int = 5) -> str:
        shown = "\n".join(d.describe() for d in self.disagreements[:limit])
        more = len(self.disagreements) - limit
        tail = f"\n... and {more} more" if more > 0 else ""
        return f"{len(self.disagreements)} of {self.cases} cases disagree:\n{shown}{tail}"


class ChronolexJudge:
    """chronolex's answer: ``given_facts`` and ``Evaluator.assess`` on the translated rules only."""

    def __init__(self, bundle: Bundle, translation: Translation, at: datetime) -> None:
        self.bundle = bundle
        self.at = at
        self.evaluator = Evaluator(bundle)
        self.only = {pair: frozenset(rule_id for rule_id, _ in rules) for pair, rules in translation.items()}

    def decide(self, case: Case) -> Answer:
        version = self.bundle.version(case.version)
        facts = given_facts(self.bundle, case.facts, self.at)
        assessment = self.evaluator.assess(version, facts, case.action, self.at, only=self.only[(case.version, case.action)])
        errors = sorted(f"{o.rule.id}: {o.error}" for o in assessment.undetermined if o.error is not None)
        return Answer(tuple(sorted(o.rule.id for o in assessment.restricting)),
                      tuple(sorted(o.rule.id for o in assessment.undetermined)),
                      "; ".join(errors) or None)


class ZenJudge:
    """ZEN's answer: one compiled expression per rule, evaluated on the case's JSON facts."""

    def __init__(self, translation: Translation) -> None:
        import zen

        self.compiled = {pair: tuple((rule_id, zen.compile_expression(text)) for rule_id, text in rules)
                         for pair, rules in translation.items()}

    def decide(self, case: Case) -> Answer:
        context = zen_context(case.facts)
        restricting: list[str] = []
        undetermined: list[str] = []
        for rule_id, expression in self.compiled[(case.version, case.action)]:
            try:
                outcome = expression.evaluate(context)
            except RuntimeError as exc:  # ZEN reports every evaluation fault this way
                return Answer(error=f"{rule_id}: {str(exc).splitlines()[0]}")
            if outcome == RESTRICTS:
                restricting.append(rule_id)
            elif outcome == UNDETERMINED:
                undetermined.append(rule_id)
            elif outcome != CLEAR:
                return Answer(error=f"{rule_id}: unexpected outcome {outcome!r}")
        return Answer(tuple(sorted(restricting)), tuple(sorted(undetermined)))


def cases(translation: Translation, space: FactSpace, count: int, seed: int, unknown_rate: float) -> Iterator[Case]:
    """``count`` cases from ``random.Random(seed)``; the (version, action) pairs take turns."""
    rng = random.Random(seed)
    pairs = list(translation)
    for number in range(count):
        version, action = pairs[number % len(pairs)]
        yield Case(number, version, action, draw_facts(space, rng, unknown_rate))


def compare(bundle: Bundle, at: datetime, count: int, seed: int, *, unknown_rate: float = 0.1,
            translation: Translation | None = None) -> Comparison:
    """Decide ``count`` random cases with both engines (``translation`` defaults to the
    bundle's own) and collect the disagreements."""
    translation = translation if translation is not None else translate_bundle(bundle)
    ours, theirs = ChronolexJudge(bundle, translation, at), ZenJudge(translation)
    result = Comparison()
    for case in cases(translation, fact_space(bundle), count, seed, unknown_rate):
        expected, got = ours.decide(case), theirs.decide(case)
        result.cases += 1
        if expected != got:
            result.disagreements.append(Disagreement(case, expected, got))
        for rule_id, _ in translation[(case.version, case.action)]:
            outcome = (RESTRICTS if rule_id in expected.restricting
                       else UNDETERMINED if rule_id in expected.undetermined else CLEAR)
            result.seen[(case.version, case.action, rule_id)].add(outcome)
    return result
