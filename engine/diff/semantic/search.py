"""The semantic diff: for which fact values and instants OLD and NEW decide differently.

Each side's decision for an action is written as formulas over shared fact variables
(:mod:`chronolex.lang.smt`), following :func:`chronolex.evaluation.assess.assess_rule` exactly: a rule
restricts when its time lets it, ``when`` is true and ``unless`` false, or, with facts
unknown, when it says ``on_unknown: block``; it is undetermined when facts are unknown
and it says nothing.

Time is cut at every instant where either side can change by time alone (a version
taking effect, a rule's ``active`` or ``window`` bound, a schedule's start). Between
two cuts the versions and one-off windows are fixed; recurring schedules become one
truth value each, tied to the instants where their occurrences realise it. Segments
that look alike are solved once.

Every difference the solver finds is turned into a witness (fact values and an
instant) and decided again by the real evaluator before it is reported; one that does
not hold there is reported as undecided, as is a query the solver gives up on. An empty
result is therefore a proof: no fact values and no instant make the two sides differ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from chronolex.errors import ChronolexError
from chronolex.evaluation.given import given_facts
from chronolex.evaluation.assess import BLOCKED, NO_POLICY, Assessment, Evaluator
from chronolex.lang import nodes as n
from chronolex.lang.smt import (
    FALSE,
    TRUE,
    conj,
    disj,
    neg,
    Unsupported,
    Value,
    decimal_term,
    from_instant_term,
    instant_term,
)
from chronolex.model import Bundle, Version
from chronolex.diff.sides import Side
from chronolex.instants import parse_instant
from chronolex.diff.semantic.encode import SideFormulas, Variables, schedule_key
from chronolex.diff.semantic.regions import readable_region
from chronolex.diff.semantic.result import ActionDiff, CATEGORY_CHANGED, DECISION_CHANGED, Finding, NEWLY_BLOCKED, Outcome, SemanticDiff, UNBLOCKED, UNDECIDED, Witness
from chronolex.diff.semantic.segments import Class, time_classes, versions_of


_MAX_ENUMERATED = 6
_ATTEMPTS = 3
#: How many preferred values a witness tries per fact before keeping the solver's own.
_PREFERRED = 8



# -- the diff --------------------------------------------------------------------------------


def semantic_diff(old: Side, new: Side, *, actions: Sequence[str] | None = None, timeout_ms: int = 5000) -> SemanticDiff:
    """Where OLD and NEW decide differently, per action, each difference with a checked witness."""
    chosen = list(actions) if actions is not None else sorted(set(old.bundle.actions) | set(new.bundle.actions))
    variables = Variables()
    sides = _formulas(old, new, variables)
    classes = time_classes(old, new, _uses_now(old, new))
    checker = _Checker(old, new)
    constants = compared_constants((old, new))
    results = []
    for action in chosen:
        findings: dict[tuple[object, ...], Finding] = {}
        for found in classes:
            for finding in _solve_class(action, found, sides, variables, checker, timeout_ms, constants):
                _merge(findings, finding)
        total = sum(len(c.segments) for c in classes)
        merged = [_finish(f, total) for f in findings.values()]
        results.append(ActionDiff(action, tuple(sorted(merged, key=lambda f: f.sort_key))))
    notes = _notes(old, new)
    return SemanticDiff(tuple(results), notes)


def compared_constants(sides: Sequence[Side]) -> dict[str, list[Fraction]]:
    """The literal values each fact is compared with, in its solver units: where the
    edges of a region usually lie (see :func:`_edge`)."""
    found: dict[str, set[Fraction]] = {}
    for side in sides:
        zone = side.bundle.timezone
        for version in versions_of(side):
            for rule in version.rules:
                for condition in (rule.when, rule.unless):
                    stack = [condition.ast] if condition is not None else []
                    while stack:
                        node = stack.pop()
                        stack.extend(n.children(node))
                        if isinstance(node, n.Compare):
                            for name, other in ((node.left, node.right), (node.right, node.left)):
                                number = _literal_number(other, zone)
                                if isinstance(name, n.Name) and number is not None:
                                    found.setdefault(name.name, set()).add(number)
    return {k: sorted(v) for k, v in found.items()}


def _literal_number(node: n.Expr, zone: Any) -> Fraction | None:
    if isinstance(node, n.Literal) and node.kind in ("int", "decimal"):
        assert isinstance(node.value, (int, Decimal))
        return Fraction(node.value)
    if isinstance(node, n.Call) and node.func in ("date", "datetime") and isinstance(node.args[0], n.Literal):
        text = str(node.args[0].value)
        try:
            if node.func == "date":
                return Fraction(date.fromisoformat(text).toordinal())
            return Fraction(instant_term(parse_instant(text, zone)))
        except ValueError:
            return None
    return None


def _formulas(old: Side, new: Side, variables: Variables) -> tuple[SideFormulas, SideFormulas]:
    """Each side's formulas; one translator for both when they share a bundle, so a rule
    both versions hold is translated once and is the very same term on both sides."""
    if old.bundle is new.bundle:
        shared = SideFormulas(old, variables)
        return shared, shared
    return SideFormulas(old, variables), SideFormulas(new, variables)


def _uses_now(old: Side, new: Side) -> bool:
    """Whether a condition reads ``now`` itself (the instant then matters inside a stretch)."""
    return any(
        condition is not None and condition.uses_now
        for side in (old, new) for version in versions_of(side) for rule in version.rules
        for condition in (rule.when, rule.unless)
    )


def _notes(old: Side, new: Side) -> tuple[str, ...]:
    """What a reader must know to read the result: redefined derived facts."""
    notes = []
    if old.bundle is not new.bundle:
        for name in sorted(set(old.bundle.facts) & set(new.bundle.facts)):
            a, b = old.bundle.facts[name], new.bundle.facts[name]
            if a.derive != b.derive and a.expr is None and b.expr is None:
                notes.append(
                    f"fact {name} is derived differently: the semantic diff compares fact values, "
                    "so which accounts have which value is for the impact replay (--accounts) to tell"
                )
    return tuple(notes)


def _merge(findings: dict[tuple[object, ...], Finding], finding: Finding) -> None:
    """Add ``finding``, or widen the spans of the one it repeats: the same kind, rules and
    change (for a category change the leading categories, which is what the kind is
    about; for a decision change the two decisions), so that no two findings of an action
    read alike."""
    outcomes: tuple[object, ...] | None = None
    if finding.old is not None and finding.new is not None:
        if finding.kind == CATEGORY_CHANGED:
            outcomes = (finding.old.blocked_by[:1], finding.new.blocked_by[:1])
        elif finding.kind == DECISION_CHANGED:
            outcomes = (finding.old.decision, finding.new.decision)
    key = (finding.kind, finding.rules, finding.reason, outcomes)
    current = findings.get(key)
    if current is None:
        findings[key] = finding
    else:
        findings[key] = _replace_spans(current, current.spans + finding.spans)


def _replace_spans(finding: Finding, spans: tuple[tuple[datetime, datetime | None], ...]) -> Finding:
    return replace(finding, spans=spans)


def _finish(finding: Finding, total_segments: int) -> Finding:
    # findings merged from one class (an undecided newly-blocked and unblocked) repeat its spans
    spans = set(finding.spans)
    ordered = sorted(spans, key=lambda s: s[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for start, end in ordered:
        if merged and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return replace(finding, spans=tuple(merged), always=len(spans) == total_segments)


@dataclass(frozen=True, slots=True)
class _SideState:
    """One side's decision for an action in one class, as formulas."""

    blocked: Any
    undetermined: Any
    no_policy: bool
    restricts: Mapping[str, Any]
    categories: Mapping[str, Any]
    reads: Mapping[str, frozenset[tuple[str, str]]] = field(default_factory=dict)
    scheduled: frozenset[str] = frozenset()
    #: Per rule: undetermined for want of a fact (its schedule running, if it has one).
    pending: Mapping[str, Any] = field(default_factory=dict)

    @property
    def all_reads(self) -> frozenset[tuple[str, str]]:
        return frozenset().union(*self.reads.values()) if self.reads else frozenset()


def _state(side: SideFormulas, version: Version | None, timed: frozenset[str], action: str) -> _SideState:
    if version is None:
        return _SideState(FALSE, FALSE, True, {}, {})
    restricts: dict[str, Any] = {}
    reads: dict[str, frozenset[tuple[str, str]]] = {}
    undetermined: list[Any] = []
    pending_of: dict[str, Any] = {}
    categories: dict[str, list[Any]] = {}
    for rule in version.rules:
        if action not in rule.actions or rule.id not in timed:
            continue
        fires, pending = side.rule(rule)
        if rule.schedule is not None:
            running = side.variables.schedule(schedule_key(rule.schedule, side.bundle))
            fires, pending = conj(running, fires), conj(running, pending)
        restricts[rule.id] = fires
        reads[rule.id] = side.reads[rule]
        pending_of[rule.id] = pending
        undetermined.append(pending)
        categories.setdefault(rule.category, []).append(fires)
    blocked = disj(*restricts.values()) if restricts else FALSE
    maybe = disj(*undetermined) if undetermined else FALSE
    scheduled = frozenset(r.id for r in version.rules if r.schedule is not None and r.id in restricts)
    return _SideState(blocked, conj(neg(blocked), maybe), False, restricts,
                      {c: disj(*fs) for c, fs in categories.items()}, reads, scheduled, pending_of)


def _solve_class(action: str, found: Class, sides: tuple[SideFormulas, SideFormulas], variables: Variables,
                 checker: _Checker, timeout_ms: int, constants: Mapping[str, Sequence[Fraction]]) -> list[Finding]:
    first = found.segments[0]
    old = _state(sides[0], first.versions[0], first.timed[0], action)
    new = _state(sides[1], first.versions[1], first.timed[1], action)
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*variables.domain)
    solver.add(_piece_constraint(found, variables))
    spans = tuple((s.start, s.end) for s in found.segments)
    relevant = old.all_reads | new.all_reads
    search = _Search(action, solver, variables, checker, spans, relevant, [(p[0], p[1]) for p in found.pieces],
                     constants, (old, new), timeout_ms)
    findings: list[Finding] = []
    pairs = ((NEWLY_BLOCKED, new, old, 1), (UNBLOCKED, old, new, 0))
    for kind, gaining, losing, side_index in pairs:
        if not search.possible(conj(gaining.blocked, neg(losing.blocked))):
            continue
        same_on_other_side = {other.get_id() for other in losing.restricts.values()}  # terms are hash-consed
        for rule_id, fires in sorted(gaining.restricts.items()):
            if fires.get_id() in same_on_other_side:
                continue  # the same formula restricts on the other side: it cannot flip alone
            goal = conj(fires, neg(losing.blocked))
            focus = (gaining.reads[rule_id], losing.all_reads)
            # the example is one where this rule alone makes the difference (no other rule of
            # the gaining side restricts), unless it never does so alone
            alone = conj(goal, *[neg(other) for other_id, other in gaining.restricts.items() if other_id != rule_id])
            found_here = search.find(kind, alone, (rule_id,), side_index, focus, alone=True)
            if not found_here:
                found_here = search.find(kind, goal, (rule_id,), side_index, focus)
            findings.extend(replace(f, scheduled=rule_id in gaining.scheduled) for f in found_here)
    names = sorted(set(old.categories) | set(new.categories))
    old_primary = _primary(old, sides[0].bundle, names)
    new_primary = _primary(new, sides[1].bundle, names)
    findings.extend(search.enumerate(CATEGORY_CHANGED, conj(old.blocked, new.blocked, old_primary != new_primary),
                                     [old_primary, new_primary]))
    old_state, new_state = _decision_term(old), _decision_term(new)
    findings.extend(search.enumerate(
        DECISION_CHANGED, conj(neg(old.blocked), neg(new.blocked), old_state != new_state),
        [old_state, new_state],
    ))
    return findings


def _primary(state: _SideState, bundle: Bundle, names: list[str]) -> Any:
    """The first category the decision names (the one of highest precedence that blocks),
    as its position in ``names``; -1 when nothing blocks."""
    def rank(category: str) -> tuple[int, str]:
        found = bundle.categories.get(category)
        return (found.precedence if found else 1_000_000, category)

    term: Any = z3.IntVal(-1)
    for category in sorted(state.categories, key=rank, reverse=True):
        term = z3.If(state.categories[category], z3.IntVal(names.index(category)), term)
    return term


def _decision_term(state: _SideState) -> Any:
    if state.no_policy:
        return z3.IntVal(3)
    return z3.If(state.undetermined, z3.IntVal(2), z3.IntVal(1))


def _piece_constraint(found: Class, variables: Variables) -> Any:
    options = []
    for begin, end, state in found.pieces:
        parts = [variables.now >= instant_term(begin), variables.now < instant_term(end)]
        for key, running in state:
            var = variables.schedule(key)
            parts.append(var if running else neg(var))
        options.append(conj(*parts))
    return disj(*options) if options else FALSE


class _Checker:
    """Decides a witness with the real evaluator, on both sides."""

    def __init__(self, old: Side, new: Side) -> None:
        self.sides = (old, new)
        self.evaluators = (Evaluator(old.bundle), Evaluator(new.bundle))

    def recategorised(self, at: datetime, old: Outcome, new: Outcome) -> set[str]:
        """The rules restricting on both sides whose category differs between them."""
        versions = [side.version_at(at) for side in self.sides]
        found = set()
        for rule_id in set(old.restricting) & set(new.restricting):
            rules = [v.rule(rule_id) if v is not None else None for v in versions]
            if rules[0] is not None and rules[1] is not None and rules[0].category != rules[1].category:
                found.add(rule_id)
        return found

    def outcome(self, index: int, action: str, witness: Witness) -> Outcome:
        side, evaluator = self.sides[index], self.evaluators[index]
        version = side.version_at(witness.at)
        if version is None:
            return Outcome(NO_POLICY, None)
        raw = {k: v for k, v in witness.facts.items() if k in side.bundle.facts}
        try:
            facts = given_facts(side.bundle, raw, witness.at)
        except ChronolexError as exc:
            return Outcome(f"invalid witness: {exc.diagnostics[0].message}", version.id)
        assessment: Assessment = evaluator.assess(version, facts, action, witness.at)
        return Outcome(
            assessment.decision, version.id, assessment.blocked_by(side.bundle),
            tuple(o.rule.id for o in assessment.restricting), tuple(o.rule.id for o in assessment.undetermined),
        )


class _Search:
    """Queries on one class's solver; every model becomes a witness checked by the evaluator."""

    def __init__(self, action: str, solver: z3.Solver, variables: Variables, checker: _Checker,
                 spans: tuple[tuple[datetime, datetime | None], ...], relevant: frozenset[tuple[str, str]],
                 pieces: list[tuple[datetime, datetime]], constants: Mapping[str, Sequence[Fraction]],
                 states: tuple[_SideState, _SideState], timeout_ms: int) -> None:
        self.action = action
        self.states = states
        self.timeout_ms = timeout_ms
        self.constants = constants
        self._preferences: dict[tuple[str, str], list[Any]] = {}
        self.pieces = pieces
        self.relevant = relevant
        self.solver = solver
        self.variables = variables
        self.checker = checker
        self.spans = spans

    def possible(self, goal: Any) -> bool:
        """False only when the solver proves ``goal`` impossible (unknown counts as possible)."""
        self.solver.push()
        self.solver.add(goal)
        verdict = self.solver.check()
        self.solver.pop()
        return bool(verdict != z3.unsat)

    def find(self, kind: str, goal: Any, rules: tuple[str, ...], side_index: int,
             focus: tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]], *,
             alone: bool = False) -> list[Finding]:
        """One checked witness for ``goal``, or an undecided finding, or nothing (proved
        impossible). With ``alone``, a witness the evaluator does not confirm with ``rules``
        as the only difference is nothing either (the caller then asks without it)."""
        self.solver.push()
        self.solver.add(goal)
        try:
            for _ in range(_ATTEMPTS):
                verdict = self.solver.check()
                if verdict == z3.unsat:
                    return []
                if verdict != z3.sat:
                    if alone:
                        return []
                    return [self._undecided(rules, f"the solver gave up ({self.solver.reason_unknown()})")]
                model = self._canonical_model()
                checked = self._checked(model, kind, rules, side_index, alone)
                if checked is not None:
                    witness, old, new = checked
                    witness = replace(witness, matters=self._matters(model, witness, rules))
                    own, others = focus
                    region = readable_region(self.solver, self.variables, sorted(own), witness, 4, self.constants)
                    context = readable_region(self.solver, self.variables, sorted(others - own), witness, 3,
                                              self.constants)
                    return [Finding(self.action, kind, rules, witness, old, new, region, context, self.spans)]
                self.solver.add(self._not_this(model))
            if alone:
                return []
            return [self._undecided(rules, "the solver's witness does not hold in the evaluator; "
                                           + self._opaque_hint())]
        finally:
            self.solver.pop()

    def enumerate(self, kind: str, goal: Any, distinct: list[Any]) -> list[Finding]:
        """Witnesses for ``goal`` differing in the values of ``distinct`` (a few at most)."""
        found: list[Finding] = []
        self.solver.push()
        self.solver.add(goal)
        try:
            for _ in range(_MAX_ENUMERATED):
                verdict = self.solver.check()
                if verdict == z3.unsat:
                    break
                if verdict != z3.sat:
                    found.append(self._undecided((), f"the solver gave up ({self.solver.reason_unknown()})"))
                    break
                model = self._canonical_model()
                checked = self._checked(model, kind, (), 0)
                if checked is not None:
                    witness, old, new = checked
                    rules = tuple(sorted(set(old.restricting) ^ set(new.restricting))) or tuple(
                        sorted(set(old.undetermined) ^ set(new.undetermined)))
                    if kind == CATEGORY_CHANGED:  # and a rule that blocks on both sides, in another category
                        rules = tuple(sorted(set(old.restricting) ^ set(new.restricting)
                                             | self.checker.recategorised(witness.at, old, new)))
                    witness = replace(witness, matters=self._matters(model, witness, rules))
                    # a recurring window among the rules: the difference shows while it runs
                    scheduled = any(r in state.scheduled for state in self.states for r in rules)
                    found.append(Finding(self.action, kind, rules, witness, old, new, spans=self.spans,
                                         scheduled=scheduled))
                    values = [model.evaluate(term, model_completion=True) for term in distinct]
                    self.solver.add(disj(*[t != v for t, v in zip(distinct, values)]) if distinct else FALSE)
                else:
                    self.solver.add(self._not_this(model))
                    if not found:
                        found.append(self._undecided((), "the solver's witness does not hold in the evaluator; "
                                                     + self._opaque_hint()))
                        break
        finally:
            self.solver.pop()
        return found

    def _canonical_model(self) -> z3.ModelRef:
        """A model with every fact fixed, one at a time in name order, to the first value
        of a fixed preference list that still satisfies the query: the witness then
        depends on the question, not on the solver's internal state (same input, same
        bytes)."""
        self.solver.push()
        try:
            for begin, _ in self.pieces:
                if self._try(self.variables.now == instant_term(begin)):
                    break
            for key in sorted(self.relevant):
                value = self.variables.facts[key]
                if not z3.is_true(value.known) and not self._try(value.known):
                    self._try(neg(value.known))
                    continue
                for candidate in self._preferred(key[0], value):
                    if self._try(value.term == candidate):
                        break
            verdict = self.solver.check()
            assert verdict == z3.sat
            return self.solver.model()
        finally:
            self.solver.pop()

    def _try(self, constraint: Any) -> bool:
        self.solver.push()
        self.solver.add(constraint)
        if self.solver.check() == z3.sat:
            self.solver.pop()
            self.solver.add(constraint)
            return True
        self.solver.pop()
        return False

    def _preferred(self, name: str, value: Value) -> list[Any]:
        key = (name, value.sort)
        if key not in self._preferences:
            self._preferences[key] = self._preference_list(name, value)
        return self._preferences[key]

    def _preference_list(self, name: str, value: Value) -> list[Any]:
        if value.sort == "bool":
            return [FALSE, TRUE]
        if value.sort == "string":
            fact_values: list[str] = []
            for side in self.checker.sides:
                fact = side.bundle.facts.get(name)
                if fact is not None and fact.type.name == "enum":
                    fact_values = list(fact.type.values)
            return [z3.StringVal(v) for v in fact_values or [""]]
        if value.sort in ("int", "real"):
            points = sorted({c + d for c in self.constants.get(name, ()) for d in (-1, 0, 1)} | {Fraction(0)},
                            key=lambda p: (abs(p), p))[:_PREFERRED]
            if value.sort == "int":
                return [z3.IntVal(int(p)) for p in points if p.denominator == 1]
            return [decimal_term(Decimal(p.numerator) / Decimal(p.denominator)) for p in points]
        return []

    def _checked(self, model: z3.ModelRef, kind: str, rules: tuple[str, ...],
                 side_index: int, alone: bool = False) -> tuple[Witness, Outcome, Outcome] | None:
        """The model as a witness the evaluator confirms, or None. The instant is moved to
        the start of its stretch when the difference holds there too (a reader expects
        "from 01:00", not "at 04:59:59.999999")."""
        witness = self._witness(model)
        candidates = [start for start, end in self.pieces if start <= witness.at < end][:1] + [witness.at]
        for at in candidates:
            trial = Witness(at, witness.facts)
            old, new = (self.checker.outcome(i, self.action, trial) for i in (0, 1))
            if _holds(kind, old, new, rules, side_index) and (not alone or _alone(old, new, rules, side_index)):
                return trial, old, new
        return None

    def _matters(self, model: z3.ModelRef, witness: Witness, rules: tuple[str, ...]) -> tuple[str, ...]:
        """The facts of ``witness`` that matter to how ``rules`` stand on each side there.

        Sound, by the solver: with the instant, the schedules and the facts kept fixed,
        no values of the facts left out (known or not) change whether any of ``rules``
        restricts or is undetermined, on either side. Facts are dropped one at a time in
        name order; one whose omission the solver cannot settle is kept. With an opaque
        atom in play every fact is kept (an atom hides which facts it reads)."""
        names = sorted(witness.facts)
        if self.variables.atoms:
            return tuple(names)
        now = z3.IntVal(instant_term(witness.at))
        invariant = []
        for state in self.states:
            for rule_id in rules:
                for formulas in (state.restricts, state.pending):
                    term = formulas.get(rule_id)
                    if term is not None:
                        term = z3.substitute(term, (self.variables.now, now))
                        invariant.append(term == model.evaluate(term, model_completion=True))
        if not invariant:
            return ()
        solver = z3.Solver()
        solver.set("timeout", self.timeout_ms)
        solver.add(*self.variables.domain)
        solver.add(self.variables.now == now)
        for running in self.variables.schedules.values():
            solver.add(running == model.evaluate(running, model_completion=True))
        solver.add(neg(conj(*invariant)))
        keys = sorted(k for k in self.variables.facts if k in self.relevant)
        kept = set(keys)
        for key in keys:
            trial = kept - {key}
            solver.push()
            for other in trial:
                value = self.variables.facts[other]
                solver.add(value.known == model.evaluate(value.known, model_completion=True),
                           value.term == model.evaluate(value.term, model_completion=True))
            if solver.check() == z3.unsat:
                kept = trial
            solver.pop()
        return tuple(sorted({self.variables.owners[k] for k in kept} & set(names)))

    def _undecided(self, rules: tuple[str, ...], reason: str) -> Finding:
        return Finding(self.action, UNDECIDED, rules, spans=self.spans, reason=reason)

    def _opaque_hint(self) -> str:
        texts = sorted(set(self.variables.atom_texts.values()))
        if texts:
            return "conditions the solver cannot model exactly: " + "; ".join(texts[:5])
        return "check this change by hand"

    def _witness(self, model: z3.ModelRef) -> Witness:
        at = from_instant_term(model.evaluate(self.variables.now, model_completion=True).as_long())
        facts: dict[str, object] = {}
        for key, value in sorted(self.variables.facts.items(), key=lambda kv: kv[0]):
            if key not in self.relevant:
                continue  # a fact no rule of this action reads: the evaluator derives its default
            name = self.variables.owners[key]
            known = model.evaluate(value.known, model_completion=True)
            if z3.is_false(known):
                facts[name] = None
                continue
            facts[name] = _python_value(model.evaluate(value.term, model_completion=True), value.sort)
        return Witness(at, facts)

    def _not_this(self, model: z3.ModelRef) -> Any:
        parts = [self.variables.now != model.evaluate(self.variables.now, model_completion=True)]
        for value in self.variables.facts.values():
            parts.append(value.term != model.evaluate(value.term, model_completion=True))
            parts.append(value.known != model.evaluate(value.known, model_completion=True))
        return disj(*parts)


def _alone(old: Outcome, new: Outcome, rules: tuple[str, ...], side_index: int) -> bool:
    """Whether ``rules`` are all that restricts on the gaining side (NEW for a newly
    blocked finding, OLD for an unblocked one)."""
    gaining = new if side_index == 1 else old
    return set(gaining.restricting) <= set(rules)


def _holds(kind: str, old: Outcome, new: Outcome, rules: tuple[str, ...], side_index: int) -> bool:
    """Whether the evaluator's outcomes show the difference the solver claimed."""
    if kind == NEWLY_BLOCKED:
        return new.decision == BLOCKED and old.decision != BLOCKED and all(r in new.restricting for r in rules)
    if kind == UNBLOCKED:
        return old.decision == BLOCKED and new.decision != BLOCKED and all(r in old.restricting for r in rules)
    if kind == CATEGORY_CHANGED:
        return old.decision == new.decision == BLOCKED and old.blocked_by[:1] != new.blocked_by[:1]
    if kind == DECISION_CHANGED:
        return BLOCKED not in (old.decision, new.decision) and old.decision != new.decision
    return False


def _python_value(term: Any, sort: str) -> object:
    if sort == "bool":
        return z3.is_true(term)
    if sort == "string":
        return str(term.as_string())
    if sort == "int":
        return int(term.as_long())
    if sort == "day":
        return date.fromordinal(int(term.as_long()))
    if sort == "instant":
        return from_instant_term(int(term.as_long()))
    if sort == "real":
        fraction = Fraction(int(term.numerator_as_long()), int(term.denominator_as_long()))
        return Decimal(fraction.numerator) / Decimal(fraction.denominator)
    raise Unsupported(sort)


def same_meaning(old: Side, new: Side, *, timeout_ms: int = 2000,
                 shared: tuple[Variables, SideFormulas] | None = None) -> bool | None:
    """True when no fact values and no instant make OLD and NEW decide differently (the
    decision, or the category that leads it); False when some do; None when the solver
    cannot tell. One query per action and stretch of time, no witnesses: cheap enough
    for ``validate``, which passes ``shared`` formulas when both sides are versions of
    one bundle, so each rule is translated once."""
    if shared is not None:
        variables, formulas = shared
        sides = (formulas, formulas)
    else:
        variables = Variables()
        sides = _formulas(old, new, variables)
    verdict: bool | None = True
    for found in time_classes(old, new, _uses_now(old, new)):
        first = found.segments[0]
        for action in sorted(set(old.bundle.actions) | set(new.bundle.actions)):
            a = _state(sides[0], first.versions[0], first.timed[0], action)
            b = _state(sides[1], first.versions[1], first.timed[1], action)
            names = sorted(set(a.categories) | set(b.categories))
            differs = disj(
                a.blocked != b.blocked,
                _primary(a, old.bundle, names) != _primary(b, new.bundle, names),
                _decision_term(a) != _decision_term(b),
            )
            solver = z3.Solver()
            solver.set("timeout", timeout_ms)
            solver.add(*variables.domain)
            solver.add(_piece_constraint(found, variables), differs)
            result = solver.check()
            if result == z3.sat:
                return False
            if result != z3.unsat:
                verdict = None
    return verdict
