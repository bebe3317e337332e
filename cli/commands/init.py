"""``chronolex init DIR``: a new bundle repository that passes ``validate`` and ``test``
as it is, so a policy author starts from something that works and changes it step by
step.

The scaffold is built in a temporary folder next to DIR and renamed into place, so an
interrupted run leaves either nothing or the whole scaffold (into an existing empty
folder, its top-level entries are renamed in, and taken back out on failure). A folder
that already holds files is refused unless ``--force`` says to write into it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import click

import chronolex
from chronolex.cli._common import emit, fail
from chronolex.cli.commands.schema import schema_documents

_TEMPLATES = "chronolex.cli.templates"
_BUNDLE_ID = re.compile(r"^[a-z][a-z0-9_-]*$")


def _template_files(folder: Traversable, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    """(path parts, text) of every template file under ``folder``, in path order."""
    found: list[tuple[tuple[str, ...], str]] = []
    for entry in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if entry.name == "__pycache__" or entry.name.endswith((".pyc", ".py")):
            continue
        parts = (*prefix, entry.name)
        if entry.is_dir():
            found.extend(_template_files(entry, parts))
        else:
            found.append((parts, entry.read_text(encoding="utf-8")))
    return found


def scaffold(bundle: str, timezone: str) -> dict[str, str]:
    """Every file of a new repository (relative path -> text), in path order."""
    replacements = {"__BUNDLE__": bundle, "__TIMEZONE__": timezone, "__VERSION__": chronolex.__version__}
    files: dict[str, str] = {}
    for parts, text in _template_files(resources.files(_TEMPLATES).joinpath("init")):
        path = "/".join(bundle if part == "BUNDLE" else "." + part[4:] if part.startswith("dot-") else part
                        for part in parts)
        for token, value in replacements.items():
            text = text.replace(token, value)
        files[path] = text
    for name, text in schema_documents().items():
        files[f"schemas/{name}"] = text
    return dict(sorted(files.items()))


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _move_into(staging: Path, target: Path, files: dict[str, str]) -> None:
    """``--force`` into a folder that holds files: each scaffold file replaces its
    namesake whole (a rename); other files are left alone."""
    for relative in files:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if destination.is_dir():
            fail(f"{destination}: a folder is in the way of a file of the scaffold")
        os.replace(staging / relative, destination)


def _fill_empty(staging: Path, target: Path) -> None:
    """An existing empty folder (perhaps the working directory, which cannot be replaced)
    takes the scaffold's top-level entries by renames; if one fails, those already moved
    are taken back out, so the folder is empty again."""
    moved: list[Path] = []
    try:
        for entry in sorted(staging.iterdir()):
            os.replace(entry, target / entry.name)
            moved.append(target / entry.name)
    except OSError:
        for path in moved:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        raise


@click.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--name", help="The bundle id (default: DIRECTORY's name): lower-case letters, digits, '-' and '_'.")
@click.option("--timezone", default="UTC", show_default=True,
              help="The IANA timezone in which the bundle's dates and times are read, e.g. America/New_York.")
@click.option("--force", is_flag=True,
              help="Write into a DIRECTORY that already holds files, replacing those the scaffold has.")
def init(directory: str, name: str | None, timezone: str, force: bool) -> None:
    """Create a bundle repository in DIRECTORY that passes validate and test as it is.

    It holds policies/NAME/ (bundle.yaml with an event catalog, one version, a policy
    test and a sample events file), the JSON Schemas under schemas/ (the files'
    modelines point at them, for editors with the YAML language server), a
    pre-commit configuration and a GitHub Actions workflow that run `chronolex
    validate` and `chronolex test`. DIRECTORY must be missing or empty unless --force
    is given.
    """
    target = Path(directory)
    bundle = name if name is not None else target.resolve().name
    if not _BUNDLE_ID.match(bundle):
        fail(f"{bundle!r} is not a valid bundle id (lower-case letters, digits, '-' and '_', starting with a "
             f"letter): give one with --name")
    try:
        chronolex.load_zone(timezone)
    except ValueError as exc:
        fail(f"--timezone: {exc} (give an IANA name such as America/New_York)")
    if target.exists() and not target.is_dir():
        fail(f"{directory}: not a directory")
    occupied = target.is_dir() and any(target.iterdir())
    if occupied and not force:
        fail(f"{directory} is not empty: give an empty or new folder, or --force to write into it")
    files = scaffold(bundle, timezone)
    parent = target.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".init", dir=parent))
    except OSError as exc:
        fail(f"cannot create {directory}: {exc.strerror or exc}")
    try:
        _write_tree(staging, files)
        staging.chmod(0o777 & ~_umask())
        if not target.exists():
            os.replace(staging, target)  # the whole scaffold appears at once
        elif occupied:
            _move_into(staging, target, files)
        else:
            _fill_empty(staging, target)
    except OSError as exc:
        fail(f"cannot create {directory}: {exc.strerror or exc}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    emit(f"created {directory}: bundle '{bundle}', timezone {timezone}\n"
         + "".join(f"  {path}\n" for path in files if not path.startswith("schemas/"))
         + f"  schemas/ ({sum(path.startswith('schemas/') for path in files)} JSON Schemas, for editors)\n"
         + f"next: cd {directory} && chronolex validate && chronolex test\n")


def _umask() -> int:
    """The process's file-creation mask (a temporary folder is created private, 0700;
    the scaffold gets the permissions of a folder made with mkdir)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
