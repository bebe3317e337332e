"""Reading what a request names: instants in a bundle's zone, actions, locales, flags.

Each reader refuses what it cannot read with a 422 problem naming the field, never a
silent default; an instant moved out of a DST gap (or read in a fold) adds a note, as
the command line does, since the instant answered for is then not the one written.
"""

from __future__ import annotations

from datetime import datetime

from chronolex.errors import ChronolexError
from chronolex.explain.locales import LocaleChoice, choose_locale
from chronolex.instants import parse_instant, wall_time_note
from chronolex.model import Bundle
from chronolex.service.problems import Problem, from_error


def instant(text: object, bundle: Bundle, name: str, notes: list[str] | None = None) -> datetime:
    """The instant ``text`` names (ISO 8601; without an offset: wall time in the bundle's zone)."""
    if not isinstance(text, str) or not text:
        raise Problem(422, "bad-instant", f"{name}: expected an ISO 8601 instant as a string, e.g. "
                                          "2026-03-16T10:00:00+08:00", extra={"field": name})
    try:
        value = parse_instant(text, bundle.timezone)
        note = wall_time_note(text, bundle.timezone)
    except (ValueError, OverflowError) as exc:
        raise Problem(422, "bad-instant", f"{name}: {exc}", extra={"field": name}) from None
    if note is not None and notes is not None:
        notes.append(f"{name} {note}")
    return value


def action(bundle: Bundle, name: object, field: str = "action") -> str:
    """``name`` when it is one of the bundle's actions."""
    if not isinstance(name, str) or name not in bundle.actions:
        raise Problem(422, "unknown-action", f"{field}: {name!r} is not an action of {bundle.name} "
                                             f"(actions: {', '.join(bundle.actions)})", extra={"field": field})
    return name


def locale(bundle: Bundle, lang: str | None) -> LocaleChoice:
    """The locale of an answer: ``lang``, else the bundle's default."""
    try:
        return choose_locale(bundle, lang or None)
    except ChronolexError as error:
        raise from_error(error, extra={"field": "lang"}) from None


def flag(text: str | None, name: str) -> bool:
    """A boolean query parameter: true/false/1/0 (absent: false)."""
    if text is None:
        return False
    value = text.strip().lower()
    if value in ("true", "1", "yes", ""):
        return True
    if value in ("false", "0", "no"):
        return False
    raise Problem(422, "bad-parameter", f"{name}: expected true or false, not {text!r}", extra={"field": name})
