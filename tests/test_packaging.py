"""What the distributions carry: the wheel installs one import package, ``chronolex``
(schemas and type marker included, no generic top-level ``engine`` or ``cli``), with its
licence; the sdist carries what it takes to run the test suite."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist, and the wheel built from it (as a package index would), so nothing left
    in the working tree (``build/``) can slip into the wheel."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True)
    return out


def test_the_wheel_installs_chronolex_only_with_schemas_type_marker_and_licence(dist: Path) -> None:
    [wheel] = list(dist.glob("chronolex-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    schemas = {p.name for p in (ROOT / "schemas").glob("*.schema.json")}
    assert {f"chronolex/_schemas/{name}" for name in schemas} <= names
    assert {"chronolex/py.typed", "chronolex/__main__.py", "chronolex/cli/app.py"} <= names
    assert "chronolex/batch/spark_log4j2.properties" in names  # the Spark engine's quiet JVM log
    console = ROOT / "engine" / "service" / "console"
    assets = {"chronolex/service/console/" + str(p.relative_to(console))
              for folder in ("templates", "static") for p in (console / folder).iterdir()}
    assert "chronolex/service/console/static/console.css" in assets
    assert assets <= names, f"the console's templates and assets missing from the wheel: {assets - names}"
    templates = {"chronolex/cli/templates/" + str(p.relative_to(ROOT / "cli" / "templates"))
                 for p in (ROOT / "cli" / "templates" / "init").rglob("*") if p.is_file()}
    assert "chronolex/cli/templates/init/dot-github/workflows/chronolex.yml" in templates
    assert templates <= names, f"templates of chronolex init missing from the wheel: {templates - names}"
    assert {name.split("/")[0] for name in names} == {"chronolex", "chronolex-0.1.0.dist-info"}
    metadata = zipfile.ZipFile(wheel).read("chronolex-0.1.0.dist-info/METADATA").decode()
    assert "License-Expression: Apache-2.0" in metadata
    assert "chronolex-0.1.0.dist-info/licenses/LICENSE" in names
    entry_points = zipfile.ZipFile(wheel).read("chronolex-0.1.0.dist-info/entry_points.txt").decode()
    assert "chronolex = chronolex.cli.app:main" in entry_points


def test_the_sdist_carries_the_test_suite_and_what_it_reads(dist: Path) -> None:
    [sdist] = list(dist.glob("chronolex-*.tar.gz"))
    names = {name.split("/", 1)[1] for name in tarfile.open(sdist).getnames() if "/" in name}
    for needed in ("tests/conftest.py", "tests/engine/evaluation/test_knowledge_cut.py", "policies/huabei/bundle.yaml",
                   "docs/replay.md", "Makefile", "LICENSE", "README.md", "CHANGELOG.md", "schemas/event.schema.json"):
        assert needed in names, needed
