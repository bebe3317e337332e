"""The guards the hardening tests rely on do catch what they claim to catch.

Without these, a property such as "nothing runs" could pass because the audit hook saw
nothing at all.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.hardening.support import Hangs, bounded, nothing_runs


@pytest.mark.parametrize("attempt", ["eval", "exec", "system", "subprocess", "write", "remove"])
def test_nothing_runs_fails_on_each_kind_of_action(attempt: str, tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(AssertionError, match="hostile input made the engine do"), nothing_runs():
        if attempt == "eval":
            eval("1 + 1")
        elif attempt == "exec":
            exec("x = 1", {})  # noqa: S102 - the point of the test
        elif attempt == "system":
            os.system("true")
        elif attempt == "subprocess":
            subprocess.run(["true"], check=False)
        elif attempt == "write":
            target.write_text("y")
        else:
            target.unlink()


def test_nothing_runs_lets_reading_pass(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with nothing_runs():
        assert target.read_text() == "x"


def test_bounded_stops_a_call_that_never_ends() -> None:
    with pytest.raises(Hangs, match="a loop did not finish within"), bounded("a loop", seconds=0.2):
        while True:  # only the alarm ends this loop
            time.sleep(0.01)
