"""The browser: Debian's chromium driven by Playwright, launched once for the session.

Playwright cannot download its own browser on an offline machine, so the tests drive the
system's ``chromium``. Where it is missing they are skipped with a loud reason, except
under CI (``CI`` set), where a missing browser fails: the console's tests must really run
there (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Where each step's screenshot is kept (a test artifact, not committed).
SCREENSHOTS = ROOT / "build" / "screenshots"


def chromium_path() -> str | None:
    found = os.environ.get("CHRONOLEX_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    return found


def _unavailable(reason: str) -> None:
    message = (f"BROWSER TESTS NOT RUN: {reason}. Install Debian's chromium (apt-get install chromium) "
               "or point CHRONOLEX_CHROMIUM at a Chromium binary.")
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    warnings.warn(message, stacklevel=2)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        _unavailable("no chromium on this machine")
    if not Path(executable).exists():
        _unavailable(f"{executable} does not exist")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
