"""Rendering: parse(render(ast)) == ast, with minimal parentheses."""

from __future__ import annotations

from hypothesis import given

from chronolex.lang import nodes as n
from chronolex.lang import parse, render
from tests.strategies import bool_exprs, num_exprs


@given(bool_exprs())
def test_render_then_parse_gives_the_same_tree(tree: n.Expr) -> None:
    assert parse(render(tree)) == tree


@given(num_exprs())
def test_round_trip_for_arithmetic(tree: n.Expr) -> None:
    assert parse(render(tree)) == tree


def test_parentheses_only_where_needed() -> None:
    assert render(parse("((a < 600)) and ((not b))")) == "a < 600 and not b"
    assert render(parse("(a or b) and c")) == "(a or b) and c"
    assert render(parse("a - (b - c) > 0")) == "a - (b - c) > 0"
    assert render(parse("(a - b) - c > 0")) == "a - b - c > 0"
    assert render(parse("(a and b) and c")) == "(a and b) and c"


def test_literals_render_in_the_language_spelling() -> None:
    assert render(parse("True")) == "true"
    assert render(parse("x == 'it''s'")) == 'x == "its"'
    assert render(parse('x == "say \\"hi\\""')) == 'x == "say \\"hi\\""'
    assert render(parse("x == 5.0")) == "x == 5.0"
