"""A rule set as region tables and a handful of whole-integer operations.

Most conditions compare one fact (or an arithmetic expression of facts) with constants.
The constants cut each such *key* into regions in which every comparison on it is
constant: ``credit_score`` compared with 550 and 600 has the regions below 550,
[550, 600) and 600 and above. So instead of running every comparison, the function
finds each key's region once — a ``bisect`` into its sorted cut points, or a dict
lookup for equality tests — and reads from a table the bits of all the comparisons
that hold there. ORing one table entry per key gives every literal of every rule at
once.

The rules are laid out in disjunctive normal form: each rule is a few *terms*, each
term a conjunction of literals, and a literal is "this key lies in one of these
regions" (a sub-condition on one key, however nested, is one literal). Every term is a
group of bits, one per literal, with a spare bit above them. Adding 1 at the bottom of
every group carries into the spare bit exactly when all the group's bits are set, so
one addition and one mask decide every term of every rule. The spare bits are read back
a chunk of terms at a time through lookups that give the caller's results for the rules
with a term set (a rule's terms never straddle two chunks, so none is reported twice).

The cost is a fixed number of operations per key and per chunk, not per comparison, so
it grows slowly with the number of rules. Rules go in banks (:data:`BANK`), each with its
own tables, so that the tables stay small. Like :mod:`engine.lang.fastpath` this is only
for the case where every fact read is known (Boolean logic): an unknown value makes a
table entry ``None`` or a ``bisect`` fail, and the function returns None so the Kleene
closures decide. A condition outside the subset (two facts compared with each other,
calls, dates, too many terms) leaves the whole rule set to the other paths.
"""

from __future__ import annotations

import ast
import bisect
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.lang import nodes as n
from engine.lang.pyfunc import make_function, read_facts
from engine.lang.values import UNKNOWN

_LOAD = ast.Load()

#: Rules whose normal form has more terms than this are left to the other paths.
MAX_TERMS = 8
#: Conditions with more comparisons than this are left to the other paths.
MAX_ATOMS = 64
#: Terms read back per lookup (at most 2**CHUNK bit patterns each, filled as they are seen).
CHUNK = 16
#: Rules per bank: each bank has its own tables, so their size stays bounded.
BANK = 512
#: A bank whose tables would hold more bits than this (regions times rule bits) is left
#: to the other paths.
MAX_TABLE_BITS = 1 << 26

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
}
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_EQUALITY = frozenset({"==", "!=", "in", "not in"})


class Unsupported(Exception):
    """A condition this compilation does not cover."""


@dataclass(frozen=True)
class _Atom:
    """``key op constant`` (for ``in``: a tuple of constants)."""

    op: str
    constant: object


@dataclass
class _Key:
    """An expression whose value selects a region, and how the regions are found."""

    expr: n.Expr
    kind: str  # "int": one bisect_right; "ordered": bisect_left + bisect_right; "equal": a dict
    atoms: list[_Atom] = field(default_factory=list)
    cuts: list[Any] = field(default_factory=list)  # sorted: int thresholds, or ordered constants
    constants: list[object] = field(default_factory=list)  # "equal": one region each, then "other"
    mode: str = "both"  # "ordered": which bisects ("left", "right" or "both")
    position: dict[object, int] = field(default_factory=dict)  # "ordered": each cut's index

    def plan(self) -> None:
        """Work out the regions once every atom on the key is known."""
        values = [c for a in self.atoms for c in (a.constant if isinstance(a.constant, tuple) else (a.constant,))]
        if self.kind == "equal":  # a bool or enum key also gets every declared value: no default needed
            for value in [*values, *self.closed_values]:
                if not any(value == c for c in self.constants):
                    self.constants.append(value)
            return
        if self.kind == "int":
            cuts: set[int] = set()
            for atom in self.atoms:
                for c in atom.constant if isinstance(atom.constant, tuple) else (atom.constant,):
                    cuts.update(_int_cuts(atom.op, c))
            self.cuts = sorted(cuts) or [0]
            return
        unique: list[Any] = []
        for value in sorted(values):
            if not unique or unique[-1] != value:
                unique.append(value)
        if self.expr.type is not None and self.expr.type.name == "decimal":
            unique = [Decimal(c) for c in unique]  # Decimal with Decimal: twice as fast
        self.cuts = unique
        self.position = {c: i for i, c in enumerate(unique)}  # equal numbers hash alike (5 and 5.0)
        ops = {a.op for a in self.atoms}
        self.mode = "right" if ops <= {">=", "<"} else "left" if ops <= {">", "<="} else "both"

    @property
    def closed_values(self) -> tuple[object, ...]:
        """Every value a bool or enum key can take (empty for other types)."""
        declared = self.expr.type
        if declared is None:
            return ()
        return (True, False) if declared.name == "bool" else declared.values if declared.name == "enum" else ()

    @property
    def regions(self) -> int:
        if self.kind == "equal":
            return len(self.constants) + 1
        if self.kind == "int":
            return len(self.cuts) + 1
        return 2 * len(self.cuts) + 1 if self.mode == "both" else len(self.cuts) + 1

    def holds(self, atom: _Atom, region: int) -> bool:
        """Whether ``atom`` is true for the values of ``region``."""
        if self.kind == "equal":
            if region < len(self.constants):
                return bool(_OPS[atom.op](self.constants[region], atom.constant))
            return atom.op in ("!=", "not in")  # a value equal to no constant
        if self.kind == "int":
            cuts = self.cuts
            sample = cuts[region - 1] if region > 0 else cuts[0] - 1
            return bool(_OPS[atom.op](sample, atom.constant))
        # "ordered": doubled region 2i+1 is the value cuts[i], 2i the values between
        doubled = region if self.mode == "both" else 2 * region
        constants = atom.constant if isinstance(atom.constant, tuple) else (atom.constant,)
        points = [2 * self.position[c] + 1 for c in constants]
        if atom.op == "in":
            return doubled in points
        if atom.op == "not in":
            return doubled not in points
        return bool(_OPS[atom.op](doubled, points[0]))


def _int_cuts(op: str, constant: object) -> tuple[int, ...]:
    """The thresholds t ("value >= t") that decide ``int_value op constant``."""
    if not isinstance(constant, (int, Decimal)) or isinstance(constant, bool):
        raise Unsupported("int compared with a non-number")
    if isinstance(constant, Decimal) and (not constant.is_finite() or constant.adjusted() > 30):
        raise Unsupported("a constant too large to cut at")
    if op in (">=", "<"):
        return (math.ceil(constant),)
    if op in (">", "<="):
        return (math.floor(constant) + 1,)
    if constant == math.floor(constant):  # ==, !=, in, not in
        return (int(constant), int(constant) + 1)
    return ()


# -- formulas ---------------------------------------------------------------------------

Literal = tuple[int, frozenset[int]]  # (key index, the regions in which it holds)
Term = tuple[Literal, ...]  # sorted by key index, one literal per key


_NOT_CONSTANT = object()


def _constant(node: n.Expr) -> object:
    """The value of a literal or a negated number literal; else ``_NOT_CONSTANT``."""
    if isinstance(node, n.Literal):
        return node.value
    if isinstance(node, n.Unary) and node.op == "-":
        inner = _constant(node.operand)
        if isinstance(inner, (int, Decimal)) and not isinstance(inner, bool):
            return -inner
    return _NOT_CONSTANT


class _Collector:
    """Finds the keys and atoms of a set of conditions."""

    def __init__(self) -> None:
        self.keys: list[_Key] = []
        self.where: dict[n.Expr, int] = {}
        self.seen: dict[int, tuple[n.Expr, int, _Atom]] = {}  # by id: the node is kept, so the id stays its own

    def key(self, expr: n.Expr, kind: str) -> int:
        """The index of the key ``expr``; a key with ordering tests too is not "equal"."""
        index = self.where.get(expr)
        if index is None:
            index = self.where[expr] = len(self.keys)
            self.keys.append(_Key(expr, kind))
        elif self.keys[index].kind == "equal":
            self.keys[index].kind = kind
        return index

    def atom(self, node: n.Expr) -> tuple[int, _Atom]:
        """The key and atom of a comparison (or a bool fact); raises Unsupported otherwise.
        Worked out once per node: the normal forms ask again at every level."""
        found = self.seen.get(id(node))
        if found is None:
            found = self.seen[id(node)] = (node, *self._atom(node))
        return found[1], found[2]

    def _atom(self, node: n.Expr) -> tuple[int, _Atom]:
        if isinstance(node, n.Name):
            if node.type is None or node.type.name != "bool":
                raise Unsupported("not a bool")
            return self.key(node, "equal"), _Atom("==", True)
        if not isinstance(node, n.Compare):
            raise Unsupported(type(node).__name__)
        op, left, right = node.op, node.left, node.right
        if op in ("in", "not in"):
            items = [_constant(i) for i in right.items] if isinstance(right, n.ListExpr) else [_NOT_CONSTANT]
            if not items or any(i is _NOT_CONSTANT or isinstance(i, bool) for i in items):
                raise Unsupported("in")
            return self._keyed(left, op, tuple(items))
        if _constant(left) is not _NOT_CONSTANT:
            left, right, op = right, left, _FLIP[op]
        value = _constant(right)
        if value is _NOT_CONSTANT or _constant(left) is not _NOT_CONSTANT:
            raise Unsupported("not a comparison with a constant")
        return self._keyed(left, op, value)

    def _keyed(self, expr: n.Expr, op: str, constant: object) -> tuple[int, _Atom]:
        kind_of = expr.type
        if kind_of is None or not n.names(expr) or n.uses_now(expr):
            raise Unsupported("key")
        values = constant if isinstance(constant, tuple) else (constant,)
        if kind_of.name == "bool":
            if op not in ("==", "!=") or not isinstance(constant, bool):
                raise Unsupported("bool")
            kind = "equal"
        elif kind_of.is_textual:
            if not all(isinstance(v, str) for v in values):
                raise Unsupported("text compared with a non-text")
            kind = "equal" if op in _EQUALITY else "ordered"
        elif kind_of.is_numeric:
            if not all(isinstance(v, (int, Decimal)) and not isinstance(v, bool) for v in values):
                raise Unsupported("number compared with a non-number")
            if any(isinstance(v, Decimal) and not v.is_finite() for v in values):
                raise Unsupported("not finite")
            kind = "equal" if op in _EQUALITY else "int" if kind_of.name == "int" else "ordered"
        else:
            raise Unsupported(kind_of.name)
        return self.key(expr, kind), _Atom(op, constant)

    def collect(self, node: n.Expr) -> None:
        for comparison in _atoms_of(node):
            index, atom = self.atom(comparison)
            self.keys[index].atoms.append(atom)


def _atoms_of(node: n.Expr) -> list[n.Expr]:
    """The comparisons (and bool facts) of a condition, below its and/or/not."""
    found: list[n.Expr] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, n.BoolOp):
            stack.extend(current.operands)
        elif isinstance(current, n.Unary) and current.op == "not":
            stack.append(current.operand)
        elif not (isinstance(current, n.Literal) and isinstance(current.value, bool)):
            found.append(current)
    return found


def _truth(node: n.Expr, holds: Callable[[n.Expr], bool]) -> bool:
    """The Boolean value of ``node`` when each comparison's value is ``holds(comparison)``."""
    if isinstance(node, n.BoolOp):
        parts = (_truth(o, holds) for o in node.operands)
        return all(parts) if node.op == "and" else any(parts)
    if isinstance(node, n.Unary):
        return not _truth(node.operand, holds)
    if isinstance(node, n.Literal):
        return bool(node.value)
    return holds(node)


def _dnf(node: n.Expr, negate: bool, keys: list[_Key], collector: _Collector) -> list[Term]:
    """``node`` (or its negation) as a list of terms; [] is false, [()] is true."""
    read = {collector.atom(a)[0] for a in _atoms_of(node)}
    if len(read) <= 1:  # one literal: the regions of its key in which the condition holds
        if not read:
            return [()] if _truth(node, lambda atom: False) != negate else []
        index = next(iter(read))
        key = keys[index]
        regions = frozenset(r for r in range(key.regions)
                            if _truth(node, lambda atom: key.holds(collector.atom(atom)[1], r)) != negate)
        if not regions:
            return []
        if len(regions) == key.regions:
            return [()]
        return [((index, regions),)]
    if isinstance(node, n.Unary):
        return _dnf(node.operand, not negate, keys, collector)
    assert isinstance(node, n.BoolOp)
    conjunction = (node.op == "and") != negate
    parts = [_dnf(o, negate, keys, collector) for o in node.operands]
    if not conjunction:
        return _simplify([t for part in parts for t in part])
    terms: list[Term] = [()]
    for part in parts:
        terms = _simplify([_conjoin(a, b) for a in terms for b in part])
        if len(terms) > MAX_TERMS * 4:
            raise Unsupported("too many terms")
    return terms


def _conjoin(a: Term, b: Term) -> Term:
    merged: dict[int, frozenset[int]] = dict(a)
    for index, regions in b:
        merged[index] = merged[index] & regions if index in merged else regions
    return tuple(sorted(merged.items()))


def _simplify(terms: list[Term]) -> list[Term]:
    """Drop false terms (an empty region set), duplicates and terms another one covers."""
    kept: list[Term] = []
    for term in terms:
        if any(not regions for _, regions in term) or term in kept:
            continue
        kept.append(term)
    covered = [t for t in kept if any(o != t and _covers(o, t) for o in kept)]
    return [t for t in kept if t not in covered]


def _covers(general: Term, specific: Term) -> bool:
    mine = dict(specific)
    return all(index in mine and mine[index] <= regions for index, regions in general)


class _Decoder(dict[int, tuple[object, ...]]):
    """The results of a chunk's rules for a bit pattern of its groups, each pattern worked
    out the first time it is seen (at most 2**CHUNK of them)."""

    def __init__(self, bits: list[int], results: list[object], owners: list[int]) -> None:
        super().__init__()
        self.bits, self.results, self.owners = bits, results, owners

    def __missing__(self, pattern: int) -> tuple[object, ...]:
        seen: set[int] = set()
        chosen: list[object] = []
        for bit, result, owner in zip(self.bits, self.results, self.owners):
            if pattern >> bit & 1 and owner not in seen:
                seen.add(owner)
                chosen.append(result)
        self[pattern] = made = tuple(chosen)
        return made


def _chunks(owners: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of at most CHUNK groups, never splitting one rule's groups (a
    rule read back from two lookups would be reported twice)."""
    runs: list[tuple[int, int]] = []
    first = 0
    while first < len(owners):
        end = min(first + CHUNK, len(owners))
        while end < len(owners) and end > first and owners[end] == owners[end - 1]:
            end -= 1
        runs.append((first, end))
        first = end
    return runs


# -- the function -----------------------------------------------------------------------

FastRules = Callable[[Mapping[str, object]], "Sequence[Any] | None"]


def normal_forms(conditions: Sequence[tuple[n.Expr | None, n.Expr | None]]) -> tuple[list[_Key], list[list[Term]]]:
    """The keys the conditions read and each rule's ``when and not unless`` as terms."""
    collector = _Collector()
    for condition in (c for pair in conditions for c in pair if c is not None):
        if len(_atoms_of(condition)) > MAX_ATOMS:
            raise Unsupported("too many comparisons")
        collector.collect(condition)
    keys = collector.keys
    for key in keys:
        key.plan()
    rules: list[list[Term]] = []
    for when, unless in conditions:
        parts = tuple(c for c in (when, n.Unary("not", unless) if unless is not None else None) if c is not None)
        terms: list[Term] = _dnf(n.BoolOp("and", parts), False, keys, collector) if parts else [()]
        if len(terms) > MAX_TERMS:
            raise Unsupported("too many terms")
        rules.append(terms)
    return keys, rules


@dataclass
class _Layout:
    """Where each term's bits are: one bit per literal and a spare bit above them."""

    masks: list[list[int]]  # per key, per region: the literal bits that hold there
    base: int = 0  # bits that always hold (a term with no literal)
    low: int = 0  # the lowest bit of every group
    spare: int = 0  # the spare bit of every group
    spare_bit: list[int] = field(default_factory=list)  # per group
    owners: list[int] = field(default_factory=list)  # per group: its rule

    @classmethod
    def of(cls, keys: list[_Key], rules: list[list[Term]]) -> _Layout:
        # A literal's regions are a few runs of consecutive regions: its bit is toggled
        # where each run starts and ends, and each mask is the running XOR of the toggles,
        # so the work grows with literals plus regions rather than their product.
        toggles = [[0] * (key.regions + 1) for key in keys]
        layout = cls([])
        start = 0
        for rule, terms in enumerate(rules):
            for term in terms:
                width = max(len(term), 1)
                layout.low |= 1 << start
                layout.spare |= 1 << (start + width)
                layout.spare_bit.append(start + width)
                layout.owners.append(rule)
                if not term:
                    layout.base |= 1 << start
                for slot, (index, regions) in enumerate(term):
                    for first, end in _runs(regions):
                        toggles[index][first] ^= 1 << (start + slot)
                        toggles[index][end] ^= 1 << (start + slot)
                start += width + 1
        if start * sum(key.regions for key in keys) > MAX_TABLE_BITS:
            raise Unsupported("tables too large")
        for toggle in toggles:
            running, masks = 0, []
            for change in toggle[:-1]:
                running ^= change
                masks.append(running)
            layout.masks.append(masks)
        return layout


def _runs(regions: frozenset[int]) -> list[tuple[int, int]]:
    """``regions`` as half-open runs [first, end) of consecutive region numbers."""
    runs: list[tuple[int, int]] = []
    for region in sorted(regions):
        if runs and runs[-1][1] == region:
            runs[-1] = (runs[-1][0], region + 1)
        else:
            runs.append((region, region + 1))
    return runs


class _Namer:
    """Names in the generated function's namespace, distinct per bank."""

    def __init__(self, bank: int, env: dict[str, object]) -> None:
        self.bank, self.env = bank, env

    def __call__(self, stem: str, value: object) -> ast.Name:
        label = f"{stem}{self.bank}_{len(self.env)}"
        self.env[label] = value
        return ast.Name(label, _LOAD)


def _lookup(key: _Key, value: ast.expr, masks: list[int], name: _Namer) -> ast.expr:
    """The expression giving the literal bits of ``key``'s region for ``value``."""
    if key.kind == "equal":
        entries: dict[object, object] = {c: masks[i] for i, c in enumerate(key.constants)}
        entries[UNKNOWN] = None  # None | int fails: the closures decide
        table = name("t", entries)
        if key.closed_values:  # every declared value has an entry; any other fails the lookup
            return ast.Subscript(table, value, _LOAD)
        return ast.Call(ast.Attribute(table, "get", _LOAD), [value, name("o", masks[len(key.constants)])], [])
    cuts = name("c", key.cuts)
    calls = ["bl", "br"] if key.mode == "both" and key.kind == "ordered" else \
        ["bl"] if key.mode == "left" and key.kind == "ordered" else ["br"]
    region: ast.expr | None = None
    for call in calls:
        part = ast.Call(ast.Name(call, _LOAD), [cuts, value], [])
        region = part if region is None else ast.BinOp(region, ast.Add(), part)
    assert region is not None
    return ast.Subscript(name("t", masks), region, _LOAD)


def _read_back(layout: _Layout, x: ast.Name, results: Sequence[object], name: _Namer) -> list[ast.expr]:
    """``d[x >> s & m]`` per chunk: the results of the rules with a spare bit set in ``x``."""
    pieces: list[ast.expr] = []
    count = len(layout.owners)
    for first, end in _chunks(layout.owners):
        shift = layout.spare_bit[first]
        bits = [layout.spare_bit[g] - shift for g in range(first, end)]
        owners = layout.owners[first:end]
        piece: ast.expr = x
        if shift:
            piece = ast.BinOp(piece, ast.RShift(), ast.Constant(shift))
        if end < count:
            piece = ast.BinOp(piece, ast.BitAnd(), ast.Constant(sum(1 << b for b in bits)))
        pieces.append(ast.Subscript(name("d", _Decoder(bits, [results[r] for r in owners], owners)), piece, _LOAD))
    return pieces


def compile_bitparallel(
    conditions: Sequence[tuple[n.Expr | None, n.Expr | None]], translate: Callable[[n.Expr], ast.expr],
    names: Mapping[str, str], constants: Mapping[str, object], *, unwrap: bool, results: Sequence[object],
) -> FastRules:
    """A function returning the ``results`` of the conditions that hold, as a tuple, in
    order (None when a fact is unknown); raises :class:`Unsupported` when a condition is
    outside the subset. ``translate`` writes a key expression as Python over the locals
    that ``names`` gives each fact (filled as it goes), with ``constants`` named in it.

    Rules are compiled in banks of :data:`BANK`, each with its own tables, so that a
    table's size (regions times rules) stays bounded however many rules there are."""
    env: dict[str, object] = {"U": UNKNOWN, "bl": bisect.bisect_left, "br": bisect.bisect_right,
                              "KeyError": KeyError, "TypeError": TypeError, "__builtins__": {}}
    lets: list[ast.stmt] = []
    values: dict[n.Expr, ast.expr] = {}  # each key's value, computed once for every bank
    decided: list[ast.stmt] = []
    pieces: list[ast.expr] = []
    for bank, first in enumerate(range(0, len(conditions), BANK)):
        keys, rules = normal_forms(conditions[first:first + BANK])
        layout = _Layout.of(keys, rules)
        name = _Namer(bank, env)
        m: ast.expr | None = ast.Constant(layout.base) if layout.base or not keys else None
        for index, key in enumerate(keys):
            if key.expr not in values:
                value = translate(key.expr)
                if not isinstance(value, ast.Name):  # an arithmetic key: computed once
                    local = f"e{len(values)}"
                    lets.append(ast.Assign([ast.Name(local, ast.Store())], value))
                    value = ast.Name(local, _LOAD)
                values[key.expr] = value
            bits = _lookup(key, values[key.expr], layout.masks[index], name)
            m = bits if m is None else ast.BinOp(m, ast.BitOr(), bits)
        assert m is not None
        # x: the spare bit of every group whose literals all hold
        x = f"x{bank}"
        decided.append(ast.Assign([ast.Name(x, ast.Store())], ast.BinOp(
            ast.BinOp(m, ast.Add(), ast.Constant(layout.low)), ast.BitAnd(), ast.Constant(layout.spare))))
        pieces += _read_back(layout, ast.Name(x, _LOAD), results[first:first + BANK], name)
    env.update(constants)
    if not pieces:  # no rule can hold; the lookups still step aside for an unknown value
        out: ast.expr = ast.Tuple([], _LOAD)
    else:  # one tuple from the pieces in a single pass: (*d0[...], *d1[...], ...)
        out = pieces[0] if len(pieces) == 1 else ast.Tuple([ast.Starred(p, _LOAD) for p in pieces], _LOAD)
    body = read_facts(names, unwrap) + lets + decided + [ast.Return(out)]
    guarded = ast.Try(body, [ast.ExceptHandler(ast.Tuple([ast.Name("KeyError", _LOAD), ast.Name("TypeError", _LOAD)],
                                                         _LOAD), None, [ast.Return(ast.Constant(None))])], [], [])
    return make_function([guarded], env, "<chronolex rule tables>")
