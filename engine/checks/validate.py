"""``validate``: find the bundles a list of paths names, check each, gather the findings.

A path may be a bundle directory, a ``bundle.yaml``, any file inside a bundle (a
version or test file, as pre-commit passes them) or a directory with bundles below it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from chronolex.errors import ChronolexError, Diagnostic, Severity, sort_diagnostics
from chronolex.bundle.load import BUNDLE_FILE
from chronolex.checks.stages import BundleReport, check_bundle
from chronolex.bundle.yaml_source import DEFAULT_LIMITS, Limits

_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache"}


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """All findings over all bundles checked, sorted; ``passed`` means no errors
    (and, when ``strict``, no warnings)."""

    reports: tuple[BundleReport, ...]
    diagnostics: tuple[Diagnostic, ...]

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity is severity)

    def passed(self, *, strict: bool = False) -> bool:
        failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
        return not any(d.severity in failing for d in self.diagnostics)


def find_bundles(paths: Sequence[str | Path]) -> tuple[Path, ...]:
    """The bundle roots named by ``paths``, de-duplicated, in a stable order.

    Raises :class:`ChronolexError` (``io-error``) for a path that does not exist or holds
    no bundle.
    """
    roots: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ChronolexError.single("io-error", f"{raw}: no such file or directory")
        found = list(_bundles_at(path))
        if not found:
            raise ChronolexError.single("io-error", f"{raw}: no bundle here (no {BUNDLE_FILE} in it, above it or below it)")
        roots.extend(found)
    unique: dict[str, Path] = {}
    for root in roots:  # the same bundle through a symlink is still one bundle
        unique.setdefault(os.path.realpath(root), root)
    return tuple(sorted(unique.values()))


def _bundles_at(path: Path) -> Iterator[Path]:
    if path.is_file():
        enclosing = enclosing_bundle(path.parent)
        if enclosing is not None:
            yield enclosing
        return
    if (path / BUNDLE_FILE).is_file():
        yield path
        return
    enclosing = enclosing_bundle(path)
    if enclosing is not None:
        yield enclosing
        return
    for directory, subdirs, files in os.walk(path):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS and not d.startswith("."))
        if BUNDLE_FILE in files:
            yield Path(directory)
            subdirs[:] = []


def enclosing_bundle(directory: Path) -> Path | None:
    """The bundle a directory lies in, looking at most two levels up (versions/, tests/, examples/)."""
    current = directory
    for _ in range(3):
        if (current / BUNDLE_FILE).is_file():
            return current
        if current.parent == current:
            break
        current = current.parent
    return None


def validate(paths: Iterable[str | Path], *, limits: Limits = DEFAULT_LIMITS) -> ValidationResult:
    """Check every bundle under ``paths``.

    >>> result = validate(["policies/huabei"])  # doctest: +SKIP
    >>> result.passed()  # doctest: +SKIP
    True
    """
    reports = tuple(check_bundle(root, limits=limits, solver=True) for root in find_bundles(list(paths)))
    diagnostics = sort_diagnostics([d for r in reports for d in r.diagnostics])
    return ValidationResult(reports, diagnostics)
