"""``chronolex versions`` and ``chronolex show``: a bundle's versions in time, and one resolved."""

from __future__ import annotations

import json

import click
import yaml

import chronolex
from chronolex.cli._common import emit, fail, load_reference, parse_time

# -- versions and show ----------------------------------------------------------------


@click.command()
@click.argument("bundle", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def versions(bundle: str | None, fmt: str) -> None:
    """List a bundle's versions: when each is in force, when it was published, and notes."""
    loaded, _ = load_reference(bundle)
    rows = chronolex.version_table(loaded)
    if fmt == "json":
        emit(json.dumps(chronolex.versions_document(loaded), indent=2, ensure_ascii=False) + "\n")
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


@click.command()
@click.argument("bundle", required=False)
@click.option("--version", "version_id", help="The version to show (or write BUNDLE@VERSION).")
@click.option("--at", "at", help="Show the version in force at this instant (ISO 8601; no offset: bundle timezone).")
@click.option("--as-known-at", "known_at", help="With --at: only versions published by this instant.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def show(bundle: str | None, version_id: str | None, at: str | None, known_at: str | None, fmt: str) -> None:
    """Print a version as a complete, resolved rule set (extends applied)."""
    loaded, from_reference = load_reference(bundle)
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
        chosen = chronolex.select_version(loaded.versions, instant, known)
        if chosen is None:
            zone = loaded.timezone
            fail(f"no policy in force at {chronolex.format_instant(instant, zone)}"
                 + (f" as known at {chronolex.format_instant(known, zone)}" if known else ""))
    else:
        fail("say which version: --version V, BUNDLE@VERSION or --at T")
    data = chronolex.snapshot(loaded, chosen)
    if fmt == "json":
        emit(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        emit(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))


