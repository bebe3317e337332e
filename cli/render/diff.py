"""Diffs as text for a terminal and as Markdown for a pull-request comment.

Both read the JSON form of :class:`chronolex.diff.policy_diff.PolicyDiff` (one source of truth, so the
three formats cannot disagree): the structural changes first, then the meaning per
action, then accounts and the decision log when they were replayed.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

KIND_TITLES = {
    "newly-blocked": "newly blocked",
    "unblocked": "no longer blocked",
    "category-changed": "blocked for another reason",
    "decision-changed": "decision changed",
    "undecided": "undecided",
}


def _when(finding: dict[str, Any]) -> str:
    if finding.get("scheduled"):
        prefix = "while its schedule runs"
        if finding["always"]:
            return prefix
        return prefix + ", " + _when({**finding, "scheduled": False})
    if finding["always"]:
        return "at every instant"
    spans = finding["spans"]
    shown = ", ".join(f"{s['start']} – {s['end'] or 'open end'}" for s in spans[:3])
    more = len(spans) - 3
    return f"during {shown}" + (f" and {more} more span{'s' if more > 1 else ''}" if more > 0 else "")


def _outcome(outcome: dict[str, Any] | None) -> str:
    if outcome is None:
        return "?"
    text = outcome["decision"]
    if outcome["blocked_by"]:
        text += " (" + ", ".join(outcome["blocked_by"]) + ")"
    return str(text)


def _witness(finding: dict[str, Any]) -> str | None:
    witness = finding.get("witness")
    if not witness:
        return None
    matters = witness.get("matters")
    shown = {k: v for k, v in witness["facts"].items() if matters is None or k in matters}
    facts = ", ".join(f"{k}={'unknown' if v is None else json.dumps(v, ensure_ascii=False)}" for k, v in shown.items())
    if matters is None or set(matters) == set(witness["facts"]):
        return f"at {witness['at']} with {facts or 'no facts'}"
    # the facts left out do not change how the finding's rules stand; the decisions shown
    # are the evaluator's for an account that nothing else decides
    if not facts:
        return f"at {witness['at']}, for any facts where nothing else decides it"
    return f"at {witness['at']} with {facts}, other facts where nothing else decides it"


def _headline(finding: dict[str, Any]) -> str:
    title = KIND_TITLES[finding["kind"]]
    rules = ", ".join(finding["rules"])
    if finding["kind"] in ("newly-blocked", "unblocked") and rules:
        return f"{title} by {rules}"
    text = title + (f" ({rules})" if rules else "")
    old, new = finding.get("old"), finding.get("new")
    if finding["kind"] == "category-changed" and old and new:  # what the kind is about: the leading category
        return f"{text}: {old['blocked_by'][0]} → {new['blocked_by'][0]}"
    if finding["kind"] == "decision-changed" and old and new:
        return f"{text}: {old['decision']} → {new['decision']}"
    return text


def _finding_lines(finding: dict[str, Any], old_label: str, new_label: str) -> list[str]:
    lines = [f"{_headline(finding)}, {_when(finding)}"]
    if finding["region"]:
        lines.append("  where " + ", ".join(finding["region"]))
    if finding["context"]:
        lines.append("  and nothing else decides it: " + ", ".join(finding["context"]))
    example = _witness(finding)
    if example:
        lines.append(f"  e.g. {example}")
        lines.append(f"       {old_label}: {_outcome(finding['old'])} → {new_label}: {_outcome(finding['new'])}")
    if finding.get("reason"):
        lines.append(f"  {finding['reason']}")
    return lines


def render_text(document: dict[str, Any]) -> str:
    out: list[str] = []
    for diff in document["diffs"]:
        old, new = diff["old"]["label"], diff["new"]["label"]
        out.append(f"diff {old} → {new}")
        changes = diff["structural"]
        count = len(_change_texts(changes))
        out.append(f"Text: {count} change{'s' if count != 1 else ''}" if changes else "Text: no change")
        for text in _change_texts(changes):
            out.append(f"  {text}")
        semantic = diff["semantic"]
        if semantic is None:
            out.append("Meaning: not compared (--no-semantic)")
        else:
            out.append("Meaning: " + _meaning_summary(semantic))
            for note in semantic["notes"]:
                out.append(f"  note: {note}")
            for action in semantic["actions"]:
                if not action["findings"]:
                    continue
                out.append(f"  {action['action']}: {action['status']}")
                for finding in action["findings"]:
                    lines = _finding_lines(finding, *_side_names(diff))
                    out.append(f"    - {lines[0]}")
                    out.extend(f"      {line}" for line in lines[1:])
        if "impact" in diff:
            out.extend(_impact_lines(diff["impact"]))
        if "decision_log" in diff:
            out.extend(_log_lines(diff["decision_log"]))
        out.append("")
    return "\n".join(out)


def _meaning_summary(semantic: dict[str, Any]) -> str:
    changed = [a["action"] for a in semantic["actions"] if a["status"] == "changed"]
    undecided = [a["action"] for a in semantic["actions"] if a["status"] == "undecided"]
    if not changed and not undecided:
        return "no change (proved: no fact values and no instant decide differently)"
    parts = []
    if changed:
        parts.append("changed for " + ", ".join(changed))
    if undecided:
        parts.append("undecided for " + ", ".join(undecided))
    return "; ".join(parts)


def _impact_lines(impact: dict[str, Any]) -> list[str]:
    lines = [f"Accounts at {impact['at']}: {impact['accounts']} replayed, {impact['affected_count']} affected"]
    for action in impact["actions"]:
        flips = action["flips"]
        counts = ", ".join(f"{kind} {entry['count']}" for kind, entry in flips.items() if entry["count"])
        lines.append(f"  {action['action']}: {counts or 'no flips'}")
        for kind, entry in flips.items():
            if entry["count"]:
                lines.append(f"    {kind}: e.g. " + ", ".join(entry["examples"]))
        for rule in action["rules"]:
            gained, lost = rule["newly_restricts"], rule["no_longer_restricts"]
            if gained["count"] or lost["count"]:
                lines.append(f"    rule {rule['rule']} ({rule['category']}): newly restricts {gained['count']}, "
                             f"no longer restricts {lost['count']}")
    return lines


def _log_lines(log: dict[str, Any]) -> list[str]:
    lines = [f"Decision log: {log['records']} recorded decisions replayed under {log['new']['label']}, "
             f"{log['differing_count']} would now differ"]
    for record in log["differing"][:50]:
        recorded, now = record["recorded"], record["now"]
        where = f"record {record['seq']}" if record.get("seq") is not None else f"line {record['line']}"
        lines.append(f"  {where}: {record['account']} {record['action']} at {record['at']}: "
                     f"{recorded['decision']} ({recorded['version']}) → {now['decision']} ({now['version']})")
        lines.extend(f"    {sentence}" for sentence in record["because"])
    if len(log["differing"]) > 50:
        lines.append(f"  … and {len(log['differing']) - 50} more (see --format json)")
    return lines


def render_markdown(document: dict[str, Any]) -> str:
    out: list[str] = ["## chronolex diff", ""]
    out.append("| OLD | NEW | text changes | meaning | newly blocked | no longer blocked | other reason | undecided |")
    out.append("|---|---|---:|---|---:|---:|---:|---:|")
    for diff in document["diffs"]:
        counts: Counter[str] = Counter()
        semantic = diff["semantic"]
        for action in (semantic or {}).get("actions", []):
            counts.update(f["kind"] for f in action["findings"])
        meaning = "not compared" if semantic is None else (
            "changed" if semantic["changed"] else ("undecided" if semantic["undecided"] else "unchanged"))
        out.append(
            f"| `{diff['old']['label']}` | `{diff['new']['label']}` | {len(_change_texts(diff['structural']))} | {meaning} | "
            f"{counts['newly-blocked']} | {counts['unblocked']} | {counts['category-changed']} | {counts['undecided']} |"
        )
    out.append("")
    for diff in document["diffs"]:
        old, new = diff["old"]["label"], diff["new"]["label"]
        if diff["structural"]:
            out += _details(f"Text changes: <code>{old}</code> → <code>{new}</code> "
                            f"({len(_change_texts(diff['structural']))})",
                            [f"- {_md(text)}" for text in _change_texts(diff["structural"])])
        for action in (diff["semantic"] or {}).get("actions", []):
            if not action["findings"]:
                continue
            body = []
            for finding in action["findings"]:
                lines = _finding_lines(finding, *_side_names(diff))
                body.append(f"- **{_md(lines[0])}**")
                body.extend(f"  - {_md(line.strip())}" for line in lines[1:])
            out += _details(f"Meaning of <code>{action['action']}</code>: {action['status']} "
                            f"({len(action['findings'])} finding{'s' if len(action['findings']) != 1 else ''})", body)
        if "impact" in diff:
            out += _details("Accounts", [f"    {line}" for line in _impact_lines(diff["impact"])])
        if "decision_log" in diff:
            out += _details("Decision log", [f"    {line}" for line in _log_lines(diff["decision_log"])])
    return "\n".join(out)


def _details(summary: str, body: list[str]) -> list[str]:
    """A collapsed Markdown section (GitHub renders ``<details>``), a blank line either side of its body."""
    return [f"<details><summary>{summary}</summary>", "", *body, "", "</details>", ""]


def _change_texts(changes: list[dict[str, Any]]) -> list[str]:
    """Each change's sentence once, prefixed with the versions it is made in when two
    bundles are compared: the same inherited rule changes alike in every version that
    holds it, and one line "[2026.03, 2026.06] …" reads better than one line per version."""
    versions: dict[str, list[str]] = {}
    for change in changes:
        found = versions.setdefault(str(change["text"]), [])
        if change.get("version") and change["version"] not in found:
            found.append(change["version"])
    return [f"[{', '.join(tags)}] {text}" if tags else text for text, tags in versions.items()]


def _side_names(diff: dict[str, Any]) -> tuple[str, str]:
    """How a finding names the two sides: by version id when both have one and they
    differ, else by label (two paths at the same version, or two whole bundles)."""
    old, new = diff["old"], diff["new"]
    if old["version"] and new["version"] and old["version"] != new["version"]:
        return str(old["version"]), str(new["version"])
    return str(old["label"]), str(new["label"])


def _md(text: str) -> str:
    """Text safe inside Markdown list items: HTML and table breaks escaped outside code
    spans; inside backticks GitHub shows text as written, so it is left alone."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):  # even parts lie outside code spans
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return "`".join(parts)
