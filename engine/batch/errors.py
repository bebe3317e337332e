"""What goes wrong in a batch replay, as errors that name the place and the cause.

Each is a :class:`~chronolex.errors.ChronolexError` with one diagnostic, so the command
line reports it as every other bad input: one line, exit 2, no traceback.
"""

from __future__ import annotations

from chronolex.errors import ChronolexError, Diagnostic, Severity


class BatchError(ChronolexError):
    """A batch replay cannot give an exact answer; ``code`` says which kind of problem."""

    code = "batch"

    def __init__(self, message: str) -> None:
        super().__init__([Diagnostic(self.code, Severity.ERROR, message)])


class LayoutError(BatchError):
    """The bundle's event catalog, or an event, does not fit the columnar event table."""

    code = "batch-layout"


class Untranslatable(BatchError):
    """A construct of the bundle that no batch engine can compute exactly.

    The message names the rule or fact and the construct; the batch replay refuses the
    bundle (or, when no engine was asked for by name, decides with the per-account engine
    and says so), never running a query that could differ from ``chronolex why``."""

    code = "batch-untranslatable"


class BatchEngineError(BatchError):
    """A batch engine could not run a plan: bad input it found, or no resources."""

    code = "batch-engine"
