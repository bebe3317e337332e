"""Rendering validation findings: text (gcc style), JSON, SARIF 2.1.0 and GitHub workflow commands.

Pure functions from findings to a string; the command decides where it goes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote
from typing import TYPE_CHECKING, Any

from chronolex import __version__
from chronolex import Diagnostic, Severity

if TYPE_CHECKING:
    from chronolex import ValidationResult

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

#: One line per stable code, used for SARIF rule metadata and the docs.
CODE_DESCRIPTIONS: Mapping[str, str] = {
    "bad-extends": "extends names an unknown version, forms a cycle, or remove names a rule the base lacks",
    "dead-rule": "a rule whose active interval or window lies outside the span its version is in force, "
                 "or whose condition can never hold (found by the solver)",
    "exemption-always-holds": "an unless that holds whenever when does, so the rule never restricts "
                              "(found by the solver)",
    "redundant-rule": "a rule that restricts only where another rule of the same category, actions and time "
                      "restricts too, so it never changes a decision (found by the solver)",
    "same-meaning": "a version that decides exactly as the version before it (found by the solver)",
    "duplicate-key": "a key appears twice in one YAML mapping",
    "duplicate-rule-id": "two rules of one version have the same id",
    "duplicate-version": "two version files have the same version id",
    "empty-window": "an interval whose end is not after its start",
    "encoding": "the file is not valid UTF-8",
    "enum-value": "a value outside its enumeration",
    "fact-cycle": "expr facts that depend on each other in a cycle",
    "file-too-large": "a file larger than the size limit",
    "forbidden-construct": "a condition uses syntax outside the language's whitelist",
    "invalid-date": "a date or date-time that cannot be read",
    "invalid-derive": "a derivation without exactly one aggregation",
    "invalid-duration": "a duration that is not ISO 8601",
    "invalid-fact": "a fact without exactly one of derive or expr",
    "invalid-rrule": "a schedule whose RRULE cannot be expanded",
    "invalid-locale": "a locale tag that is not BCP 47 (en, zh-CN)",
    "invalid-text": "a text that is neither a string nor a map from locale to string",
    "invalid-timezone": "a timezone that is not an IANA name",
    "invalid-type": "a fact type that is not one of the language's types",
    "io-error": "a file that cannot be read",
    "missing-actions": "a rule without actions",
    "missing-field": "a required field is missing",
    "missing-locale": "a rule text not written in a locale the bundle's other texts use",
    "missing-title-locale": "a category or action title not written in a locale the bundle's other texts use",
    "missing-source": "a regulation rule without a source citation",
    "never-in-force": "a version superseded before it starts",
    "no-versions": "a bundle without version files",
    "non-finite": "NaN or infinity in a file",
    "offset-mismatch": "an instant written with an offset that is not the bundle zone's then",
    "nonexistent-wall-time": "an instant written without an offset at a wall time a DST gap skips",
    "ambiguous-wall-time": "an instant written without an offset at a wall time a DST fold repeats",
    "overlapping-windows": "two one-off maintenance windows of one version overlap",
    "retroactive": "a version published after it took effect",
    "schema": "the file breaks its JSON Schema",
    "syntax": "a condition that does not parse",
    "too-complex": "a condition beyond the length or nesting limits",
    "type-mismatch": "an operation on values of the wrong type",
    "unknown-action": "a rule or a policy test case names an action the bundle does not declare",
    "unknown-category": "a rule names a category the bundle does not declare",
    "unknown-fact": "a condition names a fact the catalog does not declare",
    "unknown-field": "a key the schema does not allow",
    "unknown-function": "a condition calls a function outside the whitelist",
    "version-conflict": "two versions with the same effective_from and published_at",
    "window-and-schedule": "a rule with both a window and a schedule",
    "yaml-key": "a mapping key that is not a plain string",
    "yaml-limit": "a file beyond the nesting, alias or number limits",
    "yaml-syntax": "the file is not valid YAML",
    "yaml-tag": "a YAML tag other than the standard ones",
}


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` safe to write as UTF-8 to a terminal: bytes of a file name that are not
    UTF-8 (which Python keeps as lone surrogates) are shown as escapes instead of breaking
    the output, and control characters (a title or an event field holding ``ESC[31m``)
    are shown as ``\\x1b`` instead of reaching the reader's terminal."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def display_path(file: str, base: str | None = None) -> str:
    """``file`` relative to ``base`` (default: the working directory) when below it, with '/'."""
    return printable(_relative(file, base))


def _relative(file: str, base: str | None) -> str:
    base = base or os.getcwd()
    try:
        rel = os.path.relpath(file, base)
    except ValueError:
        return Path(file).as_posix()
    if rel.startswith(".."):
        return Path(file).as_posix()
    return Path(rel).as_posix()


def _summary(result: ValidationResult) -> dict[str, int]:
    return {
        "bundles": len(result.reports),
        "errors": result.count(Severity.ERROR),
        "warnings": result.count(Severity.WARNING),
        "infos": result.count(Severity.INFO),
    }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_text(result: ValidationResult, source_line: Callable[[str, int], str], strict: bool = False) -> str:
    """gcc-style findings with the source line and a caret, then a one-line summary."""
    lines: list[str] = []
    for d in result.diagnostics:
        lines.append(_text_head(d))
        if d.span is not None:
            text = source_line(d.span.file, d.span.line)
            if text:
                width = 1
                if d.span.end_line == d.span.line and d.span.end_column is not None:
                    width = max(1, d.span.end_column - d.span.column + 1)
                lines.append(f"  {d.span.line:>4} | {text}")
                lines.append("       | " + _caret_prefix(text, d.span.column) + "^" + "~" * (width - 1))
        if d.help:
            lines.append(f"       = help: {d.help}")
    s = _summary(result)
    verdict = "ok" if result.passed(strict=strict) else "failed"
    lines.append(
        f"{verdict}: {_plural(s['bundles'], 'bundle')} checked, {_plural(s['errors'], 'error')}, "
        f"{_plural(s['warnings'], 'warning')}, {_plural(s['infos'], 'info')}"
    )
    return "\n".join(lines) + "\n"


def _caret_prefix(text: str, column: int) -> str:
    """What goes before the caret: spaces, and the source's own tabs, so the caret lines up."""
    return "".join(ch if ch == "\t" else " " for ch in text[: max(column - 1, 0)])


def _text_head(d: Diagnostic) -> str:
    where = f"{display_path(d.span.file)}:{d.span.line}:{d.span.column}: " if d.span else ""
    return f"{where}{d.severity.value}[{d.code}]: {d.message}"


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    out: dict[str, Any] = {"code": d.code, "severity": d.severity.value, "message": d.message}
    if d.span is not None:
        out.update(file=display_path(d.span.file), line=d.span.line, column=d.span.column)
        if d.span.end_line is not None:
            out.update(end_line=d.span.end_line, end_column=d.span.end_column)
    out["help"] = d.help
    return out


def render_json(result: ValidationResult, strict: bool = False) -> str:
    document = {
        "passed": result.passed(strict=strict),
        "strict": strict,
        "summary": _summary(result),
        "diagnostics": [diagnostic_json(d) for d in result.diagnostics],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_sarif(result: ValidationResult, root: str | None = None) -> str:
    """A SARIF 2.1.0 log with one run; rules are the codes that occur, sorted. Paths are
    relative to ``root`` (``%SRCROOT%``: the repository root, where code scanning looks)."""
    codes = sorted({d.code for d in result.diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "name": "".join(part.capitalize() for part in code.split("-")),
            "shortDescription": {"text": CODE_DESCRIPTIONS.get(code, code)},
        }
        for code in codes
    ]
    results = []
    for d in result.diagnostics:
        entry: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message + (f" (help: {d.help})" if d.help else "")},
        }
        if d.span is not None:
            region: dict[str, int] = {"startLine": d.span.line, "startColumn": d.span.column}
            if d.span.end_line is not None and d.span.end_column is not None:
                region.update(endLine=d.span.end_line, endColumn=d.span.end_column + 1)
            entry["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": quote(display_path(d.span.file, root), safe="/"),
                                             "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    }
                }
            ]
        results.append(entry)
    log = {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "chronolex",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(result: ValidationResult, root: str | None = None) -> str:
    """GitHub Actions workflow commands: one ``::error file=…,line=…,col=…::…`` line per
    finding, the file relative to ``root`` (the repository root, where annotations are placed)."""
    lines = []
    for d in result.diagnostics:
        props: list[str] = []
        if d.span is not None:
            props += [f"file={_escape_property(display_path(d.span.file, root))}", f"line={d.span.line}", f"col={d.span.column}"]
            if d.span.end_line is not None:
                props += [f"endLine={d.span.end_line}", f"endColumn={d.span.end_column}"]
        props.append(f"title={_escape_property('chronolex ' + d.code)}")
        message = d.message + (f" (help: {d.help})" if d.help else "")
        lines.append(f"::{_GITHUB_COMMAND[d.severity]} {','.join(props)}::{_escape_data(message)}")
    s = _summary(result)
    lines.append(f"chronolex: {_plural(s['bundles'], 'bundle')}, {_plural(s['errors'], 'error')}, "
                 f"{_plural(s['warnings'], 'warning')}, {_plural(s['infos'], 'info')}")
    return "\n".join(lines) + "\n"


FORMATS = ("text", "json", "sarif", "github")


def render(result: ValidationResult, fmt: str, source_line: Callable[[str, int], str], strict: bool = False,
           root: str | None = None) -> str:
    """The report in ``fmt``; ``root`` is the directory SARIF and GitHub paths are relative to
    (default: the working directory), text and JSON stay relative to the working directory."""
    if fmt == "json":
        return render_json(result, strict)
    if fmt == "sarif":
        return render_sarif(result, root)
    if fmt == "github":
        return render_github(result, root)
    return render_text(result, source_line, strict)


def codes_table(codes: Sequence[str] | None = None) -> str:
    """A Markdown table of codes and their descriptions (for docs)."""
    rows = ["| code | meaning |", "|---|---|"]
    for code in codes or sorted(CODE_DESCRIPTIONS):
        rows.append(f"| `{code}` | {CODE_DESCRIPTIONS[code]} |")
    return "\n".join(rows) + "\n"
