"""Finding bundles from paths, and the aggregated validation result."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import chronolex
from tests.conftest import FIXTURES, HUABEI


def test_a_directory_finds_every_bundle_below_it_in_order() -> None:
    roots = chronolex.find_bundles([FIXTURES / "broken"])
    assert len(roots) == len([p for p in (FIXTURES / "broken").iterdir() if (p / "bundle.yaml").is_file()])
    assert list(roots) == sorted(roots)


def test_a_file_inside_a_bundle_names_the_bundle() -> None:
    assert chronolex.find_bundles([HUABEI / "versions" / "2026.03.yaml"]) == (HUABEI,)
    assert chronolex.find_bundles([HUABEI / "bundle.yaml", HUABEI]) == (HUABEI,)


def test_missing_path_and_path_without_bundle_are_errors(tmp_path: Path) -> None:
    with pytest.raises(chronolex.ChronolexError, match="no such file"):
        chronolex.find_bundles([tmp_path / "nope"])
    with pytest.raises(chronolex.ChronolexError, match="no bundle"):
        chronolex.find_bundles([tmp_path])


def test_result_counts_and_strictness(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "broken" / "dead-rule", tmp_path / "dead")
    result = chronolex.validate([tmp_path])
    assert result.passed() and not result.passed(strict=True)
    assert result.count(chronolex.Severity.WARNING) >= 1


def test_diagnostics_are_sorted_and_deterministic() -> None:
    first = chronolex.validate([FIXTURES / "broken"])
    second = chronolex.validate([FIXTURES / "broken"])
    assert first.diagnostics == second.diagnostics
    keys = [d.sort_key() for d in first.diagnostics]
    assert keys == sorted(keys)
