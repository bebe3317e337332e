"""How many examples the costliest property tests try: a quick count on every run, the
thorough count when ``CHRONOLEX_TESTS=thorough`` (a nightly run).

Each property is asserted on every run; only the number of generated cases changes. A
test whose examples each load a whole bundle, run the solver or start a query pays for
every one, so ``make test`` tries the count that has found its bugs so far, and a nightly
run (``CHRONOLEX_TESTS=thorough make test``) tries the larger one.
"""

from __future__ import annotations

import os

THOROUGH = os.environ.get("CHRONOLEX_TESTS", "").strip().lower() == "thorough"


def examples(quick: int, thorough: int) -> int:
    """``quick`` on an ordinary run, ``thorough`` on a nightly one."""
    if quick > thorough:
        raise ValueError(f"a thorough run tries at least as many examples as a quick one ({quick} > {thorough})")
    return thorough if THOROUGH else quick
