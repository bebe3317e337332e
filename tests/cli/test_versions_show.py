"""`chronolex versions` and `chronolex show` through CliRunner."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

import chronolex
from chronolex.cli.app import cli
from tests.conftest import FIXTURES, HUABEI


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_versions_table_lists_every_version_with_its_span() -> None:
    code, out, _ = run("versions", str(HUABEI))
    assert code == 0
    bundle = chronolex.load_bundle(HUABEI)
    for version in bundle.versions:
        assert any(line.startswith(version.id + " ") for line in out.splitlines())
    assert "retroactive" in out and "extends" in out


def test_versions_json() -> None:
    code, out, _ = run("versions", str(HUABEI), "--format", "json")
    assert code == 0
    rows = json.loads(out)["versions"]
    retro = [r["version"] for r in rows if r["retroactive"]]
    assert len(retro) == 1
    assert [r["in_force_until"] for r in rows[:-1]] == [r["in_force_from"] for r in rows[1:]]


def test_versions_by_bundle_name_from_the_policies_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HUABEI.parent.parent)
    assert run("versions", "huabei")[0] == 0
    assert run("versions")[0] == 0


def test_bundle_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(str(tmp_path))
    assert run("versions", env={"CHRONOLEX_BUNDLE": str(HUABEI)})[0] == 0
    code, _, err = run("versions", env={"CHRONOLEX_BUNDLE": ""})
    assert code == 2 and "no bundle" in err


def test_show_a_version_resolves_extends() -> None:
    bundle = chronolex.load_bundle(HUABEI)
    extended = next(v for v in bundle.versions if v.extends)
    code, out, _ = run("show", f"{HUABEI}@{extended.id}")
    assert code == 0
    data = yaml.safe_load(out)
    assert data["version"] == extended.id
    assert [r["id"] for r in data["rules"]] == [r.id for r in extended.rules]
    assert any(r["declared_in"] != extended.id for r in data["rules"])


def test_show_at_an_instant_and_as_known_at() -> None:
    bundle = chronolex.load_bundle(HUABEI)
    retro = next(v for v in bundle.versions if v.retroactive)
    day = retro.effective_from.astimezone(bundle.timezone).date().isoformat()
    known = retro.published_at.astimezone(bundle.timezone).date().isoformat()
    code, out, _ = run("show", str(HUABEI), "--at", day + "T12:00", "--format", "json")
    assert code == 0 and json.loads(out)["version"] == retro.id
    code, out, _ = run("show", str(HUABEI), "--at", day + "T12:00", "--as-known-at", known, "--format", "json")
    assert code == 0 and json.loads(out)["version"] != retro.id


def test_show_errors_are_one_line_exit_2() -> None:
    for args in (
        ("show", str(HUABEI)),
        ("show", f"{HUABEI}@1999.01"),
        ("show", str(HUABEI), "--at", "not-a-date"),
        ("show", str(HUABEI), "--at", "1990-01-01"),
        ("show", str(HUABEI), "--as-known-at", "2026-01-01"),
        ("show", str(FIXTURES / "broken" / "unknown-fact"), "--at", "2026-01-01"),
    ):
        code, out, err = run(*args)
        assert code == 2, args
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (args, err)


def test_a_broken_bundle_names_file_line_and_column() -> None:
    code, _, err = run("versions", str(FIXTURES / "broken" / "unknown-fact"))
    assert code == 2
    assert "versions/1.yaml:" in err and "unknown-fact" in err
