"""Coverage-guided fuzzing of the three readers of hostile input, with atheris (libFuzzer).

Not collected by pytest (its name does not start with ``test_``); run it by hand or in a
nightly job, from the repository root:

    python tests/hardening/fuzz_atheris.py -runs=100000 -timeout=10
    python tests/hardening/fuzz_atheris.py corpus/ -max_total_time=600

The first byte of each input picks the target and the rest is its input:

- 0: a condition, compiled against the shipped bundle's fact catalog;
- 1: a YAML policy file, read by :func:`chronolex.bundle.yaml_source.read_yaml`;
- 2 and 3: an event file read as JSON Lines or as CSV by :func:`chronolex.events.files.read_events`.

The property is the one the hypothesis tests check: only the engine's own error type
escapes, and nothing runs (no ``exec``, process or file write). Any other exception is a
crash that libFuzzer reports with the input that caused it; ``-timeout`` turns a hang
into one. atheris is not a dependency of the project: ``pip install atheris`` first.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import atheris  # type: ignore[import-untyped]  # not a dependency: installed by hand

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports(include=["engine"]):
    import chronolex
    from chronolex.errors import ChronolexError
    from chronolex.events.files import read_events
    from chronolex.lang import ConditionError, compile_condition
    from chronolex.bundle.yaml_source import read_yaml

from tests.hardening.support import nothing_runs

CATALOG = chronolex.load_bundle(ROOT / "policies" / "huabei").catalog
ZONE = ZoneInfo("Asia/Shanghai")
WORKDIR = Path(tempfile.mkdtemp(prefix="chronolex-fuzz-"))
SUFFIXES = {2: ".jsonl", 3: ".csv"}


def fuzz_one(data: bytes) -> None:
    """Run one input through the target its first byte names."""
    provider = atheris.FuzzedDataProvider(data)
    target = provider.ConsumeIntInRange(0, 3)
    if target == 0:
        text = provider.ConsumeUnicodeNoSurrogates(4_000)
        with nothing_runs():
            try:
                compile_condition(text, CATALOG)
            except ConditionError:
                pass
        return
    raw = provider.ConsumeBytes(200_000)
    if target == 1:
        with nothing_runs():
            try:
                read_yaml("policy.yaml", raw)
            except ChronolexError:
                pass
        return
    path = WORKDIR / f"events{SUFFIXES[target]}"
    path.write_bytes(raw)
    with nothing_runs():
        try:
            read_events(path, ZONE)
        except ChronolexError:
            pass


def main() -> None:
    atheris.Setup(sys.argv, fuzz_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
