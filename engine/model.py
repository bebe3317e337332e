"""The policy model: what a bundle and its versions mean once loaded.

Immutable: frozen dataclasses, tuples and read-only mappings. Every object that came
from a file carries the :class:`~chronolex.errors.Span` it came from; spans never take
part in equality, so the same rule written in two places is the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from chronolex.errors import Span
from chronolex.lang import CompiledExpr
from chronolex.lang.types import Type
from chronolex.instants import Duration

BUILTIN_CATEGORIES: Mapping[str, tuple[int, str]] = MappingProxyType(
    {
        "regulation": (1, "Regulation"),
        "platform": (2, "Platform strategy"),
        "maintenance": (3, "Maintenance window"),
    }
)

AGGREGATIONS = ("latest", "first", "count", "sum", "min", "max", "exists", "days_since")

#: What an aggregation yields, given the type of the field it folds (None: it takes no field).
AGGREGATION_RESULT = {
    "latest": "field",
    "first": "field",
    "sum": "field",
    "min": "field",
    "max": "field",
    "count": "int",
    "exists": "bool",
    "days_since": "int",
}


def field_fits(field_type: Type, fact_type: Type) -> bool:
    """Whether every value of an event field of ``field_type`` is a value of a fact of
    ``fact_type`` (what ``latest``, ``first``, ``sum``, ``min`` and ``max`` copy across).

    >>> from chronolex.lang.types import INT, DECIMAL, STRING, Type
    >>> field_fits(INT, DECIMAL), field_fits(DECIMAL, INT), field_fits(Type("enum", ("a",)), STRING)
    (True, False, True)
    """
    if field_type == fact_type:
        return True
    if field_type.name == "int" and fact_type.name == "decimal":
        return True
    if field_type.name == "enum":
        return fact_type.name == "string" or (fact_type.name == "enum" and set(field_type.values) <= set(fact_type.values))
    return False


def frozen_map(items: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(items or {}))


#: The locale of a text written as a plain string in a bundle with no ``default_locale``.
DEFAULT_LOCALE = "en"

#: A text in several languages, by locale (``{"en": …, "zh-CN": …}``); a plain string in a
#: file is the text in the bundle's default locale.
Localized = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    precedence: int
    title: str
    #: ``title`` by locale when the bundle gives it in several languages.
    titles: Localized = field(default_factory=frozen_map, hash=False)
    span: Span | None = field(default=None, compare=False)

    def title_in(self, locale: str) -> str:
        return self.titles.get(locale, self.title)


@dataclass(frozen=True, slots=True)
class Derivation:
    """How a fact folds the account's events: ``aggregation`` over ``event_type[.field]``."""

    aggregation: str
    event_type: str
    field: str | None = None
    window: Duration | None = None
    where: CompiledExpr | None = None
    default: object = None
    has_default: bool = False
    #: The declared fields of ``event_type`` when the bundle has an event catalog: a
    #: ``where`` then reads each field as a value of its declared type.
    where_fields: Mapping[str, Type] | None = dataclasses.field(default=None, compare=False)

    @property
    def always_known(self) -> bool:
        """Whether the fact has a value even over no event: ``count`` (0), ``exists``
        (false), or a declared default. Every other derived fact may be unknown."""
        return self.aggregation in ("count", "exists") or self.has_default


@dataclass(frozen=True, slots=True)
class EventType:
    """A declared event type of the bundle's event catalog: the fields its events may carry.

    The catalog is what lets chronolex tell a misspelt event type or field from one that
    simply did not happen: without it, ``count: login_faild`` counts nothing and a block
    silently becomes an allow."""

    name: str
    fields: Mapping[str, Type]
    title: str | None = None
    description: str | None = None
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Fact:
    """A typed fact of the catalog: derived from events, or computed by an expression."""

    name: str
    type: Type
    derive: Derivation | None = None
    expr: CompiledExpr | None = None
    title: str | None = None
    description: str | None = None
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Interval:
    """Half-open ``[start, end)``; a missing bound is open-ended."""

    start: datetime | None
    end: datetime | None
    span: Span | None = field(default=None, compare=False)

    def contains(self, instant: datetime) -> bool:
        return (self.start is None or self.start <= instant) and (self.end is None or instant < self.end)

    def overlaps(self, other: Interval) -> bool:
        starts_before_other_ends = self.start is None or other.end is None or self.start < other.end
        ends_after_other_starts = self.end is None or other.start is None or other.start < self.end
        return starts_before_other_ends and ends_after_other_starts


@dataclass(frozen=True, slots=True)
class Schedule:
    """A recurring window: an RRULE expanded in the bundle timezone from ``start``, each
    occurrence lasting ``duration`` of elapsed time."""

    rrule: str
    duration: Duration
    start: datetime
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Source:
    """Citation of the text a rule implements."""

    authority: str
    document: str
    clause: str | None = None
    url: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The citation as written in a version file (absent parts left out)."""
        out = {"authority": self.authority, "document": self.document}
        if self.clause:
            out["clause"] = self.clause
        if self.url:
            out["url"] = self.url
        return out


@dataclass(frozen=True, slots=True)
class Rule:
    """A restriction of ``actions`` while its interval, window, ``when`` and not ``unless`` hold."""

    id: str
    category: str
    actions: tuple[str, ...]
    title: str | None = None
    description: str | None = None
    when: CompiledExpr | None = None
    unless: CompiledExpr | None = None
    on_unknown: str = "undetermined"
    active: Interval | None = None
    window: Interval | None = None
    schedule: Schedule | None = None
    source: Source | None = None
    message: str | None = None
    remedy: str | None = None
    declared_in: str | None = None
    #: ``title``, ``message``, ``remedy`` and ``because`` (a clause completing "blocked …
    #: because …" in the plain-language answer) by locale, then by field, for every locale
    #: the rule's texts are written in. The plain fields above hold the bundle's default
    #: locale, so a reader that knows one language keeps working.
    texts: Mapping[str, Localized] = field(default_factory=frozen_map, hash=False)
    span: Span | None = field(default=None, compare=False)

    def text(self, name: str, locale: str) -> str | None:
        """``title``, ``message``, ``remedy`` or ``because`` in ``locale``, else in the
        default locale."""
        default = getattr(self, name) if name in ("title", "message", "remedy") else None
        assert default is None or isinstance(default, str)
        fields = self.texts.get(locale)
        return fields.get(name, default) if fields else default

    @property
    def locales(self) -> frozenset[str]:
        """The locales this rule's texts are written in."""
        return frozenset(self.texts)


@dataclass(frozen=True, slots=True)
class Version:
    """A policy version resolved to a complete snapshot of rules (``extends`` already applied)."""

    id: str
    effective_from: datetime
    published_at: datetime
    rules: tuple[Rule, ...]
    summary: str | None = None
    description: str | None = None
    extends: str | None = None
    removed: tuple[str, ...] = ()
    file: str | None = None
    span: Span | None = field(default=None, compare=False)

    @property
    def retroactive(self) -> bool:
        return self.published_at > self.effective_from

    def rule(self, rule_id: str) -> Rule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None


@dataclass(frozen=True, slots=True)
class Bundle:
    """A loaded policy bundle: identity, timezone, actions, categories, facts and versions.

    ``versions`` are sorted by effective_from, then published_at, then id.
    """

    name: str
    timezone: ZoneInfo
    actions: tuple[str, ...]
    categories: Mapping[str, Category]
    facts: Mapping[str, Fact]
    versions: tuple[Version, ...]
    title: str | None = None
    description: str | None = None
    root: str | None = None
    #: The event catalog (``events`` in bundle.yaml); None when the bundle declares none,
    #: and then events are not checked.
    events: Mapping[str, EventType] | None = None
    #: The locale of texts written as plain strings, and of answers when none is asked for.
    default_locale: str = DEFAULT_LOCALE
    #: How the plain-language answer names each action, by action then locale
    #: (``open: {en: Opening Huabei, zh-CN: 开通花呗}``).
    action_titles: Mapping[str, Localized] = field(default_factory=frozen_map, hash=False)
    span: Span | None = field(default=None, compare=False)

    @property
    def locales(self) -> tuple[str, ...]:
        """Every locale the bundle's texts are written in, the default first."""
        found = {self.default_locale}
        for version in self.versions:
            for rule in version.rules:
                found |= rule.locales
        for category in self.categories.values():
            found |= set(category.titles)
        for titles in self.action_titles.values():
            found |= set(titles)
        return (self.default_locale, *sorted(found - {self.default_locale}))

    def version(self, version_id: str) -> Version | None:
        for version in self.versions:
            if version.id == version_id:
                return version
        return None

    @property
    def catalog(self) -> Mapping[str, Type]:
        return {name: fact.type for name, fact in self.facts.items()}
