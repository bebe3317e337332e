"""Git repositories made in a temporary directory, for tests that read bundles from git."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import HUABEI

__all__ = ["commit_all", "git", "huabei_repo", "repo_state"]


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity and no signing, whatever the machine's config says."""
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
         "-c", "init.defaultBranch=main", *args],
        cwd=repo, capture_output=True, text=True, check=True,
    )
    return done.stdout


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def huabei_repo(tmp_path: Path) -> Path:
    """A git repository with the shipped bundle committed at ``policies/huabei``."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    shutil.copytree(HUABEI, repo / "policies" / "huabei")
    commit_all(repo, "the shipped bundle")
    return repo


def repo_state(repo: Path) -> tuple[str, bytes]:
    """What a reader must not change: the status of the working tree and the index file itself."""
    return git(repo, "status", "--porcelain"), (repo / ".git" / "index").read_bytes()
