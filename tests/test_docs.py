"""The examples in the docs run, so they cannot drift from what chronolex does.

- A ```python block runs (the blocks of one page in order, in one namespace, from the
  repository root); the comment lines right after a ``print(...)`` are the output it
  must print.
- A ```console block is a shell transcript: its ``$ …`` lines run in one bash session in
  a scratch git repository holding a copy of ``policies/`` (so commands that write files
  write there), and what follows each, up to the next ``$`` line, is what it prints
  (standard output and error). A line ``...`` stands for any number of lines.
- A block of any other language is not run, so a shell example may not hide in one: a
  ```bash/```sh/```shell block, or any block with a ``$ `` prompt line that is not a
  ```console block, fails the suite.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import ROOT

PAGES = sorted([*(ROOT / "docs").rglob("*.md"), ROOT / "README.md"])
_FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.M | re.S)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    language: str
    text: str

    @property
    def label(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path, language: str) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        if match.group(1) == language:
            found.append(Block(page, text[:match.start()].count("\n") + 1, language, match.group(2)))
    return found


def matches(expected: list[str], actual: list[str]) -> bool:
    """``expected`` lines equal ``actual``, where a line ``...`` (indented or not) matches
    any run of lines."""
    if not expected:
        return not actual
    if expected[0].strip() == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


def all_blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    return [Block(page, text[:m.start()].count("\n") + 1, m.group(1), m.group(2)) for m in _FENCE.finditer(text)]


_SHELLS = {"bash", "sh", "shell", "zsh", "shell-session", "shellsession"}


def test_the_docs_are_found_in_every_folder_of_docs() -> None:
    """Pages in sub-folders (docs/reference/) are read too, not only docs/*.md."""
    assert ROOT / "docs" / "reference" / "index.md" in PAGES
    assert ROOT / "docs" / "tutorial.md" in PAGES


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_shell_example_is_a_console_block_that_runs(page: Path) -> None:
    """A command shown in a block that is not run could drift from what chronolex does."""
    hidden = [b.label for b in all_blocks(page)
              if b.language != "console"
              and (b.language in _SHELLS or any(line.startswith("$ ") for line in b.text.splitlines()))]
    assert not hidden, f"shell examples that the suite does not run (make them ```console blocks): {hidden}"


# -- python ------------------------------------------------------------------------------


def expected_prints(code: str) -> list[str]:
    """The comment lines right after each ``print(...)`` call (which may span lines)."""
    out: list[str] = []
    depth = 0  # open parentheses of the print call being read
    after_print = False
    for line in code.splitlines():
        stripped = line.lstrip()
        if depth > 0:
            depth += stripped.count("(") - stripped.count(")")
            continue
        if stripped.startswith("#") and after_print:
            out.append(stripped[1:].removeprefix(" "))
            continue
        after_print = stripped.startswith("print(")
        if after_print:
            depth = stripped.count("(") - stripped.count(")")
    return out


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


PYTHON_PAGES = [p for p in PAGES if blocks(p, "python")]


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=[p.name for p in PYTHON_PAGES])
def test_python_examples_print_what_the_page_says(page: Path) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    with working_directory(ROOT):
        for block in blocks(page, "python"):
            captured = io.StringIO()
            with contextlib.redirect_stdout(captured):
                exec(compile(block.text, block.label, "exec"), namespace)  # noqa: S102 - the docs' own examples
            expected = expected_prints(block.text)
            actual = captured.getvalue().splitlines()
            assert matches(expected, actual), f"{block.label}: expected {expected!r}, printed {actual!r}"


# -- console -----------------------------------------------------------------------------


def transcript(block: Block) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for each ``$ `` line of a block; a command line
    that ends with a backslash goes on on the next line."""
    steps: list[tuple[str, list[str]]] = []
    continued = False
    for line in block.text.splitlines():
        if continued:
            steps[-1] = (steps[-1][0] + "\n" + line, [])
        elif line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
        continued = bool(steps) and not steps[-1][1] and line.endswith("\\")
    return steps


CONSOLE = [b for p in PAGES for b in blocks(p, "console")]
_MARK = "@@chronolex-docs-step@@"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's ``policies/`` (and the decision logs the diff page
    reads) in a git repository of its own (the docs read revisions such as
    ``HEAD:policies/huabei``)."""
    root = tmp_path_factory.mktemp("docs")
    shutil.copytree(ROOT / "policies", root / "policies")
    shutil.copytree(ROOT / "tests" / "fixtures" / "decision-logs", root / "tests" / "fixtures" / "decision-logs")
    shutil.copytree(ROOT / "docs" / "examples", root / "docs" / "examples")
    git = ["git", "-c", "user.name=docs", "-c", "user.email=docs@example.invalid", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "policies"], ["commit", "-q", "-m", "policies"]):
        subprocess.run([*git, *args], cwd=root, check=True, capture_output=True)
    return root


#: One working copy per page: a page's blocks run in order and share it (a block may
#: prepare files that the next one reads), and each starts where the previous one ended.
_SESSIONS: dict[Path, list[Path]] = {}


def run_block(block: Block, scratch: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Run the commands of ``block`` in its page's session; what each printed."""
    session = _SESSIONS.get(block.page)
    if session is None:
        work = tmp_path_factory.mktemp("page") / "repo"
        shutil.copytree(scratch, work, symlinks=True)
        session = _SESSIONS[block.page] = [work]
    steps = transcript(block)
    # each command sees the exit status of the one before it (for "echo $?")
    script = "".join(f"status=$?; printf '%s\\n' '{_MARK}'; (exit $status)\n{{ {command}\n}} 2>&1\n"
                     for command, _ in steps)
    script += f"printf '%s\\n' '{_MARK}'\npwd\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHRONOLEX_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "100"
    out = subprocess.run(["bash", "-c", script], cwd=session[0], env=env, capture_output=True, text=True,
                         timeout=300)
    printed = out.stdout.split(_MARK + "\n")[1:]
    assert len(printed) == len(steps) + 1, f"{block.label}: the session stopped early: {out.stderr}"
    session[0] = Path(printed[-1].strip())
    return printed[:-1]


@pytest.mark.parametrize("block", CONSOLE, ids=[b.label for b in CONSOLE])
def test_console_transcripts_show_what_the_shell_prints(block: Block, scratch: Path,
                                                        tmp_path_factory: pytest.TempPathFactory) -> None:
    """The commands of a block run in one bash session with this environment's
    ``chronolex`` first on the PATH."""
    steps = transcript(block)
    assert steps, f"{block.label}: a console block with no '$ ' command"
    for (command, expected), actual in zip(steps, run_block(block, scratch, tmp_path_factory)):
        lines = actual.rstrip("\n").splitlines() if actual.strip() else []
        assert matches(expected, lines), (
            f"{block.label}: $ {command}\n--- the page shows ---\n" + "\n".join(expected)
            + "\n--- the shell printed ---\n" + "\n".join(lines))


# -- files the docs create ---------------------------------------------------------------

_CREATED = re.compile(r"(?:--output|--junit|--db|--list-affected)[ =](\S+)|(?<![0-9&])> ?([\w./-]+)|"
                      r"\b(?:cp -r \S+|mkdir(?: -p)?|chronolex init) ([\w.-]+)")


def created_files() -> list[tuple[str, str]]:
    """(page position, path) of every file or folder a console command of the docs writes
    in the working directory."""
    found = []
    folder: dict[Path, Path] = {}  # where each page's session is, after its ``cd`` commands
    for block in CONSOLE:
        for command, _ in transcript(block):
            here = folder.get(block.page, Path())
            if command.startswith("cd "):
                folder[block.page] = Path(os.path.normpath(here / command.split()[1]))
                continue
            for match in _CREATED.finditer(command):
                path = next(group for group in match.groups() if group)
                if path in {"-", "/dev/null"} or path.startswith(("$", "/")):
                    continue
                created = str(here / path).split("/")[0] + "/" if match.group(3) or here != Path() else str(here / path)
                found.append((block.label, created))
    return found


def test_every_file_the_docs_create_is_ignored_by_git() -> None:
    """A reader who follows the docs in a checkout does not end up with untracked
    outputs (a SARIF file, JUnit XML, a store) to commit by mistake."""
    created = created_files()
    assert any(path == "policy-tests.xml" for _, path in created)  # the pattern finds them
    result = subprocess.run(["git", "check-ignore", "--no-index", "--stdin", "-v", "-n"], cwd=ROOT, text=True,
                            input="\n".join(path for _, path in created) + "\n", capture_output=True)
    not_ignored = [line.split("\t")[1] for line in result.stdout.splitlines() if line.startswith("::")]
    assert not not_ignored, "add these to .gitignore: " + ", ".join(
        f"{path} ({label})" for label, path in created if path in not_ignored)


# -- links -------------------------------------------------------------------------------

_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    return {_slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_links_lead_to_files_and_headings_of_the_project(page: Path) -> None:
    """A link to a page or heading that is not there (a design file outside the project,
    a renamed section) is drift too."""
    broken = []
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    for target in _LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists() or ROOT not in file.parents:
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(target)
    assert not broken, f"links to nothing: {broken}"
    assert "DESIGN.md" not in page.read_text(encoding="utf-8")
