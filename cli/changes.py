"""``replay --changed-since VERSION``: the accounts a version decides otherwise than the
version in force, as JSON Lines, with a one-line summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

import chronolex
from chronolex.cli._common import fail, output_stream, writes_to_stdout


def replay_changed_since(bundle: chronolex.Bundle, since_id: str, source: Any, at: datetime,
                         known_at: datetime | None, actions: Sequence[str], output: str | None,
                         notes: Sequence[str]) -> None:
    """Write one line per account × action whose decision (or its categories or rules)
    differs between ``since_id`` and the version in force at (``at``, ``known_at``)."""
    since = next((v for v in bundle.versions if v.id == since_id), None)
    if since is None:
        fail(f"--changed-since {since_id}: bundle {bundle.name} has no such version "
             f"(versions: {', '.join(v.id for v in bundle.versions)})")
    assert since is not None
    in_force = chronolex.select_version(bundle.versions, at, known_at)
    rows = chronolex.changed_since(bundle, since, source, at, known_at, actions).to_pylist()
    with output_stream(output) as out:
        for row in rows:
            out.write(json.dumps({"account": row["account"], "action": row["action"], "change": row["kind"],
                                  "old_decision": row["old_decision"], "new_decision": row["new_decision"],
                                  "old_blocked_by": row["old_blocked_by"], "new_blocked_by": row["new_blocked_by"],
                                  "newly_restricting": row["gained"], "no_longer_restricting": row["lost"]},
                                 ensure_ascii=False) + "\n")
    accounts = len({row["account"] for row in rows})
    summary = (f"{accounts} account(s), {len(rows)} account × action row(s) decided otherwise by {since.id} than by "
               f"{in_force.id if in_force else 'no version'} (in force at the instant)\n")
    summary += "".join(f"note: {note}\n" for note in notes)
    click.echo(summary, err=writes_to_stdout(output), nl=False)
