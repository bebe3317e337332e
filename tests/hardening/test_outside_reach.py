"""What a hostile bundle or name can reach outside itself: git, symbolic links, other files.

A bundle read at a git revision is read with git's plumbing commands, each an argument
list (no shell), and a file name is passed to ``git cat-file --batch`` on a line of its
own. These tests plant what an attacker would in a repository (a link to a file outside
it, a file name with a line break that would smuggle a second request, a revision that
is an option) and check that nothing outside the revision is read or written.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import chronolex
from chronolex.errors import ChronolexError
from chronolex.bundle.files import GitTree
from tests.conftest import HUABEI
from tests.hardening.support import assert_no_traceback, run_chronolex, validate

SECRET = "SECRET-TOKEN-4f1c"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
         "-c", "init.defaultBranch=main", *args],
        cwd=repo, capture_output=True, text=True, check=True,
    )
    return done.stdout


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "secret.yaml"
    path.parent.mkdir()
    path.write_text(f"token: {SECRET}\n", encoding="utf-8")
    return path


def repository(tmp_path: Path) -> Path:
    """A git repository holding the shipped bundle's manifest and versions at ``huabei``."""
    repo = tmp_path / "repo"
    (repo / "huabei").mkdir(parents=True)
    shutil.copy2(HUABEI / "bundle.yaml", repo / "huabei" / "bundle.yaml")
    shutil.copytree(HUABEI / "versions", repo / "huabei" / "versions")
    git(repo, "init", "-q")
    return repo


def commit(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "x")


def test_a_link_out_of_the_revision_is_not_followed(tmp_path: Path, secret: Path) -> None:
    repo = repository(tmp_path)
    (repo / "huabei" / "versions" / "zz.yaml").symlink_to(secret)
    commit(repo)
    with pytest.raises(ChronolexError) as caught:
        chronolex.check_bundle(GitTree(repo, "HEAD", "huabei"))
    [problem] = caught.value.diagnostics
    assert problem.code == "io-error"
    assert problem.span is not None and problem.span.file == "HEAD:huabei/versions/zz.yaml"
    assert SECRET not in str(caught.value)


def test_a_file_name_with_a_line_break_cannot_smuggle_a_second_request(tmp_path: Path, secret: Path) -> None:
    """``git cat-file --batch`` reads one request a line; a name with a line break would be two."""
    repo = repository(tmp_path)
    shutil.copy2(secret, repo / "secret.yaml")
    (repo / "huabei" / "versions" / "x\nHEAD:secret.yaml").write_text("version: x\n", encoding="utf-8")
    commit(repo)
    with pytest.raises(ChronolexError) as caught:
        GitTree(repo, "HEAD", "huabei").read("versions/x\nHEAD:secret.yaml", 1_000)
    assert caught.value.diagnostics[0].code == "io-error"
    assert "line break" in caught.value.diagnostics[0].message
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("rev", ["--output=written", "-c core.pager=touch written", "--exec-path=.", "-"])
def test_a_revision_that_is_an_option_is_refused_before_git_runs(tmp_path: Path, rev: str) -> None:
    repo = repository(tmp_path)
    commit(repo)
    with pytest.raises(ChronolexError) as caught:
        GitTree(repo, rev, "huabei")
    assert caught.value.diagnostics[0].code == "git-error"
    assert not (repo / "written").exists()


def test_diff_of_a_hostile_revision_operand_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = repository(tmp_path)
    commit(repo)
    monkeypatch.chdir(repo)
    outcome = run_chronolex("diff", "--", "--output=written:huabei", "huabei")
    assert_no_traceback(outcome)
    assert outcome.exit_code == 2
    assert outcome.stderr.strip() and all(l.startswith("  ") for l in outcome.stderr.strip().splitlines()[1:])
    assert not (repo / "written").exists()


def test_a_link_out_of_a_bundle_on_disk_is_not_followed(tmp_path: Path, secret: Path) -> None:
    bundle = tmp_path / "huabei"
    bundle.mkdir()
    shutil.copy2(HUABEI / "bundle.yaml", bundle / "bundle.yaml")
    shutil.copytree(HUABEI / "versions", bundle / "versions")
    (bundle / "versions" / "zz.yaml").symlink_to(secret)
    outcome = validate(bundle)
    assert SECRET not in outcome.text
    assert "link to a file outside the bundle" in outcome.text
