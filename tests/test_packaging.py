"""The built wheel carries what an installed chronolex needs: the schemas and the type marker."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_wheel_contains_schemas_and_py_typed(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(tmp_path),
         str(ROOT)],
        check=True, capture_output=True,
    )
    [wheel] = list(tmp_path.glob("chronolex-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    schemas = {p.name for p in (ROOT / "schemas").glob("*.schema.json")}
    assert {f"engine/_schemas/{name}" for name in schemas} <= names
    assert "engine/py.typed" in names
    assert any(n.endswith("entry_points.txt") for n in names)
