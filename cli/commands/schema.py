"""``chronolex schema export DIR``: the JSON Schemas of every file chronolex reads or
writes, copied out of the package so that an editor can use them.

An editor with the YAML language server completes and checks a policy file from the
``# yaml-language-server: $schema=…`` line at its top; that line needs a path to a
schema on disk, and the schemas otherwise exist only inside the installed package
(``chronolex._schemas``). ``chronolex init`` writes the same files.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from chronolex.cli._common import emit, fail, write_atomically

_SCHEMAS = "chronolex._schemas"


def schema_documents() -> dict[str, str]:
    """Each shipped schema's file name and text, in name order."""
    folder = resources.files(_SCHEMAS)
    return {entry.name: entry.read_text(encoding="utf-8")
            for entry in sorted(folder.iterdir(), key=lambda entry: entry.name)
            if entry.name.endswith(".schema.json")}


def write_schemas(directory: Path) -> list[str]:
    """The schemas written into ``directory`` (created if missing), each file whole."""
    if directory.exists() and not directory.is_dir():
        fail(f"{directory}: not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot create {directory}: {exc.strerror or exc}")
    documents = schema_documents()
    for name, text in documents.items():
        write_atomically(directory / name, text)
    return list(documents)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def schema() -> None:
    """Write the JSON Schemas of chronolex's files, for editors and other tools."""


@schema.command()
@click.argument("directory", type=click.Path(file_okay=False))
def export(directory: str) -> None:
    """Write the JSON Schemas (bundle, version, test, event, decision, diff) into DIRECTORY.

    DIRECTORY is created if it does not exist; schema files already there are replaced
    with this version's, other files are left alone. Point the modeline of a policy
    file at them, e.g. `# yaml-language-server: $schema=../../schemas/bundle.schema.json`
    in policies/NAME/bundle.yaml when DIRECTORY is ./schemas.
    """
    names = write_schemas(Path(directory))
    emit(f"wrote {len(names)} schemas to {directory}: {', '.join(names)}\n")
