"""The static types of the condition language.

Facts are declared with one of these types in the bundle's catalog; the checker gives
every AST node one of them. ``ANY`` is the type of an event's own field in a ``where``
condition (events carry no schema of their own), and ``ERROR`` marks a node that
already failed to check, so one mistake is reported once.
"""

from __future__ import annotations

from dataclasses import dataclass

SCALAR_NAMES = ("int", "decimal", "bool", "string", "date", "datetime", "duration")


@dataclass(frozen=True, slots=True)
class Type:
    """A type: a scalar name, an enumeration of strings, or a list of an item type."""

    name: str
    values: tuple[str, ...] = ()
    item: Type | None = None

    def __str__(self) -> str:
        if self.name == "enum":
            return "enum[" + ", ".join(self.values) + "]"
        if self.name == "list":
            return f"list[{self.item}]"
        return self.name

    @property
    def is_numeric(self) -> bool:
        return self.name in ("int", "decimal")

    @property
    def is_textual(self) -> bool:
        return self.name in ("string", "enum")

    @property
    def is_temporal(self) -> bool:
        return self.name in ("date", "datetime")

    @property
    def is_open(self) -> bool:
        """True for ANY and ERROR, which the checker lets through to avoid cascades."""
        return self.name in ("any", "error")


INT = Type("int")
DECIMAL = Type("decimal")
BOOL = Type("bool")
STRING = Type("string")
DATE = Type("date")
DATETIME = Type("datetime")
DURATION = Type("duration")
ANY = Type("any")
ERROR = Type("error")


def enum_of(values: tuple[str, ...] | list[str]) -> Type:
    return Type("enum", tuple(values))


def list_of(item: Type) -> Type:
    return Type("list", item=item)


def scalar(name: str) -> Type:
    """The scalar type called ``name`` (one of :data:`SCALAR_NAMES`)."""
    if name not in SCALAR_NAMES:
        raise ValueError(f"unknown type {name!r}")
    return Type(name)


def comparable(a: Type, b: Type) -> bool:
    """Whether ``==`` between values of these types is meaningful."""
    if a.is_open or b.is_open:
        return True
    if a.is_numeric and b.is_numeric:
        return True
    if a.is_textual and b.is_textual:
        return True
    if a.is_temporal and b.is_temporal:
        return True
    if a.name == "list" and b.name == "list":
        return comparable(a.item or ANY, b.item or ANY)
    return a.name == b.name


def orderable(a: Type, b: Type) -> bool:
    """Whether ``<`` between values of these types is meaningful."""
    if a.is_open or b.is_open:
        return True
    return (a.is_numeric and b.is_numeric) or (a.is_temporal and b.is_temporal)


def assignable(value: Type, declared: Type) -> bool:
    """Whether an expression of type ``value`` may define a fact declared ``declared``."""
    if value.is_open:
        return True
    if declared.name == "decimal":
        return value.is_numeric
    if declared.name == "enum":
        return value.is_textual
    if declared.name == "datetime":
        return value.is_temporal
    return value.name == declared.name
