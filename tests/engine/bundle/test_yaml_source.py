"""Safe YAML reading: positions, duplicate keys, limits, tags, encodings."""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collections.abc import Iterator

import chronolex.bundle.yaml_source
from chronolex import ChronolexError, Limits
from chronolex.bundle.yaml_source import read_yaml


@pytest.fixture(autouse=True, scope="module", params=["libyaml", "pure-python"])
def parser_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test runs with libyaml's C parser (when PyYAML has it) and with the pure-Python one."""
    saved = chronolex.bundle.yaml_source._FAST_LOADER
    if request.param == "pure-python":
        chronolex.bundle.yaml_source._FAST_LOADER = None
    try:
        yield request.param
    finally:
        chronolex.bundle.yaml_source._FAST_LOADER = saved


def error_of(raw: bytes, limits: Limits = Limits()) -> tuple[str, int, int]:
    with pytest.raises(ChronolexError) as info:
        read_yaml("f.yaml", raw, limits)
    d = info.value.diagnostics[0]
    assert d.span is not None
    return d.code, d.span.line, d.span.column


def test_scalars_follow_the_yaml_12_core_schema() -> None:
    doc = read_yaml("f.yaml", b"a: yes\nb: no\nc: on\nd: true\ne: 2026-03-01\nf: 010\ng: 1.5\nh: ~\ni: '1'\n")
    assert doc.data == {"a": "yes", "b": "no", "c": "on", "d": True, "e": "2026-03-01", "f": 10, "g": 1.5,
                        "h": None, "i": "1"}


def test_spans_point_at_values_and_keys() -> None:
    doc = read_yaml("f.yaml", b"rules:\n  - id: A\n    when: x < 3\n")
    assert (doc.source.span(("rules", 0, "when")).line, doc.source.span(("rules", 0, "when")).column) == (3, 11)
    key = doc.source.span(("rules", 0, "when"), key=True)
    assert (key.line, key.column) == (3, 5)


def test_nearest_enclosing_span_for_missing_paths() -> None:
    doc = read_yaml("f.yaml", b"a:\n  b: 1\n")
    assert doc.source.span(("a", "missing")).line == 2


@pytest.mark.parametrize(
    ("raw", "line", "column"),
    [
        (b"when: score < 600 and bogus\n", 1, 23),
        (b'when: "score < 600 and bogus"\n', 1, 24),
        (b"when: 'x == ''a'' and bogus'\n", 1, 23),
        (b"when: |\n  score < 600\n  and bogus\n", 3, 7),
        (b"when: >-\n  score < 600\n  and bogus\n", 3, 7),
        (b"when: score < 600\n  and bogus\n", 2, 7),
        ("when: occupation == '学生' and bogus\n".encode(), 1, 30),
    ],
)
def test_offsets_inside_strings_map_to_the_file(raw: bytes, line: int, column: int) -> None:
    doc = read_yaml("f.yaml", raw)
    offset = doc.data["when"].index("bogus")
    span = doc.source.locate(("when",), offset, offset + 5)
    assert (span.line, span.column) == (line, column)


def test_duplicate_keys_are_errors_at_the_second_key() -> None:
    assert error_of(b"a: 1\nb:\n  c: 1\n  c: 2\n") == ("duplicate-key", 4, 3)


def test_tags_are_refused() -> None:
    assert error_of(b"a: !!python/object/apply:os.system ['true']\n")[0] == "yaml-tag"
    assert error_of(b"a: !custom 1\n")[0] == "yaml-tag"


def test_merge_keys_are_refused() -> None:
    assert error_of(b"base: &b {x: 1}\nother:\n  <<: *b\n")[:2] == ("yaml-key", 3)


def test_billion_laughs_is_refused_without_expanding_it() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    tracemalloc.start()
    try:
        code, _, _ = error_of("\n".join(lines).encode())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == "yaml-limit"
    # the check walks the node graph (90 nodes), not its expansion (9**10 strings: gigabytes)
    assert peak < 20_000_000


def test_recursive_alias_is_refused() -> None:
    assert error_of(b"a: &x [1, *x]\n")[0] in ("yaml-limit", "yaml-syntax")


def test_deep_nesting_is_refused_without_recursion_error() -> None:
    assert error_of(b"a: " + b"[" * 10_000 + b"]" * 10_000)[0] == "yaml-limit"
    nested = "".join("  " * i + f"k{i}:\n" for i in range(200)).encode()
    assert error_of(nested)[0] == "yaml-limit"


def test_size_limit() -> None:
    assert error_of(b"a: " + b"x" * 200, Limits(max_bytes=100))[0] == "file-too-large"


def test_long_integers_nan_and_infinity_are_refused() -> None:
    assert error_of(b"a: " + b"9" * 10_000 + b"\n")[0] == "yaml-limit"
    assert error_of(b"a: .nan\n")[0] == "non-finite"
    assert error_of(b"a: -.inf\n")[0] == "non-finite"


def test_invalid_utf8_reports_line_and_column() -> None:
    assert error_of(b"a: 1\nb: x\xff\n") == ("encoding", 2, 5)


def test_bom_crlf_and_tabs_in_values() -> None:
    doc = read_yaml("f.yaml", b"\xef\xbb\xbfa: 1\r\nb: \"x\ty\"\r\n")
    assert doc.data == {"a": 1, "b": "x\ty"}


def test_tab_indentation_is_a_syntax_error_with_position() -> None:
    code, line, _ = error_of(b"a:\n\tb: 1\n")
    assert (code, line) == ("yaml-syntax", 2)


def test_non_string_keys_are_refused() -> None:
    assert error_of(b"? [a]\n: 1\n")[0] == "yaml-key"


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_but_chronolex_error(raw: bytes) -> None:
    try:
        read_yaml("f.yaml", raw)
    except ChronolexError as error:
        assert all(d.span is not None and d.span.line >= 1 and d.span.column >= 1 for d in error.diagnostics)


_YAMLISH = st.lists(
    st.sampled_from(["a", ":", " ", "\n", "  ", "-", "[", "]", "{", "}", ",", "&x", "*x", "!!str", "'", '"', "#",
                     "|", ">", "1", "true", "~", "? ", "\t", "<<", "%YAML 1.1\n---\n"]),
    max_size=60,
).map("".join)


@given(_YAMLISH)
def test_yaml_like_text_never_raises_anything_but_chronolex_error(text: str) -> None:
    try:
        read_yaml("f.yaml", text.encode())
    except ChronolexError as error:
        assert all(d.span is not None and d.span.line >= 1 for d in error.diagnostics)


@pytest.mark.parametrize(
    "raw",
    [b"a: !!bool yes\n", b"a: !!null x\n", b"a: !!int 1.5\n", b"a: !!float abc\n", b"a: !!map [1]\n", b"a: !!seq {b: 1}\n"],
)
def test_explicit_standard_tags_must_fit_their_value(raw: bytes) -> None:
    assert error_of(raw)[0] == "yaml-tag"


def test_explicit_str_tag_keeps_a_string() -> None:
    assert read_yaml("f.yaml", b"a: !!str 12\nb: !!int '7'\n").data == {"a": "12", "b": 7}


def test_null_key_says_how_to_quote_it() -> None:
    with pytest.raises(ChronolexError) as info:
        read_yaml("f.yaml", b"null: 1\n")
    assert info.value.diagnostics[0].help == "quote it: 'null':"
