"""``chronolex init`` and ``chronolex schema export`` through CliRunner.

What a new user relies on: the scaffold passes ``validate`` and ``test`` as it is, its
modelines lead an editor to the schemas it carries, it never writes into a folder that
holds work unless told to, and a failed run leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from chronolex.cli.app import cli
from chronolex.cli.commands import init as init_module
from tests.conftest import ROOT

SCHEMAS = ROOT / "schemas"
_MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHRONOLEX_DB", "CHRONOLEX_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_init_writes_a_bundle_repository(tmp_path: Path) -> None:
    target = tmp_path / "broker"
    result = run("init", str(target), "--timezone", "America/New_York")
    assert result.exit_code == 0, result.output
    assert files_under(target) == {
        ".github/workflows/chronolex.yml", ".gitignore", ".pre-commit-config.yaml", "README.md",
        "policies/broker/bundle.yaml", "policies/broker/examples/events.jsonl",
        "policies/broker/tests/policy.yaml", "policies/broker/versions/2026.01.yaml",
        *(f"schemas/{p.name}" for p in SCHEMAS.glob("*.schema.json"))}
    assert result.output.startswith(f"created {target}: bundle 'broker', timezone America/New_York\n")
    assert result.output.endswith(f"next: cd {target} && chronolex validate && chronolex test\n")
    bundle = yaml.safe_load((target / "policies/broker/bundle.yaml").read_text(encoding="utf-8"))
    assert (bundle["bundle"], bundle["timezone"]) == ("broker", "America/New_York")
    assert set(bundle["events"]) >= {"withdrawal_made"}  # the catalog is there from the start
    assert not list(tmp_path.glob(".broker.*"))  # no staging folder left behind


def test_the_modelines_point_at_the_schemas_the_repository_carries(tmp_path: Path) -> None:
    """An editor with the YAML language server finds each schema by the relative path
    in the first line of the file, outside this repository."""
    target = tmp_path / "repo"
    assert run("init", str(target), "--name", "acme").exit_code == 0
    expected = {"bundle.yaml": "bundle", "2026.01.yaml": "version", "policy.yaml": "test"}
    for path in (target / "policies" / "acme").rglob("*.yaml"):
        match = _MODELINE.match(path.read_text(encoding="utf-8").splitlines()[0])
        assert match, f"{path} has no modeline"
        schema = (path.parent / match.group(1)).resolve()
        assert schema == (target / "schemas" / f"{expected[path.name]}.schema.json").resolve()
        assert schema.read_text(encoding="utf-8") == (SCHEMAS / schema.name).read_text(encoding="utf-8")


def test_the_ci_files_run_validate_and_test(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    assert run("init", str(target), "--name", "acme").exit_code == 0
    hooks = yaml.safe_load((target / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"]
    assert [hook["entry"] for hook in hooks] == ["chronolex validate policies", "chronolex test policies"]
    workflow = yaml.safe_load((target / ".github/workflows/chronolex.yml").read_text(encoding="utf-8"))
    commands = [step.get("run", "") for step in workflow["jobs"]["check"]["steps"]]
    assert any(c.startswith("chronolex validate policies") for c in commands)
    assert any(c.startswith("chronolex test policies") for c in commands)
    assert "policy-tests.xml" in (target / ".gitignore").read_text(encoding="utf-8").split()


def test_the_scaffold_passes_validate_and_test_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "repo"
    assert run("init", str(target), "--name", "acme", "--timezone", "Europe/Berlin").exit_code == 0
    monkeypatch.chdir(target)  # the commands' defaults: ./policies
    validated = run("validate", "--strict")
    assert validated.exit_code == 0, validated.output
    assert validated.output.startswith("ok: 1 bundle checked, 0 errors, 0 warnings")
    tested = run("test", "--coverage", "--threshold", "100")
    assert tested.exit_code == 0, tested.output
    assert tested.output.endswith("ok: 5 cases, 5 passed, 0 failed\n")
    why = run("why", "acct-1", "--action", "withdraw", "--at", "2026-02-03T13:00", "--format", "json",
              "--events", "policies/acme/examples/events.jsonl")
    assert why.exit_code == 0, why.output
    assert json.loads(why.output)["reasons"][0]["rule"] == "PLAT-DAILY-LIMIT"


def test_init_refuses_a_folder_that_holds_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = run("init", str(tmp_path), "--name", "acme")
    assert result.exit_code == 2
    assert result.output == f"chronolex: error: {tmp_path} is not empty: give an empty or new folder, or --force to write into it\n"
    assert files_under(tmp_path) == {"notes.txt"}


def test_init_fills_an_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "acme"
    target.mkdir()
    assert run("init", str(target)).exit_code == 0
    assert (target / "policies" / "acme" / "bundle.yaml").is_file()


def test_init_fills_the_empty_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``chronolex init .`` in a new, empty folder: the folder itself cannot be replaced
    (it is the working directory), so the scaffold is moved into it."""
    (tmp_path / "acme").mkdir()
    monkeypatch.chdir(tmp_path / "acme")
    result = run("init", ".")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("created .: bundle 'acme', timezone UTC\n")
    assert Path("policies/acme/bundle.yaml").is_file() and Path.cwd() == tmp_path / "acme"
    assert [p.name for p in tmp_path.iterdir()] == ["acme"]


def test_a_failed_move_into_an_empty_folder_leaves_it_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "acme"
    target.mkdir()
    calls: list[str] = []
    real_replace = os.replace

    def replace_then_fail(source: str | Path, destination: str | Path) -> None:
        calls.append(str(destination))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_replace(source, destination)

    monkeypatch.setattr(init_module.os, "replace", replace_then_fail)
    result = run("init", str(target))
    assert result.exit_code == 2
    assert list(target.iterdir()) == [] and [p.name for p in tmp_path.iterdir()] == ["acme"]


def test_force_writes_into_a_folder_and_keeps_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("old\n", encoding="utf-8")
    result = run("init", str(tmp_path), "--name", "acme", "--force")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert (tmp_path / "README.md").read_text(encoding="utf-8").startswith("# acme policies")
    assert not list(tmp_path.glob(".*.init"))


def test_a_failed_init_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(root: Path, files: dict[str, str]) -> None:
        (root / "half").write_text("half a scaffold", encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(init_module, "_write_tree", full_disk)
    result = run("init", str(tmp_path / "acme"))
    assert result.exit_code == 2
    assert result.output == f"chronolex: error: cannot create {tmp_path / 'acme'}: No space left on device\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "message"), [
    (["Bad_Name"], "'Bad_Name' is not a valid bundle id (lower-case letters, digits, '-' and '_', starting with a "
                   "letter): give one with --name"),
    (["ok", "--timezone", "Mars/Olympus"], "--timezone: unknown timezone 'Mars/Olympus' (give an IANA name such as "
                                           "America/New_York)"),
])
def test_init_refuses_a_bad_name_or_timezone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                                              message: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("init", *args)
    assert (result.exit_code, result.output) == (2, f"chronolex: error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "acme").write_text("", encoding="utf-8")
    result = run("init", str(tmp_path / "acme"))
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@settings(max_examples=25, deadline=None)
@given(name=st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True),
       zone=st.sampled_from(["UTC", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe"]))
def test_every_file_of_the_scaffold_names_the_bundle_and_zone_it_was_given(name: str, zone: str) -> None:
    """No placeholder is left, whatever the name: the bundle folder, its id and the
    timezone are the ones asked for."""
    files = init_module.scaffold(name, zone)
    assert f"policies/{name}/bundle.yaml" in files
    assert not [path for path, text in files.items() if "__BUNDLE__" in text or "__TIMEZONE__" in text
                or "__VERSION__" in text or "BUNDLE" in path]
    bundle = yaml.safe_load(files[f"policies/{name}/bundle.yaml"])
    assert (bundle["bundle"], bundle["timezone"]) == (name, zone)


def test_schema_export_writes_every_schema(tmp_path: Path) -> None:
    target = tmp_path / "editor" / "schemas"
    result = run("schema", "export", str(target))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in SCHEMAS.glob("*.schema.json"))
    assert result.output == f"wrote {len(names)} schemas to {target}: {', '.join(names)}\n"
    for name in names:
        assert (target / name).read_text(encoding="utf-8") == (SCHEMAS / name).read_text(encoding="utf-8")
    # again: the schemas are replaced with this version's, and nothing else changes
    (target / "bundle.schema.json").write_text("{}", encoding="utf-8")
    (target / "mine.json").write_text("{}", encoding="utf-8")
    assert run("schema", "export", str(target)).exit_code == 0
    assert json.loads((target / "bundle.schema.json").read_text(encoding="utf-8"))["title"]
    assert (target / "mine.json").read_text(encoding="utf-8") == "{}"
    assert sorted(os.listdir(target)) == sorted([*names, "mine.json"])


def test_schema_export_to_a_file_is_bad_usage(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("", encoding="utf-8")
    result = run("schema", "export", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
