"""Small bundles written into a temporary directory, for tests of loading and checking."""

from __future__ import annotations

from pathlib import Path

import chronolex

__all__ = ["MINI_BUNDLE", "VERSION", "codes", "mini", "version", "write"]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


MINI_BUNDLE = """\
bundle: mini
timezone: Asia/Shanghai
actions: [open, borrow]
facts:
  score: {type: int, derive: {latest: score_updated.score}}
  frozen: {type: bool, derive: {exists: frozen}}
"""


def mini(tmp_path: Path, *versions: tuple[str, str], bundle: str = MINI_BUNDLE) -> Path:
    write(tmp_path / "bundle.yaml", bundle)
    for name, text in versions:
        write(tmp_path / "versions" / name, text)
    return tmp_path


def codes(root: Path) -> list[str]:
    """The finding codes of the bundle at ``root``, but for ``no-event-catalog``: the small
    bundles written by tests declare no event catalog unless the test is about it."""
    return [d.code for d in chronolex.check_bundle(root).diagnostics if d.code != "no-event-catalog"]


VERSION = """\
version: "{id}"
effective_from: {eff}
published_at: {pub}
{extra}rules:
{rules}"""


def version(id: str, eff: str = "2026-01-01", pub: str = "2025-12-01T00:00:00+08:00", extra: str = "",
            rules: str = "  - {id: R1, category: platform, actions: [open], when: score < 600}\n") -> str:
    return VERSION.format(id=id, eff=eff, pub=pub, extra=extra, rules=rules)
