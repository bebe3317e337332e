"""``chronolex``: the command line. Each command parses its arguments, calls the engine
and renders what it gets back. Exit codes (DESIGN.md §7) are decided here only:
0 success, 1 findings, 2 bad usage or bad input.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

import click
import yaml

import engine
from cli import report

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2


class BadInput(click.ClickException):
    """Bad usage or input: one line on stderr, exit code 2, never a traceback."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file: Any = None) -> None:
        click.echo(f"chronolex: error: {self.format_message()}", err=True)


def fail(message: str) -> NoReturn:
    raise BadInput(message)


def _error_line(error: engine.ChronolexError) -> str:
    first = error.diagnostics[0] if error.diagnostics else None
    if first is None:
        return str(error)
    where = f"{report.display_path(first.span.file)}:{first.span.line}:{first.span.column}: " if first.span else ""
    more = 0
    for other in error.diagnostics[1:]:  # a capped list ends with "N more problems not listed"
        counted = other.message.split(" ", 1)[0] if other.code == "too-many-errors" else ""
        more += int(counted) if counted.isdigit() else 1
    tail = f" (and {more} more)" if more else ""
    hint = f" (help: {first.help})" if first.help else ""
    return f"{where}{first.code}: {first.message}{hint}{tail}"


class _Group(click.Group):
    """Turns the engine's one error type into a one-line message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except engine.ChronolexError as error:
            raise BadInput(_error_line(error)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(engine.__version__, prog_name="chronolex")
def cli() -> None:
    """Policy-as-code for restrictions that change over time: validate, explain, replay and diff."""


# -- shared helpers -------------------------------------------------------------------


_MAX_SOURCE_BYTES = 10 * 1024 * 1024  # a file larger than this was refused; its lines are not shown


@lru_cache(maxsize=64)
def _file_lines(file: str) -> tuple[str, ...]:
    try:
        with open(file, "rb") as handle:
            raw = handle.read(_MAX_SOURCE_BYTES + 1)
    except OSError:
        return ()
    if len(raw) > _MAX_SOURCE_BYTES:
        return ()
    return tuple(raw.decode("utf-8-sig", errors="replace").splitlines())


def source_line(file: str, line: int) -> str:
    lines = _file_lines(file)
    return lines[line - 1] if 1 <= line <= len(lines) else ""


def resolve_bundle(reference: str | None) -> tuple[Path, str | None]:
    """A bundle directory and an optional version from ``PATH[@VERSION]`` or a bundle name.

    No reference: ``CHRONOLEX_BUNDLE``, else the only bundle under ``./policies``.
    """
    if not reference:
        reference = os.environ.get("CHRONOLEX_BUNDLE")
    if not reference:
        found = engine.find_bundles(["policies"]) if Path("policies").is_dir() else ()
        if len(found) == 1:
            return found[0], None
        if not found:
            fail("no bundle given and none found under ./policies (pass a bundle path or set CHRONOLEX_BUNDLE)")
        fail("several bundles under ./policies; choose one: " + ", ".join(p.as_posix() for p in found))
    path_text, _, version = reference.partition("@") if "@" in reference else (reference, "", "")
    path = Path(path_text)
    if not (path / "bundle.yaml").is_file() and (Path("policies") / path_text / "bundle.yaml").is_file():
        path = Path("policies") / path_text
    if path.is_file() and path.name == "bundle.yaml":
        path = path.parent
    if not (path / "bundle.yaml").is_file():
        fail(f"{path_text}: not a bundle (no bundle.yaml there)")
    return path, version or None


def parse_time(text: str, bundle: engine.Bundle, option: str) -> datetime:
    try:
        return engine.parse_instant(text, bundle.timezone)
    except ValueError as exc:
        fail(f"{option}: {exc}")


def emit(text: str) -> None:
    sys.stdout.write(report.printable(text))


# -- validate -------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="text", show_default=True,
              help="text: gcc style; json; sarif: SARIF 2.1.0; github: workflow commands.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings as well as errors.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to this file.")
def validate(paths: Sequence[str], fmt: str, strict: bool, output: str | None) -> None:
    """Check policy bundles: YAML, schema, conditions, versions and time.

    PATHS are bundle directories, files inside bundles, or directories with bundles
    below them (default: ./policies, else the current directory). Exit 0 when clean,
    1 when there are errors (or warnings with --strict), 2 for bad usage.
    """
    targets = list(paths) or (["policies"] if Path("policies").is_dir() else ["."])
    result = engine.validate(targets)
    text = report.render(result, fmt, source_line, strict)
    if output:
        _write_atomically(Path(output), text)
    else:
        emit(text)
    sys.exit(EXIT_OK if result.passed(strict=strict) else EXIT_FINDINGS)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(report.printable(text), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        fail(f"cannot write {path}: {exc.strerror or exc}")


# -- versions and show ----------------------------------------------------------------


def _load(reference: str | None) -> tuple[engine.Bundle, str | None]:
    path, version = resolve_bundle(reference)
    return engine.load_bundle(path), version


@cli.command()
@click.argument("bundle", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def versions(bundle: str | None, fmt: str) -> None:
    """List a bundle's versions: when each is in force, when it was published, and notes."""
    loaded, _ = _load(bundle)
    rows = version_rows(loaded)
    if fmt == "json":
        emit(json.dumps({"bundle": loaded.name, "timezone": loaded.timezone.key, "versions": rows},
                        indent=2, ensure_ascii=False) + "\n")
        return
    headers = ["version", "in force from", "until", "published", "notes"]
    table = [[r["version"], r["in_force_from"] or "never", r["in_force_until"] or "…", r["published_at"],
              ", ".join(r["notes"])] for r in rows]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    lines = [f"{loaded.name} ({loaded.title or loaded.name}), times in {loaded.timezone.key}"]
    lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    emit("\n".join(lines) + "\n")


def version_rows(bundle: engine.Bundle) -> list[dict[str, Any]]:
    spans = {s.version.id: s for s in engine.in_force_spans(bundle.versions)}
    zone = bundle.timezone
    rows = []
    for v in bundle.versions:
        span = spans.get(v.id)
        notes = []
        if v.retroactive:
            notes.append("retroactive")
        if span is None:
            rival = engine.superseding(bundle.versions, v)
            if rival is not None and v.effective_from < rival.published_at:
                notes.append(f"superseded by {rival.id} from {rival.published_at.astimezone(zone).isoformat()}")
            else:
                notes.append("never in force")
        if v.extends:
            notes.append(f"extends {v.extends}")
        rows.append({
            "version": v.id,
            "effective_from": v.effective_from.astimezone(zone).isoformat(),
            "in_force_from": span.start.astimezone(zone).isoformat() if span else None,
            "in_force_until": span.end.astimezone(zone).isoformat() if span and span.end else None,
            "published_at": v.published_at.astimezone(zone).isoformat(),
            "retroactive": v.retroactive,
            "rules": len(v.rules),
            "summary": v.summary,
            "notes": notes,
        })
    return rows


@cli.command()
@click.argument("bundle", required=False)
@click.option("--version", "version_id", help="The version to show (or write BUNDLE@VERSION).")
@click.option("--at", "at", help="Show the version in force at this instant (ISO 8601; no offset: bundle timezone).")
@click.option("--as-known-at", "known_at", help="With --at: only versions published by this instant.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def show(bundle: str | None, version_id: str | None, at: str | None, known_at: str | None, fmt: str) -> None:
    """Print a version as a complete, resolved rule set (extends applied)."""
    loaded, from_reference = _load(bundle)
    version_id = version_id or from_reference
    if version_id and at:
        fail("give either --version (or BUNDLE@VERSION) or --at, not both")
    if known_at and not at:
        fail("--as-known-at needs --at")
    if version_id:
        chosen = loaded.version(version_id)
        if chosen is None:
            fail(f"{loaded.name} has no version {version_id!r} (versions: {', '.join(v.id for v in loaded.versions)})")
    elif at:
        instant = parse_time(at, loaded, "--at")
        known = parse_time(known_at, loaded, "--as-known-at") if known_at else None
        chosen = engine.select_version(loaded.versions, instant, known)
        if chosen is None:
            zone = loaded.timezone
            fail(f"no policy in force at {engine.format_instant(instant, zone)}"
                 + (f" as known at {engine.format_instant(known, zone)}" if known else ""))
    else:
        fail("say which version: --version V, BUNDLE@VERSION or --at T")
    data = engine.snapshot(loaded, chosen)
    if fmt == "json":
        emit(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        emit(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))


# The commands of other modules register themselves on ``cli`` when imported.
from cli import replay as _replay  # noqa: E402,F401
from cli.ingest import ingest as _ingest  # noqa: E402
from cli import diff as _diff  # noqa: E402,F401
from cli import policytest as _policytest  # noqa: E402,F401

cli.add_command(_ingest)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="chronolex")


if __name__ == "__main__":  # pragma: no cover
    main()
