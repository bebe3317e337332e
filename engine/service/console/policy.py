"""The policy page: a bundle's versions, and the diff between two of them as a page.

The diff is the report ``chronolex diff --format markdown`` writes
(:func:`~chronolex.diff.report.diff_markdown`, without its HTML sections), rendered by
markdown-it with HTML refused, so nothing a bundle says (a rule title, a message) can
become markup. With an event store loaded, every account is decided under both
versions at one instant and the affected accounts are counted, as ``diff --accounts``
does. The solver's part of a diff costs most of a second and depends only on the two
versions, so the last few are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markdown_it import MarkdownIt

from chronolex.diff.batch_impact import BatchImpact
from chronolex.diff.impact import Impact, impact
from chronolex.diff.policy_diff import PolicyDiff, diff_document
from chronolex.diff.report import diff_markdown
from chronolex.diff.sides import Side
from chronolex.errors import ChronolexError
from chronolex.events.event import EventSource
from chronolex.model import Bundle, Version
from chronolex.service.kept import Kept

@dataclass(frozen=True, slots=True)
class DiffPage:
    """What the page shows of a diff: the HTML of its report, and the impact when replayed."""

    old: Version
    new: Version
    html: str
    impact: Impact | None
    notes: tuple[str, ...] = ()


def markdown_html(text: str) -> str:
    """Markdown as HTML, with raw HTML refused (shown as text) and tables on."""
    return str(MarkdownIt("commonmark", {"html": False}).enable("table").render(text))


def side(bundle: Bundle, version: Version) -> Side:
    return Side(f"{bundle.name}@{version.id}", bundle, version)


def accounts_impact(bundle: Bundle, old: Version, new: Version, source: EventSource, at: datetime,
                    notes: list[str]) -> Impact:
    """Every account of ``source`` decided at ``at`` under both versions: by the batch
    engine when both have a plan, else account by account (with a note)."""
    try:
        batch = BatchImpact(side(bundle, old), side(bundle, new), at)
    except ChronolexError as error:
        if not all(d.code.startswith("batch") for d in error.diagnostics):
            raise
        notes.append(f"accounts decided one by one (slower): {error.diagnostics[0].message}")
        return impact(side(bundle, old), side(bundle, new), source, at)
    return batch.run(source)


def diff_page(kept: Kept, bundle: Bundle, old: Version, new: Version, source: EventSource | None,
              at: datetime) -> DiffPage:
    """The diff of ``old`` and ``new`` as a page, with the impact at ``at`` when ``source`` is given."""
    result = kept.diff(side(bundle, old), side(bundle, new))
    notes: list[str] = []
    replayed: Impact | None = None
    if source is not None:
        replayed = accounts_impact(bundle, old, new, source, at, notes)
        result = PolicyDiff(result.old, result.new, result.structural, result.semantic, replayed)
    document: dict[str, Any] = diff_document([result])
    return DiffPage(old, new, markdown_html(diff_markdown(document, collapsible=False)), replayed, tuple(notes))
