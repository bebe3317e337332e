"""Diff operands: bundles on disk, one version of a bundle, bundles at a git revision, and the pairs compared."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest

import chronolex
from chronolex.diff.operands import diff_pairs, load_side
from chronolex.diff.sides import Side
from tests.conftest import HUABEI
from tests.helpers.git import commit_all, git, huabei_repo, repo_state

SHIPPED_IDS = [v.id for v in chronolex.load_bundle(HUABEI).versions]
BUNDLE = "policies/huabei"


def failure(call: Callable[..., object], *args: object, **kwargs: object) -> chronolex.Diagnostic:
    """The one diagnostic ``call`` refuses with."""
    with pytest.raises(chronolex.ChronolexError) as info:
        call(*args, **kwargs)
    [d] = info.value.diagnostics
    assert d.help  # every refusal says what to write instead
    return d


def labels(pairs: list[tuple[Side, Side]]) -> list[tuple[str, str]]:
    return [(old.label, new.label) for old, new in pairs]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The shipped bundle committed twice: HEAD~1 as shipped, HEAD without its last version."""
    repo = huabei_repo(tmp_path)
    (repo / BUNDLE / "versions" / f"{SHIPPED_IDS[-1]}.yaml").unlink()
    commit_all(repo, "drop the last version")
    return repo


# -- one operand on disk ----------------------------------------------------------------


def test_a_directory_or_its_manifest_is_the_whole_bundle_labelled_as_written(repo: Path) -> None:
    for text in (BUNDLE, f"{BUNDLE}/", f"{BUNDLE}/bundle.yaml"):
        side = load_side(text, cwd=repo)
        assert side.label == text and side.version is None
        assert [v.id for v in side.bundle.versions] == SHIPPED_IDS[:-1]


@pytest.mark.parametrize("version_id", SHIPPED_IDS)
def test_at_version_pins_that_version(version_id: str) -> None:
    side = load_side(f"{HUABEI}@{version_id}")
    assert side.label == f"{HUABEI}@{version_id}"
    assert side.version is not None and side.version.id == version_id
    assert side.version == side.bundle.version(version_id)


def test_a_bundle_name_is_found_under_policies_as_other_commands_do(repo: Path) -> None:
    side = load_side("huabei@2025.07", cwd=repo)
    assert side.label == "huabei@2025.07"
    assert side.version is not None and side.version.file == str(repo / BUNDLE / "versions" / "2025.07.yaml")


def test_a_path_that_exists_with_a_colon_or_at_sign_means_that_path(tmp_path: Path) -> None:
    shutil.copytree(HUABEI, tmp_path / "v1:huabei")
    shutil.copytree(HUABEI, tmp_path / "team@x")
    assert load_side("v1:huabei", cwd=tmp_path).bundle.root == str(tmp_path / "v1:huabei")  # no git needed
    whole = load_side("team@x", cwd=tmp_path)
    assert whole.version is None and whole.bundle.root == str(tmp_path / "team@x")
    pinned = load_side("team@x@2026.03", cwd=tmp_path)  # '@' splits at the last one
    assert pinned.version is not None and pinned.version.id == "2026.03"


def test_an_unknown_version_lists_the_versions_and_suggests_the_closest() -> None:
    d = failure(load_side, f"{HUABEI}@2026.3")
    assert d.code == "unknown-version" and "'2026.3'" in d.message
    assert d.help is not None and f"`{HUABEI}@2026.03`" in d.help
    assert d.help.endswith("versions: " + ", ".join(SHIPPED_IDS))


def test_operands_that_name_nothing_are_refused(tmp_path: Path) -> None:
    assert failure(load_side, "nowhere/huabei", cwd=tmp_path).code == "io-error"
    assert failure(load_side, "", cwd=tmp_path).code == "bad-operand"
    shutil.copytree(HUABEI, tmp_path / "huabei")
    assert failure(load_side, "huabei@", cwd=tmp_path).code == "bad-operand"
    assert failure(load_side, ":huabei", cwd=tmp_path).code == "bad-operand"


# -- one operand at a git revision ------------------------------------------------------


def test_head_is_read_from_the_commit_after_the_working_copy_changed(repo: Path) -> None:
    (repo / BUNDLE / "versions" / "2025.07.yaml").unlink()
    (repo / BUNDLE / "bundle.yaml").write_text("bundle: [", encoding="utf-8")
    before = repo_state(repo)
    side = load_side(f"HEAD:{BUNDLE}", cwd=repo)
    assert side.label == f"HEAD:{BUNDLE}" and side.bundle.root == f"HEAD:{BUNDLE}"
    assert [v.id for v in side.bundle.versions] == SHIPPED_IDS[:-1]
    assert repo_state(repo) == before


def test_older_revisions_branches_and_hashes_are_all_revisions(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD~1").strip()
    for rev in ("HEAD~1", first, first[:10], "main~1"):
        side = load_side(f"{rev}:{BUNDLE}", cwd=repo)
        assert [v.id for v in side.bundle.versions] == SHIPPED_IDS, rev
    git(repo, "branch", "base", "HEAD~1")
    assert [v.id for v in load_side(f"base:{BUNDLE}", cwd=repo).bundle.versions] == SHIPPED_IDS


def test_a_version_at_a_revision(repo: Path) -> None:
    last = SHIPPED_IDS[-1]
    side = load_side(f"HEAD~1:{BUNDLE}@{last}", cwd=repo)
    assert side.label == f"HEAD~1:{BUNDLE}@{last}"
    assert side.version is not None and side.version.file == f"HEAD~1:{BUNDLE}/versions/{last}.yaml"
    d = failure(load_side, f"HEAD:{BUNDLE}@{last}", cwd=repo)  # deleted by the last commit
    assert d.code == "unknown-version" and last not in (d.help or "").rpartition("versions:")[2]


def test_the_path_after_the_colon_is_relative_to_cwd(repo: Path) -> None:
    side = load_side("HEAD:huabei/bundle.yaml@2025.07", cwd=repo / "policies")
    assert side.version is not None and side.version.file == f"HEAD:{BUNDLE}/versions/2025.07.yaml"
    assert load_side("HEAD:.", cwd=repo / BUNDLE).bundle.root == f"HEAD:{BUNDLE}"


def test_revision_failures_name_the_revision_and_the_path(repo: Path, tmp_path: Path) -> None:
    unknown = failure(load_side, f"no-such-branch:{BUNDLE}", cwd=repo)
    assert unknown.code == "git-error" and "unknown revision 'no-such-branch'" in unknown.message
    missing = failure(load_side, "HEAD:policies/huabie", cwd=repo)
    assert missing.code == "git-error" and "'policies/huabie'" in missing.message
    assert missing.help == f"did you mean `HEAD:{BUNDLE}`?"
    plain = tmp_path / "plain"
    plain.mkdir()
    outside = failure(load_side, f"HEAD:{BUNDLE}", cwd=plain)
    assert outside.code == "git-error" and "not inside a git repository" in outside.message


def test_a_broken_version_at_a_revision_is_reported_there(repo: Path) -> None:
    file = repo / BUNDLE / "versions" / "2025.07.yaml"
    good = file.read_text(encoding="utf-8")
    file.write_text(good + "rules: twice\n", encoding="utf-8")
    commit_all(repo, "a duplicate key")
    file.write_text(good, encoding="utf-8")
    with pytest.raises(chronolex.ChronolexError) as info:
        load_side(f"HEAD:{BUNDLE}", cwd=repo)
    [d] = [d for d in info.value.diagnostics if d.code == "duplicate-key"]
    assert d.span is not None and d.span.file == f"HEAD:{BUNDLE}/versions/2025.07.yaml"
    assert d.span.line == len(good.splitlines()) + 1
    assert load_side(BUNDLE, cwd=repo).version is None  # the working copy is fine


# -- the pairs a diff compares ----------------------------------------------------------


def test_one_bundle_compares_its_consecutive_versions(repo: Path) -> None:
    pairs = diff_pairs([f"HEAD~1:{BUNDLE}"], cwd=repo)
    assert labels(pairs) == [(f"HEAD~1:{BUNDLE}@{a}", f"HEAD~1:{BUNDLE}@{b}") for a, b in pairwise(SHIPPED_IDS)]
    for old, new in pairs:
        assert old.version is not None and new.version is not None
        assert old.bundle.versions.index(old.version) + 1 == new.bundle.versions.index(new.version)


def test_the_label_of_a_generated_side_loads_the_same_side(repo: Path) -> None:
    for old, new in diff_pairs([f"{BUNDLE}/"], cwd=repo):
        for side in (old, new):
            again = load_side(side.label, cwd=repo)
            assert again.version == side.version and again.label == side.label


def test_one_version_compares_with_the_version_before_it() -> None:
    for before, version_id in pairwise(SHIPPED_IDS):
        [(old, new)] = diff_pairs([f"{HUABEI}@{version_id}"])
        assert (old.label, new.label) == (f"{HUABEI}@{before}", f"{HUABEI}@{version_id}")
        assert old.version is not None and old.version.id == before


def test_the_first_version_has_nothing_before_it() -> None:
    d = failure(diff_pairs, [f"{HUABEI}@{SHIPPED_IDS[0]}"])
    assert d.code == "bad-operand" and SHIPPED_IDS[0] in d.message


def test_a_bundle_with_one_version_has_nothing_to_compare(tmp_path: Path) -> None:
    shutil.copytree(HUABEI, tmp_path / "one")
    for file in (tmp_path / "one" / "versions").glob("*.yaml"):
        if file.stem != SHIPPED_IDS[0]:
            file.unlink()
    d = failure(diff_pairs, ["one"], cwd=tmp_path)
    assert d.code == "bad-operand" and "nothing to compare" in d.message


def test_two_versions_make_one_pair_from_one_load(repo: Path) -> None:
    [(old, new)] = diff_pairs([f"HEAD~1:{BUNDLE}@{SHIPPED_IDS[-1]}", f"HEAD~1:{BUNDLE}@{SHIPPED_IDS[0]}"], cwd=repo)
    assert old.version is not None and old.version.id == SHIPPED_IDS[-1]  # in the order written, not sorted
    assert new.version is not None and new.version.id == SHIPPED_IDS[0]
    assert old.bundle is new.bundle


def test_two_bundles_make_one_pair_a_revision_against_the_working_copy(repo: Path) -> None:
    [(old, new)] = diff_pairs([f"HEAD~1:{BUNDLE}", BUNDLE], cwd=repo)
    assert (old.label, new.label) == (f"HEAD~1:{BUNDLE}", BUNDLE)
    assert old.version is None and new.version is None
    assert [v.id for v in old.bundle.versions] == SHIPPED_IDS
    assert [v.id for v in new.bundle.versions] == SHIPPED_IDS[:-1]


def test_a_version_against_a_whole_bundle_is_refused_before_anything_is_read(repo: Path) -> None:
    for operands in ([f"unknown-rev:{BUNDLE}@1", BUNDLE], [BUNDLE, f"unknown-rev:{BUNDLE}@1"]):
        d = failure(diff_pairs, operands, cwd=repo)
        assert d.code == "bad-operand" and f"'unknown-rev:{BUNDLE}@1' names a version" in d.message
        assert d.help == "write both as BUNDLE@VERSION, or both as bundles"


@pytest.mark.parametrize("count", [0, 3])
def test_diff_takes_one_or_two_operands(count: int) -> None:
    d = failure(diff_pairs, [str(HUABEI)] * count)
    assert d.code == "bad-operand" and str(count) in d.message
