"""Findings and errors as data.

Every problem the engine finds is a :class:`Diagnostic`: a stable code, a severity,
a message, the source span it is about and, where one can be offered, a hint. Checks
*yield* diagnostics; only the API edge raises, and then it raises one
:class:`ChronolexError` that carries them all.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A region of a source file: 1-based line and column, end inclusive of the last character."""

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Severity(enum.Enum):
    """How bad a finding is. ``ERROR`` makes validation fail; ``WARNING`` fails under --strict."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding, with where it is and, if possible, how to fix it.

    >>> d = Diagnostic("unknown-fact", Severity.ERROR, "unknown fact 'risk'", Span("b.yaml", 3, 9))
    >>> str(d)
    "b.yaml:3:9: error[unknown-fact]: unknown fact 'risk'"
    """

    code: str
    severity: Severity
    message: str
    span: Span | None = None
    help: str | None = None
    related: tuple[Span, ...] = field(default=())

    def __str__(self) -> str:
        where = f"{self.span}: " if self.span else ""
        return f"{where}{self.severity.value}[{self.code}]: {self.message}"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order by file, line, column, then code and message (deterministic output)."""
        if self.span is None:
            return ("", 0, 0, self.code, self.message)
        return (self.span.file, self.span.line, self.span.column, self.code, self.message)


def sort_diagnostics(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> tuple[Diagnostic, ...]:
    """Sorted and de-duplicated: the same finding reported twice is shown once."""
    seen: set[tuple[object, ...]] = set()
    unique: list[Diagnostic] = []
    for d in diagnostics:
        key = (d.code, d.severity, d.message, d.span, d.help)
        if key not in seen:
            seen.add(key)
            unique.append(d)
    return tuple(sorted(unique, key=Diagnostic.sort_key))


class ChronolexError(Exception):
    """The one exception the engine raises: it carries every diagnostic that caused it.

    ``omitted`` counts the problems left out of a capped list (a file with ten thousand
    bad lines reports the first hundred): a caller says "and N more" from it, never by
    reading a message back. Every other exception of the engine derives from this one.
    """

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...], omitted: int = 0) -> None:
        self.diagnostics = sort_diagnostics(diagnostics)
        self.omitted = omitted
        first = self.diagnostics[0] if self.diagnostics else None
        super().__init__(str(first) if first else "chronolex error")

    @property
    def others(self) -> int:
        """How many problems there are besides the first (listed or omitted)."""
        listed = sum(1 for d in self.diagnostics[1:] if d.code != TOO_MANY)
        return listed + self.omitted

    @classmethod
    def single(cls, code: str, message: str, span: Span | None = None, help: str | None = None) -> ChronolexError:
        return cls([Diagnostic(code, Severity.ERROR, message, span, help)])


#: The code of the marker that ends a capped list of diagnostics ("N more problems not listed").
TOO_MANY = "too-many-errors"

#: At most this many problems of one input are listed; the rest are counted.
MAX_REPORTED = 50


def clip(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters, so that one bad value cannot make a message megabytes long.

    >>> clip("x" * 70)[-3:], len(clip("x" * 70))
    ('xx…', 60)
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


class EvaluationError(ChronolexError):
    """A condition failed at run time (division by zero, a field of the wrong type).

    Raised inside evaluation and caught there: a rule that fails is reported as such in
    its outcome, never as a crash."""

    def __init__(self, message: str) -> None:
        super().__init__([Diagnostic("evaluation-error", Severity.ERROR, message)])
        self.args = (message,)
