"""The public surface: what engine exports, and that the library stays a library."""

from __future__ import annotations

import subprocess
import sys

import engine


def test_all_names_are_exported() -> None:
    for name in engine.__all__:
        assert hasattr(engine, name), name


def test_importing_engine_does_not_import_click_or_the_cli() -> None:
    code = "import sys, engine; print(any(m == 'click' or m.startswith('click.') or m == 'cli' for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
