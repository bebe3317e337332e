"""Operands as the user writes them → :class:`~chronolex.diff.sides.Side` objects, and the pairs a diff compares.

An operand names a bundle and, optionally, one of its versions:

- ``policies/huabei`` or ``policies/huabei/bundle.yaml`` — a bundle directory on disk;
- ``policies/huabei@2026.03`` — one version of it (``@`` splits at the last ``@``);
- ``main:policies/huabei``, ``HEAD~1:policies/huabei@2026.03``, ``origin/main:…``, a
  commit hash before ``:`` — the bundle as that git revision holds it, read without
  touching the working tree; the path is relative to ``cwd``, as ``git show REV:./path``
  reads it.

A path that exists on disk with exactly the name written always means that path, so a
directory whose name holds ``:`` or ``@`` stays reachable. Each side's label is the
operand as written, so reports name operands the way they were given.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chronolex.errors import ChronolexError
from chronolex.bundle.files import GitTree
from chronolex.bundle.load import BUNDLE_FILE, load_bundle
from chronolex.model import Bundle
from chronolex.diff.sides import Side

__all__ = ["diff_pairs", "load_side"]

_FORMS = "a bundle directory, BUNDLE@VERSION, or REV:path[@VERSION] for a bundle at a git revision"


@dataclass(frozen=True, slots=True)
class _Operand:
    """An operand taken apart, before anything is loaded."""

    text: str
    bundle_text: str  # the operand without its @VERSION
    version: str | None
    rev: str | None  # the git revision, None for a bundle on disk
    path: str  # the bundle directory (or its bundle.yaml), relative to cwd


def load_side(text: str, *, cwd: Path | None = None) -> Side:
    """The side ``text`` names: a whole bundle, or one version of it; labelled ``text``.

    ``cwd`` is the directory relative paths start from (default: the process's own).
    Raises :class:`ChronolexError`: ``bad-operand`` for text that names nothing,
    ``unknown-version``, ``io-error``/``git-error`` when the bundle cannot be read, and
    the loader's own codes for a bundle with errors.

    >>> side = load_side("policies/huabei@2026.03")  # doctest: +SKIP
    >>> (side.label, side.version.id)  # doctest: +SKIP
    ('policies/huabei@2026.03', '2026.03')
    """
    operand = _parse(text, cwd)
    return _side(operand, _load(operand, cwd))


def diff_pairs(operands: Sequence[str], *, cwd: Path | None = None) -> list[tuple[Side, Side]]:
    """The (old, new) pairs ``chronolex diff`` compares for the operands as written.

    - one whole bundle: each version against the next, in the order of ``bundle.versions``;
    - one ``BUNDLE@V``: the version just before V against V;
    - two operands, both pinned to a version or both whole bundles: that one pair.

    Anything else raises :class:`ChronolexError` (``bad-operand``) before a bundle is read.

    >>> [(old.label, new.label) for old, new in diff_pairs(["policies/huabei@2026.03"])]  # doctest: +SKIP
    [('policies/huabei@2025.07', 'policies/huabei@2026.03')]
    """
    if not 1 <= len(operands) <= 2:
        raise ChronolexError.single(
            "bad-operand", f"diff takes one or two operands, not {len(operands)}", None,
            f"write OLD NEW, or one bundle to compare its consecutive versions; an operand is {_FORMS}",
        )
    parsed = [_parse(text, cwd) for text in operands]
    if len(parsed) == 2 and (parsed[0].version is None) != (parsed[1].version is None):
        pinned, whole = (parsed[0], parsed[1]) if parsed[0].version is not None else (parsed[1], parsed[0])
        raise ChronolexError.single(
            "bad-operand",
            f"cannot compare one version with a whole bundle: {pinned.text!r} names a version, "
            f"{whole.text!r} a whole bundle",
            None, "write both as BUNDLE@VERSION, or both as bundles",
        )
    loaded: dict[str, Bundle] = {}  # one load per bundle, however many operands name it
    for operand in parsed:
        if operand.bundle_text not in loaded:
            loaded[operand.bundle_text] = _load(operand, cwd)
    sides = [_side(operand, loaded[operand.bundle_text]) for operand in parsed]
    if len(sides) == 2:
        return [(sides[0], sides[1])]
    return _pairs_within(parsed[0], sides[0])


def _pairs_within(operand: _Operand, side: Side) -> list[tuple[Side, Side]]:
    """The pairs one operand stands for: consecutive versions, or a version and its predecessor."""
    versions = side.bundle.versions
    stem = operand.bundle_text.rstrip("/") or operand.bundle_text

    def pinned(index: int) -> Side:
        return Side(f"{stem}@{versions[index].id}", side.bundle, versions[index])

    if side.version is None:
        if len(versions) < 2:
            only = versions[0].id if versions else "none"
            raise ChronolexError.single(
                "bad-operand", f"{operand.text} has one version ({only}): there is nothing to compare it with",
                None, "name two operands, for example the bundle at a git revision and the bundle on disk",
            )
        return [(pinned(i - 1), pinned(i)) for i in range(1, len(versions))]
    index = versions.index(side.version)
    if index == 0:
        raise ChronolexError.single(
            "bad-operand", f"{side.version.id} is the first version of {stem}: no version comes before it",
            None, "name the version to compare it with as a second operand",
        )
    return [(pinned(index - 1), side)]


def _parse(text: str, cwd: Path | None) -> _Operand:
    """Split ``text`` into bundle, version and revision; only the disk is looked at, not git."""
    if not text.strip():
        raise ChronolexError.single("bad-operand", "an operand is empty", None, f"an operand is {_FORMS}")
    if _exists(text, cwd):
        return _Operand(text, text, None, None, text)
    bundle_text, version = text, None
    head, at, tail = text.rpartition("@")
    if at and "/" not in tail and ":" not in tail:  # "HEAD@{1}:path" has no version
        if not tail or not head:
            raise ChronolexError.single("bad-operand", f"{text!r}: '@' must join a bundle and a version id", None,
                                        "write BUNDLE@VERSION, as in policies/huabei@2026.03")
        bundle_text, version = head, tail
    if _exists(bundle_text, cwd) or ":" not in bundle_text:
        return _Operand(text, bundle_text, version, None, _on_disk(bundle_text, cwd))
    rev, _, path = bundle_text.partition(":")
    if not rev:
        raise ChronolexError.single("bad-operand", f"{text!r}: no git revision before ':'", None,
                                    "write REV:path, as in main:policies/huabei")
    return _Operand(text, bundle_text, version, rev, path or ".")


def _exists(path: str, cwd: Path | None) -> bool:
    return (cwd / path if cwd is not None else Path(path)).exists()


def _on_disk(path: str, cwd: Path | None) -> str:
    """``path`` itself, or ``policies/<path>`` when only that holds a bundle (as other commands
    accept a bundle's name); a path that is neither is an ``io-error``."""
    if _exists(path, cwd):
        return path
    shipped = posixpath.join("policies", path)
    if _exists(posixpath.join(shipped, BUNDLE_FILE), cwd):
        return shipped
    raise ChronolexError.single("io-error", f"{path}: no such file or directory", None, f"an operand is {_FORMS}")


def _load(operand: _Operand, cwd: Path | None) -> Bundle:
    if operand.rev is None:
        return load_bundle(cwd / operand.path if cwd is not None else Path(operand.path))
    directory = operand.path
    if posixpath.basename(directory.rstrip("/")) == BUNDLE_FILE:
        directory = posixpath.dirname(directory.rstrip("/")) or "."
    return load_bundle(GitTree(cwd if cwd is not None else Path("."), operand.rev, directory))


def _side(operand: _Operand, bundle: Bundle) -> Side:
    if operand.version is None:
        return Side(operand.text, bundle)
    version = bundle.version(operand.version)
    if version is None:
        ids = [v.id for v in bundle.versions]
        close = difflib.get_close_matches(operand.version, ids, n=1)
        listed = "versions: " + ", ".join(ids)
        raise ChronolexError.single(
            "unknown-version", f"{operand.bundle_text} has no version {operand.version!r}", None,
            f"did you mean `{operand.bundle_text}@{close[0]}`? {listed}" if close else listed,
        )
    return Side(operand.text, bundle, version)
