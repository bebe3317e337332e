"""The examples in the engine's docstrings run (from the repository root, where
``policies/huabei`` is), so they cannot drift from what the code does."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import chronolex
from tests.conftest import ROOT

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(chronolex.__path__, "chronolex.")
    if not info.name.startswith("chronolex.cli") and info.name != "chronolex.__main__"
)


@pytest.mark.parametrize("name", ["chronolex", *MODULES])
def test_docstring_examples_run(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
