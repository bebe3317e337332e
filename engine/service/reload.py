"""Bundles reloaded when their files change, or when asked (``POST /v1/admin/reload``).

The watcher polls the modification times and sizes of each bundle's files (no extra
dependency, and it works on any file system). A changed bundle is checked in full, as
``chronolex validate`` checks it (schema, conditions, versions, lint, the solver, the
policy tests' files); a bundle with an error is refused: the old one keeps serving,
``reload_errors`` (shown by ``/readyz``) and the server's log say why. An accepted
bundle replaces the old one by swapping the whole ``ServiceState.bundles`` mapping, so
a request sees either the old mapping or the new one, never half of each.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from chronolex.checks.stages import BundleReport, check_bundle
from chronolex.errors import ChronolexError, Diagnostic, Severity
from chronolex.model import Bundle
from chronolex.service.metrics import ServiceMetrics
from chronolex.service.state import ServiceState

logger = logging.getLogger("chronolex.service")

#: A file's identity for change detection: (path, modification time in ns, size).
Fingerprint = tuple[tuple[str, int, int], ...]
#: How a bundle is checked: its directory in, the report out.
Checker = Callable[[Path], BundleReport]


def fingerprint(directory: Path) -> Fingerprint:
    """The YAML files of a bundle directory with their modification times and sizes."""
    found = []
    for root, _dirs, files in os.walk(directory):
        for name in files:
            if name.endswith((".yaml", ".yml")):
                path = os.path.join(root, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                found.append((os.path.relpath(path, directory), info.st_mtime_ns, info.st_size))
    return tuple(sorted(found))


def full_check(directory: Path) -> BundleReport:
    """The checks of ``chronolex validate``, the solver's included."""
    return check_bundle(directory, solver=True)


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    """What one reload of one bundle did: ``loaded``, ``refused`` or ``unchanged``."""

    bundle: str
    result: str
    version: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"bundle": self.bundle, "result": self.result, "latest_version": self.version, "error": self.error}


def describe(diagnostic: Diagnostic, directory: Path) -> str:
    """A finding as ``file:line:col: code: message``, the file relative to the bundle."""
    where = ""
    if diagnostic.span is not None:
        try:
            file = os.path.relpath(diagnostic.span.file, directory)
        except ValueError:
            file = diagnostic.span.file
        where = f"{file}:{diagnostic.span.line}:{diagnostic.span.column}: "
    return f"{where}{diagnostic.code}: {diagnostic.message}"


class BundleWatcher:
    """Reloads the bundles of a :class:`ServiceState` whose files changed."""

    def __init__(self, state: ServiceState, metrics: ServiceMetrics, *, check: Checker = full_check) -> None:
        self.state = state
        self.metrics = metrics
        self.check = check
        self._seen: dict[str, Fingerprint] = {name: fingerprint(path) for name, path in state.sources.items()}
        self._lock = threading.Lock()  # one reload at a time

    def poll(self) -> list[ReloadOutcome]:
        """Reload the bundles whose files changed since they were last seen."""
        return self._reload(force=False)

    def reload_all(self) -> list[ReloadOutcome]:
        """Reload every bundle, changed or not (``POST /v1/admin/reload``)."""
        return self._reload(force=True)

    def _reload(self, *, force: bool) -> list[ReloadOutcome]:
        with self._lock:
            outcomes = []
            for name, directory in sorted(self.state.sources.items()):
                seen = fingerprint(directory)
                if not force and seen == self._seen.get(name):
                    continue
                self._seen[name] = seen
                outcomes.append(self._reload_one(name, directory))
            return outcomes

    def _reload_one(self, name: str, directory: Path) -> ReloadOutcome:
        try:
            report = self.check(directory)
            errors = [d for d in report.diagnostics if d.severity is Severity.ERROR]
            if report.bundle is None or errors:
                first = describe(errors[0], directory) if errors else "the bundle did not load"
                more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
                return self._refuse(name, f"{first}{more}")
            bundle = report.bundle
        except ChronolexError as error:
            found = error.diagnostics[0] if error.diagnostics else None
            return self._refuse(name, describe(found, directory) if found else str(error))
        except Exception as error:  # noqa: BLE001 - any failure refuses the new bundle, never the service
            logger.exception("reloading bundle %s failed", name)
            return self._refuse(name, f"{type(error).__name__}: {error}")
        if bundle.name != name:
            return self._refuse(name, f"bundle.yaml now names the bundle {bundle.name!r}: a reload may not rename "
                                      "a bundle (restart the service to serve it under its new name)")
        self._swap(name, bundle)
        self.state.reload_errors.pop(name, None)
        self.metrics.reloads.labels(name, "loaded").inc()
        latest = bundle.versions[-1].id if bundle.versions else None
        logger.info("bundle %s reloaded from %s (latest version %s)", name, directory, latest)
        return ReloadOutcome(name, "loaded", latest)

    def _swap(self, name: str, bundle: Bundle) -> None:
        bundles: Mapping[str, Bundle] = {**self.state.bundles, name: bundle}
        self.state.bundles = bundles  # one assignment: readers see the old mapping or the new

    def _refuse(self, name: str, why: str) -> ReloadOutcome:
        self.state.reload_errors[name] = why
        self.metrics.reloads.labels(name, "refused").inc()
        logger.error("bundle %s: the changed files were refused, the loaded version keeps serving: %s", name, why)
        current = self.state.bundles.get(name)
        latest = current.versions[-1].id if current is not None and current.versions else None
        return ReloadOutcome(name, "refused", latest, why)
