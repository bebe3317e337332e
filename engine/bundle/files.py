"""Where a bundle's files come from: a directory on disk, or a directory of a git commit.

The loader needs four things from a bundle's files: whether ``bundle.yaml`` is there,
the sorted ``*.yaml``/``*.yml`` files of ``versions/`` and ``tests/``, the first bytes of
a file (never more than the size limit plus one, so a huge file is refused without
being read whole), and the name to show in messages and spans. :class:`FileTree` is
that interface. :class:`DiskTree` reads a directory as the loader always has;
:class:`GitTree` reads a directory of a commit with ``git ls-tree`` and
``git cat-file``, so CI can check or diff a bundle at a revision without touching the
working tree or the index.
"""

from __future__ import annotations

import os
import posixpath
import stat
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path, PurePosixPath
from typing import Protocol, runtime_checkable

from chronolex.errors import ChronolexError, Span

__all__ = ["YAML_SUFFIXES", "DiskTree", "FileTree", "GitTree"]

YAML_SUFFIXES = (".yaml", ".yml")
_RELATIVE_HINT = "the path after ':' is relative to the current directory, as in `git show REV:./path`"


@runtime_checkable
class FileTree(Protocol):
    """A read-only directory of files, addressed by '/'-separated paths relative to its root."""

    @property
    def label(self) -> str:
        """How the root is named in messages: a directory path, or ``REV:path``."""
        ...

    def is_file(self, rel: str) -> bool:
        """Whether a readable file (not a directory) exists at ``rel``."""
        ...

    def yaml_files(self, directory: str) -> tuple[str, ...]:
        """The ``*.yaml``/``*.yml`` files directly in ``directory``, as relative paths sorted by
        name; empty when the directory does not exist."""
        ...

    def read(self, rel: str, max_bytes: int) -> bytes:
        """At most ``max_bytes`` bytes from the start of ``rel``; raises :class:`ChronolexError`
        (``io-error`` or ``git-error``) if it cannot be read."""
        ...

    def display(self, rel: str) -> str:
        """The name of ``rel`` in messages and spans."""
        ...


class DiskTree:
    """A directory on disk; display names are ``str(root / rel)``, as the loader always wrote them.

    >>> DiskTree(Path("policies/huabei")).display("versions/2026.03.yaml")
    'policies/huabei/versions/2026.03.yaml'
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"DiskTree({str(self.root)!r})"

    @property
    def label(self) -> str:
        return str(self.root)

    def is_file(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def yaml_files(self, directory: str) -> tuple[str, ...]:
        found = sorted((self.root / directory).glob("*.y*ml"))
        return tuple(f"{directory}/{file.name}" for file in found if file.suffix in YAML_SUFFIXES)

    def read(self, rel: str, max_bytes: int) -> bytes:
        file = self.root / rel
        try:
            inside = file.resolve().is_relative_to(self.root.resolve())
        except OSError:
            inside = True  # unreadable: the open below reports why
        if not inside:
            # a link planted in a pull request must not make CI print a file from elsewhere
            raise ChronolexError.single(
                "io-error", f"{file} is a link to a file outside the bundle; refused", Span(str(file), 1, 1),
                "copy the file into the bundle directory, or link only within it",
            )
        try:
            if not stat.S_ISREG(file.stat().st_mode):
                # a named pipe would block for ever and a device never end: read files only
                raise ChronolexError.single("io-error", f"{file} is not a regular file (a named pipe, device or "
                                            "socket); refused", Span(str(file), 1, 1))
            with file.open("rb") as handle:
                return handle.read(max_bytes)
        except OSError as exc:
            raise ChronolexError.single(
                "io-error", f"cannot read {file}: {exc.strerror or exc}", Span(str(file), 1, 1)
            ) from None

    def display(self, rel: str) -> str:
        return str(self.root / rel)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One line of ``git ls-tree -l``: the object's type (blob, tree, commit) and mode."""

    kind: str
    mode: str


class GitTree:
    """The directory ``path`` of the commit ``rev`` names, in the git repository containing ``repo``.

    ``path`` is relative to ``repo``, as ``git show REV:./path`` reads it. Display names
    are ``REV:path/from/the/top/file.yaml`` with ``rev`` as written, which ``git show``
    accepts from anywhere in the repository. The revision is resolved once, so every
    file comes from the same commit even if a branch moves meanwhile. Raises
    :class:`ChronolexError` (``git-error``, or ``io-error`` when git cannot be run) if
    the repository, the revision or the directory does not exist.
    """

    def __init__(self, repo: str | Path, rev: str, path: str) -> None:
        self.rev = rev
        self.top, prefix = _toplevel(Path(repo))
        self.commit = resolve_commit(self.top, rev)
        self.path = _inside(prefix, path, rev)
        self._listings: dict[str, Mapping[str, _Entry]] = {}
        self._check_directory()

    def __repr__(self) -> str:
        return f"GitTree({self.label!r}, commit={self.commit[:12]!r})"

    @property
    def label(self) -> str:
        return f"{self.rev}:{self.path}"

    def is_file(self, rel: str) -> bool:
        entry = self._entry(self._full(rel))
        return entry is not None and entry.kind == "blob"

    def yaml_files(self, directory: str) -> tuple[str, ...]:
        listing = self._listing(self._full(directory)) if self._is_tree(self._full(directory)) else {}
        names = (name for name, entry in listing.items() if entry.kind == "blob")
        return tuple(f"{directory}/{name}" for name in sorted(names) if PurePosixPath(name).suffix in YAML_SUFFIXES)

    def read(self, rel: str, max_bytes: int) -> bytes:
        """Read through ``git cat-file --batch --follow-symlinks``, stopping after ``max_bytes``
        so that a huge blob is never held in memory."""
        full = self._full(rel)
        shown = self.display(rel)
        if "\n" in full:
            raise ChronolexError.single("io-error", f"cannot read {shown}: its name contains a line break",
                                        Span(shown, 1, 1))
        with _popen(["cat-file", "--batch", "--follow-symlinks"], self.top) as process:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(os.fsencode(f"{self.commit}:{full}\n"))
            process.stdin.close()
            header = process.stdout.readline().decode("utf-8", "replace").strip()
            parts = header.split()
            if len(parts) != 3 or parts[1] != "blob" or not parts[2].isdigit():
                process.kill()
                raise ChronolexError.single(
                    "io-error", f"cannot read {shown}: git answers {header or 'nothing'!r}", Span(shown, 1, 1),
                    "a symbolic link in a revision is followed only to a file of the same revision",
                )
            size = int(parts[2])
            data = process.stdout.read(min(size, max_bytes))
            if size > max_bytes:
                process.kill()  # the rest is not needed: the caller only learns that the file is too large
            return data

    def display(self, rel: str) -> str:
        return f"{self.rev}:{self._full(rel)}"

    # -- the tree as git lists it ------------------------------------------------------
    def _full(self, rel: str) -> str:
        return posixpath.join(self.path, rel) if self.path else rel

    def _listing(self, directory: str) -> Mapping[str, _Entry]:
        """The entries directly in ``directory`` (a path from the top, '' for the top)."""
        if directory not in self._listings:
            args = ["ls-tree", "-z", "--full-tree", self.commit]
            if directory:
                args += ["--", directory + "/"]
            entries: dict[str, _Entry] = {}
            for record in _run(args, self.top).split(b"\0"):
                if not record:
                    continue
                meta, _, name = record.partition(b"\t")
                mode, kind, _object = meta.decode("ascii").split()
                entries[posixpath.basename(os.fsdecode(name))] = _Entry(kind, mode)
            self._listings[directory] = entries
        return self._listings[directory]

    def _entry(self, full: str) -> _Entry | None:
        parent, name = posixpath.split(full)
        if parent and not self._is_tree(parent):
            return None
        return self._listing(parent).get(name)

    def _is_tree(self, full: str) -> bool:
        if not full:
            return True
        entry = self._entry(full)
        return entry is not None and entry.kind == "tree"

    def _check_directory(self) -> None:
        if self._is_tree(self.path):
            return
        entry = self._entry(self.path)
        if entry is not None:
            raise ChronolexError.single(
                "git-error", f"{self.label} is a {'file' if entry.kind == 'blob' else entry.kind}, not a directory",
                None, "name the bundle's directory (the one that holds bundle.yaml)",
            )
        parent, name = posixpath.split(self.path)
        siblings = [n for n, e in self._listing(parent).items() if e.kind == "tree"] if self._is_tree(parent) else []
        close = get_close_matches(name, sorted(siblings), n=1)
        raise ChronolexError.single(
            "git-error", f"no directory {self.path!r} in revision {self.rev!r}", None,
            f"did you mean `{self.rev}:{posixpath.join(parent, close[0])}`?" if close else _RELATIVE_HINT,
        )


def resolve_commit(repo: Path, rev: str) -> str:
    """The commit ``rev`` names in the repository containing ``repo``, as a full hash.

    Raises :class:`ChronolexError` (``git-error``) for an unknown revision or one that
    names no commit.
    """
    if not rev or rev.startswith("-"):
        raise ChronolexError.single("git-error", f"{rev!r} is not a git revision", None,
                                    "write a branch, tag or commit before ':', as in main:policies/huabei")
    found = _run(["rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"], repo, quiet_fail=True)
    if not found:
        raise ChronolexError.single(
            "git-error", f"unknown revision {rev!r} in the git repository at {repo}", None,
            "use a branch, tag or commit that exists here (`git log --oneline` lists commits); "
            "in a shallow CI checkout, fetch the base branch first",
        )
    return found.decode("ascii").strip()


def _toplevel(repo: Path) -> tuple[Path, str]:
    """The top directory of the work tree containing ``repo``, and ``repo``'s path below it."""
    if not repo.is_dir():
        raise ChronolexError.single("io-error", f"{repo}: no such directory", None,
                                    "read the bundle from a directory inside the git repository")
    out = _run(["rev-parse", "--show-toplevel", "--show-prefix"], repo).decode("utf-8", "surrogateescape")
    lines = out.split("\n")
    return Path(lines[0]), lines[1] if len(lines) > 1 else ""


def _inside(prefix: str, path: str, rev: str) -> str:
    """``path`` (relative to the directory ``prefix`` below the top) as a path from the top."""
    joined = posixpath.normpath(posixpath.join(prefix, path.replace(os.sep, "/")))
    if path.startswith("/") or joined == ".." or joined.startswith("../"):
        raise ChronolexError.single("git-error", f"{path!r} is outside the git repository", None, _RELATIVE_HINT)
    return "" if joined == "." else joined


def _git(args: Sequence[str]) -> list[str]:
    # a fixed, non-interactive command line: no pager, no prompts, no optional locks on the index
    return ["git", "--no-pager", *args]


_ENV_OVERRIDES = {"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}


def _env() -> dict[str, str]:
    return {**os.environ, **_ENV_OVERRIDES}


def _run(args: Sequence[str], cwd: Path, *, quiet_fail: bool = False) -> bytes:
    """Run git in ``cwd`` and return its output; a failure becomes ``git-error`` (empty output
    instead when ``quiet_fail``), and a missing git becomes ``io-error``."""
    try:
        done = subprocess.run(_git(args), cwd=cwd, env=_env(), stdin=subprocess.DEVNULL, capture_output=True,
                              check=False)
    except FileNotFoundError:
        raise _git_missing() from None
    except OSError as exc:
        raise ChronolexError.single("io-error", f"cannot run git: {exc.strerror or exc}") from None
    if done.returncode != 0:
        if quiet_fail:
            return b""
        raise _git_failed(args, cwd, done.stderr)
    return done.stdout


def _popen(args: Sequence[str], cwd: Path) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(_git(args), cwd=cwd, env=_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
    except FileNotFoundError:
        raise _git_missing() from None
    except OSError as exc:
        raise ChronolexError.single("io-error", f"cannot run git: {exc.strerror or exc}") from None


def _git_missing() -> ChronolexError:
    return ChronolexError.single("io-error", "cannot run git: it is not installed or not on PATH", None,
                                 "install git to read bundles at a revision, or name a bundle directory instead")


def _git_failed(args: Sequence[str], cwd: Path, stderr: bytes) -> ChronolexError:
    said = stderr.decode("utf-8", "replace").strip().splitlines()
    reason = said[0].removeprefix("fatal: ") if said else "no message"
    if "not a git repository" in reason:
        return ChronolexError.single("git-error", f"{_where(cwd)} is not inside a git repository", None,
                                     "run in a clone of the repository, or name a bundle directory on disk")
    return ChronolexError.single("git-error", f"git {args[0]} failed in {_where(cwd)}: {reason}", None,
                                 "run the same git command by hand to see the whole message")


def _where(directory: Path) -> str:
    return "the current directory" if str(directory) == "." else str(directory)
