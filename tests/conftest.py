"""Shared fixtures: paths to the shipped bundle and a writable copy of it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
HUABEI = ROOT / "policies" / "huabei"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
# CI runs the same examples every time, so a red build is reproducible from its log
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
                          print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture
def huabei_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped bundle that a test may break."""
    target = tmp_path / "huabei"
    shutil.copytree(HUABEI, target)
    return target
