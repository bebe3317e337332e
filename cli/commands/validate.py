"""``chronolex validate``: check bundles and report the findings in four formats."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

import chronolex
from chronolex.cli._common import EXIT_FINDINGS, EXIT_OK, emit, fail, source_line, write_atomically
from chronolex.cli.render import findings as report

# -- validate -------------------------------------------------------------------------


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="text", show_default=True,
              help="text: gcc style; json; sarif: SARIF 2.1.0; github: workflow commands.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings as well as errors.")
@click.option("--root", type=click.Path(file_okay=False),
              help="sarif and github: paths relative to this directory (default: the root of the git "
                   "repository around the working directory, else the working directory).")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the report to this file; - means standard output.")
def validate(paths: Sequence[str], fmt: str, strict: bool, root: str | None, output: str | None) -> None:
    """Check policy bundles: YAML, schema, conditions, versions and time.

    PATHS are bundle directories, files inside bundles, or directories with bundles
    below them (default: ./policies, else the current directory). Exit 0 when clean,
    1 when there are errors (or warnings with --strict), 2 for bad usage.
    """
    targets = list(paths) or (["policies"] if Path("policies").is_dir() else ["."])
    result = chronolex.validate(targets)
    if root is not None and not Path(root).is_dir():
        fail(f"--root {root}: no such directory")
    text = report.render(result, fmt, source_line, strict, root or repository_root(Path.cwd()))
    if output:
        write_atomically(Path(output), text)
    else:
        emit(text)
    sys.exit(EXIT_OK if result.passed(strict=strict) else EXIT_FINDINGS)




def repository_root(start: Path) -> str:
    """The git repository ``start`` lies in (the nearest directory above holding ``.git``),
    else ``start``: code scanning and workflow annotations place a file by its path from
    the repository root, whichever directory validate ran in."""
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return str(directory)
    return str(start)
