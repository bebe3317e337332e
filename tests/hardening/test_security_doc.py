"""docs/security.md states the limits the code enforces and names tests that exist.

The limits table gives, for each limit, its value and the constant that holds it; this
test reads the table and compares each value with the constant, so the page cannot
drift from the code unnoticed.
"""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGE = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")


def _limit_rows() -> list[tuple[str, str, list[str]]]:
    """(limit, value, constants) for each row of the limits table that names a constant."""
    section = PAGE.split("## Bounded resources", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("limit", "---"):
            continue
        constants = re.findall(r"`(chronolex\.[\w.]+)`", cells[2])
        if constants:
            rows.append((cells[0], cells[1], constants))
    return rows


ROWS = _limit_rows()


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            value: object = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            value = getattr(value, name)
        return value
    raise AssertionError(f"cannot import {dotted}")


def _numbers(text: str) -> set[int]:
    return {int(match.replace(",", "")) for match in re.findall(r"\d[\d,]*", text)}


def test_the_table_has_the_limits() -> None:
    assert len(ROWS) >= 15


@pytest.mark.parametrize(("limit", "value", "constants"), ROWS, ids=[row[0] for row in ROWS])
def test_each_limit_is_the_value_in_the_code(limit: str, value: str, constants: list[str]) -> None:
    for dotted in constants:
        actual = _resolve(dotted)
        if isinstance(actual, bool):
            pytest.fail(f"{dotted} is a flag, not a limit")
        if isinstance(actual, int):
            assert actual in _numbers(value), (limit, dotted, actual, value)
        elif isinstance(actual, timedelta):
            assert actual.days in _numbers(value), (limit, dotted, actual, value)
        elif isinstance(actual, tuple):
            assert all(str(item) in value for item in actual), (limit, dotted, actual, value)
        else:
            pytest.fail(f"{dotted} is a {type(actual).__name__}; the table cannot state it")


def test_every_test_file_the_page_names_exists() -> None:
    named = set(re.findall(r"`(tests/[\w/]+\.py)", PAGE))
    assert named
    assert sorted(path for path in named if not (ROOT / path).is_file()) == []


def test_every_hardening_module_is_named_on_the_page() -> None:
    here = Path(__file__).parent
    modules = {f"tests/hardening/{p.name}" for p in here.glob("*.py") if p.name.startswith(("test_", "fuzz_"))}
    assert sorted(m for m in modules if f"`{m}" not in PAGE) == []
