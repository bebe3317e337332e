"""Hostile conditions: code that tries to run, absurd nesting and length, brackets that escape.

A condition is read by Python's own parser and then converted through a whitelist;
nothing in it is ever evaluated as Python. These tests write conditions an attacker
would, and check that each is refused with its code and position, that nothing ran
(no process, no file, no ``exec``), and that ``chronolex validate`` reports it at its
line and column in the version file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import chronolex
from chronolex.lang import ConditionError, compile_condition, nodes, parse
from chronolex.lang.parse import MAX_DEPTH, MAX_LENGTH
from tests.conftest import HUABEI
from tests.hardening.support import (
    REAL_VERSION,
    VERSION_FILE,
    assert_no_traceback,
    bounded,
    broken_bundle,
    finding_heads,
    line_of,
    nothing_runs,
    validate,
)

CATALOG = chronolex.load_bundle(HUABEI).catalog

#: Conditions that would run code if they were evaluated as Python; ``{x}`` is a file to create.
PAYLOADS = [
    ("__import__('os').system('touch {x}')", "forbidden-construct"),
    ("().__class__.__bases__[0].__subclasses__()", "forbidden-construct"),
    ("''.__class__.__mro__[1].__subclasses__()", "forbidden-construct"),
    ("().__class__", "forbidden-construct"),
    ("credit_score.__class__", "forbidden-construct"),
    ("eval(\"__import__('os').system('touch {x}')\")", "unknown-function"),
    ("exec('import os')", "unknown-function"),
    ("open('{x}', 'w')", "unknown-function"),
    ("getattr(credit_score, '__class__')", "unknown-function"),
    ("(lambda: __import__('os').system('touch {x}'))()", "forbidden-construct"),
    ("[c for c in ().__class__.__bases__]", "forbidden-construct"),
    ("f\"{{__import__('os').system('touch {x}')}}\"", "forbidden-construct"),
    ("(x := 1)", "forbidden-construct"),
    ("credit_score if kyc_verified else 0", "forbidden-construct"),
    ("{{'a': 1}}", "forbidden-construct"),
    ("credit_score[0]", "forbidden-construct"),
    ("kyc_verified; import os", "syntax"),
    ("kyc_verified\nimport os", "syntax"),
    ("kyc_verified) or (__import__('os').system('touch {x}')", "syntax"),
    ("__builtins__", "unknown-fact"),
    ("__import__", "unknown-fact"),
    ("max(credit_score, key=print)", "forbidden-construct"),
    ("years_between(*[birth_date, now])", "forbidden-construct"),
    ("credit_score ** 99999999", "forbidden-construct"),
    ("credit_score is None", "forbidden-construct"),
]


@pytest.mark.parametrize(("template", "code"), PAYLOADS, ids=[p[0][:40] for p in PAYLOADS])
def test_code_in_a_condition_is_refused_and_never_runs(template: str, code: str, tmp_path: Path) -> None:
    sentinel = tmp_path / "X"
    text = template.format(x=sentinel)
    with bounded(text), nothing_runs(), pytest.raises(ConditionError) as caught:
        compile_condition(text, CATALOG)
    assert caught.value.problems[0].code == code
    assert all(0 <= p.start <= p.end <= len(text) for p in caught.value.problems)
    assert not sentinel.exists()


def test_a_bracket_that_closes_the_text_early_is_refused_where_it_is() -> None:
    """``a) or (b`` is not an expression, although wrapping it in parentheses makes one."""
    for text in ("credit_score < 600) or (kyc_verified", "kyc_verified)\nor (kyc_verified", "[1]) or ([2"):
        with pytest.raises(ConditionError) as caught:
            parse(text)
        [problem] = caught.value.problems
        assert (problem.code, problem.message) == ("syntax", "')' closes nothing")
        assert problem.start == text.index(")")
    assert isinstance(parse("(credit_score < 600) or (kyc_verified)"), nodes.BoolOp)
    assert parse("kyc_verified  # a comment with ) in it\n") == nodes.Name("kyc_verified")
    assert isinstance(parse("occupation == ')'"), nodes.Compare)


def test_a_10000_deep_condition_is_refused_by_its_length() -> None:
    text = "(" * 10_000 + "kyc_verified" + ")" * 10_000
    with bounded("10000-deep"), pytest.raises(ConditionError) as caught:
        parse(text)
    [problem] = caught.value.problems
    assert problem.code == "too-complex"
    assert problem.message == f"condition longer than {MAX_LENGTH} characters"


@pytest.mark.parametrize("depth", [250, 4_990])
def test_deep_parentheses_within_the_length_limit_are_too_complex(depth: int) -> None:
    text = "(" * depth + "kyc_verified" + ")" * depth
    assert len(text) <= MAX_LENGTH
    with bounded(f"{depth}-deep"), pytest.raises(ConditionError) as caught:
        parse(text)
    [problem] = caught.value.problems
    assert problem.code == "too-complex"
    assert "nested parentheses" in problem.message


@pytest.mark.parametrize("text", [
    "not " * 2_000 + "kyc_verified",
    "credit_score" + " + 1" * 2_000 + " < 5",
    "-" * 5_000 + "credit_score < 5",
    "occupation in " + "[" * 150 + "'a'" + "]" * 150,
    "max(" * 500 + "credit_score" + ", 1)" * 500 + " < 5",
])
def test_deep_expressions_are_refused_at_the_depth_limit(text: str) -> None:
    assert len(text) <= MAX_LENGTH
    with bounded(text[:20]), pytest.raises(ConditionError) as caught:
        parse(text)
    [problem] = caught.value.problems
    assert problem.code == "too-complex"
    assert str(MAX_DEPTH) in problem.message or "nested parentheses" in problem.message


def test_a_long_flat_condition_up_to_the_limit_compiles() -> None:
    unit = "credit_score < 600 and "
    text = unit * ((MAX_LENGTH - len("kyc_verified")) // len(unit)) + "kyc_verified"
    assert len(text) <= MAX_LENGTH
    with bounded("long condition"):
        compiled = compile_condition(text, CATALOG)
    assert compiled.facts == {"credit_score", "kyc_verified"}
    with pytest.raises(ConditionError) as caught:
        parse("kyc_verified " + " " * MAX_LENGTH)
    assert caught.value.problems[0].code == "too-complex"


def test_a_huge_integer_literal_is_refused_without_python_advice() -> None:
    with pytest.raises(ConditionError) as caught:
        parse("credit_score < " + "9" * 10_000)
    assert caught.value.problems[0].code == "too-complex"  # by length
    with pytest.raises(ConditionError) as caught:
        parse("credit_score < " + "9" * 5_000)
    [problem] = caught.value.problems
    assert problem.message == "syntax error: integer literal too long"
    assert "sys." not in problem.message


def test_text_that_is_not_unicode_is_refused_as_such() -> None:
    with pytest.raises(ConditionError) as caught:
        parse("occupation == '\ud800'")
    [problem] = caught.value.problems
    assert problem.code == "syntax" and "unpaired surrogate" in problem.message


@pytest.mark.parametrize("text", ["kyc_verified\x00", "\ufeffkyc_verified", "kyc_verified \u202e and kyc_verified"])
def test_control_and_format_characters_are_refused(text: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse(text)
    assert caught.value.problems[0].code == "syntax"


# -- in a policy file, through validate ------------------------------------------------------


WHEN = b"    when: not kyc_verified"
HOSTILE_WHEN = [
    (b"\"__import__('os').system('touch SENTINEL')\"", "forbidden-construct", "only the built-in functions can be called"),
    (b"'" + b"(" * 4_990 + b"kyc_verified" + b")" * 4_990 + b"'", "too-complex", "nested parentheses"),
    (b"'" + b"(" * 10_000 + b"kyc_verified" + b")" * 10_000 + b"'", "too-complex",
     f"longer than {MAX_LENGTH} characters"),
    (b"'" + b"not " * 2_000 + b"kyc_verified'", "too-complex", f"deeper than {MAX_DEPTH} levels"),
    (b"'kyc_verified) or (kyc_verified'", "syntax", "')' closes nothing"),
]


@pytest.mark.parametrize(("condition", "code", "fragment"), HOSTILE_WHEN, ids=[c for _, c, _ in HOSTILE_WHEN])
def test_validate_reports_a_hostile_condition_at_its_place_in_the_file(
    condition: bytes, code: str, fragment: str, tmp_path: Path
) -> None:
    raw = REAL_VERSION.replace(WHEN, b"    when: " + condition, 1)
    root = broken_bundle(tmp_path, {VERSION_FILE: raw})
    line = line_of(raw, b"    when: " + condition[:20])
    with bounded(code), nothing_runs():
        report = chronolex.check_bundle(root)
    errors = [d for d in report.diagnostics if d.severity.value == "error"]
    assert [(d.code, d.span.line if d.span else None) for d in errors] == [(code, line)]
    with bounded(code):
        outcome = validate(root)
    assert_no_traceback(outcome)
    assert outcome.exit_code == 1
    [head] = [h for h in finding_heads(outcome) if "error[" in h]
    assert head.startswith(f"{(root / VERSION_FILE).as_posix()}:{line}:")
    column = int(head.split(":")[2])
    assert len("    when: ") < column <= len("    when: ") + len(condition)  # inside the condition
    assert f"error[{code}]" in head and fragment in head
    assert not (tmp_path / "SENTINEL").exists() and not Path("SENTINEL").exists()
