"""The JSON Schemas (``schemas/``, installed as ``chronolex._schemas``) as validators, and their errors as positioned diagnostics.

The schemas are the single source of truth for the structure of every file: the loader
checks each document against its schema and never re-implements those checks by hand.
A schema may annotate a subschema with ``x-code`` (a stable finding code), ``x-message``
and ``x-hint``; errors raised by that subschema use them instead of the generic text.
"""

from __future__ import annotations

import difflib
import json
from decimal import Decimal
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from chronolex.errors import Diagnostic, Severity
from chronolex.bundle.yaml_source import Document

SCHEMA_NAMES = ("bundle", "version", "event", "test", "decision", "replay-row", "diff", "timeline", "service")


def _schema_text(name: str) -> str:
    """The schema file, found only as package data of ``chronolex._schemas`` (the
    repository's ``schemas/`` folder, installed under the package): never a ``schemas/``
    folder that happens to sit next to the package, which another distribution may own."""
    return resources.files("chronolex._schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8")


@cache
def schema(name: str) -> dict[str, Any]:
    """The schema called ``name`` (bundle, version, event, test or decision), parsed."""
    if name not in SCHEMA_NAMES:
        raise KeyError(name)
    loaded: dict[str, Any] = json.loads(_schema_text(name))
    return loaded


@cache
def validator(name: str) -> Draft202012Validator:
    """A compiled validator for the schema called ``name``."""
    return Draft202012Validator(schema(name))


#: What a value is called: in YAML's words (a bundle) or JSON's (an event record).
YAML_WORDS = {"list": "list", "mapping": "mapping"}
JSON_WORDS = {"list": "array", "mapping": "object"}


def value_kind(value: object, words: dict[str, str] = YAML_WORDS) -> str:
    """The kind of a parsed value, for a message ("expected a string, found number")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    return words["list"] if isinstance(value, list) else words["mapping"]


def _specific(error: ValidationError) -> ValidationError:
    """For oneOf/anyOf without an annotation of their own, the most relevant sub-error."""
    while error.context and not _annotated(error):
        error = best_match(error.context)
    return error


def _annotated(error: ValidationError) -> bool:
    return isinstance(error.schema, dict) and ("x-code" in error.schema or "x-message" in error.schema)


def schema_diagnostics(document: Document, name: str) -> Iterator[Diagnostic]:
    """Every way ``document`` breaks schema ``name``, positioned at the offending node.

    A value of the wrong type is reported once: other complaints about the same value
    (it also lacks keys an object would have) add nothing."""
    errors = [_specific(raw) for raw in validator(name).iter_errors(document.data)]
    mistyped = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    for error in errors:
        if error.validator != "type" and tuple(error.absolute_path) in mistyped:
            continue
        yield from _diagnostics(document, error)


def _diagnostics(document: Document, error: ValidationError) -> Iterator[Diagnostic]:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        sub = error.schema if isinstance(error.schema, dict) else {}
        known = list(sub.get("properties", {}))
        path = tuple(error.absolute_path)
        where = _describe(path)
        for name in sorted(k for k in error.instance if k not in known):
            close = difflib.get_close_matches(name, known, n=1)
            yield Diagnostic(
                "unknown-field",
                Severity.ERROR,
                f"unknown field '{name}'" + (f" in {where}" if where else ""),
                document.source.span((*path, name), key=True),
                f"did you mean `{close[0]}`?" if close else ("allowed: " + ", ".join(known) if known else None),
            )
        return
    yield _diagnostic(document, error)


def _diagnostic(document: Document, error: ValidationError) -> Diagnostic:
    source = document.source
    path = tuple(error.absolute_path)
    sub = error.schema if isinstance(error.schema, dict) else {}
    code = str(sub.get("x-code", "schema"))
    hint = sub.get("x-hint")
    message = sub.get("x-message")
    span = source.span(path)
    where = _describe(path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(sub.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in known)
        name = extra[0] if extra else "?"
        span = source.span((*path, name), key=True)
        close = difflib.get_close_matches(name, known, n=1)
        return Diagnostic(
            "unknown-field",
            Severity.ERROR,
            f"unknown field '{name}'" + (f" in {where}" if where else ""),
            span,
            f"did you mean `{close[0]}`?" if close else ("allowed: " + ", ".join(known) if known else None),
        )
    if error.validator == "required" and message is None:
        missing = str(error.message).split("'")[1] if "'" in error.message else str(error.validator_value)
        span = source.span(path, key=True) if path else source.span(path)
        return Diagnostic(
            "missing-field", Severity.ERROR, f"missing required field '{missing}'" + (f" in {where}" if where else ""),
            span, str(hint) if hint else None,
        )
    if error.validator == "not" and isinstance(error.instance, dict):
        forbidden = error.validator_value.get("required", []) if isinstance(error.validator_value, dict) else []
        present = [k for k in forbidden if k in error.instance]
        if present:
            span = source.span((*path, present[-1]), key=True)
    if error.validator == "dependentRequired" and isinstance(error.instance, dict):
        dependencies = error.validator_value if isinstance(error.validator_value, dict) else {}
        needing = [k for k, needs in dependencies.items() if k in error.instance
                   and any(n not in error.instance for n in needs)]
        if needing:
            span = source.span((*path, needing[0]), key=True)
    if "propertyNames" in error.absolute_schema_path:
        name = str(error.instance)
        reason = "it is a reserved word of the condition language" if error.validator == "not" else (
            message or "use lower-case letters, digits and '_'")
        return Diagnostic(
            "schema", Severity.ERROR, f"'{name}' cannot be used as a name here: {reason}",
            source.span((*path, name), key=True), "choose another name",
        )
    if message is None:
        if error.validator == "type":
            expected = error.validator_value
            expected_text = " or ".join(expected) if isinstance(expected, list) else str(expected)
            found = "nothing (an empty value)" if error.instance is None else (
                f"{value_kind(error.instance)} {json.dumps(error.instance)}")
            message = f"expected {expected_text}, found {found}"
        elif error.validator == "enum" and isinstance(error.validator_value, list):
            message = f"{json.dumps(error.instance)} is not one of " + ", ".join(
                json.dumps(v) for v in error.validator_value
            )
            close = difflib.get_close_matches(str(error.instance), [str(v) for v in error.validator_value], n=1)
            if close and not hint:
                hint = f"did you mean `{close[0]}`?"
        else:
            message = error.message
    elif error.validator in ("pattern", "type") and not isinstance(error.instance, (dict, list)):
        message = f"{message}: {json.dumps(error.instance)}"
    if where:
        message = f"{message} (at {where})"
    return Diagnostic(code, Severity.ERROR, str(message), span, str(hint) if hint else None)


def _describe(path: tuple[Any, ...]) -> str:
    """A JSON-path-like description: rules[2].when."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
