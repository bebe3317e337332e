"""File trees: a bundle directory on disk, and the same directory read from a git commit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import chronolex
from chronolex.bundle.files import DiskTree, FileTree, GitTree
from chronolex.bundle.yaml_source import Limits
from tests.conftest import HUABEI
from tests.helpers.git import commit_all, git, huabei_repo, repo_state


# -- DiskTree ------------------------------------------------------------------------


def test_disk_names_stay_the_paths_the_loader_always_showed() -> None:
    tree = DiskTree(HUABEI)
    assert tree.label == str(HUABEI)
    assert tree.display("versions/2026.03.yaml") == str(HUABEI / "versions" / "2026.03.yaml")
    assert isinstance(tree, FileTree)


def test_disk_lists_yaml_files_sorted_and_nothing_else(tmp_path: Path) -> None:
    for name in ("b.yml", "a.yaml", "c.txt", "d.yaml~", ".yaml"):
        (tmp_path / "versions").mkdir(exist_ok=True)
        (tmp_path / "versions" / name).write_text("x", encoding="utf-8")
    tree = DiskTree(tmp_path)
    assert tree.yaml_files("versions") == ("versions/a.yaml", "versions/b.yml")
    assert tree.yaml_files("tests") == ()
    assert tree.is_file("versions/a.yaml") and not tree.is_file("versions")


def test_disk_reads_no_more_than_asked_and_reports_what_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_bytes(b"x" * 5000)
    assert DiskTree(tmp_path).read("big.yaml", 10) == b"x" * 10
    with pytest.raises(chronolex.ChronolexError) as info:
        DiskTree(tmp_path).read("missing.yaml", 10)
    [d] = info.value.diagnostics
    assert d.code == "io-error" and d.span is not None and d.span.file == str(tmp_path / "missing.yaml")


# -- GitTree: what it reads -----------------------------------------------------------


def test_a_revision_loads_to_the_same_model_as_the_directory_it_was_made_from(tmp_path: Path) -> None:
    repo = huabei_repo(tmp_path)
    on_disk = chronolex.load_bundle(HUABEI)
    at_head = chronolex.load_bundle(GitTree(repo, "HEAD", "policies/huabei"))
    assert at_head.root == "HEAD:policies/huabei"
    assert [v.id for v in at_head.versions] == [v.id for v in on_disk.versions]
    assert [v.rules for v in at_head.versions] == [v.rules for v in on_disk.versions]
    assert [v.file for v in at_head.versions] == [
        f"HEAD:policies/huabei/versions/{Path(v.file or '').name}" for v in on_disk.versions
    ]
    assert at_head.facts == on_disk.facts


def test_a_revision_is_read_from_the_commit_not_the_working_tree_and_nothing_is_touched(tmp_path: Path) -> None:
    repo = huabei_repo(tmp_path)
    shutil.rmtree(repo / "policies" / "huabei" / "versions")
    (repo / "policies" / "huabei" / "bundle.yaml").write_text("bundle: [broken", encoding="utf-8")
    before = repo_state(repo)
    assert before[0]  # the working tree really differs from HEAD
    bundle = chronolex.load_bundle(GitTree(repo, "HEAD", "policies/huabei"))
    assert len(bundle.versions) == len(list((HUABEI / "versions").glob("*.yaml")))
    assert repo_state(repo) == before


def test_the_revision_is_fixed_when_the_tree_is_made(tmp_path: Path) -> None:
    repo = huabei_repo(tmp_path)
    first = git(repo, "rev-parse", "HEAD").strip()
    tree = GitTree(repo, "main", "policies/huabei")
    (repo / "policies" / "huabei" / "bundle.yaml").write_text("moved on\n", encoding="utf-8")
    commit_all(repo, "the branch moves")
    assert tree.commit == first
    assert tree.read("bundle.yaml", 10_000) == (HUABEI / "bundle.yaml").read_bytes()


def test_git_lists_yaml_files_sorted_and_nothing_else(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "b" / "versions" / "sub.yaml").mkdir(parents=True)
    for name in ("b.yml", "a.yaml", "c.txt", "d.yaml~", ".yaml", "sub.yaml/inner.yaml"):
        (repo / "b" / "versions" / name).write_text("x", encoding="utf-8")
    git(repo, "init", "-q")
    commit_all(repo, "files")
    tree = GitTree(repo, "HEAD", "b")
    assert tree.yaml_files("versions") == ("versions/a.yaml", "versions/b.yml")
    assert tree.yaml_files("tests") == ()
    assert tree.is_file("versions/a.yaml")
    assert not tree.is_file("versions") and not tree.is_file("versions/sub.yaml") and not tree.is_file("nope/x")


def test_a_path_is_relative_to_the_directory_given_like_git_show_dot_slash(tmp_path: Path) -> None:
    repo = huabei_repo(tmp_path)
    tree = GitTree(repo / "policies", "HEAD", "./huabei")
    assert tree.label == "HEAD:policies/huabei"
    assert tree.display("versions/2026.03.yaml") == "HEAD:policies/huabei/versions/2026.03.yaml"
    assert GitTree(repo / "policies" / "huabei", "HEAD", ".").is_file("bundle.yaml")


def test_a_large_blob_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    repo = huabei_repo(tmp_path)
    huge = repo / "policies" / "huabei" / "versions" / "zz-huge.yaml"
    huge.write_text("# padding\n" * 30_000, encoding="utf-8")
    commit_all(repo, "a huge version file")
    huge.unlink()  # only the revision has it
    tree = GitTree(repo, "HEAD", "policies/huabei")
    assert tree.read("versions/zz-huge.yaml", 25) == b"# padding\n# padding\n# pad"
    limit = 100_000  # larger than every shipped file, smaller than the huge one
    report = chronolex.check_bundle(tree, limits=Limits(max_bytes=limit))
    [d] = [d for d in report.diagnostics if d.code == "file-too-large"]
    assert d.span is not None and d.span.file == "HEAD:policies/huabei/versions/zz-huge.yaml"
    assert f"{limit + 1} bytes" in d.message  # it stopped reading one byte past the limit


def test_a_symbolic_link_inside_the_revision_is_followed_and_a_dangling_one_is_an_error(tmp_path: Path) -> None:
    repo = huabei_repo(tmp_path)
    versions = repo / "policies" / "huabei" / "versions"
    (versions / "linked.yml").symlink_to("2026.03.yaml")
    (versions / "dangling.yml").symlink_to("nowhere.yaml")
    commit_all(repo, "links")
    tree = GitTree(repo, "HEAD", "policies/huabei")
    assert tree.read("versions/linked.yml", 100_000) == (HUABEI / "versions" / "2026.03.yaml").read_bytes()
    with pytest.raises(chronolex.ChronolexError) as info:
        tree.read("versions/dangling.yml", 100)
    [d] = info.value.diagnostics
    assert d.code == "io-error" and "HEAD:policies/huabei/versions/dangling.yml" in d.message


def test_a_broken_file_at_a_revision_is_reported_at_rev_path_and_its_line(tmp_path: Path) -> None:
    repo = huabei_repo(tmp_path)
    file = repo / "policies" / "huabei" / "versions" / "2026.06.yaml"
    good = file.read_text(encoding="utf-8")
    broken = good.replace("until: 2026-11-13", "until: 2026-13-13")
    assert broken != good
    file.write_text(broken, encoding="utf-8")
    commit_all(repo, "a bad date")
    file.write_text(good, encoding="utf-8")  # fixed on disk, still broken at HEAD
    report = chronolex.check_bundle(GitTree(repo, "HEAD", "policies/huabei"))
    [d] = [d for d in report.diagnostics if d.code == "invalid-date"]
    assert d.span is not None
    assert d.span.file == "HEAD:policies/huabei/versions/2026.06.yaml"
    lines = broken.splitlines()
    assert d.span.line == next(n for n, line in enumerate(lines, start=1) if "2026-13-13" in line)
    assert chronolex.check_bundle(repo / "policies" / "huabei").ok


# -- GitTree: failures ----------------------------------------------------------------


def error_of(repo: Path, rev: str, path: str) -> chronolex.Diagnostic:
    with pytest.raises(chronolex.ChronolexError) as info:
        GitTree(repo, rev, path)
    [d] = info.value.diagnostics
    assert d.help  # every failure says what to do about it
    return d


def test_an_unknown_revision_is_named(tmp_path: Path) -> None:
    repo = huabei_repo(tmp_path)
    d = error_of(repo, "no-such-branch", "policies/huabei")
    assert d.code == "git-error" and "unknown revision 'no-such-branch'" in d.message


def test_a_revision_that_looks_like_an_option_is_not_passed_to_git_as_one(tmp_path: Path) -> None:
    repo = huabei_repo(tmp_path)
    d = error_of(repo, "--output=x", "policies/huabei")
    assert d.code == "git-error"
    assert not (repo / "x").exists()


def test_a_revision_that_names_no_commit_is_refused(tmp_path: Path) -> None:
    repo = huabei_repo(tmp_path)
    tree_id = git(repo, "rev-parse", "HEAD^{tree}").strip()
    assert error_of(repo, tree_id, "policies/huabei").code == "git-error"


def test_a_path_missing_at_the_revision_suggests_a_close_one(tmp_path: Path) -> None:
    repo = huabei_repo(tmp_path)
    d = error_of(repo, "HEAD", "policies/huabie")
    assert d.code == "git-error" and "'policies/huabie'" in d.message and "'HEAD'" in d.message
    assert d.help == "did you mean `HEAD:policies/huabei`?"


def test_a_path_added_after_the_revision_is_missing_at_it(tmp_path: Path) -> None:
    repo = huabei_repo(tmp_path)
    shutil.copytree(HUABEI, repo / "policies" / "other")
    commit_all(repo, "a second bundle")
    assert GitTree(repo, "HEAD", "policies/other").is_file("bundle.yaml")
    d = error_of(repo, "HEAD~1", "policies/other")
    assert "no directory 'policies/other' in revision 'HEAD~1'" in d.message


def test_a_file_or_a_path_outside_the_repository_is_not_a_bundle_directory(tmp_path: Path) -> None:
    repo = huabei_repo(tmp_path)
    assert "not a directory" in error_of(repo, "HEAD", "policies/huabei/bundle.yaml").message
    assert "outside the git repository" in error_of(repo, "HEAD", "../elsewhere").message


def test_a_directory_outside_any_repository_is_named(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    d = error_of(plain, "HEAD", "policies/huabei")
    assert d.code == "git-error" and d.message == f"{plain} is not inside a git repository"


def test_without_git_on_the_path_the_error_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = huabei_repo(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    d = error_of(repo, "HEAD", "policies/huabei")
    assert d.code == "io-error" and "git" in d.message and "not installed" in d.message
