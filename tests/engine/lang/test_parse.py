"""The parser: the whitelist, positions, and that nothing but ChronolexError escapes."""

from __future__ import annotations

import builtins
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chronolex import ChronolexError
from chronolex.lang import nodes as n
from chronolex.lang.parse import ConditionError, parse


def problem(text: str) -> tuple[str, int, str]:
    with pytest.raises(ConditionError) as info:
        parse(text)
    p = info.value.problems[0]
    return p.code, p.start, p.message


def test_parses_the_design_examples() -> None:
    tree = parse('credit_score < 600 and not kyc_verified')
    assert tree == n.BoolOp("and", (
        n.Compare("<", n.Name("credit_score"), n.Literal(600, "int")),
        n.Unary("not", n.Name("kyc_verified")),
    ))
    assert parse('occupation == "student"') == n.Compare("==", n.Name("occupation"), n.Literal("student", "string"))


def test_true_false_in_both_spellings_and_now() -> None:
    assert parse("true") == parse("True") == n.Literal(True, "bool")
    assert parse("false") == parse("False") == n.Literal(False, "bool")
    assert parse("now") == n.Now()


def test_decimal_literals_keep_their_exact_value() -> None:
    tree = parse("amount > 0.1")
    assert isinstance(tree, n.Compare)
    assert tree.right == n.Literal(Decimal("0.1"), "decimal")


def test_literal_kind_distinguishes_true_from_one() -> None:
    assert parse("x == 1") != parse("x == true")


def test_spans_are_character_offsets_of_the_token() -> None:
    tree = parse("a and  risk_score > 3")
    assert isinstance(tree, n.BoolOp)
    compare = tree.operands[1]
    assert isinstance(compare, n.Compare)
    assert compare.left.loc == (7, 17)


def test_offsets_count_characters_not_bytes() -> None:
    # The Chinese string is 3 bytes per character in UTF-8; the offset of `x` must be in characters.
    code, start, _ = problem('occupation == "学生学生" and x.y')
    assert code == "forbidden-construct"
    assert start == len('occupation == "学生学生" and ')


def test_offsets_on_later_lines() -> None:
    text = "a and\n  b.c"
    code, start, _ = problem(text)
    assert (code, start) == ("forbidden-construct", text.index("b.c"))


@pytest.mark.parametrize(
    ("text", "code", "fragment"),
    [
        ("a.b", "forbidden-construct", "attribute"),
        ("a[0]", "forbidden-construct", "indexing"),
        ("(lambda: 1)()", "forbidden-construct", "called"),
        ("[x for x in y]", "forbidden-construct", "comprehension"),
        ('f"{x}"', "forbidden-construct", "f-string"),
        ("(x := 1)", "forbidden-construct", "assignment"),
        ('__import__("os")', "unknown-function", "unknown function"),
        ('open("/etc/passwd")', "unknown-function", "unknown function"),
        ('eval("1")', "unknown-function", "unknown function"),
        ("a if b else c", "forbidden-construct", "conditional"),
        ("a is None", "forbidden-construct", "'is'"),
        ("x == None", "forbidden-construct", "None"),
        ("1 < a < 3", "syntax", "chained"),
        ("a & b", "forbidden-construct", "'&'"),
        ("a ** 2", "forbidden-construct", "'**'"),
        ("{1: 2}", "forbidden-construct", "mapping"),
        ("(1, 2)", "forbidden-construct", "tuple"),
        ("x = 3", "syntax", "'='"),
        ("a and", "syntax", "syntax error"),
        ("", "syntax", "empty"),
        ('duration("P3X")', "invalid-duration", "ISO 8601"),
        ('date("2026-02-30")', "invalid-date", "2026-02-30"),
        ("date(x)", "type-mismatch", "string literal"),
        ("years_between(a)", "type-mismatch", "number of arguments"),
        ("max(a, key=b)", "forbidden-construct", "keyword"),
        ("b'x' == a", "forbidden-construct", "bytes"),
    ],
)
def test_refuses_everything_outside_the_whitelist(text: str, code: str, fragment: str) -> None:
    got_code, _, message = problem(text)
    assert got_code == code
    assert fragment in message


def test_hints_for_common_mistakes() -> None:
    with pytest.raises(ConditionError) as info:
        parse("x = 3")
    assert info.value.problems[0].help == "use '==' to compare"
    with pytest.raises(ConditionError) as info:
        parse("a is None")
    assert "is_unknown" in (info.value.problems[0].help or "")
    with pytest.raises(ConditionError) as info:
        parse("year_between(a, b)")
    assert info.value.problems[0].help == "did you mean `years_between`?"


def test_limits_on_length_and_depth() -> None:
    assert problem("a" * 10_001)[0] == "too-complex"
    assert problem("not " * 150 + "a")[0] == "too-complex"
    assert problem("(" * 300 + "a" + ")" * 300)[0] in ("too-complex", "syntax")


def test_huge_integer_literal_is_refused_cleanly() -> None:
    with pytest.raises(ChronolexError):
        parse("x < " + "9" * 10_000)


@given(st.text(max_size=200))
def test_arbitrary_text_never_raises_anything_but_chronolex_error(text: str) -> None:
    try:
        parse(text)
    except ChronolexError:
        pass


_PYTHONISH = st.lists(st.sampled_from(list("abxy_().,[]{}'\"=<>!&|+-*/%:;@ \n\t0123456789λ学") + [
    " and ", " or ", " not ", "lambda", "import", "__", "None", "True", " in ", " is ", "for", "if", "else",
]), max_size=40).map("".join)


@given(_PYTHONISH)
def test_python_like_text_never_raises_anything_but_chronolex_error(text: str) -> None:
    try:
        parse(text)
    except ChronolexError:
        pass


def test_parsing_runs_nothing() -> None:
    called: list[str] = []
    originals = {name: getattr(builtins, name) for name in ("__import__", "eval", "exec", "open")}

    def spy_for(name: str) -> object:
        def spy(*args: object, **kwargs: object) -> object:
            called.append(f"{name}:{args[0] if args else ''}")
            return originals[name](*args, **kwargs)

        return spy

    payloads = [
        '__import__("os").system("touch /tmp/chronolex-pwned")',
        'open("/etc/passwd").read()',
        "(lambda: exec('1'))()",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        'eval("1+1")',
    ]
    outcomes: list[str] = []
    for name in originals:
        setattr(builtins, name, spy_for(name))
    try:
        for payload in payloads:
            try:
                parse(payload)
                outcomes.append("parsed")
            except ChronolexError:
                outcomes.append("refused")
    finally:
        for name, original in originals.items():
            setattr(builtins, name, original)
    assert called == []
    assert outcomes == ["refused"] * len(payloads)


def test_too_long_integer_message_does_not_leak_python_advice() -> None:
    with pytest.raises(ConditionError) as info:
        parse("x < " + "9" * 5000)
    message = info.value.problems[0].message
    assert "sys." not in message and "too long" in message
