"""``check_bundle``: the stages of a bundle check, in order, as a list one can read.

1. **load** (:func:`chronolex.bundle.load.read_bundle`): YAML, JSON Schemas, the model,
   every condition parsed and type-checked, ``extends`` resolved. Errors stop here.
2. **lint** (:mod:`chronolex.checks.lint`): time that is legal but probably wrong
   (versions never in force, retroactive versions, overlapping windows), and texts
   missing a locale the bundle uses (:mod:`chronolex.checks.locales`).
3. **solver** (:mod:`chronolex.checks.solver`): conditions read for meaning (dead rules,
   exemptions that always hold, redundant rules, versions that mean the same). It runs
   only when asked for and only on a bundle without errors; z3 is imported then, not
   before, so loading a bundle never pays for the solver.
4. **tests** (:mod:`chronolex.checks.cases`): the policy test files read as
   ``chronolex test`` reads them (unknown actions, impossible instants, missing or
   unreadable ``events_file``), so a bundle that validates has tests that can run. It
   needs a bundle without errors and files on disk (an events file is a path).

A stage that cannot run because an earlier one failed is skipped, so one mistake is not
reported five times.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from chronolex.bundle.files import DiskTree, FileTree
from chronolex.bundle.load import LoadResult, read_bundle
from chronolex.bundle.yaml_source import DEFAULT_LIMITS, Limits
from chronolex.checks.cases import case_problems
from chronolex.checks.lint import lint_bundle
from chronolex.checks.locales import lint_locales
from chronolex.errors import Diagnostic, Severity, sort_diagnostics
from chronolex.model import Bundle


@dataclass(frozen=True, slots=True)
class BundleReport:
    """The outcome of checking one bundle: the bundle (None if it has errors) and all findings."""

    root: str
    diagnostics: tuple[Diagnostic, ...]
    bundle: Bundle | None = None
    files: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)


def _lint(loaded: LoadResult, model: Bundle) -> Iterable[Diagnostic]:
    return [*lint_bundle(model, loaded.version_documents), *lint_locales(model, loaded.version_documents)]


def _solver(loaded: LoadResult, model: Bundle) -> Iterable[Diagnostic]:
    from chronolex.checks.solver import solver_findings  # z3 is loaded when the solver stage runs

    return solver_findings(model)


def _tests(loaded: LoadResult, model: Bundle) -> Iterable[Diagnostic]:
    return case_problems(model, Path(loaded.root))


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage after loading: its name, what it finds, and whether it needs a bundle
    without errors (the solver reasons about a model it can trust)."""

    name: str
    run: Callable[[LoadResult, Bundle], Iterable[Diagnostic]]
    needs_no_errors: bool
    needs_disk: bool = False


#: The stages after loading, in the order they run.
STAGES = (
    Stage("lint", _lint, needs_no_errors=False),
    Stage("solver", _solver, needs_no_errors=True),
    Stage("tests", _tests, needs_no_errors=True, needs_disk=True),
)


def check_bundle(path: str | Path | FileTree, *, limits: Limits = DEFAULT_LIMITS, solver: bool = False) -> BundleReport:
    """Check the bundle whose directory (or ``bundle.yaml``) is ``path``, or the bundle a
    :class:`~chronolex.bundle.files.FileTree` holds at its root; never raises for bad content.

    With ``solver``, also the findings that need a solver; ``validate`` asks for them.
    Raises :class:`~chronolex.errors.ChronolexError` (code ``io-error``, or ``git-error``)
    only if the files cannot be read.
    """
    loaded = read_bundle(path, limits=limits)
    diagnostics = list(loaded.diagnostics)
    model = loaded.model
    on_disk = isinstance(path, (str, os.PathLike, DiskTree))
    if model is not None:
        for stage in STAGES:
            if (stage.name == "solver" and not solver) or (stage.needs_disk and not on_disk):
                continue
            if stage.needs_no_errors and any(d.severity is Severity.ERROR for d in diagnostics):
                continue
            diagnostics.extend(stage.run(loaded, model))
    has_errors = any(d.severity is Severity.ERROR for d in diagnostics)
    return BundleReport(
        root=loaded.root,
        diagnostics=sort_diagnostics(diagnostics),
        bundle=None if has_errors else model,
        files=loaded.files,
    )
