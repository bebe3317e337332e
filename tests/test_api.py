"""The public surface: what ``chronolex`` exports, how it is named, and that the library
stays a library (no click, no solver until asked for, no schemas from elsewhere)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import click

import chronolex
from chronolex.cli.app import COMMANDS, cli
from tests.conftest import ROOT


def run_python(code: str, cwd: Path | None = None) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=cwd)
    return out.stdout.strip()


def test_every_name_in_all_is_exported_and_lives_where_the_table_says() -> None:
    for name in chronolex.__all__:
        value = getattr(chronolex, name)
        if name != "__version__" and hasattr(value, "__module__"):
            assert value.__module__.startswith("chronolex."), (name, value.__module__)
    assert sorted(chronolex.__all__) == sorted([*chronolex._EXPORTS, "__version__"])


def test_the_type_checking_imports_name_the_same_modules_as_the_runtime_table() -> None:
    tree = ast.parse((ROOT / "engine" / "__init__.py").read_text(encoding="utf-8"))
    guarded = next(node for node in tree.body if isinstance(node, ast.If))
    imported = {alias.name: node.module for node in guarded.body if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    assert imported == chronolex._EXPORTS


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        chronolex.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:  # pragma: no cover - the check itself
        raise AssertionError("no AttributeError")


def test_importing_chronolex_loads_neither_click_nor_the_cli_nor_z3_nor_jsonschema() -> None:
    code = ("import sys, chronolex; print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'click', 'z3', 'jsonschema', 'yaml'}), 'chronolex.cli' in sys.modules)")
    assert run_python(code) == "[] False"


def test_deciding_does_not_load_the_solver() -> None:
    code = ("import sys, chronolex; b = chronolex.load_bundle('policies/huabei'); "
            "h = chronolex.AccountHistory('a', ()); "
            "chronolex.decide(b, h, 'open', chronolex.parse_instant('2026-03-16T10:00', b.timezone)); "
            "print('z3' in sys.modules)")
    assert run_python(code, cwd=ROOT) == "False"


def test_the_command_line_lists_its_commands_without_importing_them() -> None:
    code = ("import sys; from click.testing import CliRunner; from chronolex.cli.app import cli; "
            "CliRunner().invoke(cli, ['--help']); "
            "print(sorted(m for m in sys.modules if m.startswith('chronolex.cli.commands.') or m == 'jsonschema'))")
    assert run_python(code) == "[]"


def test_each_listed_summary_is_the_first_paragraph_of_the_commands_own_help() -> None:
    context = click.Context(cli)
    for name, entry in COMMANDS.items():
        command = cli.get_command(context, name)
        assert command is not None and command.name == name
        first = " ".join((command.help or "").split("\n\n")[0].split())
        assert entry.summary == first, name


def test_python_dash_m_chronolex_is_the_command() -> None:
    out = subprocess.run([sys.executable, "-m", "chronolex", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"chronolex, version {chronolex.__version__}"


def test_schemas_come_from_package_data_even_when_a_schemas_folder_sits_beside(tmp_path: Path) -> None:
    decoy = tmp_path / "schemas"
    decoy.mkdir()
    (decoy / "bundle.schema.json").write_text('{"not": {}}', encoding="utf-8")  # refuses everything
    code = ("import sys; sys.path.insert(0, '.'); import chronolex; "
            f"print(chronolex.check_bundle({str(ROOT / 'policies' / 'huabei')!r}).ok)")
    assert run_python(code, cwd=tmp_path) == "True"


def test_docs_api_names_every_public_name() -> None:
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [name for name in chronolex.__all__ if name != "__version__" and f"`{name}`" not in page]
    assert not missing, missing
