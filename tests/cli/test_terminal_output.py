"""Text written for a terminal never carries control sequences from policy or event files."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from chronolex.cli.app import cli
from chronolex.cli.render.findings import printable


def test_control_characters_are_shown_as_escapes() -> None:
    assert printable("a\x1b[31mb\x07\x9bc") == "a\\x1b[31mb\\x07\\x9bc"
    assert printable("line\n\tindented") == "line\n\tindented"  # layout characters stay


def test_a_bundle_title_cannot_colour_or_clear_the_terminal(huabei_copy: Path) -> None:
    manifest = huabei_copy / "bundle.yaml"
    text = manifest.read_text(encoding="utf-8")
    start = text.index("title:")
    end = text.index("\n", start)
    manifest.write_text(text[:start] + 'title: "\\e[2J\\e[31mred alert"' + text[end:], encoding="utf-8")
    result = CliRunner().invoke(cli, ["versions", str(huabei_copy)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "\\x1b[31mred alert" in result.output
