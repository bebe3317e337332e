"""Facts given directly, without events (``chronolex evaluate --facts``, a service that
is handed the facts): a mapping of fact name to value, read from a file with the same
bounded YAML 1.2 reader as bundles, and each value coerced to its declared type.

A fact not given is what an empty history gives (``count`` 0, ``exists`` false, the
default, or unknown), and ``expr`` facts not given are computed from the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

from chronolex.bundle.yaml_source import DEFAULT_LIMITS, Limits, read_yaml
from chronolex.errors import ChronolexError, Span
from chronolex.evaluation.facts import FactValue, derive_facts
from chronolex.events.field_values import coerce
from chronolex.events.event import AccountHistory
from chronolex.lang import UNKNOWN
from chronolex.model import Bundle


def given_facts(bundle: Bundle, raw: Mapping[str, object], at: datetime,
                spans: Mapping[str, Span] | None = None) -> dict[str, FactValue]:
    """Fact values given directly, coerced to their declared types; raises
    :class:`~chronolex.errors.ChronolexError` (``unknown-fact``, ``bad-fact-value``) at the
    fact's position in ``spans`` when one is given."""
    zone = bundle.timezone
    spans = spans or {}
    given: dict[str, FactValue] = {}
    for name, value in sorted(raw.items()):
        fact = bundle.facts.get(name)
        if fact is None:
            raise ChronolexError.single("unknown-fact", f"unknown fact {name!r}", spans.get(name),
                                        "the facts are: " + ", ".join(sorted(bundle.facts)))
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        try:
            given[name] = FactValue(name, UNKNOWN if value is None else coerce(value, fact.type, zone))
        except ValueError as exc:
            raise ChronolexError.single("bad-fact-value", f"fact {name!r}: {exc}", spans.get(name),
                                        f"give a {fact.type} (null: unknown)") from None
    return derive_facts(bundle, AccountHistory("", ()), at, given=given)


def read_facts(path: str | Path, bundle: Bundle, at: datetime, *, limits: Limits = DEFAULT_LIMITS) -> dict[str, FactValue]:
    """The facts a JSON or YAML file gives (a mapping of fact name to value, null for
    unknown), read with the bounded YAML 1.2 reader: ``yes`` stays a string, a duplicate
    key is an error, and every error names the file, line and column."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ChronolexError.single("io-error", f"cannot read the facts: {exc.strerror or exc}", Span(file, 1, 1)) \
            from None
    document = read_yaml(file, raw, limits)
    if not isinstance(document.data, dict):
        raise ChronolexError.single("facts-not-a-mapping", "expected a mapping of fact name to value",
                                    document.source.span(()), "write one 'fact: value' a line")
    data = {str(k): v for k, v in document.data.items()}
    spans = {name: document.source.span((name,), key=True) for name in data}
    return given_facts(bundle, data, at, spans)
